"""layer_norm, batch_norm and embedding as torch's fused kernels (one node each:
NativeLayerNormBackward0, NativeBatchNormBackward0, EmbeddingBackward0)."""
from __future__ import annotations

import numpy as np

from ..autograd import backends
from ..autograd.graph import Node
from ._util import attach, grad_enabled, wrap

__all__ = ["layer_norm", "batch_norm", "embedding"]


def _numpy_only(F, node) -> None:
    if F is not backends.NP:
        raise NotImplementedError(
            f"double backward (create_graph=True) through {node.name()} is not supported by "
            "this engine")


class NativeLayerNormBackward0(Node):
    __slots__ = ("axes", "xhat", "rstd", "has_w")

    def backward(self, F, g):
        _numpy_only(F, self)
        (w,) = self.saved(F)
        xhat, rstd, axes = self.xhat, self.rstd, self.axes
        batch_axes = tuple(range(g.ndim - len(axes)))
        gxhat = g * w if w is not None else g
        gx = rstd * (gxhat - gxhat.mean(axis=axes, keepdims=True)
                     - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True))
        gw = (g * xhat).sum(axis=batch_axes) if self.needs(1) else None
        gb = g.sum(axis=batch_axes) if len(self.next_functions) > 2 and self.needs(2) else None
        return (gx.astype(g.dtype) if self.needs(0) else None, gw, gb)[:len(self.next_functions)]


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    x = input._data
    k = len(normalized_shape)
    if x.shape[x.ndim - k:] != normalized_shape or x.ndim < k:
        raise RuntimeError(
            f"Given normalized_shape=[{', '.join(map(str, normalized_shape))}], expected input "
            f"with shape [*, {', '.join(map(str, normalized_shape))}], but got input of size"
            f"[{', '.join(map(str, x.shape))}]")
    axes = tuple(range(x.ndim - k, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * rstd
    y = xhat
    if weight is not None:
        y = y * weight._data
    if bias is not None:
        y = y + bias._data
    out = wrap(y.astype(x.dtype, copy=False))
    tensors = [t for t in (input, weight, bias) if t is not None]
    if grad_enabled[0] and any(t._requires_grad for t in tensors):
        node = NativeLayerNormBackward0((input, weight, bias))
        node.axes, node.xhat, node.rstd = axes, xhat, rstd
        node.save(weight)
        attach(out, node)
    return out


class NativeBatchNormBackward0(Node):
    __slots__ = ("axes", "xhat", "rstd", "training")

    def backward(self, F, g):
        _numpy_only(F, self)
        (w,) = self.saved(F)
        xhat, rstd, axes = self.xhat, self.rstd, self.axes
        gxhat = g * w.reshape(self.rstd.shape) if w is not None else g
        if self.training:
            gx = rstd * (gxhat - gxhat.mean(axis=axes, keepdims=True)
                         - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True))
        else:
            gx = gxhat * rstd
        gw = (g * xhat).sum(axis=axes) if self.needs(1) else None
        gb = g.sum(axis=axes) if self.needs(2) else None
        return (gx.astype(g.dtype) if self.needs(0) else None, gw, gb)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    x = input._data
    if x.ndim < 2:
        raise ValueError(f"Expected 2D or 3D input (got {x.ndim}D input)")
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        n = x.size // x.shape[1]
        if n <= 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got input size "
                f"torch.Size([{', '.join(map(str, x.shape))}])")
        mu = x.mean(axis=axes, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
        if running_mean is not None:  # in place, as torch updates its buffers
            running_mean._data[...] = ((1 - momentum) * running_mean._data
                                       + momentum * mu.reshape(-1))
        if running_var is not None:
            running_var._data[...] = ((1 - momentum) * running_var._data
                                      + momentum * var.reshape(-1) * n / (n - 1))
    else:
        mu = running_mean._data.reshape(shape)
        var = running_var._data.reshape(shape)
    rstd = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * rstd
    y = xhat
    if weight is not None:
        y = y * weight._data.reshape(shape)
    if bias is not None:
        y = y + bias._data.reshape(shape)
    out = wrap(y.astype(x.dtype, copy=False))
    tensors = [t for t in (input, weight, bias) if t is not None]
    if grad_enabled[0] and any(t._requires_grad for t in tensors):
        node = NativeBatchNormBackward0((input, weight, bias))
        node.axes, node.xhat, node.rstd, node.training = axes, xhat, rstd, training
        node.save(weight)
        attach(out, node)
    return out


class EmbeddingBackward0(Node):
    __slots__ = ("indices", "num_weights", "padding_idx")

    def backward(self, F, g):
        _numpy_only(F, self)
        idx = self.indices.reshape(-1)
        gw = np.zeros((self.num_weights, g.shape[-1]), dtype=g.dtype)
        np.add.at(gw, idx, g.reshape(-1, g.shape[-1]))
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return (gw,)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError(
            "embedding(max_norm=, scale_grad_by_freq=, sparse=) is not supported by this engine")
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.type()} instead (while checking arguments for "
            "embedding)")
    w = weight._data
    if idx.size and (idx.min() < -w.shape[0] or idx.max() >= w.shape[0]):
        raise IndexError("index out of range in self")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += w.shape[0]
    out = wrap(w[idx])
    if grad_enabled[0] and weight._requires_grad:
        node = EmbeddingBackward0((weight,))
        node.indices, node.num_weights, node.padding_idx = idx, w.shape[0], padding_idx
        attach(out, node)
    return out
