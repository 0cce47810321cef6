"""Unary pointwise ops and their derivatives (one place per formula)."""
from __future__ import annotations

__all__ = ["exp", "log", "tanh", "sigmoid"]

import numpy as np

from ..autograd.graph import Node
from ._util import attach, float_input, grad_enabled, wrap


def _unary(node_cls, fn, save_input=False, save_result=False):
    """Build the forward function of a unary op recorded as ``node_cls``."""

    def op(input):
        out = wrap(fn(float_input(input, node_cls.__name__)))
        if grad_enabled[0] and input._requires_grad:
            node = node_cls((input,))
            if save_input:
                node.save(input)
            if save_result:
                node.save_result(out)
            attach(out, node)
        return out

    return op


class ExpBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        return (g * self.result(F),)


class LogBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        (x,) = self.saved(F)
        return (g / x,)


class TanhBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        y = self.result(F)
        return (g * (1 - y * y),)


class SigmoidBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        y = self.result(F)
        return (g * (y * (1 - y)),)


def _np_sigmoid(x):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


exp = _unary(ExpBackward0, np.exp, save_result=True)
log = _unary(LogBackward0, np.log, save_input=True)
tanh = _unary(TanhBackward0, np.tanh, save_result=True)
sigmoid = _unary(SigmoidBackward0, _np_sigmoid, save_result=True)

METHODS = {name: globals()[name] for name in __all__}
