"""Shape ops against torch 2.13: values, dtypes, grads, grad_fn chains, error texts."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine


def chain(fn):
    """grad_fn graph as a string: names and next_functions structure, leaves as 'Acc'."""
    if fn is None:
        return "None"
    if type(fn).__name__ == "AccumulateGrad":
        return "Acc"
    inner = ",".join(chain(n) if n is not None else "None" for n, _ in fn.next_functions)
    return f"{fn.name()}[{inner}]"


def parity(torch, shapes, f, rg=None, dtype=np.float64, seed=0):
    """Run ``f(lib, *tensors)`` on torch and engine; compare values, dtypes, chains, grads
    (backward with a random upstream gradient per output), or exception type and text."""
    rng = np.random.default_rng(seed)
    arrs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    rg = rg or [True] * len(arrs)
    results, ups = [], None
    for lib in (torch, engine):
        ts = [lib.tensor(a, requires_grad=r) for a, r in zip(arrs, rg)]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = f(lib, *ts)
        except Exception as e:  # noqa: BLE001 - compared with torch's
            results.append((type(e).__name__, str(e)))
            continue
        outs = out if isinstance(out, (tuple, list)) else (out,)
        if ups is None:
            ups = [rng.standard_normal(tuple(o.shape)).astype(dtype) for o in outs]
        loss = None
        for o, u in zip(outs, ups):
            if o.requires_grad:
                term = (o * lib.tensor(u)).sum()
                loss = term if loss is None else loss + term
        if loss is not None:
            loss.backward()
        results.append((
            [o.detach().numpy().copy() for o in outs], [str(o.dtype) for o in outs],
            [chain(o.grad_fn) for o in outs],
            [None if t.grad is None else t.grad.numpy() for t in ts]))
    want, got = results
    if isinstance(want[0], str) or isinstance(got[0], str):
        assert got == want
        return
    for w, g in zip(want[0], got[0]):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    assert got[1] == want[1]
    assert got[2] == want[2]
    for w, g in zip(want[3], got[3]):
        assert (w is None) == (g is None)
        if w is not None:
            assert g.dtype == w.dtype
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def numeric_check(f, arrays, eps=1e-6, tol=1e-5):
    """Central differences of sum(f(x) * w) against the engine's gradient (float64)."""
    rng = np.random.default_rng(1)
    ts = [engine.tensor(a, requires_grad=True) for a in arrays]
    out = f(*ts)
    w = rng.standard_normal(tuple(out.shape))
    (out * engine.tensor(w)).sum().backward()
    for i, a in enumerate(arrays):
        num = np.zeros_like(a)
        for j in np.ndindex(a.shape):
            vals = []
            for d in (eps, -eps):
                p = [x.copy() for x in arrays]
                p[i][j] += d
                vals.append(float((f(*[engine.tensor(x) for x in p])._data * w).sum()))
            num[j] = (vals[0] - vals[1]) / (2 * eps)
        np.testing.assert_allclose(ts[i].grad.numpy(), num, rtol=tol, atol=tol)


S = (2, 3, 4)
CASES = {
    "reshape": lambda L, x: x.reshape(6, 4),
    "reshape_infer": lambda L, x: x.reshape(-1, 2),
    "reshape_tuple": lambda L, x: x.reshape((4, -1)),
    "reshape_fn": lambda L, x: L.reshape(x, (3, 8)),
    "reshape_noncontig": lambda L, x: x.transpose(0, 1).reshape(6, 4),
    "reshape_alias": lambda L, x: x.transpose(0, 1).reshape(3, 2, 2, 2),
    "reshape_bad": lambda L, x: x.reshape(5, 5),
    "reshape_two_infer": lambda L, x: x.reshape(-1, -1),
    "reshape_infer_bad": lambda L, x: x.reshape(-1, 5),
    "reshape_zero": lambda L, x: x.reshape(0, -1),
    "view": lambda L, x: x.view(-1),
    "view_noncontig": lambda L, x: x.transpose(0, 1).view(-1),
    "view_as": lambda L, x: x.view_as(L.zeros(24)),
    "transpose": lambda L, x: x.transpose(0, 2),
    "transpose_neg": lambda L, x: L.transpose(x, -1, 0),
    "transpose_bad": lambda L, x: x.transpose(0, 5),
    "t_3d": lambda L, x: x.t(),
    "t_2d": lambda L, x: L.t(x[0]),
    "t_1d": lambda L, x: x[0, 0].t(),
    "T_3d": lambda L, x: x.T,
    "T_2d": lambda L, x: x[0].T,
    "T_1d": lambda L, x: x[0, 0].T,
    "mT": lambda L, x: x.mT,
    "mT_1d": lambda L, x: x[0, 0].mT,
    "permute": lambda L, x: x.permute(2, 0, 1),
    "permute_tuple": lambda L, x: x.permute((2, 0, 1)),
    "permute_neg": lambda L, x: L.permute(x, (-1, 0, 1)),
    "permute_bad_len": lambda L, x: x.permute(2, 0),
    "permute_dup": lambda L, x: x.permute(2, 0, 0),
    "unsqueeze": lambda L, x: x.unsqueeze(-1),
    "unsqueeze_fn": lambda L, x: L.unsqueeze(x, 0),
    "unsqueeze_bad": lambda L, x: x.unsqueeze(5),
    "squeeze_all": lambda L, x: x[:, :1, None].squeeze(),
    "squeeze_dim": lambda L, x: x[:, :1].squeeze(1),
    "squeeze_non1": lambda L, x: x.squeeze(0),
    "squeeze_dims": lambda L, x: x[:, :1, None].squeeze((1, 2)),
    "squeeze_bad": lambda L, x: x.squeeze(5),
    "squeeze_fn": lambda L, x: L.squeeze(x[:1]),
    "expand": lambda L, x: x[:, :1].expand(4, 2, 5, 4),
    "expand_keep": lambda L, x: x[:, :1].expand(-1, 3, -1),
    "expand_bad": lambda L, x: x.expand(3, 4, 3, 2),
    "expand_too_few": lambda L, x: x.expand(3, 2),
    "expand_lead_neg": lambda L, x: x.expand(-1, 2, 3, 4),
    "expand_as": lambda L, x: x.expand_as(L.zeros(5, 2, 3, 4)),
    "sum_to_size": lambda L, x: x.sum_to_size(3, 1),
    "sum_to_size_same": lambda L, x: x.sum_to_size(2, 3, 4),
    "sum_to_size_keep": lambda L, x: x.sum_to_size(2, 1, 4),
    "sum_to_size_bad": lambda L, x: x.sum_to_size(5, 1),
    "flatten": lambda L, x: x.flatten(),
    "flatten_start": lambda L, x: x.flatten(1),
    "flatten_fn": lambda L, x: L.flatten(x, 0, 1),
    "flatten_same": lambda L, x: x.flatten(1, 1),
    "flatten_noncontig": lambda L, x: x.mT.flatten(),
    "contiguous": lambda L, x: x.contiguous(),
    "contiguous_copy": lambda L, x: x.mT.contiguous(),
    "cat": lambda L, x: L.cat([x, x * 2], 1),
    "cat_neg": lambda L, x: L.cat([x, x * 2], -1),
    "cat_const": lambda L, x: L.cat([x, L.zeros(2, 3, 4, dtype=x.dtype)], 1),
    "cat_bad_size": lambda L, x: L.cat([x, L.zeros(2, 3, 5)], 1),
    "cat_bad_ndim": lambda L, x: L.cat([x, L.zeros(2, 3)], 1),
    "cat_empty": lambda L, x: L.cat([], 1),
    "cat_bad_dim": lambda L, x: L.cat([x, x], 3),
    "concat": lambda L, x: L.concat((x, x), 0),
    "cat_promote": lambda L, x: L.cat([x.float(), L.zeros(2, 3, 4, dtype=L.float64)], 1),
    "stack": lambda L, x: L.stack([x, x * 3], 1),
    "stack_last": lambda L, x: L.stack([x, x * 3], -1),
    "stack_bad": lambda L, x: L.stack([x, x[0]], 1),
    "stack_empty": lambda L, x: L.stack([], 1),
    "split": lambda L, x: x.split(3, 2),
    "split_sizes": lambda L, x: x.split([1, 3], 2),
    "split_fn": lambda L, x: L.split(x, 1),
    "split_sizes_bad": lambda L, x: x.split([1, 2], 2),
    "split_zero": lambda L, x: x.split(0, 1),
    "split_one_used": lambda L, x: x.split(2, 2)[1],
    "chunk": lambda L, x: x.chunk(2, 2),
    "chunk_uneven": lambda L, x: x.chunk(3, 2),
    "chunk_bad": lambda L, x: x.chunk(0, 2),
    "chunk_fn_one_used": lambda L, x: L.chunk(x, 3, 1)[0] * 2,
    "clone": lambda L, x: x.clone(),
    "to_other": lambda L, x: x.to(L.float32 if x.dtype == L.float64 else L.float64),
    "to_tensor": lambda L, x: x.to(L.zeros(1, dtype=L.float64)),
    "to_cpu": lambda L, x: x.to("cpu"),
    "double": lambda L, x: x.double(),
    "float": lambda L, x: x.float(),
    "long": lambda L, x: x.long(),
    "int": lambda L, x: x.int(),
    "bool": lambda L, x: x.bool(),
    "type_dtype": lambda L, x: x.type(L.float32),
    "type_str": lambda L, x: x.type("torch.DoubleTensor"),
    "swapaxes": lambda L, x: x.swapaxes(0, 1),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_shape_parity(torch, name, dtype):
    parity(torch, [S], CASES[name], dtype=dtype)


@pytest.mark.parametrize("rg", [(False, True), (True, False)])
@pytest.mark.parametrize("op", ["cat", "stack"])
def test_cat_stack_partial_grad(torch, op, rg):
    parity(torch, [S, S], lambda L, x, y: getattr(L, op)([x, y], 1), rg=list(rg))


@pytest.mark.parametrize("name", ["T", "flatten"])
def test_zero_dim(torch, name):
    parity(torch, [()], (lambda L, x: x.T) if name == "T" else (lambda L, x: x.flatten()))


def test_same_dtype_conversion_returns_self():
    x = engine.zeros(2, requires_grad=True)
    assert x.float() is x and x.to(engine.float32) is x and x.type(engine.float32) is x
    assert x.contiguous() is x and x.to(engine.float32, copy=True) is not x
    assert x.type() == "torch.FloatTensor"


def test_T_warns_on_non_matrices():
    # torch emits this with TORCH_WARN_ONCE, so it cannot be re-observed in one session
    with pytest.warns(UserWarning, match=r"The use of `x.T` on tensors of dimension other "):
        _ = engine.zeros(2, 3, 4).T
    with pytest.warns(UserWarning, match="Tensor.T is deprecated on 0-D tensors"):
        _ = engine.zeros(()).T
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _ = engine.zeros(2, 3).T
        _ = engine.zeros(3).T


def test_split_outputs_share_one_node():
    x = engine.randn(2, 6, requires_grad=True)
    parts = x.split(2, 1)
    assert len({id(p.grad_fn) for p in parts}) == 1
    assert [p._output_nr for p in parts] == [0, 1, 2]
    assert parts[0].grad_fn.num_outputs == 3


def test_views_share_memory_like_torch():
    x = engine.zeros(2, 3)
    x.view(-1)[1] = 5.0
    x.t()[2, 1] = 7.0
    assert x.tolist() == [[0.0, 5.0, 0.0], [0.0, 0.0, 7.0]]


_dims = st.lists(st.integers(1, 3), min_size=1, max_size=3)


@settings(max_examples=30, deadline=None)
@given(shape=_dims, data=st.data())
def test_numeric_permute_reshape(shape, data):
    perm = data.draw(st.permutations(range(len(shape))))
    a = np.random.default_rng(0).standard_normal(shape)
    numeric_check(lambda x: (x.permute(*perm).reshape(-1) ** 2).unsqueeze(0), [a])


@settings(max_examples=30, deadline=None)
@given(shape=_dims, data=st.data())
def test_numeric_cat_split(shape, data):
    dim = data.draw(st.integers(0, len(shape) - 1))
    a = np.random.default_rng(1).standard_normal(shape)
    b = np.random.default_rng(2).standard_normal(shape)

    def f(x, y):
        parts = engine.cat([x, y * x], dim).split(1, dim)
        return engine.stack([p * (i + 1) for i, p in enumerate(parts)], 0)
    numeric_check(f, [a, b])


@settings(max_examples=25, deadline=None)
@given(shape=_dims)
def test_numeric_expand_sum_to_size(shape):
    a = np.random.default_rng(3).standard_normal(shape)
    small = tuple(1 if i % 2 else s for i, s in enumerate(shape))
    numeric_check(lambda x: x.sum_to_size(*small).expand(2, *shape) ** 2, [a])


def second_order(torch, shapes, f):
    """d/dx of <grad(loss(f(x)), x), v> with create_graph=True, torch vs engine."""
    rng = np.random.default_rng(4)
    arrs = [rng.standard_normal(s) for s in shapes]
    res = []
    for L in (torch, engine):
        ts = [L.tensor(a, requires_grad=True) for a in arrs]
        y = f(L, *ts)
        loss = ((y * L.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)))) ** 2).sum()
        gs = L.autograd.grad(loss, ts, create_graph=True)
        total = sum((g * L.tensor(np.sin(np.arange(g.numel())).reshape(tuple(g.shape)))).sum()
                    for g in gs)
        total.backward()
        res.append([t.grad.detach().numpy() for t in ts])
    for w, g in zip(*res):
        np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-9)


SECOND = {
    "reshape_permute_expand": ([S], lambda L, x: x.reshape(4, 6).t().permute(1, 0).unsqueeze(0)
                               .expand(2, 4, 6) * x.flatten()[:6]),
    "noncontig_reshape": ([S], lambda L, x: x.transpose(0, 2).reshape(-1) * x.flatten()),
    "cat_stack": ([S, S], lambda L, x, y: L.cat([x, y * x], 1).sum(1)
                  * L.stack([y, x], 0).sum(0).sum(1)),
    "split_chunk": ([S], lambda L, x: L.cat([(p * p).flatten() for p in x.split([1, 2], 1)]
                                            + [(c * 2).flatten() for c in x.chunk(2, 2)])),
    "squeeze_sum_to_size": ([(3, 1, 4)], lambda L, x: x.squeeze() * x.squeeze(1)
                            * x.sum_to_size(1, 1, 4).squeeze((0, 1))),
    "dtype_roundtrip": ([S], lambda L, x: x.float().double() * x),
}


@pytest.mark.parametrize("name", sorted(SECOND))
def test_second_order(torch, name):
    shapes, f = SECOND[name]
    second_order(torch, shapes, f)


@st.composite
def _view_case(draw):
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=4))
    perm = draw(st.permutations(range(len(shape))))
    sliced = draw(st.booleans())
    numel = int(np.prod([s for s in shape]))
    target, rest = [], numel
    while rest > 1 and len(target) < 3:  # a random factorisation of numel
        f = draw(st.sampled_from([d for d in range(1, rest + 1) if rest % d == 0]))
        target.append(f)
        rest //= f
    target.append(rest)
    if draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return shape, perm, sliced, tuple(target)


@settings(max_examples=int(__import__("os").environ.get("VIEW_EXAMPLES", 60)), deadline=None)
@given(case=_view_case(), method=st.sampled_from(["reshape", "view", "flatten", "contiguous"]))
def test_random_view_or_copy_parity(torch, case, method):
    """Whether a reshape is a view (ViewBackward0 / ReshapeAliasBackward0) or a copy
    (UnsafeViewBackward0 over CloneBackward0) follows strides exactly as torch does."""
    shape, perm, sliced, target = case

    def f(L, x):
        y = x.permute(*perm)
        if sliced:
            y = y.expand(2, *y.shape)[1]
        if method == "flatten":
            return y.flatten(min(1, y.dim() - 1))
        if method == "contiguous":
            return y.contiguous()
        return getattr(y, method)(*target)
    parity(torch, [shape], f)
