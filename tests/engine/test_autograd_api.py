"""engine.autograd's API: Function (custom ops), gradcheck/gradgradcheck, backward/grad
arguments — each compared with torch 2.13."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the record is the exception itself
        return type(e).__name__, str(e)
    return None


def _functions(lib):
    """The same custom ops defined against ``lib``."""

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            r = x.exp() * k
            ctx.save_for_backward(r)
            ctx.k = k
            return r

        @staticmethod
        def backward(ctx, g):
            (r,) = ctx.saved_tensors
            ctx.log.append((lib.is_grad_enabled(), type(g).__name__, g.requires_grad))
            return g * r, None

    class NoSave(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    class Two(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    class WrongCount(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    class WrongShape(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return lib.ones(3)

    class Ident(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    class NotDiff(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = x.sum()
            ctx.mark_non_differentiable(idx)
            return x * 1, idx

        @staticmethod
        def backward(ctx, g, g2):
            return g

    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    return locals()


def custom_function(lib):
    fns = _functions(lib)
    Exp = fns["Exp"]
    rec = []
    x = lib.tensor([0.5, 1.0], requires_grad=True)
    y = Exp.apply(x, 2.0)
    y.grad_fn.log = log = []
    rec.append((type(y.grad_fn).__name__, y.grad_fn.name(), repr(y.grad_fn).split(" object")[0],
                y.grad_fn.next_functions[0][0].name(), len(y.grad_fn.next_functions),
                y.grad_fn.needs_input_grad, y.requires_grad, y.is_leaf))
    y.sum().backward()
    rec.append(([round(v, 5) for v in x.grad.tolist()], log))
    rec.append(_error(lambda: y.grad_fn.saved_tensors))
    rec.append(_error(lambda: y.sum().backward()))
    s = fns["NoSave"].apply(x).sum()
    s.backward()
    rec.append(_error(s.backward))  # nothing saved: a second pass works, as in torch
    rec.append(_error(lambda: fns["WrongCount"].apply(x, x).sum().backward()))
    rec.append(_error(lambda: fns["WrongShape"].apply(x).backward()))
    a, b = fns["Two"].apply(x)
    x.grad = None
    a.sum().backward()
    rec.append((a.grad_fn is b.grad_fn, a.grad_fn.name(), x.grad.tolist()))
    with lib.no_grad():
        c = Exp.apply(x, 1.0)
    rec.append((c.requires_grad, c.grad_fn))
    i = fns["Ident"].apply(x)
    rec.append((i is x, i.grad_fn.name()))
    p, q = fns["NotDiff"].apply(x)
    rec.append((p.requires_grad, q.requires_grad, q.grad_fn))
    x.grad = None
    fns["Scale"].apply(x, 3.0).sum().backward()
    rec.append(x.grad.tolist())
    return rec


def custom_function_double_backward(lib):
    Cube = _functions(lib)["Cube"]
    x = lib.tensor([0.3, -1.2], dtype=lib.float64, requires_grad=True)
    (gx,) = lib.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (ggx,) = lib.autograd.grad(gx.sum(), x)
    return gx.tolist(), gx.requires_grad, gx.grad_fn.name(), ggx.tolist()


def gradcheck_api(lib):
    gc, ggc = lib.autograd.gradcheck, lib.autograd.gradgradcheck
    x = lib.tensor([[0.3, -0.2], [0.5, 1.1]], dtype=lib.float64, requires_grad=True)
    y = lib.tensor([0.7, 0.1], dtype=lib.float64, requires_grad=True)
    rec = [gc(lambda a, b: lib.tanh(a * b + 1.0), (x, y)),
           ggc(lambda a, b: lib.tanh(a * b + 1.0), (x, y)),
           gc(lambda a: (a * a).sum(), x)]

    class Wrong(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * a

    try:
        gc(Wrong.apply, (y,))
    except RuntimeError as e:
        rec.append((type(e).__name__, str(e)))
    rec.append(gc(Wrong.apply, (y,), raise_exception=False))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rec.append(gc(lambda a: a * 2, (lib.tensor([1.0, 2.0], requires_grad=True),),
                      eps=1e-3, atol=1e-3))
    rec.append([(c.category.__name__, str(c.message)) for c in caught])
    rec.append(_error(lambda: gc(lambda a: a * 2, (lib.tensor([1.0], dtype=lib.float64),))))
    rec.append(_error(lambda: gc(lambda a, b: a * b, (x, x), eps=1e-6, rtol=0.0, atol=0.0)))
    return rec


def functional_api(lib):
    af = lib.autograd.functional
    x = lib.tensor([0.3, -0.7, 1.1], dtype=lib.float64)
    y = lib.tensor([[0.5, 2.0]], dtype=lib.float64)

    def r(t):
        return [round(v, 10) for v in t.reshape(-1).tolist()], tuple(t.shape), t.requires_grad

    rec = [r(af.jacobian(lambda a: lib.tanh(a) * a, x))]
    j = af.jacobian(lambda a, b: (a * b.sum(), b * 2), (x, y))
    rec.append([[r(t) for t in row] for row in j])
    rec.append(r(af.hessian(lambda a: (a ** 3).sum(), x)))
    h = af.hessian(lambda a, b: (a.sum() * b.sum()) ** 2, (x, y))
    rec.append([[r(t) for t in row] for row in h])
    o, g = af.vjp(lambda a: a * a, x, lib.ones(3, dtype=lib.float64))
    rec.append((r(o), r(g)))
    rec.append(r(af.jacobian(lambda a: a.exp(), x, create_graph=True)))
    rec.append(_error(lambda: af.hessian(lambda a: a * 2, x)))
    return rec


@pytest.mark.parametrize("scenario", [custom_function, custom_function_double_backward,
                                      gradcheck_api, functional_api], ids=lambda s: s.__name__)
def test_matches_torch(torch, scenario):
    assert scenario(engine) == scenario(torch)


def test_gradcheck_error_is_runtime_error():
    from engine.autograd.gradcheck import GradcheckError
    assert issubclass(GradcheckError, RuntimeError)


_BINARY = [lambda a, b: a * b + a, lambda a, b: a / (b * b + 1.0), lambda a, b: (a - b).exp(),
           lambda a, b: engine.tanh(a) * engine.sigmoid(b), lambda a, b: (a * a + 1.0).log() - b]
shapes = st.sampled_from([((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2,))])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, len(_BINARY) - 1), shapes, st.integers(0, 2**31 - 1))
def test_gradcheck_and_gradgradcheck_on_broadcasting_ops(k, shape_pair, seed):
    rng = np.random.default_rng(seed)
    a = engine.tensor(rng.uniform(-1, 1, shape_pair[0]), requires_grad=True)
    b = engine.tensor(rng.uniform(-1, 1, shape_pair[1]), requires_grad=True)
    assert engine.autograd.gradcheck(_BINARY[k], (a, b))
    assert engine.autograd.gradgradcheck(_BINARY[k], (a, b))


def test_gradcheck_catches_a_wrong_formula():
    class Bad(engine.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g

    x = engine.tensor([1.0, 2.0], dtype=engine.float64, requires_grad=True)
    assert engine.autograd.gradcheck(Bad.apply, (x,), raise_exception=False) is False


def test_backward_and_grad_argument_errors(torch):
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)

        def y():
            return x * 2

        rec = [
            _error(lambda: lib.autograd.backward([y().sum(), y().sum()], [lib.tensor(1.0)])),
            _error(lambda: y().backward(lib.ones(3))),
            _error(lambda: lib.autograd.grad(y(), x, lib.ones(2, 2))),
            _error(lambda: lib.autograd.grad(y().sum(), x, "a")),
        ]
        (g,) = lib.autograd.grad(y().sum(), x, [lib.tensor(1.0), lib.tensor(1.0)])
        y().backward(lib.tensor([1, 2]))
        rec += [g.tolist(), x.grad.tolist(), x.grad.dtype == lib.float32]
        return rec
    assert scenario(engine) == scenario(torch)
