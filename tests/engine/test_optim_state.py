"""Optimizer reprs, state_dict/load_state_dict, add_param_group, and lr_scheduler against
torch.optim (parity), plus checks that hold without torch."""
from __future__ import annotations

import math

import numpy as np
import pytest

import engine

RNG = np.random.default_rng(3)
W0 = RNG.standard_normal((3, 2)).astype(np.float32)
X = RNG.standard_normal((4, 3)).astype(np.float32)

OPTIMIZERS = {"SGD": {"lr": 0.1, "momentum": 0.9}, "Adam": {}, "AdamW": {"amsgrad": True},
              "RMSprop": {"centered": True, "momentum": 0.5}, "Adagrad": {"lr_decay": 0.1}}


def _loss(lib, w):
    y = lib.tensor(X) @ w
    return (y * y).mean()


def _train(lib, opt, w, steps):
    for _ in range(steps):
        opt.zero_grad()
        _loss(lib, w).backward()
        opt.step()


def _state(sd):
    """A state_dict as plain Python (tensors as lists) for comparison."""
    def conv(v):
        if hasattr(v, "detach"):
            return ("tensor", str(v.dtype).replace("torch.", ""), v.detach().numpy().tolist())
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return type(v)(conv(x) for x in v)
        return v
    return conv(sd)


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_repr_and_state_dict_match_torch(torch, name):
    out = {}
    for lib in (engine, torch):
        w = lib.tensor(W0.copy(), requires_grad=True)
        opt = getattr(lib.optim, name)([w], **OPTIMIZERS[name])
        _train(lib, opt, w, 3)
        out[lib] = (repr(opt), _state(opt.state_dict()))
    assert out[engine][0] == out[torch][0]
    es, ts = out[engine][1], out[torch][1]
    assert es["param_groups"] == ts["param_groups"]
    assert es["state"].keys() == ts["state"].keys()
    for k in ts["state"]:
        assert list(es["state"][k]) == list(ts["state"][k])  # same entries, same order
        for entry in ts["state"][k]:
            e, t = es["state"][k][entry], ts["state"][k][entry]
            assert e[:2] == t[:2]
            np.testing.assert_allclose(e[2], t[2], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_load_state_dict_resumes_exactly(name):
    """Training 6 steps equals 3 steps, a save/load round trip through engine.save, 3 more."""
    import io
    cls = getattr(engine.optim, name)
    w = engine.tensor(W0.copy(), requires_grad=True)
    opt = cls([w], **OPTIMIZERS[name])
    _train(engine, opt, w, 6)
    w2 = engine.tensor(W0.copy(), requires_grad=True)
    opt2 = cls([w2], **OPTIMIZERS[name])
    _train(engine, opt2, w2, 3)
    buf = io.BytesIO()
    engine.save({"w": w2.detach(), "opt": opt2.state_dict()}, buf)
    buf.seek(0)
    ck = engine.load(buf, weights_only=True)
    w3 = engine.tensor(ck["w"].numpy(), requires_grad=True)
    opt3 = cls([w3], lr=123.0)  # lr comes back from the state dict
    opt3.load_state_dict(ck["opt"])
    assert opt3.param_groups[0]["lr"] == opt2.param_groups[0]["lr"]
    _train(engine, opt3, w3, 3)
    np.testing.assert_array_equal(w3.detach().numpy(), w.detach().numpy())


def test_add_param_group_and_zero_grad():
    a = engine.ones(2, requires_grad=True)
    b = engine.ones(2, requires_grad=True)
    opt = engine.optim.SGD([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    (a.sum() + b.sum()).backward()
    opt.step()
    np.testing.assert_allclose(b.detach().numpy(), [0.5, 0.5])
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    with pytest.raises(ValueError, match="some parameters appear in more than one"):
        opt.add_param_group({"params": [a]})


SCHEDULERS = {
    "StepLR": {"step_size": 3, "gamma": 0.5},
    "MultiStepLR": {"milestones": [2, 5, 5], "gamma": 0.3},
    "ExponentialLR": {"gamma": 0.9},
    "CosineAnnealingLR": {"T_max": 4, "eta_min": 0.01},
    "LambdaLR": {"lr_lambda": lambda epoch: 1.0 / (epoch + 1)},
}


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_schedulers_match_torch(torch, name):
    lrs = {}
    for lib in (engine, torch):
        w = lib.tensor(W0.copy(), requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.2)
        sched = getattr(lib.optim.lr_scheduler, name)(opt, **SCHEDULERS[name])
        seen = [sched.get_last_lr()]
        for _ in range(12):
            _train(lib, opt, w, 1)
            sched.step()
            seen.append(sched.get_last_lr())
        lrs[lib] = (seen, w.detach().numpy().copy(), opt.param_groups[0]["initial_lr"])
    assert lrs[engine][0] == lrs[torch][0]  # bit-identical: same chainable formulas
    assert lrs[engine][2] == lrs[torch][2]
    np.testing.assert_allclose(lrs[engine][1], lrs[torch][1], rtol=1e-5, atol=1e-6)


def test_cosine_schedule_closed_form():
    w = engine.ones(1, requires_grad=True)
    opt = engine.optim.SGD([w], lr=1.0)
    sched = engine.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    for epoch in range(1, 11):
        sched.step()
        assert math.isclose(sched.get_last_lr()[0], (1 + math.cos(math.pi * epoch / 10)) / 2,
                            abs_tol=1e-12)
