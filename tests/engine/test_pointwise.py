"""Pointwise ops: parity with torch 2.13 (values, dtypes, grad_fn names, grads, error texts),
central-difference gradchecks in float64 with hypothesis shapes, second order."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

import engine

RNG = np.random.default_rng(0)
TOL = {np.float32: dict(rtol=1e-6, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


def _leaf(lib, a, rg):
    if not isinstance(a, np.ndarray):
        return a
    return lib.tensor(a.copy(), requires_grad=rg and a.dtype.kind == "f")


def _name(t):
    return t.grad_fn.name() if t.grad_fn is not None else None


def parity(torch, fn, *arrays, grad=(), tol=None, check_grad=True):
    """Run ``fn(lib, *tensors)`` on engine and torch with the same data; compare the result's
    values, dtype, grad_fn name, and the leaves' grads after backward with a random gradient.
    ``grad`` lists the argument positions that require grad (default: every float array)."""
    grad = grad or tuple(i for i, a in enumerate(arrays)
                         if isinstance(a, np.ndarray) and a.dtype.kind == "f")
    ins = {lib: [_leaf(lib, a, i in grad) for i, a in enumerate(arrays)]
           for lib in (engine, torch)}
    e, t = fn(engine, *ins[engine]), fn(torch, *ins[torch])
    assert str(e.dtype) == str(t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    kind = t.detach().numpy().dtype.type
    tol = tol or TOL.get(kind, dict(rtol=0, atol=0))
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), **tol, equal_nan=True)
    assert _name(e) == _name(t)
    if check_grad and t.requires_grad:
        g = RNG.standard_normal(tuple(t.shape)).astype(kind)
        e.backward(engine.tensor(g))
        t.backward(torch.tensor(g))
        for a, b in zip(ins[engine], ins[torch]):
            if isinstance(b, torch.Tensor) and b.requires_grad:
                assert (a.grad is None) == (b.grad is None)
                if b.grad is None:
                    continue
                np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol,
                                           equal_nan=True)
    return e, t


def numgrad_check(fn, *arrays, eps=1e-6, rtol=1e-5, atol=1e-7):
    """Central differences in float64: d<fn(x), v>/dx against the engine's backward."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    xs = [engine.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    v = RNG.standard_normal(tuple(out.shape))
    out.backward(engine.tensor(v))
    for i, a in enumerate(arrays):
        num = np.zeros_like(a)
        for j in np.ndindex(a.shape):
            vals = []
            for s in (eps, -eps):
                b = [x.copy() for x in arrays]
                b[i][j] += s
                with engine.no_grad():
                    vals.append(float((fn(*[engine.tensor(y) for y in b]).numpy() * v).sum()))
            num[j] = (vals[0] - vals[1]) / (2 * eps)
        np.testing.assert_allclose(xs[i].grad.numpy(), num, rtol=rtol, atol=atol)


def away(a, points=(0.0,), gap=0.05):
    """Move values away from kinks so central differences are meaningful."""
    a = np.array(a, dtype=np.float64)
    for p in points:
        near = np.abs(a - p) < gap
        a[near] = p + np.where(a[near] >= p, gap, -gap)
    return a


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
pair_shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                max_side=3)
FAST = settings(max_examples=25, deadline=None)


# -- unary ------------------------------------------------------------------------------------
UNARY = {
    "exp": (lambda L, x: L.exp(x), None),
    "log": (lambda L, x: L.log(x), "pos"),
    "log1p": (lambda L, x: L.log1p(x), "pos"),
    "sqrt": (lambda L, x: L.sqrt(x), "pos"),
    "rsqrt": (lambda L, x: L.rsqrt(x), "pos"),
    "abs": (lambda L, x: L.abs(x), "kink"),
    "sin": (lambda L, x: L.sin(x), None),
    "cos": (lambda L, x: L.cos(x), None),
    "tanh": (lambda L, x: L.tanh(x), None),
    "sigmoid": (lambda L, x: L.sigmoid(x), None),
    "relu": (lambda L, x: L.relu(x), "kink"),
    "reciprocal": (lambda L, x: L.reciprocal(x), "pos"),
    "square": (lambda L, x: L.square(x), None),
    "erf": (lambda L, x: L.erf(x), None),
    "method_exp": (lambda L, x: x.exp(), None),
    "method_relu": (lambda L, x: x.relu(), "kink"),
}


def _sample(shape, kind, dtype=np.float64):
    a = np.asarray(RNG.standard_normal(shape))
    if kind == "pos":
        a = np.abs(a) + 0.1
    elif kind == "kink":
        a = away(a)
    return a.astype(dtype)


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_parity(torch, name, dtype):
    fn, kind = UNARY[name]
    parity(torch, fn, _sample((3, 4), kind, dtype))


@pytest.mark.parametrize("name", UNARY)
@FAST
@given(shape=shapes)
def test_unary_gradcheck(name, shape):
    fn, kind = UNARY[name]
    numgrad_check(lambda x: fn(engine, x), _sample(shape, kind))


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "tanh", "sigmoid", "abs",
                                  "sign", "relu", "floor", "ceil", "round", "trunc"])
def test_integer_inputs_dtype(torch, name):
    a = np.array([1, 4, 9], dtype=np.int64)
    parity(torch, lambda L, x: getattr(L, name)(x), a)


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round", "trunc"])
def test_piecewise_constant_give_zero_grads(torch, name):
    parity(torch, lambda L, x: getattr(L, name)(x), np.array([1.5, -2.2, 0.0, 3.0]))


def test_round_decimals(torch):
    parity(torch, lambda L, x: L.round(x, decimals=1), np.array([1.25, -2.35, 0.04]))


def test_singular_points_match_torch(torch):
    a = np.array([0.0, -1.0, 4.0], dtype=np.float32)
    for name in ("sqrt", "log", "rsqrt", "reciprocal", "abs", "relu"):
        parity(torch, lambda L, x, n=name: getattr(L, n)(x), a)


def test_nan_to_num(torch):
    a = np.array([np.nan, np.inf, -np.inf, 1.5])
    parity(torch, lambda L, x: L.nan_to_num(x), a)
    parity(torch, lambda L, x: L.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-2.0), a)


# -- clamp --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(min=0.0), dict(max=0.0), dict(min=-0.5, max=0.5),
                                dict(min=0.5, max=-0.5)])
def test_clamp_scalar(torch, kw):
    a = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 0.2], dtype=np.float32)
    parity(torch, lambda L, x: L.clamp(x, **kw), a)
    parity(torch, lambda L, x: x.clip(**kw), a)


def test_clamp_tensor_bounds(torch):
    x = RNG.standard_normal((3, 4))
    lo, hi = RNG.standard_normal(4) - 0.5, RNG.standard_normal((3, 1)) + 0.5
    parity(torch, lambda L, a, b, c: L.clamp(a, b, c), x, lo, hi)
    parity(torch, lambda L, a, b: L.clamp(a, min=b), x, lo)
    parity(torch, lambda L, a, c: L.clamp(a, max=c), x, hi)
    parity(torch, lambda L, a, b, c: L.clamp(a, b, c), x, lo, hi, grad=(0,))
    # crossing bounds (min > max) and ties with the bounds
    x = np.array([-2.0, 0.0, 2.0, 0.5, -1.0, 1.0])
    lo, hi = np.array([1.0, 1, 1, -1, -1, -1]), np.array([-1.0, -1, -1, 1, 1, 1])
    parity(torch, lambda L, a, b, c: L.clamp(a, b, c), x, lo, hi)
    parity(torch, lambda L, a: L.clamp(a, 1.0, -1.0), x)


def test_clamp_min_max_methods(torch):
    x, b = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    parity(torch, lambda L, a: a.clamp_min(0.1), x)
    parity(torch, lambda L, a: a.clamp_max(0.1), x)
    parity(torch, lambda L, a, c: a.clamp_min(c), x, b)
    parity(torch, lambda L, a, c: a.clamp_max(c), x, b)


@pytest.mark.parametrize("f", [
    lambda L: L.clamp(L.ones(3)),
    lambda L: L.clamp(L.ones(3), min=L.zeros(3), max=1.0),
])
def test_clamp_errors(torch, f):
    with pytest.raises(Exception) as te:
        f(torch)
    with pytest.raises(type(te.value)) as ee:
        f(engine)
    assert str(ee.value) == str(te.value)


def test_builtin_abs(torch):
    parity(torch, lambda L, x: abs(x), RNG.standard_normal(4) + 0.5)


@FAST
@given(sh=pair_shapes)
def test_clamp_tensor_gradcheck(sh):
    (s0, s1), _ = sh
    x = away(RNG.standard_normal(s0), (-0.3,))
    lo = np.full(s1, -0.3) + 0.0
    numgrad_check(lambda a: engine.clamp(a, engine.tensor(lo)), x)


# -- maximum / minimum / where -----------------------------------------------------------------
@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_ties_split(torch, op):
    a = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    b = np.array([1.0, 0.0, 5.0], dtype=np.float32)
    parity(torch, lambda L, x, y: getattr(L, op)(x, y), a, b)
    parity(torch, lambda L, x, y: getattr(L, op)(x, y), a, b.astype(np.float64))


@pytest.mark.parametrize("op", ["maximum", "minimum"])
@FAST
@given(sh=pair_shapes)
def test_maximum_minimum_gradcheck(op, sh):
    (s0, s1), _ = sh
    a, b = RNG.standard_normal(s0), RNG.standard_normal(s1)
    b = b + np.where(np.abs(np.broadcast_to(b, np.broadcast_shapes(s0, s1)) - a)
                     < 0.05, 0.1, 0.0).max(initial=0.0)
    numgrad_check(lambda x, y: getattr(engine, op)(x, y), a, b)


def test_where(torch):
    c = RNG.standard_normal((3, 4)) > 0
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    parity(torch, lambda L, x, y: L.where(L.tensor(c), x, y), a, b)
    parity(torch, lambda L, x: L.where(L.tensor(c), x, 0.0), a.astype(np.float32))
    parity(torch, lambda L, x: L.where(L.tensor(c), 1.0, x), a)
    parity(torch, lambda L, x: L.where(x > 0, 1, 0), a)
    parity(torch, lambda L, x: L.where(x > 0, 1.0, 0.0), a.astype(np.float32))
    parity(torch, lambda L, x: x.where(x > 0, 2.0), a)
    e, t = engine.where(engine.tensor(c)), torch.where(torch.tensor(c))
    assert [x.tolist() for x in e] == [x.tolist() for x in t]


@FAST
@given(sh=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3))
def test_where_gradcheck(sh):
    (sc, sa, sb), _ = sh
    c = RNG.standard_normal(sc) > 0
    numgrad_check(lambda x, y: engine.where(engine.tensor(c), x, y),
                  RNG.standard_normal(sa), RNG.standard_normal(sb))


# -- comparisons and logic ----------------------------------------------------------------------
CMP = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
       "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


@pytest.mark.parametrize("op", CMP)
def test_comparison_operators(torch, op):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], dtype=np.float32)
    b = np.array([2.0, 2.0, 2.0])
    f = CMP[op]
    parity(torch, lambda L, x, y: f(x, y), a, b)
    parity(torch, lambda L, x: f(x, 2), a)
    parity(torch, lambda L, x: f(x, 2.5), a.astype(np.int64))


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparison_functions(torch, name):
    a, b = np.array([1, 2, 3]), np.array([3.0, 2.0, 1.0])
    parity(torch, lambda L, x, y: getattr(L, name)(x, y), a, b)
    parity(torch, lambda L, x, y: getattr(x, name)(y), a, b)


def test_comparison_results_do_not_require_grad():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    assert not (x > 1).requires_grad and (x > 1).grad_fn is None
    assert (x == None) is False and (x != None) is True  # noqa: E711 - torch's behaviour


def test_logic(torch):
    a, b = np.array([True, False, True]), np.array([True, True, False])
    for f in (lambda L, x, y: x & y, lambda L, x, y: x | y, lambda L, x, y: x ^ y,
              lambda L, x, y: ~x, lambda L, x, y: L.logical_not(x),
              lambda L, x, y: L.logical_and(x, y), lambda L, x, y: L.logical_or(x, y),
              lambda L, x, y: L.logical_xor(x, y)):
        parity(torch, f, a, b)
    parity(torch, lambda L, x, y: x & y, np.array([1, 3]), np.array([1, 2]))
    parity(torch, lambda L, x: ~x, np.array([1, 2]))
    parity(torch, lambda L, x: L.logical_not(x), np.array([1.0, 0.0]))


def test_logic_errors(torch):
    for f in (lambda L: ~L.tensor([1.0]), lambda L: L.tensor([1.0]) & L.tensor([1.0])):
        with pytest.raises(Exception) as te:
            f(torch)
        with pytest.raises(type(te.value)) as ee:
            f(engine)
        assert str(ee.value) == str(te.value)


# -- div with rounding_mode (called by arithmetic.div) --------------------------------------------
@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_div_rounding(torch, mode):
    parity(torch, lambda L, x: L.div(x, 2.0, rounding_mode=mode), RNG.standard_normal(4) * 5)
    parity(torch, lambda L, x, y: L.div(x, y, rounding_mode=mode),
           np.array([7, -7, 5]), np.array([2, 2, -3]))
    parity(torch, lambda L, x, y: L.div(x, y, rounding_mode=mode),
           RNG.standard_normal(3), RNG.standard_normal(3))


def test_div_rounding_errors(torch):
    for f in (lambda L: L.div(L.tensor([1.0]), 2, rounding_mode="x"),
              lambda L: L.div(L.tensor([1]), 0, rounding_mode="floor")):
        with pytest.raises(RuntimeError) as te:
            f(torch)
        with pytest.raises(RuntimeError) as ee:
            f(engine)
        assert str(ee.value) == str(te.value)


# -- second order -------------------------------------------------------------------------------
def second_order(torch, fn, a):
    """d/dx <d<fn(x), v>/dx, w> with create_graph=True, against torch."""
    v = np.asarray(RNG.standard_normal(tuple(fn(torch, torch.tensor(a)).shape)))
    w = RNG.standard_normal(a.shape)
    grads = []
    for lib in (engine, torch):
        x = lib.tensor(a, requires_grad=True)
        (g,) = lib.autograd.grad(fn(lib, x), x, lib.tensor(v), create_graph=True)
        assert g.requires_grad
        (g * lib.tensor(w)).sum().backward()
        grads.append((g.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "exp", "log", "sqrt", "sin", "cos",
                                  "erf", "reciprocal", "rsqrt", "log1p"])
def test_second_order(torch, name):
    second_order(torch, lambda L, x: getattr(L, name)(x), np.abs(RNG.standard_normal((3, 4))))


def test_second_order_clamp_relu_maximum_where(torch):
    a = away(RNG.standard_normal((3, 4)))
    second_order(torch, lambda L, x: L.relu(x) * x, a)
    second_order(torch, lambda L, x: L.clamp(x, -0.5, 0.5) * x, a)
    second_order(torch, lambda L, x: L.maximum(x * x, L.tensor(0.5).double()), a)
    second_order(torch, lambda L, x: L.where(x > 0, x * x, x), a)


def test_float32_stays_float32():
    x = engine.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    for f in (engine.exp, engine.sqrt, engine.sigmoid, engine.relu, engine.erf,
              lambda t: engine.clamp(t, 0.0, 0.5), lambda t: engine.where(t > 0, t, 0.0)):
        y = f(x)
        assert y.dtype == engine.float32
        y.sum().backward()
        assert x.grad.dtype == engine.float32
        x.grad = None


def test_bitwise_not_on_float_texts_differ_for_function_and_operator(torch):
    """torch.bitwise_not(float) names the kernel; ``~float`` has the operator's own text."""
    for lib in (engine, torch):
        x = lib.tensor([1.0])
        with pytest.raises(NotImplementedError,
                           match="^\"bitwise_not_cpu\" not implemented for 'Float'$"):
            lib.bitwise_not(x)
        with pytest.raises(TypeError, match=r"^~ \(operator\.invert\) is only implemented on "
                                            "integer and Boolean-type tensors$"):
            _ = ~x
