"""Grad modes (no_grad, enable_grad, set_grad_enabled, inference_mode) against torch 2.13."""
from __future__ import annotations

import warnings

import pytest

import engine


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the record is the exception itself
        return type(e).__name__, str(e)
    return None


def modes(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    rec = []

    @lib.no_grad
    def bare(x):
        return x * 2

    @lib.enable_grad
    def bare_enable(x):
        return x * 2

    @lib.inference_mode
    def bare_inference(x):
        return x * 2

    rec.append(bare(a).requires_grad)
    with lib.no_grad():
        rec.append(bare_enable(a).requires_grad)
    rec.append((bare_inference(a).requires_grad, lib.is_grad_enabled()))

    @lib.no_grad()
    def gen(x):
        for _ in range(2):
            yield (x * 2).requires_grad, lib.is_grad_enabled()

    rec.append(list(gen(a)))
    rec.append(lib.is_grad_enabled())

    def raises():
        with lib.no_grad():
            raise ValueError("inside")

    rec.append(_error(raises))
    rec.append(lib.is_grad_enabled())
    with lib.set_grad_enabled(False):
        with lib.set_grad_enabled(True):
            rec.append((a * 2).requires_grad)
        rec.append((a * 2).requires_grad)
    prev = lib.set_grad_enabled(False)
    rec.append((type(prev).__name__, lib.is_grad_enabled()))
    lib.set_grad_enabled(True)
    with lib.no_grad():
        lib.set_grad_enabled(True)
        rec.append(lib.is_grad_enabled())
    rec.append(lib.is_grad_enabled())
    with lib.no_grad():
        b = a * 2
        c = a.exp()
    rec.append([(t.requires_grad, t.is_leaf, t.grad_fn) for t in (b, c)])
    d = b * a  # b is a leaf that does not require grad; a still records
    rec.append((d.requires_grad, d.grad_fn.name(),
                [None if n is None else n.name() for n, _ in d.grad_fn.next_functions]))
    with lib.inference_mode():
        e = a * 2
    rec.append((e.requires_grad, e.is_leaf))
    with lib.inference_mode(mode=False):
        rec.append(((a * 2).requires_grad, lib.is_inference_mode_enabled()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        made = lib.no_grad()(type("C", (), {"__init__": lambda self: setattr(
            self, "mode", lib.is_grad_enabled())}))()
    rec.append((made.mode, [(c.category.__name__, str(c.message)) for c in caught]))
    return rec


def test_modes_match_torch(torch):
    assert modes(engine) == modes(torch)
    assert engine.is_grad_enabled()


def test_torch_names_available():
    for name in ("no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
                 "is_grad_enabled", "is_inference_mode_enabled"):
        assert callable(getattr(engine, name))
    assert engine.autograd.no_grad is engine.no_grad


def test_grad_mode_is_restored_after_backward():
    x = engine.tensor([1.0], requires_grad=True)
    with engine.no_grad():
        y = x * 2
    assert not y.requires_grad
    (x * 3).sum().backward()
    assert engine.is_grad_enabled()


@pytest.mark.parametrize("ctx", ["no_grad", "enable_grad", "inference_mode"])
def test_context_objects_are_reusable(ctx, torch):
    res = []
    for lib in (engine, torch):
        cm = getattr(lib, ctx)()
        a = lib.tensor([1.0], requires_grad=True)
        out = []
        for _ in range(2):
            with cm:
                out.append((a * 2).requires_grad)
        res.append((out, lib.is_grad_enabled()))
    assert res[0] == res[1]
