"""Issue 10, canvas and window side: costs counted, not timed.

A real MainWindow on chains of 500 and 2,000 nodes: opening builds every item once (no second
layout, no quadratic step), an edit of one leaf updates exactly the nodes the incremental
forward recomputed (and their wires), a backward only the leaves whose .grad it wrote. The
counts are made by instrumenting the items' methods, so they hold on any machine.
"""
from __future__ import annotations

from collections import Counter

import pytest

from engine.document.model import Document
from widgets.canvas import textcache
from widgets.canvas.items import NodeItem, WireItem

pytestmark = pytest.mark.gui

TAIL = 5  # ops after the second leaf joins the chain


def chain_data(n: int) -> dict:
    """leaf a -> tanh ... tanh -> add(., b) -> tanh x TAIL: n nodes. Editing b recomputes
    b, the add and the tail; editing a recomputes everything after it."""
    body = n - 3 - TAIL
    nodes = [{"id": "a", "op": "randn", "name": "a", "params": {"shape": [3], "seed": 1},
              "pos": [0, 0], "requires_grad": True}]
    wires = []
    prev = "a"
    for i in range(body):
        nid = f"t{i}"
        nodes.append({"id": nid, "op": "tanh", "name": f"h{i}", "params": {},
                      "pos": [(i + 1) * 230.0, (i % 7) * 40.0]})
        wires.append({"src": prev, "dst": nid, "port": "input"})
        prev = nid
    x = (body + 1) * 230.0
    nodes.append({"id": "b", "op": "randn", "name": "b", "params": {"shape": [3], "seed": 2},
                  "pos": [x, 300], "requires_grad": True})
    nodes.append({"id": "s", "op": "add", "name": "s", "params": {}, "pos": [x + 230, 0]})
    wires += [{"src": prev, "dst": "s", "port": "input"},
              {"src": "b", "dst": "s", "port": "other"}]
    prev = "s"
    for k in range(TAIL):
        nid = f"u{k}"
        nodes.append({"id": nid, "op": "tanh", "name": f"y{k}", "params": {},
                      "pos": [x + 230 * (k + 2), 0]})
        wires.append({"src": prev, "dst": nid, "port": "input"})
        prev = nid
    assert len(nodes) == n
    return {"nodes": nodes, "wires": wires}


class Calls:
    """Counts calls of the instrumented item methods (the real method still runs)."""

    def __init__(self, monkeypatch):
        self.n = Counter()
        for cls, names in ((NodeItem, ("__init__", "relayout", "set_result", "update")),
                           (WireItem, ("__init__", "update_path", "set_carries_grad"))):
            for name in names:
                self._wrap(monkeypatch, cls, name)

    def _wrap(self, monkeypatch, cls, name):
        orig = getattr(cls, name)
        key = f"{cls.__name__}.{name}"

        def counted(item, *a, **k):
            self.n[key] += 1
            return orig(item, *a, **k)
        monkeypatch.setattr(cls, name, counted)

    def take(self) -> Counter:
        out, self.n = self.n, Counter()
        return out


def open_chain(make_window, n):
    w = make_window(tutorial=False, document=Document.from_dict(chain_data(n)),
                    autosave_enabled=False)
    w.refresh_results()
    return w


@pytest.mark.parametrize("n", [500, 2000])
def test_open_lays_every_node_out_once(make_window, monkeypatch, n):
    calls = Calls(monkeypatch)
    measured = textcache.measured()
    w = open_chain(make_window, n)
    c = calls.take()
    assert w.scene.build_count == 1
    assert c["NodeItem.__init__"] == n and c["WireItem.__init__"] == n - 1
    # one layout per node: built with its result, not laid out again when results arrive
    assert c["NodeItem.relayout"] == n
    assert c["NodeItem.set_result"] == 0
    assert c["WireItem.update_path"] == n - 1  # each wire routed once
    # text is measured per distinct (font, text, width), not per node: the same handful
    # of titles, shapes and grad_fn names for 500 or 2,000 nodes
    assert textcache.measured() - measured <= 40


@pytest.mark.parametrize("n", [500, 2000])
def test_edit_one_leaf_updates_only_what_forward_recomputed(make_window, monkeypatch, n):
    w = open_chain(make_window, n)
    calls = Calls(monkeypatch)
    w.set_param("b", "seed", 7)
    w.refresh_results()
    c = calls.take()
    changed = set(w.executor().last_recomputed)
    assert changed == {"b", "s", *(f"u{k}" for k in range(TAIL))}
    assert c["NodeItem.set_result"] == len(changed) == TAIL + 2  # not n
    assert c["NodeItem.relayout"] <= len(changed)
    # the wires at the changed nodes only: b->s, t_last->s, and the tail's
    assert c["WireItem.set_carries_grad"] <= 2 + TAIL + 1
    assert c["NodeItem.update"] <= 2 * len(changed) + 2
    # the canvas shows the new value: the items hold the executor's new results
    for nid in changed:
        assert w.scene.node_item(nid).result is w.results()[nid]

    # the first leaf: everything downstream of it, still no more than that
    w.set_param("a", "seed", 9)
    w.refresh_results()
    c = calls.take()
    assert c["NodeItem.set_result"] == len(w.executor().last_recomputed) == n - 1


@pytest.mark.parametrize("n", [500, 2000])
def test_backward_updates_only_the_leaves_it_wrote(make_window, monkeypatch, n):
    w = open_chain(make_window, n)
    root = f"u{TAIL - 1}"
    calls = Calls(monkeypatch)
    assert w.autograd.backward(root) is None
    c = calls.take()
    assert set(w.executor().last_grad_changed) == {"a", "b"}
    assert c["NodeItem.set_result"] == 2
    assert w.scene.node_item("a").grad_array() is not None

    w.autograd.zero_grads()
    c = calls.take()
    assert c["NodeItem.set_result"] == 2


def test_code_tab_of_a_large_document_follows_edits_once_they_pause(make_window, qtbot):
    w = open_chain(make_window, 2500)
    w.code_dock.show()
    w.code_dock.raise_()
    qtbot.waitUntil(w.code_view.is_shown)
    before = w.code_view.text()
    built = w.code_view.build_count
    for seed in (3, 4, 5):  # a burst of edits, each shown on the canvas at once
        w.set_param("b", "seed", seed)
        w.refresh_results()
        assert w.scene.node_item("b").result is w.results()["b"]
    assert w.code_view.build_count == built  # not one script export per edit
    qtbot.waitUntil(lambda: w.code_view.build_count == built + 1, timeout=5000)
    assert w.code_view.text() != before  # the script of the last edit
