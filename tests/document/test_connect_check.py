"""The one connection rule: ``Document.check_connect``, ``occupant``, ``connect(replace=)``
and the layout-only event set (the model API the canvas codes against)."""
from __future__ import annotations

import pytest

from engine.document import (
    LAYOUT_ONLY,
    CycleError,
    DocumentEvent,
    InvalidWireError,
    PortOccupiedError,
    UnknownNodeError,
)
from tests.document.test_model import record, tutorial


@pytest.mark.parametrize("args, error, text", [
    (("n99", "z", "input"), UnknownNodeError, "no node with id 'n99'"),
    (("x", "n99", "input"), UnknownNodeError, "no node with id 'n99'"),
    (("x", "z", "weight"), InvalidWireError, "add has no input 'weight' (inputs: input, other)"),
    (("z", "x", "input"), InvalidWireError, "ones has no input 'input' (inputs: none)"),
    (("x", "loss", "input", 1), InvalidWireError, "invalid slot 1 for input 'input'"),
    (("z", "z", "other"), CycleError, "a node cannot feed itself"),
    (("loss", "xw", "input"), CycleError, "wiring loss -> xw would create a cycle"),
])
def test_check_connect_returns_the_error_connect_raises(args, error, text):
    d, ids = tutorial()
    src, dst, *rest = args
    src, dst = ids.get(src, src), ids.get(dst, dst)
    err = d.check_connect(src, dst, *rest)
    assert type(err) is error and text in err.message
    before = d.to_dict()
    with pytest.raises(error) as raised:
        d.connect(src, dst, *rest)
    assert raised.value.message == err.message
    assert d.to_dict() == before


def test_an_occupied_input_is_not_a_refusal_but_has_an_occupant():
    d, ids = tutorial()
    assert d.check_connect(ids["x"], ids["z"], "other") is None
    occ = d.occupant(ids["z"], "other")
    assert (occ.src, occ.dst, occ.port) == (ids["b"], ids["z"], "other")
    assert d.occupant(ids["xw"], "input", 3) is None and d.occupant("n99", "input") is None
    with pytest.raises(PortOccupiedError, match="input 'other' of z is already connected "
                                                "\\(from b\\)"):
        d.connect(ids["x"], ids["z"], "other")


def test_connect_replace_removes_the_occupant_first():
    d, ids = tutorial()
    events = record(d)
    pos = d.wires.index(d.occupant(ids["z"], "other"))
    new = d.connect(ids["x"], ids["z"], "other", replace=True)
    assert [e.kind for e in events] == ["wire_removed", "wire_added"]
    assert events[0].wire.src == ids["b"] and events[1].wire == new
    assert d.occupant(ids["z"], "other") == new
    assert [w for w in d.inputs_of(ids["z"]) if w.port == "other"] == [new]
    # undo as a command would: the new wire out, the old one back at its position
    d.disconnect(new)
    d.connect(ids["b"], ids["z"], "other", at=pos)
    assert d == tutorial()[0]


def test_replace_on_a_free_input_just_connects():
    d, ids = tutorial()
    n = d.add_node("neg")
    events = record(d)
    d.connect(ids["z"], n.id, "input", replace=True)
    assert [e.kind for e in events] == ["wire_added"]


def test_layout_only_is_defined_once_beside_the_events():
    d, ids = tutorial()
    events = record(d)
    d.move_node(ids["x"], (10, 20))
    r = d.add_region("frame", [ids["z"]])
    d.set_region_rect(r.id, (0, 0, 10, 10))
    d.rename_node(ids["x"], "x0")
    d.set_region_members(r.id, [])
    assert [e.layout_only for e in events] == [True, False, True, False, False]
    assert ("node_changed", "pos") in LAYOUT_ONLY
    assert not DocumentEvent("reset").layout_only
