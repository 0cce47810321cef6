"""softmax and log_softmax (forward, derivative nodes and the dtype/dim checks they share);
split out of nn_ops.py, which re-exports them. cross_entropy in losses.py builds on them.
"""
from __future__ import annotations

import numpy as np

from ..autograd.graph import Node
from ._util import attach, grad_enabled, normalize_dims, quiet, wrap
from .reduction import _dtype_title
from .shape import _to_dtype


# -- softmax / log_softmax ----------------------------------------------------------------------
class SoftmaxBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, F, g):
        y = self.result(F)
        return (y * (g - F.sum(g * y, self.dim, True)),)


class LogSoftmaxBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, F, g):
        y = self.result(F)
        return (g - F.exp(y) * F.sum(g, self.dim, True),)


def _softmax_input(input, name, dtype, d):
    if dtype is not None:  # torch casts first: a ToCopyBackward0 under the softmax node
        input = _to_dtype(input, dtype)
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"\"{name}_{'lastdim_' if d >= x.ndim - 1 else ''}kernel_impl\" not implemented "
            f"for '{_dtype_title(x.dtype)}'")
    return input, x


def _shifted(x, d):
    """x minus its max along d, the stable starting point of both softmaxes. As torch, an
    infinite max is not special-cased: inf - inf makes the whole slice nan."""
    if x.ndim == 0:
        return x - x
    return x - np.max(x, axis=d, keepdims=True)


def _softmax_np(x, d):
    e = np.exp(_shifted(x, d))
    return e / (e.sum(axis=d, keepdims=True) if x.ndim else e)


def _log_softmax_np(x, d):
    s = _shifted(x, d)
    return s - np.log(np.exp(s).sum(axis=d, keepdims=True) if x.ndim else np.exp(s))


def _softmax_family(input, dim, dtype, name, np_fn, node_cls):
    (d,) = normalize_dims(dim, input._data.ndim)  # torch checks the dim before the dtype
    input, x = _softmax_input(input, name, dtype, d)
    res = quiet(np_fn, x, d)
    if not res.flags.c_contiguous:  # torch's softmaxes return contiguous tensors
        res = np.ascontiguousarray(res)
    out = wrap(res)
    if grad_enabled[0] and input._requires_grad:
        node = node_cls((input,))
        node.dim = d if x.ndim else None
        node.save_result(out)
        attach(out, node)
    return out


def softmax(input, dim, dtype=None):
    return _softmax_family(input, dim, dtype, "softmax", _softmax_np, SoftmaxBackward0)


def log_softmax(input, dim, dtype=None):
    return _softmax_family(input, dim, dtype, "log_softmax", _log_softmax_np,
                           LogSoftmaxBackward0)
