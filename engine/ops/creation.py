"""Tensor creation: tensor, from_numpy, ones, zeros, full, eye, arange, linspace, rand, ..."""
from __future__ import annotations

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "eye",
           "arange", "linspace", "rand", "randn", "randint", "zeros_like", "ones_like",
           "full_like", "empty_like", "randn_like", "rand_like"]

import numbers

import numpy as np

from .. import _dtype
from .._random import default_generator
from .._tensor import ONLY_FLOAT_GRAD, Tensor

_make = Tensor._make


def _np_dtype(dtype, default=None):
    if dtype is None:
        return default
    if isinstance(dtype, _dtype.dtype):
        return dtype.np
    raise TypeError(f"expected a torch dtype, got {dtype!r}")


def _finish(data: np.ndarray, requires_grad: bool) -> Tensor:
    if requires_grad and data.dtype.kind != "f":
        raise RuntimeError(ONLY_FLOAT_GRAD)
    return _make(data, bool(requires_grad))


def _infer_dtype(data):
    """torch.tensor's inference: bools -> bool, ints -> int64, any float -> default dtype."""
    kinds = set()

    def walk(x):
        if isinstance(x, Tensor):
            kinds.add(x._data.dtype.kind)
        elif isinstance(x, (list, tuple)):
            for e in x:
                walk(e)
        elif isinstance(x, (bool, np.bool_)):
            kinds.add("b")
        elif isinstance(x, numbers.Integral):
            kinds.add("i")
        elif isinstance(x, numbers.Real):
            kinds.add("f")
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")

    walk(data)
    if "f" in kinds or not kinds:
        return _dtype.get_default_dtype().np
    if "i" in kinds or "u" in kinds:
        return np.int64
    return np.bool_


def _unwrap_nested(x):
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return [_unwrap_nested(e) for e in x]
    return x


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    if isinstance(data, Tensor):
        arr = data._data.copy()
        if dtype is not None:
            arr = arr.astype(dtype.np)
    elif isinstance(data, np.ndarray):
        arr = np.array(data, dtype=_np_dtype(dtype), copy=True)
        _dtype.from_numpy_dtype(arr.dtype)
    else:
        npd = _np_dtype(dtype) or _infer_dtype(data)
        try:
            arr = np.array(_unwrap_nested(data), dtype=npd)
        except ValueError as e:
            raise ValueError(f"expected sequence of equal length lists: {e}") from None
        if arr.dtype == object:
            raise TypeError("Could not infer dtype of object")
    return _finish(arr, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor) and (dtype is None or data.dtype is dtype):
        return data
    if isinstance(data, np.ndarray):
        return _make(data if dtype is None else data.astype(dtype.np, copy=False))
    return tensor(data, dtype=dtype)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return _make(ndarray)  # shares memory, as torch.from_numpy does


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(
                f"empty() received an invalid combination of arguments - got "
                f"({', '.join(type(x).__name__ for x in size)})")
        if s < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {s}: [{', '.join(map(str, size))}]")
    return tuple(int(s) for s in size)


def _default():
    return _dtype.get_default_dtype().np


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.zeros(_size(size), dtype=_np_dtype(dtype, _default())), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.ones(_size(size), dtype=_np_dtype(dtype, _default())), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        from ._util import scalar_dtype
        dtype = scalar_dtype(fill_value)
    return _finish(np.full(_size((size,)), fill_value, dtype=dtype.np), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _finish(np.eye(n, m, dtype=_np_dtype(dtype, _default())), requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        npd = _default() if is_float else np.int64
    else:
        npd = dtype.np
    n = int(np.ceil((end - start) / step))
    data = (start + step * np.arange(n, dtype=np.float64)).astype(npd) if npd != np.int64 else (
        np.arange(start, end, step, dtype=np.int64))
    return _finish(data, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return _finish(np.linspace(start, end, steps, dtype=np.float64).astype(
        _np_dtype(dtype, _default())), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    g = generator or default_generator
    return _finish(g.uniform(_size(size), 0.0, 1.0, _np_dtype(dtype, _default())), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    g = generator or default_generator
    return _finish(g.normal(_size(size), _np_dtype(dtype, _default())), requires_grad)


def randint(low, high=None, size=(), *, generator=None, dtype=None, requires_grad=False) -> Tensor:
    if high is None:
        low, high = 0, low
    g = generator or default_generator
    data = g.integers(low, high, tuple(size))
    if dtype is not None:
        data = data.astype(dtype.np)
    return _finish(data, requires_grad)


def _like(x: Tensor, dtype):
    return x._data.shape, (dtype.np if dtype is not None else x._data.dtype)


def zeros_like(input, *, dtype=None, requires_grad=False) -> Tensor:
    shape, npd = _like(input, dtype)
    return _finish(np.zeros(shape, npd), requires_grad)


def ones_like(input, *, dtype=None, requires_grad=False) -> Tensor:
    shape, npd = _like(input, dtype)
    return _finish(np.ones(shape, npd), requires_grad)


def full_like(input, fill_value, *, dtype=None, requires_grad=False) -> Tensor:
    shape, npd = _like(input, dtype)
    return _finish(np.full(shape, fill_value, npd), requires_grad)


def empty_like(input, *, dtype=None, requires_grad=False) -> Tensor:
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, requires_grad=False) -> Tensor:
    shape, npd = _like(input, dtype)
    return _finish(default_generator.normal(shape, npd), requires_grad)


def rand_like(input, *, dtype=None, requires_grad=False) -> Tensor:
    shape, npd = _like(input, dtype)
    return _finish(default_generator.uniform(shape, 0.0, 1.0, npd), requires_grad)
