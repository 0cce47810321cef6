"""Shared plumbing for op definitions: operand conversion, torch's type promotion, recording.

An op module defines, side by side, the forward function and its ``XxxBackward0`` node class
(the derivative formula, written once against the backend ``F``; see autograd/backends.py).
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.grad_mode import _enabled

_make = Tensor._make
grad_enabled = _enabled  # ops read grad_enabled[0] on their hot path


def wrap(data, requires_grad=False, grad_fn=None) -> Tensor:
    return _make(data, requires_grad, grad_fn)


def attach(out: Tensor, node) -> Tensor:
    out._requires_grad = True
    out.grad_fn = node
    return out


def scalar_dtype(x) -> _dtype.dtype:
    if isinstance(x, bool):
        return _dtype.bool
    if isinstance(x, numbers.Integral):
        return _dtype.int64
    return _dtype.get_default_dtype()


def _cat(d) -> int:
    return _dtype.category(d)


def result_dtype(*operands) -> _dtype.dtype:
    """torch.result_type over Tensors and Python scalars: dimensioned tensors first, then
    zero-dim tensors, then scalars, each only when of a higher category (bool<int<float)."""
    dim_t = zero_t = scal = None
    for o in operands:
        if isinstance(o, Tensor):
            d = o.dtype
            if o._data.ndim:
                dim_t = d if dim_t is None else _dtype.promote_types(dim_t, d)
            else:
                zero_t = d if zero_t is None else _dtype.promote_types(zero_t, d)
        elif o is not None:
            d = scalar_dtype(o)
            if scal is None or _cat(d) > _cat(scal):
                scal = d
    res = dim_t
    for nxt in (zero_t, scal):
        if nxt is None:
            continue
        if res is None:
            res = nxt
        elif _cat(nxt) > _cat(res):
            res = nxt
    return res


def to_scalar(x):
    """numpy scalars become Python numbers (torch treats them as wrapped numbers)."""
    if isinstance(x, np.generic):
        return x.item()
    return x


def operand(x):
    """A Tensor stays; a Python number stays a number; anything else becomes a Tensor."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (numbers.Number, np.generic)):
        return to_scalar(x)
    from .creation import tensor
    return tensor(x)


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# torch never warns about x / 0, inf - inf, 0 ** -1: ops compute with NumPy's floating-point
# warnings off. np.errstate costs ~1 us per use; NumPy 2's context variable costs ~0.2 us.
try:
    from numpy._core import umath as _umath
    _ERR_VAR = _umath._extobj_contextvar
    _QUIET = _umath._make_extobj(all="ignore")
except (ImportError, AttributeError):  # pragma: no cover - other NumPy versions
    _ERR_VAR = None


def quiet(fn, *args):
    """``fn(*args)`` with NumPy's floating-point warnings silenced."""
    if _ERR_VAR is None:  # pragma: no cover
        with np.errstate(all="ignore"):
            return fn(*args)
    token = _ERR_VAR.set(_QUIET)
    try:
        return fn(*args)
    finally:
        _ERR_VAR.reset(token)


def check_int(x) -> None:
    """torch converts Python ints through int64: anything wider is an OverflowError."""
    if type(x) is int and not INT64_MIN <= x <= INT64_MAX:
        raise OverflowError("int too big to convert")


def scalar_as(x, npd):
    """A Python scalar as a 0-d array of ``npd``; ints wrap around like torch's casts."""
    if npd.kind in "iu" and type(x) is int:
        return np.array(x, dtype=np.int64).astype(npd)
    return np.asarray(x, npd)


def broadcast_error(sa, sb) -> RuntimeError:
    """torch's infer_size message for two shapes that do not broadcast."""
    n = max(len(sa), len(sb))
    for i in range(n - 1, -1, -1):
        off = n - 1 - i
        a = sa[len(sa) - 1 - off] if len(sa) - 1 - off >= 0 else 1
        b = sb[len(sb) - 1 - off] if len(sb) - 1 - off >= 0 else 1
        if a != b and a != 1 and b != 1:
            return RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                                f"({b}) at non-singleton dimension {i}")
    return RuntimeError(f"shapes {tuple(sa)} and {tuple(sb)} do not broadcast")


def broadcast_error_n(*shapes) -> RuntimeError:
    """torch's infer_size message for several shapes, broadcast left to right."""
    acc = tuple(shapes[0])
    for s in shapes[1:]:
        try:
            acc = np.broadcast_shapes(acc, tuple(s))
        except ValueError:
            return broadcast_error(acc, tuple(s))
    return broadcast_error(tuple(shapes[0]), tuple(shapes[-1]))


def binary_data(a, b):
    """ndarrays/scalars for ``a`` and ``b`` cast to torch's result dtype."""
    if isinstance(a, Tensor):
        xa = a._data
        if isinstance(b, Tensor):
            xb = b._data
            if xa.dtype is xb.dtype or xa.dtype == xb.dtype:
                return xa, xb
        else:
            xb = b
            if xa.dtype.kind == "f":
                return xa, xb  # NumPy 2 keeps float32 with a Python scalar, like torch
    else:
        xa = a
        xb = b._data
        if xb.dtype.kind == "f":
            return xa, xb
    dt = result_dtype(a, b).np
    xa = xa.astype(dt, copy=False) if isinstance(xa, np.ndarray) else scalar_as(xa, dt)
    xb = xb.astype(dt, copy=False) if isinstance(xb, np.ndarray) else scalar_as(xb, dt)
    return xa, xb


def as_array(x):
    return np.asarray(x)


def float_input(x: Tensor, name: str):
    """Ops like exp/log on integer tensors compute in the default float dtype, as torch."""
    d = x._data
    if d.dtype.kind in "iub":
        return d.astype(_dtype.get_default_dtype().np)
    return d


def normalize_dims(dim, ndim: int):
    """dim (int, tuple, list or None) -> tuple of non-negative axes, torch's range errors."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    for d in dims:
        if not lo <= d <= hi:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})")
        out.append(d % ndim if ndim else 0)
    return tuple(out)
