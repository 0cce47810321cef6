"""Activations and losses torch.nn uses beyond nn_ops: elu, softplus, silu, huber and
smooth-L1 losses, l1_loss (torch's decomposition), dropout (torch's mul by a scaled mask)."""
from __future__ import annotations

import numpy as np

from ..autograd.graph import Node
from ._util import attach, grad_enabled, wrap
from .nn_ops import (
    LeakyReluBackward0,
    _check_reduction,
    _grad_scale,
    _legacy_reduction,
    _numel,
    _reduce,
)
from .reduction import _dtype_title

__all__ = ["elu", "softplus", "silu", "huber_loss", "smooth_l1_loss", "l1_loss", "dropout"]


def apply_inplace(fn, input, *args, node_cls=None, **kwargs):
    """``fn`` applied in place, as torch's ``relu_``/``elu_``: the result is written into
    ``input``, which keeps its identity and takes the new grad_fn (its old history becomes the
    node's input). A leaf that requires grad raises torch's error."""
    from .._tensor import Tensor
    src = input._snapshot() if input._records_inplace() else Tensor._make(input._data)
    out = fn(src, *args, **kwargs)
    if node_cls is not None and out.grad_fn is not None:
        out.grad_fn.__class__ = node_cls  # torch's in-place variant: same formula, own name
    return input._rebase(out)


def _float_input(input, kernel):
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype_title(x.dtype)}'")
    return x


def _record(out, input, node_cls, **attrs):
    if grad_enabled[0] and input._requires_grad:
        node = node_cls((input,))
        for k, v in attrs.items():
            setattr(node, k, v)
        node.save(input)
        attach(out, node)
    return out


class LeakyReluBackward1(LeakyReluBackward0):
    """leaky_relu_ (in place): torch's name for the node."""

    __slots__ = ()


class EluBackward0(Node):
    __slots__ = ("alpha",)

    def backward(self, F, g):
        (x,) = self.saved(F)
        return (F.where(F.data(x) > 0, g, g * (F.exp(x) * self.alpha)),)


class EluBackward1(EluBackward0):
    """elu_ (in place): torch's name for the node."""

    __slots__ = ()


def elu(input, alpha=1.0, inplace=False):
    if inplace:
        return apply_inplace(elu, input, alpha, node_cls=EluBackward1)
    x = _float_input(input, "elu_cpu")
    with np.errstate(over="ignore"):
        out = wrap(np.where(x > 0, x, (np.expm1(x) * alpha).astype(x.dtype)))
    return _record(out, input, EluBackward0, alpha=alpha)


class SoftplusBackward0(Node):
    __slots__ = ("beta", "threshold")

    def backward(self, F, g):
        (x,) = self.saved(F)
        return (F.where(F.data(x) * self.beta > self.threshold, g,
                        g * F.sigmoid(x * self.beta)),)


def softplus(input, beta=1.0, threshold=20.0):
    x = _float_input(input, "softplus_cpu")
    with np.errstate(over="ignore"):
        soft = (np.log1p(np.exp(x * beta)) / beta).astype(x.dtype)
    out = wrap(np.where(x * beta > threshold, x, soft))
    return _record(out, input, SoftplusBackward0, beta=beta, threshold=threshold)


class SiluBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        (x,) = self.saved(F)
        s = F.sigmoid(x)
        return (g * (s * (1 + x * (1 - s))),)


def silu(input, inplace=False):
    if inplace:
        return apply_inplace(silu, input)
    x = _float_input(input, "silu_cpu")
    with np.errstate(over="ignore"):
        out = wrap((x / (1 + np.exp(-x))).astype(x.dtype))
    return _record(out, input, SiluBackward0)


# -- losses ----------------------------------------------------------------------------------
class _PiecewiseLoss(Node):
    __slots__ = ("reduction", "delta")

    def backward(self, F, g):
        x, t = self.saved(F)
        d = x - t
        g = _grad_scale(g, self.reduction, _numel(d, F))
        gx = g * self.slope(F, d)
        return (gx if self.needs(0) else None, -gx if self.needs(1) else None)


class HuberLossBackward0(_PiecewiseLoss):
    __slots__ = ()

    def slope(self, F, d):
        return F.where(F.abs(F.data(d)) < self.delta, d, F.sign(d) * self.delta)


class SmoothL1LossBackward0(_PiecewiseLoss):
    __slots__ = ()

    def slope(self, F, d):
        return F.where(F.abs(F.data(d)) < self.delta, d / self.delta, F.sign(d))


def _piecewise(input, target, reduction, delta, kernel, node_cls, loss_fn):
    _check_reduction(reduction)
    if input._data.shape != target._data.shape:
        raise RuntimeError(
            f"The size of tensor a ({input._data.shape[-1]}) must match the size of tensor b "
            f"({target._data.shape[-1]}) at non-singleton dimension {input._data.ndim - 1}")
    x = _float_input(input, kernel)
    d = x - target._data
    out = wrap(_reduce(loss_fn(d).astype(x.dtype), reduction))
    if grad_enabled[0] and (input._requires_grad or target._requires_grad):
        node = node_cls((input, target))
        node.reduction, node.delta = reduction, delta
        node.save(input, target)
        attach(out, node)
    return out


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if weight is not None:
        raise NotImplementedError("huber_loss(weight=...) is not supported by this engine")
    def f(d):
        ad = np.abs(d)
        return np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    return _piecewise(input, target, reduction, delta, "huber_cpu", HuberLossBackward0, f)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta == 0.0:  # torch: plain L1
        return l1_loss(input, target, reduction=reduction)

    def f(d):
        ad = np.abs(d)
        return np.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)
    return _piecewise(input, target, reduction, beta, "smooth_l1_cpu", SmoothL1LossBackward0, f)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """torch's decomposition: (input - target).abs() then mean/sum (MeanBackward0...)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = (input - target).abs()
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def dropout(input, p=0.5, training=True, inplace=False):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    from .._random import default_generator
    from .._tensor import Tensor
    x = input._data
    if p == 1.0:
        mask = np.zeros_like(x)
    else:
        keep = default_generator.uniform(x.shape, 0.0, 1.0, np.float64) < 1.0 - p
        mask = (keep / (1.0 - p)).astype(x.dtype)
    if inplace:
        return input.mul_(Tensor._make(mask))
    return input * Tensor._make(mask)
