"""Auto-layout keeps a module group's nodes together: contiguous rows in every column."""
from __future__ import annotations

from engine.document.model import Document


def _doc():
    doc = Document()
    ids = {}
    for name in ("a1", "b1", "a2", "b2"):  # document order interleaves the two modules
        ids[name] = doc.add_node("ones", name=name, params={"shape": [2]}).id
    for m in ("a", "b"):
        ids[m + "s"] = doc.add_node("add", name=m + "_sum").id
        doc.connect(ids[m + "1"], ids[m + "s"], "input")
        doc.connect(ids[m + "2"], ids[m + "s"], "other")
    return doc, ids


def _rows(pos, ids, names):
    return sorted(names, key=lambda n: pos[ids[n]][1])


def test_without_groups_the_column_follows_document_order():
    doc, ids = _doc()
    pos = doc.layered_layout()
    assert _rows(pos, ids, ["a1", "b1", "a2", "b2"]) == ["a1", "b1", "a2", "b2"]


def test_a_module_groups_members_take_contiguous_rows_nested_inside_their_parent():
    doc, ids = _doc()
    outer = doc.add_region("model · M()", [ids[n] for n in ("a1", "a2", "as", "b1")],
                           kind="module")
    doc.add_region("model.a · A()", [ids[n] for n in ("a1", "a2", "as")], kind="module")
    doc.add_region("model.b · B()", [ids[n] for n in ("b2", "bs")], kind="module")
    pos = doc.layered_layout()
    col0 = _rows(pos, ids, ["a1", "b1", "a2", "b2"])
    # model.a's two leaves are neighbours, inside model's block (a1, a2, b1); b2 outside it
    assert col0.index("a2") - col0.index("a1") == 1
    assert sorted(col0[:3]) == ["a1", "a2", "b1"] and col0[3] == "b2"
    assert outer.id in doc.regions
    # every node still gets its own cell
    assert len({tuple(p) for p in pos.values()}) == len(doc.nodes)


def test_a_modules_parameter_sits_just_before_its_first_consumer():
    doc = Document()
    x = doc.add_node("ones", name="x", params={"shape": [2]})
    e = doc.add_node("exp", name="e")
    doc.connect(x.id, e.id, "input")
    w = doc.add_node("ones", name="w", params={"shape": [2]}, requires_grad=True)
    z = doc.add_node("mul", name="z")
    doc.connect(e.id, z.id, "input")
    doc.connect(w.id, z.id, "other")
    pos = doc.layered_layout()
    assert pos[w.id][0] == pos[x.id][0]  # no groups: every source in the first column
    doc.add_region("head · Scale()", [w.id, z.id], kind="module")
    pos = doc.layered_layout()
    assert pos[w.id][0] == pos[e.id][0] == pos[z.id][0] - 240.0
