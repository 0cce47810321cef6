"""The op catalog: every entry runs on the engine as on torch 2.13 (values, dtypes, grad_fn
names, grads), its code string is valid PyTorch, and params validate with clear errors."""
from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pytest

import engine
from engine.document import catalog
from engine.document.catalog import CATALOG, validate_param, validate_params
from engine.document.errors import ParamError, UnknownOpError

RNG = np.random.default_rng(7)


def _f(*shape, positive=False, unit=False):
    a = RNG.standard_normal(shape).astype(np.float32)
    if positive:
        a = np.abs(a) + np.float32(0.5)
    if unit:
        a = (1 / (1 + np.exp(-a))).astype(np.float32)
    return a


# key -> (inputs in port order: array, list of arrays for variadic, or None; params)
SAMPLES = {
    "add": ([_f(2, 3), _f(3)], {}), "sub": ([_f(2, 3), _f(2, 3)], {}),
    "mul": ([_f(2, 3), _f(1, 3)], {}), "div": ([_f(2, 3), _f(2, 3, positive=True)], {}),
    "pow": ([_f(2, 3, positive=True), _f(2, 3)], {}), "neg": ([_f(2, 3)], {}),
    "log": ([_f(2, 3, positive=True)], {}), "sqrt": ([_f(2, 3, positive=True)], {}),
    "clamp": ([_f(2, 3)], {"min": -0.5, "max": 0.5}),
    "maximum": ([_f(2, 3), _f(2, 3)], {}), "minimum": ([_f(2, 3), _f(2, 3)], {}),
    "where": ([_f(2, 3) > 0, _f(2, 3), _f(2, 3)], {}),
    "sum": ([_f(2, 3, 4)], {"dim": [0, 2], "keepdim": True}),
    "mean": ([_f(2, 3, 4)], {"dim": 1}), "max": ([_f(2, 3, 4)], {"dim": 2}),
    "var": ([_f(2, 3, 4)], {"dim": 1, "keepdim": True}),
    "std": ([_f(2, 3, 4)], {"correction": 0}),
    "reshape": ([_f(2, 3)], {"shape": [3, -1]}), "view": ([_f(2, 3)], {"shape": [6]}),
    "transpose": ([_f(2, 3, 4)], {"dim0": 0, "dim1": 2}), "t": ([_f(2, 3)], {}),
    "unsqueeze": ([_f(2, 3)], {"dim": 1}), "squeeze": ([_f(2, 1, 3)], {}),
    "cat": ([[_f(2, 3), _f(1, 3)]], {"dim": 0}), "stack": ([[_f(2, 3), _f(2, 3)]], {"dim": 1}),
    "matmul": ([_f(2, 3), _f(3, 4)], {}), "mm": ([_f(2, 3), _f(3, 4)], {}),
    "mv": ([_f(2, 3), _f(3)], {}), "dot": ([_f(3), _f(3)], {}),
    "softmax": ([_f(2, 3)], {"dim": 0}), "log_softmax": ([_f(2, 3)], {}),
    "F.leaky_relu": ([_f(2, 3)], {"negative_slope": 0.2}),
    "F.gelu": ([_f(2, 3)], {"approximate": "tanh"}),
    "F.linear": ([_f(2, 3), _f(4, 3), _f(4)], {}),
    "F.mse_loss": ([_f(2, 3), _f(2, 3)], {"reduction": "sum"}),
    "F.binary_cross_entropy": ([_f(2, 3, unit=True), _f(2, 3, unit=True)], {}),
    "F.binary_cross_entropy_with_logits": ([_f(2, 3), _f(2, 3, unit=True)], {}),
    "F.cross_entropy": ([_f(2, 3), np.array([0, 2])], {}),
    "F.nll_loss": ([_f(2, 3), np.array([1, 0])], {"reduction": "none"}),
    "rsqrt": ([_f(2, 3, positive=True)], {}), "reciprocal": ([_f(2, 3, positive=True)], {}),
    "bitwise_not": ([_f(2, 3) > 0], {}), "gt": ([_f(2, 3), _f(3)], {}),
    "le": ([_f(2, 3), None], {"scalar": 0.25}),
    "amax": ([_f(2, 3, 4)], {"dim": [0, 2]}), "amin": ([_f(2, 3)], {"keepdim": True}),
    "permute": ([_f(2, 3, 4)], {"dims": [2, 0, 1]}),
    "flatten": ([_f(2, 3, 4)], {"start_dim": 1}),
    "bmm": ([_f(2, 3, 4), _f(2, 4, 5)], {}),
    "addmm": ([_f(2, 4), _f(2, 3), _f(3, 4)], {"beta": 0.5, "alpha": 2}),
    "nan_to_num": ([np.array([[np.nan, np.inf, 1], [-np.inf, 2, 3]], np.float32)],
                   {"posinf": 10.0}),
    "argmax": ([_f(2, 3)], {"dim": 1}), "prod": ([_f(2, 3)], {"dim": 1}),
    "min": ([_f(2, 3)], {"dim": 0, "keepdim": True}),
    # torch.nn.functional rows (catalog_nn.py)
    "F.elu": ([_f(2, 3)], {"alpha": 0.5}),
    "F.softplus": ([_f(2, 3) * 10], {"beta": 2.0, "threshold": 5.0}),
    "F.huber_loss": ([_f(2, 3), _f(2, 3)], {"delta": 0.5, "reduction": "sum"}),
    "F.smooth_l1_loss": ([_f(2, 3), _f(2, 3)], {"beta": 0.5, "reduction": "none"}),
    "F.dropout": ([_f(2, 3)], {"training": False}),  # training: a random mask (test_catalog_nn)
    "F.layer_norm": ([_f(2, 3, 4), _f(3, 4), _f(3, 4)], {"normalized_shape": [3, 4]}),
    "F.batch_norm": ([_f(4, 3, 2), None, None, _f(3), _f(3)], {"training": True}),
    "F.embedding": ([np.array([[0, 2], [1, 0]]), _f(3, 4)], {"padding_idx": 0}),
    "F.conv2d": ([_f(2, 4, 5, 5), _f(6, 2, 3, 2), _f(6)],
                 {"stride": [2, 1], "padding": 1, "dilation": [1, 2], "groups": 2}),
    "F.max_pool2d": ([_f(2, 3, 5, 5)], {"kernel_size": 3, "stride": 2, "padding": 1}),
    "F.avg_pool2d": ([_f(1, 2, 5, 4)], {"kernel_size": [2, 3], "ceil_mode": True,
                                        "count_include_pad": False}),
    "F.adaptive_avg_pool2d": ([_f(2, 3, 5, 7)], {"output_size": [2, 3]}),
    "F.bilinear": ([_f(2, 3), _f(2, 4), _f(5, 3, 4), _f(5)], {}),
}
# autograd.grad differentiates its first input w.r.t. its second: independent sample leaves
# cannot feed it (torch refuses them); resources/examples/gradient_penalty.json tests it
# against torch (test_examples, test_qa_cli)
# in-place rows modify their input, so they are checked in a graph: test_inplace_torch.py
OPS = [k for k, s in CATALOG.items() if not s.is_source and k != "autograd.grad"
       and not s.inplace]
SOURCES = [k for k, s in CATALOG.items() if s.is_source]


@functools.cache
def sample(key):
    spec = CATALOG[key]
    if key in SAMPLES:
        return SAMPLES[key]
    return [_f(2, 3) for p in spec.inputs if not p.optional] + [None] * sum(
        p.optional for p in spec.inputs), {}


def run(lib, key):
    """Call the entry on lib; backward of (out * weights).sum(); return out and grads."""
    spec = CATALOG[key]
    arrays, params = sample(key)
    params = validate_params(spec, params)
    tensors = []
    for port, a in zip(spec.inputs, arrays):
        if a is None:
            tensors.append(None)
        elif isinstance(a, list):
            tensors.append([lib.tensor(x, requires_grad=True) for x in a])
        else:
            tensors.append(lib.tensor(a, requires_grad=a.dtype.kind == "f"
                                      and port.differentiable))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = spec.call(lib, tensors, params)
    flat = [t for x in tensors for t in (x if isinstance(x, list) else [x])
            if t is not None and t.requires_grad]
    if out.requires_grad:
        w = lib.tensor(np.linspace(0.5, 1.5, out.numel(), dtype=np.float32).reshape(
            tuple(out.shape)))
        (out * w).sum().backward()
    return out, [None if t.grad is None else t.grad.detach().numpy() for t in flat], tensors


@pytest.mark.parity
@pytest.mark.parametrize("key", OPS)
def test_op_matches_torch(torch, key):
    ours, our_grads, _ = run(engine, key)
    theirs, their_grads, _ = run(torch, key)
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert ours.requires_grad == theirs.requires_grad
    name = lambda t: None if t.grad_fn is None else type(t.grad_fn).__name__  # noqa: E731
    assert name(ours) == name(theirs)
    for g, h in zip(our_grads, their_grads, strict=True):
        assert (g is None) == (h is None)
        if g is not None:
            np.testing.assert_allclose(g, h, rtol=1e-4, atol=1e-5)


@pytest.mark.parity
@pytest.mark.parametrize("key", OPS)
def test_code_is_equivalent_pytorch(torch, key):
    """The code string, evaluated by Python against real torch, gives the call's result."""
    spec = CATALOG[key]
    expected, _, tensors = run(torch, key)
    names, env = [], {"torch": torch}
    for i, t in enumerate(tensors):
        if t is None:
            names.append(None)
        elif isinstance(t, list):
            names.append([f"v{i}_{j}" for j in range(len(t))])
            env.update({f"v{i}_{j}": x for j, x in enumerate(t)})
        else:
            names.append(f"v{i}")
            env[f"v{i}"] = t
    params = validate_params(spec, sample(key)[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = eval(spec.code(names, params), env)  # noqa: S307 - our own generated code
    assert type(got.grad_fn).__name__ == type(expected.grad_fn).__name__ or (
        got.grad_fn is None and expected.grad_fn is None)
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-6)


@pytest.mark.parity
@pytest.mark.parametrize("key", SOURCES)
def test_sources_match_torch(torch, key):
    spec = CATALOG[key]
    params = validate_params(spec, {"dtype": "float64"} if key in ("ones", "eye") else {})
    ours = spec.call(engine, [], params)
    theirs = spec.call(torch, [], params)
    assert tuple(ours.shape) == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype)
    if key not in ("rand", "randn", "randint"):  # torch's bit generator differs; ours is reproducible
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
        code_value = eval(spec.code([], params, requires_grad=False), {"torch": torch})
        np.testing.assert_allclose(code_value.numpy(), theirs.numpy())
    if ours.is_floating_point():
        code = spec.code([], params, requires_grad=True)
        assert eval(code, {"torch": torch}).requires_grad
        assert code.endswith("requires_grad=True)")


def test_seeded_random_sources_are_reproducible():
    spec = CATALOG["randn"]
    p0 = validate_params(spec, {"shape": [4, 2], "seed": 3})
    a, b = spec.call(engine, [], p0), spec.call(engine, [], p0)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    c = spec.call(engine, [], validate_params(spec, {"shape": [4, 2], "seed": 4}))
    assert not np.array_equal(a.numpy(), c.numpy())
    u = CATALOG["rand"].call(engine, [], validate_params(CATALOG["rand"], {"shape": [100]}))
    assert 0 <= u.numpy().min() and u.numpy().max() < 1


def test_every_required_family_is_present():
    required = """ones zeros full eye arange linspace rand randn tensor add sub mul div pow neg
    exp log log1p sqrt abs sin cos tanh sigmoid relu clamp maximum minimum where sum mean max
    var std reshape view transpose t unsqueeze squeeze cat stack matmul mm mv dot softmax
    log_softmax F.relu F.sigmoid F.tanh F.leaky_relu F.gelu F.softmax F.log_softmax F.linear
    F.mse_loss F.binary_cross_entropy F.binary_cross_entropy_with_logits F.cross_entropy
    F.nll_loss detach""".split()
    assert not [k for k in required if k not in CATALOG]
    cats = catalog.categories()
    assert sum(len(v) for v in cats.values()) == len(CATALOG)
    assert all(s.category in catalog.CATEGORIES for s in CATALOG.values())
    for spec in CATALOG.values():
        assert spec.doc and spec.title
        names = [p.name for p in spec.inputs]
        assert len(names) == len(set(names))
        validate_params(spec, {})  # defaults are valid


def test_engine_functions_are_in_the_catalog():
    """Every engine function has a catalog entry or a stated reason (catalog.NOT_NODES): adding
    an op to the engine means adding one entry here."""
    from engine.ops import FUNCTIONS
    missing = [k for k in FUNCTIONS if k not in CATALOG and k not in catalog.NOT_NODES]
    missing += [f"F.{k}" for k in engine.nn.functional.__all__ if f"F.{k}" not in CATALOG]
    assert missing == []
    for key, spec in CATALOG.items():
        if spec.is_source or key in ("view", "detach") or spec.inplace and "." not in key:
            continue  # view/detach and the in-place rows (x.add_(1), x[i] = v) are methods
        path = key.replace("F.", "nn.functional.")
        assert callable(catalog._fn(engine, path)), key


def test_get_and_unknown_op():
    assert catalog.get("matmul").title == "matmul"
    with pytest.raises(UnknownOpError, match="unknown op 'nope'"):
        catalog.get("nope")


@pytest.mark.parametrize("key,name,value,msg", [
    ("ones", "shape", [2, -1], "sizes must be >= 0"),
    ("ones", "shape", "3", "expected a shape"),
    ("ones", "shape", [2.5], "expected a shape"),
    ("ones", "dtype", "complex64", "expected one of"),
    ("randn", "dtype", "int64", "expected one of"),
    ("sum", "dim", "x", "expected an int or a list of ints"),
    ("sum", "keepdim", 1, "expected true or false"),
    ("F.mse_loss", "reduction", "avg", "expected one of mean, sum, none"),
    ("F.leaky_relu", "negative_slope", "a", "expected a number"),
    ("add", "scalar", float("nan"), "expected a number"),
    ("tensor", "value", [[1, 2], [3]], "equal length"),
    ("tensor", "value", ["a"], "numbers or booleans"),
    ("transpose", "dim0", None, "a value is required"),
    ("linspace", "steps", -1, "must be >= 0"),
    ("matmul", "nope", 1, "unknown parameter 'nope'"),
])
def test_bad_params(key, name, value, msg):
    with pytest.raises(ParamError, match=msg):
        validate_param(CATALOG[key], name, value)


def test_validate_params_normalizes_and_refuses_absurd_sizes():
    p = validate_params(CATALOG["ones"], {"shape": [2, 3]})
    assert p == {"shape": (2, 3), "dtype": "float32"}
    assert validate_params(CATALOG["sum"], {"dim": [0, 1]})["dim"] == (0, 1)
    assert validate_params(CATALOG["tensor"], {"value": ((1, 2),)})["value"] == [[1, 2]]
    with pytest.raises(ParamError, match=r"refusing to allocate 1,000,000,000,000 elements"):
        validate_params(CATALOG["randn"], {"shape": [10**6, 10**6]})
    with pytest.raises(ParamError, match="refusing"):
        validate_params(CATALOG["eye"], {"n": 10**5})
    with pytest.raises(ParamError, match="refusing"):
        validate_params(CATALOG["arange"], {"end": 10**9})
    with pytest.raises(ParamError, match="unknown parameter"):
        validate_params(CATALOG["ones"], {"size": 3})
    assert CATALOG["arange"].numel(validate_params(CATALOG["arange"], {"step": 0})) == 0
    assert math.prod(p["shape"]) == CATALOG["ones"].numel(p)


def test_names():
    assert catalog.is_valid_name("w1") and not catalog.is_valid_name("1w")
    assert not catalog.is_valid_name("torch") and not catalog.is_valid_name("lambda")


@pytest.mark.parity
@pytest.mark.parametrize("key", ["ones", "zeros", "rand", "randn", "full", "randint"])
def test_zero_dim_sources_and_reshape(torch, key):
    """shape [] is a 0-d tensor (torch.randn(()) -- torch.randn() would be an error)."""
    spec = CATALOG[key]
    p = validate_params(spec, {"shape": []})
    for lib in (engine, torch):
        t = spec.call(lib, [], p)
        assert tuple(t.shape) == ()
        assert tuple(eval(spec.code([], p), {"torch": torch}).shape) == ()
        r = CATALOG["reshape"]
        rp = validate_params(r, {"shape": []})
        assert tuple(r.call(lib, [t], rp).shape) == ()
        assert r.code(["x"], rp) == "x.reshape(())"
