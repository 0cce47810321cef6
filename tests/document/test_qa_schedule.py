"""``Executor.backward_schedule`` is the order torch's engine really runs the grad_fns,
including ties between AccumulateGrad nodes (all share one sequence number): once 4+ are
ready together torch's heap does not hand them out first-in first-out."""
from __future__ import annotations

import pytest

from engine.document import Document
from engine.document.execution import Executor


def torch_order(torch, doc, ex):
    """Runs ``doc`` in torch on the engine's leaf values and records (grad_fn name, node id)
    in the order torch's engine calls the grad_fns (node pre-hooks)."""
    lv = {nid: ex.leaf(nid).detach().numpy() for nid in doc.nodes if ex.leaf(nid) is not None}
    tx = Executor(doc, torch, leaf_values=lv)
    tx.forward()
    owner = tx._owners()
    root = tx.results[doc.settings.root].value
    seen, stack, visited = [], [root.grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn in visited:
            continue
        visited.add(fn)

        def hook(_g, fn=fn):
            var = getattr(fn, "variable", None)
            seen.append((type(fn).__name__,
                         owner.get(id(var)) if var is not None else owner.get(id(fn))))
        fn.register_prehook(hook)
        stack.extend(f for f, _ in fn.next_functions if f is not None)
    root.backward(torch.ones_like(root))
    return seen


def variadic_doc(n: int, op: str) -> Document:
    d = Document()
    leaves = [d.add_node("randn", f"a{i}", {"shape": [2], "seed": i}, requires_grad=True)
              for i in range(n)]
    s = d.add_node(op, "s")
    for i, leaf in enumerate(leaves):
        d.connect(leaf.id, s.id, "tensors", i)
    r = d.add_node("sum", "r")
    d.connect(s.id, r.id, "input")
    d.set_setting("root", r.id)
    return d


@pytest.mark.parametrize("op", ["stack", "cat"])
@pytest.mark.parametrize("n", [3, 4, 5, 6, 9])
def test_many_leaves_ready_at_once_follow_torchs_heap(torch, op, n):
    d = variadic_doc(n, op)
    ex = Executor(d)
    ex.forward()
    sched = ex.backward_schedule()
    assert [nid for name, nid in sched if name == "AccumulateGrad"] != [] and \
        sched == torch_order(torch, d, ex)
    assert ex.backward() is None  # the schedule left the graph intact


def test_leaves_ready_at_different_times(torch):
    """a*b + c*d + (e - f) * g + h: products free leaves in pairs, interleaved with ops."""
    d = Document()
    names = "abcdefgh"
    ids = {k: d.add_node("randn", k, {"shape": [3], "seed": i}, requires_grad=True).id
           for i, k in enumerate(names)}

    def op(key, name, x, y):
        nid = d.add_node(key, name).id
        d.connect(x, nid, "input")
        d.connect(y, nid, "other")
        return nid
    ab = op("mul", "ab", ids["a"], ids["b"])
    cd = op("mul", "cd", ids["c"], ids["d"])
    ef = op("sub", "ef", ids["e"], ids["f"])
    efg = op("mul", "efg", ef, ids["g"])
    s1 = op("add", "s1", ab, cd)
    s2 = op("add", "s2", s1, efg)
    s3 = op("add", "s3", s2, ids["h"])
    d.set_setting("root", s3)
    ex = Executor(d)
    ex.forward()
    assert ex.backward_schedule() == torch_order(torch, d, ex)
