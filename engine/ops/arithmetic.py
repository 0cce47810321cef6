"""Binary arithmetic: add, sub, rsub, mul, div, pow, neg, floor_divide — forward and derivative
together, with torch's operand rules, result_type promotion, grad_fn names and error texts.

Operands: a Tensor or a Python number (numpy scalars count as numbers, as in torch). A function
called with the number first (``torch.add(2, t)``) keeps it first: torch wraps it into a tensor
that does not require grad, so ``next_functions`` is ``((None, 0), (node, 0))``. The operators
differ where torch differs: ``1 - t`` is RsubBackward1 and ``2 / t`` is ``t.reciprocal() * 2``.
"""
from __future__ import annotations

__all__ = ["add", "sub", "rsub", "mul", "div", "neg", "pow", "subtract", "multiply", "divide",
           "negative", "true_divide", "floor_divide", "promote_types", "result_type",
           "can_cast"]

import numbers

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.graph import FREED_MSG, Node
from ._util import (
    INT64_MAX,
    INT64_MIN,
    attach,
    binary_data,
    broadcast_error,
    grad_enabled,
    quiet,
    wrap,
)
from ._util import result_dtype as _result_dtype

_make = Tensor._make
_SCALARS = (bool, int, float)


# -- operands ------------------------------------------------------------------------------------
def _tname(x) -> str:
    t = type(x)
    return f"numpy.{t.__name__}" if t.__module__ == "numpy" else t.__name__


def _arg(x, fname: str, argname: str, pos: int):
    """A function's operand: a Tensor or a number, else torch's argument TypeError."""
    if isinstance(x, Tensor):
        return x
    y = _op_arg(x)
    if y is not None:
        return y
    if isinstance(x, complex):
        raise TypeError("complex numbers are not supported by this engine")
    raise TypeError(
        f"{fname}(): argument '{argname}' (position {pos}) must be Tensor, not {_tname(x)}")


def _op_arg(x):
    """An operator's other operand as a Python number, or None when it is not a number."""
    if isinstance(x, np.generic):  # np.float64 subclasses float: unwrap before the check below
        return x.item() if x.dtype.kind in "biuf" else None
    if isinstance(x, _SCALARS):
        if type(x) is int and not INT64_MIN <= x <= INT64_MAX:
            raise OverflowError("int too big to convert")
        return x
    return None


def _ndarray_op(self, other, npfn, reflected: bool):
    """``tensor op ndarray``: torch hands it to NumPy (its promotion), wrapped back to a Tensor;
    anything else is left to Python (NotImplemented -> "unsupported operand type(s)")."""
    if not isinstance(other, np.ndarray):
        return NotImplemented
    mine = self.numpy()  # torch's "Can't call numpy() on Tensor that requires grad" error
    with np.errstate(all="ignore"):
        res = npfn(other, mine) if reflected else npfn(mine, other)
    return wrap(np.asarray(res))


def _scalars_only(input, other):
    """torch.add(1, 2): both numbers -> the first becomes a 0-d tensor."""
    if not _is_t(input) and not _is_t(other):
        from .creation import tensor
        return tensor(input)
    return input


def _is_t(x) -> bool:
    return type(x) is Tensor or isinstance(x, Tensor)


def _rg(x) -> bool:
    return _is_t(x) and x._requires_grad


def _shape(x):
    return x._data.shape if _is_t(x) else ()


def _edge_t(x):
    return x if _is_t(x) else None


def _run(fn, xa, xb):
    """Apply a NumPy binary function quietly (torch never warns about x / 0, inf - inf);
    broadcasting failures get torch's message."""
    try:
        return quiet(fn, xa, xb)
    except ValueError:
        raise broadcast_error(np.shape(xa), np.shape(xb)) from None


def _binary_node(cls, out, a, b):
    """Record ``out = a op b`` (grad mode on): the node, or None when nothing requires grad.
    Sets ``shapes`` and ``dtypes`` (torch casts each gradient back to its input's dtype)."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if not ((ta and a._requires_grad) or (tb and b._requires_grad)):
        return None
    node = cls((a if ta else None, b if tb else None))
    od = out._data.dtype
    da = a._data.dtype if ta else od
    db = b._data.dtype if tb else od
    node.shapes = (a._data.shape if ta else (), b._data.shape if tb else ())
    node.dtypes = None if da == od and db == od else (da, db)
    out._requires_grad = True
    out.grad_fn = node
    return node


def _casts(node, out, a, b) -> None:
    """torch casts each input's gradient back to that input's dtype (mixed-dtype operands)."""
    od = out._data.dtype
    da = a._data.dtype if _is_t(a) else od
    db = b._data.dtype if _is_t(b) else od
    node.dtypes = None if da == od and db == od else (da, db)


def _cast_grads(node, F, ga, gb):
    d = node.dtypes
    if d is None:
        return ga, gb
    if ga is not None and F.data(ga).dtype != d[0]:
        ga = F.to_dtype(ga, d[0])
    if gb is not None and F.data(gb).dtype != d[1]:
        gb = F.to_dtype(gb, d[1])
    return ga, gb


def _check_alpha(alpha, fname: str, out_dt) -> None:
    if not isinstance(alpha, (numbers.Number, np.generic)) or isinstance(alpha, complex):
        raise TypeError(f"{fname}(): argument 'alpha' must be Number, not {_tname(alpha)}")
    if out_dt.kind == "b":
        return
    if isinstance(alpha, (bool, np.bool_)):
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if out_dt.kind in "iu" and isinstance(alpha, (float, np.floating)):
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number.")


def _scaled(xb, alpha, dt):
    """alpha * other computed in the result dtype (a bool alpha and ints cast like torch)."""
    if dt.kind == "f":
        return xb * alpha
    return xb * np.array(alpha).astype(dt)


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
        _check_alpha(alpha, fname, dt)
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
        _check_alpha(alpha, fname, _result_dtype(input, other).np)
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
        _check_alpha(alpha, "rsub", dt)
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


# -- div -------------------------------------------------------------------------------------------
class DivBackward0(Node):
    """``scalar`` is set when one operand is a number: the divisor (``t / 2``) or, from
    ``torch.div(2, t)``, the dividend."""
    __slots__ = ("shapes", "scalar", "dtypes")

    def backward(self, F, g):
        s = self.scalar
        sa, sb = self.shapes
        if s is not None and self.next_functions[1][0] is None:  # tensor / number
            if self._released:
                raise RuntimeError(FREED_MSG)
            if s == 0:
                with np.errstate(all="ignore"):
                    return _cast_grads(self, F, g / s, None)
            return _cast_grads(self, F, g / s, None)
        a, b = self.saved(F)
        if s is not None:  # number / tensor
            a = s
        with np.errstate(all="ignore"):
            ga = F.sum_to(g / b, sa) if self.needs(0) else None
            gb = F.sum_to(-g * ((a / b) / b), sb) if self.needs(1) else None
        return _cast_grads(self, F, ga, gb)


def _true_div_data(input, other):
    dt = _result_dtype(input, other)
    if dt.is_floating_point:
        return binary_data(input, other)
    # true division of integers computes in the default float dtype (operands cast directly)
    fdt = _dtype.get_default_dtype().np
    xa = input._data.astype(fdt) if _is_t(input) else np.asarray(input, fdt)
    xb = other._data.astype(fdt) if _is_t(other) else np.asarray(other, fdt)
    return xa, xb


def _div(input, other):
    xa, xb = _true_div_data(input, other)
    out = wrap(_run(np.true_divide, xa, xb))
    if grad_enabled[0]:
        node = _binary_node(DivBackward0, out, input, other)
        if node is not None:
            ta, tb = isinstance(input, Tensor), isinstance(other, Tensor)
            if ta and tb:
                node.scalar = None
                node.save(input if other._requires_grad else None, other)
            elif ta:
                node.scalar = other
            else:
                node.scalar = input
                node.save(None, other)
    return out


class _DivModeNoneBackward(DivBackward0):
    """``div(a, b, rounding_mode=None)`` spelled out: torch records its div.Tensor_mode
    overload, DivBackward2, with true division's gradient."""
    __slots__ = ()


_DivModeNoneBackward.__name__ = _DivModeNoneBackward.__qualname__ = "DivBackward2"
_MODE_UNSET = object()  # rounding_mode not passed at all (torch: DivBackward0)


def _div_mode(input, other, rounding_mode):
    if rounding_mode is _MODE_UNSET:
        return _div(input, other)
    if rounding_mode is not None:
        return _div_rounding(input, other, rounding_mode)
    out = _div(input, other)
    if type(out.grad_fn) is DivBackward0:
        out.grad_fn.__class__ = _DivModeNoneBackward
    return out


def div(input, other, *, rounding_mode=_MODE_UNSET):
    input, other = _arg(input, "div", "input", 1), _arg(other, "div", "other", 2)
    input = _scalars_only(input, other)
    return _div_mode(input, other, rounding_mode)


def _div_op(self, other):
    if not _is_t(other):
        o = _op_arg(other)
        if o is None:
            return _ndarray_op(self, other, np.true_divide, False)
        other = o
    return _div(self, other)


def _rdiv_op(self, other):
    """``number / tensor``: torch computes ``tensor.reciprocal() * number``."""
    o = _op_arg(other)
    if o is None:
        return _ndarray_op(self, other, np.true_divide, True)
    other = o
    from .pointwise import reciprocal
    return _mul(reciprocal(self), other)


class DivBackward2(Node):
    """div with a rounding mode: zero gradients (torch saves the divisor all the same)."""
    __slots__ = ("shapes", "dtypes")

    def backward(self, F, g):
        if self._released:
            raise RuntimeError(FREED_MSG)
        sa, sb = self.shapes
        z = F.zeros_like(g)
        return _cast_grads(self, F, F.sum_to(z, sa) if self.needs(0) else None,
                           F.sum_to(z, sb) if self.needs(1) else None)


def _int_div(xa, xb, mode: str):
    try:  # torch broadcasts before it looks for a zero divisor
        np.broadcast_shapes(np.shape(xa), np.shape(xb))
    except ValueError:
        raise broadcast_error(np.shape(xa), np.shape(xb)) from None
    if np.any(np.asarray(xb) == 0):
        raise RuntimeError("ZeroDivisionError")
    q = np.floor_divide(xa, xb)
    if mode == "trunc":  # C division: round toward zero
        r = xa - q * xb
        q = q + ((r != 0) & ((np.asarray(xa) < 0) != (np.asarray(xb) < 0))).astype(q.dtype)
    return q


def _div_rounding(input, other, rounding_mode):
    """torch.div(a, b, rounding_mode='trunc'|'floor'): integers stay integers."""
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    xa, xb = binary_data(input, other)
    dt = _result_dtype(input, other)
    if dt is _dtype.bool:
        raise NotImplementedError(f'"div_{rounding_mode}_cpu" not implemented for \'Bool\'')
    if not dt.is_floating_point:
        with np.errstate(all="ignore"):
            res = _int_div(xa, xb, rounding_mode)
    elif rounding_mode == "floor":  # NumPy's float floor_divide is torch's (Python's) algorithm
        res = _run(np.floor_divide, xa, xb)
    else:
        res = np.trunc(_run(np.true_divide, xa, xb))
    out = wrap(res)
    if grad_enabled[0] and (_rg(input) or _rg(other)):
        node = DivBackward2((_edge_t(input), _edge_t(other)))
        node.shapes = (_shape(input), _shape(other))
        _casts(node, out, input, other)
        attach(out, node)
    return out


# torch's floor_divide records a node literally named "NotImplemented" (no derivative)
class _FloorDivideNode(Node):
    __slots__ = ()
    saves = False

    def name(self) -> str:
        return "torch::autograd::NotImplemented"

    def backward(self, F, g):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


_FloorDivideNode.__name__ = _FloorDivideNode.__qualname__ = "NotImplemented"


def _floor_divide(input, other):
    was = grad_enabled[0]
    grad_enabled[0] = False
    try:
        out = _div_rounding(input, other, "floor")
    finally:
        grad_enabled[0] = was
    if was and (_rg(input) or _rg(other)):
        # torch's NotImplemented node has an edge per input that requires grad, and no other
        edges = tuple(t for t in (input, other) if _rg(t))
        attach(out, _FloorDivideNode(edges))
    return out


def floor_divide(input, other):
    return _floor_divide(_arg(input, "floor_divide", "input", 1),
                         _arg(other, "floor_divide", "other", 2))


def _floordiv_op(self, other):
    if not _is_t(other):
        o = _op_arg(other)
        if o is None:
            return _ndarray_op(self, other, np.floor_divide, False)
        other = o
    return _floor_divide(self, other)


def _rfloordiv_op(self, other):
    o = _op_arg(other)
    if o is None:
        return _ndarray_op(self, other, np.floor_divide, True)
    other = o
    return _floor_divide(other, self)


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


# -- in-place operators (+= -= *= /= **=) ---------------------------------------------------------
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."


def _inplace(self, other, fn, npfn):
    """torch's in-place semantics for ``self op= other``.

    Without autograd recording, the result is written into ``self``'s buffer (views and
    from_numpy arrays see it; ``_version`` bumps). When the op must be recorded (self or other
    requires grad, grad mode on), a leaf requiring grad raises torch's error; otherwise the
    result is computed out of place against an alias of the old ``self`` and rebound onto
    ``self`` (data, grad_fn, version) — a simplification: tensors that were views of ``self``
    do not see the new values, and nodes that saved ``self``'s *output* array keep the old one
    (torch would raise the "modified by an inplace operation" error there).
    """
    if not _is_t(other):
        other = _op_arg(other)
        if other is None:
            return NotImplemented
    if grad_enabled[0] and (self._requires_grad or _rg(other)):
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError(LEAF_INPLACE)
        old = _make(self._data, self._requires_grad, self.grad_fn, self._output_nr)
        old._version = self._version
        out = fn(old, other)
        _check_inplace_result(self, out._data)
        self._data = out._data if out._data.dtype == self._data.dtype else \
            out._data.astype(self._data.dtype)
        self._requires_grad = True
        self.grad_fn = out.grad_fn
        self._output_nr = 0
        self._version += 1
        return self
    was = grad_enabled[0]
    grad_enabled[0] = False
    try:
        res = fn(self, other)._data
    finally:
        grad_enabled[0] = was
    _check_inplace_result(self, res)
    self._data[...] = res
    self._version += 1
    return self


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


# -- dtype helpers exported as torch.promote_types / result_type / can_cast ----------------------
def promote_types(type1, type2):
    return _dtype.promote_types(type1, type2)


def result_type(tensor1, tensor2):
    return _result_dtype(_arg(tensor1, "result_type", "tensor1", 1),
                         _arg(tensor2, "result_type", "tensor2", 2))


def can_cast(from_, to):
    return _dtype.can_cast(from_, to)


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
