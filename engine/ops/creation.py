"""Tensor creation: tensor, from_numpy, ones, zeros, full, eye, arange, linspace, rand, ...

Follows torch 2.13's rules: ``torch.tensor`` infers bool < int64 < default float dtype (numpy
scalars and arrays keep their own dtype, promoted like torch), checks ragged input with torch's
messages; sizes are varargs, a tuple/list or a torch.Size; arange and linspace compute their
values as torch's CPU kernels do (double accumulation for float32, a fused multiply-add for
float64). Random values come from the engine's own generator (same seed, same values; they
differ from torch's by design).

The random factories live in random_ops.py and the argument checks all factories share in
_creation_util.py; this module re-exports them.
"""
from __future__ import annotations

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full",
           "eye", "arange", "linspace", "rand", "randn", "randint", "zeros_like", "ones_like",
           "full_like", "empty_like", "randn_like", "rand_like", "randint_like",
           "is_floating_point"]

import math
import numbers
import warnings

import numpy as np

from .. import _dtype
from .._device import check_device
from .._tensor import Tensor
from ._creation_util import (
    _check_dtype,
    _default,
    _finish,
    _int_like,
    _like,
    _size,
    _sizes_arg,
    _tname,
)
from .random_ops import (
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
)

_make = Tensor._make

COPY_CONSTRUCT_WARNING = (
    "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
    "or sourceTensor.detach().clone().requires_grad_(True), rather than "
    "torch.tensor(sourceTensor).")
LIST_OF_NDARRAYS_WARNING = (
    "Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider "
    "converting the list to a single numpy.ndarray with numpy.array() before converting to a "
    "tensor.")
NOT_WRITABLE_WARNING = (
    "The given NumPy array is not writable, and PyTorch does not support non-writable tensors. "
    "This means writing to this tensor will result in undefined behavior. You may want to copy "
    "the array to protect its data or make it writable before converting it to a tensor. This "
    "type of warning will be suppressed for the rest of this program.")
_warned_not_writable = [False]
NEGATIVE_STRIDES = (
    "At least one stride in the given numpy array is negative, and tensors with negative "
    "strides are not currently supported. (You can probably work around this by making a copy "
    "of your array  with array.copy().) ")


# -- torch.tensor ------------------------------------------------------------------------------
def _is_seq(x) -> bool:
    return isinstance(x, (list, tuple, range, np.ndarray, str))


def _sizes(data) -> list:
    """torch's compute_sizes: follow first elements while they are sequences."""
    sizes = []
    x = data
    while _is_seq(x):
        if isinstance(x, str) or len(sizes) > 32:
            raise ValueError(f"too many dimensions '{type(x).__name__}'")
        n = len(x)
        sizes.append(n)
        if n == 0:
            break
        x = x[0]
    return sizes


def _leaf_dtype(x):
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, (bool, np.bool_)):
        return _dtype.bool
    if isinstance(x, np.generic):
        return _dtype.from_numpy_dtype(x.dtype)
    if isinstance(x, numbers.Integral):
        return _dtype.int64
    if isinstance(x, float):
        return _dtype.get_default_dtype()
    if isinstance(x, str):
        raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
    if isinstance(x, complex):
        raise TypeError("complex numbers are not supported by this engine")
    raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")


class _Flat:
    __slots__ = ("leaves", "dtype", "warned")

    def __init__(self):
        self.leaves = []
        self.dtype = None
        self.warned = False

    def note(self, d) -> None:
        self.dtype = d if self.dtype is None else _dtype.promote_types(self.dtype, d)


_PLAIN = {bool: lambda: _dtype.bool, int: lambda: _dtype.int64,
          float: _dtype.get_default_dtype}


def _walk(x, dim: int, sizes: list, flat: _Flat, infer: bool) -> None:
    """Check lengths like torch's recursive_store and collect the leaves in order."""
    if dim == len(sizes):  # a scalar position
        if isinstance(x, Tensor):
            if x._data.size != 1:
                raise ValueError("only one element tensors can be converted to Python scalars")
            if infer:
                flat.note(x.dtype)
            flat.leaves.append(x._data.reshape(()).item())
            return
        if isinstance(x, (list, tuple, range)):
            d = flat.dtype if flat.dtype is not None else _dtype.int64
            raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer"
                            if not d.is_floating_point else
                            f"must be real number, not {type(x).__name__}")
        if infer:
            flat.note(_leaf_dtype(x))
        flat.leaves.append(x)
        return
    if isinstance(x, np.ndarray):
        if not flat.warned:
            warnings.warn(LIST_OF_NDARRAYS_WARNING, UserWarning, stacklevel=4)
            flat.warned = True
        want = tuple(sizes[dim:])
        if x.ndim == 0:
            raise TypeError("len() of unsized object")
        for d, (w, g) in enumerate(zip(want, x.shape)):
            if w != g:
                raise ValueError(f"expected sequence of length {w} at dim {dim + d} (got {g})")
        if x.shape != want:
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
        if infer:
            flat.note(_dtype.from_numpy_dtype(x.dtype))
        flat.leaves.extend(x.ravel().tolist())
        return
    if not isinstance(x, (list, tuple, range)):
        if infer:
            _leaf_dtype(x)  # torch infers the dtype first: None or str fail with that error
        raise TypeError("not a sequence")
    n = sizes[dim]
    if len(x) != n:
        raise ValueError(f"expected sequence of length {n} at dim {dim} (got {len(x)})")
    if n == 0 and infer:
        flat.note(_dtype.get_default_dtype())
    if dim == len(sizes) - 1:  # a row of scalars: plain Python numbers in bulk
        types = set(map(type, x))
        if types <= _PLAIN.keys():
            flat.leaves.extend(x)
            if infer:
                for t in types:
                    flat.note(_PLAIN[t]())
            return
    for e in x:
        _walk(e, dim + 1, sizes, flat, infer)


def _store(leaves: list, sizes: list, d) -> np.ndarray:
    """The leaves as an array of dtype ``d`` with torch's overflow checks for integer dtypes."""
    npd = d.np
    if d.is_floating_point or d is _dtype.bool:
        with np.errstate(over="ignore"):
            return np.array(leaves, dtype=npd).reshape(sizes)
    info = np.iinfo(npd)
    lo = -info.max if info.min == 0 else info.min  # torch lets negatives wrap into unsigned
    with np.errstate(all="ignore"):
        arr = np.array(leaves)
    if arr.dtype.kind in "bif":  # vectorised range check (the common case)
        if arr.dtype.kind != "b":
            bad = (arr < lo) | (arr > info.max)
            if arr.dtype.kind == "f":
                bad |= ~np.isfinite(arr)
            if bad.any():
                raise RuntimeError(f"value cannot be converted to type {d.name} without "
                                   "overflow")
            if arr.dtype.kind == "f":
                arr = np.trunc(arr).astype(np.int64)
        return arr.astype(npd).reshape(sizes)
    for v in leaves:
        if type(v) is int and not -(2**63) <= v < 2**63:
            raise ValueError("Overflow when unpacking long long")
        if not (isinstance(v, (bool, np.bool_)) or (
                (lo <= v <= info.max) if not isinstance(v, float) or math.isfinite(v)
                else False)):
            raise RuntimeError(f"value cannot be converted to type {d.name} without overflow")
    wide = np.array([int(v) for v in leaves], dtype=np.int64)
    return wide.astype(npd).reshape(sizes)


def _from_ndarray(a: np.ndarray, dtype, copy: bool) -> np.ndarray:
    if any(s < 0 for s in a.strides):
        raise ValueError(NEGATIVE_STRIDES)
    _dtype.from_numpy_dtype(a.dtype)
    if dtype is not None:
        return a.astype(dtype.np, copy=copy)
    if copy:
        return a.copy()
    if not a.flags.writeable and not _warned_not_writable[0]:  # memory shared: torch warns once
        _warned_not_writable[0] = True
        warnings.warn(NOT_WRITABLE_WARNING, UserWarning, stacklevel=3)
    return a


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    check_device(device)
    _check_dtype(dtype, "tensor")
    if isinstance(data, Tensor):
        warnings.warn(COPY_CONSTRUCT_WARNING, UserWarning, stacklevel=2)
        arr = data._data.astype(dtype.np) if dtype is not None else data._data.copy()
        return _finish(arr, requires_grad)
    if isinstance(data, np.ndarray):
        return _finish(_from_ndarray(data, dtype, True), requires_grad)
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if not isinstance(data, (list, tuple, range)):  # a scalar
        d = dtype or _leaf_dtype(data)
        return _finish(_store([data], [], d), requires_grad)
    sizes = _sizes(data)
    flat = _Flat()
    _walk(data, 0, sizes, flat, dtype is None)
    d = dtype or flat.dtype or _dtype.get_default_dtype()
    return _finish(_store(flat.leaves, sizes, d), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    check_device(device)
    """Shares memory with a Tensor or an ndarray when no conversion is needed (as torch)."""
    _check_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype is dtype else _make(data._data.astype(dtype.np))
    if isinstance(data, np.ndarray):
        return _make(_from_ndarray(data, dtype, False))
    return tensor(data, dtype=dtype)


asarray = as_tensor


def from_numpy(ndarray) -> Tensor:
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {_tname(ndarray)})")
    return _make(_from_ndarray(ndarray, None, False))  # shares memory, as torch.from_numpy


def is_floating_point(input) -> bool:
    return input._data.dtype.kind == "f"


# -- filled factories ----------------------------------------------------------------------------
def zeros(*size, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    check_device(device)
    shape = _sizes_arg(size, kw.pop("size", None), "zeros")
    _check_dtype(dtype, "zeros")
    return _finish(np.zeros(shape, dtype=dtype.np if dtype else _default()), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    check_device(device)
    shape = _sizes_arg(size, kw.pop("size", None), "ones")
    _check_dtype(dtype, "ones")
    return _finish(np.ones(shape, dtype=dtype.np if dtype else _default()), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    check_device(device)
    shape = _sizes_arg(size, kw.pop("size", None), "empty")
    _check_dtype(dtype, "empty")
    return _finish(np.zeros(shape, dtype=dtype.np if dtype else _default()), requires_grad)


_CTYPES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int",
           "int64": "int64_t"}


def _fill_scalar(fill_value, fname: str):
    if isinstance(fill_value, Tensor):
        return fill_value._data.reshape(()).item(), fill_value.dtype
    if isinstance(fill_value, (bool, np.bool_)) and not isinstance(fill_value, np.bool_):
        return fill_value, _dtype.bool
    if isinstance(fill_value, (numbers.Integral, np.integer)) and not isinstance(
            fill_value, np.bool_):
        return int(fill_value), _dtype.int64
    if isinstance(fill_value, (numbers.Real, np.floating, np.bool_)):
        return float(fill_value), _dtype.get_default_dtype()
    raise TypeError(f"{fname}(): argument 'fill_value' (position 2) must be Number, not "
                    f"{_tname(fill_value)}")


def _filled(shape, value, d) -> np.ndarray:
    if d.np.kind in "iu" and not isinstance(value, bool):
        info = np.iinfo(d.np)
        lo = -info.max if info.min == 0 else info.min
        if not (math.isfinite(value) and lo <= value <= info.max):
            raise RuntimeError(f"value cannot be converted to type {_CTYPES[d.name]} without "
                               "overflow")
        return np.full(shape, np.array(int(value), dtype=np.int64).astype(d.np), dtype=d.np)
    with np.errstate(over="ignore"):
        return np.full(shape, value, dtype=d.np)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{_tname(size)}")
    shape = _size((size,), "full")
    value, inferred = _fill_scalar(fill_value, "full")
    d = _check_dtype(dtype, "full") or inferred
    return _finish(_filled(shape, value, d), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device)
    for name, v, pos in (("n", n, 1), ("m", m, 2)):
        if v is not None and not _int_like(v):
            raise TypeError(f"eye(): argument '{name}' (position {pos}) must be int, not "
                            f"{_tname(v)}")
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    d = _check_dtype(dtype, "eye")
    return _finish(np.eye(int(n), None if m is None else int(m),
                          dtype=d.np if d else _default()), requires_grad)


# -- arange / linspace ---------------------------------------------------------------------------
def _num(x):
    """A Python number from a number, numpy scalar or one-element tensor."""
    if isinstance(x, Tensor):
        return x._data.reshape(()).item()
    if isinstance(x, np.generic):
        return x.item()
    return x


def _is_float_arg(x) -> bool:
    if isinstance(x, Tensor):
        return x._data.dtype.kind == "f"
    return isinstance(x, (float, np.floating))


def _fma(a, b: np.ndarray, c):
    """a * b + c with one rounding (torch's CPU kernels compile to FMA): TwoProduct."""
    p = a * b
    # Dekker/Veltkamp split gives the exact error of the product
    split = 134217729.0  # 2**27 + 1
    ah = a * split
    ah = ah - (ah - a)
    al = a - ah
    bh = b * split
    bh = bh - (bh - b)
    bl = b - bh
    err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return (p + c) + err


def _fmt(v) -> str:
    return format(v, "g") if isinstance(v, float) else str(v)


def arange(start=None, end=None, step=1, *, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    check_device(device)
    if end is None:
        start, end = 0, start
    elif start is None:
        start = 0
    floaty = any(_is_float_arg(v) for v in (start, end, step))
    start, end, step = _num(start), _num(end), _num(step)
    d = _check_dtype(dtype, "arange") or (
        _dtype.get_default_dtype() if floaty else _dtype.int64)
    if d is _dtype.bool:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    integral = not d.is_floating_point
    if integral:  # torch converts start/end/step to the (integer) accumulate type first
        xs, xe, xst = int(start), int(end), int(step)
        if xst == 0 and step != 0:
            raise ValueError("step must be nonzero")
    else:
        xs, xe, xst = float(start), float(end), float(step)
    if xst == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(xs) and math.isfinite(xe)):
        raise RuntimeError(f"unsupported range: {_fmt(xs)} -> {_fmt(xe)}")
    if not ((xst > 0 and xe >= xs) or (xst < 0 and xe <= xs)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if d is _dtype.int64:
        sgn = (xst > 0) - (xst < 0)
        q = xe - xs + xst - sgn
        n = abs(q) // abs(xst) * (1 if (q >= 0) == (xst > 0) else -1)  # C division
    else:
        n = math.ceil((float(end) - float(start)) / float(step))
    if not 0 <= n <= 2**63 - 1 or n > 2**40:
        raise RuntimeError("invalid size, possible overflow?")
    if integral:
        data = (xs + xst * np.arange(n, dtype=np.int64)).astype(d.np)
    elif d is _dtype.float64:
        data = _fma(xst, np.arange(n, dtype=np.float64), xs)
    else:
        data = _arange_float32(xs, xst, n).astype(d.np)
    return _finish(data, requires_grad)


def _arange_float32(start: float, step: float, n: int) -> np.ndarray:
    """torch's float32 arange kernel (AVX2 build): double accumulation; full blocks of two
    8-lane vectors start from a float32-rounded base, the tail is ``fma(step, i, start)``."""
    w = 8
    nv = (n // (2 * w)) * (2 * w)
    idx = np.arange(n, dtype=np.float64)
    out = _fma(step, idx, start)
    if nv:
        base = _fma(step, idx[:nv:w], start).astype(np.float32).astype(np.float64)
        lane = np.arange(w, dtype=np.float64)
        out[:nv] = (base[:, None] + lane[None, :] * step).reshape(-1)
    return out.astype(np.float32)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device)
    if not _int_like(steps):
        got = ", ".join(_tname(v) if not isinstance(v, Tensor) else "Tensor"
                        for v in (start, end, steps))
        raise TypeError(f"linspace() received an invalid combination of arguments - got ({got})")
    steps = int(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    d = _check_dtype(dtype, "linspace") or _dtype.get_default_dtype()
    s, e = float(_num(start)), float(_num(end))
    if steps == 1:  # torch fills the single value with start
        return _finish(np.full(1, _num(start), dtype=d.np), requires_grad)
    idx = np.arange(steps, dtype=np.float64)
    half = steps // 2
    if not d.is_floating_point:  # integers: a double step from integer end points, truncated
        s, e = float(int(s)), float(int(e))
        step = (e - s) / (steps - 1) if steps > 1 else 0.0
        vals = np.where(idx < half, s + step * idx, e - step * (steps - idx - 1))
        data = np.trunc(vals).astype(d.np)
    else:
        # torch: step in the dtype; first half start + step*i, second half end - step*(n-1-i)
        ft = d.np.type
        s, e = ft(s), ft(e)
        step = ft((e - s) / (steps - 1)) if steps > 1 else ft(0)
        if d is _dtype.float64:
            lo = _fma(step, idx, s)
            hi = _fma(-step, steps - idx - 1, e)
        else:
            lo = float(s) + float(step) * idx
            hi = float(e) - float(step) * (steps - idx - 1)
        data = np.where(idx < half, lo, hi).astype(d.np)
    return _finish(data, requires_grad)


# -- *_like ----------------------------------------------------------------------------------------

def zeros_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device)
    shape, d = _like("zeros_like", input, dtype)
    return _finish(np.zeros(shape, d.np), requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device)
    shape, d = _like("ones_like", input, dtype)
    return _finish(np.ones(shape, d.np), requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device)
    shape, d = _like("full_like", input, dtype)
    value, _ = _fill_scalar(fill_value, "full_like")
    if d.np.kind in "iu" and isinstance(value, float) and math.isfinite(value):
        value = int(value)  # torch truncates toward zero
    return _finish(_filled(shape, value, d), requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device)
    shape, d = _like("empty_like", input, dtype)
    return _finish(np.zeros(shape, d.np), requires_grad)


# -- Tensor.new_* (dtype defaults to self's, as torch) -------------------------------------------
def _new_dtype(self, dtype):
    return self.dtype if dtype is None else dtype


def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> Tensor:
    if isinstance(data, Tensor):
        warnings.warn(COPY_CONSTRUCT_WARNING.replace("torch.tensor(", "tensor.new_tensor("),
                      UserWarning, stacklevel=2)
        check_device(device)
        return _finish(data._data.astype(_new_dtype(self, dtype).np), requires_grad)
    return tensor(data, dtype=_new_dtype(self, dtype), device=device,
                  requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    return ones(*size, dtype=_new_dtype(self, dtype), device=device,
                requires_grad=requires_grad, **kw)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    return zeros(*size, dtype=_new_dtype(self, dtype), device=device,
                 requires_grad=requires_grad, **kw)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    return empty(*size, dtype=_new_dtype(self, dtype), device=device,
                 requires_grad=requires_grad, **kw)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{_tname(size)}")
    return full(size, fill_value, dtype=_new_dtype(self, dtype), device=device,
                requires_grad=requires_grad)


METHODS = {"new_tensor": new_tensor, "new_ones": new_ones, "new_zeros": new_zeros,
           "new_empty": new_empty, "new_full": new_full}
