"""Binary arithmetic: add, sub, rsub, mul, div, pow, neg, floor_divide — forward and derivative
together, with torch's operand rules, result_type promotion, grad_fn names and error texts.

Operands: a Tensor or a Python number (numpy scalars count as numbers, as in torch). A function
called with the number first (``torch.add(2, t)``) keeps it first: torch wraps it into a tensor
that does not require grad, so ``next_functions`` is ``((None, 0), (node, 0))``. The operators
differ where torch differs: ``1 - t`` is RsubBackward1 and ``2 / t`` is ``t.reciprocal() * 2``.

The module is split along its seams: operand parsing and promotion live in _binary.py, div and
floor_divide in division.py, pow in power.py; this module keeps add/sub/rsub/mul/neg, the
in-place operators and the method/operator tables, and re-exports the public names.
"""
from __future__ import annotations

__all__ = ["add", "sub", "rsub", "mul", "div", "neg", "pow", "subtract", "multiply", "divide",
           "negative", "true_divide", "floor_divide", "promote_types", "result_type",
           "can_cast"]

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.graph import FREED_MSG, Node
from ._binary import (
    _arg,
    _binary_node,
    _cast_grads,
    _casts,
    _check_alpha,
    _is_t,
    _make,
    _ndarray_op,
    _op_arg,
    _rg,
    _run,
    _scalars_only,
    _scaled,
    _shape,
    _tname,
    can_cast,
    promote_types,
    result_type,
)
from ._util import (
    INT64_MAX,
    INT64_MIN,
    attach,
    binary_data,
    grad_enabled,
    quiet,
    wrap,
)
from ._util import result_dtype as _result_dtype
from .division import (
    _MODE_UNSET,
    DivBackward0,  # noqa: F401 - re-exported
    DivBackward2,  # noqa: F401 - re-exported
    _div_mode,
    _div_op,
    _floor_divide,
    _floordiv_op,
    _rdiv_op,
    _rfloordiv_op,
    div,
    floor_divide,
)
from .power import (
    PowBackward0,  # noqa: F401 - re-exported
    PowBackward1,  # noqa: F401 - re-exported
    PowBackward2,  # noqa: F401 - re-exported
    _pow,
    _pow_args,
    _pow_op,
    _rpow_op,
    pow,
)


# -- add -----------------------------------------------------------------------------------------
class AddBackward0(Node):
    __slots__ = ("alpha", "shapes", "dtypes")
    saves = False

    def backward(self, F, g):
        sa, sb = self.shapes
        ga = F.sum_to(g, sa) if self.needs(0) else None
        gb = None
        if self.needs(1):
            gb = F.sum_to(g * self.alpha if self.alpha != 1 else g, sb)
        return _cast_grads(self, F, ga, gb)


def _add(input, other, alpha, fname="add"):
    xa, xb = binary_data(input, other)
    if alpha != 1 or type(alpha) is not int:
        dt = _result_dtype(input, other).np
        _check_alpha(alpha, fname, dt, input, other)
        if alpha != 1:
            xb = _scaled(xb, alpha, dt)
    out = wrap(_run(np.add, xa, xb))
    if grad_enabled[0]:
        node = _binary_node(AddBackward0, out, input, other)
        if node is not None:
            node.alpha = alpha
    return out


def _add_fast(input, other):
    """float tensor + Python float/int: the overhead-bound case (``h * 1.01 + 0.1``)."""
    out = _make(quiet(np.add, input._data, other))  # no overflow warning, as torch
    if grad_enabled[0] and input._requires_grad:
        node = AddBackward0((input, None))
        node.alpha = 1
        node.shapes = (input._data.shape, ())
        node.dtypes = None
        out._requires_grad = True
        out.grad_fn = node
    return out


def add(input, other, *, alpha=1):
    if type(input) is Tensor and alpha == 1 and alpha is not True and \
            input._data.dtype.kind == "f" and (
            type(other) is float or (type(other) is int and INT64_MIN <= other <= INT64_MAX)):
        return _add_fast(input, other)
    input, other = _arg(input, "add", "input", 1), _arg(other, "add", "other", 2)
    return _add(_scalars_only(input, other), other, alpha)


def _add_op(self, other):
    if self._data.dtype.kind == "f" and (type(other) is float or (
            type(other) is int and INT64_MIN <= other <= INT64_MAX)):
        return _add_fast(self, other)
    if not _is_t(other):
        o = _op_arg(other)
        if o is None:
            return _ndarray_op(self, other, np.add, False)
        other = o
    return _add(self, other, 1)


# -- sub / rsub ------------------------------------------------------------------------------------
def _is_bool(x) -> bool:
    return type(x) is bool or (_is_t(x) and x._data.dtype.kind == "b")


def _sub_check(a, b) -> None:
    ba, bb = _is_bool(a), _is_bool(b)
    if ba and bb:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
            "`^` or `logical_xor()` operator instead.")
    if ba or bb:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead.")


class SubBackward0(Node):
    __slots__ = ("alpha", "shapes", "dtypes")
    saves = False

    def backward(self, F, g):
        sa, sb = self.shapes
        ga = F.sum_to(g, sa) if self.needs(0) else None
        gb = F.sum_to(-g * self.alpha if self.alpha != 1 else -g, sb) if self.needs(1) else None
        return _cast_grads(self, F, ga, gb)


def _sub(input, other, alpha, fname="sub"):
    _sub_check(input, other)
    xa, xb = binary_data(input, other)
    if alpha != 1 or type(alpha) is not int:
        _check_alpha(alpha, fname, _result_dtype(input, other).np, input, other)
        if alpha != 1:
            xb = _scaled(xb, alpha, _result_dtype(input, other).np)
    out = wrap(_run(np.subtract, xa, xb))
    if grad_enabled[0]:
        node = _binary_node(SubBackward0, out, input, other)
        if node is not None:
            node.alpha = alpha
    return out


def sub(input, other, *, alpha=1):
    input, other = _arg(input, "sub", "input", 1), _arg(other, "sub", "other", 2)
    return _sub(_scalars_only(input, other), other, alpha)


def _sub_op(self, other):
    if not _is_t(other):
        o = _op_arg(other)
        if o is None:
            return _ndarray_op(self, other, np.subtract, False)
        other = o
    return _sub(self, other, 1)


class RsubBackward1(Node):
    """``scalar - tensor`` (torch's rsub.Scalar): one edge."""
    __slots__ = ("alpha",)
    saves = False

    def backward(self, F, g):
        return (-g * self.alpha if self.alpha != 1 else -g,)


class RsubBackward0(Node):
    __slots__ = ("alpha", "shapes", "dtypes")
    saves = False

    def backward(self, F, g):
        sa, sb = self.shapes
        ga = F.sum_to(-g * self.alpha if self.alpha != 1 else -g, sa) if self.needs(0) else None
        gb = F.sum_to(g, sb) if self.needs(1) else None
        return _cast_grads(self, F, ga, gb)


def _rsub(input, other, alpha):
    """other - alpha * input; ``input`` is a Tensor."""
    _sub_check(other, input)
    xa, xb = binary_data(input, other)
    if alpha != 1 or type(alpha) is not int:
        dt = _result_dtype(input, other).np
        _check_alpha(alpha, "rsub", dt, other, input)
        if alpha != 1:
            xa = _scaled(xa, alpha, dt)
    out = wrap(_run(np.subtract, xb, xa))
    if grad_enabled[0] and (_rg(input) or _rg(other)):
        if _is_t(other):
            node = RsubBackward0((input, other))
            node.shapes = (_shape(input), _shape(other))
            _casts(node, out, input, other)
        else:
            node = RsubBackward1((input,))
        node.alpha = alpha
        attach(out, node)
    return out


def rsub(input, other, *, alpha=1):
    """torch.rsub: ``other - alpha * input``."""
    input, other = _arg(input, "rsub", "input", 1), _arg(other, "rsub", "other", 2)
    return _rsub(_scalars_only(input, other), other, alpha)


def _rsub_op(self, other):
    o = _op_arg(other)
    if o is None:
        return _ndarray_op(self, other, np.subtract, True)
    other = o
    return _rsub(self, other, 1)


# -- mul -------------------------------------------------------------------------------------------
class MulBackward0(Node):
    """``scalar`` is set when one operand is a number (torch saves it: backward twice fails)."""
    __slots__ = ("shapes", "scalar", "dtypes")

    def backward(self, F, g):
        s = self.scalar
        if s is not None:
            if self._released:
                raise RuntimeError(FREED_MSG)
            gs = g * s
            if self.dtypes is not None:
                return _cast_grads(self, F, gs if self.needs(0) else None,
                                   gs if self.needs(1) else None)
            return (gs, None) if self.needs(0) else (None, gs)
        sa, sb = self.shapes
        a, b = self.saved(F)
        ga = F.sum_to(g * b, sa) if self.needs(0) else None
        gb = F.sum_to(g * a, sb) if self.needs(1) else None
        return _cast_grads(self, F, ga, gb)


def _mul(input, other):
    xa, xb = binary_data(input, other)
    out = wrap(_run(np.multiply, xa, xb))
    if grad_enabled[0]:
        node = _binary_node(MulBackward0, out, input, other)
        if node is not None:
            ta, tb = isinstance(input, Tensor), isinstance(other, Tensor)
            if ta and tb:
                node.scalar = None
                # torch saves only what the other input's gradient needs
                node.save(input if other._requires_grad else None,
                          other if input._requires_grad else None)
            else:
                node.scalar = other if ta else input
    return out


def _mul_fast(input, other):
    """float tensor * Python float/int (the overhead-bound case)."""
    out = _make(quiet(np.multiply, input._data, other))  # inf * 0: no warning
    if grad_enabled[0] and input._requires_grad:
        node = MulBackward0((input, None))
        node.scalar = other
        node.shapes = (input._data.shape, ())
        node.dtypes = None
        out._requires_grad = True
        out.grad_fn = node
    return out


def mul(input, other):
    if type(input) is Tensor and input._data.dtype.kind == "f" and (
            type(other) is float or (type(other) is int and INT64_MIN <= other <= INT64_MAX)):
        return _mul_fast(input, other)
    input, other = _arg(input, "mul", "input", 1), _arg(other, "mul", "other", 2)
    return _mul(_scalars_only(input, other), other)


def _mul_op(self, other):
    if self._data.dtype.kind == "f" and (type(other) is float or (
            type(other) is int and INT64_MIN <= other <= INT64_MAX)):
        return _mul_fast(self, other)
    if not _is_t(other):
        o = _op_arg(other)
        if o is None:
            return _ndarray_op(self, other, np.multiply, False)
        other = o
    return _mul(self, other)


# -- neg -------------------------------------------------------------------------------------------
class NegBackward0(Node):
    __slots__ = ()
    saves = False

    def backward(self, F, g):
        return (-g,)


def neg(input):
    if not _is_t(input):
        raise TypeError(
            f"neg(): argument 'input' (position 1) must be Tensor, not {_tname(input)}")
    if input._data.dtype.kind == "b":
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead.")
    out = wrap(-input._data)
    if grad_enabled[0] and input._requires_grad:
        attach(out, NegBackward0((input,)))
    return out


# -- in-place operators (+= -= *= /= **=) ---------------------------------------------------------
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."


def _inplace(self, other, fn, npfn):
    """torch's in-place semantics for ``self op= other``: the same as ``self.add_(other)``...
    (Tensor._binary_): the result is written into ``self``'s buffer, so views, detached
    aliases and from_numpy arrays see it and the shared version counter moves on; when the op
    is recorded, ``self`` takes the new grad_fn (a leaf requiring grad raises torch's error)."""
    if not _is_t(other):
        other = _op_arg(other)
        if other is None:
            return NotImplemented
    return self._binary_(fn, other)


def _check_inplace_result(self, res) -> None:
    sd = self._data
    if res.shape != sd.shape:
        shape = ", ".join(map(str, sd.shape))
        bshape = ", ".join(map(str, res.shape))
        raise RuntimeError(
            f"output with shape [{shape}] doesn't match the broadcast shape [{bshape}]")
    if res.dtype != sd.dtype:
        rd, sdt = _dtype.from_numpy_dtype(res.dtype), _dtype.from_numpy_dtype(sd.dtype)
        if not _dtype.can_cast(rd, sdt):
            raise RuntimeError(f"result type {_dtype.SCALAR_NAMES[rd]} can't be cast to the "
                               f"desired output type {_dtype.SCALAR_NAMES[sdt]}")


def _iadd(self, other):
    return _inplace(self, other, _add_op, np.add)


def _isub(self, other):
    return _inplace(self, other, _sub_op, np.subtract)


def _imul(self, other):
    return _inplace(self, other, _mul_op, np.multiply)


def _itruediv(self, other):
    return _inplace(self, other, _div_op, np.true_divide)


def _ipow(self, other):
    return _inplace(self, other, _pow_op, np.power)


# -- method forms (torch numbers a method's ``other`` as position 1) -----------------------------
def _m_add(self, other, *, alpha=1):
    if alpha == 1 and type(other) is float and self._data.dtype.kind == "f":
        return _add_fast(self, other)
    return _add(self, _arg(other, "add", "other", 1), alpha)


def _m_sub(self, other, *, alpha=1):
    return _sub(self, _arg(other, "sub", "other", 1), alpha)


def _m_mul(self, other):
    if type(other) is float and self._data.dtype.kind == "f":
        return _mul_fast(self, other)
    return _mul(self, _arg(other, "mul", "other", 1))


def _m_div(self, other, *, rounding_mode=_MODE_UNSET):
    other = _arg(other, "div", "other", 1)
    return _div_mode(self, other, rounding_mode)


def _m_pow(self, exponent):
    return _pow(*_pow_args(self, exponent))


def _m_floor_divide(self, other):
    return _floor_divide(self, _arg(other, "floor_divide", "other", 1))


subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg
METHODS = {"add": _m_add, "sub": _m_sub, "mul": _m_mul, "div": _m_div, "neg": neg,
           "pow": _m_pow, "subtract": _m_sub, "multiply": _m_mul, "divide": _m_div,
           "true_divide": _m_div, "negative": neg, "floor_divide": _m_floor_divide,
           "__floordiv__": _floordiv_op, "__rfloordiv__": _rfloordiv_op,
           "__iadd__": _iadd, "__isub__": _isub, "__imul__": _imul, "__itruediv__": _itruediv,
           "__ipow__": _ipow}
# Bound last by ops/__init__.py (after every module's METHODS).
OPERATORS = {"__add__": _add_op, "__radd__": _add_op, "__sub__": _sub_op,
             "__rsub__": _rsub_op, "__mul__": _mul_op, "__rmul__": _mul_op,
             "__truediv__": _div_op, "__rtruediv__": _rdiv_op, "__pow__": _pow_op,
             "__rpow__": _rpow_op, "__neg__": neg}
