"""Undo commands on the document model: each redo/undo pair restores the document exactly."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QUndoStack

from app import commands as C
from engine.document.errors import CycleError, DuplicateNameError, ParamError, UnknownOpError
from engine.document.model import Document, Wire


def canon(doc: Document) -> dict:
    """Content without insertion order (undo re-adds a node at the end of the dict)."""
    d = doc.to_dict()
    d["nodes"] = sorted(d["nodes"], key=lambda n: n["id"])
    d["wires"] = sorted(d["wires"], key=lambda w: (w["dst"], w["port"], w["index"], w["src"]))
    d["regions"] = sorted(d["regions"], key=lambda r: r["id"])
    return d


@pytest.fixture
def doc():
    d = Document()
    d.add_node("ones", "x", {"shape": (5,)}, (0, 0), node_id="n1")
    d.add_node("randn", "w", {"shape": (5, 3)}, (0, 200), requires_grad=True, node_id="n2")
    d.add_node("matmul", "xw", None, (300, 0), node_id="n3")
    d.add_node("relu", "h", None, (600, 0), node_id="n4")
    d.connect("n1", "n3", "input")
    d.connect("n2", "n3", "other")
    d.connect("n3", "n4", "input")
    return d


@pytest.fixture
def stack():
    s = QUndoStack()
    yield s
    s.clear()


def run(stack, doc, cmd):
    """Execute, then check undo gives `before` back and redo gives `after` back."""
    before = canon(doc)
    C.execute(stack, cmd)
    after = canon(doc)
    stack.undo()
    assert canon(doc) == before
    stack.redo()
    assert canon(doc) == after
    return cmd


def test_add_node_keeps_its_id_and_name_on_redo(stack, doc):
    cmd = run(stack, doc, C.AddNode(doc, "exp", pos=(10, 20)))
    assert cmd.node_id in doc.nodes
    node = doc.nodes[cmd.node_id]
    assert node.op == "exp" and node.pos == (10.0, 20.0)
    assert stack.count() == 1 and stack.undoText() == "Add exp"


def test_remove_nodes_restores_wires_flags_regions_and_root(stack, doc):
    doc.set_flag("n3", "retain_grad", True)
    doc.set_setting("root", "n3")
    doc.add_region("no_grad", {"n3", "n4"})
    run(stack, doc, C.RemoveNodes(doc, ["n3"]))
    assert "n3" not in doc.nodes
    stack.undo()
    assert doc.nodes["n3"].retain_grad
    assert doc.settings.root == "n3"
    assert "n3" in next(iter(doc.regions.values())).members
    assert len(doc.wires) == 3


def test_remove_two_connected_nodes_and_a_single_wire(stack, doc):
    w = Wire("n2", "n3", "other")
    run(stack, doc, C.RemoveNodes(doc, ["n3", "n4"], [w]))
    assert set(doc.nodes) == {"n1", "n2"} and doc.wires == []
    run(stack, doc, C.RemoveNodes(doc, [], [Wire("n9", "n9", "input")]))  # nothing: no-op


def test_connect_replaces_the_wire_on_an_occupied_input(stack, doc):
    doc.add_node("ones", "x2", {"shape": (5,)}, node_id="n5")
    cmd = run(stack, doc, C.Connect(doc, "n5", "n3", "input"))
    assert Wire("n5", "n3", "input") in doc.wires
    assert Wire("n1", "n3", "input") not in doc.wires
    assert cmd.replaced == Wire("n1", "n3", "input")


def test_refused_connect_changes_nothing_and_is_not_pushed(stack, doc):
    before = canon(doc)
    with pytest.raises(CycleError):
        C.execute(stack, C.Connect(doc, "n4", "n3", "input"))  # h -> xw: a cycle
    assert canon(doc) == before  # the replaced wire went back
    assert stack.count() == 0


def test_disconnect_and_move(stack, doc):
    run(stack, doc, C.Disconnect(doc, Wire("n3", "n4", "input")))
    assert Wire("n3", "n4", "input") not in doc.wires
    run(stack, doc, C.MoveNodes(doc, {"n1": ((0, 0), (50, 60)), "n2": ((0, 200), (5, 5))}))
    assert doc.nodes["n1"].pos == (50.0, 60.0) and doc.nodes["n2"].pos == (5.0, 5.0)


def test_set_param_merges_consecutive_edits_of_one_field(stack, doc):
    C.execute(stack, C.SetParam(doc, "n1", "shape", (4,)))
    C.execute(stack, C.SetParam(doc, "n1", "shape", (3,)))
    C.execute(stack, C.SetParam(doc, "n1", "shape", (2,)))
    assert stack.count() == 1 and doc.nodes["n1"].params["shape"] == (2,)
    stack.undo()
    assert doc.nodes["n1"].params["shape"] == (5,)
    stack.redo()
    C.execute(stack, C.SetParam(doc, "n2", "seed", 7))  # another field: a new step
    assert stack.count() == 2


def test_set_param_back_to_the_original_value_drops_the_step(stack, doc):
    C.execute(stack, C.SetParam(doc, "n1", "shape", (4,)))
    C.execute(stack, C.SetParam(doc, "n1", "shape", (5,)))
    assert stack.count() == 0 and doc.nodes["n1"].params["shape"] == (5,)


def test_no_merge_across_a_save(stack, doc):
    C.execute(stack, C.SetParam(doc, "n1", "shape", (4,)))
    stack.setClean()
    C.execute(stack, C.SetParam(doc, "n1", "shape", (3,)))
    assert stack.count() == 2
    stack.undo()
    assert stack.isClean() and doc.nodes["n1"].params["shape"] == (4,)


def test_bad_param_is_refused_with_the_models_error(stack, doc):
    with pytest.raises(ParamError):
        C.execute(stack, C.SetParam(doc, "n1", "shape", (-3,)))
    assert stack.count() == 0


def test_rename_flag_and_setting(stack, doc):
    run(stack, doc, C.Rename(doc, "n4", "hidden"))
    assert doc.nodes["n4"].name == "hidden"
    with pytest.raises(DuplicateNameError):
        C.execute(stack, C.Rename(doc, "n4", "x"))
    run(stack, doc, C.SetFlag(doc, "n2", "requires_grad", False))
    assert doc.nodes["n2"].requires_grad is False
    run(stack, doc, C.SetSetting(doc, "root", "n4"))
    assert doc.settings.root == "n4"


def test_regions(stack, doc):
    add = run(stack, doc, C.AddRegion(doc, "no_grad", {"n3"}))
    assert doc.regions[add.region_id].members == {"n3"}
    run(stack, doc, C.RemoveRegion(doc, add.region_id))
    assert doc.regions == {}


def test_paste_keeps_internal_wires_and_finds_free_names(stack, doc):
    frag = {"nodes": [n for n in doc.to_dict()["nodes"] if n["id"] in ("n1", "n3")],
            "wires": [w for w in doc.to_dict()["wires"]]}
    cmd = run(stack, doc, C.Paste(doc, frag, (40, 40)))
    assert len(cmd.new_ids) == 2 and not set(cmd.new_ids) & {"n1", "n3"}
    names = {doc.nodes[i].name for i in cmd.new_ids}
    assert names == {"x_1", "xw_1"}
    new_x, new_xw = cmd.id_map["n1"], cmd.id_map["n3"]
    assert Wire(new_x, new_xw, "input") in doc.wires  # the wire between them came along
    assert not [w for w in doc.wires if w.dst == new_xw and w.port == "other"]  # w did not
    assert doc.nodes[new_x].pos == (40.0, 40.0)


def test_paste_rolls_back_when_a_node_is_refused(stack, doc):
    before = canon(doc)
    frag = {"nodes": [{"id": "a", "op": "exp", "name": "e"},
                      {"id": "b", "op": "no_such_op", "name": "bad"}], "wires": []}
    with pytest.raises(UnknownOpError):
        C.execute(stack, C.Paste(doc, frag))
    assert canon(doc) == before and stack.count() == 0


def test_macro_is_one_step_and_rolls_back(stack, doc):
    m = C.Macro(doc, "two", [C.Rename(doc, "n4", "a"), C.Rename(doc, "n1", "b")])
    run(stack, doc, m)
    assert stack.count() == 1
    before = canon(doc)
    bad = C.Macro(doc, "bad", [C.Rename(doc, "n2", "c"), C.Rename(doc, "n3", "b")])  # b taken
    with pytest.raises(DuplicateNameError):
        C.execute(stack, bad)
    assert canon(doc) == before


def test_unique_name():
    d = Document()
    d.add_node("exp", "e")
    d.add_node("exp", "e_1")
    assert C.unique_name(d, "e") == "e_2"
    assert C.unique_name(d, "free") == "free"
    assert C.unique_name(d, None) is None


def test_a_frozen_parameter_stays_frozen_through_delete_undo_and_paste(stack, doc):
    """Fine-tuning's frozen w is the model's `frozen` flag: undo and paste must carry it."""
    doc.set_flag("n2", "frozen", True)
    frag = {"nodes": [n for n in doc.to_dict()["nodes"] if n["id"] == "n2"], "wires": []}
    run(stack, doc, C.RemoveNodes(doc, ["n2"], []))
    stack.undo()
    assert doc.is_frozen("n2")
    cmd = run(stack, doc, C.Paste(doc, frag, (40, 40)))
    assert doc.is_frozen(cmd.id_map["n2"])
