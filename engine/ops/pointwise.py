"""Pointwise ops: unary math (exp, log, sqrt, trig, rounding, ...), relu/square/nan_to_num and
their derivatives (one place per formula). clamp/maximum/minimum/where live in clamp.py and the
comparisons and logic in logical.py; this module re-exports them and binds their methods."""
from __future__ import annotations

__all__ = ["exp", "log", "log1p", "sqrt", "rsqrt", "abs", "sign", "sin", "cos", "tanh",
           "sigmoid", "relu", "reciprocal", "square", "erf", "floor", "ceil", "round", "trunc",
           "clamp", "clip", "clamp_min", "clamp_max", "masked_fill", "maximum", "minimum", "where",
           "eq", "ne", "lt", "le", "gt", "ge", "logical_not", "logical_and", "logical_or",
           "logical_xor", "bitwise_not", "nan_to_num"]

import math

import numpy as np

from .._tensor import Tensor
from ..autograd.backends import NP
from ..autograd.graph import _SAVED_HOOKS, Node, _pack
from ._util import (
    attach,
    binary_data,
    float_input,
    grad_enabled,
    result_dtype,
    wrap,
)
from .clamp import (
    ClampBackward0,  # noqa: F401 - re-exported
    ClampBackward1,  # noqa: F401 - re-exported
    ClampMaxBackward0,  # noqa: F401 - re-exported
    ClampMaxBackward1,  # noqa: F401 - re-exported
    ClampMinBackward0,  # noqa: F401 - re-exported
    ClampMinBackward1,  # noqa: F401 - re-exported
    MaximumBackward0,
    MinimumBackward0,
    WhereBackward0,  # noqa: F401 - re-exported
    _binary_minmax,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    masked_fill,
    maximum,
    minimum,
    where,
)
from .logical import (
    _and,
    _dunder_eq,
    _dunder_ne,
    _invert,
    _or,
    _xor,
    bitwise_not,
    eq,
    ge,
    gt,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
)

_make = Tensor._make


def _unary(node_cls, fn, save_input=False, save_result=False):
    """Build the forward function of a unary op recorded as ``node_cls`` (float results;
    integer inputs compute in the default dtype). Kept lean: tanh is on the benchmark path."""
    name = node_cls.__name__

    if save_result:
        def op(input):
            x = input._data
            if x.dtype.kind != "f":
                x = float_input(input, name)
            y = fn(x)
            if grad_enabled[0] and input._requires_grad:
                node = node_cls((input,))
                out = _make(y, True, node)
                node._result = out._data  # Node.save_result, inlined (0-d: the array)
                node._result_cell = out._vc = [0]  # out is new: version 0, a new counter
                if _SAVED_HOOKS:
                    _pack(node, None, out)
                return out
            return _make(y)
    else:
        def op(input):
            x = input._data
            if x.dtype.kind != "f":
                x = float_input(input, name)
            out = _make(fn(x))
            if grad_enabled[0] and input._requires_grad:
                node = node_cls((input,))
                if save_input:
                    node.save(input)
                out._requires_grad = True
                out.grad_fn = node
            return out

    op.__name__ = name[:-len("Backward0")].lower()
    return op


class ExpBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        with np.errstate(over="ignore"):  # inf, silently, as torch
            return (g * self.result(F),)


class LogBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        (x,) = self.saved(F)
        with np.errstate(divide="ignore", invalid="ignore"):  # torch: inf/nan, no warning
            return (g / x,)


class Log1PBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        (x,) = self.saved(F)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / (x + 1),)


class SqrtBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / (2 * self.result(F)),)


class RsqrtBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        y = self.result(F)
        return (g * (-0.5 * y * y * y),)


class AbsBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        (x,) = self.saved(F)
        if F is NP:  # torch's sgn: 0 at nan (np.sign gives nan)
            return (g * _np_sign(x),)
        return (g * F.sign(x),)


class SinBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        (x,) = self.saved(F)
        return (g * F.cos(x),)


class CosBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        (x,) = self.saved(F)
        return (-g * F.sin(x),)


# 1 as a 0-d array per float dtype: ``one - y`` then skips NumPy's Python-scalar conversion
# (~0.3 us of a ~0.6 us op on small arrays; same values)
_ONE = {np.dtype(d): np.ones((), d) for d in (np.float16, np.float32, np.float64)}
_ZERO = {np.dtype(d): np.zeros((), d) for d in (np.float16, np.float32, np.float64)}


class TanhBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        y = self.result(F)
        if F is NP:
            return (g * (_ONE.get(y.dtype, 1) - y * y),)
        return (g * (1 - y * y),)


class SigmoidBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        y = self.result(F)
        if F is NP:
            return (g * (y * (_ONE.get(y.dtype, 1) - y)),)
        return (g * (y * (1 - y)),)


class ReluBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        # torch's threshold_backward: the mask is a constant, so grad of grad is the mask too
        y = self.result(F)
        if F is NP:
            # torch's threshold_backward zeroes where result <= 0: nan lets the grad through
            return (np.where(y <= _ZERO.get(y.dtype, 0), _ZERO.get(g.dtype, 0.0), g),)
        return (F.where(F.data(y) <= 0, 0.0, g),)


class ReciprocalBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        y = self.result(F)
        return (-g * (y * y),)


class ErfBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        (x,) = self.saved(F)
        return (g * (2.0 / math.sqrt(math.pi)) * F.exp(-(x * x)),)


class _ZeroGrad(Node):
    """Piecewise-constant ops (sign, floor, ...): torch returns zeros, not None."""
    __slots__ = ()
    saves = False

    def backward(self, F, g):
        return (F.zeros_like(g),)


class SignBackward0(_ZeroGrad):
    __slots__ = ()


class FloorBackward0(_ZeroGrad):
    __slots__ = ()


class CeilBackward0(_ZeroGrad):
    __slots__ = ()


class RoundBackward0(_ZeroGrad):
    __slots__ = ()


class RoundBackward1(_ZeroGrad):
    """round(decimals=n)"""
    __slots__ = ()


class TruncBackward0(_ZeroGrad):
    __slots__ = ()


class DivBackward2(_ZeroGrad):
    """div with rounding_mode: zero gradient for the tensor operands."""
    __slots__ = ("shapes",)

    def backward(self, F, g):
        sa, sb = self.shapes
        z = F.zeros_like(g)
        return (F.sum_to(z, sa) if self.needs(0) else None,
                F.sum_to(z, sb) if self.needs(1) else None)


def _np_sigmoid(x):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def _quiet(fn):
    """``fn`` without NumPy's warnings at poles and overflow (torch returns inf/nan quietly)."""
    def f(x):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return fn(x)
    return f


def _np_rsqrt(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1 / np.sqrt(x)


def _np_reciprocal(x):
    with np.errstate(divide="ignore"):
        return 1 / x


_erf_obj = np.frompyfunc(math.erf, 1, 1)


def _np_erf(x):
    # NumPy has no erf; math.erf is exact (the op is not on a hot path)
    return np.asarray(_erf_obj(x), dtype=x.dtype)


exp = _unary(ExpBackward0, _quiet(np.exp), save_result=True)
log = _unary(LogBackward0, _quiet(np.log), save_input=True)
log1p = _unary(Log1PBackward0, _quiet(np.log1p), save_input=True)
sqrt = _unary(SqrtBackward0, _quiet(np.sqrt), save_result=True)
rsqrt = _unary(RsqrtBackward0, _np_rsqrt, save_result=True)
sin = _unary(SinBackward0, _quiet(np.sin), save_input=True)
cos = _unary(CosBackward0, _quiet(np.cos), save_input=True)
tanh = _unary(TanhBackward0, np.tanh, save_result=True)
sigmoid = _unary(SigmoidBackward0, _np_sigmoid, save_result=True)
reciprocal = _unary(ReciprocalBackward0, _np_reciprocal, save_result=True)
erf = _unary(ErfBackward0, _np_erf, save_input=True)


def _same_dtype(node_cls, fn, save_input=False, bool_kernel=None):
    """Ops that keep integer dtypes (abs, sign, floor, ...); some have no bool kernel."""

    def op(input):
        if bool_kernel is not None and input._data.dtype.kind == "b":
            raise NotImplementedError(f"\"{bool_kernel}\" not implemented for 'Bool'")
        out = wrap(fn(input._data))
        if grad_enabled[0] and input._requires_grad:
            node = node_cls((input,))
            if save_input:
                node.save(input)
            attach(out, node)
        return out

    return op


def _np_sign(x):
    if x.dtype.kind == "b":
        return x.copy()
    s = np.sign(x)
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        if nan.any():  # torch: sign(nan) is 0
            s = np.where(nan, x.dtype.type(0), s)
    return s


abs = _same_dtype(AbsBackward0, np.abs, save_input=True,  # noqa: A001 - torch's name
                  bool_kernel="abs_cpu")
sign = _same_dtype(SignBackward0, _np_sign)
floor = _same_dtype(FloorBackward0, np.floor, bool_kernel="floor_vml_cpu")
ceil = _same_dtype(CeilBackward0, np.ceil, bool_kernel="ceil_vml_cpu")
trunc = _same_dtype(TruncBackward0, np.trunc, bool_kernel="trunc_vml_cpu")


def round(input, *, decimals=0):  # noqa: A001 - torch's name
    x = input._data
    if x.dtype.kind == "b":
        raise NotImplementedError("\"round_vml_cpu\" not implemented for 'Bool'")
    # torch rounds half to even, as NumPy does
    out = wrap(np.round(x, decimals) if x.dtype.kind == "f" else x.copy())
    if grad_enabled[0] and input._requires_grad:
        attach(out, (RoundBackward1 if decimals else RoundBackward0)((input,)))
    return out


def relu(input):
    x = input._data
    if x.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    out = wrap(np.maximum(x, _ZERO.get(x.dtype, 0)))
    if grad_enabled[0] and input._requires_grad:
        node = ReluBackward0((input,))
        node.save_result(out)
        attach(out, node)
    return out


def square(input):
    from .arithmetic import pow
    return pow(input, 2)


class NanToNumBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        (x,) = self.saved(F)
        return (F.where(np.isfinite(F.data(x)), g, 0.0),)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    out = wrap(np.nan_to_num(input._data, nan=nan, posinf=posinf, neginf=neginf))
    if grad_enabled[0] and input._requires_grad:
        node = NanToNumBackward0((input,))
        node.save(input)
        attach(out, node)
    return out


def _div_rounding(input, other, rounding_mode):
    """torch.div(a, b, rounding_mode='trunc'|'floor'): integers stay integers."""
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    xa, xb = binary_data(input, other)
    ints = result_dtype(input, other).is_floating_point is False
    if ints:
        xa, xb = np.asarray(xa), np.asarray(xb)
        if np.any(xb == 0):
            raise RuntimeError("ZeroDivisionError")
        if rounding_mode == "floor":
            res = np.floor_divide(xa, xb)
        else:
            q = np.floor_divide(xa, xb)
            res = np.where((q < 0) & (q * xb != xa), q + 1, q)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            res = np.floor(xa / xb) if rounding_mode == "floor" else np.trunc(xa / xb)
    out = wrap(np.asarray(res))
    ta, tb = type(input) is Tensor, type(other) is Tensor
    if grad_enabled[0] and ((ta and input._requires_grad) or (tb and other._requires_grad)):
        node = DivBackward2((input if ta else None, other if tb else None))
        node.shapes = (np.shape(xa), np.shape(xb))
        attach(out, node)
    return out


METHODS = {name: globals()[name] for name in __all__ if name != "where"}
METHODS.update({name: (lambda f: lambda self, other: f(self, other, 1))(globals()[name])
                for name in ("logical_and", "logical_or", "logical_xor")})
METHODS["maximum"] = lambda self, other: _binary_minmax(
    self, other, np.maximum, MaximumBackward0, 1)
METHODS["minimum"] = lambda self, other: _binary_minmax(
    self, other, np.minimum, MinimumBackward0, 1)
METHODS.update({
    "where": lambda self, condition, other: where(condition, self, other),
    "__eq__": _dunder_eq, "__ne__": _dunder_ne, "__lt__": lt, "__le__": le, "__gt__": gt,
    "__ge__": ge, "__invert__": _invert, "__abs__": abs,
    "__and__": _and, "__or__": _or, "__xor__": _xor,
    "__rand__": _and, "__ror__": _or, "__rxor__": _xor,
    "greater": gt, "less": lt, "greater_equal": ge, "less_equal": le, "not_equal": ne,
})
