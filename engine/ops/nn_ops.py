"""Neural-network ops that are more than one pointwise formula: activations with parameters
(leaky_relu, gelu), linear (addmm) and the functional softmax wrappers. The softmax family lives in
softmax.py and the losses in losses.py; this module re-exports both, so old imports work."""
from __future__ import annotations

__all__ = ["softmax", "log_softmax", "addmm"]

import math
import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.graph import Node
from ._util import attach, grad_enabled, quiet, wrap
from .losses import (
    BinaryCrossEntropyBackward0,  # noqa: F401 - re-exported
    BinaryCrossEntropyWithLogitsBackward0,  # noqa: F401 - re-exported
    DivBackward1,  # noqa: F401 - re-exported
    MaskedFillBackward0,  # noqa: F401 - re-exported
    MseLossBackward0,  # noqa: F401 - re-exported
    MulBackward1,  # noqa: F401 - re-exported
    NllLoss2DBackward0,  # noqa: F401 - re-exported
    NllLossBackward0,  # noqa: F401 - re-exported
    _check_reduction,  # noqa: F401 - re-exported
    _grad_scale,  # noqa: F401 - re-exported
    _legacy_reduction,  # noqa: F401 - re-exported
    _numel,  # noqa: F401 - re-exported
    _reduce,  # noqa: F401 - re-exported
    binary_cross_entropy,  # noqa: F401 - re-exported
    binary_cross_entropy_with_logits,  # noqa: F401 - re-exported
    cross_entropy,  # noqa: F401 - re-exported
    mse_loss,  # noqa: F401 - re-exported
    nll_loss,  # noqa: F401 - re-exported
)
from .reduction import _dtype_title
from .shape import expand
from .softmax import (
    LogSoftmaxBackward0,  # noqa: F401 - re-exported
    SoftmaxBackward0,  # noqa: F401 - re-exported
    log_softmax,
    softmax,
)


# -- activations --------------------------------------------------------------------------------
class LeakyReluBackward0(Node):
    __slots__ = ("negative_slope",)

    def backward(self, F, g):
        (x,) = self.saved(F)
        return (F.where(F.data(x) > 0, g, g * self.negative_slope),)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"\"leaky_relu_cpu\" not implemented for '{_dtype_title(x.dtype)}'")
    out = wrap(np.where(x > 0, x, x * negative_slope))
    if grad_enabled[0] and input._requires_grad:
        node = LeakyReluBackward0((input,))
        node.negative_slope = negative_slope
        node.save(input)
        attach(out, node)
    return out


_SQRT1_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_K_TANH = math.sqrt(2 / math.pi)


class GeluBackward0(Node):
    __slots__ = ("approximate",)

    def backward(self, F, g):
        (x,) = self.saved(F)
        if self.approximate == "tanh":
            inner = (x + 0.044715 * (x * x * x)) * _K_TANH
            t = F.tanh(inner)
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _K_TANH * (1 + 0.134145 * (x * x))
            return (g * d,)
        cdf = 0.5 * (1 + F.erf(x * _SQRT1_2))
        pdf = F.exp(-0.5 * (x * x)) * _INV_SQRT_2PI
        return (g * (cdf + x * pdf),)


def _gelu_np(x, approximate):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(_K_TANH * (x + 0.044715 * x * x * x)))
    from .pointwise import _np_erf
    return 0.5 * x * (1 + _np_erf(x * _SQRT1_2))


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    x = input._data
    if x.dtype.kind != "f":
        name = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                "uint8": "Byte", "bool": "Bool"}[x.dtype.name]
        raise NotImplementedError(f'"GeluKernelImpl" not implemented for \'{name}\'')
    out = wrap(np.asarray(quiet(_gelu_np, x, approximate), dtype=x.dtype))
    if grad_enabled[0] and input._requires_grad:
        node = GeluBackward0((input,))
        node.approximate = approximate
        node.save(input)
        attach(out, node)
    return out


# -- addmm / linear -----------------------------------------------------------------------------
class AddmmBackward0(Node):
    __slots__ = ("shape", "beta", "alpha")

    def backward(self, F, g):
        m1, m2 = self.saved(F)
        gi = None
        if self.needs(0):
            gi = F.sum_to(g * self.beta if self.beta != 1 else g, self.shape)
        g1 = g @ F.mT(m2) if self.needs(1) else None
        g2 = F.mT(m1) @ g if self.needs(2) else None
        if self.alpha != 1:
            g1 = g1 * self.alpha if g1 is not None else None
            g2 = g2 * self.alpha if g2 is not None else None
        return gi, g1, g2


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    a, b = mat1._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {a.ndim}-D tensor")
    if b.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {b.ndim}-D tensor")
    for who, d in (("self", input._data.dtype), ("mat1", a.dtype)):  # torch checks self first
        if d != b.dtype:
            raise RuntimeError(f"{who} and mat2 must have the same dtype, but got "
                               f"{_dtype_title(d)} and {_dtype_title(b.dtype)}")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
            f"{b.shape[0]}x{b.shape[1]})")
    bias = input._data
    target = (a.shape[0], b.shape[1])
    if bias.shape != target and (bias.ndim > 2 or any(
            s != 1 and s != t for s, t in zip(bias.shape[::-1], target[::-1]))):
        expand(Tensor._make(bias), *target)  # raises torch's expand error
    # torch skips the product when alpha is 0 and the bias when beta is 0 (nan included)
    prod = quiet(np.matmul, a, b) if alpha != 0 else np.zeros((a.shape[0], b.shape[1]), a.dtype)
    if alpha != 1 and alpha != 0:
        prod *= alpha
    if beta != 0:
        prod += bias * beta if beta != 1 else bias  # in place: no second (N, out) buffer
    out = wrap(prod)
    if grad_enabled[0] and (input._requires_grad or mat1._requires_grad
                            or mat2._requires_grad):
        node = AddmmBackward0((input, mat1, mat2))
        node.shape, node.beta, node.alpha = bias.shape, beta, alpha
        node.save(mat1 if mat2._requires_grad else None, mat2 if mat1._requires_grad else None)
        a, b = mat1._data, mat2._data
        node.meta = (a.shape, a.strides, a.itemsize, b.shape, b.strides)  # torch's _saved_*
        attach(out, node)
    return out


def linear(input, weight, bias=None):
    """torch's decomposition: addmm for 2-D input with bias (views around it for other
    ranks), matmul with weight.t() without bias."""
    if input._data.ndim == 0 or weight._data.ndim == 0:
        raise RuntimeError(
            "both arguments to linear need to be at least 1D, but they are "
            f"{input._data.ndim}D and {weight._data.ndim}D")
    wt = weight.t()
    if bias is None:
        return input.matmul(wt)
    if input._data.ndim == 2:
        return addmm(bias, input, wt)
    lead = input._data.shape[:-1]
    out = addmm(bias, input.view(-1, input._data.shape[-1]), wt)
    return out.view(*lead, out._data.shape[-1])


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def f_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmax", input._data.ndim, _stacklevel)
    return softmax(input, dim, dtype=dtype)


def f_log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("log_softmax", input._data.ndim, _stacklevel)
    return log_softmax(input, dim, dtype=dtype)


def _tensor_softmax(self, dim, dtype=None):
    return softmax(self, dim, dtype)


def _tensor_log_softmax(self, dim, dtype=None):
    return log_softmax(self, dim, dtype)


METHODS = {"softmax": _tensor_softmax, "log_softmax": _tensor_log_softmax,
           "addmm": lambda self, mat1, mat2, *, beta=1, alpha=1: addmm(self, mat1, mat2,
                                                                       beta=beta, alpha=alpha)}
