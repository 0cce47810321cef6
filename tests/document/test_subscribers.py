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


def test_load_copies_unless_told_to_take():
    """Opening a file hands its freshly read document over (take=True: no deep copy of every
    node); loading a document that stays in use copies it, so the two never share a node."""
    src = Document()
    nid = src.add_node("randn", "w", {"shape": (2,)}).id
    kept = Document()
    kept.load(src)
    assert kept.nodes[nid] is not src.nodes[nid] and kept.nodes[nid] == src.nodes[nid]
    taken = Document()
    taken.load(src, take=True)
    assert taken.nodes[nid] is src.nodes[nid]
    assert taken.node_by_name("w").id == nid  # the indexes are rebuilt either way
