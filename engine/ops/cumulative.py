"""Scans and flips: cumsum, cumprod, flip, with torch's grad_fns (CumsumBackward0,
CumprodBackward0, FlipBackward0) and torch's dtype rules (integer and bool scans give int64)."""
from __future__ import annotations

__all__ = ["cumsum", "cumprod", "flip"]

import numpy as np

from ..autograd.graph import Node
from ._util import attach, grad_enabled, normalize_dims, quiet, wrap


def _scan_dim(name, input, dim):
    if dim is None:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    (d,) = normalize_dims(int(dim), input._data.ndim)
    return d


def _scan_dtype(x, dtype):
    if dtype is not None:
        return dtype.np
    return np.int64 if x.dtype.kind in "iub" else x.dtype


class FlipBackward0(Node):
    __slots__ = ("dims",)
    saves = False

    def backward(self, F, g):
        return (F.flip(g, self.dims) if len(g.shape) else g,)


def flip(input, dims=None, *more):
    if isinstance(dims, int) and not more and not isinstance(dims, bool):
        raise TypeError("flip(): argument 'dims' (position 2) must be tuple of ints, not int")
    dims = tuple(dims) + more if not isinstance(dims, int) else (dims,) + more
    x = input._data
    axes = normalize_dims(dims, x.ndim)
    out = wrap(np.ascontiguousarray(np.flip(x, axes)) if x.ndim else x.copy())
    if grad_enabled[0] and input._requires_grad:
        node = FlipBackward0((input,))
        node.dims = axes
        attach(out, node)
    return out


def _method_flip(self, *dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return flip(self, tuple(dims))


class CumsumBackward0(Node):
    __slots__ = ("dim", "in_dtype")
    saves = False

    def backward(self, F, g):
        if not F.is_tensor and g.ndim == 0:
            return (g.astype(self.in_dtype, copy=False),)
        d = self.dim
        r = F.flip(F.cumsum(F.flip(g, (d,)), d), (d,)) if len(g.shape) else g
        return (F.to_dtype(r, self.in_dtype) if F.data(r).dtype != self.in_dtype else r,)


def cumsum(input, dim=None, *, dtype=None, out=None):
    x = input._data
    d = _scan_dim("cumsum", input, dim)
    npd = _scan_dtype(x, dtype)
    r = quiet(np.cumsum, x, d if x.ndim else None, npd).reshape(x.shape)
    res = wrap(np.asarray(r, npd))
    if grad_enabled[0] and input._requires_grad:
        node = CumsumBackward0((input,))
        node.dim, node.in_dtype = d, x.dtype
        attach(res, node)
    return res


class CumprodBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, F, g):
        (x,) = self.saved(F)
        y = self.result(F)
        xd = F.data(x)
        if not len(xd.shape):
            return (g,)
        d = self.dim
        if not (xd == 0).any():  # sum_{j >= i} g_j y_j / x_i
            return (F.flip(F.cumsum(F.flip(g * y, (d,)), d), (d,)) / x,)
        # zeros: the product of the others, position by position (exact, O(n^2) along d)
        gd = F.data(g)
        n = xd.shape[d]
        grad = np.zeros_like(xd)
        for i in range(n):
            xi = xd.copy()
            idx = (slice(None),) * d + (i,)
            xi[idx] = 1
            p = np.cumprod(xi, axis=d)
            contrib = (gd * p).take(range(i, n), axis=d).sum(axis=d)
            grad[idx] = contrib
        return (F.const(grad),)


def cumprod(input, dim=None, *, dtype=None, out=None):
    x = input._data
    d = _scan_dim("cumprod", input, dim)
    npd = _scan_dtype(x, dtype)
    r = quiet(np.cumprod, x, d if x.ndim else None, npd).reshape(x.shape)
    res = wrap(np.asarray(r, npd))
    if grad_enabled[0] and input._requires_grad:
        node = CumprodBackward0((input,))
        node.dim = d
        node.save(input)
        node.save_result(res)
        attach(res, node)
    return res


METHODS = {"cumsum": cumsum, "cumprod": cumprod, "flip": _method_flip}
