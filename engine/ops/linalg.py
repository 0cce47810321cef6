"""matmul and its family; torch's grad_fn depends on the operand ranks."""
from __future__ import annotations

__all__ = ["mm", "matmul"]

import numpy as np

from .._tensor import Tensor
from ..autograd.graph import Node
from ._util import attach, grad_enabled, wrap


class MmBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        a, b = self.saved(F)
        ga = g @ F.mT(b) if self.needs(0) else None
        gb = F.mT(a) @ g if self.needs(1) else None
        return ga, gb


def _check_mm(a, b):
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied "
            f"({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")


def mm(input, mat2):
    a, b = input._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    _check_mm(a, b)
    out = wrap(a @ b)
    if grad_enabled[0] and (input._requires_grad or mat2._requires_grad):
        node = MmBackward0((input, mat2))
        node.save(input if mat2._requires_grad else None,
                  mat2 if input._requires_grad else None)
        attach(out, node)
    return out


def matmul(input, other):
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(
            f"matmul(): argument 'other' (position 2) must be Tensor, not "
            f"{type(other).__name__}")
    da, db = input._data.ndim, other._data.ndim
    if da == 2 and db == 2:
        return mm(input, other)
    from . import _matmul_impl
    return _matmul_impl.matmul_general(input, other)


METHODS = {"mm": mm, "matmul": matmul}
