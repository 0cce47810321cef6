"""Argument checks every tensor factory shares (dtype, sizes, requires_grad on a new leaf,
the *_like input), so creation.py (data and filled factories) and random_ops.py can both use
them without importing each other.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._tensor import ONLY_FLOAT_GRAD, Tensor

_make = Tensor._make


def _tname(x) -> str:
    t = type(x)
    return f"numpy.{t.__name__}" if t.__module__ == "numpy" else t.__name__


def _check_dtype(dtype, fname: str):
    if dtype is not None and not isinstance(dtype, _dtype.dtype):
        raise TypeError(
            f"{fname}(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")
    return dtype


def _finish(data: np.ndarray, requires_grad: bool) -> Tensor:
    if requires_grad and data.dtype.kind != "f":
        raise RuntimeError(ONLY_FLOAT_GRAD)
    return _make(data, bool(requires_grad))


def _default():
    return _dtype.get_default_dtype().np

# -- sizes -----------------------------------------------------------------------------------------
def _int_like(x) -> bool:
    if isinstance(x, Tensor):
        return x._data.ndim == 0 and x._data.dtype.kind in "iu"
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _size(size: tuple, fname: str) -> tuple:
    """Sizes as torch's parser takes them: varargs ints, or one tuple/list/torch.Size."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    elif len(size) > 1 and isinstance(size[0], (tuple, list)):
        raise TypeError(f"{fname}() takes 1 positional argument but {len(size)} were given")
    elif len(size) == 1 and not _int_like(size[0]):
        raise TypeError(f"{fname}(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{_tname(size[0])}")
    out = []
    for i, s in enumerate(size):
        if isinstance(s, (bool, np.bool_)) and len(size) > 1:
            s = int(s)  # torch reads a bool inside a size list as 0/1
        if not _int_like(s):
            raise TypeError(f"{fname}(): argument 'size' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got "
                            f"{_tname(s)}\"")
        s = int(s)
        if not -(2**63) <= s < 2**63:
            raise TypeError(f"{fname}(): argument 'size' failed to unpack the object at pos "
                            f"{i + 1} with error \"Overflow when unpacking long long\"")
        out.append(s)
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"[{', '.join(map(str, out))}]")
    return tuple(out)


def _sizes_arg(size, kw, fname):
    if kw is not None:
        if size:
            raise TypeError(f"{fname}() got multiple values for argument 'size'")
        size = (kw,)
    elif not size:
        raise TypeError(f'{fname}() missing 1 required positional arguments: "size"')
    return _size(size, fname)

def _float_only(d, kernel: str):
    if not d.is_floating_point:
        raise NotImplementedError(
            f'"{kernel}" not implemented for \'{_dtype.SCALAR_NAMES[d]}\'')

def _like(fname: str, x, dtype):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument 'input' (position 1) must be Tensor, not "
                        f"{_tname(x)}")
    d = _check_dtype(dtype, fname)
    return x._data.shape, (d or x.dtype)
