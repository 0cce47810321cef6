"""The two backends a derivative formula computes with.

Each formula is written once, against ``F``: ``NP`` computes on ndarrays (plain backward, no
graph recorded, fastest), ``TF`` computes with engine ops on Tensors so that
``create_graph=True`` records the backward pass itself (second-order gradients). Arithmetic
operators (+ - * / ** @, unary -) work on both directly; everything else goes through ``F``.
Both classes must offer the same functions with the same meaning.
"""
from __future__ import annotations

import numpy as np


def _sum_to_shape(x: np.ndarray, shape: tuple) -> np.ndarray:
    """Undo broadcasting: sum ``x`` down to ``shape`` (DeZero's sum_to)."""
    xs = x.shape
    if xs == shape:
        return x
    lead = len(xs) - len(shape)
    inner = tuple([i + lead for i, s in enumerate(shape) if s == 1 and xs[i + lead] != 1])
    if lead and not inner and shape:  # bias-like: one sum over the leading dims, no reshape
        return x.sum(axis=tuple(range(lead)))
    axes = tuple(range(lead)) + inner
    y = x.sum(axis=axes, keepdims=True) if axes else x
    return y.reshape(shape)


class NP:
    """ndarray backend (staticmethods only; used as a namespace)."""

    is_tensor = False

    sum_to = staticmethod(_sum_to_shape)

    @staticmethod
    def expand(x, shape):
        return np.broadcast_to(x, shape)

    # ndarray methods rather than np.reshape & co: those add a Python-level wrapper (~1 us)
    @staticmethod
    def reshape(x, shape):
        return x.reshape(shape)

    @staticmethod
    def sum(x, dim=None, keepdim=False):
        return np.sum(x, axis=dim, keepdims=keepdim)

    @staticmethod
    def mT(x):  # noqa: N802 - torch's name
        return x.swapaxes(-1, -2)

    @staticmethod
    def permute(x, dims):
        return x.transpose(dims)

    @staticmethod
    def unsqueeze(x, dim):
        return np.expand_dims(x, dim)

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    sign = staticmethod(np.sign)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    tanh = staticmethod(np.tanh)
    abs = staticmethod(np.abs)

    @staticmethod
    def sigmoid(x):
        with np.errstate(over="ignore"):  # exp overflow is the correct limit 0
            return 1.0 / (1.0 + np.exp(-x))

    @staticmethod
    def where(cond, a, b):
        return np.where(cond, a, b)

    @staticmethod
    def zeros_like(x):
        return np.zeros_like(x)

    @staticmethod
    def const(arr):
        """A constant (mask, index, shape-derived array) used inside a formula."""
        return arr

    @staticmethod
    def data(x):
        """The ndarray behind a value (for masks that are never differentiated)."""
        return x

    @staticmethod
    def index_backward(grad, shape, index):
        """Gradient of ``x[index]``: zeros of ``shape`` with ``grad`` added at ``index``."""
        out = np.zeros(shape, dtype=grad.dtype)
        np.add.at(out, index, grad)
        return out

    @staticmethod
    def cat(xs, dim):
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def split(x, sizes, dim):
        return np.split(x, np.cumsum(sizes)[:-1], axis=dim)

    @staticmethod
    def erf(x):
        from ..ops.pointwise import _np_erf
        return _np_erf(x)

    @staticmethod
    def clamp_min(x, value):
        return np.maximum(x, value)

    @staticmethod
    def to_dtype(x, np_dtype):
        """``x`` cast to a NumPy dtype (ToCopyBackward0's gradient)."""
        return x.astype(np_dtype, copy=False)

    @staticmethod
    def flip(x, dims):
        return np.flip(x, dims)

    @staticmethod
    def cumsum(x, dim):
        return np.cumsum(x, axis=dim)

    @staticmethod
    def slice_backward(grad, shape, index):
        """Gradient of a basic (view) index: zeros of ``shape`` with ``grad`` at ``index``."""
        out = np.zeros(shape, dtype=grad.dtype)
        out[index] = grad
        return out


class TF:
    """Tensor backend: the same functions, recorded by the engine's ops."""

    is_tensor = True

    @staticmethod
    def sum_to(x, shape):
        if tuple(x.shape) == tuple(shape):
            return x
        return x.sum_to_size(shape)

    @staticmethod
    def expand(x, shape):
        return x.expand(shape)

    @staticmethod
    def reshape(x, shape):
        return x.reshape(shape)

    @staticmethod
    def sum(x, dim=None, keepdim=False):
        return x.sum() if dim is None and not keepdim else x.sum(dim if dim is not None else
                                                                  tuple(range(x.dim())), keepdim)

    @staticmethod
    def mT(x):  # noqa: N802
        return x.transpose(-1, -2)

    @staticmethod
    def permute(x, dims):
        return x.permute(*dims)

    @staticmethod
    def unsqueeze(x, dim):
        return x.unsqueeze(dim)

    @staticmethod
    def exp(x):
        return x.exp()

    @staticmethod
    def log(x):
        return x.log()

    @staticmethod
    def sqrt(x):
        return x.sqrt()

    @staticmethod
    def sign(x):
        return x.sign()

    @staticmethod
    def sin(x):
        return x.sin()

    @staticmethod
    def cos(x):
        return x.cos()

    @staticmethod
    def tanh(x):
        return x.tanh()

    @staticmethod
    def abs(x):
        return x.abs()

    @staticmethod
    def sigmoid(x):
        return x.sigmoid()

    @staticmethod
    def where(cond, a, b):
        from .. import where
        return where(TF.const(cond), a, b)

    @staticmethod
    def zeros_like(x):
        from .. import zeros_like
        return zeros_like(x)

    @staticmethod
    def const(arr):
        from .._tensor import Tensor
        return arr if isinstance(arr, Tensor) else Tensor._make(np.asarray(arr))

    @staticmethod
    def data(x):
        return x._data if hasattr(x, "_data") else x

    @staticmethod
    def index_backward(grad, shape, index):
        from ..ops.indexing import index_put_zeros
        return index_put_zeros(grad, shape, index)

    @staticmethod
    def cat(xs, dim):
        from .. import cat
        return cat(xs, dim)

    @staticmethod
    def split(x, sizes, dim):
        return list(x.split(list(sizes), dim))

    @staticmethod
    def to_dtype(x, np_dtype):
        from .._dtype import from_numpy_dtype
        return x.to(from_numpy_dtype(np_dtype))

    @staticmethod
    def flip(x, dims):
        from ..ops.cumulative import flip
        return flip(x, tuple(dims))

    @staticmethod
    def cumsum(x, dim):
        from ..ops.cumulative import cumsum
        return cumsum(x, dim)

    @staticmethod
    def slice_backward(grad, shape, index):
        from ..ops.indexing import index_put_zeros
        return index_put_zeros(grad, shape, index)

    @staticmethod
    def erf(x):
        return x.erf()

    @staticmethod
    def clamp_min(x, value):
        return x.clamp_min(value)
