"""Executing documents: values, grad_fns and grads as the same code gives on the engine and in
torch; regions, flags, the global mode; accumulation; errors; incremental recomputation."""
from __future__ import annotations

import numpy as np
import pytest

import engine
import engine.nn.functional as EF
from engine.document import Document
from engine.document.execution import Executor

from .test_model import tutorial


def arr(t):
    return t.detach().numpy()


@pytest.fixture
def tut():
    d, ids = tutorial()
    return d, ids, Executor(d)


def direct(lib, w0, b0, no_grad_matmul=False):
    """The tutorial written directly against lib (engine or torch) from the same values."""
    x, y = lib.ones(5), lib.zeros(3)
    w = lib.tensor(w0, requires_grad=True)
    b = lib.tensor(b0, requires_grad=True)
    if no_grad_matmul:
        with lib.no_grad():
            xw = lib.matmul(x, w)
    else:
        xw = lib.matmul(x, w)
    z = xw + b
    loss = lib.nn.functional.binary_cross_entropy_with_logits(z, y)
    return {"x": x, "y": y, "w": w, "b": b, "xw": xw, "z": z, "loss": loss}


def test_tutorial_forward_metadata(tut):
    d, ids, ex = tut
    res = ex.forward()
    z, loss, w, x = (res[ids[k]] for k in ("z", "loss", "w", "x"))
    assert z.grad_fn == "AddBackward0" and z.shape == (3,) and z.dtype == "torch.float32"
    assert loss.grad_fn == "BinaryCrossEntropyWithLogitsBackward0" and loss.shape == ()
    assert loss.next_functions == [("AddBackward0", 0), (None, 0)]
    assert z.next_functions[1] == ("AccumulateGrad", 0)
    assert w.is_leaf and w.requires_grad and w.grad_fn is None and w.grad is None
    assert x.is_leaf and not x.requires_grad
    assert all(r.error is None and r.blocked_by is None for r in res.values())
    # the leaf values are the catalog's seeded randn
    np.testing.assert_array_equal(arr(w.value), arr(engine.randn(
        5, 3, generator=engine.Generator().manual_seed(0))))


def test_tutorial_grads_match_engine_and_torch(tut, torch):
    d, ids, ex = tut
    ex.forward()
    assert ex.backward() is None  # root from the settings
    w0, b0 = arr(ex.results[ids["w"]].value), arr(ex.results[ids["b"]].value)
    for lib in (engine, torch):
        ref = direct(lib, w0, b0)
        ref["loss"].backward()
        for k in ("z", "loss"):
            np.testing.assert_allclose(arr(ex.results[ids[k]].value), arr(ref[k]), rtol=1e-6)
            assert ex.results[ids[k]].grad_fn == type(ref[k].grad_fn).__name__
        for k in ("w", "b"):
            np.testing.assert_allclose(arr(ex.results[ids[k]].grad), arr(ref[k].grad),
                                       rtol=1e-6)
    g = arr(ex.results[ids["w"]].grad)
    assert np.allclose(g, g[0])  # five equal rows, as the tutorial says
    assert ex.results[ids["w"]].grad_count == 1 and ex.results[ids["x"]].grad is None


def test_executor_on_torch_itself_agrees(tut, torch):
    """The executor is module-agnostic: on torch with the engine's leaf values it gives
    torch's grad_fn names, values and grads."""
    d, ids, ex = tut
    ex.forward()
    ex.backward()
    assert_same_as_torch(d, ex, torch, ids["loss"])


def test_no_grad_region(tut, torch):
    d, ids, ex = tut
    d.add_region("no_grad", [ids["xw"]])
    res = ex.forward()
    assert not res[ids["xw"]].requires_grad and res[ids["xw"]].grad_fn is None
    assert res[ids["z"]].grad_fn == "AddBackward0"  # b still requires grad
    assert ex.backward() is None
    assert res[ids["w"]].grad is None
    ref = direct(torch, arr(ex.leaf(ids["w"])), arr(ex.leaf(ids["b"])), no_grad_matmul=True)
    ref["loss"].backward()
    assert ref["w"].grad is None
    np.testing.assert_allclose(arr(res[ids["b"]].grad), arr(ref["b"].grad), rtol=1e-6)
    assert d.backward_dag(ids["loss"]).leaves == {ids["b"]}
    assert_same_as_torch(d, ex, torch, ids["loss"])


def test_global_grad_mode_off(tut):
    d, ids, ex = tut
    d.set_setting("grad_enabled", False)
    res = ex.forward()
    assert not res[ids["z"]].requires_grad and res[ids["w"]].requires_grad  # leaves keep it
    assert ex.backward() == ("element 0 of tensors does not require grad and does not have a "
                             "grad_fn")
    d.set_setting("grad_enabled", True)
    assert ex.forward()[ids["z"]].grad_fn == "AddBackward0"
    assert engine.is_grad_enabled()  # the executor restores the caller's mode


def test_frozen_leaf(tut, torch):
    d, ids, ex = tut
    d.set_flag(ids["w"], "requires_grad", False)  # fine-tuning: w frozen, b trains
    res = ex.forward()
    assert not res[ids["w"]].requires_grad
    assert res[ids["z"]].next_functions[1] == ("AccumulateGrad", 0)
    assert ex.backward() is None
    assert res[ids["w"]].grad is None and res[ids["b"]].grad is not None
    assert_same_as_torch(d, ex, torch, ids["loss"])


def test_detach_node_and_frozen_output(tut, torch):
    d, ids, ex = tut
    det = d.add_node("detach", "z_det")
    d.connect(ids["z"], det.id, "input")
    res = ex.forward()
    assert not res[det.id].requires_grad and res[det.id].is_leaf
    np.testing.assert_array_equal(arr(res[det.id].value), arr(res[ids["z"]].value))
    d.set_flag(ids["z"], "frozen_output", True)
    res = ex.forward()
    assert not res[ids["z"]].requires_grad
    assert not res[ids["loss"]].requires_grad
    err = ex.backward()
    with pytest.raises(RuntimeError) as info:
        torch.ones(2).sum().backward()
    assert err == str(info.value)


def test_accumulation_second_backward_and_zero_grad(torch):
    """The tutorial's optional part: eye(4, 5), out = (inp + 1).pow(2).t(), ones seed."""
    d = Document()
    inp = d.add_node("eye", "inp", {"n": 4, "m": 5}, requires_grad=True)
    a = d.add_node("add", "a", {"scalar": 1})
    p = d.add_node("pow", "p", {"scalar": 2})
    out = d.add_node("t", "out")
    d.connect(inp.id, a.id, "input")
    d.connect(a.id, p.id, "input")
    d.connect(p.id, out.id, "input")
    d.set_setting("root", out.id)
    ex = Executor(d)
    ex.forward()
    ti = torch.eye(4, 5, requires_grad=True)
    tout = (ti + 1).pow(2).t()
    assert ex.results[out.id].grad_fn == type(tout.grad_fn).__name__ == "TBackward0"
    grads = []
    for _ in range(2):
        assert ex.backward(retain_graph=True) is None
        tout.backward(torch.ones_like(tout), retain_graph=True)
        grads.append(arr(ex.results[inp.id].grad).copy())
        np.testing.assert_allclose(grads[-1], ti.grad.numpy())
    np.testing.assert_allclose(grads[1], 2 * grads[0])  # accumulation
    assert ex.results[inp.id].grad_count == 2
    ex.zero_grad(inp.id)
    ti.grad.zero_()
    assert ex.results[inp.id].grad_count == 0
    assert ex.backward(retain_graph=False) is None
    tout.backward(torch.ones_like(tout))
    np.testing.assert_allclose(arr(ex.results[inp.id].grad), ti.grad.numpy())
    err = ex.backward()  # the graph is spent
    with pytest.raises(RuntimeError) as info:
        tout.backward(torch.ones_like(tout))
    assert err == str(info.value) and err.startswith("Trying to backward through the graph")
    # a new forward rebuilds the graph; the leaf keeps its value and its grad
    before = arr(ex.results[inp.id].grad).copy()
    old_fn = ex.results[out.id].value.grad_fn
    ex.forward()
    assert ex.results[out.id].value.grad_fn is not old_fn
    assert ex.backward() is None
    np.testing.assert_allclose(arr(ex.results[inp.id].grad), 2 * before)
    ex.zero_grad(set_to_none=True)
    assert ex.results[inp.id].grad is None


def test_seed_gradient_and_implicit_error(torch):
    d = Document()
    x = d.add_node("tensor", "x", {"value": [1.0, 2.0, 3.0]}, requires_grad=True)
    y = d.add_node("mul", "y", {"scalar": 3})
    d.connect(x.id, y.id, "input")
    ex = Executor(d)
    ex.forward()
    assert ex.backward(y.id, seed=[1.0, 0.5, 2.0], retain_graph=True) is None
    np.testing.assert_allclose(arr(ex.results[x.id].grad), [3.0, 1.5, 6.0])
    err = ex.backward(y.id, seed=None)
    with pytest.raises(RuntimeError) as info:
        (torch.tensor([1.0, 2.0], requires_grad=True) * 3).backward()
    assert err == str(info.value) == "grad can be implicitly created only for scalar outputs"
    d.set_setting("seed", [1.0, 1.0])
    err = ex.backward(y.id)
    assert err.startswith("Mismatch in shape")
    assert ex.backward("n99") == "no node with id 'n99'" and ex.backward() is not None


def test_retain_grad_node(tut, torch):
    d, ids, ex = tut
    d.set_flag(ids["z"], "retain_grad", True)
    ex.forward()
    ex.backward()
    ref = direct(torch, arr(ex.leaf(ids["w"])), arr(ex.leaf(ids["b"])))
    ref["z"].retain_grad()
    ref["loss"].backward()
    np.testing.assert_allclose(arr(ex.results[ids["z"]].grad), arr(ref["z"].grad), rtol=1e-6)
    assert ex.results[ids["z"]].grad_count == 1 and ex.results[ids["xw"]].grad is None
    # retain_grad on a tensor that does not require grad: torch's error, on the node
    d.set_flag(ids["y"], "retain_grad", True)
    res = ex.forward()
    with pytest.raises(RuntimeError) as info:
        torch.zeros(3).retain_grad()
    assert res[ids["y"]].error is None  # a leaf: retain_grad is a no-op there
    d.set_flag(ids["w"], "requires_grad", False)
    d.set_flag(ids["xw"], "retain_grad", True)
    res = ex.forward()
    assert res[ids["xw"]].error == f"xw: {info.value}"


def test_errors_name_the_node_and_block_downstream(tut, torch):
    d, ids, ex = tut
    d.set_param(ids["w"], "shape", [4, 3])
    res = ex.forward()
    with pytest.raises(RuntimeError) as info:
        torch.matmul(torch.ones(5), torch.randn(4, 3))
    assert res[ids["xw"]].error == f"xw: {info.value}"
    assert res[ids["xw"]].error == "xw: mat1 and mat2 shapes cannot be multiplied (1x5 and 4x3)"
    assert res[ids["xw"]].value is None and res[ids["xw"]].blocked_by is None
    for k in ("z", "loss"):
        assert res[ids[k]].blocked_by == ids["xw"] and res[ids[k]].error is None
    assert res[ids["w"]].error is None
    assert "blocked by the error in xw" in ex.backward()
    d.set_param(ids["w"], "shape", [5, 3])
    assert all(r.ok for r in ex.forward().values())


def test_missing_input_and_bad_dims_are_node_errors(torch):
    d = Document()
    a = d.add_node("ones", "a", {"shape": [2, 3]})
    s = d.add_node("sum", "s", {"dim": 5})
    m = d.add_node("matmul", "m")
    d.connect(a.id, s.id, "input")
    d.connect(a.id, m.id, "input")
    res = Executor(d).forward()
    assert res[m.id].error == "m: input 'other' of matmul is not connected"
    assert res[s.id].error == ("s: Dimension out of range (expected to be in range of [-2, 1], "
                               "but got 5)")
    i = d.add_node("arange", "i", requires_grad=True)  # integer leaves cannot require grad
    res = Executor(d).forward()
    with pytest.raises(RuntimeError) as info:
        torch.arange(0, 5, 1, requires_grad=True)  # the exported code
    assert res[i.id].error.lower() == f"i: {info.value}".lower()
    assert Executor(d, torch).forward()[i.id].error == f"i: {info.value}"


def test_incremental_recompute(tut):
    d, ids, ex = tut
    ex.forward()
    assert ex.recompute_count == 7
    ex.forward()
    assert ex.recompute_count == 7 and ex.last_recomputed == []  # nothing changed
    d.set_param(ids["loss"], "reduction", "sum")  # an edit at the output
    ex.forward()
    assert ex.last_recomputed == [ids["loss"]] and ex.recompute_count == 8
    d.move_node(ids["z"], (100, 100))  # positions never recompute
    ex.forward()
    assert ex.recompute_count == 8
    d.set_param(ids["b"], "seed", 7)  # a leaf: it and what it feeds
    ex.forward()
    assert set(ex.last_recomputed) == {ids["b"], ids["z"], ids["loss"]}
    n = d.add_node("exp", "e")
    d.connect(ids["z"], n.id, "input")
    ex.forward()
    assert ex.last_recomputed == [n.id]
    d.rename_node(ids["x"], "x2")
    ex.forward()
    assert set(ex.last_recomputed) == {ids["x"], ids["xw"], ids["z"], ids["loss"], n.id}
    version = ex.graph_version
    ex.backward()
    ex.forward()  # the graph was spent by backward: every op is rebuilt, leaves are kept
    assert set(ex.last_recomputed) == {ids[k] for k in ("xw", "z", "loss")} | {n.id}
    assert ex.graph_version == version + 1


def test_leaves_keep_values_and_grads_until_redefined(tut):
    d, ids, ex = tut
    ex.forward()
    w = ex.leaf(ids["w"])
    ex.backward()
    ex.forward()
    ex.backward()
    assert ex.leaf(ids["w"]) is w and ex.results[ids["w"]].grad_count == 2
    g2 = arr(ex.results[ids["w"]].grad).copy()
    d.set_flag(ids["w"], "requires_grad", False)
    d.set_flag(ids["w"], "requires_grad", True)
    ex.forward()
    assert ex.leaf(ids["w"]) is w  # a flag is not a new definition
    np.testing.assert_array_equal(arr(ex.results[ids["w"]].grad), g2)
    d.set_param(ids["w"], "seed", 1)
    ex.forward()
    new = ex.leaf(ids["w"])
    assert new is not w and ex.results[ids["w"]].grad is None
    assert not np.array_equal(arr(new), arr(w))
    d.set_param(ids["w"], "seed", 0)
    ex.forward()
    np.testing.assert_array_equal(arr(ex.leaf(ids["w"])), arr(w))  # seeded: reproducible


def test_structure_edits(tut):
    d, ids, ex = tut
    ex.forward()
    wire = [w for w in d.wires if w.dst == ids["z"] and w.port == "other"][0]
    d.disconnect(wire)
    res = ex.forward()
    assert res[ids["z"]].grad_fn == "AddBackward0"  # z = xw + 1 (the scalar)
    np.testing.assert_allclose(arr(res[ids["z"]].value), arr(res[ids["xw"]].value) + 1)
    d.remove_node(ids["xw"])
    res = ex.forward()
    assert ids["xw"] not in res and res[ids["z"]].error.startswith("z: input 'input'")
    assert res[ids["loss"]].blocked_by == ids["z"]
    d.load(tutorial()[0])
    res = ex.forward()
    assert len(res) == 7 and all(r.ok for r in res.values())
    ex.close()
    d.set_param(ids["loss"], "reduction", "sum")
    assert ex._dirty == set()  # closed: no longer listening


def test_absurd_sizes_refused_before_allocating():
    d = Document()
    n = d.add_node("randn", "big", {"shape": [10, 10]})
    with pytest.raises(Exception, match="refusing to allocate 1,000,000,000,000 elements"):
        d.set_param(n.id, "shape", [10**6, 10**6])
    ex = Executor(d)
    d.nodes[n.id].params = {"shape": (10**6, 10**6), "seed": 0, "dtype": "float32"}  # bypass
    ex.invalidate()
    res = ex.forward()
    assert res[n.id].error.startswith("big: randn: refusing to allocate")


def test_losses_mlp_against_direct_engine(torch):
    """A small MLP with cross-entropy: the executor equals the same engine calls."""
    d = Document()
    x = d.add_node("randn", "x", {"shape": [4, 3], "seed": 1})
    w1 = d.add_node("randn", "w1", {"shape": [5, 3], "seed": 2}, requires_grad=True)
    b1 = d.add_node("zeros", "b1", {"shape": [5]}, requires_grad=True)
    h = d.add_node("F.linear", "h")
    r = d.add_node("F.relu", "r")
    w2 = d.add_node("randn", "w2", {"shape": [2, 5], "seed": 3}, requires_grad=True)
    o = d.add_node("F.linear", "o")
    tgt = d.add_node("tensor", "tgt", {"value": [0, 1, 1, 0]})
    loss = d.add_node("F.cross_entropy", "loss")
    for s, t, p in [(x, h, "input"), (w1, h, "weight"), (b1, h, "bias"), (h, r, "input"),
                    (r, o, "input"), (w2, o, "weight"), (o, loss, "input"),
                    (tgt, loss, "target")]:
        d.connect(s.id, t.id, p)
    ex = Executor(d)
    ex.forward()
    assert ex.backward(loss.id) is None
    vals = {k.name: engine.tensor(arr(ex.leaf(k.id)), requires_grad=k.requires_grad)
            for k in (x, w1, b1, w2)}
    ref = EF.cross_entropy(EF.linear(EF.relu(EF.linear(vals["x"], vals["w1"], vals["b1"])),
                                     vals["w2"]), engine.tensor([0, 1, 1, 0]))
    ref.backward()
    np.testing.assert_allclose(arr(ex.results[loss.id].value), arr(ref), rtol=1e-6)
    for k in (w1, b1, w2):
        np.testing.assert_allclose(arr(ex.results[k.id].grad), arr(vals[k.name].grad),
                                   rtol=1e-6)
    assert_same_as_torch(d, ex, torch, loss.id)


def assert_same_as_torch(d, ex, torch, root):
    """Run the document on torch with the engine's leaf values; every node's metadata,
    value and grad must agree."""
    leaf_values = {nid: arr(ex.leaf(nid)) for nid in d.nodes if d.nodes[nid].spec.is_source}
    tx = Executor(d, torch, leaf_values=leaf_values)
    tx.forward()
    assert tx.backward(root) is None
    for nid in d.nodes:
        a, b = ex.results[nid], tx.results[nid]
        assert (a.grad_fn, a.requires_grad, a.is_leaf, a.shape, a.dtype) == (
            b.grad_fn, b.requires_grad, b.is_leaf, b.shape, b.dtype), d.nodes[nid].name
        assert a.next_functions == b.next_functions, d.nodes[nid].name
        np.testing.assert_allclose(arr(a.value), arr(b.value), rtol=1e-5, atol=1e-6)
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            np.testing.assert_allclose(arr(a.grad), arr(b.grad), rtol=1e-5, atol=1e-6)


def test_view_in_no_grad_region_is_a_leaf_requiring_grad_as_in_torch(torch):
    d = Document()
    a = d.add_node("randn", "a", {"shape": [2, 3]}, requires_grad=True)
    t = d.add_node("t", "v")
    s = d.add_node("sum", "s")
    d.connect(a.id, t.id, "input")
    d.connect(t.id, s.id, "input")
    d.add_region("no_grad", [t.id])
    ex = Executor(d)
    ex.forward()
    with torch.no_grad():
        v = torch.randn(2, 3, requires_grad=True).t()
    assert (ex.results[t.id].requires_grad, ex.results[t.id].is_leaf) == (
        v.requires_grad, v.is_leaf) == (True, True)


def test_backward_schedule_matches_torch_order(tut, torch):
    """The step-through order: torch's engine order, recorded in torch with hooks."""
    d, ids, ex = tut
    ex.forward()
    sched = ex.backward_schedule()
    assert sched[0] == ("BinaryCrossEntropyWithLogitsBackward0", ids["loss"])
    assert ("AccumulateGrad", ids["w"]) in sched and ("AccumulateGrad", ids["b"]) in sched
    assert [n for n, _ in sched].count("AccumulateGrad") == 2
    w0, b0 = arr(ex.leaf(ids["w"])), arr(ex.leaf(ids["b"]))
    ref = direct(torch, w0, b0)
    seen = []
    stack, visited = [ref["loss"].grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn in visited:
            continue
        visited.add(fn)
        fn.register_prehook(lambda g, fn=fn: seen.append(type(fn).__name__))
        stack.extend(f for f, _ in fn.next_functions if f is not None)
    ref["loss"].backward()
    assert [n for n, _ in sched] == seen
    assert ex.backward() is None and ex.backward_schedule(ids["x"]) == []


@pytest.mark.parametrize("op,a,b,n", [
    ("mul", [100000, 1], [100000], 10**10),
    ("matmul", [100000, 1], [1, 100000], 10**10),
    ("F.linear", [20000, 1], [20000, 1], 4 * 10**8),
])
def test_absurd_intermediate_results_refused(op, a, b, n):
    d = Document()
    x = d.add_node("zeros", "x", {"shape": a})
    y = d.add_node("zeros", "y", {"shape": b})
    z = d.add_node(op, "z")
    d.connect(x.id, z.id, "input")
    d.connect(y.id, z.id, "weight" if op == "F.linear" else "other")
    err = Executor(d).forward()[z.id].error
    assert err == f"z: {op}: refusing to allocate a result of {n:,} elements (limit 100,000,000)"
