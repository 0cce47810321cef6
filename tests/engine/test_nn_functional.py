"""engine.nn.functional and the softmax family: parity with torch 2.13 (values, grad_fn
chains, grads, error texts), central-difference gradchecks, second order."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import engine
import engine.nn.functional as EF
from tests.engine.test_pointwise import RNG, away, numgrad_check, parity, second_order

FAST = settings(max_examples=25, deadline=None)
REDUCTIONS = ["mean", "sum", "none"]


def _x(shape=(3, 4), dtype=np.float64):
    return np.asarray(RNG.standard_normal(shape)).astype(dtype)


def F(lib):
    return EF if lib is engine else lib.nn.functional


def chain(t, depth=4):
    """grad_fn names down the graph, depth-first, as nested tuples."""
    def rec(fn, d):
        if fn is None or d > depth:
            return None
        name = fn.name().replace("torch::autograd::", "")
        return (name, tuple(rec(f, d + 1) for f, _ in fn.next_functions))
    return rec(t.grad_fn, 0)


def same_error(torch, f):
    with pytest.raises(Exception) as te:
        f(torch)
    with pytest.raises(type(te.value)) as ee:
        f(engine)
    assert str(ee.value) == str(te.value)


# -- softmax family -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_parity(torch, name, dim, dtype):
    a = _x((3, 4), dtype)
    parity(torch, lambda L, x: getattr(L, name)(x, dim), a)
    parity(torch, lambda L, x: getattr(x, name)(dim), a)
    parity(torch, lambda L, x: getattr(F(L), name)(x, dim=dim), a)
    parity(torch, lambda L, x: getattr(L, name)(x, dim), a * 1000)  # stable: no overflow


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_edge_cases(torch, name):
    parity(torch, lambda L, x: getattr(L, name)(x, 0), np.array(2.0))
    parity(torch, lambda L, x: getattr(L, name)(x, 1), np.array([[-np.inf, 0.0, 1.0]]))
    parity(torch, lambda L, x: getattr(L, name)(x, 0, dtype=L.float64),
           np.array([1.0, 2.0], dtype=np.float32))
    same_error(torch, lambda L: getattr(L, name)(L.tensor([1, 2]), 0))
    same_error(torch, lambda L: getattr(L, name)(L.tensor([[1.0]]), 2))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_functional_softmax_implicit_dim_warns(torch, name, ndim):
    a = _x((2,) * ndim)
    msgs = []
    for lib in (torch, engine):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = getattr(F(lib), name)(lib.tensor(a))
        msgs.append(([str(m.message) for m in w], out.detach().numpy()))
    assert msgs[0][0] == msgs[1][0]
    np.testing.assert_allclose(msgs[0][1], msgs[1][1], rtol=1e-12)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@FAST
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), data=st.data())
def test_softmax_gradcheck(name, shape, data):
    dim = data.draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
    numgrad_check(lambda x: getattr(engine, name)(x, dim), _x(shape))


# -- activations --------------------------------------------------------------------------------
ACTS = {
    "relu": lambda L, x: F(L).relu(x),
    "sigmoid": lambda L, x: F(L).sigmoid(x),
    "tanh": lambda L, x: F(L).tanh(x),
    "leaky_relu": lambda L, x: F(L).leaky_relu(x),
    "leaky_relu_0.2": lambda L, x: F(L).leaky_relu(x, 0.2),
    "gelu": lambda L, x: F(L).gelu(x),
    "gelu_tanh": lambda L, x: F(L).gelu(x, approximate="tanh"),
}


@pytest.mark.parametrize("name", ACTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_parity(torch, name, dtype):
    tol = dict(rtol=2e-6, atol=1e-6) if dtype == np.float32 else None
    parity(torch, ACTS[name], away(_x((3, 4))).astype(dtype), tol=tol)


@pytest.mark.parametrize("name", ACTS)
@FAST
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
def test_activation_gradcheck(name, shape):
    numgrad_check(lambda x: ACTS[name](engine, x), away(_x(shape)))


def test_activation_errors(torch):
    same_error(torch, lambda L: F(L).gelu(L.tensor([1.0]), approximate="foo"))
    same_error(torch, lambda L: F(L).leaky_relu(L.tensor([1, -2])))


# -- linear -------------------------------------------------------------------------------------
@pytest.mark.parametrize("in_shape", [(3, 4), (4,), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear(torch, in_shape, bias, dtype):
    arrays = [_x(in_shape, dtype), _x((5, 4), dtype)] + ([_x((5,), dtype)] if bias else [])
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else None
    e, t = parity(torch, lambda L, *a: F(L).linear(*a), *arrays, tol=tol)
    assert chain(e) == chain(t)


def test_addmm(torch):
    e, t = parity(torch, lambda L, b, x, w: L.addmm(b, x, w), _x((5,)), _x((3, 4)), _x((4, 5)))
    assert chain(e) == chain(t)
    parity(torch, lambda L, b, x, w: L.addmm(b, x, w, beta=0.5, alpha=2.0),
           _x((3, 5)), _x((3, 4)), _x((4, 5)))


@FAST
@given(n=st.integers(1, 3), i=st.integers(1, 3), o=st.integers(1, 3), lead=st.booleans())
def test_linear_gradcheck(n, i, o, lead):
    shape = (2, n, i) if lead else (n, i)
    numgrad_check(lambda x, w, b: EF.linear(x, w, b), _x(shape), _x((o, i)), _x((o,)))


# -- regression losses --------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mse_loss(torch, reduction, dtype):
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else None
    e, t = parity(torch, lambda L, x, y: F(L).mse_loss(x, y, reduction=reduction),
                  _x((3, 4), dtype), _x((3, 4), dtype), tol=tol)
    assert chain(e) == chain(t)
    parity(torch, lambda L, x, y: F(L).mse_loss(x, y, reduction=reduction),
           _x((3, 4), dtype), _x((3, 4), dtype), grad=(0,), tol=tol)


def test_mse_loss_broadcast_warning_and_errors(torch):
    for shape in [(4,), (2, 4)]:
        msgs = []
        for lib in (torch, engine):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                try:
                    F(lib).mse_loss(lib.tensor(_x()), lib.tensor(_x(shape)))
                except RuntimeError as exc:
                    msgs.append(str(exc))
            msgs.append([str(m.message) for m in w])
        assert msgs[: len(msgs) // 2] == msgs[len(msgs) // 2:]
    with pytest.warns(UserWarning, match="different to the input size"):
        parity(torch, lambda L, x, y: F(L).mse_loss(x, y), _x(), _x((4,)))
    same_error(torch, lambda L: F(L).mse_loss(L.tensor([1.0]), L.tensor([1.0]), reduction="x"))
    same_error(torch, lambda L: F(L).mse_loss(L.tensor([1, 2]), L.tensor([1, 2])))


@FAST
@given(sh=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       reduction=st.sampled_from(REDUCTIONS))
def test_mse_gradcheck(sh, reduction):
    (s0, s1), _ = sh
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        numgrad_check(lambda x, y: EF.mse_loss(x, y, reduction=reduction), _x(s0), _x(s1))


# -- binary cross entropy -----------------------------------------------------------------------
def _probs(shape, dtype=np.float64):
    return (RNG.uniform(0.05, 0.95, shape)).astype(dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(torch, reduction, weighted):
    w = _probs((4,))

    def f(L, p, t):
        weight = L.tensor(w).to(p.dtype) if weighted else None
        return F(L).binary_cross_entropy(p, t, weight=weight, reduction=reduction)
    e, t = parity(torch, f, _probs((3, 4)), _probs((3, 4)), grad=(0, 1))
    assert chain(e) == chain(t)
    parity(torch, f, _probs((3, 4), np.float32),
           (RNG.uniform(size=(3, 4)) > 0.5).astype(np.float32), grad=(0,),
           tol=dict(rtol=1e-5, atol=1e-6))
    # saturated probabilities: torch clamps the logs at -100
    parity(torch, lambda L, p, t: F(L).binary_cross_entropy(p, t, reduction=reduction),
           np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 0.5]), grad=(0,))


@pytest.mark.parametrize("f", [
    lambda L: F(L).binary_cross_entropy(L.tensor([0.5, 2.0]), L.tensor([0.0, 1.0])),
    lambda L: F(L).binary_cross_entropy(L.tensor([0.5, 0.2]), L.tensor([0.0, 2.0])),
    lambda L: F(L).binary_cross_entropy(L.tensor([0.5, 0.2]), L.tensor([0.0])),
    lambda L: F(L).binary_cross_entropy(L.tensor([0.5]), L.tensor([0.0]), reduction="x"),
    lambda L: F(L).binary_cross_entropy(L.tensor([0.5]).double(), L.tensor([0.0])),
    lambda L: F(L).binary_cross_entropy_with_logits(L.tensor([0.5]), L.tensor([0.0, 1.0])),
    lambda L: F(L).binary_cross_entropy_with_logits(L.tensor([0.5]), L.tensor([0.0]),
                                                    reduction="foo"),
    lambda L: F(L).binary_cross_entropy_with_logits(
        L.tensor([0.5]), L.tensor([0.0]), pos_weight=L.tensor([2.0], requires_grad=True)),
    lambda L: F(L).binary_cross_entropy_with_logits(
        L.tensor([0.5]), L.tensor([0.0]), weight=L.tensor([2.0], requires_grad=True)),
])
def test_bce_errors(torch, f):
    same_error(torch, f)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", ["plain", "weight", "pos_weight", "both"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits(torch, reduction, opts, dtype):
    w = _probs((4,), dtype) if opts in ("weight", "both") else None
    pw = _probs((4,), dtype) * 3 if opts in ("pos_weight", "both") else None

    def f(L, x, t):
        return F(L).binary_cross_entropy_with_logits(
            x, t, weight=None if w is None else L.tensor(w), reduction=reduction,
            pos_weight=None if pw is None else L.tensor(pw))
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else None
    e, t = parity(torch, f, _x((3, 4), dtype) * 3, _probs((3, 4), dtype), tol=tol)
    assert chain(e) == chain(t)
    # numerically stable for large logits
    parity(torch, f, np.array([[-200.0, 200.0, 30.0, -30.0]], dtype),
           np.array([[1.0, 0.0, 0.5, 0.5]], dtype), tol=tol)


@FAST
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3),
       reduction=st.sampled_from(REDUCTIONS), pos=st.booleans())
def test_bce_gradcheck(shape, reduction, pos):
    pw = engine.tensor(_probs(shape[-1:] if shape else ()) * 2) if pos else None
    numgrad_check(lambda x, t: EF.binary_cross_entropy_with_logits(
        x, t, reduction=reduction, pos_weight=pw), _x(shape), _probs(shape))
    numgrad_check(lambda p, t: EF.binary_cross_entropy(p, t, reduction=reduction),
                  _probs(shape), _probs(shape))


# -- nll_loss / cross_entropy -------------------------------------------------------------------
TARGET = np.array([0, 3, 1])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_class_index_losses(torch, reduction, name, dtype):
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else None
    w = _probs((4,), dtype)
    for kw in ({}, dict(weight=w), dict(ignore_index=3), dict(ignore_index=1, weight=w)):
        def f(L, x, t, kw=kw):
            kw = {k: (L.tensor(v) if k == "weight" else v) for k, v in kw.items()}
            return getattr(F(L), name)(x, t, reduction=reduction, **kw)
        e, t = parity(torch, f, _x((3, 4), dtype), TARGET, tol=tol)
        assert chain(e) == chain(t)


@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_class_index_losses_shapes(torch, name, reduction):
    def f(L, x, t):
        return getattr(F(L), name)(x, t, reduction=reduction)
    parity(torch, f, _x((4,)), np.array(2))
    parity(torch, f, _x((3, 4, 5)), RNG.integers(0, 4, (3, 5)))
    parity(torch, f, _x((2, 4, 3, 2)), RNG.integers(0, 4, (2, 3, 2)))
    parity(torch, f, _x((2, 4, 3, 2, 2)), RNG.integers(0, 4, (2, 3, 2, 2)))
    e, t = parity(torch, f, _x((3, 4, 5)), RNG.integers(0, 4, (3, 5)))
    assert chain(e) == chain(t)
    # every target ignored: mean is nan, as torch
    parity(torch, f, _x((3, 4)), np.array([-100, -100, -100]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, dict(ignore_index=3), dict(weight=True),
                                dict(weight=True, ignore_index=1)])
def test_cross_entropy_label_smoothing(torch, reduction, kw):
    w = _probs((4,))

    def f(L, x, t):
        k = dict(kw, weight=L.tensor(w)) if "weight" in kw else kw
        return F(L).cross_entropy(x, t, reduction=reduction, label_smoothing=0.1, **k)
    e, t = parity(torch, f, _x(), TARGET)
    assert chain(e, 6) == chain(t, 6)
    parity(torch, f, _x((2, 4, 3)), RNG.integers(0, 4, (2, 3)))
    p = np.exp(_x())
    p /= p.sum(1, keepdims=True)
    parity(torch, lambda L, x, y: F(L).cross_entropy(x, y, reduction=reduction,
                                                     label_smoothing=0.2), _x(), p, grad=(0,))
    same_error(torch, lambda L: F(L).cross_entropy(L.zeros(3, 4), L.tensor(TARGET),
                                                   label_smoothing=1.5))


def test_nll_loss_byte_target(torch):
    parity(torch, lambda L, x, t: F(L).nll_loss(x, t), _x(), TARGET.astype(np.uint8))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities(torch, reduction):
    p = np.exp(_x())
    p /= p.sum(1, keepdims=True)
    e, t = parity(torch, lambda L, x, y: F(L).cross_entropy(x, y, reduction=reduction),
                  _x(), p, grad=(0,))
    assert chain(e) == chain(t)
    parity(torch, lambda L, x, y: F(L).cross_entropy(x, y, reduction=reduction), _x(), p)


X = np.zeros((3, 4))


@pytest.mark.parametrize("f", [
    lambda L: F(L).cross_entropy(L.tensor(X), L.tensor([0, 1])),
    lambda L: F(L).nll_loss(L.tensor(X), L.tensor([0, 1])),
    lambda L: F(L).nll_loss(L.tensor(X), L.tensor([0.0, 1, 2])),
    lambda L: F(L).cross_entropy(L.tensor(X), L.tensor([0.0, 1, 2])),
    lambda L: F(L).nll_loss(L.tensor(X), L.tensor([0, 4, 1])),
    lambda L: F(L).nll_loss(L.tensor(X), L.tensor([0, -1, 1])),
    lambda L: F(L).nll_loss(L.tensor(X), L.tensor([0, 1, 2]), reduction="bad"),
    lambda L: F(L).cross_entropy(L.tensor(X), L.tensor([0, 1, 2]), reduction="bad"),
    lambda L: F(L).nll_loss(L.tensor(X), L.tensor([0, 1, 2], dtype=L.int32)),
    lambda L: F(L).nll_loss(L.tensor(X), L.tensor([True, False, True])),
    lambda L: F(L).cross_entropy(L.tensor(X), L.rand(3, 5)),
    lambda L: F(L).cross_entropy(L.tensor(X), L.tensor([[0], [1], [2]])),
    lambda L: F(L).cross_entropy(L.tensor(X), L.tensor([[0, 1, 2, 3]] * 3)),
    lambda L: F(L).nll_loss(L.tensor(X), L.tensor([0, 1, 2]), weight=L.ones(3)),
    lambda L: F(L).nll_loss(L.tensor(X), L.tensor([0, 1, 2]),
                            weight=L.ones(4, requires_grad=True)),
    lambda L: F(L).nll_loss(L.zeros(3, 4, 5), L.zeros(3, 6, dtype=L.int64)),
    lambda L: F(L).nll_loss(L.zeros(3, 4, 5), L.zeros(3, dtype=L.int64)),
    lambda L: F(L).nll_loss(L.zeros(3), L.zeros(3, dtype=L.int64)),
    lambda L: F(L).cross_entropy(L.zeros(4), L.tensor(5)),
])
def test_class_index_errors(torch, f):
    same_error(torch, f)


@FAST
@given(n=st.integers(1, 4), c=st.integers(1, 4), reduction=st.sampled_from(REDUCTIONS),
       weighted=st.booleans(), data=st.data())
def test_cross_entropy_gradcheck(n, c, reduction, weighted, data):
    target = engine.tensor(np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n,
                                                        max_size=n))))
    w = engine.tensor(_probs((c,)) + 0.1) if weighted else None
    numgrad_check(lambda x: EF.cross_entropy(x, target, weight=w, reduction=reduction),
                  _x((n, c)))
    numgrad_check(lambda x: EF.nll_loss(x, target, weight=w, reduction=reduction), _x((n, c)))


# -- second order -------------------------------------------------------------------------------
def test_second_order(torch):
    a = _x()
    y = _x()
    second_order(torch, lambda L, x: L.softmax(x, 1), a)
    second_order(torch, lambda L, x: L.log_softmax(x, 0), a)
    second_order(torch, lambda L, x: F(L).mse_loss(x * x, L.tensor(y)), a)
    second_order(torch, lambda L, x: F(L).mse_loss(x * x, L.tensor(y), reduction="none"), a)
    second_order(torch, lambda L, x: F(L).gelu(x), a)
    second_order(torch, lambda L, x: F(L).gelu(x, approximate="tanh"), a)
    second_order(torch, lambda L, x: F(L).leaky_relu(x, 0.1) * x, away(a))
    p = _probs((3, 4))
    second_order(torch, lambda L, x: F(L).binary_cross_entropy_with_logits(
        x * x, L.tensor(p)), a)
    second_order(torch, lambda L, x: F(L).binary_cross_entropy_with_logits(
        x * x, L.tensor(p), pos_weight=L.tensor(p[0] * 2), reduction="sum"), a)
    second_order(torch, lambda L, x: F(L).binary_cross_entropy(L.sigmoid(x), L.tensor(p)), a)
    second_order(torch, lambda L, x: F(L).cross_entropy(x * x, L.tensor(TARGET)), a)
    second_order(torch, lambda L, x: F(L).linear(x, x * 2, x[0] * 3), a[:, :3].copy())
