"""Binary arithmetic: add, sub, rsub, mul, div, pow, neg — forward and derivative together."""
from __future__ import annotations

__all__ = ["add", "sub", "rsub", "mul", "div", "neg", "pow", "subtract", "multiply", "divide",
           "negative", "true_divide"]

import numpy as np

from .._tensor import Tensor
from ..autograd.graph import Node
from ._util import attach, binary_data, grad_enabled, operand, wrap


def _rg(x) -> bool:
    return type(x) is Tensor and x._requires_grad


class AddBackward0(Node):
    __slots__ = ("alpha", "shapes")
    saves = False

    def backward(self, F, g):
        sa, sb = self.shapes
        ga = F.sum_to(g, sa) if self.needs(0) else None
        gb = None
        if self.needs(1):
            gb = F.sum_to(g * self.alpha if self.alpha != 1 else g, sb)
        return ga, gb


def _shape(x):
    return x._data.shape if type(x) is Tensor else ()


def add(input, other, *, alpha=1):
    input, other = operand(input), operand(other)
    if type(input) is not Tensor:  # torch.add(2, t) is t + 2 with the scalar first
        input, other = other, input
    xa, xb = binary_data(input, other)
    out = wrap(xa + (xb * alpha if alpha != 1 else xb))
    if grad_enabled[0] and (_rg(input) or _rg(other)):
        node = AddBackward0((input, other if type(other) is Tensor else None))
        node.alpha = alpha
        node.shapes = (_shape(input), _shape(other))
        attach(out, node)
    return out


class SubBackward0(Node):
    __slots__ = ("alpha", "shapes")
    saves = False

    def backward(self, F, g):
        sa, sb = self.shapes
        ga = F.sum_to(g, sa) if self.needs(0) else None
        gb = F.sum_to(-g * self.alpha if self.alpha != 1 else -g, sb) if self.needs(1) else None
        return ga, gb


def sub(input, other, *, alpha=1):
    input, other = operand(input), operand(other)
    if type(input) is not Tensor:
        return rsub(other, input, alpha=alpha)
    if input._data.dtype.kind == "b" and type(other) is Tensor and other._data.dtype.kind == "b":
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
            "`^` or `logical_xor()` operator instead.")
    xa, xb = binary_data(input, other)
    out = wrap(xa - (xb * alpha if alpha != 1 else xb))
    if grad_enabled[0] and (_rg(input) or _rg(other)):
        node = SubBackward0((input, other if type(other) is Tensor else None))
        node.alpha = alpha
        node.shapes = (_shape(input), _shape(other))
        attach(out, node)
    return out


class RsubBackward1(Node):
    """``scalar - tensor`` (torch's rsub.Scalar): one edge."""
    __slots__ = ("alpha",)
    saves = False

    def backward(self, F, g):
        return (-g * self.alpha if self.alpha != 1 else -g,)


class RsubBackward0(Node):
    __slots__ = ("alpha", "shapes")
    saves = False

    def backward(self, F, g):
        sa, sb = self.shapes
        ga = F.sum_to(-g * self.alpha if self.alpha != 1 else -g, sa) if self.needs(0) else None
        gb = F.sum_to(g, sb) if self.needs(1) else None
        return ga, gb


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    input, other = operand(input), operand(other)
    xa, xb = binary_data(input, other)
    out = wrap(xb - (xa * alpha if alpha != 1 else xa))
    if grad_enabled[0] and (_rg(input) or _rg(other)):
        if type(other) is Tensor:
            node = RsubBackward0((input, other))
            node.shapes = (_shape(input), _shape(other))
        else:
            node = RsubBackward1((input,))
        node.alpha = alpha
        attach(out, node)
    return out


class MulBackward0(Node):
    __slots__ = ("shapes", "scalar")

    def backward(self, F, g):
        sa, sb = self.shapes
        if self.scalar is not None:
            return F.sum_to(g * self.scalar, sa), None
        a, b = self.saved(F)
        ga = F.sum_to(g * b, sa) if self.needs(0) else None
        gb = F.sum_to(g * a, sb) if self.needs(1) else None
        return ga, gb


def mul(input, other):
    input, other = operand(input), operand(other)
    if type(input) is not Tensor:
        input, other = other, input
    xa, xb = binary_data(input, other)
    out = wrap(xa * xb)
    if grad_enabled[0] and (_rg(input) or _rg(other)):
        if type(other) is Tensor:
            node = MulBackward0((input, other))
            node.scalar = None
            # torch saves only what the other input's gradient needs
            node.save(other if input._requires_grad else None,
                      input if other._requires_grad else None)
        else:
            node = MulBackward0((input, None))
            node.scalar = other
        node.shapes = (input._data.shape, _shape(other))
        attach(out, node)
    return out


class DivBackward0(Node):
    __slots__ = ("shapes", "scalar")

    def backward(self, F, g):
        sa, sb = self.shapes
        if self.scalar is not None:
            return F.sum_to(g / self.scalar, sa), None
        a, b = self.saved(F)
        ga = F.sum_to(g / b, sa) if self.needs(0) else None
        gb = F.sum_to(-g * a / (b * b), sb) if self.needs(1) else None
        return ga, gb


def div(input, other, *, rounding_mode=None):
    input, other = operand(input), operand(other)
    if rounding_mode is not None:
        from .pointwise import _div_rounding
        return _div_rounding(input, other, rounding_mode)
    if type(input) is not Tensor:
        from .pointwise import reciprocal
        return mul(reciprocal(other), input)  # torch: scalar / t is t.reciprocal() * scalar
    xa, xb = binary_data(input, other)
    if xa.dtype.kind in "iub":  # true division of integers gives the default float dtype
        from .. import _dtype
        dt = _dtype.get_default_dtype().np
        xa = xa.astype(dt)
        xb = xb.astype(dt) if isinstance(xb, np.ndarray) else xb
    with np.errstate(divide="ignore", invalid="ignore"):
        out = wrap(xa / xb)
    if grad_enabled[0] and (_rg(input) or _rg(other)):
        if type(other) is Tensor:
            node = DivBackward0((input, other))
            node.scalar = None
            node.save(input if other._requires_grad else None, other)
        else:
            node = DivBackward0((input, None))
            node.scalar = other
        node.shapes = (input._data.shape, _shape(other))
        attach(out, node)
    return out


class NegBackward0(Node):
    __slots__ = ()
    saves = False

    def backward(self, F, g):
        return (-g,)


def neg(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead.")
    out = wrap(-input._data)
    if grad_enabled[0] and input._requires_grad:
        attach(out, NegBackward0((input,)))
    return out


class PowBackward0(Node):
    """tensor ** scalar"""
    __slots__ = ("exponent",)

    def backward(self, F, g):
        (x,) = self.saved(F)
        e = self.exponent
        if e == 0:
            return (F.zeros_like(g),)
        return (g * (e * x ** (e - 1)),)


class PowBackward1(Node):
    """tensor ** tensor"""
    __slots__ = ("shapes",)

    def backward(self, F, g):
        sa, sb = self.shapes
        a, b = self.saved(F)
        ga = gb = None
        if self.needs(0):
            ga = F.sum_to(g * b * a ** F.where(F.data(b) == 0, 1.0, b - 1), sa)
        if self.needs(1):
            out = self.result(F)
            ga_log = F.where(F.data(a) == 0, 0.0, F.log(F.where(F.data(a) == 0, 1.0, a)))
            gb = F.sum_to(g * out * ga_log, sb)
        return ga, gb


class PowBackward2(Node):
    """scalar ** tensor"""
    __slots__ = ("base",)

    def backward(self, F, g):
        out = self.result(F)
        return (g * out * float(np.log(self.base)) if self.base != 0 else g * 0,)


def pow(input, exponent):  # noqa: A001 - torch's name
    input, exponent = operand(input), operand(exponent)
    if type(input) is not Tensor:
        xb = exponent._data
        xa = input
        dt = None
        if xb.dtype.kind in "iub" and isinstance(xa, float):
            from .. import _dtype
            dt = _dtype.get_default_dtype().np
            xb = xb.astype(dt)
        out = wrap(np.asarray(np.power(np.asarray(xa, dtype=xb.dtype), xb)))
        if grad_enabled[0] and exponent._requires_grad:
            node = PowBackward2((exponent,))
            node.base = xa
            node.save_result(out)
            attach(out, node)
        return out
    xa, xb = binary_data(input, exponent)
    if type(exponent) is not Tensor:
        if xa.dtype.kind in "iu" and isinstance(xb, int) and xb < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        with np.errstate(divide="ignore", invalid="ignore"):
            out = wrap(np.power(xa, xb) if xb != 2 else xa * xa)
        if grad_enabled[0] and input._requires_grad:
            node = PowBackward0((input,))
            node.exponent = xb
            node.save(input)
            attach(out, node)
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        out = wrap(np.power(xa, xb))
    if grad_enabled[0] and (input._requires_grad or exponent._requires_grad):
        node = PowBackward1((input, exponent))
        node.shapes = (input._data.shape, exponent._data.shape)
        node.save(input, exponent)
        node.save_result(out)
        attach(out, node)
    return out


subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg
METHODS = {"add": add, "sub": sub, "mul": mul, "div": div, "neg": neg, "pow": pow,
           "subtract": sub, "multiply": mul, "divide": div, "true_divide": div,
           "negative": neg}
