"""Issue 10: every edit costs O(degree) in the model, opening costs O(N + W). Guarded by
counting operations (Python lines executed in engine/document), never by timing."""
from __future__ import annotations

import sys
from pathlib import Path

from engine.document import Document, fileformat

DOCUMENT = str(Path(fileformat.__file__).parent)


class LineCounter:
    """Counts the lines executed in engine/document while active (loop iterations count:
    a scan over every node or wire shows up as N lines)."""

    def __init__(self) -> None:
        self.lines = 0

    def _trace(self, frame, event, arg):
        if not frame.f_code.co_filename.startswith(DOCUMENT):
            return None
        if event == "line":
            self.lines += 1
        return self._trace

    def __enter__(self):
        self._old = sys.gettrace()
        sys.settrace(self._trace)
        return self

    def __exit__(self, *exc):
        sys.settrace(self._old)


def chain(n: int) -> tuple[Document, list]:
    """n nodes: a leaf, then tanh/add alternating, each add also fed by the leaf; plus a
    stack fed by every tenth node (a node of high degree)."""
    d = Document()
    x = d.add_node("randn", "x", {"shape": [4]}, requires_grad=True)
    ids, prev = [x.id], x.id
    stack = d.add_node("stack", "s")
    k = 0
    for i in range(n):
        node = d.add_node("add" if i % 2 else "tanh")
        d.connect(prev, node.id, "input")
        if i % 2:
            d.connect(x.id, node.id, "other")
        if i % 10 == 0:
            d.connect(node.id, stack.id, "tensors", k)
            k += 1
        ids.append(node.id)
        prev = node.id
    return d, ids


def edit_cost(d: Document, ids: list) -> int:
    """Lines run by a session of typical edits at the end of the graph."""
    last = ids[-1]
    stack = d.node_by_name("s").id
    with LineCounter() as c:
        r = d.add_node("randn")  # auto name and auto seed
        n = d.add_node("mul")
        assert d.check_connect(last, n.id, "input") is None
        d.connect(last, n.id, "input")
        d.connect(r.id, n.id, "other")
        d.occupant(n.id, "other")
        d.connect(n.id, stack, "tensors", 10**6)  # one more wire into the big node
        d.inputs_of(n.id)
        d.outputs_of(last)
        d.rename_node(n.id, "m_last")
        d.node_by_name("m_last")
        d.set_param(r.id, "seed", 10**6)
        d.move_node(n.id, (1.0, 2.0))
        w = d.occupant(n.id, "other")
        d.connect(ids[0], n.id, "other", replace=True)
        d.disconnect(d.occupant(n.id, "other"))
        d.connect(w.src, n.id, "other")
        d.restore_node(d.remove_node(r.id))
        d.remove_node(n.id)
        d.unique_name("tanh")
    return c.lines


def test_an_edit_costs_the_same_in_a_small_and_a_ten_times_larger_document():
    small, large = chain(300), chain(3000)
    a, b = edit_cost(*small), edit_cost(*large)
    assert a > 50  # the counter sees the model's lines
    assert b <= a + 10, (a, b)  # O(degree): no scan over all nodes, names or wires


def test_opening_is_linear_in_the_size_of_the_file():
    texts = [fileformat.dumps(chain(n)[0]) for n in (500, 1000)]
    counts = []
    for text in texts:
        with LineCounter() as c:
            fileformat.loads(text)
        counts.append(c.lines)
    assert 1.8 < counts[1] / counts[0] < 2.2, counts  # O(N + W), not O(N^2)


def test_a_node_fed_by_4000_wires_connects_and_opens_in_o_degree():
    d = Document()
    st = d.add_node("stack", "s")
    leaves = [d.add_node("ones", params={"shape": [2]}).id for _ in range(4000)]
    costs = []
    for i, nid in enumerate(leaves):
        if i in (100, 3999):
            with LineCounter() as c:
                d.connect(nid, st.id, "tensors", i)
            costs.append(c.lines)
        else:
            d.connect(nid, st.id, "tensors", i)
    assert costs[1] <= costs[0] + 5, costs  # the 4000th wire costs what the 100th did
    again = fileformat.loads(fileformat.dumps(d))
    assert [w.src for w in again.inputs_of(st.id)] == leaves
