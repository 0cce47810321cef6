"""Reductions: parity with torch 2.13, central-difference gradchecks, second order."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import engine
from tests.engine.test_pointwise import RNG, numgrad_check, parity, second_order

FAST = settings(max_examples=25, deadline=None)


def _x(shape=(3, 4), dtype=np.float64):
    return np.asarray(RNG.standard_normal(shape)).astype(dtype)


@st.composite
def shape_and_dims(draw, min_dims=0):
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=4))
    n = len(shape)
    dims = draw(st.lists(st.integers(-n, n - 1) if n else st.sampled_from([0, -1]),
                         unique_by=lambda d: d % n if n else 0, max_size=max(n, 1)))
    return shape, tuple(dims), draw(st.booleans())


# -- sum / mean ---------------------------------------------------------------------------------
CASES = [(), (0,), (1,), (-1,), ((0, 1),), ((),), ([1, 0],)]


@pytest.mark.parametrize("args", CASES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("op", ["sum", "mean"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sum_mean_parity(torch, args, keepdim, op, dtype):
    kw = dict(keepdim=keepdim) if args else {}
    parity(torch, lambda L, x: getattr(x, op)(*args, **kw), _x((3, 4), dtype))
    parity(torch, lambda L, x: getattr(L, op)(x, *args, **kw), _x((3, 4), dtype))


def test_mean_dim_none_is_mean_backward1(torch):
    parity(torch, lambda L, x: x.mean(dim=None), _x())
    parity(torch, lambda L, x: x.mean(), _x())


def test_mean_integer_error_and_dtype(torch):
    with pytest.raises(RuntimeError) as te:
        torch.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError) as ee:
        engine.tensor([1, 2]).mean()
    assert str(ee.value) == str(te.value)
    parity(torch, lambda L, x: x.mean(dtype=L.float64), _x(dtype=np.float32))
    parity(torch, lambda L, x: x.sum(), np.array([1, 2, 3]))
    parity(torch, lambda L, x: x.sum(0), np.array([True, False, True]))


@pytest.mark.parametrize("op", ["sum", "mean"])
@FAST
@given(sdk=shape_and_dims())
def test_sum_mean_gradcheck(op, sdk):
    shape, dims, keepdim = sdk
    numgrad_check(lambda x: getattr(x, op)(dims, keepdim=keepdim), _x(shape))


# -- max / min ----------------------------------------------------------------------------------
TIES = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 3.0]])


@pytest.mark.parametrize("op", ["max", "min", "amax", "amin"])
def test_whole_max_min_ties_split_evenly(torch, op):
    parity(torch, lambda L, x: getattr(x, op)(), TIES)
    parity(torch, lambda L, x: getattr(L, op)(x), -TIES.astype(np.float32))


@pytest.mark.parametrize("op", ["amax", "amin"])
@pytest.mark.parametrize("dim", [0, 1, (0, 1), -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_amax_amin_dims(torch, op, dim, keepdim):
    parity(torch, lambda L, x: getattr(x, op)(dim, keepdim), TIES)


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_dim(torch, op, dim, keepdim):
    for a in (TIES, _x((3, 4), np.float32)):
        e, t = parity(torch, lambda L, x: getattr(x, op)(dim, keepdim=keepdim).values, a)
        er, tr = getattr(engine.tensor(a), op)(dim, keepdim), getattr(torch.tensor(a), op)(
            dim, keepdim)
        assert er.indices.tolist() == tr.indices.tolist()
        assert str(er.indices.dtype) == str(tr.indices.dtype)
        assert er[1].tolist() == tr[1].tolist()
        assert type(er).__module__ == type(tr).__module__ == "torch.return_types"
        assert type(er).__name__ == type(tr).__name__
        parity(torch, lambda L, x: getattr(L, op)(x, dim, keepdim)[0], a)


def test_max_return_type_repr(torch):
    a = np.array([[1.0, 5.0], [5.0, 2.0]], dtype=np.float32)
    e = engine.tensor(a, requires_grad=True).max(1)
    t = torch.tensor(a, requires_grad=True).max(1)
    assert repr(e) == repr(t) and str(e) == str(t)
    values, indices = e
    assert values is e.values and indices is e.indices


def test_max_binary_and_nan(torch):
    parity(torch, lambda L, x, y: L.max(x, y), _x(), _x((4,)))
    parity(torch, lambda L, x, y: L.min(x, y), _x(), _x((4,)))
    a = np.array([1.0, np.nan, 2.0])
    parity(torch, lambda L, x: x.max(), a, check_grad=False)
    e, t = engine.tensor(a).max(0), torch.tensor(a).max(0)
    assert e.indices.item() == t.indices.item()
    assert engine.tensor(a).argmax().item() == torch.tensor(a).argmax().item()


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin(torch, op):
    for args in [(), (0,), (1,), (1, True), (-1, True)]:
        e, t = getattr(engine.tensor(TIES), op)(*args), getattr(torch.tensor(TIES), op)(*args)
        assert e.tolist() == t.tolist() and str(e.dtype) == str(t.dtype)
        assert tuple(e.shape) == tuple(t.shape)
    e = getattr(engine, op)(engine.tensor(TIES), dim=None, keepdim=True)
    t = getattr(torch, op)(torch.tensor(TIES), dim=None, keepdim=True)
    assert e.tolist() == t.tolist()


@pytest.mark.parametrize("f", [
    lambda L: L.tensor([]).max(),
    lambda L: L.zeros(0, 3).max(0),
    lambda L: L.zeros(0, 3).argmax(),
    lambda L: L.tensor([[1.0]]).max(2),
    lambda L: L.tensor([1.0]).max(0, 2),
])
def test_max_errors(torch, f):
    with pytest.raises(Exception) as te:
        f(torch)
    with pytest.raises(type(te.value)) as ee:
        f(engine)
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("op", ["max", "min"])
@FAST
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data())
def test_max_dim_gradcheck(op, shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    a = RNG.permutation(np.prod(shape)).reshape(shape) * 0.1  # distinct values
    numgrad_check(lambda x: getattr(x, op)(dim).values, a)
    numgrad_check(lambda x: getattr(x, op)(), a)


# -- var / std ----------------------------------------------------------------------------------
VAR_CALLS = [
    lambda x: ((), {}), lambda x: ((0,), {}), lambda x: ((1,), dict(keepdim=True)),
    lambda x: ((), dict(unbiased=False)), lambda x: ((0, False), {}),
    lambda x: ((0, True, True), {}), lambda x: ((), dict(dim=(0, 1), correction=0)),
    lambda x: ((), dict(dim=1, correction=2)), lambda x: ((False,), {}),
    lambda x: ((), dict(dim=None, correction=0)),
]


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("call", range(len(VAR_CALLS)))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_var_std_parity(torch, op, call, dtype):
    args, kw = VAR_CALLS[call](None)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else None
    parity(torch, lambda L, x: getattr(x, op)(*args, **kw), _x((3, 4), dtype), tol=tol)
    parity(torch, lambda L, x: getattr(L, op)(x, *args, **kw), _x((3, 4), dtype), tol=tol)


def test_var_std_errors_and_warnings(torch):
    with pytest.raises(RuntimeError) as te:
        torch.tensor([1, 2]).var()
    with pytest.raises(RuntimeError) as ee:
        engine.tensor([1, 2]).std()
    assert str(ee.value) == str(te.value)
    for op in ("var", "std"):
        with warnings.catch_warnings(record=True) as tw:
            warnings.simplefilter("always")
            t = getattr(torch.tensor([1.0]), op)()
        with warnings.catch_warnings(record=True) as ew:
            warnings.simplefilter("always")
            e = getattr(engine.tensor([1.0]), op)()
        assert [str(w.message) for w in ew] == [str(w.message) for w in tw]
        assert np.isnan(e.item()) and np.isnan(t.item())


@pytest.mark.parametrize("op", ["var", "std"])
@FAST
@given(sdk=shape_and_dims(min_dims=1), correction=st.sampled_from([0, 1]))
def test_var_std_gradcheck(op, sdk, correction):
    shape, dims, keepdim = sdk
    dims = dims or None
    n = np.prod([shape[d] for d in (dims if dims is not None else range(len(shape)))])
    if n <= correction + (op == "std"):
        return  # no degrees of freedom (or std at 0): nothing differentiable to check
    numgrad_check(lambda x: getattr(x, op)(dims, keepdim=keepdim, correction=correction),
                  _x(shape))


# -- logsumexp / prod ---------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, (0, 1), -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp(torch, dim, keepdim):
    parity(torch, lambda L, x: L.logsumexp(x, dim, keepdim), _x())
    parity(torch, lambda L, x: x.logsumexp(dim, keepdim=keepdim), _x(dtype=np.float32) * 50)
    parity(torch, lambda L, x: x.logsumexp(dim), np.array([[-np.inf, -np.inf], [1.0, 1e4]]),
           check_grad=False)


@FAST
@given(sdk=shape_and_dims())
def test_logsumexp_gradcheck(sdk):
    shape, dims, keepdim = sdk
    numgrad_check(lambda x: engine.logsumexp(x, dims, keepdim), _x(shape))


@pytest.mark.parametrize("args", [(), (0,), (1, True)])
def test_prod(torch, args):
    parity(torch, lambda L, x: x.prod(*args), _x())
    z = _x()
    z[1, 2] = 0.0
    parity(torch, lambda L, x: x.prod(*args), z)
    parity(torch, lambda L, x: x.prod(*args), np.array([[1, 2], [3, 4]]))


def test_second_order_reductions(torch):
    a = _x()
    second_order(torch, lambda L, x: (x * x).mean(1), a)
    second_order(torch, lambda L, x: (x * x).sum(), a)
    second_order(torch, lambda L, x: x.var(0) * x, a)
    second_order(torch, lambda L, x: x.std(1, keepdim=True) * x, a)
    second_order(torch, lambda L, x: L.logsumexp(x, 1, True) * x, a)
    second_order(torch, lambda L, x: (x * x).max(0).values, a)
    second_order(torch, lambda L, x: (x * x).amax(1, True) * x, a)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(), (1,), (3, 4), (2, 1, 3)])
def test_whole_sum_grad_is_a_fresh_accumulating_array(torch, dtype, shape):
    """SumBackward0 fills a new array (no broadcast view): the leaf keeps it, later backward
    calls accumulate into that same .grad, in the input's dtype, as torch does."""
    def run(lib):
        x = lib.tensor(_x(shape, dtype))
        x.requires_grad_()
        x.sum().backward()
        first = x.grad
        (x.sum() * 3).backward()
        x.sum(dtype=lib.float64).backward()
        return x.grad.tolist(), str(x.grad.dtype), first is x.grad, tuple(x.grad.shape)
    assert run(engine) == run(torch)
    x = engine.ones(2, 3, requires_grad=True)
    x.sum().backward()
    assert x.grad._data.flags.writeable and x.grad._data.base is None
