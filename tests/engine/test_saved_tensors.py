"""grad_fn._saved_* as torch names them: same attribute names, same values, torch's error once
the graph is freed, saved_tensors_hooks. Parity cases build the same graph in both libraries."""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.autograd.graph import FREED_MSG

RNG = np.random.default_rng(7)
A, B = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
M, V = RNG.standard_normal((3, 4)), RNG.standard_normal(3)
BT, BT2 = RNG.standard_normal((2, 2, 3)), RNG.standard_normal((2, 3, 2))
TGT = RNG.random((2, 3))


def F(lib):
    import engine.nn.functional as EF
    return EF if lib is engine else lib.nn.functional


CASES = {
    "add": lambda L, a, b, m, v: a + b,
    "add_alpha": lambda L, a, b, m, v: L.add(a, b, alpha=2),
    "sub_alpha": lambda L, a, b, m, v: L.sub(a, b, alpha=3),
    "rsub": lambda L, a, b, m, v: 2 - a,
    "mul": lambda L, a, b, m, v: a * b,
    "mul_scalar": lambda L, a, b, m, v: a * 2,
    "mul_float": lambda L, a, b, m, v: a * 2.5,
    "mul_const": lambda L, a, b, m, v: a * b.detach(),
    "div": lambda L, a, b, m, v: a / b,
    "div_scalar": lambda L, a, b, m, v: a / 2,
    "neg": lambda L, a, b, m, v: -a,
    "pow_scalar": lambda L, a, b, m, v: a ** 2,
    "pow_tensor": lambda L, a, b, m, v: a.abs() ** b,
    "rpow": lambda L, a, b, m, v: 2 ** a,
    "mm": lambda L, a, b, m, v: a @ m,
    "mm_transposed": lambda L, a, b, m, v: a.t() @ b,
    "mv": lambda L, a, b, m, v: a @ v,
    "dot": lambda L, a, b, m, v: v @ v,
    "addmm": lambda L, a, b, m, v: F(L).linear(a, m.t(), m[0]),
    "sum": lambda L, a, b, m, v: a.sum(),
    "sum_dim": lambda L, a, b, m, v: a.sum(1),
    "mean": lambda L, a, b, m, v: a.mean(),
    "mean_dim": lambda L, a, b, m, v: a.mean(0, keepdim=True),
    "exp": lambda L, a, b, m, v: a.exp(),
    "log": lambda L, a, b, m, v: a.abs().log(),
    "sqrt": lambda L, a, b, m, v: a.abs().sqrt(),
    "tanh": lambda L, a, b, m, v: a.tanh(),
    "sigmoid": lambda L, a, b, m, v: a.sigmoid(),
    "relu": lambda L, a, b, m, v: a.relu(),
    "abs": lambda L, a, b, m, v: a.abs(),
    "sin": lambda L, a, b, m, v: a.sin(),
    "cos": lambda L, a, b, m, v: a.cos(),
    "clamp": lambda L, a, b, m, v: a.clamp(-0.5, 0.5),
    "clamp_min": lambda L, a, b, m, v: a.clamp(min=0),
    "max_all": lambda L, a, b, m, v: a.max(),
    "max_dim": lambda L, a, b, m, v: a.max(1)[0],
    "amax": lambda L, a, b, m, v: a.amax(1),
    "maximum": lambda L, a, b, m, v: L.maximum(a, b),
    "var": lambda L, a, b, m, v: a.var(),
    "std_dim": lambda L, a, b, m, v: a.std(1),
    "logsumexp": lambda L, a, b, m, v: a.logsumexp(1),
    "prod": lambda L, a, b, m, v: a.prod(1),
    "where": lambda L, a, b, m, v: L.where(a > 0, a, b),
    "cumsum": lambda L, a, b, m, v: a.cumsum(1),
    "cumprod": lambda L, a, b, m, v: a.cumprod(1),
    "flip": lambda L, a, b, m, v: a.flip(0),
    "sort": lambda L, a, b, m, v: a.sort()[0],
    "topk": lambda L, a, b, m, v: a.topk(2)[0],
    "norm": lambda L, a, b, m, v: a.norm(),
    "norm_dim": lambda L, a, b, m, v: L.linalg.vector_norm(a, ord=1, dim=1),
    "view": lambda L, a, b, m, v: a.view(3, 2),
    "transpose": lambda L, a, b, m, v: a.transpose(0, 1),
    "permute": lambda L, a, b, m, v: a.permute(1, 0),
    "unsqueeze": lambda L, a, b, m, v: a.unsqueeze(1),
    "squeeze_dim": lambda L, a, b, m, v: a.unsqueeze(0).squeeze(0),
    "expand": lambda L, a, b, m, v: v.expand(2, 3),
    "select": lambda L, a, b, m, v: a[1],
    "slice": lambda L, a, b, m, v: a[:, 1:],
    "slice_end": lambda L, a, b, m, v: a[:, 0:2],
    "index": lambda L, a, b, m, v: a[[0, 1], [1, 2]],
    "index_range": lambda L, a, b, m, v: a[range(2), [2, 0]],
    "cat": lambda L, a, b, m, v: L.cat([a, b]),
    "stack": lambda L, a, b, m, v: L.stack([a, b], 1),
    "split": lambda L, a, b, m, v: a.split(1)[0],
    "bce_with_logits": lambda L, a, b, m, v: F(L).binary_cross_entropy_with_logits(
        a, L.tensor(TGT)),
    "bce_with_logits_pos_weight": lambda L, a, b, m, v: F(L).binary_cross_entropy_with_logits(
        a, L.tensor(TGT), pos_weight=L.tensor(TGT[0]), reduction="sum"),
    "bce": lambda L, a, b, m, v: F(L).binary_cross_entropy(a.sigmoid(), L.tensor(TGT)),
    "mse": lambda L, a, b, m, v: F(L).mse_loss(a, b),
    "cross_entropy": lambda L, a, b, m, v: F(L).cross_entropy(a, L.tensor([0, 2])),
    "nll_sum": lambda L, a, b, m, v: F(L).nll_loss(a.log_softmax(1), L.tensor([1, 2]),
                                                   reduction="sum"),
    "softmax": lambda L, a, b, m, v: a.softmax(1),
    "gelu": lambda L, a, b, m, v: F(L).gelu(a),
    "leaky_relu": lambda L, a, b, m, v: F(L).leaky_relu(a, 0.1),
}


def _build(lib, name):
    a = lib.tensor(A, requires_grad=True)
    b = lib.tensor(B, requires_grad=True)
    m = lib.tensor(M, requires_grad=True)
    v = lib.tensor(V, requires_grad=True)
    return CASES[name](lib, a, b, m, v)


def saved(fn) -> dict:
    return {a: getattr(fn, a) for a in dir(fn) if a.startswith("_saved_")}


def _same(ev, tv, what):
    if hasattr(tv, "detach") or hasattr(ev, "_data"):
        assert hasattr(ev, "_data") and hasattr(tv, "detach"), what
        assert ev.dtype.name == str(tv.dtype).replace("torch.", ""), what
        assert tuple(ev.shape) == tuple(tv.shape), what
        np.testing.assert_allclose(ev.detach().numpy(), tv.detach().numpy(), rtol=1e-12,
                                   err_msg=what)
        assert ev.requires_grad == tv.requires_grad, what
    elif isinstance(tv, tuple) and any(hasattr(x, "detach") for x in tv):
        assert len(ev) == len(tv), what
        for x, y in zip(ev, tv):
            _same(x, y, what)
    else:
        assert ev == tv and type(ev) is type(tv), f"{what}: {ev!r} != {tv!r}"


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(CASES))
def test_saved_attributes_match_torch(torch, name):
    e, t = _build(engine, name), _build(torch, name)
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__
    es, ts = saved(e.grad_fn), saved(t.grad_fn)
    assert sorted(es) == sorted(ts)
    for k in ts:
        _same(es[k], ts[k], f"{name}.{k}")


@pytest.mark.parity
@pytest.mark.parametrize("name", ["mul", "exp", "mm", "norm", "cumprod", "bce_with_logits"])
def test_freed_saved_tensor_raises_torchs_error(torch, name):
    for lib in (engine, torch):
        y = _build(lib, name)
        fn = y.grad_fn
        tensors = [k for k, v in saved(fn).items() if v is not None and hasattr(v, "shape")
                   and not isinstance(v, tuple)]
        y.sum().backward()
        if lib is engine:
            names = tensors
        assert set(tensors) == set(names)
        for k in tensors:
            with pytest.raises(RuntimeError) as err:
                getattr(fn, k)
            assert str(err.value) == FREED_MSG


def test_sizes_survive_a_freed_graph():
    x = engine.ones(2, 3, requires_grad=True)
    s = x.sum()
    s.backward()
    assert s.grad_fn._saved_self_sym_sizes == (2, 3)
    y = x * x
    y.sum().backward(retain_graph=True)
    assert y.grad_fn._saved_self is x  # retained: still readable


def test_no_internal_name_looks_like_torchs():
    y = engine.ones(2, requires_grad=True) * engine.ones(2, requires_grad=True)
    assert saved(y.grad_fn).keys() == {"_saved_self", "_saved_other"}


def test_saved_tensors_hooks_pack_and_unpack():
    packed, unpacked = [], []

    def pack(t):
        packed.append(t.shape)
        return ("box", t)

    def unpack(box):
        unpacked.append(1)
        return box[1] * 1

    a = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = engine.tensor([4.0, 5.0, 6.0], requires_grad=True)
    with engine.autograd.graph.saved_tensors_hooks(pack, unpack):
        z = a * b
        w = a.exp()
    assert packed == [engine.Size([3])] * 3  # self, other, exp's result
    assert engine.equal(z.grad_fn._saved_self, a)
    (z.sum() + w.sum()).backward()
    assert unpacked  # backward read what unpack returned
    np.testing.assert_allclose(a.grad.numpy(), (b + a.exp()).detach().numpy())
    y = a * b  # outside the context: no hooks
    assert y.grad_fn._packed is None


@pytest.mark.parity
def test_saved_tensors_hooks_call_counts_match_torch(torch):
    counts = {}
    for lib in (engine, torch):
        n = {"pack": 0, "unpack": 0}

        def pack(t, n=n):
            n["pack"] += 1
            return t

        def unpack(t, n=n):
            n["unpack"] += 1
            return t

        a = lib.tensor(A, requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = (a * a).exp().sum()
        y.backward()
        counts[lib] = (n["pack"], n["unpack"])
    assert counts[engine] == counts[torch]
