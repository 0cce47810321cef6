"""engine.nn modules against torch 2.13: reprs, state_dict keys, forward values and gradients
with torch's weights copied in, grad_fn names, buffers, error texts."""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import nn as enn

pytestmark = pytest.mark.parity
RNG = np.random.default_rng(11)


def nn_of(lib):
    return enn if lib is engine else lib.nn


def copy_state(tmod, emod):
    """torch's initialised weights (and buffers) into the engine module, through numpy."""
    sd = {k: engine.tensor(v.detach().numpy().copy()) for k, v in tmod.state_dict().items()}
    assert repr(emod.load_state_dict(sd)) == "<All keys matched successfully>"


def pair(torch, expr):
    """The same constructor expression evaluated against torch.nn and engine.nn."""
    torch.manual_seed(0)
    t = eval(expr, {"nn": torch.nn, "torch": torch})
    e = eval(expr, {"nn": enn, "torch": engine})
    return t, e


REPRS = [
    "nn.Linear(3, 4)", "nn.Linear(3, 4, bias=False)", "nn.Identity()", "nn.ReLU()",
    "nn.ReLU(inplace=True)", "nn.LeakyReLU(0.2)", "nn.Sigmoid()", "nn.Tanh()", "nn.GELU()",
    "nn.GELU('tanh')", "nn.SiLU()", "nn.ELU(alpha=0.5)", "nn.Softplus(beta=2)",
    "nn.Softmax(dim=1)", "nn.LogSoftmax(dim=-1)", "nn.Dropout(0.2)", "nn.LayerNorm(5)",
    "nn.LayerNorm((2, 3), eps=1e-6, elementwise_affine=False)", "nn.BatchNorm1d(4)",
    "nn.BatchNorm1d(4, momentum=None, affine=False)", "nn.BatchNorm2d(3)",
    "nn.Embedding(10, 3)", "nn.Embedding(10, 3, padding_idx=0)", "nn.Flatten()",
    "nn.Flatten(0, 2)", "nn.Unflatten(1, (2, 5))", "nn.MSELoss()", "nn.L1Loss()",
    "nn.CrossEntropyLoss(label_smoothing=0.1)", "nn.NLLLoss()", "nn.BCELoss()",
    "nn.BCEWithLogitsLoss()", "nn.HuberLoss(delta=0.5)", "nn.SmoothL1Loss()",
    "nn.Conv2d(3, 8, 3)", "nn.Conv2d(3, 8, (3, 5), stride=2, padding=1, bias=False)",
    "nn.Conv2d(4, 8, 3, groups=2, dilation=2)", "nn.MaxPool2d(2)",
    "nn.MaxPool2d(3, stride=1, padding=1)", "nn.AvgPool2d(2)", "nn.AvgPool2d(3, 2, 1)",
    "nn.AdaptiveAvgPool2d((1, 1))", "nn.AdaptiveAvgPool2d(3)", "nn.LazyLinear(7)",
    "nn.Bilinear(2, 3, 4)",
    "nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 4), nn.Tanh()), "
    "nn.Linear(4, 1))",
    "nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.ReLU(), nn.Tanh()])",
    "nn.ModuleList()", "nn.ModuleDict({'a': nn.Linear(1, 2), 'act': nn.ReLU()})",
    "nn.ParameterList([nn.Parameter(torch.ones(2, 3)), nn.Parameter(torch.zeros(4))])",
]


@pytest.mark.parametrize("expr", REPRS)
def test_repr_matches_torch(torch, expr):
    t, e = pair(torch, expr)
    assert repr(e) == repr(t)
    if isinstance(t, torch.nn.Module):
        assert list(e.state_dict()) == list(t.state_dict())
        assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
        assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
        assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
        for (_, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
            assert type(pe).__name__ == type(pt).__name__
            if not isinstance(pt, torch.nn.parameter.UninitializedParameter):
                assert pe.shape == pt.shape


def test_parameter_repr_type_and_isinstance(torch):
    data = [[1.5, -2.0], [0.25, 3.0]]
    pe, pt = enn.Parameter(engine.tensor(data)), torch.nn.Parameter(torch.tensor(data))
    assert repr(pe) == repr(pt)
    assert type(pe).__name__ == "Parameter" and isinstance(pe, engine.Tensor)
    assert pe.requires_grad and pe.is_leaf
    assert type(pe * 2).__name__ == "Tensor"
    assert repr(enn.Parameter(engine.tensor([1.0]), requires_grad=False)) == repr(
        torch.nn.Parameter(torch.tensor([1.0]), requires_grad=False))


# (constructor, input shapes, input kind) -- inputs are float unless "long"
FORWARD = [
    ("nn.Linear(5, 3)", [(4, 5)]), ("nn.Linear(5, 3, bias=False)", [(2, 6, 5)]),
    ("nn.Bilinear(2, 3, 4)", [(5, 2), (5, 3)]),
    ("nn.ReLU()", [(3, 4)]), ("nn.LeakyReLU(0.1)", [(3, 4)]), ("nn.Sigmoid()", [(3, 4)]),
    ("nn.Tanh()", [(3, 4)]), ("nn.GELU()", [(3, 4)]), ("nn.GELU('tanh')", [(3, 4)]),
    ("nn.SiLU()", [(3, 4)]), ("nn.ELU(0.7)", [(3, 4)]), ("nn.Softplus(2.0, 1.0)", [(3, 4)]),
    ("nn.Softmax(dim=1)", [(3, 4)]), ("nn.LogSoftmax(dim=0)", [(3, 4)]),
    ("nn.LayerNorm(4)", [(3, 4)]), ("nn.LayerNorm((3, 4))", [(2, 3, 4)]),
    ("nn.BatchNorm1d(4)", [(6, 4)]), ("nn.BatchNorm1d(3)", [(5, 3, 7)]),
    ("nn.BatchNorm2d(3)", [(2, 3, 4, 4)]),
    ("nn.Flatten()", [(2, 3, 4)]), ("nn.Unflatten(1, (2, 2))", [(3, 4)]),
    ("nn.Conv2d(3, 4, 3)", [(2, 3, 7, 6)]),
    ("nn.Conv2d(3, 4, (3, 2), stride=2, padding=1)", [(2, 3, 9, 8)]),
    ("nn.Conv2d(4, 6, 3, groups=2, dilation=2, padding=2)", [(1, 4, 8, 8)]),
    ("nn.Conv2d(3, 4, 3, padding='same', bias=False)", [(3, 7, 7)]),
    ("nn.MaxPool2d(2)", [(2, 3, 6, 6)]), ("nn.MaxPool2d(3, stride=2, padding=1)", [(2, 3, 7, 7)]),
    ("nn.MaxPool2d(2, ceil_mode=True)", [(1, 2, 5, 5)]),
    ("nn.AvgPool2d(2)", [(2, 3, 6, 6)]), ("nn.AvgPool2d(3, 2, 1)", [(2, 3, 7, 7)]),
    ("nn.AvgPool2d(3, 2, 1, count_include_pad=False)", [(1, 2, 7, 7)]),
    ("nn.AdaptiveAvgPool2d((1, 1))", [(2, 3, 5, 5)]), ("nn.AdaptiveAvgPool2d((2, 3))", [(2, 3, 5, 7)]),
    ("nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), "
     "nn.Linear(8, 3))", [(2, 1, 4, 4)]),
]


def _grad_fn_name(t):
    return None if t.grad_fn is None else t.grad_fn.name().replace("torch::autograd::", "")


@pytest.mark.parametrize("expr,shapes", FORWARD)
def test_forward_backward_match_torch(torch, expr, shapes):
    t, e = pair(torch, expr)
    copy_state(t, e)
    arrays = [RNG.standard_normal(s).astype(np.float32) for s in shapes]
    ti = [torch.tensor(a, requires_grad=True) for a in arrays]
    ei = [engine.tensor(a, requires_grad=True) for a in arrays]
    to, eo = t(*ti), e(*ei)
    assert _grad_fn_name(eo) == _grad_fn_name(to)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=2e-5, atol=2e-6)
    w = RNG.standard_normal(tuple(to.shape)).astype(np.float32)
    to.backward(torch.tensor(w))
    eo.backward(engine.tensor(w))
    for a, b in zip(ei, ti):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=2e-4, atol=2e-5)
    for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=2e-4, atol=2e-5,
                                   err_msg=n)
    for (n, be), (_, bt) in zip(e.named_buffers(), t.named_buffers()):
        np.testing.assert_allclose(be.numpy(), bt.numpy(), rtol=1e-5, atol=1e-6, err_msg=n)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_running_stats_train_then_eval(torch, momentum):
    t, e = pair(torch, f"nn.BatchNorm1d(3, momentum={momentum})")
    for _ in range(3):
        x = RNG.standard_normal((5, 3)).astype(np.float32)
        t(torch.tensor(x)), e(engine.tensor(x))
    for (n, be), (_, bt) in zip(e.named_buffers(), t.named_buffers()):
        np.testing.assert_allclose(be.numpy(), bt.numpy(), rtol=1e-5, err_msg=n)
    assert e.num_batches_tracked.item() == 3 and e.num_batches_tracked.dtype == engine.int64
    t.eval(), e.eval()
    x = RNG.standard_normal((2, 3)).astype(np.float32)
    xt, xe = torch.tensor(x, requires_grad=True), engine.tensor(x, requires_grad=True)
    ot, oe = t(xt), e(xe)
    np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), rtol=1e-5)
    ot.sum().backward(), oe.sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-5)
    assert e.num_batches_tracked.item() == 3


@pytest.mark.parametrize("kw", ["", "weight=w", "ignore_index=1", "label_smoothing=0.2",
                                "reduction='sum'", "reduction='none'",
                                "weight=w, label_smoothing=0.1"])
def test_cross_entropy_and_nll_modules(torch, kw):
    x = RNG.standard_normal((6, 4)).astype(np.float32)
    y = np.array([0, 1, 3, 2, 1, 1])
    w = np.array([1.0, 2.0, 0.5, 1.5], dtype=np.float32)
    res = []
    for lib, nn in ((torch, torch.nn), (engine, enn)):
        inp = lib.tensor(x, requires_grad=True)
        loss = eval(f"nn.CrossEntropyLoss({kw})", {"nn": nn, "w": lib.tensor(w)})(
            inp, lib.tensor(y))
        loss.sum().backward()
        nll_kw = kw.replace(", label_smoothing=0.1", "").replace("label_smoothing=0.2", "")
        nll = eval(f"nn.NLLLoss({nll_kw})", {"nn": nn, "w": lib.tensor(w)})(
            lib.log_softmax(lib.tensor(x), 1), lib.tensor(y))
        res.append((loss.detach().numpy(), inp.grad.numpy(), nll.numpy(),
                    _grad_fn_name(loss)))
    (a, ga, na, fa), (b, gb, nb, fb) = res
    np.testing.assert_allclose(b, a, rtol=1e-5)
    np.testing.assert_allclose(gb, ga, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(nb, na, rtol=1e-5)
    assert fb == fa


@pytest.mark.parametrize("name,kw", [("MSELoss", ""), ("L1Loss", ""), ("L1Loss", "reduction='none'"),
                                     ("HuberLoss", "delta=0.5"), ("SmoothL1Loss", "beta=0.7"),
                                     ("SmoothL1Loss", "reduction='sum'"), ("BCELoss", ""),
                                     ("BCEWithLogitsLoss", ""), ("BCEWithLogitsLoss", "pos_weight=pw")])
def test_regression_and_binary_losses(torch, name, kw):
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    y = RNG.uniform(0, 1, (4, 3)).astype(np.float32)
    pw = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    res = []
    for lib, nn in ((torch, torch.nn), (engine, enn)):
        inp = lib.tensor(x, requires_grad=True)
        src = lib.sigmoid(inp) if name == "BCELoss" else inp
        loss = eval(f"nn.{name}({kw})", {"nn": nn, "pw": lib.tensor(pw)})(src, lib.tensor(y))
        loss.sum().backward()
        res.append((loss.detach().numpy(), inp.grad.numpy(), _grad_fn_name(loss)))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-5)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-5, atol=1e-7)
    assert res[1][2] == res[0][2]


def test_embedding_values_grads_and_padding(torch):
    t, e = pair(torch, "nn.Embedding(6, 3, padding_idx=2)")
    copy_state(t, e)
    idx = np.array([[0, 2, 5], [5, 5, 1]])
    ot, oe = t(torch.tensor(idx)), e(engine.tensor(idx))
    np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy())
    assert _grad_fn_name(oe) == _grad_fn_name(ot) == "EmbeddingBackward0"
    ot.sum().backward(), oe.sum().backward()
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy())
    assert np.all(e.weight.detach().numpy()[2] == 0)


def same_error(f_torch, f_engine):
    with pytest.raises(Exception) as te:
        f_torch()
    with pytest.raises(Exception) as ee:
        f_engine()
    assert type(ee.value) is type(te.value)
    assert str(ee.value) == str(te.value)


def test_linear_shape_error(torch):
    t, e = pair(torch, "nn.Linear(3, 5)")
    same_error(lambda: t(torch.ones(2, 4)), lambda: e(engine.ones(2, 4)))


def test_load_state_dict_errors_and_result(torch):
    t, e = pair(torch, "nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))")

    def bad(lib, mod):
        sd = mod.state_dict()
        del sd["2.bias"]
        sd["0.extra"] = lib.ones(1)
        sd["2.weight"] = lib.ones(3, 4)
        return sd
    same_error(lambda: t.load_state_dict(bad(torch, t)), lambda: e.load_state_dict(bad(engine, e)))
    for lib, mod in ((torch, t), (engine, e)):
        sd = mod.state_dict()
        del sd["2.bias"]
        sd["x"] = lib.ones(1)
        assert repr(mod.load_state_dict(sd, strict=False)) == (
            "_IncompatibleKeys(missing_keys=['2.bias'], unexpected_keys=['x'])")
    same_error(lambda: t.load_state_dict({"0.weight": [1]}, strict=False),
               lambda: e.load_state_dict({"0.weight": [1]}, strict=False))


def test_state_dict_values_detached_and_load_copies(torch):
    e = enn.Linear(2, 2)
    sd = e.state_dict()
    assert not sd["weight"].requires_grad and type(sd["weight"]).__name__ == "Tensor"
    w = e.weight
    e.load_state_dict({"weight": engine.ones(2, 2), "bias": engine.zeros(2)})
    assert e.weight is w and w.requires_grad and w.detach().numpy().sum() == 4
    assert e.state_dict(keep_vars=True)["weight"] is w


def test_setattr_errors(torch):
    t, e = pair(torch, "nn.Linear(2, 2)")
    same_error(lambda: setattr(t, "weight", torch.ones(2, 2)),
               lambda: setattr(e, "weight", engine.ones(2, 2)))
    same_error(lambda: t.register_buffer("weight", torch.ones(1)),
               lambda: e.register_buffer("weight", engine.ones(1)))
    same_error(lambda: t.register_parameter("a.b", None), lambda: e.register_parameter("a.b", None))
    same_error(lambda: t.add_module("x", 3), lambda: e.add_module("x", 3))
    same_error(lambda: t.nothing, lambda: e.nothing)

    class Early(torch.nn.Module):
        def __init__(self):
            self.w = torch.nn.Parameter(torch.ones(1))

    class EarlyE(enn.Module):
        def __init__(self):
            self.w = enn.Parameter(engine.ones(1))
    same_error(Early, EarlyE)
    same_error(lambda: torch.nn.Module()(1), lambda: enn.Module()(1))


def test_registration_traversal_and_dedup():
    class Net(enn.Module):
        def __init__(self):
            super().__init__()
            self.shared = enn.Linear(2, 2)
            self.seq = enn.Sequential(self.shared, enn.ReLU())
            self.register_buffer("steps", engine.zeros(1))
            self.register_buffer("tmp", engine.zeros(1), persistent=False)
            self.scale = enn.Parameter(engine.ones(1))

        def forward(self, x):
            return self.seq(x) * self.scale

    n = Net()
    assert [k for k, _ in n.named_parameters()] == ["scale", "shared.weight", "shared.bias"]
    assert len(list(n.parameters())) == 3
    assert [id(p) for p in n.parameters()] == [id(p) for _, p in n.named_parameters()]
    assert [k for k, _ in n.named_modules()] == ["", "shared", "seq", "seq.1"]
    assert [k for k, _ in n.named_children()] == ["shared", "seq"]
    assert list(n.state_dict()) == ["scale", "steps", "shared.weight", "shared.bias",
                                    "seq.0.weight", "seq.0.bias"]
    assert [k for k, _ in n.named_buffers()] == ["steps", "tmp"]
    n.scale = None
    assert "scale" not in dict(n.named_parameters())
    del n.tmp
    assert [k for k, _ in n.named_buffers()] == ["steps"]


def test_train_eval_requires_grad_zero_grad_apply_and_to():
    m = enn.Sequential(enn.Linear(3, 2), enn.Dropout(0.5))
    assert m.training and m[1].training
    assert m.eval() is m and not m[1].training
    m.train()
    assert m[1].training
    out = m(engine.ones(4, 3)).sum()
    out.backward()
    assert m[0].weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert m[0].weight.grad.numpy().sum() == 0
    m.zero_grad()
    assert m[0].weight.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "Dropout", "Sequential"]
    w = m[0].weight
    assert m.double() is m and m[0].weight is w and w.dtype == engine.float64
    assert m.to(engine.float32)[0].weight.dtype == engine.float32 and m.cpu() is m
    with pytest.raises(TypeError, match="floating point"):
        m.to(engine.int64)


def test_forward_hooks_and_handles():
    m = enn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    out = m(engine.ones(3, 2))
    np.testing.assert_allclose(out.detach().numpy(), m.bias.detach().numpy()[None] + 1 + 0 * out.detach().numpy(), rtol=1e-6)
    assert calls == [engine.Size([3, 2])]
    h1.remove()
    h2.remove()
    ref = engine.nn.functional.linear(engine.ones(3, 2), m.weight, m.bias)
    np.testing.assert_allclose(m(engine.ones(3, 2)).detach().numpy(), ref.detach().numpy())
    assert calls == [engine.Size([3, 2])]


def test_dropout_train_and_eval():
    engine.manual_seed(3)
    d = enn.Dropout(0.25)
    x = engine.ones(400, 50, requires_grad=True)
    y = d(x)
    vals = np.unique(y.detach().numpy())
    np.testing.assert_allclose(vals, [0.0, 1 / 0.75], rtol=1e-6)
    frac = (y.detach().numpy() == 0).mean()
    assert 0.22 < frac < 0.28
    assert y.grad_fn.name() == "MulBackward0"
    d.eval()
    assert d(x) is x
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        enn.Dropout(1.5)


def test_sequential_indexing_slicing_append_and_ordered_dict(torch):
    from collections import OrderedDict
    for nn in (torch.nn, enn):
        s = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU()),
                                       ("out", nn.Linear(3, 1))]))
        assert len(s) == 3 and type(s[1]).__name__ == "ReLU" and s[-1] is s.out
        sl = s[1:]
        assert type(sl).__name__ == "Sequential" and list(sl._modules) == ["act", "out"]
        s.append(nn.Sigmoid())
        assert [type(m).__name__ for m in s] == ["Linear", "ReLU", "Linear", "Sigmoid"]
    t = torch.nn.Sequential(torch.nn.ReLU())
    e = enn.Sequential(enn.ReLU())
    same_error(lambda: t[3], lambda: e[3])


def test_lazy_linear_infers_in_features(torch):
    e = enn.LazyLinear(4)
    assert repr(e) == repr(torch.nn.LazyLinear(4))
    out = e(engine.ones(2, 7))
    assert type(e).__name__ == "Linear" and e.in_features == 7 and out.shape == (2, 4)
    assert e.weight.shape == (4, 7) and type(e.weight).__name__ == "Parameter"
    bound = 1 / np.sqrt(7)
    assert np.all(np.abs(e.bias.detach().numpy()) <= bound)
    assert repr(e) == "Linear(in_features=7, out_features=4, bias=True)"


@pytest.mark.parametrize("call", [
    "nn.Module(foo=1)", "nn.Module(1)",
    "nn.Linear(2, 2)(lib.ones(2, 2, dtype=lib.float64))",
    "nn.Conv2d(3, 4, 3)(lib.ones(1, 2, 5, 5))",
    "nn.MaxPool2d(2, padding=2)(lib.ones(1, 1, 4, 4))",
    "nn.BatchNorm1d(3)(lib.ones(2, 3, 4, 5))", "nn.BatchNorm1d(3)(lib.ones(1, 3))",
    "nn.Embedding(3, 2)(lib.tensor([3]))", "nn.Embedding(3, 2)(lib.tensor([1.0]))",
    "nn.LayerNorm(4)(lib.ones(2, 3))", "nn.Dropout(-0.1)",
    "nn.Sequential(nn.ReLU())[1]", "nn.ModuleList([nn.ReLU()])[-2]",
    "nn.Linear(2, 2).to(lib.int64)",
])
def test_module_errors_match_torch(torch, call):
    same_error(lambda: eval(call, {"nn": torch.nn, "lib": torch}),
               lambda: eval(call, {"nn": enn, "lib": engine}))


def test_deepcopy_keeps_parameters_and_buffers(torch):
    import copy
    m = enn.Sequential(enn.Linear(2, 3), enn.BatchNorm1d(3))
    m2 = copy.deepcopy(m)
    assert type(m2[0].weight).__name__ == "Parameter" and m2[0].weight is not m[0].weight
    assert list(m2.state_dict()) == list(m.state_dict())
    np.testing.assert_array_equal(m2[0].weight.detach().numpy(), m[0].weight.detach().numpy())


@pytest.mark.parametrize("expr", ["nn.ReLU(inplace=True)", "nn.LeakyReLU(0.1, inplace=True)",
                                  "nn.ELU(inplace=True)", "nn.SiLU(inplace=True)",
                                  "nn.Dropout(0.0, inplace=True)"])
def test_inplace_activations_match_torch(torch, expr):
    t, e = pair(torch, expr)
    a = RNG.standard_normal((3, 4)).astype(np.float32)
    res = []
    for lib, mod in ((torch, t), (engine, e)):
        x = lib.tensor(a, requires_grad=True)
        h = x * 1
        out = mod(h)
        assert out is h
        out.sum().backward()
        res.append((_grad_fn_name(out), out.detach().numpy(), x.grad.numpy()))
        plain = lib.tensor(a)
        assert mod(plain) is plain
    assert res[1][0] == res[0][0]
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(res[1][2], res[0][2], rtol=1e-5, atol=1e-8)
    if "Dropout" not in expr:  # p=0 dropout returns its input untouched
        same_error(lambda: t(torch.ones(2, requires_grad=True)),
                   lambda: e(engine.ones(2, requires_grad=True)))


def test_inplace_dropout_in_training_is_a_mul_():
    engine.manual_seed(0)
    h = engine.ones(50, 40, requires_grad=True) * 1
    out = enn.Dropout(0.5, inplace=True)(h)
    assert out is h and out.grad_fn.name() == "MulBackward0"
    assert set(np.unique(out.detach().numpy())) == {0.0, 2.0}
