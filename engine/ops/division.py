"""div (true, trunc and floor rounding modes) and floor_divide with their derivative nodes;
split out of arithmetic.py, which re-exports them.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.graph import FREED_MSG, Node
from ._binary import (
    _arg,
    _binary_node,
    _cast_grads,
    _casts,
    _edge_t,
    _is_t,
    _ndarray_op,
    _op_arg,
    _rg,
    _run,
    _scalars_only,
    _shape,
)
from ._util import (
    attach,
    binary_data,
    broadcast_error,
    grad_enabled,
    wrap,
)
from ._util import result_dtype as _result_dtype


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
    from .arithmetic import _mul
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
