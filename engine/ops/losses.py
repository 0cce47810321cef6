"""The losses: mse_loss, binary_cross_entropy (with and without logits), nll_loss and
cross_entropy (with label smoothing), with torch's reduction rules, grad_fn names and error texts.
Split out of nn_ops.py, which re-exports them.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..autograd.graph import Node
from ._util import attach, binary_data, grad_enabled, wrap
from .reduction import _dtype_title
from .shape import expand
from .softmax import (
    log_softmax,
)

# -- losses -------------------------------------------------------------------------------------
_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss, reduction):
    if reduction == "mean":
        with np.errstate(invalid="ignore"):
            return np.asarray(loss.mean() if loss.size else np.nan, dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(loss.sum(), dtype=loss.dtype)
    return loss


def _broadcast_error(sa, sb):
    """torch's text for shapes that do not broadcast (first mismatch from the right)."""
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + tuple(sa), (1,) * (n - len(sb)) + tuple(sb)
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                f"non-singleton dimension {i}")
    return None


def _size(shape):
    return f"torch.Size([{', '.join(str(s) for s in shape)}])"


def _grad_scale(g, reduction, numel):
    """Upstream gradient of a reduced loss (0-d for mean/sum: it broadcasts)."""
    if reduction == "mean":
        return g / numel
    return g


class MseLossBackward0(Node):
    __slots__ = ("reduction", "shapes")

    def backward(self, F, g):
        x, t = self.saved(F)
        diff = x - t
        g = _grad_scale(g, self.reduction, _numel(diff, F))
        gx = g * 2 * diff
        sa, sb = self.shapes
        return (F.sum_to(gx, sa) if self.needs(0) else None,
                F.sum_to(-gx, sb) if self.needs(1) else None)


def _numel(x, F):
    return (x._data if F.is_tensor else x).size


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    if weight is not None:
        raise NotImplementedError("mse_loss(weight=...) is not supported by this engine")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    sa, sb = input._data.shape, target._data.shape
    if sa != sb:
        warnings.warn(
            f"Using a target size ({_size(sb)}) that is different to the input size "
            f"({_size(sa)}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", UserWarning, stacklevel=2)
        err = _broadcast_error(sa, sb)
        if err is not None:
            raise err
        # torch broadcasts with broadcast_tensors: an ExpandBackward0 over each expanded input
        bs = np.broadcast_shapes(sa, sb)
        if sa != bs:
            input = expand(input, *bs)
        if sb != bs:
            target = expand(target, *bs)
        sa = sb = bs
    _check_reduction(reduction)
    xa, xb = binary_data(input, target)
    if xa.dtype.kind != "f":
        raise NotImplementedError(f"\"mse_cpu\" not implemented for '{_dtype_title(xa.dtype)}'")
    with np.errstate(all="ignore"):  # inf - inf, overflow: torch prints nothing
        d = xa - xb
        out = wrap(_reduce(d * d, reduction))
    if grad_enabled[0] and (input._requires_grad or target._requires_grad):
        node = MseLossBackward0((input, target))
        node.reduction, node.shapes = reduction, (sa, sb)
        node.save(input, target)
        attach(out, node)
    return out


def _legacy_reduction(size_average, reduce, reduction):
    """torch's size_average/reduce arguments (deprecated) mapped onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='"
                  f"{'none' if not reduce else 'mean' if size_average else 'sum'}' instead.",
                  UserWarning, stacklevel=3)
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


_BCE_EPS = float(np.float32(1e-12))  # torch's EPSILON is a C float


class BinaryCrossEntropyBackward0(Node):
    __slots__ = ("reduction", "weight")

    def backward(self, F, g):
        x, t = self.saved(F)
        w = self.weight
        g = _grad_scale(g, self.reduction, _numel(x, F))
        if w is not None:
            g = g * F.const(w)
        gx = gt = None
        if self.needs(0):
            gx = g * (x - t) / F.clamp_min((1 - x) * x, _BCE_EPS)
        if self.needs(1):
            gt = g * (F.log(1 - x) - F.log(x))
        return gx, gt


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    sa, sb = input._data.shape, target._data.shape
    if sa != sb:
        raise ValueError(
            f"Using a target size ({_size(sb)}) that is different to the input size "
            f"({_size(sa)}) is deprecated. Please ensure they have the same size.")
    _check_reduction(reduction)
    if weight is not None:
        _check_expand(weight._data.shape, sb)
        if weight._requires_grad and grad_enabled[0]:
            raise RuntimeError(
                "The function 'binary_cross_entropy' is not differentiable with respect to "
                "argument 'weight'. This input cannot have requires_grad True.")
    x, t = input._data, target._data
    if x.dtype != t.dtype:
        raise RuntimeError(
            f"Found dtype {_dtype_title(t.dtype)} but expected {_dtype_title(x.dtype)}")
    if not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if not ((t >= 0) & (t <= 1)).all():
        raise RuntimeError("all elements of target should be between 0 and 1")
    with np.errstate(divide="ignore"):
        # torch clamps each log at -100 so that 0 * log(0) stays finite
        loss = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log1p(-x), -100))
    w = None
    if weight is not None:
        w = np.broadcast_to(weight._data, np.broadcast_shapes(weight._data.shape, sb))
        w = w.astype(x.dtype, copy=False)
        loss = loss * w
    out = wrap(_reduce(np.asarray(loss, dtype=x.dtype), reduction))
    if grad_enabled[0] and (input._requires_grad or target._requires_grad):
        node = BinaryCrossEntropyBackward0((input, target))
        node.reduction, node.weight = reduction, w
        node.save(input, target)
        attach(out, node)
    return out


def _check_expand(shape, target):
    """torch's ``weight.expand(target)`` errors for a weight that does not broadcast to it."""
    for k in range(1, min(len(shape), len(target)) + 1):
        if shape[-k] != 1 and shape[-k] != target[-k]:
            raise RuntimeError(
                f"Attempting to broadcast a dimension of length {shape[-k]} at {-k}! "
                f"Mismatching argument at index 1 had {_size(shape)}; but expected shape "
                f"should be broadcastable to [{', '.join(map(str, target))}]")


class BinaryCrossEntropyWithLogitsBackward0(Node):
    __slots__ = ("reduction", "weight", "pos_weight", "dtypes")

    def backward(self, F, g):
        x, t = self.saved(F)
        w, pw = self.weight, self.pos_weight
        g = _grad_scale(g, self.reduction, _numel(x, F))
        if w is not None:
            g = g * F.const(w)
        gx = gt = None
        if self.needs(0):
            if pw is None:
                gx = g * (F.sigmoid(x) - t)
            else:
                pwt = F.const(pw) * t
                gx = g * ((pwt + 1 - t) * F.sigmoid(x) - pwt)
        if self.needs(1):
            if pw is None:
                gt = -g * x
            else:  # d/dt of (1 - t) x - (1 + (pw - 1) t) log_sigmoid(x)
                gt = g * (-x - (F.const(pw) - 1) * _log_sigmoid(F, x))
        xd, td = self.dtypes
        if gx is not None and F.data(gx).dtype != xd:
            gx = F.to_dtype(gx, xd)
        if gt is not None and F.data(gt).dtype != td:
            gt = F.to_dtype(gt, td)
        return gx, gt


def _log_sigmoid(F, x):
    """min(x, 0) - log1p(exp(-|x|)), written with backend functions."""
    xd = F.data(x)
    return F.where(xd < 0, x, 0.0) - F.log(1 + F.exp(-F.abs(x)))


def _np_log_sigmoid(x):
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    sa, sb = input._data.shape, target._data.shape
    if sa != sb:
        raise ValueError(f"Target size ({_size(sb)}) must be the same as input size "
                         f"({_size(sa)})")
    _check_reduction(reduction)
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        if t is not None and t._requires_grad and grad_enabled[0]:
            raise RuntimeError(
                "The function 'binary_cross_entropy_with_logits' is not differentiable with "
                f"respect to argument '{name}'. This input cannot have requires_grad True.")
    xd, td = input._data.dtype, target._data.dtype
    # torch computes log_sigmoid(input), then (1 - target).mul_(input): its errors, in order
    if xd.kind != "f":
        raise NotImplementedError(
            f"\"log_sigmoid_cpu\" not implemented for '{_dtype_title(xd)}'")
    if td.kind == "b":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if td.kind != "f":
        raise RuntimeError(f"result type {_dtype_title(xd)} can't be cast to the desired "
                           f"output type {_dtype_title(td)}")
    # the loss has the target's dtype; each gradient goes back in its input's dtype
    x, t = input._data.astype(td, copy=False), target._data
    dt = td
    ls = _np_log_sigmoid(x)
    pw = None
    if pos_weight is not None:
        pw = pos_weight._data.astype(dt, copy=False)
        loss = (1 - t) * x - ((pw - 1) * t + 1) * ls
    else:
        loss = (1 - t) * x - ls
    w = None
    if weight is not None:
        w = weight._data.astype(dt, copy=False)
        loss = loss * w
    out = wrap(_reduce(np.asarray(loss, dtype=dt), reduction))
    if grad_enabled[0] and (input._requires_grad or target._requires_grad):
        node = BinaryCrossEntropyWithLogitsBackward0((input, target))
        node.reduction, node.weight, node.pos_weight = reduction, w, pw
        node.dtypes = (xd, td)
        node.save(input, target)
        attach(out, node)
    return out


# -- nll_loss / cross_entropy -------------------------------------------------------------------
class NllLossBackward0(Node):
    """The gradient is ``g`` times a constant (one-hot, weighted, normalised) array."""
    __slots__ = ("coef", "reduction", "hit")
    saves = False

    def backward(self, F, g):
        if self.reduction == "none" and self.coef.ndim > 1:
            g = F.unsqueeze(g, 1)  # per-sample grads broadcast over the class dim
        if F.is_tensor or not np.isfinite(g).all():
            # torch writes only the (sample, target) places: a nan grad_output stays there
            keep, idx, cdim = self.hit
            hit = np.zeros(self.coef.shape, dtype=bool)
            np.put_along_axis(hit, idx, np.expand_dims(keep, cdim), axis=cdim)
            return (F.where(hit, g * F.const(self.coef), 0.0),)
        return (g * F.const(self.coef),)


class NllLoss2DBackward0(NllLossBackward0):
    __slots__ = ()


def _nll_checks(input, target, weight):
    x, t = input._data, target._data
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    if x.ndim != 1 and x.shape[0] != (t.shape[0] if t.ndim else 1):
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target "
                         f"batch_size ({t.shape[0] if t.ndim else 1}).")
    if x.ndim <= 2:
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if x.ndim == 1 and t.ndim == 1 and t.shape[0] != 1:
            raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                             f"{t.shape[0]}")
    elif t.shape[1:] != x.shape[2:]:
        raise RuntimeError(
            f"Expected target size [{', '.join(str(s) for s in x.shape[:1] + x.shape[2:])}], "
            f"got [{', '.join(str(s) for s in t.shape)}]")
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {_dtype_title(t.dtype)}")
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    if weight is not None and weight._data.shape != (c,):
        raise RuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but "
            f"got weight tensor of shape: [{', '.join(str(s) for s in weight._data.shape)}]")
    if weight is not None and weight._requires_grad and grad_enabled[0]:
        raise RuntimeError(
            "The function 'nll_loss_forward' is not differentiable with respect to argument "
            "'weight'. This input cannot have requires_grad True.")


def _nll_core(input, target, weight, ignore_index, reduction, node_cls):
    """Class dim 1 (dim 0 for 1-D input); target has the input's shape without it."""
    x, t = input._data, target._data.astype(np.int64)
    cdim = 0 if x.ndim == 1 else 1
    c = x.shape[cdim]
    keep = t != ignore_index
    bad = keep & ((t < 0) | (t >= c))
    if bad.any():
        raise IndexError(f"Target {int(t[bad].reshape(-1)[0])} is out of bounds.")
    tc = np.where(keep, t, 0)
    w = weight._data.astype(x.dtype) if weight is not None else np.ones(c, dtype=x.dtype)
    wt = np.where(keep, w[tc], 0).astype(x.dtype)  # weight of each sample's target class
    idx = np.expand_dims(tc, cdim)
    picked = np.squeeze(np.take_along_axis(x, idx, axis=cdim), cdim)
    loss = np.where(keep, -wt * picked, 0).astype(x.dtype)  # ignored: +0.0, as torch
    if reduction == "none":
        out, scale = loss, wt
    elif reduction == "sum":
        out, scale = np.asarray(loss.sum()), wt
    else:
        total = wt.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.asarray(loss.sum() / total)  # nan when every target is ignored
            scale = wt / total if total else wt  # ... with a zero gradient, as torch
    out = wrap(np.asarray(out, dtype=x.dtype))
    if grad_enabled[0] and input._requires_grad:
        coef = np.zeros(x.shape, dtype=x.dtype)
        neg = np.where(keep, -scale, 0).astype(x.dtype)  # ignored targets: +0.0, as torch
        np.put_along_axis(coef, idx, np.expand_dims(neg, cdim), axis=cdim)
        node = node_cls((input,))
        node.coef, node.reduction, node.hit = coef, reduction, (keep, idx, cdim)
        # what torch saves (shown as _saved_*; the formula above needs only ``coef``)
        node.inputs = (input, target, weight, ignore_index, total if reduction == "mean"
                       else wt.sum())
        attach(out, node)
    return out


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _nll_checks(input, target, weight)
    _check_reduction(reduction)
    x, t = input._data, target._data
    if x.ndim <= 2:
        if x.ndim == 1 and t.ndim == 1:
            target = wrap(t.reshape(()))
        return _nll_core(input, target, weight, ignore_index, reduction, NllLossBackward0)
    n, c = x.shape[:2]
    if x.ndim == 4:
        return _nll_core(input, target, weight, ignore_index, reduction, NllLoss2DBackward0)
    # torch views other ranks as (N, C, 1, -1) (contiguous first) and the unreduced loss back
    out = _nll_core(input.contiguous().view(n, c, 1, -1), wrap(t.reshape(n, 1, -1)), weight,
                    ignore_index, reduction, NllLoss2DBackward0)
    return out.view(n, *x.shape[2:]) if reduction == "none" else out


class DivBackward1(Node):
    """tensor / Python number, as recorded inside torch's C++ ops."""
    __slots__ = ("other",)
    saves = False

    def backward(self, F, g):
        return (g / self.other,)


def _div_scalar(input, other):
    out = wrap(np.asarray(input._data / other, dtype=input._data.dtype))
    if grad_enabled[0] and input._requires_grad:
        node = DivBackward1((input,))
        node.other = other
        attach(out, node)
    return out


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x, t = input._data, target._data
    cdim = 0 if x.ndim == 1 else 1
    if x.shape == t.shape:  # class probabilities
        if t.dtype.kind != "f":
            raise RuntimeError("Expected floating point type for target with class "
                               f"probabilities, got {_dtype_title(t.dtype)}")
        if ignore_index >= 0:  # torch: TORCH_CHECK(ignore_index < 0, ...)
            raise RuntimeError("ignore_index is not supported for floating point target")
        _check_label_smoothing(label_smoothing)
        _check_reduction(reduction)
        if label_smoothing > 0.0:
            target = target * (1 - label_smoothing) + label_smoothing / x.shape[cdim]
        lsm = log_softmax(input, cdim)
        prod = lsm * target
        if weight is not None:
            shape = [1] * x.ndim
            shape[cdim] = x.shape[cdim]
            prod = prod * weight.view(*shape)
        if reduction == "none":
            return -prod.sum(cdim)
        total = -prod.sum()
        if reduction == "sum":
            return total
        return _div_scalar(total, x.size // x.shape[cdim] if x.size else 0)
    if label_smoothing > 0.0:
        _check_label_smoothing(label_smoothing)
        return _smoothed_cross_entropy(input, target, weight, ignore_index, reduction,
                                       label_smoothing)
    return nll_loss(log_softmax(input, cdim), target, weight, None, ignore_index, None,
                    reduction)


def _check_label_smoothing(ls):
    if not 0.0 <= ls <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {ls:g}")


class MulBackward1(Node):
    """Python number * tensor, as recorded inside torch's C++ ops."""
    __slots__ = ("other",)
    saves = False

    def backward(self, F, g):
        return (g * self.other,)


def _mul_scalar(input, other):
    out = wrap(np.asarray(input._data * other, dtype=input._data.dtype))
    if grad_enabled[0] and input._requires_grad:
        node = MulBackward1((input,))
        node.other = other
        attach(out, node)
    return out


class MaskedFillBackward0(Node):
    __slots__ = ("mask",)
    saves = False

    def backward(self, F, g):
        return (F.where(np.broadcast_to(self.mask, g.shape), 0.0, g),)


def _masked_fill(input, mask, value):
    out = wrap(np.where(mask, np.asarray(value, input._data.dtype), input._data))
    if grad_enabled[0] and input._requires_grad:
        node = MaskedFillBackward0((input,))
        node.mask = mask
        attach(out, node)
    return out


def _smoothed_cross_entropy(input, target, weight, ignore_index, reduction, ls):
    """torch's cross_entropy_loss_label_smoothing, op for op (so the graph matches)."""
    x = input._data
    cdim = 0 if x.ndim == 1 else 1
    lsm = log_softmax(input, cdim)
    nll = nll_loss(lsm, target, weight, None, ignore_index, None, reduction)
    n_classes = x.shape[cdim]
    t = target._data
    ignore = t == ignore_index
    if weight is not None:
        shape = [1] * x.ndim
        shape[cdim] = n_classes
        smooth = -(lsm * weight.view(*shape)).sum(cdim)
    else:
        smooth = -lsm.sum(cdim)
    smooth = _masked_fill(smooth, ignore, 0.0)
    if reduction == "mean":
        if weight is not None:
            denom = wrap(np.asarray(weight._data[t[~ignore].astype(np.int64)].sum()))
        else:
            denom = wrap(np.asarray(np.count_nonzero(~ignore), dtype=np.int64))
        ret = smooth.sum() / denom
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return _mul_scalar(nll, 1 - ls) + _mul_scalar(ret, ls / n_classes)
