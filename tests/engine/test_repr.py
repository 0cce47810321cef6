"""repr/str of tensors: character-for-character parity with torch 2.13 (torch/_tensor_str.py).

Each case builds identical data in both libraries from the same NumPy array and compares the
strings; torch is the oracle, so no expected text is written by hand.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import engine
from engine.autograd.graph import Node

DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.uint8, np.bool_]


@pytest.fixture(autouse=True)
def _default_printoptions(torch):
    """Each test starts and ends with both libraries at their default print options."""
    torch.set_printoptions(profile="default")
    engine.set_printoptions(profile="default")
    yield
    torch.set_printoptions(profile="default")
    engine.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)
    engine.set_default_dtype(engine.float32)


def assert_same(torch, arr, requires_grad=False):
    arr = np.ascontiguousarray(arr)
    if requires_grad:
        e = engine.tensor(arr, requires_grad=True)
        t = torch.tensor(arr, requires_grad=True)
    else:
        e = engine.from_numpy(arr)
        t = torch.from_numpy(arr.copy())
    assert repr(e) == repr(t), f"\nengine: {e!r}\ntorch:  {t!r}"
    assert str(e) == str(t)


# -- fixed cases ---------------------------------------------------------------------
rng = np.random.default_rng(0)
CASES = {
    "scalar_float": np.array(1.5, np.float32),
    "scalar_int_valued": np.array(3.0, np.float32),
    "scalar_int": np.array(7),
    "scalar_bool": np.array(True),
    "scalar_double": np.array(0.1),
    "scalar_nan": np.array(np.nan, np.float32),
    "scalar_neg_zero": np.array(-0.0, np.float32),
    "scalar_big": np.array(1.2345e12),
    "vector": rng.random(5).astype(np.float32),
    "int_valued_floats": np.arange(12, dtype=np.float32).reshape(3, 4),
    "negatives": (rng.standard_normal((4, 5)) * 10).astype(np.float32),
    "matrix_5x3": rng.standard_normal((5, 3)).astype(np.float32),
    "wide_rows": rng.standard_normal((3, 30)).astype(np.float32),
    "cube": rng.standard_normal((2, 3, 4)).astype(np.float32),
    "4d": rng.standard_normal((2, 2, 2, 3)),
    "nonfinite": np.array([np.nan, np.inf, -np.inf, 1.0, -0.0], np.float32),
    "nonfinite_fraction": np.array([np.nan, 0.5, -np.inf], np.float64),
    "only_nonfinite": np.array([np.nan, np.inf]),
    "zeros": np.zeros(4, np.float32),
    "neg_zeros": np.array([-0.0, 0.0, -0.0], np.float32),
    "sci_small": np.array([1e-8, 1.0, 2.0], np.float32),
    "sci_big": np.array([1e9, 1.0]),
    "sci_ratio": np.array([0.001, 2.5]),
    "sci_int_mode": np.array([1e10, 3.0], np.float32),
    "sci_3digit_exp": np.array([1e-300, 1e300]),
    "subnormal": np.array([5e-324, 1.0]),
    "rounding_up_width": np.array([9.99996, 0.5]),
    "bool": np.array([True, False, True]),
    "bool_all_true": np.array([[True, True]]),
    "int64": np.array([[1, -20, 300], [4, 5, 6]]),
    "int32": np.array([1, 2, 3], np.int32),
    "uint8": np.array([0, 255], np.uint8),
    "float16": np.array([1.5, 2.25, -3.0], np.float16),
    "float64": rng.standard_normal(4),
    "long_vector_wraps": rng.standard_normal(40).astype(np.float32),
    "long_int_vector_wraps": np.arange(100),
    "summarized_vector": rng.standard_normal(2000).astype(np.float32),
    "summarized_matrix": rng.standard_normal((100, 100)).astype(np.float32),
    "summarized_cube": rng.standard_normal((20, 10, 10)),
    "summarized_int": np.arange(1500).reshape(30, 50),
    "summarized_bool": rng.random((40, 40)) > 0.5,
    "summarized_short_dim": rng.standard_normal((2, 1000)).astype(np.float32),
    "summary_hides_sci": np.concatenate([[1e-9], np.ones(1500), [2.0]]).astype(np.float32),
    "empty_1d": np.zeros(0, np.float32),
    "empty_2d": np.zeros((0, 3), np.float32),
    "empty_3d": np.zeros((2, 0, 3)),
    "empty_int": np.zeros(0, np.int64),
    "empty_int_2d": np.zeros((3, 0), np.int64),
    "empty_bool": np.zeros(0, np.bool_),
    "empty_double": np.zeros(0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_fixed_cases(torch, name):
    assert_same(torch, CASES[name])


@pytest.mark.parametrize("name", ["scalar_float", "vector", "matrix_5x3", "wide_rows", "cube",
                                  "float64", "summarized_matrix", "empty_2d", "nonfinite"])
def test_requires_grad_suffix(torch, name):
    # the suffix moves to its own line when the last line would pass linewidth
    assert_same(torch, CASES[name], requires_grad=True)


# -- grad_fn suffixes from recorded ops ------------------------------------------------
OPS = {
    "add": lambda lib, a, b: a + b,
    "mul_scalar": lambda lib, a, b: a * 2,
    "sub": lambda lib, a, b: a - b,
    "div": lambda lib, a, b: a / b,
    "neg": lambda lib, a, b: -a,
    "pow": lambda lib, a, b: a ** 2,
    "tanh": lambda lib, a, b: lib.tanh(a),
    "sigmoid": lambda lib, a, b: lib.sigmoid(a),
    "exp": lambda lib, a, b: lib.exp(a),
    "sum": lambda lib, a, b: a.sum(),
    "matmul": lambda lib, a, b: a @ b.T,
    "chain": lambda lib, a, b: (lib.tanh(a * b) + 1).sum(),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", list(OPS))
def test_grad_fn_suffix(torch, op, dtype):
    r = np.random.default_rng(1)
    xa = r.standard_normal((4, 6)).astype(dtype)
    xb = (r.random((4, 6)) + 0.5).astype(dtype)
    ea, eb = engine.tensor(xa, requires_grad=True), engine.tensor(xb)
    ta, tb = torch.tensor(xa, requires_grad=True), torch.tensor(xb)
    e, t = OPS[op](engine, ea, eb), OPS[op](torch, ta, tb)
    assert e.grad_fn.name() == type(t.grad_fn).__name__
    assert np.allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    # results may differ in the last ulp, which can change a printed digit: print torch's
    # values with the engine's dtype, shape and grad_fn
    assert e._data.dtype == t.detach().numpy().dtype
    e._data = t.detach().numpy().copy()
    assert repr(e) == repr(t)


def test_no_grad_and_detach_show_no_suffix(torch):
    x = np.array([1.0, 2.0], np.float32)
    e, t = engine.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with engine.no_grad():
        en = e * 2
    with torch.no_grad():
        tn = t * 2
    assert repr(en) == repr(tn)
    assert repr(e.detach()) == repr(t.detach())


def test_grad_fn_name_comes_from_node(torch):
    class BinaryCrossEntropyWithLogitsBackward0(Node):
        pass

    x = np.array(0.6931472, np.float32)
    e = engine.Tensor._make(x.copy(), requires_grad=True,
                            grad_fn=BinaryCrossEntropyWithLogitsBackward0(()))
    t = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.zeros(3, requires_grad=True), torch.zeros(3))
    assert type(t.grad_fn).__name__ == "BinaryCrossEntropyWithLogitsBackward0"
    assert repr(e) == repr(t)


# -- the autograd tutorial's printed gradients ------------------------------------------
def test_tutorial_grads(torch):
    r = np.random.default_rng(2)
    w0 = r.standard_normal((5, 3)).astype(np.float32)
    b0 = r.standard_normal(3).astype(np.float32)
    tw, tb = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    tz = torch.matmul(torch.ones(5), tw) + tb
    tloss = torch.nn.functional.binary_cross_entropy_with_logits(tz, torch.zeros(3))
    tloss.backward()

    ew, eb = engine.tensor(w0, requires_grad=True), engine.tensor(b0, requires_grad=True)
    ez = engine.ones(1, 5) @ ew + eb  # (1, 3): the same loss and grads as the 1-D x
    F = getattr(engine.nn.functional, "binary_cross_entropy_with_logits", None)
    if F is not None:
        eloss = F(ez, engine.zeros(1, 3))
    else:  # same value with y = 0: mean(log(1 + exp(z)))
        eloss = engine.log(engine.exp(ez) + 1).sum() / 3
    eloss.backward()
    np.testing.assert_allclose(ew.grad.numpy(), tw.grad.numpy(), rtol=1e-5)
    # print(w.grad), print(b.grad): the printed text equals torch's for the same values
    for eg, tg in ((ew.grad, tw.grad), (eb.grad, tb.grad)):
        assert str(eg) == str(torch.from_numpy(eg.numpy().copy()))
        assert str(eg).count("\n") == str(tg).count("\n")
    if F is not None:
        assert repr(eloss) == repr(tloss)


# -- default dtype ------------------------------------------------------------------------
def test_default_dtype_float64_changes_suffixes(torch):
    torch.set_default_dtype(torch.float64)
    engine.set_default_dtype(engine.float64)
    for name in ("vector", "float64", "int64", "empty_2d", "empty_double", "empty_int",
                 "scalar_double", "float16"):
        assert_same(torch, CASES[name])


# -- set_printoptions ----------------------------------------------------------------------
OPTIONS = [
    dict(precision=2), dict(precision=8), dict(precision=0), dict(threshold=5),
    dict(threshold=5, edgeitems=1), dict(edgeitems=0, threshold=3), dict(edgeitems=0),
    dict(linewidth=40), dict(linewidth=10), dict(profile="short"), dict(profile="full"),
    dict(sci_mode=True), dict(sci_mode=False), dict(profile="short", precision=5),
    dict(threshold=math.inf),
]
OPTION_CASES = ["scalar_float", "scalar_int", "vector", "matrix_5x3", "cube", "wide_rows",
                "int64", "bool", "zeros", "nonfinite", "sci_small", "sci_int_mode",
                "long_int_vector_wraps", "summarized_vector", "summarized_cube", "empty_2d",
                "4d"]


@pytest.mark.parametrize("opts", OPTIONS, ids=str)
def test_set_printoptions(torch, opts):
    torch.set_printoptions(**opts)
    engine.set_printoptions(**opts)
    assert engine.get_printoptions() == torch._tensor_str.get_printoptions()
    for name in OPTION_CASES:
        assert_same(torch, CASES[name])
    assert_same(torch, CASES["matrix_5x3"], requires_grad=True)


def test_get_printoptions_round_trip(torch):
    engine.set_printoptions(precision=3, linewidth=60, sci_mode=True)
    saved = engine.get_printoptions()
    engine.set_printoptions(profile="default")
    assert engine.get_printoptions() == torch._tensor_str.get_printoptions()
    engine.set_printoptions(**saved)
    assert engine.get_printoptions() == saved
    assert saved == {"precision": 3, "threshold": 1000, "edgeitems": 3, "linewidth": 60,
                     "sci_mode": True}


# -- generated data ---------------------------------------------------------------------
def _elements(dtype):
    if dtype == np.bool_:
        return st.booleans()
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return st.integers(int(max(info.min, -10**12)), int(min(info.max, 10**12)))
    width = {np.float16: 16, np.float32: 32, np.float64: 64}[dtype]
    return st.one_of(
        st.floats(width=width),  # anything: nan, inf, huge, subnormal
        st.floats(-10, 10, width=width),
        st.integers(-1000, 1000).map(float),  # int mode
        st.sampled_from([0.0, -0.0, math.nan, math.inf, -math.inf]),
    )


@st.composite
def small_arrays(draw):
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=7))
    return draw(hnp.arrays(dtype, shape, elements=_elements(dtype)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_arrays(), st.booleans())
def test_generated_small(torch, arr, requires_grad):
    assert_same(torch, arr, requires_grad=requires_grad and arr.dtype.kind == "f")


@st.composite
def large_arrays(draw):
    """Sizes past the threshold (summarized), values from a seed at a drawn scale."""
    shape = draw(st.sampled_from([(1001,), (3000,), (40, 30), (2, 600), (600, 2),
                                  (11, 10, 10), (3, 20, 30), (1, 1, 1200)]))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int64, np.bool_]))
    r = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if dtype == np.bool_:
        return r.random(shape) > 0.5
    if dtype == np.int64:
        return r.integers(-(10 ** draw(st.integers(1, 12))), 10 ** draw(st.integers(1, 12)),
                          shape)
    scale = 10.0 ** draw(st.integers(-12, 12))
    arr = r.standard_normal(shape) * scale
    if draw(st.booleans()):
        arr = np.round(arr)  # int mode
    if draw(st.booleans()):  # specials somewhere (seen only if among the edge items)
        flat = arr.reshape(-1)
        for v in (math.nan, math.inf, -0.0, 1e-20):
            flat[r.integers(0, flat.size)] = v
        flat[0] = draw(st.sampled_from([math.nan, -math.inf, 0.0, 1e15]))
    return arr.astype(dtype)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(large_arrays())
def test_generated_summarized(torch, arr):
    assert_same(torch, arr)
