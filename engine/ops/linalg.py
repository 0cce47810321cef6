"""matmul and its family; torch's grad_fn depends on the operand ranks."""
from __future__ import annotations

__all__ = ["mm", "mv", "dot", "bmm", "matmul"]

import numpy as np

from .._tensor import Tensor
from ..autograd.graph import Node
from ._util import attach, grad_enabled, wrap

_make = Tensor._make



def _record_product(out, node_cls, a, b):
    """Record a bilinear op: each operand's gradient needs only the other, so torch saves
    ``a`` only when ``b`` requires grad and vice versa."""
    if grad_enabled[0] and (a._requires_grad or b._requires_grad):
        node = node_cls((a, b))
        node.save(a if b._requires_grad else None, b if a._requires_grad else None)
        attach(out, node)
    return out

class MmBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        a, b = self.saved(F)
        ga = g @ F.mT(b) if self.needs(0) else None
        gb = F.mT(a) @ g if self.needs(1) else None
        return ga, gb


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}
_S_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _check_mm(a, b):
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied "
            f"({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_C_NAMES[a.dtype.name]} != "
            f"{_C_NAMES[b.dtype.name]}")


def mm(input, mat2):
    a, b = input._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0] or a.dtype != b.dtype:
        _check_mm(a, b)
    out = _make(a @ b)
    return _record_product(out, MmBackward0, input, mat2)


class MvBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        a, v = self.saved(F)
        ga = F.unsqueeze(g, 1) @ F.unsqueeze(v, 0) if self.needs(0) else None
        gv = F.mT(a) @ g if self.needs(1) else None
        return ga, gv


def mv(input, vec):
    a, v = input._data, vec._data
    if a.ndim == 0:  # torch reads the matrix's size(0) first
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), "
            f"vec ({v.shape[0]})")
    if a.dtype != v.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_C_NAMES[a.dtype.name]} != "
            f"{_C_NAMES[v.dtype.name]}")
    out = wrap(a @ v)
    return _record_product(out, MvBackward0, input, vec)


class DotBackward0(Node):
    __slots__ = ()

    def backward(self, F, g):
        a, b = self.saved(F)
        return (g * b if self.needs(0) else None, g * a if self.needs(1) else None)


def dot(input, tensor):
    a, b = input._data, tensor._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] "
            f"to have the same number of elements, but got {a.shape[0]} and {b.shape[0]} "
            "elements respectively")
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"dot : expected both vectors to have same dtype, but found "
            f"{_S_NAMES[a.dtype.name]} and {_S_NAMES[b.dtype.name]}")
    out = wrap(np.asarray(np.dot(a, b)))
    return _record_product(out, DotBackward0, input, tensor)


class BmmBackward0(MmBackward0):
    __slots__ = ()


def bmm(input, mat2):
    a, b = input._data, mat2._data
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"expected scalar type {_S_NAMES[a.dtype.name]} but found {_S_NAMES[b.dtype.name]}")
    out = wrap(np.matmul(a, b))
    return _record_product(out, BmmBackward0, input, mat2)


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


METHODS = {"mm": mm, "mv": mv, "dot": dot, "bmm": bmm, "matmul": matmul}
