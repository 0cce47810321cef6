"""clamp (number and tensor bounds), maximum/minimum and where, with their derivative nodes:
the ops that pick values from their operands. Split out of pointwise.py, which re-exports them.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.graph import Node
from ._binary import _cast_grads
from ._util import (
    attach,
    binary_data,
    broadcast_error,
    broadcast_error_n,
    grad_enabled,
    operand,
    quiet,
    result_dtype,
    wrap,
)


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
        # torch's clamp_backward / clamp_backward_min_max: ties go to x, lo > hi sends
        # everything to hi (a nan x too: its comparisons are all False)
        both = lo is not None and hi is not None
        masks = {0: (True if lo is None else x >= lo) & (True if hi is None else x <= hi),
                 1: ((x < lo) & (lo < hi) if both else x < lo) if lo is not None else None,
                 2: ((x > hi) | (hi < lo) if both else x > hi) if hi is not None else None}
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
        # torch masks (where), not multiplies: a nan gradient stays off the side not picked
        ga = F.sum_to(F.where(wa != 0, g * F.const(wa), 0.0), sa) if self.needs(0) else None
        wb = 1 - wa
        gb = F.sum_to(F.where(wb != 0, g * F.const(wb), 0.0), sb) if self.needs(1) else None
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


# -- masked_fill -------------------------------------------------------------------------------
class MaskedFillBackward0(Node):
    """masked_fill with a number: the filled places get no gradient."""
    __slots__ = ("mask", "shape")
    saves = False

    def backward(self, F, g):
        return (F.sum_to(F.where(np.broadcast_to(self.mask, g.shape), 0.0, g), self.shape),)


class MaskedFillBackward1(MaskedFillBackward0):
    """masked_fill with a 0-d tensor value: edges (self, value); value gets the filled sum."""
    __slots__ = ("vdtype",)

    def backward(self, F, g):
        m = np.broadcast_to(self.mask, g.shape)
        gs = F.sum_to(F.where(m, 0.0, g), self.shape) if self.needs(0) else None
        gv = None
        if self.needs(1):
            gv = F.sum(F.where(m, g, 0.0))
            if F.data(gv).dtype != self.vdtype:
                gv = F.to_dtype(gv, self.vdtype)
        return gs, gv


def masked_fill(input, mask, value):
    from .._inplace import _META_NAMES, _SCALAR_NAMES
    if not isinstance(mask, Tensor) or mask._data.dtype.kind != "b":
        if isinstance(mask, Tensor):
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with "
                               f"dtype {_META_NAMES[mask._data.dtype.name]}")
        raise TypeError(f"masked_fill(): argument 'mask' (position 1) must be Tensor, not "
                        f"{type(mask).__name__}")
    vt = isinstance(value, Tensor)
    if vt:
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value._data.ndim} dimension(s).")
        v = value._data
    else:
        v = value
        if isinstance(v, bool) or not isinstance(v, (int, float, np.generic)):
            if isinstance(v, bool):
                v = int(v)
            else:  # not a number: torch's overload error
                raise TypeError(
                    "masked_fill() received an invalid combination of arguments - got (Tensor, "
                    f"{type(value).__name__}), but expected one of:\n"
                    " * (Tensor mask, Tensor value)\n"
                    " * (Tensor mask, Number value)\n")
    x, m = input._data, mask._data
    try:
        np.broadcast_shapes(x.shape, m.shape)
    except ValueError:
        raise broadcast_error(m.shape, x.shape) from None
    with np.errstate(invalid="ignore", over="ignore"):
        out = wrap(np.where(m, np.asarray(v).astype(x.dtype), x))
    if grad_enabled[0] and (input._requires_grad or (vt and value._requires_grad)):
        if vt and value._requires_grad and x.dtype.kind != "f":
            raise RuntimeError(f"Autograd not support dtype: {_SCALAR_NAMES[x.dtype.name]}")
        node = (MaskedFillBackward1((input, value)) if vt else MaskedFillBackward0((input,)))
        node.mask, node.shape = m, x.shape
        if vt:
            node.vdtype = value._data.dtype
        attach(out, node)
    return out
