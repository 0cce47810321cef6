"""pow and its three derivative nodes (tensor**number, number**tensor, tensor**tensor),
with torch's integer-power rules; split out of arithmetic.py, which re-exports it.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype
from ..autograd.graph import Node
from ._binary import (
    _SCALARS,
    _arg,
    _cast_grads,
    _casts,
    _is_t,
    _ndarray_op,
    _op_arg,
    _run,
)
from ._util import (
    attach,
    binary_data,
    broadcast_error,
    grad_enabled,
    wrap,
)
from ._util import result_dtype as _result_dtype


# -- pow -------------------------------------------------------------------------------------------
class PowBackward0(Node):
    """tensor ** number: ``grad * (e * x ** (e - 1))`` with ``e`` as a double; zeros for e == 0."""
    __slots__ = ("exponent",)

    def backward(self, F, g):
        (x,) = self.saved(F)
        e = self.exponent
        if e == 0:
            return (F.zeros_like(x),)
        e = float(e)
        with np.errstate(all="ignore"):
            return (g * (e * x ** (e - 1.0)),)


class PowBackward1(Node):
    """tensor ** tensor (torch's pow_backward_self / pow_backward_exponent)."""
    __slots__ = ("shapes", "dtypes")

    def backward(self, F, g):
        sa, sb = self.shapes
        a, b = self.saved(F)
        with np.errstate(all="ignore"):
            ga, gb = self._grads(F, g, a, b, sa, sb)
        return _cast_grads(self, F, ga, gb)

    def _grads(self, F, g, a, b, sa, sb):
        ga = gb = None
        if self.needs(0):
            if F.data(b).dtype.kind == "b":  # torch's formula computes exponent - 1
                raise RuntimeError(
                    "Subtraction, the `-` operator, with a bool tensor is not supported. If you "
                    "are trying to invert a mask, use the `~` or `logical_not()` operator "
                    "instead.")
            gself = g * (b * a ** (b - 1.0))
            ga = F.sum_to(F.where(F.data(b) == 0, 0.0, gself), sa)
        if self.needs(1):
            out = self.result(F)
            zero = (F.data(a) == 0) & (F.data(b) >= 0)
            gb = F.sum_to(g * F.where(zero, 0.0, out * F.log(a)), sb)
        return ga, gb


class PowBackward2(Node):
    """number ** tensor: ``grad * (result * log(base))``; zero where base == 0 and e >= 0."""
    __slots__ = ("base",)

    def backward(self, F, g):
        out = self.result(F)
        base = self.base
        with np.errstate(divide="ignore", invalid="ignore"):
            lb = float(np.log(np.float64(base)))
        with np.errstate(all="ignore"):
            if base == 0:
                (e,) = self.saved(F)
                return (g * F.where(F.data(e) >= 0, 0.0, out * lb),)
            return (g * (out * lb),)


_CTYPES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int",
           "int64": "int64_t"}


def _int_pow(xa, xb):
    """Integer power with torch's rule for negative exponents (1, +-1, else 0)."""
    xa, xb = np.asarray(xa), np.asarray(xb)
    if not np.any(xb < 0):
        return np.power(xa, xb)
    pos = np.power(xa, np.where(xb < 0, 0, xb))
    neg = np.where(xa == 1, 1, np.where(xa == -1, np.where(xb % 2 == 0, 1, -1), 0))
    return np.where(xb < 0, neg, pos).astype(pos.dtype, copy=False)


def _pow(input, exponent):
    ta, tb = _is_t(input), _is_t(exponent)
    dt = _result_dtype(input, exponent)
    if ta and not tb:  # tensor ** number
        if dt.is_floating_point:
            xa, xb = binary_data(input, exponent)
            res = _run(np.power, xa, xb) if xb != 2 else xa * xa
        elif isinstance(exponent, bool) or exponent in (0, 1):
            xa, _ = binary_data(input, exponent)  # torch's shortcuts: x ** 0 = 1, x ** 1 = x
            res = np.ones_like(xa) if exponent == 0 else xa.copy()
        elif dt is _dtype.bool:
            raise NotImplementedError('"pow" not implemented for \'Bool\'')
        else:
            if exponent < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            info = np.iinfo(dt.np)
            if not info.min <= exponent <= info.max:
                raise RuntimeError(f"value cannot be converted to type {_CTYPES[dt.name]} "
                                   "without overflow")
            xa, xb = binary_data(input, exponent)
            res = _run(np.power, xa, xb)
        out = wrap(res)
        if grad_enabled[0] and input._requires_grad:
            node = PowBackward0((input,))
            node.exponent = exponent
            node.save(input)
            attach(out, node)
        return out
    if dt is _dtype.bool:
        if ta and tb:  # torch checks the shapes broadcast before it looks at the dtype
            try:
                np.broadcast_shapes(input._data.shape, exponent._data.shape)
            except ValueError:
                raise broadcast_error(input._data.shape, exponent._data.shape) from None
        raise NotImplementedError('"pow" not implemented for \'Bool\'')
    xa, xb = binary_data(input, exponent)
    res = _run(np.power, xa, xb) if dt.is_floating_point else _run(_int_pow, xa, xb)
    out = wrap(res)
    if not ta:  # number ** tensor
        if grad_enabled[0] and exponent._requires_grad:
            node = PowBackward2((exponent,))
            node.base, node.exponent_t = input, exponent  # exponent_t: torch's _saved_exponent
            node.save_result(out)
            if input == 0:
                node.save(exponent)
            attach(out, node)
        return out
    if grad_enabled[0] and (input._requires_grad or exponent._requires_grad):
        node = PowBackward1((input, exponent))
        node.shapes = (input._data.shape, exponent._data.shape)
        node.save(input, exponent)
        node.save_result(out)
        _casts(node, out, input, exponent)
        attach(out, node)
    return out


def _pow_args(input, exponent):
    if _is_t(input) or _is_t(exponent):
        ok = [_is_t(x) or (isinstance(x, (_SCALARS, np.generic)) and not isinstance(x, complex)
                           and (not isinstance(x, np.generic) or x.dtype.kind in "biuf"))
              for x in (input, exponent)]
        if all(ok):
            return (input if _is_t(input) else _arg(input, "pow", "self", 1),
                    exponent if _is_t(exponent) else _arg(exponent, "pow", "exponent", 2))
    got = ", ".join(type(x).__name__ if not _is_t(x) else "Tensor" for x in (input, exponent))
    raise TypeError(
        f"pow() received an invalid combination of arguments - got ({got}), but expected one "
        "of:\n * (Tensor input, Tensor exponent, *, Tensor out = None)\n * (Number self, "
        "Tensor exponent, *, Tensor out = None)\n * (Tensor input, Number exponent, *, Tensor "
        "out = None)\n")


def pow(input, exponent):  # noqa: A001 - torch's name
    return _pow(*_pow_args(input, exponent))


def _pow_op(self, other):
    if not _is_t(other):
        o = _op_arg(other)
        if o is None:
            return _ndarray_op(self, other, np.power, False)
        other = o
    return _pow(self, other)


def _rpow_op(self, other):
    o = _op_arg(other)
    if o is None:
        return _ndarray_op(self, other, np.power, True)
    other = o
    return _pow(other, self)
