"""Reductions: sum, mean, ... and their derivatives."""
from __future__ import annotations

__all__ = ["sum"]

import numpy as np

from ..autograd.graph import Node
from ._util import attach, grad_enabled, normalize_dims, wrap


class SumBackward0(Node):
    """sum over everything"""
    __slots__ = ("shape",)
    saves = False

    def backward(self, F, g):
        return (F.expand(g, self.shape),)


class SumBackward1(Node):
    """sum over dims"""
    __slots__ = ("shape", "dims", "keepdim")
    saves = False

    def backward(self, F, g):
        if not self.keepdim:
            for d in sorted(self.dims):
                g = F.unsqueeze(g, d)
        return (F.expand(g, self.shape),)


def _sum_dtype(x):
    # torch sums bool and integer tensors as int64
    return np.int64 if x.dtype.kind in "iub" else None


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001 - torch's name
    x = input._data
    npd = dtype.np if dtype is not None else _sum_dtype(x)
    if dim is None:
        out = wrap(np.asarray(x.sum(dtype=npd)))
        if grad_enabled[0] and input._requires_grad:
            node = SumBackward0((input,))
            node.shape = x.shape
            attach(out, node)
        return out
    dims = normalize_dims(dim, x.ndim)
    out = wrap(np.asarray(x.sum(axis=dims, keepdims=keepdim, dtype=npd)))
    if grad_enabled[0] and input._requires_grad:
        node = SumBackward1((input,))
        node.shape, node.dims, node.keepdim = x.shape, dims, keepdim
        attach(out, node)
    return out


METHODS = {"sum": sum}
