"""The bundled examples: each runs through the Executor with the numbers of the same graph
written directly against the engine, and (with torch) its exported literal-values script
gives torch's values and grads."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

import engine
import engine.nn.functional as F
from engine.document import export, fileformat
from engine.document.execution import Executor

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"
NAMES = ["tutorial", "jacobian", "no_grad_detach", "fine_tuning", "mlp", "tutorial_script",
         "nn_mlp_script", "fine_tuning_script", "why_none", "gradient_penalty",
         "two_moons", "linear_regression",  # training examples (test_training.py)
         "inplace_ops", "inplace_error"]  # in-place ops (test_inplace*.py)
FAILS = {"inplace_error"}  # its backward gives torch's in-place error (the point of it)


def load(name):
    return fileformat.load(EXAMPLES / f"{name}.json")


def run(doc, backward=True):
    ex = Executor(doc)
    ex.forward()
    if backward:
        assert ex.backward() is None
    return ex


def final(res):
    """The tensor at the end of the run (a node whose tensor an in-place node modified later
    shows it as its line left it: ``live`` is the tensor now, as the script's variable)."""
    return getattr(res, "live", res.value)


def by_name(doc, ex):
    return {doc.nodes[nid].name: r for nid, r in ex.results.items()}


def randn(*shape, seed):
    return engine.randn(*shape, generator=engine.Generator().manual_seed(seed))


def same(a, b):
    """Bit-identical engine tensors (the executor runs the very same engine calls)."""
    assert a is not None and b is not None
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_all_examples_are_tested():
    import resources
    assert sorted(resources.examples()) == sorted(NAMES)
    assert resources.example("tutorial") == (EXAMPLES / "tutorial.json").resolve()
    with pytest.raises(KeyError, match="available: fine_tuning, .*jacobian"):
        resources.example("nope")


def test_tutorial():
    doc = load("tutorial")
    ex = run(doc)
    r = by_name(doc, ex)
    x, y = engine.ones(5), engine.zeros(3)
    w = randn(5, 3, seed=0).requires_grad_()
    b = randn(3, seed=1).requires_grad_()
    z = engine.matmul(x, w) + b
    loss = F.binary_cross_entropy_with_logits(z, y)
    loss.backward()
    same(r["z"].value, z)
    same(r["loss"].value, loss)
    assert r["z"].grad_fn == "AddBackward0"
    assert r["loss"].grad_fn == "BinaryCrossEntropyWithLogitsBackward0"
    same(r["w"].grad, w.grad)
    same(r["b"].grad, b.grad)
    g = r["w"].grad.numpy()
    assert np.all(g == g[0])  # the tutorial's "five equal rows"
    assert r["x"].grad is None and not r["x"].requires_grad


def test_jacobian_accumulates_and_zeroes():
    doc = load("jacobian")
    ex = run(doc)
    inp = engine.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(engine.ones_like(out), retain_graph=True)
    nid = doc.node_by_name("inp").id
    same(ex.results[nid].grad, inp.grad)
    assert ex.backward() is None  # retain_graph: a second call accumulates
    out.backward(engine.ones_like(out), retain_graph=True)
    same(ex.results[nid].grad, inp.grad)
    assert ex.results[nid].grad_count == 2
    ex.zero_grad(nid)
    inp.grad.zero_()
    assert ex.backward() is None
    out.backward(engine.ones_like(out), retain_graph=True)
    same(ex.results[nid].grad, inp.grad)
    assert by_name(doc, ex)["out"].grad_fn == "TBackward0"


def test_no_grad_and_detach():
    doc = load("no_grad_detach")
    ex = run(doc)
    r = by_name(doc, ex)
    w = randn(5, 3, seed=0).requires_grad_()
    b = randn(3, seed=1).requires_grad_()
    with engine.no_grad():
        z_eval = engine.matmul(engine.ones(5), w) + b
    same(r["z_eval"].value, z_eval)
    assert not r["z_eval"].requires_grad and r["z_eval"].grad_fn is None
    assert r["z"].requires_grad and r["z"].grad_fn == "AddBackward0"
    assert not r["z_det"].requires_grad and r["z_det"].is_leaf
    same(r["z_det"].value, r["z"].value)


def test_fine_tuning_freezes_the_first_layer():
    doc = load("fine_tuning")
    ex = run(doc)
    r = by_name(doc, ex)
    x = randn(4, 6, seed=10)
    w1, b1 = randn(6, 5, seed=11), engine.zeros(5)
    w2 = randn(5, 2, seed=12).requires_grad_()
    b2 = engine.zeros(2, requires_grad=True)
    h = engine.relu(engine.matmul(x, w1) + b1)
    loss = F.mse_loss(engine.matmul(h, w2) + b2, randn(4, 2, seed=13))
    loss.backward()
    same(r["loss"].value, loss)
    same(r["w2"].grad, w2.grad)
    same(r["b2"].grad, b2.grad)
    assert r["w1"].grad is None and r["b1"].grad is None
    assert not r["h"].requires_grad  # the frozen layer records nothing


def test_mlp():
    doc = load("mlp")
    ex = run(doc)
    r = by_name(doc, ex)
    x = randn(6, 4, seed=20)
    target = engine.tensor([0, 2, 1, 1, 0, 2])
    w1 = randn(8, 4, seed=21).requires_grad_()
    b1 = engine.zeros(8, requires_grad=True)
    w2 = randn(3, 8, seed=22).requires_grad_()
    b2 = engine.zeros(3, requires_grad=True)
    logits = F.linear(F.relu(F.linear(x, w1, b1)), w2, b2)
    loss = F.cross_entropy(logits, target)
    loss.backward()
    same(r["loss"].value, loss)
    assert r["loss"].grad_fn == "NllLossBackward0"
    for name, t in [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)]:
        same(r[name].grad, t.grad)


def test_why_none_shows_every_reason():
    """The "why is .grad None?" example: one node per reason (issue 14)."""
    from engine.document.why_none import explain
    doc = load("why_none")
    ex = run(doc)
    reasons = {doc.nodes[nid].name: getattr(explain(doc, nid, ex.results, ex.history),
                                            "reason", None) for nid in doc.nodes}
    assert reasons == {"x": "requires_grad", "w": None, "b": "frozen", "c": "not_on_path",
                       "n": "integer", "h": "non_leaf", "hb": "non_leaf", "loss": "non_leaf",
                       "h_det": "detach", "s": "detach", "e": "no_grad", "c_sum": "non_leaf"}
    w = randn(3, seed=0).requires_grad_()
    loss = (engine.ones(3) * w + randn(3, seed=1)).sum()
    loss.backward()
    same(by_name(doc, ex)["w"].grad, w.grad)


def test_gradient_penalty_double_backward():
    """autograd.grad(create_graph=True) as a node: loss = y + ||dy/dx||^2 (issue 14)."""
    doc = load("gradient_penalty")
    ex = run(doc)
    r = by_name(doc, ex)
    assert r["dy_dx"].grad_fn == "MulBackward0" and r["dy_dx"].requires_grad
    x = engine.tensor([0.5, -1.0, 2.0], requires_grad=True)
    w = engine.tensor([1.5, 0.5, -0.75], requires_grad=True)
    y = (x * w).tanh().sum()
    (g,) = engine.autograd.grad(y, [x], grad_outputs=engine.ones_like(y), retain_graph=True,
                                create_graph=True)
    (y + (g * g).sum()).backward()
    same(r["x"].grad, x.grad)
    same(r["w"].grad, w.grad)
    # the second derivatives it relies on, checked numerically as torch's gradgradcheck does
    xd = engine.tensor([0.5, -1.0, 2.0], dtype=engine.float64, requires_grad=True)
    wd = engine.tensor([1.5, 0.5, -0.75], dtype=engine.float64, requires_grad=True)
    assert engine.autograd.gradgradcheck(lambda a, b: (a * b).tanh().sum(), (xd, wd))


def exec_script(script: str) -> dict:
    ns: dict = {"__name__": "__gradcanvas_export__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(script, "<export>", "exec"), ns)
    return ns


@pytest.mark.parametrize("name", NAMES)
def test_engine_export_reproduces_the_run_exactly(name):
    doc = load(name)
    ex = run(doc, backward=name not in FAILS)
    ns = exec_script(export.to_script(doc, module="engine", backward=name not in FAILS))
    for nid, res in ex.results.items():
        t = ns[doc.nodes[nid].name]
        same(t, final(res))
        assert t.grad_fn is final(res).grad_fn or type(t.grad_fn) is type(final(res).grad_fn)
        if res.grad is not None:
            same(t.grad, res.grad)


@pytest.mark.parametrize("name", NAMES)
def test_torch_runs_the_literal_export_with_the_same_numbers(name, torch):
    doc = load(name)
    script = export.to_script(doc, module="torch", literal_values=True,
                              backward=name not in FAILS)
    ex = run(doc, backward=name not in FAILS)
    ns = exec_script(script)
    assert ns["torch"] is torch
    for nid, res in ex.results.items():
        node = doc.nodes[nid]
        t = ns[node.name]
        assert isinstance(t, torch.Tensor)
        assert str(t.dtype) == res.dtype and tuple(t.shape) == res.shape
        assert t.requires_grad == res.requires_grad, node.name
        fn = final(res).grad_fn
        assert (type(t.grad_fn).__name__ if t.grad_fn else None) == (
            type(fn).__name__ if fn else None), node.name
        want = final(res).detach().numpy()
        if node.spec.is_source:  # literals: exactly the app's numbers
            np.testing.assert_array_equal(t.detach().numpy(), want)
        else:
            np.testing.assert_allclose(t.detach().numpy(), want, rtol=1e-5, atol=1e-6)
        if res.grad is not None:
            np.testing.assert_allclose(t.grad.numpy(), res.grad.numpy(), rtol=1e-5, atol=1e-6)
        elif t.is_leaf:
            assert t.grad is None, node.name
