"""Step-through backward: the recorded steps are torch's real execution order, with torch's
per-step gradients, mapped to document nodes and wires; the player model walks them."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from engine.document import fileformat
from engine.document.execution import Executor
from engine.document.stepthrough import (
    StepThrough,
    grad_owners,
    preview_backward,
    record_backward,
)
from resources import example

from .test_model import tutorial
from .test_random_documents import documents


def close(a, b):
    assert (a is None) == (b is None)
    if a is not None:
        np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                                   rtol=2e-4, atol=2e-5)


def leaf_values(doc, ex):
    return {nid: ex.leaf(nid).detach().numpy() for nid in doc.nodes if ex.leaf(nid) is not None}


def torch_steps(torch, doc, values):
    """Run the document IN torch and record, with post hooks on every grad_fn, the order
    torch's engine runs them: [(name, node id, outputs as arrays)]; and the leaf grads."""
    tex = Executor(doc, torch, leaf_values=values)
    tex.forward()
    owner, _, leaves = grad_owners(tex)

    def node_of(fn):
        if type(fn).__name__ == "AccumulateGrad":
            return leaves.get(id(fn.variable))
        return owner.get(fn)

    root = tex.results[doc.settings.root].value
    seen, stack, visited = [], [root.grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn is None or fn in visited:
            continue
        visited.add(fn)
        fn.register_hook(lambda gi, go, fn=fn: seen.append(
            (type(fn).__name__, node_of(fn),
             [None if g is None else g.detach().numpy().copy() for g in gi])))
        stack.extend(f for f, _ in fn.next_functions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        err = tex.backward()
    return seen, err, {nid: r.grad.numpy() for nid, r in tex.results.items()
                       if r.grad is not None}


def check_against_torch(torch, doc):
    ex = Executor(doc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex.forward()
        values = leaf_values(doc, ex)
        rec = record_backward(ex)
    theirs, err, grads = torch_steps(torch, doc, values)
    assert rec.error == err
    if err is not None:
        assert rec.steps == []
        return rec
    assert [(s.name, s.node_id) for s in rec.steps] == [(n, nid) for n, nid, _ in theirs]
    for s, (_, _, outs) in zip(rec.steps, theirs):
        assert len(s.outputs) == len(outs)
        for e, o in zip(s.outputs, outs):
            if e.target is not None:  # torch may compute a grad for an edge-less input too
                close(e.grad, o)
    final = StepThrough(rec).final
    for nid, g in grads.items():
        close(final.grads[nid], g)
    return rec


def test_tutorial_steps_are_torchs(torch):
    d, ids = tutorial()
    rec = check_against_torch(torch, d)
    assert [(s.name, s.node_id, s.internal) for s in rec.steps] == [
        ("BinaryCrossEntropyWithLogitsBackward0", ids["loss"], False),
        ("AddBackward0", ids["z"], False),
        ("AccumulateGrad", ids["b"], False),
        ("SqueezeBackward4", ids["xw"], False),
        ("MmBackward0", ids["xw"], True),  # matmul's internal chain belongs to its node
        ("AccumulateGrad", ids["w"], False)]


def test_mlp_example_steps_are_torchs(torch):
    check_against_torch(torch, fileformat.load(example("mlp")))


@pytest.mark.parity
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents())
def test_random_documents_steps_are_torchs(torch, doc_ref):
    check_against_torch(torch, doc_ref[0])


def test_recording_is_the_schedule_and_the_real_backward():
    d, ids = tutorial()
    ex = Executor(d)
    ex.forward()
    schedule = ex.backward_schedule()
    rec = record_backward(ex)
    assert rec.error is None
    assert [(s.name, None if s.internal else s.node_id) for s in rec.steps] == schedule
    # the real one: grads written, counted, graph spent
    assert ex.results[ids["w"]].grad_count == 1
    np.testing.assert_array_equal(rec.steps[-1].grads[ids["w"]], ex.grads()[ids["w"]].numpy())
    again = record_backward(ex)
    assert again.error.startswith("Trying to backward through the graph a second time")
    assert again.steps == []


def test_wires_carry_the_gradient_that_arrives():
    d, ids = tutorial()
    ex = Executor(d)
    rec = record_backward(ex)
    by_node = {s.node_id: s for s in reversed(rec.steps)}  # each node's first step
    wire = {(w.src, w.dst): w for w in d.wires}
    z_in = by_node[ids["z"]].incoming
    assert list(z_in) == [wire[ids["z"], ids["loss"]]]
    # what arrives at z on its one out-wire is what AddBackward0 receives
    close(z_in[wire[ids["z"], ids["loss"]]], by_node[ids["z"]].grad_outputs[0])
    # AddBackward0's outputs travel along z's in-wires: to b (AccumulateGrad) and xw
    outs = {e.wire: e.grad for e in by_node[ids["z"]].outputs}
    assert set(outs) == {wire[ids["xw"], ids["z"]], wire[ids["b"], ids["z"]]}
    close(outs[wire[ids["b"], ids["z"]]], ex.grads()[ids["b"]].numpy())
    # the internal MmBackward0 -> AccumulateGrad(w) edge is the w -> xw wire
    mm = next(s for s in rec.steps if s.name == "MmBackward0")
    assert mm.outputs[1].wire == wire[ids["w"], ids["xw"]] and mm.outputs[0].wire is None
    # the root gets the seed, not a wire
    assert rec.steps[0].incoming == {} and float(rec.steps[0].grad_outputs[0]) == 1.0


def test_a_node_used_twice_sums_its_wires():
    """mul(x, x): both wires into the mul carry a gradient; the leaf's grad is their sum."""
    from engine.document import Document
    d = Document()
    x = d.add_node("randn", "x", {"shape": [3]}, requires_grad=True)
    m = d.add_node("mul", "m")
    s = d.add_node("sum", "s")
    d.connect(x.id, m.id, "input")
    d.connect(x.id, m.id, "other")
    d.connect(m.id, s.id, "input")
    d.set_setting("root", s.id)
    ex = Executor(d)
    rec = record_backward(ex)
    acc = rec.steps[-1]
    assert acc.name == "AccumulateGrad" and acc.node_id == x.id
    assert len(acc.incoming) == 2
    total = sum(acc.incoming.values())
    close(total, ex.grads()[x.id].numpy())
    close(acc.grads[x.id], 2 * ex.leaf(x.id).detach().numpy())


def test_player_walks_and_grads_grow():
    """With retain_graph, a second recorded backward starts from the first one's grads and
    each leaf's grad grows at its AccumulateGrad step only."""
    d, ids = tutorial()
    d.set_setting("retain_graph", True)
    ex = Executor(d)
    assert record_backward(ex).error is None
    once = {k: v.numpy().copy() for k, v in ex.grads().items()}
    rec = record_backward(ex)
    p = StepThrough(rec)
    assert p.index == -1 and p.at_start and not p.at_end and p.current is None
    close(p.state.grads[ids["w"]], once[ids["w"]])  # before: the first backward's grads
    names = []
    while not p.at_end:
        names.append(p.next().name)
    assert names == [s.name for s in rec.steps] and p.next() is None
    b_step = next(s.index for s in rec.steps if s.node_id == ids["b"])
    w_step = next(s.index for s in rec.steps if s.name == "AccumulateGrad"
                  and s.node_id == ids["w"])
    assert b_step < w_step
    mid = p.state_at(b_step)
    close(mid.grads[ids["b"]], 2 * once[ids["b"]])  # b has grown ...
    close(mid.grads[ids["w"]], once[ids["w"]])  # ... w not yet
    close(p.state.grads[ids["w"]], 2 * once[ids["w"]])
    assert p.state.done == {ids["loss"], ids["z"], ids["b"], ids["xw"], ids["w"]}
    assert mid.active == ids["b"] and ids["w"] not in mid.done
    # wires light up as gradient is sent along them
    wire_b = next(w for w in d.wires if w.src == ids["b"])
    assert wire_b not in p.state_at(0).wires and wire_b in p.state_at(1).wires
    p.previous()
    assert p.index == len(rec.steps) - 2
    p.seek(99)
    assert p.at_end
    p.reset()
    assert p.index == -1 and p.previous() is None and p.index == -1


def test_preview_leaves_the_users_graph_alone():
    d, ids = tutorial()
    ex = Executor(d)
    ex.forward()
    schedule = ex.backward_schedule()
    preview = preview_backward(ex)
    assert [(s.name, None if s.internal else s.node_id) for s in preview.steps] == schedule
    assert ex.grads() == {} and ex.results[ids["w"]].grad_count == 0
    assert ex.backward() is None  # not spent by the preview
    final = StepThrough(preview).final
    for nid, g in ex.grads().items():
        close(final.grads[nid], g.numpy())
    # a preview after a backward starts from the accumulated grads
    again = StepThrough(preview_backward(ex))
    close(again.state_at(-1).grads[ids["b"]], ex.grads()[ids["b"]].numpy())
    close(again.final.grads[ids["b"]], 2 * ex.grads()[ids["b"]].numpy())
    assert ex.results[ids["b"]].grad_count == 1


def test_errors_record_nothing():
    d, ids = tutorial()
    ex = Executor(d)
    rec = record_backward(ex, root=ids["x"])  # x does not require grad
    assert rec.steps == [] and rec.error.startswith("element 0 of tensors does not require")
    p = StepThrough(rec)
    assert p.at_end and p.next() is None and p.state.index == -1


@pytest.mark.parametrize("n", [2, 4, 7])
def test_many_leaves_ready_at_once_keep_torchs_order(torch, n):
    """cat of n leaves: n AccumulateGrads become ready together, all with the same sequence
    number; torch's ready queue (a std::priority_queue) pops them as [0, 2, 1, 3] for n = 4."""
    from engine.document import Document
    d = Document()
    c = d.add_node("cat", "c")
    for i in range(n):
        leaf = d.add_node("randn", f"x{i}", {"shape": [2], "seed": i}, requires_grad=True)
        d.connect(leaf.id, c.id, "tensors", i)
    s = d.add_node("sum", "s")
    d.connect(c.id, s.id, "input")
    d.set_setting("root", s.id)
    rec = check_against_torch(torch, d)
    assert len([st for st in rec.steps if st.name == "AccumulateGrad"]) == n
