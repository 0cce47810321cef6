"""The tensor API tutorials use (issue 11 part B), each case run on engine and torch: the same
repr (values, dtype, grad_fn), or the same exception type and text, and the same warnings."""
from __future__ import annotations

import io
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import engine

X = [[1.0, -2.0, 0.5], [3.0, 4.0, -1.0]]


def outcome(lib, f):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = ("ok", repr(f(lib)))
        except Exception as e:  # noqa: BLE001 - the exception is what is compared
            r = (type(e).__name__, str(e))
    return r, sorted(str(x.message) for x in w)


def x_(L, rg=True):
    return L.tensor(X, requires_grad=rg)


def F(L):
    return L.nn.functional


CASES = {
    # norms
    "norm": lambda L: x_(L).norm(),
    "norm_p1_dim": lambda L: L.norm(x_(L), p=1, dim=1),
    "norm_fro_keepdim": lambda L: L.norm(x_(L), p="fro", dim=1, keepdim=True),
    "norm_inf": lambda L: x_(L).norm(float("inf")),
    "norm_p3": lambda L: x_(L).norm(p=3),
    "norm_p05": lambda L: x_(L).norm(p=0.5, dim=0),
    "vector_norm_0": lambda L: L.linalg.vector_norm(x_(L), ord=0),
    "vector_norm_dtype": lambda L: L.linalg.vector_norm(x_(L), dtype=L.float64),
    "vector_norm_int": lambda L: L.linalg.vector_norm(L.tensor([1, 2])),
    "matrix_norm_fro": lambda L: L.linalg.matrix_norm(x_(L)),
    "matrix_norm_1": lambda L: L.linalg.matrix_norm(x_(L), ord=1),
    "matrix_norm_inf_keepdim": lambda L: L.linalg.matrix_norm(x_(L), ord=float("inf"),
                                                              keepdim=True),
    "linalg_norm": lambda L: L.linalg.norm(x_(L)),
    "linalg_norm_dim": lambda L: L.linalg.norm(x_(L), dim=1),
    # scans, sorting, comparisons
    "cumsum": lambda L: x_(L).cumsum(1),
    "cumsum_int": lambda L: L.cumsum(L.tensor([1, 2, 3]), 0),
    "cumsum_bool": lambda L: L.cumsum(L.tensor([True, True]), 0),
    "cumsum_dtype": lambda L: L.cumsum(x_(L), 0, dtype=L.float64),
    "cumsum_no_dim": lambda L: L.cumsum(x_(L)),
    "cumsum_bad_dim": lambda L: L.cumsum(x_(L), 2),
    "cumprod": lambda L: x_(L).cumprod(0),
    "flip": lambda L: L.flip(x_(L), [0, 1]),
    "flip_int_dims": lambda L: L.flip(x_(L), 0),
    "sort": lambda L: L.sort(x_(L)),
    "sort_desc_stable": lambda L: L.sort(x_(L), dim=0, descending=True, stable=True),
    "sort_nan": lambda L: L.sort(L.tensor([2.0, float("nan"), 1.0]), descending=True),
    "argsort": lambda L: L.argsort(x_(L), dim=0),
    "argsort_desc": lambda L: L.tensor([1, 1, 0]).argsort(descending=True),
    "topk": lambda L: L.topk(x_(L), 2),
    "topk_smallest": lambda L: x_(L).topk(2, dim=0, largest=False),
    "topk_k_too_big": lambda L: L.topk(x_(L), 5),
    "topk_bool": lambda L: L.topk(L.tensor([True]), 1),
    "argmax_axis": lambda L: x_(L).argmax(axis=1),
    "argmin": lambda L: L.argmin(x_(L)),
    "equal": lambda L: (L.equal(x_(L), x_(L, False)), L.equal(L.ones(2), L.ones(3))),
    "allclose": lambda L: L.allclose(L.ones(2), L.ones(2) + 1e-9),
    "allclose_nan": lambda L: L.allclose(L.tensor([float("nan")]), L.tensor([float("nan")]),
                                         equal_nan=True),
    "allclose_dtypes": lambda L: L.allclose(L.ones(2), L.ones(2, dtype=L.float64)),
    "allclose_not_tensor": lambda L: L.allclose(L.ones(2), 1.0),
    "isclose": lambda L: L.isclose(L.ones(2), L.tensor([1.0, float("nan")])),
    "isclose_rtol": lambda L: L.isclose(L.ones(1), L.ones(1), rtol=-1),
    "all_any": lambda L: (L.all(x_(L) > 0), L.any(x_(L) > 0, dim=1), x_(L).all()),
    # aliases and out=
    "sum_axis_keepdims": lambda L: L.sum(x_(L), axis=0, keepdims=True),
    "mean_axis": lambda L: x_(L).mean(axis=(0, 1)),
    "max_axis": lambda L: x_(L).max(axis=1),
    "std_axis": lambda L: x_(L).std(axis=0),
    "softmax_axis": lambda L: x_(L).softmax(axis=1),
    "cat_axis": lambda L: L.cat([x_(L), x_(L)], axis=0),
    "out_requires_grad": lambda L: L.add(x_(L), x_(L), out=L.empty(2, 3)),
    "out_matmul_requires_grad": lambda L: L.matmul(x_(L), x_(L).t(), out=L.empty(2, 2)),
    "out_add": lambda L: L.add(x_(L, False), 1, out=L.empty(2, 3)),
    "out_resized": lambda L: L.mul(x_(L, False), 2, out=L.empty(4)),
    "out_empty": lambda L: L.sub(x_(L, False), 2, out=L.empty(0)),
    "out_cast_error": lambda L: L.add(x_(L, False), 1, out=L.empty(2, 3, dtype=L.long)),
    "out_is_out": lambda L: (lambda o: L.exp(x_(L, False), out=o) is o)(L.empty(2, 3)),
    "out_under_no_grad": lambda L: _no_grad(L, lambda: L.mm(x_(L), x_(L).t(),
                                                            out=L.empty(2, 2))),
    "out_sum": lambda L: L.sum(x_(L, False), 0, out=L.empty(3)),
    # legacy constructors, Variable, new_*
    "Tensor_sizes": lambda L: L.Tensor(2, 3).shape,
    "Tensor_data": lambda L: L.Tensor([1, 2]),
    "Tensor_empty": lambda L: L.Tensor(),
    "Tensor_float": lambda L: L.Tensor(2.5),
    "Tensor_str": lambda L: L.Tensor("a"),
    "Tensor_ragged": lambda L: L.Tensor([[1, 2], [3]]),
    "FloatTensor": lambda L: L.FloatTensor([1, 2]),
    "LongTensor": lambda L: (L.LongTensor([1.7, 2]), L.LongTensor(2, 3).dtype),
    "IntTensor": lambda L: L.IntTensor([1.5]),
    "DoubleTensor": lambda L: (L.DoubleTensor(2).shape, L.DoubleTensor(2).dtype),
    "BoolTensor": lambda L: L.BoolTensor([1, 0]),
    "FloatTensor_of_long": lambda L: L.FloatTensor(L.ones(2, dtype=L.long)),
    "legacy_isinstance": lambda L: (isinstance(L.ones(2), L.FloatTensor),
                                    isinstance(L.ones(2, dtype=L.long), L.FloatTensor),
                                    isinstance(L.ones(2), L.LongTensor)),
    "legacy_class_repr": lambda L: (L.FloatTensor, type(L.FloatTensor([1])).__name__),
    "Variable": lambda L: L.autograd.Variable(L.ones(2), requires_grad=True),
    "Variable_type": lambda L: type(L.autograd.Variable(L.ones(2))).__name__,
    "Variable_volatile": lambda L: L.autograd.Variable(L.ones(2), volatile=True),
    "Variable_list": lambda L: L.autograd.Variable([1]),
    "Variable_isinstance": lambda L: isinstance(L.ones(1), L.autograd.Variable),
    "new_ones": lambda L: x_(L).new_ones(2),
    "new_zeros": lambda L: x_(L).new_zeros((2, 3)),
    "new_full": lambda L: x_(L).new_full((2,), 3),
    "new_full_int_size": lambda L: x_(L).new_full(2, 3),
    "new_tensor": lambda L: L.ones(2, dtype=L.long).new_tensor([1.5]),
    "new_tensor_of_tensor": lambda L: L.ones(2).new_tensor(L.ones(2)),
    "new_empty_shape": lambda L: x_(L).new_empty(2, 3, requires_grad=True).shape,
    "new_ones_dtype": lambda L: L.ones(2).new_ones(2, dtype=L.long),
    # devices
    "device": lambda L: (L.device("cpu"), L.device("cuda"), L.device("cuda:0"),
                         L.device("cpu", 0), str(L.device("cpu:0")), L.device("cpu").index),
    "device_eq": lambda L: (L.device("cpu") == L.device("cpu"), L.device("cpu") == "cpu"),
    "device_bad": lambda L: L.device("foo"),
    "device_bad_index": lambda L: L.device("cpu:x"),
    "device_int": lambda L: L.device(0),
    "tensor_device": lambda L: (L.ones(2).device, L.ones(2).is_cuda),
    "ones_cuda": lambda L: L.ones(2, device="cuda"),
    "tensor_cuda": lambda L: L.tensor([1.0], device=L.device("cuda")),
    "to_cuda": lambda L: L.ones(2).to("cuda"),
    "cuda_method": lambda L: L.ones(2).cuda(),
    "to_mps": lambda L: L.ones(2).to("mps"),
    "to_cpu": lambda L: (L.ones(2).to("cpu"), L.ones(2).cpu(), L.ones(2).to(L.device("cpu"))),
    "to_dtype": lambda L: (L.ones(2).to(L.float64), L.ones(2).to("cpu", L.long),
                           L.ones(2).to(L.ones(1, dtype=L.long)),
                           L.ones(2).to(device="cpu", dtype=L.long)),
    "cuda_available": lambda L: (L.cuda.is_available(), L.backends.mps.is_available(),
                                 L.cuda.device_count(), L.cuda.manual_seed(0)),
    "cuda_current_device": lambda L: L.cuda.current_device(),
    "default_device": lambda L: (L.set_default_device("cpu"), L.get_default_device()),
    "zeros_like_device": lambda L: L.zeros_like(L.ones(2), device="cpu"),
    # indexing with range and lists
    "index_range_list": lambda L: L.arange(12.0).reshape(3, 4)[range(3), [0, 1, 2]],
    "index_range_tensor": lambda L: L.arange(12.0).reshape(3, 4)[range(3), L.tensor([0, 1, 3])],
    "index_range": lambda L: L.arange(12.0).reshape(3, 4)[range(1, 3)],
    "index_range_grad": lambda L: x_(L)[range(2), [2, 0]],
    # random in-place ops (values differ by design: only grad_fns, dtypes, errors compared)
    "random_grad_fns": lambda L: [type(f(x_(L).clone()).grad_fn).__name__ for f in (
        lambda t: t.random_(0, 5), lambda t: t.bernoulli_(0.5), lambda t: t.exponential_(),
        lambda t: t.uniform_(), lambda t: t.normal_())],
    "random_dtypes": lambda L: (L.zeros(4).random_(10).dtype,
                                L.zeros(3, dtype=L.long).random_().dtype),
    "bernoulli_bad_p": lambda L: L.zeros(2).bernoulli_(1.5),
    "random_on_leaf": lambda L: x_(L).random_(),
    # fuzzer classes (issue 11): torch's errors and silences
    "requires_grad_false_non_leaf": lambda L: (x_(L) * 2).requires_grad_(False),
    "requires_grad_set_true_non_leaf": lambda L: setattr(x_(L) * 2, "requires_grad", True),
    "requires_grad_set_false_non_leaf": lambda L: setattr(x_(L) * 2, "requires_grad", False),
    "linear_0d_input": lambda L: F(L).linear(L.tensor(2.0), L.ones(2, 3)),
    "linear_0d_weight": lambda L: F(L).linear(L.ones(3), L.tensor(2.0)),
    "matmul_0d": lambda L: L.matmul(L.tensor(2.0), L.ones(2)),
    "gelu_long": lambda L: F(L).gelu(L.tensor([1, 2])),
    "gelu_bool": lambda L: F(L).gelu(L.tensor([True]), approximate="tanh"),
    "inplace_slice_of_leaf": lambda L: x_(L)[0:1].add_(1),
    "inplace_view_of_leaf": lambda L: x_(L).view(6).mul_(2),
    "inplace_select_of_leaf": lambda L: x_(L)[1].fill_(0),
    "inplace_t_of_leaf": lambda L: x_(L).t().zero_(),
    "amax_empty_dim": lambda L: L.ones(3, 0).amax(1),
    "amax_empty_all": lambda L: L.ones(0, 3).amax(),
    "amin_empty_dim": lambda L: L.ones(0, 3).amin(0),
    "max_empty_dim": lambda L: L.ones(3, 0).max(1),
    "cast_overflow_silent": lambda L: L.tensor([1e300], dtype=L.float64).float(),
    "cast_nan_to_int_silent": lambda L: L.tensor([float("nan")]).to(L.int64),
    "sin_inf_silent": lambda L: L.tensor([float("inf")]).sin(),
    "cos_inf_silent": lambda L: L.tensor([float("inf")]).cos(),
    "mul_inf_zero_silent": lambda L: L.tensor([float("inf")]) * 0,
    "add_overflow_silent": lambda L: L.tensor([3e38]) + 3e38,
    "sign_nan": lambda L: L.sign(L.tensor([float("nan"), float("inf"), -float("inf")])),
    "relu_grad_at_nan": lambda L: _grad(L, lambda t: t.relu()),
    "abs_grad_at_nan": lambda L: _grad(L, lambda t: t.abs()),
    "partial_overlap": lambda L: (lambda a: a[1:].add_(a[:-1]))(L.ones(4)),
    "full_overlap_ok": lambda L: (lambda a: a.add_(a))(L.ones(4)),
    "overlap_transposed": lambda L: (lambda a: a.view(2, 2).add_(a.view(2, 2).t()))(
        L.ones(4)),
    "overlap_copy": lambda L: (lambda a: a[1:].copy_(a[:-1]))(L.ones(4)),
    "expanded_write": lambda L: L.ones(1).expand(3).mul_(2),
    "expanded_copy": lambda L: L.ones(1).expand(3).copy_(L.ones(3)),
}


def _no_grad(L, f):
    with L.no_grad():
        return f()


def _grad(L, f):
    t = L.tensor([float("nan"), 1.0, -1.0, 0.0], requires_grad=True)
    f(t).sum().backward()
    return t.grad


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(torch, name):
    e = outcome(engine, CASES[name])
    t = outcome(torch, CASES[name])
    assert e == t


# -- without torch -------------------------------------------------------------------------
def test_legacy_constructor_rejects_requires_grad():
    with pytest.raises(TypeError, match=r"got \(list, requires_grad=bool\)"):
        engine.Tensor([1.0], requires_grad=True)


def test_norm_gradients_by_central_differences():
    from engine.autograd import gradcheck
    rng = np.random.default_rng(1)
    for p in (1, 2, 3, 0.5, 1.5, float("inf")):
        x = engine.tensor(rng.standard_normal((3, 4)) + 0.1, requires_grad=True)
        assert gradcheck(lambda t, p=p: engine.linalg.vector_norm(t, ord=p, dim=1), (x,))
    x = engine.tensor(rng.standard_normal((2, 5)), requires_grad=True)
    assert gradcheck(lambda t: t.cumprod(1), (x,))
    assert gradcheck(lambda t: t.cumsum(0), (x,))
    assert gradcheck(lambda t: t.topk(3)[0], (x,))
    assert gradcheck(lambda t: t.sort(dim=0)[0], (x,))


def test_cumprod_gradient_with_zeros():
    x = engine.tensor([[2.0, 0.0, 3.0, 0.0], [1.0, 2.0, 0.0, 4.0]], requires_grad=True)
    x.cumprod(1).sum().backward()
    # d/dx_i of sum_j prod_{k<=j} x_k, by hand for the first row: [1, 2+6, 0, 0]
    np.testing.assert_allclose(x.grad.numpy()[0], [1.0, 8.0, 0.0, 0.0])


@pytest.mark.parametrize("obj", [
    engine.arange(6.0).reshape(2, 3),
    {"w": engine.ones(2, requires_grad=True), 3: [engine.tensor([1, 2]), 1.5, None]},
    OrderedDict(weight=engine.zeros(1), bias=engine.tensor(True)),
    (engine.float64, engine.device("cpu"), float("nan"), "x"),
])
def test_save_load_round_trip(obj):
    buf = io.BytesIO()
    engine.save(obj, buf)
    buf.seek(0)
    back = engine.load(buf, weights_only=True)
    assert repr(back) == repr(obj)
    assert type(back) is type(obj)


def test_save_keeps_sharing_and_refuses_objects(tmp_path):
    a = engine.ones(3)
    path = tmp_path / "t.pt"
    engine.save({"a": a, "b": a}, path)
    back = engine.load(path)
    assert back["a"] is back["b"]
    with pytest.raises(TypeError, match="does not pickle arbitrary objects"):
        engine.save({"f": print}, tmp_path / "bad.pt")


def test_load_never_unpickles(tmp_path):
    import pickle
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(RuntimeError, match="not a file written by engine.save"):
        engine.load(path)
