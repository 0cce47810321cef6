"""In-place ops and version counters against torch 2.13: every in-place op (value, grad_fn
name, _version, the gradient of a loss downstream), views sharing their base's version
counter over every view op the engine has, in-place ops through views (CopySlices,
AsStridedBackward0), and torch's exact error texts."""
from __future__ import annotations

import gc
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.parity


def F(lib):
    import engine.nn.functional as EF
    return EF if lib is engine else lib.nn.functional


def _name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type and text are what is compared
        return type(e).__name__, str(e)
    return None


def _vals(t):
    return None if t is None else t.detach().numpy().astype(np.float64).tolist()


def _close(x, y) -> bool:
    """Equal structure, names, versions and texts; floats to float32 precision (1e-4: the
    gradient of a saturated tanh cancels digits)."""
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return type(x) is type(y) and len(x) == len(y) and all(map(_close, x, y))
    if isinstance(x, float) and isinstance(y, float):
        return math.isclose(x, y, rel_tol=1e-4, abs_tol=1e-5) or (x != x and y != y)
    return type(x) is type(y) and x == y


# -- every in-place op ------------------------------------------------------------------------
INPLACE = {
    "pow_(2)": lambda L, y: y.pow_(2),
    "pow_(-1)": lambda L, y: y.pow_(-1),
    "pow_(tensor)": lambda L, y: y.pow_(L.tensor([1.5, 2.0, 3.0])),
    "clamp_(-0.5, 0.5)": lambda L, y: y.clamp_(-0.5, 0.5),
    "clamp_(min=0.1)": lambda L, y: y.clamp_(min=0.1),
    "clamp_(max=0.1)": lambda L, y: y.clamp_(max=0.1),
    "clamp_(tensors)": lambda L, y: y.clamp_(L.zeros(3), L.full((3,), 0.6)),
    "clamp_min_(0)": lambda L, y: y.clamp_min_(0.0),
    "clamp_max_(0)": lambda L, y: y.clamp_max_(0.0),
    "clamp_min_(tensor)": lambda L, y: y.clamp_min_(L.zeros(3)),
    "clamp_max_(tensor)": lambda L, y: y.clamp_max_(L.zeros(3)),
    "clip_(0, 1)": lambda L, y: y.clip_(0, 1),
    "relu_()": lambda L, y: y.relu_(),
    "torch.relu_": lambda L, y: L.relu_(y),
    "F.relu_": lambda L, y: F(L).relu_(y),
    "F.relu(inplace=True)": lambda L, y: F(L).relu(y, inplace=True),
    "nn.ReLU(inplace=True)": lambda L, y: L.nn.ReLU(inplace=True)(y),
    "sigmoid_()": lambda L, y: y.sigmoid_(),
    "torch.sigmoid_": lambda L, y: L.sigmoid_(y),
    "tanh_()": lambda L, y: y.tanh_(),
    "torch.tanh_": lambda L, y: L.tanh_(y),
    "exp_()": lambda L, y: y.exp_(),
    "torch.exp_": lambda L, y: L.exp_(y),
    "torch.clamp_": lambda L, y: L.clamp_(y, 0.0),
    "torch.clamp_min_": lambda L, y: L.clamp_min_(y, 0.0),
    "torch.clamp_max_": lambda L, y: L.clamp_max_(y, 0.0),
    "torch.clip_": lambda L, y: L.clip_(y, -0.5, 0.5),
    "masked_fill_(mask, 2.0)": lambda L, y: y.masked_fill_(y > 0, 2.0),
    "masked_fill_(mask, tensor)": lambda L, y: y.masked_fill_(y > 0, L.tensor(2.0)),
    "masked_fill_(broadcast mask)": lambda L, y: y.masked_fill_(L.tensor([True, False, True]),
                                                               -1.0),
    "add_": lambda L, y: y.add_(L.tensor([1.0, 2.0, 3.0]), alpha=2),
    "sub_": lambda L, y: y.sub_(1.5),
    "mul_": lambda L, y: y.mul_(y.detach() + 1),
    "div_": lambda L, y: y.div_(4.0),
    "zero_": lambda L, y: y.zero_(),
    "fill_": lambda L, y: y.fill_(3.0),
    "copy_": lambda L, y: y.copy_(L.tensor([7.0, 8.0, 9.0])),
    "+=": lambda L, y: y.__iadd__(2.0),
    "*=": lambda L, y: y.__imul__(L.tensor([1.0, -1.0, 2.0])),
    "**=": lambda L, y: y.__ipow__(2),
    "setitem": lambda L, y: y.__setitem__(slice(1, None), 5.0),
}


def _run_inplace(lib, op, data):
    a = lib.tensor(data, requires_grad=True)
    y = a * 1
    r = op(lib, y)
    loss = (y * lib.arange(1.0, y.numel() + 1).reshape(y.shape)).sum()
    loss.backward()
    return r is y, _name(y), y._version, y.is_leaf, _vals(y), _vals(a.grad)


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_op_matches_torch(name):
    data = [0.3, -1.2, 0.8]
    assert _close(_run_inplace(engine, INPLACE[name], data),
                  _run_inplace(torch, INPLACE[name], data))


_UNARY = ["relu_()", "sigmoid_()", "tanh_()", "exp_()", "pow_(2)", "clamp_(-0.5, 0.5)",
          "clamp_min_(0)", "clamp_max_(0)", "masked_fill_(mask, 2.0)", "clip_(0, 1)"]


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3),
       seed=st.integers(0, 2**16), op=st.sampled_from(_UNARY))
def test_inplace_op_on_generated_shapes(shape, seed, op):
    data = np.random.default_rng(seed).uniform(-2, 2, shape).astype(np.float32).tolist()
    assert _close(_run_inplace(engine, INPLACE[op], data), _run_inplace(torch, INPLACE[op], data))


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_on_a_leaf_that_requires_grad(name):
    def run(lib):
        a = lib.tensor([0.3, -1.2, 0.8], requires_grad=True)
        return _err(lambda: INPLACE[name](lib, a)), a._version
    assert _close(run(engine), run(torch))
    assert run(engine)[0] is not None


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_on_a_view_of_a_leaf(name):
    def run(lib):
        a = lib.tensor([[0.3, -1.2, 0.8]], requires_grad=True)
        return _err(lambda: INPLACE[name](lib, a[0])), a._version
    assert _close(run(engine), run(torch))


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_without_grad_writes_the_same_memory(name):
    """No graph: values and versions only (a from_numpy-like alias sees the write)."""
    def run(lib):
        y = lib.tensor([0.3, -1.2, 0.8])
        alias = y.view(3)
        r = INPLACE[name](lib, y)
        return r is y, _vals(y), _vals(alias), y._version, alias._version, _name(y)
    assert _close(run(engine), run(torch))


# -- saved results and inputs modified in place -----------------------------------------------
STALE = {
    "exp_ then mul_": lambda L, a: (lambda y: (y.exp_(), y.mul_(2), y.sum().backward()))(a * 1),
    "sigmoid_ then add_": lambda L, a: (
        lambda y: (y.sigmoid_(), y.add_(2), y.sum().backward()))(a * 1),
    "tanh_ then zero_": lambda L, a: (
        lambda y: (y.tanh_(), y.zero_(), y.sum().backward()))(a * 1),
    "relu_ twice": lambda L, a: (lambda y: (y.relu_(), y.relu_(), y.sum().backward()))(a * 1),
    "pow_(tensor) then mul_": lambda L, a: (lambda y: (
        y.pow_(L.tensor([1.0, 2.0, 3.0])), y.mul_(2), y.sum().backward()))(a * 1),
    "sigmoid() then mul_": lambda L, a: (
        lambda s: (s.mul_(2), s.sum().backward()))(a.sigmoid()),
    "pow(tensor) then mul_": lambda L, a: (
        lambda s: (s.mul_(2), s.sum().backward()))(a.pow(L.ones(3))),
    "rpow then mul_": lambda L, a: (lambda s: (s.mul_(2), s.sum().backward()))(2.0 ** a),
    "softmax then mul_": lambda L, a: (lambda s: (s.mul_(2), s.sum().backward()))(a.softmax(0)),
    "prod then mul_": lambda L, a: (lambda s: (s.mul_(2), s.sum().backward()))(a.prod()),
    "saved input": lambda L, a: (
        lambda y: (lambda z: (y.mul_(2), z.sum().backward()))(y * y))(a * 1),
    "exp, then a view of it changed": lambda L, a: (
        lambda y: (y[0:2].mul_(2), y.sum().backward()))(a.exp()),
    "exp, then its detached alias changed": lambda L, a: (
        lambda y: (y.detach().mul_(2), y.sum().backward()))(a.exp()),
    "saved input changed through a view": lambda L, a: (
        lambda y: (lambda z: (y.view(3)[1:].add_(1), z.sum().backward()))(y * y))(a * 1),
    "saved view changed through its base": lambda L, a: (
        lambda y: (lambda v: (lambda z: (y.mul_(2), z.sum().backward()))(v * v))(y[1:]))(a * 1),
    "exp_ on a view, then the base changed": lambda L, a: (
        lambda y: (y[1:].exp_(), y.mul_(2), y.sum().backward()))(a * 1),
    "fine: out of place after": lambda L, a: (
        lambda y: (y.exp_(), (y * 2).sum().backward()))(a * 1),
}


@pytest.mark.parametrize("name", sorted(STALE))
def test_modified_saved_tensor_error_text(name):
    def run(lib):
        a = lib.tensor([0.3, -1.2, 0.8], requires_grad=True)
        return _err(lambda: STALE[name](lib, a))
    assert _close(run(engine), run(torch))


def test_saved_result_shares_the_counter():
    def run(lib):
        a = lib.tensor([0.3, -1.2, 0.8], requires_grad=True)
        y = a * 1
        y.exp_()
        before = y.grad_fn._saved_result._version
        y.mul_(2)
        return before, y._version
    assert _close(run(engine), run(torch))


# -- views share their base's version counter -------------------------------------------------
VIEWS = {
    "x[1:]": lambda x: x[1:], "x[0]": lambda x: x[0], "x[None]": lambda x: x[None],
    "x[...]": lambda x: x[...], "x[:, 1]": lambda x: x[:, 1], "x[1, 2]": lambda x: x[1, 2],
    "x[::2]": lambda x: x[::2], "x[1][2:]": lambda x: x[1][2:],
    "view": lambda x: x.view(24), "view_as": lambda x: x.view_as(x),
    "reshape": lambda x: x.reshape(24), "flatten": lambda x: x.flatten(),
    "flatten(1-d)": lambda x: x[0].flatten(),
    "t": lambda x: x.t(), "T": lambda x: x.T, "mT": lambda x: x.mT,
    "transpose": lambda x: x.transpose(0, 1), "swapaxes": lambda x: x.swapaxes(0, 1),
    "permute": lambda x: x.permute(1, 0),
    "squeeze": lambda x: x[None].squeeze(), "squeeze(0)": lambda x: x[None].squeeze(0),
    "squeeze((0,))": lambda x: x[None].squeeze((0,)), "unsqueeze": lambda x: x.unsqueeze(1),
    "expand": lambda x: x[:, :1].expand(4, 6), "expand_as": lambda x: x[:, :1].expand_as(x),
    "split": lambda x: x.split(2)[1], "split([1, 3])": lambda x: x.split([1, 3])[1],
    "chunk": lambda x: x.chunk(2)[0],
    "detach": lambda x: x.detach(),
    # not views: a copy (or x itself), as in torch
    "reshape (copy)": lambda x: x.t().reshape(24), "flatten (copy)": lambda x: x.t().flatten(),
    "x[[0, 1]]": lambda x: x[[0, 1]], "x[x > 0]": lambda x: x[x > 0],
    "clone": lambda x: x.clone(), "contiguous (copy)": lambda x: x.t().contiguous(),
    "contiguous (self)": lambda x: x.contiguous(), "to (self)": lambda x: x.to(x.dtype),
    "data": lambda x: x.data,
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_shares_the_version_counter(name):
    def run(lib):
        x = lib.tensor(np.arange(24.0).reshape(4, 6).tolist())
        v = VIEWS[name](x)
        rec = [v._is_view(), v._base is x, v is x, v._version]
        x.mul_(2)
        rec.append((x._version, v._version))
        rec.append(_err(lambda: v.add_(1)))  # an expanded view refuses, as in torch
        rec.append((x._version, v._version, _vals(x), _vals(v)))
        return rec
    assert _close(run(engine), run(torch))


def test_issue_example_versions():
    def run(lib):
        x = lib.randn(4)
        v = x[1:]
        v.add_(1)
        x.mul_(2)
        d = x.detach()
        d.add_(1)
        w = v[1:]
        return x._version, v._version, d._version, w._version, x.data._version, w._base is x
    assert run(engine) == run(torch) == (3, 3, 3, 3, 0, True)


def test_view_created_after_a_change_reads_the_current_version():
    def run(lib):
        x = lib.zeros(3)
        x.add_(1)
        x.add_(1)
        return x[1:]._version, x.view(3)._version, x.detach()._version
    assert _close(run(engine), run(torch))


# -- in-place ops through views: CopySlices and AsStridedBackward0 ----------------------------
def _next(t):
    return [None if n is None else type(n).__name__ for n, _ in t.grad_fn.next_functions]


VIEW_INPLACE = {
    "slice mul_": lambda L, a: (lambda y, v: (v.mul_(3), y.sum().backward(), _name(y), _name(v),
                                              _next(y), y._version, v._version))(*_yv(a)),
    "view exp_": lambda L, a: (lambda y: (lambda v: (
        v.exp_(), y.sum().backward(), _name(y), _name(v)))(y.view(2, 2)))(a * 2),
    "sibling view sees it": lambda L, a: (lambda y: (lambda v1, v2: (
        v1.mul_(3), (v2 * L.tensor([1.0, 10, 100])).sum().backward(), _name(v2)))(
        y[:2], y[1:]))(a * 2),
    "view of a view": lambda L, a: (lambda y: (lambda v: (lambda w: (
        w.mul_(5), (v * L.tensor([1.0, 10, 100])).sum().backward(), _name(y), _name(v),
        _name(w)))(v[1:]))(y[1:]))(a * 2),
    "setitem on a view": lambda L, a: (lambda y: (lambda v: (
        v.__setitem__(0, 7.0), y.sum().backward(), _name(y), _name(v), y._version))(y[1:]))(
        a * 2),
    "setitem of a tensor on a view": lambda L, a: (lambda y: (lambda v: (
        v.__setitem__(0, a[0] * 10), (y * L.tensor([1.0, 2, 3, 4])).sum().backward(),
        _name(y), _name(v)))(y[1:]))(a * 2),
    "base changed, view used": lambda L, a: (lambda y: (lambda v: (
        y.mul_(3), (v * 1).sum().backward(), _name(v)))(y[1:]))(a * 2),
    "base changed under no_grad": lambda L, a: (lambda y: (lambda v: (
        _nograd(L, lambda: y.mul_(3)), v.sum().backward(), _name(v), v._version))(y[1:]))(
        a * 2),
    "transposed view, tensor operand": lambda L, a: (lambda y: (lambda v: (
        v.mul_(L.tensor([[1.0, 2.0], [3.0, 4.0]])), y.sum().backward(), _name(y), _name(v),
        v.grad_fn._saved_size, v.grad_fn._saved_stride, v.grad_fn._saved_storage_offset))(
        y.view(2, 2).t()))(a * 2),
    "expanded sibling": lambda L, a: (lambda y: (lambda v, v2, e: (
        v.mul_(3), (v2.sum() + e.sum() * 10).backward(), _name(v2), _name(e)))(
        y.view(2, 2), y.view(2, 2).t(), y[:1].expand(3)))(a * 2),
    "select mul_": lambda L, a: (lambda y: (y[1].mul_(3), y.sum().backward(), _name(y)))(a * 2),
    "several in-place ops": lambda L, a: (lambda y: (lambda v: (
        v.mul_(3), v.add_(a[1:]), y[0:2].pow_(2),
        (y * L.tensor([1.0, 2, 3, 4])).sum().backward(), _name(y), _name(v), y._version))(
        y[1:]))(a * 2),
    "base without grad, value with grad": lambda L, a: (lambda b: (
        b[1:].add_(a[0]), b.sum().backward(), _name(b), _next(b)))(L.zeros(4)),
    "retain_graph twice": lambda L, a: (lambda y: (
        y[1:].mul_(L.tensor([1.0, 2.0, 3.0])),
        (lambda s: (s.backward(retain_graph=True), s.backward()))(y.sum())))(a * 2),
    "second backward frees": lambda L, a: (lambda y: (
        y[1:].mul_(y[1:].detach() + 0), (lambda s: (s.backward(), s.backward()))(y.sum())))(
        a * 2),
    "create_graph": lambda L, a: (lambda y: (
        y[1:].mul_(a[1:]), (lambda g: (g.sum().backward(), _vals(g)))(
            L.autograd.grad((y * y).sum(), a, create_graph=True)[0])))(a * 1),
    "split output": lambda L, a: (a * 2).split(2)[1].mul_(2),
    "chunk output's view": lambda L, a: (a * 2).chunk(2)[0][0:1].mul_(2),
    "split of a base without grad": lambda L, a: L.zeros(4).split(2)[0].mul_(a[0]),
    "split output under no_grad": lambda L, a: (lambda y: (
        _nograd(L, lambda: y.split(2)[1].mul_(2)), y._version))(a * 2),
}


def _yv(a):
    y = a * 2
    return y, y[1:]


def _nograd(lib, fn):
    with lib.no_grad():
        fn()


@pytest.mark.parametrize("name", sorted(VIEW_INPLACE))
def test_inplace_through_a_view(name):
    def run(lib):
        a = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        try:
            out = VIEW_INPLACE[name](lib, a)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
        if isinstance(out, tuple):  # names, versions, sizes; not the tensors ops return
            out = tuple(x for x in out
                        if x is not None and not isinstance(x, (engine.Tensor, torch.Tensor)))
        return out, _vals(a.grad)
    assert _close(run(engine), run(torch))


_VIEW_STEPS = [lambda x: x[1:], lambda x: x[:, ::2] if x.dim() > 1 else x[::2],
               lambda x: x.t() if x.dim() == 2 else x, lambda x: x.unsqueeze(0),
               lambda x: x[0] if x.dim() > 1 else x, lambda x: x.reshape(-1)]
_OPS = [lambda L, v: v.mul_(2.0), lambda L, v: v.add_(1.0), lambda L, v: v.exp_(),
        lambda L, v: v.tanh_(), lambda L, v: v.clamp_(-1.0, 1.0), lambda L, v: v.relu_(),
        lambda L, v: v.sigmoid_(), lambda L, v: v.masked_fill_(v > 0.5, 0.25)]


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.tuples(st.lists(st.integers(0, len(_VIEW_STEPS) - 1), max_size=3),
                                st.integers(0, len(_OPS) - 1)), min_size=1, max_size=4),
       seed=st.integers(0, 2**16))
def test_generated_inplace_sequences_through_views(steps, seed):
    data = np.random.default_rng(seed).uniform(-1.5, 1.5, (3, 4)).astype(np.float32).tolist()

    def run(lib):
        a = lib.tensor(data, requires_grad=True)
        y = a * 1
        def apply(chain, op):
            v = y
            for i in chain:
                v = _VIEW_STEPS[i](v)
            _OPS[op](lib, v)
        for chain, op in steps:
            err = _err(lambda c=chain, o=op: apply(c, o))  # e.g. indexing an empty view
            if err is not None:
                return err, _name(y), y._version, _vals(y)
        err = _err(lambda: (y * lib.arange(12.0).reshape(3, 4)).sum().backward())
        return err, _name(y), y._version, _vals(y), _vals(a.grad)
    assert _close(run(engine), run(torch))


# -- errors -------------------------------------------------------------------------------------
ERRORS = {
    "masked_fill_ float mask": lambda L: L.zeros(3).masked_fill_(L.ones(3), 1.0),
    "masked_fill_ uint8 mask": lambda L: L.zeros(3).masked_fill_(L.ones(3, dtype=L.uint8), 1),
    "masked_fill_ 1-d value": lambda L: L.zeros(3).masked_fill_(L.ones(3) > 0, L.ones(3)),
    "masked_fill_ mask broadcasts larger": lambda L: L.zeros(3).masked_fill_(
        L.ones(2, 3) > 0, 1.0),
    "masked_fill mask does not broadcast": lambda L: L.zeros(3).masked_fill(
        L.ones(4) > 0, 1.0),
    "masked_fill int self, value with grad": lambda L: L.zeros(3, dtype=L.long).masked_fill(
        L.ones(3) > 0, L.tensor(2.5, requires_grad=True)),
    "clamp_ int self, float bound": lambda L: L.tensor([1, 2]).clamp_(0.5),
    "clamp_min_ int self, float bound": lambda L: L.tensor([1, 2]).clamp_min_(0.5),
    "clamp_ int self, tensor float bound": lambda L: L.tensor([1, 2]).clamp_(L.tensor(0.5)),
    "clamp_ bool self": lambda L: L.tensor([True]).clamp_(0),
    "clamp_ no bounds": lambda L: L.zeros(2).clamp_(),
    "clamp_ no bounds on a leaf": lambda L: L.zeros(2, requires_grad=True).clamp_(),
    "pow_ int self, float exponent": lambda L: L.tensor([1, 2]).pow_(2.5),
    "pow_ int self, negative exponent": lambda L: L.tensor([1, 2]).pow_(-1),
    "pow_ broadcast larger": lambda L: L.zeros(3).pow_(L.ones(2, 3)),
    "exp_ int self": lambda L: L.tensor([1, 2]).exp_(),
    "sigmoid_ int self": lambda L: L.tensor([1, 2]).sigmoid_(),
    "relu_ bool self": lambda L: L.tensor([True]).relu_(),
    "add_ int self, float": lambda L: L.ones(3, dtype=L.long).add_(1.5),
    "+= broadcast larger": lambda L: L.zeros(3).__iadd__(L.ones(2, 3)),
    # fuzzer program 391: the shapes are checked before a bool alpha
    "add bool alpha, shapes mismatch": lambda L: L.add(L.zeros(2), L.zeros(3), alpha=True),
    "sub bool alpha, shapes mismatch": lambda L: L.sub(L.zeros(2), L.zeros(3), alpha=True),
    "rsub bool alpha, shapes mismatch": lambda L: L.rsub(L.zeros(2), L.zeros(3), alpha=True),
    "add_ bool alpha, shapes mismatch": lambda L: L.zeros(2).add_(L.zeros(3), alpha=True),
    "add bool alpha": lambda L: L.add(L.zeros(2), 1, alpha=True),
    "detach_ on a view": lambda L: L.ones(4)[1:].detach_(),
    "detach_ on a view of a leaf": lambda L: L.ones(4, requires_grad=True)[1:].detach_(),
}


EXPANDED = {  # torch: zero_/fill_/x[i] = v/masked_fill_ write through, the rest refuse
    "mul_": lambda L, e: e.mul_(2), "exp_": lambda L, e: e.exp_(), "zero_": lambda L, e: e.zero_(),
    "fill_": lambda L, e: e.fill_(1.0), "copy_": lambda L, e: e.copy_(L.ones(4)),
    "setitem": lambda L, e: e.__setitem__(0, 3.0), "clamp_": lambda L, e: e.clamp_(0.5),
    "masked_fill_": lambda L, e: e.masked_fill_(L.ones(4) > 0, 2.0),
    "uniform_": lambda L, e: e.uniform_(), "add_ (nothing expanded)": lambda L, e: e[0:1].add_(1),
}


@pytest.mark.parametrize("name", sorted(EXPANDED))
@pytest.mark.filterwarnings("ignore:Use of masked_fill_ on expanded tensors")
def test_inplace_on_an_expanded_view(name):
    def run(lib):
        x = lib.zeros(4)
        e = x[:1].expand(4) if "nothing" not in name else x.expand(4)
        err = _err(lambda: EXPANDED[name](lib, e))
        return err, _vals(x), x._version, x.expand(1, 4).add_(1)._is_view(), _vals(x)
    assert _close(run(engine), run(torch))


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_text(name):
    assert _err(lambda: ERRORS[name](engine)) == _err(lambda: ERRORS[name](torch))


@pytest.mark.parametrize("name", ["exp_", "sigmoid_", "tanh_", "relu_", "clamp_", "clamp_min_",
                                  "clamp_max_", "clip_"])
def test_torch_namespace_has_the_same_inplace_functions(name):
    assert hasattr(engine, name) == hasattr(torch, name)
    assert hasattr(engine.Tensor, name)


def test_no_torch_functions_that_torch_lacks():
    for name in ("pow_", "masked_fill_"):  # methods only, in torch
        assert hasattr(engine, name) == hasattr(torch, name) is False


# -- costs ----------------------------------------------------------------------------------------
def test_a_base_keeps_few_dead_view_references():
    """Views of a base in a graph are listed weakly; dead ones are dropped as the list grows,
    so a loop making views of one tensor keeps the list bounded (counted, not timed)."""
    y = engine.ones(8, requires_grad=True) * 2
    for _ in range(1000):
        y[1:].sum()
    gc.collect()
    assert len(y._views) <= 32
    keep = [y[i:] for i in range(40)]
    y.mul_(1)  # refreshes every live view, drops the dead
    assert len(y._views) == 40 and all(_name(v) == "AsStridedBackward0" for v in keep)


def test_plain_tensors_and_views_allocate_no_counter():
    x = engine.ones(3)
    v = x[1:]
    assert x._vc is None and v._vc is None and x._views is None
    assert v._version == 0 and v._is_view() and not x._is_view()


# -- regressions from the differential fuzzer (tests/engine/fuzz_count.py) ----------------------
def test_nll_loss_of_a_non_contiguous_5d_input():
    """Program 3624: torch makes the input contiguous before viewing it (N, C, 1, -1)."""
    def run(lib):
        a = lib.tensor(np.arange(48.0, dtype=np.float32).reshape(3, 4, 4) / 10,
                       requires_grad=True)
        x = a.permute(2, 1, 0)[None, ..., None]
        loss = F(lib).cross_entropy(x, lib.zeros(1, 4, 3, 1, dtype=lib.long),
                                    weight=lib.ones(4), reduction="none")
        loss.sum().backward()
        chain, g = [], loss.grad_fn
        while g is not None and g.next_functions:
            chain.append(type(g).__name__)
            g = g.next_functions[0][0]
        return chain, _vals(loss), _vals(a.grad)
    assert _close(run(engine), run(torch))


@pytest.mark.parametrize("exponent", [True, [True, False]])
def test_backward_of_pow_with_a_bool_exponent(exponent):
    """Program 3196: torch's PowBackward1 computes ``exponent - 1``, refused for bool."""
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        y = a ** lib.tensor(exponent)
        return _name(y), _vals(y), _err(lambda: y.sum().backward())
    assert _close(run(engine), run(torch))


@pytest.mark.filterwarnings("ignore:Using a target size")
def test_a_leaf_that_stopped_requiring_grad_accumulates_nothing():
    """Program 2589: torch's AccumulateGrad skips a leaf whose requires_grad was turned off
    after the graph was recorded."""
    def run(lib):
        x1 = lib.tensor([[2.0], [1.0]], requires_grad=True)
        x3 = lib.tensor(-0.36, requires_grad=True)
        loss = F(lib).mse_loss(x1, x3)
        x3.requires_grad_(False)
        loss.backward()
        return _vals(x3.grad), _vals(x1.grad)
    assert _close(run(engine), run(torch))


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_nll_loss_gradient_of_a_nan_grad_output(reduction):
    """Program 2315: torch writes the gradient only at (sample, target) places, so a nan
    grad_output (0/0 of an ignored loss) leaves the other places 0."""
    def run(lib):
        x = lib.tensor([[0.0, 1.4, -1.1], [0.5, 0.2, 0.1]], requires_grad=True)
        loss = F(lib).nll_loss(x, lib.tensor([1, 2]), reduction=reduction, ignore_index=1)
        (g,) = lib.autograd.grad((loss / loss).sum() if reduction == "none" else loss / loss,
                                 x)
        return _vals(loss), _vals(g)
    assert _close(run(engine), run(torch))


@pytest.mark.parametrize("op", ["min(dim)", "max(dim)", "minimum", "maximum", "min(dim) keep"])
def test_selection_gradients_keep_a_nan_to_the_selected_place(op):
    """Program 1197: torch's min/max(dim) scatter and minimum/maximum mask their gradient, so
    a nan grad_output (var with correction 2 of one value) reaches the picked places only."""
    def run(lib):
        x1 = lib.tensor([0.054, 0.108, 0.525], dtype=lib.float64, requires_grad=True)
        x2 = lib.tensor(0.525, dtype=lib.float64, requires_grad=True)
        y = {"min(dim)": lambda: x1.min(dim=0)[0], "max(dim)": lambda: x1.max(dim=0)[0],
             "minimum": lambda: x1.minimum(x2), "maximum": lambda: x1.maximum(x2),
             "min(dim) keep": lambda: x1.min(dim=0, keepdim=True)[0]}[op]()
        return [_vals(g) for g in lib.autograd.grad((y * float("nan")).sum(), (x1, x2),
                                                    allow_unused=True)]
    assert _close(run(engine), run(torch))


@pytest.mark.parametrize("bounds", ["both", "min", "max"])
def test_clamp_tensor_bounds_gradient_with_nan_and_crossed_bounds(bounds):
    """Program 1522: torch's clamp_backward_min_max: a crossed max (< min) takes the gradient
    even where the input is nan."""
    x = [[np.nan, -2.0, 0.5], [1.0, 3.0, np.nan], [0.0, 2.0, -1.0], [np.nan, 1.0, 2.0]]

    def run(lib):
        a = lib.tensor(x, requires_grad=True)
        lo = lib.tensor([[1.0], [0.0], [2.0], [-1.0]], requires_grad=True)
        hi = lib.tensor([[0.0, 1.0, 2.0]], requires_grad=True)
        args = {"both": (lo, hi), "min": (lo, None), "max": (None, hi)}[bounds]
        y = lib.clamp(a, *args)
        gs = lib.autograd.grad((y * lib.arange(12.0).reshape(4, 3)).sum(),
                               [a] + [t for t in args if t is not None])
        return [_vals(g) for g in gs]
    assert _close(run(engine), run(torch))
