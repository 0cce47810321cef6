"""Central-difference gradchecks in float64 for every arithmetic op, on hypothesis-generated
broadcastable shapes and values, and second order (gradgradcheck) for mul, div and pow."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import engine
from engine.autograd import gradcheck, gradgradcheck

SETTINGS = settings(max_examples=30, deadline=None)

# Binary ops on two tensors; ``pos`` operands are kept away from 0 (division, pow's base).
BINARY = {
    "add": (lambda a, b: a + b, ""),
    "add_alpha": (lambda a, b: engine.add(a, b, alpha=-1.5), ""),
    "sub": (lambda a, b: a - b, ""),
    "sub_alpha": (lambda a, b: engine.sub(a, b, alpha=2.5), ""),
    "rsub": (lambda a, b: engine.rsub(a, b, alpha=0.5), ""),
    "mul": (lambda a, b: a * b, ""),
    "div": (lambda a, b: a / b, "b"),
    "pow": (lambda a, b: a ** b, "a"),
}
# A tensor and a Python number, on either side.
SCALAR = {
    "add_s": lambda a: a + 1.5, "radd_s": lambda a: 2 + a, "sub_s": lambda a: a - 0.25,
    "rsub_s": lambda a: 3 - a, "mul_s": lambda a: a * -1.75, "rmul_s": lambda a: 0.5 * a,
    "div_s": lambda a: a / 3.0, "rdiv_s": lambda a: 2.0 / a, "fn_rdiv_s": lambda a: engine.div(2, a),
    "pow_s": lambda a: a ** 3, "pow_frac": lambda a: a ** 1.5, "pow_neg": lambda a: a ** -2,
    "pow_0": lambda a: a ** 0, "rpow_s": lambda a: 1.7 ** a, "neg": lambda a: -a,
    "fn_sub_s": lambda a: engine.sub(1.5, a, alpha=2), "fn_mul_s": lambda a: engine.mul(3, a),
}
NEEDS_POSITIVE = {"rdiv_s", "fn_rdiv_s", "pow_frac", "pow_neg"}

shapes2 = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)
values = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, width=64)


def _array(data, shape, positive: bool):
    a = data.draw(hnp.arrays(np.float64, shape, elements=values))
    if positive:  # away from 0 and from the non-differentiable region
        a = np.abs(a) + 0.5
    return a


def _leaf(a):
    return engine.tensor(a, dtype=engine.float64, requires_grad=True)


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(data=st.data(), shapes=shapes2)
def test_binary_gradcheck(name, data, shapes):
    fn, pos = BINARY[name]
    sa, sb = shapes.input_shapes
    a = _leaf(_array(data, sa, "a" in pos))
    b = _leaf(_array(data, sb, "b" in pos))
    assert gradcheck(fn, (a, b))


@pytest.mark.parametrize("name", sorted(SCALAR))
@SETTINGS
@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3))
def test_scalar_gradcheck(name, data, shape):
    a = _leaf(_array(data, shape, name in NEEDS_POSITIVE))
    assert gradcheck(SCALAR[name], (a,))


@pytest.mark.parametrize("name", ["mul", "div", "pow"])
@settings(max_examples=15, deadline=None)
@given(data=st.data(), shapes=shapes2)
def test_second_order(name, data, shapes):
    fn, pos = BINARY[name]
    sa, sb = shapes.input_shapes
    a = _leaf(_array(data, sa, "a" in pos or name == "pow"))
    b = _array(data, sb, "b" in pos)
    if name == "pow":  # torch's d/da formula switches to 0 exactly at b == 0 (as in torch)
        b = np.where(b == 0, 0.25, b)
    assert gradgradcheck(fn, (a, _leaf(b)))


@pytest.mark.parametrize("name", ["div_s", "rdiv_s", "pow_s", "pow_frac", "pow_neg", "rpow_s",
                                  "mul_s"])
@settings(max_examples=15, deadline=None)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
def test_second_order_scalar(name, data, shape):
    a = _leaf(_array(data, shape, name in NEEDS_POSITIVE or name == "pow_s"))
    assert gradgradcheck(SCALAR[name], (a,))


def test_gradcheck_catches_a_wrong_formula(monkeypatch):
    """The check is not vacuous: a wrong derivative is reported."""
    from engine.ops import arithmetic

    def wrong(self, F, g):
        return (g * 2, None)  # d(a + 1)/da is 1, not 2

    monkeypatch.setattr(arithmetic.AddBackward0, "backward", wrong)
    a = _leaf(np.array([0.3, -0.2]))
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradcheck(lambda x: x + 1.0, (a,))
