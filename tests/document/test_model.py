"""The document model: mutations, typed errors, events, queries, layout, plain data."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from engine.document import (
    CycleError,
    Document,
    DocumentError,
    DuplicateNameError,
    InvalidDocumentError,
    InvalidWireError,
    ParamError,
    PortOccupiedError,
    UnknownNodeError,
    UnknownOpError,
    Wire,
)


def tutorial() -> tuple[Document, dict]:
    d = Document()
    n = {}
    n["x"] = d.add_node("ones", "x", {"shape": [5]})
    n["y"] = d.add_node("zeros", "y", {"shape": [3]})
    n["w"] = d.add_node("randn", "w", {"shape": [5, 3]}, requires_grad=True)
    n["b"] = d.add_node("randn", "b", {"shape": [3], "seed": 1}, requires_grad=True)
    n["xw"] = d.add_node("matmul", "xw")
    n["z"] = d.add_node("add", "z")
    n["loss"] = d.add_node("F.binary_cross_entropy_with_logits", "loss")
    ids = {k: v.id for k, v in n.items()}
    d.connect(ids["x"], ids["xw"], "input")
    d.connect(ids["w"], ids["xw"], "other")
    d.connect(ids["xw"], ids["z"], "input")
    d.connect(ids["b"], ids["z"], "other")
    d.connect(ids["z"], ids["loss"], "input")
    d.connect(ids["y"], ids["loss"], "target")
    d.set_setting("root", ids["loss"])
    return d, ids


@pytest.fixture
def doc():
    return tutorial()


def record(d):
    events = []
    d.subscribe(events.append)
    return events


def test_add_node_defaults_and_names():
    d = Document()
    a = d.add_node("matmul")
    b = d.add_node("matmul")
    c = d.add_node("F.mse_loss")
    assert (a.id, b.id) == ("n1", "n2")
    assert (a.name, b.name, c.name) == ("matmul1", "matmul2", "loss1")
    assert a.params == {} and d.add_node("ones").params == {"shape": (3,), "dtype": "float32"}


def test_ids_are_never_reused():
    d = Document()
    a = d.add_node("ones")
    d.remove_node(a.id)
    assert d.add_node("ones").id != a.id
    d.add_node("ones", node_id="n40")
    assert d.add_node("ones").id == "n41"


def test_typed_errors_leave_the_document_unchanged(doc):
    d, ids = doc
    before = d.to_dict()
    events = record(d)
    cases = [
        (UnknownOpError, lambda: d.add_node("conv2d")),
        (DuplicateNameError, lambda: d.add_node("ones", "w")),
        (DuplicateNameError, lambda: d.add_node("ones", "2x")),
        (DuplicateNameError, lambda: d.add_node("ones", "torch")),
        (DuplicateNameError, lambda: d.add_node("ones", node_id=ids["w"])),
        (DuplicateNameError, lambda: d.rename_node(ids["z"], "loss")),
        (ParamError, lambda: d.add_node("ones", params={"shape": [-2]})),
        (ParamError, lambda: d.add_node("randn", params={"shape": [10**6, 10**6]})),
        (ParamError, lambda: d.set_param(ids["w"], "shape", [10**5, 10**5])),
        (ParamError, lambda: d.set_param(ids["w"], "colour", 1)),
        (ParamError, lambda: d.set_flag(ids["z"], "requires_grad", True)),
        (ParamError, lambda: d.set_flag(ids["w"], "trainable", True)),
        (ParamError, lambda: d.set_flag(ids["w"], "retain_grad", 1)),
        (ParamError, lambda: d.set_setting("seed", "twos")),
        (ParamError, lambda: d.set_setting("colour", 1)),
        (ParamError, lambda: d.move_node(ids["w"], "here")),
        (UnknownNodeError, lambda: d.remove_node("n99")),
        (UnknownNodeError, lambda: d.set_param("n99", "shape", [1])),
        (UnknownNodeError, lambda: d.connect("n99", ids["z"], "input")),
        (UnknownNodeError, lambda: d.set_setting("root", "n99")),
        (UnknownNodeError, lambda: d.disconnect(Wire(ids["x"], ids["z"], "other"))),
        (UnknownNodeError, lambda: d.add_region("frame", ["n99"])),
        (UnknownNodeError, lambda: d.remove_region("r9")),
        (PortOccupiedError, lambda: d.connect(ids["x"], ids["z"], "other")),
        (CycleError, lambda: d.connect(ids["loss"], ids["xw"], "input")),
        (CycleError, lambda: d.connect(ids["z"], ids["z"], "other")),
        (InvalidWireError, lambda: d.connect(ids["x"], ids["z"], "weight")),
        (InvalidWireError, lambda: d.connect(ids["z"], ids["x"], "input")),  # source: no inputs
        (InvalidWireError, lambda: d.connect(ids["x"], ids["loss"], "input", index=1)),
    ]
    for typ, action in cases:
        with pytest.raises(typ) as info:
            action()
        assert isinstance(info.value, DocumentError) and str(info.value)
    assert d.to_dict() == before and events == []


def test_error_messages_are_clear(doc):
    d, ids = doc
    with pytest.raises(CycleError, match="wiring loss -> xw would create a cycle"):
        d.connect(ids["loss"], ids["xw"], "input")
    with pytest.raises(PortOccupiedError, match="input 'other' of z is already connected "
                       r"\(from b\)"):
        d.connect(ids["x"], ids["z"], "other")
    with pytest.raises(InvalidWireError, match=r"add has no input 'weight' \(inputs: input, "
                       "other\\)"):
        d.connect(ids["x"], ids["z"], "weight")


def test_events_one_per_mutation(doc):
    d, ids = doc
    events = record(d)
    n = d.add_node("exp", "e")
    d.rename_node(n.id, "e2")
    d.set_param(ids["w"], "seed", 5)
    d.set_flag(ids["w"], "requires_grad", False)
    d.move_node(n.id, (10, 20))
    wire = d.connect(ids["z"], n.id, "input")
    d.disconnect(wire)
    r = d.add_region("no_grad", [ids["xw"]])
    d.set_region_members(r.id, [ids["xw"], ids["z"]])
    d.set_region_rect(r.id, (0, 0, 100, 50))
    d.remove_region(r.id)
    d.set_setting("grad_enabled", False)
    d.remove_node(n.id)
    kinds = [e.kind for e in events]
    assert kinds == ["node_added", "node_changed", "node_changed", "node_changed",
                     "node_changed", "wire_added", "wire_removed", "region_changed",
                     "region_changed", "region_changed", "region_changed", "settings_changed",
                     "node_removed"]
    assert events[1].detail == {"what": "name", "old": "e", "new": "e2"}
    assert events[2].detail == {"what": "param", "name": "seed", "old": 0, "new": 5}
    assert events[4].detail == {"what": "pos", "old": (0.0, 0.0), "new": (10.0, 20.0)}
    assert events[5].wire == wire and events[5].node_id == n.id
    assert events[8].detail["old"] == {ids["xw"]}
    assert events[11].detail == {"name": "grad_enabled", "old": True, "new": False}


def test_unsubscribe(doc):
    d, _ = doc
    events = []
    unsub = d.subscribe(events.append)
    d.add_node("ones")
    unsub()
    d.add_node("ones")
    unsub()  # idempotent
    assert len(events) == 1


def test_remove_node_and_restore(doc):
    d, ids = doc
    d.add_region("frame", [ids["z"], ids["xw"]])
    before = d.to_dict()
    removed = d.remove_node(ids["z"])
    assert removed.node.name == "z" and removed.was_root is False
    assert {(w.src, w.dst) for w in removed.wires} == {(ids["xw"], ids["z"]),
                                                        (ids["b"], ids["z"]),
                                                        (ids["z"], ids["loss"])}
    assert ids["z"] not in d.regions["r1"].members
    assert all(ids["z"] not in (w.src, w.dst) for w in d.wires)
    d.restore_node(removed)
    assert d.to_dict()["wires"] != [] and d == Document.from_dict(d.to_dict())
    assert {n["id"] for n in d.to_dict()["nodes"]} == {n["id"] for n in before["nodes"]}
    assert set(map(str, d.wires)) == {str(Wire(**w)) for w in before["wires"]}
    removed = d.remove_node(ids["loss"])
    assert removed.was_root and d.settings.root is None
    d.restore_node(removed)
    assert d.settings.root == ids["loss"]


def test_undo_of_removals_gives_back_an_identical_document(doc):
    d, ids = doc
    d.add_region("a", [ids["z"]])
    d.add_region("b", [ids["xw"]])
    before = d.to_dict()
    events = record(d)
    # several removals (a node mid-dict, wires mid-list, a region, a single wire), undone in
    # reverse order: nodes, wires and regions come back at their old positions
    at = d.disconnect(Wire(ids["y"], ids["loss"], "target"))
    assert at == 5
    r1 = d.remove_node(ids["xw"])
    r2 = d.remove_node(ids["w"])
    assert (r1.index, r2.index) == (4, 2) and r1.wire_positions == (0, 1, 2)
    region = d.remove_region("r1")
    d.add_region(region.title, region.members, region.rect, region.id, at=0)
    d.restore_node(r2)
    d.restore_node(r1)
    d.connect(ids["y"], ids["loss"], "target", at=at)
    assert d.to_dict() == before and d == Document.from_dict(before)
    assert list(d.nodes) == [n["id"] for n in before["nodes"]]
    assert d.inputs_of(ids["xw"]) == [Wire(ids["x"], ids["xw"], "input"),
                                      Wire(ids["w"], ids["xw"], "other")]
    assert d.topological_order()[:3] == [ids["x"], ids["y"], ids["w"]]
    kinds = [e.kind for e in events]
    assert kinds.count("node_added") == 2 and kinds.count("wire_added") == 4


def test_equality_is_exact_and_content_based(doc):
    d, ids = doc
    other = Document.from_dict(d.to_dict())
    assert other == d and other is not d
    w = Wire(ids["x"], ids["xw"], "input")
    d.disconnect(w)
    d.connect(w.src, w.dst, w.port)  # same wires, another order: not the same document
    assert d != other and sorted(map(str, d.wires)) == sorted(map(str, other.wires))


def test_structure_queries_match_networkx():
    """The queries run on plain dicts (networkx loads only for graph()/layout): the same
    answers as networkx on random DAGs, edited (removals, disconnections) along the way."""
    import random

    import networkx as nx
    rng = random.Random(5)
    for _ in range(25):
        d = Document()
        ids = [d.add_node("ones" if i < 3 else "add", f"v{i}").id for i in range(12)]
        for _ in range(30):
            src, dst = rng.sample(ids, 2)
            port = rng.choice(["input", "other"])
            try:
                d.connect(src, dst, port)
            except (CycleError, PortOccupiedError, InvalidWireError):
                pass
        for _ in range(2):
            if d.wires:
                d.disconnect(rng.choice(d.wires))
        d.remove_node(rng.choice(ids[3:]))
        g = d.graph()
        assert sorted(g.nodes) == sorted(d.nodes)
        assert sorted(g.edges) == sorted({(w.src, w.dst) for w in d.wires})
        rank = {nid: i for i, nid in enumerate(d.nodes)}
        assert d.topological_order() == list(
            nx.lexicographical_topological_sort(g, key=rank.__getitem__))
        for nid in d.nodes:
            assert d.upstream(nid) == nx.ancestors(g, nid)
            assert d.downstream(nid) == nx.descendants(g, nid)
            assert d.inputs_of(nid) == [w for w in d.wires if w.dst == nid]
            assert d.outputs_of(nid) == [w for w in d.wires if w.src == nid]


def test_editing_and_running_a_document_does_not_import_networkx():
    """networkx costs 0.1-0.5 s to import: only graph() and the auto-layout load it."""
    code = (
        "import sys\n"
        "from engine.document import fileformat\n"
        "from engine.document.execution import Executor\n"
        "from pathlib import Path\n"
        "d = fileformat.load(Path('resources/examples/tutorial.json'))\n"
        "ex = Executor(d); ex.forward(); ex.backward()\n"
        "root = d.settings.root\n"
        "d.upstream(root); d.backward_dag(root); d.requires_grad_map()\n"
        "assert 'networkx' not in sys.modules, 'networkx imported'\n"
        "d.graph()\n"
        "assert 'networkx' in sys.modules\n")
    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    r = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_variadic_ports():
    d = Document()
    a, b, c = (d.add_node("ones", params={"shape": [2]}) for _ in range(3))
    cat = d.add_node("cat")
    d.connect(a.id, cat.id, "tensors", 0)
    d.connect(b.id, cat.id, "tensors", 1)
    d.connect(a.id, cat.id, "tensors", 2)  # the same tensor twice is fine
    with pytest.raises(PortOccupiedError):
        d.connect(c.id, cat.id, "tensors", 1)
    with pytest.raises(InvalidWireError):
        d.connect(c.id, cat.id, "tensors", -1)
    assert len(d.inputs_of(cat.id)) == 3


def test_queries(doc):
    d, ids = doc
    order = d.topological_order()
    pos = {nid: i for i, nid in enumerate(order)}
    for w in d.wires:
        assert pos[w.src] < pos[w.dst]
    assert d.upstream(ids["z"]) == {ids["x"], ids["w"], ids["xw"], ids["b"]}
    assert d.downstream(ids["w"]) == {ids["xw"], ids["z"], ids["loss"]}
    assert d.downstream(ids["loss"]) == set()
    g = d.graph()
    assert g.number_of_nodes() == 7 and g.number_of_edges() == 6
    sq = d.add_node("mul")
    d.connect(ids["z"], sq.id, "input")
    d.connect(ids["z"], sq.id, "other")
    assert len(d.graph().edges[ids["z"], sq.id]["wires"]) == 2
    with pytest.raises(UnknownNodeError):
        d.upstream("n99")


def test_backward_dag_tutorial(doc):
    d, ids = doc
    dag = d.backward_dag(ids["loss"])
    assert dag.nodes == {ids[k] for k in ("w", "b", "xw", "z", "loss")}
    assert dag.leaves == {ids["w"], ids["b"]}
    assert {(w.src, w.dst) for w in dag.wires} == {
        (ids["w"], ids["xw"]), (ids["xw"], ids["z"]), (ids["b"], ids["z"]),
        (ids["z"], ids["loss"])}


def test_backward_dag_respects_controls(doc):
    d, ids = doc
    d.set_flag(ids["w"], "requires_grad", False)  # frozen leaf
    assert d.backward_dag(ids["loss"]).leaves == {ids["b"]}
    d.set_flag(ids["w"], "requires_grad", True)
    d.set_flag(ids["z"], "frozen_output", True)  # z.detach()
    assert d.backward_dag(ids["loss"]).nodes == frozenset()
    d.set_flag(ids["z"], "frozen_output", False)
    r = d.add_region("no_grad", [ids["xw"]])
    assert d.backward_dag(ids["loss"]).leaves == {ids["b"]}
    d.remove_region(r.id)
    d.set_setting("grad_enabled", False)
    assert d.backward_dag(ids["loss"]).nodes == frozenset()
    d.set_setting("grad_enabled", True)
    d.set_param(ids["b"], "dtype", "float64")
    assert d.backward_dag(ids["loss"]).leaves == {ids["w"], ids["b"]}
    # integer leaves never require grad; where's condition and nll_loss's target carry none
    e = Document()
    i = e.add_node("arange", requires_grad=True)
    f = e.add_node("tensor", params={"value": [1.5, 2.0]}, requires_grad=True)
    s = e.add_node("mul")
    e.connect(i.id, s.id, "input")
    e.connect(f.id, s.id, "other")
    assert e.backward_dag(s.id).leaves == {f.id}
    assert e.backward_dag(i.id).nodes == frozenset()
    cond = e.add_node("tensor", params={"value": [1.0, 0.0]}, requires_grad=True)
    wh = e.add_node("where")
    e.connect(cond.id, wh.id, "condition")
    e.connect(f.id, wh.id, "input")
    e.connect(f.id, wh.id, "other")
    dag = e.backward_dag(wh.id)
    assert dag.leaves == {f.id} and len(dag.wires) == 2


def test_layered_layout(doc):
    d, ids = doc
    pos = d.layered_layout()
    assert set(pos) == set(d.nodes)
    for w in d.wires:
        assert pos[w.src][0] < pos[w.dst][0]
    xs = sorted({p[0] for p in pos.values()})
    assert len(xs) == 4  # leaves, matmul, add, loss
    column0 = [p for nid, p in pos.items() if p[0] == xs[0]]
    assert len({p[1] for p in column0}) == len(column0)  # no overlap
    assert pos[ids["loss"]][1] == 0.0  # single node layers are centred
    assert Document().layered_layout() == {}


def test_to_dict_round_trip_and_is_plain_json(doc):
    d, ids = doc
    d.add_region("frame", [ids["xw"], ids["z"]], rect=(1, 2, 3, 4))
    d.add_node("tensor", "lit", {"value": [[1, 2], [3, 4]], "dtype": "float64"}, pos=(5, 6))
    d.set_flag(ids["z"], "retain_grad", True)
    d.set_setting("seed", [1.0, 2.0, 3.0])
    d.set_setting("retain_graph", True)
    data = d.to_dict()
    text = json.dumps(data, sort_keys=True)
    assert json.dumps(json.loads(text), sort_keys=True) == text
    again = Document.from_dict(json.loads(text))
    assert again == d and again.to_dict() == data
    assert json.dumps(d.to_dict()) == json.dumps(data)  # deterministic
    copy = d.copy()
    assert copy == d
    copy.set_param(ids["w"], "seed", 9)
    assert copy != d and d.nodes[ids["w"]].params["seed"] == 0
    assert copy.add_node("ones").id == d.add_node("ones").id  # copies keep the id counter


@pytest.mark.parametrize("mutate,typ,path", [
    (lambda d: d.update(extra=1), InvalidDocumentError, None),
    (lambda d: d.update(nodes={}), InvalidDocumentError, "nodes"),
    (lambda d: d["nodes"][1].update(op="conv"), UnknownOpError, "nodes[1].op"),
    (lambda d: d["nodes"][2]["params"].update(shape=[-5]), ParamError, "nodes[2].params.shape"),
    (lambda d: d["nodes"][2]["params"].update(shape=[10**6, 10**6]), ParamError, "nodes[2]"),
    (lambda d: d["nodes"][2]["params"].update(bogus=1), ParamError, "nodes[2].params.bogus"),
    (lambda d: d["nodes"][3].update(name="w"), DuplicateNameError, "nodes[3].name"),
    (lambda d: d["nodes"][3].update(id="n3"), DuplicateNameError, "nodes[3].id"),
    (lambda d: d["nodes"][0].pop("op"), InvalidDocumentError, "nodes[0]"),
    (lambda d: d["nodes"][0].update(requires_grad="yes"), InvalidDocumentError,
     "nodes[0].requires_grad"),
    (lambda d: d["nodes"][0].update(pos=[1]), InvalidDocumentError, "nodes[0].pos"),
    (lambda d: d["wires"][0].update(dst="n99"), UnknownNodeError, "wires[0]"),
    (lambda d: d["wires"].append(dict(d["wires"][0])), PortOccupiedError, "wires[6]"),
    (lambda d: d["wires"].append({"src": "n7", "dst": "n5", "port": "input"}), (
        PortOccupiedError, CycleError), "wires[6]"),
    (lambda d: d["wires"][0].update(index="0"), InvalidDocumentError, "wires[0].index"),
    (lambda d: d["settings"].update(root="n99"), UnknownNodeError, "settings.root"),
    (lambda d: d["settings"].update(grad_enabled=1), ParamError, "settings.grad_enabled"),
    (lambda d: d.update(regions=[{"id": "r1", "members": ["n99"]}]), UnknownNodeError,
     "regions[0]"),
])
def test_from_dict_errors_carry_json_paths(doc, mutate, typ, path):
    d, _ = doc
    data = json.loads(json.dumps(d.to_dict()))
    mutate(data)
    with pytest.raises(typ) as info:
        Document.from_dict(data)
    assert info.value.path == path
    assert str(info.value).startswith(f"{path}: " if path else "")


def test_from_dict_cycle_is_refused(doc):
    d, ids = doc
    data = d.to_dict()
    data["wires"].append({"src": ids["loss"], "dst": ids["w"], "port": "input"})
    with pytest.raises(InvalidWireError):  # sources have no inputs
        Document.from_dict(data)
    data["wires"][-1] = {"src": ids["loss"], "dst": ids["xw"], "port": "input"}
    data["wires"][0] = {"src": ids["loss"], "dst": ids["xw"], "port": "input"}
    data["wires"].pop()
    with pytest.raises(CycleError):
        Document.from_dict(data)


def test_load_and_clear_emit_reset(doc):
    d, _ = doc
    other = Document()
    other.add_node("ones", "q")
    events = record(d)
    d.load(other)
    assert d == other and [e.kind for e in events] == ["reset"]
    assert d.add_node("ones").id not in other.nodes
    d.clear()
    assert not d.nodes and events[-1].kind == "reset"


def test_document_package_imports_no_qt():
    code = ("import sys, engine.document, engine.document.execution; "
            "assert not [m for m in sys.modules if m.startswith(('PySide6', 'PyQt'))]")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_removing_the_root_or_a_region_member_says_so_and_restore_puts_it_back(doc):
    d, ids = doc
    r = d.add_region("no_grad", [ids["loss"], ids["z"]])
    before = d.to_dict()
    events = record(d)
    removed = d.remove_node(ids["loss"])
    assert [e.kind for e in events] == ["node_removed", "region_changed", "settings_changed"]
    assert events[1].region_id == r.id and events[1].detail == {
        "what": "members", "old": {ids["loss"], ids["z"]}, "new": {ids["z"]}}
    assert events[2].detail == {"name": "root", "old": ids["loss"], "new": None}
    assert d.settings.root is None and d.regions[r.id].members == {ids["z"]}
    del events[:]
    d.restore_node(removed)
    kinds = [e.kind for e in events]
    assert kinds[0] == "node_added" and kinds[-2:] == ["region_changed", "settings_changed"]
    assert events[-1].detail["new"] == ids["loss"]
    assert d.to_dict() == before
