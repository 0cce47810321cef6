"""Module groups in the document: a region of kind "module" (label, members, collapsed) that
is saved and loaded, and changes nothing in execution or in the exported code."""
from __future__ import annotations

import pytest

from engine.document import Document, ParamError, export, fileformat
from engine.document.execution import Executor


def small() -> tuple[Document, str]:
    doc = Document()
    w = doc.add_node("tensor", "w", {"value": [1.0, 2.0]}, requires_grad=True)
    m = doc.add_node("mul", "h", {"scalar": 3})
    doc.connect(w.id, m.id, "input")
    s = doc.add_node("sum", "loss")
    doc.connect(m.id, s.id, "input")
    doc.set_setting("root", s.id)
    r = doc.add_region("model.0 · Scale()", {w.id, m.id}, kind="module")
    return doc, r.id


def test_a_module_group_is_saved_loaded_and_collapsible():
    doc, rid = small()
    events = []
    doc.subscribe(events.append)
    doc.set_region_collapsed(rid, True)
    assert doc.regions[rid].collapsed and events[-1].detail == {"what": "collapsed"}
    data = doc.to_dict()
    assert data["regions"][0]["kind"] == "module" and data["regions"][0]["collapsed"] is True
    back = fileformat.loads(fileformat.dumps(doc))
    assert back == doc and back.regions[rid].collapsed
    with pytest.raises(ParamError, match="unknown region kind 'modules'"):
        doc.add_region("x", kind="modules")
    with pytest.raises(ParamError, match="collapsed: expected true or false"):
        doc.set_region_collapsed(rid, "yes")


def test_no_grad_regions_keep_their_file_form():
    doc = Document()
    x = doc.add_node("ones", "x", {"shape": [2]})
    doc.add_region("eval", {x.id})
    assert "collapsed" not in doc.to_dict()["regions"][0]


def test_a_module_group_changes_nothing_in_execution_or_export():
    doc, rid = small()
    h = doc.node_by_name("h").id
    assert not doc.in_no_grad(h)
    ex = Executor(doc)
    ex.forward()
    assert ex.results[h].grad_fn == "MulBackward0"
    assert ex.backward() is None
    assert ex.grads()[doc.node_by_name("w").id].tolist() == [3.0, 3.0]
    assert "no_grad" not in export.to_script(doc)
