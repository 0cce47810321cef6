"""A subscriber that raises never costs the document its other subscribers or its caller."""
from __future__ import annotations

import sys

from engine.document.model import Document


def test_a_raising_subscriber_reaches_the_excepthook_and_the_others_still_hear(monkeypatch):
    d = Document()
    hooked, heard = [], []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: hooked.append(exc[0]))

    def broken(ev):
        raise OverflowError("a view could not show this value")

    d.subscribe(broken)
    d.subscribe(lambda ev: heard.append(ev.kind))
    nid = d.add_node("transpose").id  # returns normally: the caller records its undo step
    d.set_param(nid, "dim0", 1)
    assert d.nodes[nid].params["dim0"] == 1
    assert heard == ["node_added", "node_changed"]
    assert hooked == [OverflowError, OverflowError]
