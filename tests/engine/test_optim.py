"""engine.optim against torch.optim: same start, same steps, same parameters."""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.optim import SGD, Adagrad, Adam, AdamW, RMSprop

RNG = np.random.default_rng(0)
W0 = RNG.standard_normal((3, 4)).astype(np.float32)
B0 = RNG.standard_normal(4).astype(np.float32)
X = RNG.standard_normal((5, 3)).astype(np.float32)
T = RNG.standard_normal((5, 4)).astype(np.float32)


def _run(lib, opt_cls, kwargs, steps=8, groups=False):
    w = lib.tensor(W0.copy(), requires_grad=True)
    b = lib.tensor(B0.copy(), requires_grad=True)
    x, t = lib.tensor(X), lib.tensor(T)
    params = ([{"params": [w]}, {"params": [b], "lr": 0.05}] if groups else [w, b])
    opt = opt_cls(params, **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        d = x @ w + b - t
        loss = (d * d).sum() * (1.0 / d.numel())
        loss.backward()
        opt.step()
    return w.detach().numpy().copy(), b.detach().numpy().copy()


CASES = [
    (SGD, "SGD", {"lr": 0.1}),
    (SGD, "SGD", {"lr": 0.1, "momentum": 0.9}),
    (SGD, "SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01}),
    (SGD, "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (SGD, "SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    (Adam, "Adam", {}),
    (Adam, "Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
    (Adam, "Adam", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    (Adam, "Adam", {"lr": 0.02, "maximize": True}),
    (AdamW, "AdamW", {}),
    (AdamW, "AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    (AdamW, "AdamW", {"lr": 0.02, "maximize": True}),
    (RMSprop, "RMSprop", {}),
    (RMSprop, "RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True}),
    (RMSprop, "RMSprop", {"lr": 0.02, "alpha": 0.9, "weight_decay": 0.1, "maximize": True}),
    (Adagrad, "Adagrad", {}),
    (Adagrad, "Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1,
                          "initial_accumulator_value": 0.5}),
    (Adagrad, "Adagrad", {"lr": 0.05, "maximize": True}),
]


@pytest.mark.parametrize("cls,name,kwargs", CASES, ids=[f"{c[1]}-{i}" for i, c in
                                                        enumerate(CASES)])
def test_matches_torch(torch, cls, name, kwargs):
    ew, eb = _run(engine, cls, kwargs)
    tw, tb = _run(torch, getattr(torch.optim, name), kwargs)
    assert ew.dtype == np.float32
    np.testing.assert_allclose(ew, tw, rtol=0, atol=1e-6)
    np.testing.assert_allclose(eb, tb, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_param_groups_match_torch(torch, name):
    ew, eb = _run(engine, getattr(engine.optim, name), {"lr": 0.1}, groups=True)
    tw, tb = _run(torch, getattr(torch.optim, name), {"lr": 0.1}, groups=True)
    np.testing.assert_allclose(ew, tw, atol=1e-6)
    np.testing.assert_allclose(eb, tb, atol=1e-6)


def test_step_updates_in_place_without_recording():
    w = engine.tensor([1.0, 2.0], requires_grad=True)
    data = w._data
    opt = SGD([w], lr=0.5)
    (w * w).sum().backward()
    v = w._version
    opt.step()
    assert w._data is data and w._version == v + 1
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    assert w.tolist() == [0.0, 0.0]


def test_zero_grad(torch):
    for lib in (engine, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        (w * 3).sum().backward()
        g = w.grad
        opt.zero_grad(set_to_none=False)
        assert w.grad is g and w.grad.tolist() == [0.0, 0.0]
        opt.zero_grad()
        assert w.grad is None


def test_params_without_grad_are_skipped():
    w = engine.tensor([1.0], requires_grad=True)
    u = engine.tensor([5.0], requires_grad=True)
    opt = Adam([w, u], lr=0.1)
    (w * 2).sum().backward()
    opt.step()
    assert u.tolist() == [5.0] and u not in opt.state and w in opt.state


@pytest.mark.parametrize("make", [
    lambda lib, w: lib.optim.SGD(w, lr=0.1),
    lambda lib, w: lib.optim.SGD([], lr=0.1),
    lambda lib, w: lib.optim.SGD([w], lr=-1.0),
    lambda lib, w: lib.optim.SGD([w], lr=0.1, momentum=-0.5),
    lambda lib, w: lib.optim.SGD([w], lr=0.1, nesterov=True),
    lambda lib, w: lib.optim.SGD([w * 2], lr=0.1),
    lambda lib, w: lib.optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1),
    lambda lib, w: lib.optim.Adam([w], betas=(1.0, 0.9)),
    lambda lib, w: lib.optim.Adam([w], eps=-1.0),
])
def test_errors_match_torch(torch, make):
    msgs = []
    for lib in (engine, torch):
        w = lib.tensor([1.0], requires_grad=True)
        with pytest.raises((ValueError, TypeError)) as exc:
            make(lib, w)
        msgs.append((exc.type, str(exc.value)))
    assert msgs[0] == msgs[1]


def test_repr_matches_torch(torch):
    reprs = []
    for lib in (engine, torch):
        w = lib.tensor([1.0], requires_grad=True)
        reprs.append((repr(lib.optim.SGD([w], lr=0.1, momentum=0.9)),
                      repr(lib.optim.Adam([w]))))
    assert reprs[0] == reprs[1]
