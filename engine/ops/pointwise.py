"""Pointwise ops (unary math, clamp, maximum/minimum, where, comparisons, logic) and their
derivatives (one place per formula)."""
from __future__ import annotations

__all__ = ["exp", "log", "log1p", "sqrt", "rsqrt", "abs", "sign", "sin", "cos", "tanh",
           "sigmoid", "relu", "reciprocal", "square", "erf", "floor", "ceil", "round", "trunc",
           "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "where",
           "eq", "ne", "lt", "le", "gt", "ge", "logical_not", "logical_and", "logical_or",
           "logical_xor", "bitwise_not", "nan_to_num"]

import math

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.backends import NP
from ..autograd.graph import _SAVED_HOOKS, Node, _pack
from ._util import (
    attach,
    binary_data,
    broadcast_error,
    broadcast_error_n,
    float_input,
    grad_enabled,
    operand,
    quiet,
    result_dtype,
    wrap,
)
from .arithmetic import _cast_grads

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


# -- clamp -------------------------------------------------------------------------------------
class ClampBackward1(Node):
    """clamp with Python-number bounds."""
    __slots__ = ("min", "max")

    def backward(self, F, g):
        (x,) = self.saved(F)
        x = F.data(x)
        lo, hi = self.min, self.max
        if lo is not None and hi is not None:
            mask = (x >= lo) & (x <= hi)
        elif lo is not None:
            mask = x >= lo
        else:
            mask = x <= hi
        return (F.where(mask, g, 0.0),)


class ClampMinBackward0(ClampBackward1):
    __slots__ = ()


class ClampMaxBackward0(ClampBackward1):
    __slots__ = ()


class ClampBackward0(Node):
    """clamp with tensor bounds: edges (input, min, max)."""
    __slots__ = ("shapes", "dtypes")
    bounds = (1, 2)  # which of (min, max) have an edge

    def backward(self, F, g):
        x, lo, hi = self.saved(F)
        x = F.data(x)
        lo = F.data(lo) if lo is not None else None
        hi = F.data(hi) if hi is not None else None
        # clamp is min(max(x, lo), hi): ties go to x, and lo > hi sends everything to hi
        m = x if lo is None else np.maximum(x, lo)
        below_hi = True if hi is None else m <= hi
        masks = {0: (True if lo is None else x >= lo) & below_hi,
                 1: (x < lo) & below_hi if lo is not None else None,
                 2: m > hi if hi is not None else None}
        shp = g.shape
        grads = []
        for edge, b in enumerate((0,) + self.bounds):
            gb = None
            if self.needs(edge):
                mask = np.broadcast_to(masks[b], shp)
                gb = F.sum_to(F.where(mask, g, 0.0), self.shapes[b])
                if F.data(gb).dtype != self.dtypes[b]:  # mixed dtypes: back to the input's
                    gb = F.to_dtype(gb, self.dtypes[b])
            grads.append(gb)
        return tuple(grads)


class ClampMinBackward1(ClampBackward0):
    __slots__ = ()
    bounds = (1,)


class ClampMaxBackward1(ClampBackward0):
    __slots__ = ()
    bounds = (2,)


def _clamp_scalar(input, lo, hi, node_cls):
    x = input._data
    if x.dtype.kind in "iub":  # torch's result type: bool.clamp(0) is int64, int.clamp(.5) float
        dt = result_dtype(input, lo, hi).np
        if dt.kind == "b":
            which = "" if lo is not None and hi is not None else "_min" if hi is None else "_max"
            raise NotImplementedError(f"\"clamp{which}_scalar_cpu\" not implemented for 'Bool'")
        if dt != x.dtype:
            x = x.astype(dt)
    out = x
    if lo is not None:
        out = np.maximum(out, lo)
    if hi is not None:
        out = np.minimum(out, hi)
    out = wrap(np.asarray(out, dtype=x.dtype))
    if grad_enabled[0] and input._requires_grad:
        node = node_cls((input,))
        node.min, node.max = lo, hi
        node.save(input)
        attach(out, node)
    return out


def _clamp_tensor(input, lo, hi, node_cls):
    dt = result_dtype(*[t for t in (input, lo, hi) if t is not None]).np
    if dt.kind == "b":
        raise NotImplementedError("\"clamp_cpu\" not implemented for 'Bool'")
    x = input._data.astype(dt, copy=False)
    out = x
    try:
        if lo is not None:
            out = np.maximum(out, lo._data.astype(dt, copy=False))
        if hi is not None:
            out = np.minimum(out, hi._data.astype(dt, copy=False))
    except ValueError:
        raise broadcast_error_n(*[t._data.shape for t in (input, lo, hi)
                                  if t is not None]) from None
    out = wrap(np.asarray(out))
    ts = (input, lo, hi)
    if grad_enabled[0] and any(t is not None and t._requires_grad for t in ts):
        node = node_cls((input,) + tuple(ts[b] for b in node_cls.bounds))
        node.shapes = tuple(np.shape(t._data) if t is not None else () for t in ts)
        node.dtypes = tuple(t._data.dtype if t is not None else None for t in ts)
        node.save(input, lo, hi)
        attach(out, node)
    return out


def clamp(input, min=None, max=None):  # noqa: A002 - torch's names
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    lo_t, hi_t = isinstance(min, Tensor), isinstance(max, Tensor)
    if lo_t or hi_t:
        if (min is not None and not lo_t) or (max is not None and not hi_t):
            raise TypeError(
                "clamp() received an invalid combination of arguments - got (Tensor, "
                f"max={type(max).__name__ if not hi_t else 'Tensor'}, "
                f"min={type(min).__name__ if not lo_t else 'Tensor'}), but expected one of:\n"
                " * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
                " * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)\n")
        return _clamp_tensor(input, min, max, ClampBackward0)
    return _clamp_scalar(input, min, max, ClampBackward1)


clip = clamp


def clamp_min(input, min):  # noqa: A002
    if isinstance(min, Tensor):
        return _clamp_tensor(input, min, None, ClampMinBackward1)
    return _clamp_scalar(input, min, None, ClampMinBackward0)


def clamp_max(input, max):  # noqa: A002
    if isinstance(max, Tensor):
        return _clamp_tensor(input, None, max, ClampMaxBackward1)
    return _clamp_scalar(input, None, max, ClampMaxBackward0)


def _record_dtypes(node, out, a, b) -> None:
    """Mixed-dtype operands: torch casts each gradient back to its input's dtype."""
    od = out._data.dtype
    da = a._data.dtype if isinstance(a, Tensor) else od
    db = b._data.dtype if isinstance(b, Tensor) else od
    if da != od or db != od:
        node.dtypes = (da, db)


# -- maximum / minimum -----------------------------------------------------------------------
class MaximumBackward0(Node):
    """Ties send half the gradient to each side, as torch."""
    __slots__ = ("shapes",)
    dtypes = None

    def backward(self, F, g):
        a, b = self.saved(F)
        a, b = F.data(a), F.data(b)
        dt = g.dtype if not F.is_tensor else g._data.dtype
        wa = self._weight(a, b).astype(dt)
        sa, sb = self.shapes
        ga = F.sum_to(g * F.const(wa), sa) if self.needs(0) else None
        gb = F.sum_to(g * F.const(1 - wa), sb) if self.needs(1) else None
        return _cast_grads(self, F, ga, gb)

    @staticmethod
    def _weight(a, b):
        return (a > b) + 0.5 * (a == b)


class MinimumBackward0(MaximumBackward0):
    __slots__ = ()

    @staticmethod
    def _weight(a, b):
        return (a < b) + 0.5 * (a == b)


def _binary_minmax(input, other, np_fn, node_cls, pos=2):
    if not isinstance(other, Tensor):
        raise TypeError(
            f"{np_fn.__name__}(): argument 'other' (position {pos}) must be Tensor, not "
            f"{type(other).__name__}")
    xa, xb = binary_data(input, other)
    try:
        out = wrap(quiet(np_fn, xa, xb))
    except ValueError:
        raise broadcast_error(xa.shape, xb.shape) from None
    if grad_enabled[0] and (input._requires_grad or other._requires_grad):
        node = node_cls((input, other))
        node.shapes = (xa.shape, xb.shape)
        _record_dtypes(node, out, input, other)
        node.save(input, other)
        attach(out, node)
    return out


def maximum(input, other):
    return _binary_minmax(input, other, np.maximum, MaximumBackward0)


def minimum(input, other):
    return _binary_minmax(input, other, np.minimum, MinimumBackward0)


# -- where -------------------------------------------------------------------------------------
class WhereBackward0(Node):
    __slots__ = ("cond", "shapes")
    saves = False
    dtypes = None

    def backward(self, F, g):
        sa, sb = self.shapes
        c = np.broadcast_to(self.cond, g.shape)
        ga = F.sum_to(F.where(c, g, 0.0), sa) if self.needs(0) else None
        gb = F.sum_to(F.where(c, 0.0, g), sb) if self.needs(1) else None
        return _cast_grads(self, F, ga, gb)


def where(condition, input=None, other=None):
    if input is None and other is None:
        return tuple(wrap(i) for i in np.nonzero(condition._data))
    input, other = operand(input), operand(other)
    c = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if c.dtype.kind != "b":
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{_dtype.from_numpy_dtype(c.dtype).name.capitalize()}")
    dt = result_dtype(input, other).np
    xa = input._data if isinstance(input, Tensor) else input
    xb = other._data if isinstance(other, Tensor) else other
    try:
        out = wrap(np.asarray(np.where(c, xa, xb), dtype=dt))
    except ValueError:
        raise broadcast_error_n(c.shape, np.shape(xa), np.shape(xb)) from None
    ta, tb = isinstance(input, Tensor), isinstance(other, Tensor)
    if grad_enabled[0] and ((ta and input._requires_grad) or (tb and other._requires_grad)):
        node = WhereBackward0((input if ta else None, other if tb else None))
        node.cond = c
        node.shapes = (np.shape(xa), np.shape(xb))
        _record_dtypes(node, out, input, other)
        attach(out, node)
    return out


# -- comparisons and logic (no gradient) -------------------------------------------------------
def _compare(np_fn):
    def op(input, other):
        xa, xb = binary_data(input, operand(other))
        try:
            return wrap(np.asarray(np_fn(xa, xb)))
        except ValueError:
            raise broadcast_error(np.shape(xa), np.shape(xb)) from None
    return op


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)


def _dunder_eq(self, other):
    if other is None:
        return False
    return eq(self, other)


def _dunder_ne(self, other):
    if other is None:
        return True
    return ne(self, other)


def _logical(np_fn):
    name = np_fn.__name__

    def op(input, other, _pos=2):
        # torch's argument parser: both operands must be Tensors (the method's other is
        # position 1)
        for arg, what, pos in ((input, "input", 1), (other, "other", _pos)):
            if not isinstance(arg, Tensor):
                raise TypeError(f"{name}(): argument '{what}' (position {pos}) must be Tensor, "
                                f"not {type(arg).__name__}")
        try:
            return wrap(np.asarray(np_fn(input._data, other._data)))
        except ValueError:
            raise broadcast_error(input._data.shape, other._data.shape) from None
    return op


logical_and = _logical(np.logical_and)
logical_or = _logical(np.logical_or)
logical_xor = _logical(np.logical_xor)


def logical_not(input):
    return wrap(np.logical_not(input._data))


def bitwise_not(input):
    x = input._data
    if x.dtype.kind not in "iub":
        names = {"float32": "Float", "float64": "Double", "float16": "Half"}
        raise NotImplementedError(
            f'"bitwise_not_cpu" not implemented for \'{names.get(x.dtype.name, x.dtype.name)}\'')
    return wrap(np.invert(x))


def _invert(input):
    """``~t``: Python's operator has its own text in torch (the function form's differs)."""
    if input._data.dtype.kind not in "iub":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(input)


def _bitwise(np_fn, cname):
    def op(self, other):
        other = operand(other)
        xa, xb = binary_data(self, other)
        if np.asarray(xa).dtype.kind == "f":
            dt = _dtype.from_numpy_dtype(np.asarray(xa).dtype).name
            raise NotImplementedError(
                f'"{cname}_cpu" not implemented for \'{"Float" if dt == "float32" else "Double"}\'')
        return wrap(np.asarray(np_fn(xa, xb)))
    return op


_and = _bitwise(np.bitwise_and, "bitwise_and")
_or = _bitwise(np.bitwise_or, "bitwise_or")
_xor = _bitwise(np.bitwise_xor, "bitwise_xor")

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
