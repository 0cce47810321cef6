"""Whole-tensor comparisons: equal, allclose, isclose (never recorded: results are bool)."""
from __future__ import annotations

__all__ = ["equal", "allclose", "isclose", "all", "any"]

import numpy as np

from .._tensor import Tensor
from ._util import broadcast_error, wrap

_DT = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
       "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _check_tensor(name, other):
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")


def equal(input, other) -> bool:
    _check_tensor("equal", other)
    a, b = input._data, other._data
    return a.shape == b.shape and bool(np.array_equal(a, b))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    _check_tensor("isclose", other)
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"{_DT[a.dtype.name]} did not match {_DT[b.dtype.name]}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None
    if a.dtype.kind == "b":
        return wrap(np.broadcast_to(a == b, shape).copy())
    with np.errstate(all="ignore"):
        r = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return wrap(np.asarray(r))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    _check_tensor("allclose", other)
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def _logical_reduce(np_fn, input, dim, keepdim):
    from ._util import normalize_dims
    x = input._data
    if dim is None:
        r = np_fn(x)
        return wrap(np.asarray(r).reshape((1,) * x.ndim) if keepdim else np.asarray(r))
    dims = normalize_dims(dim, x.ndim)
    return wrap(np.asarray(np_fn(x, axis=dims if x.ndim else None, keepdims=keepdim)))


def all(input, dim=None, keepdim=False):  # noqa: A001 - torch's name
    return _logical_reduce(np.all, input, dim, keepdim)


def any(input, dim=None, keepdim=False):  # noqa: A001 - torch's name
    return _logical_reduce(np.any, input, dim, keepdim)


METHODS = {"equal": equal, "isclose": isclose, "allclose": allclose, "all": all, "any": any}
