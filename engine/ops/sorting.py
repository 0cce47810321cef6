"""sort, argsort, topk: torch's return_types, NaN ordering (NaN is the largest value) and
grad_fns (SortBackward0/1, TopkBackward0: the gradient goes back to the selected indices)."""
from __future__ import annotations

__all__ = ["sort", "argsort", "topk"]

import numpy as np

from ..autograd.graph import Node
from ._util import attach, grad_enabled, normalize_dims, wrap
from .reduction import _return_type

return_types = {n: _return_type(n) for n in ("sort", "topk")}


def _order(x, d, descending):
    """Stable sort indices of ``x`` along ``d``; NaN sorts as the largest value, as torch."""
    if x.ndim == 0:
        return np.zeros((), np.int64)
    if not descending:
        return np.argsort(x, axis=d, kind="stable")
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        key = np.where(nan, 0, -x.astype(np.float64))
        return np.lexsort((key, ~nan), axis=d)  # NaNs first, then decreasing values
    if x.dtype.kind == "b":
        return np.argsort(~x, axis=d, kind="stable")
    return np.argsort(-x.astype(np.float64) if x.dtype.kind == "u" else
                      -x.astype(np.int64, copy=False), axis=d, kind="stable")


class _SelectBackward(Node):
    """Values picked at ``indices`` along ``dim``: scatter the gradient back."""
    __slots__ = ("dim", "shown_dim", "shape", "indices")
    saves = False

    def backward(self, F, g):
        if not self.shape:
            return (g,)
        grad = np.zeros(self.shape, dtype=F.data(g).dtype)
        if F.is_tensor:
            from .indexing import index_put_zeros
            return (index_put_zeros(g, self.shape, self._index()),)
        np.put_along_axis(grad, self.indices, g, axis=self.dim)
        return (grad,)

    def _index(self):
        """The NumPy advanced index equivalent to put_along_axis at ``indices``."""
        idx = list(np.indices(self.indices.shape, sparse=True))
        idx[self.dim] = self.indices
        return tuple(idx)


class SortBackward0(_SelectBackward):
    __slots__ = ()


class SortBackward1(_SelectBackward):
    __slots__ = ()


class TopkBackward0(_SelectBackward):
    __slots__ = ()


def _record(values, input, cls, d, dim, idx):
    if grad_enabled[0] and input._requires_grad:
        node = cls((input,))
        node.dim, node.shown_dim, node.shape, node.indices = d, dim, input._data.shape, idx
        attach(values, node)
    return values


def sort(input, dim=-1, descending=False, stable=None):
    x = input._data
    (d,) = normalize_dims(dim, x.ndim)
    idx = _order(x, d, descending)
    vals = np.take_along_axis(x, idx, axis=d) if x.ndim else x.copy()
    cls = SortBackward0 if stable is None else SortBackward1
    values = _record(wrap(vals), input, cls, d, dim, idx)
    return return_types["sort"](values, wrap(idx.astype(np.int64, copy=False)))


def _method_sort(self, dim=-1, descending=False, stable=None):
    return sort(self, dim, descending, stable)


def argsort(input, dim=-1, descending=False, stable=False):
    x = input._data
    (d,) = normalize_dims(dim, x.ndim)
    return wrap(_order(x, d, descending).astype(np.int64, copy=False))


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - torch's name
    x = input._data
    if x.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    (d,) = normalize_dims(dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    idx = _order(x, d, largest)
    if x.ndim:
        idx = np.ascontiguousarray(np.take(idx, range(k), axis=d))
        vals = np.take_along_axis(x, idx, axis=d)
    else:  # torch: a 0-d input gives itself back, for k = 0 as for k = 1
        vals = x.copy()
    values = _record(wrap(vals), input, TopkBackward0, d, dim, idx)
    return return_types["topk"](values, wrap(idx.astype(np.int64, copy=False)))


METHODS = {"sort": _method_sort, "argsort": argsort, "topk": topk}
