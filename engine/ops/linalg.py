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
        if node_cls is MmBackward0:  # torch's _saved_{self,mat2}_sym_sizes/_sym_strides
            x, y = a._data, b._data
            node.meta = (x.shape, x.strides, x.itemsize, y.shape, y.strides)
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


# -- norms ----------------------------------------------------------------------------------------
class LinalgVectorNormBackward0(Node):
    """torch's linalg_vector_norm_backward, case by case on ``ord``."""
    __slots__ = ("ord", "dim", "keepdim", "dims")

    def backward(self, F, g):
        (x,) = self.saved(F)
        y = self.result(F)
        dims, p = self.dims, float(self.ord)
        if not self.keepdim and len(F.data(x).shape):
            for d in sorted(dims):
                g = F.unsqueeze(g, d)
                y = F.unsqueeze(y, d)
        xd, yd = F.data(x), F.data(y)
        if not len(xd.shape):
            dims = ()
        if p == 0.0:  # torch: an undefined gradient (the leaf's .grad stays None)
            return (None,)
        if p == 1.0:
            return (F.sign(x) * g,)
        if p == 2.0:
            zero = yd == 0
            return (x * F.where(zero, 0.0, g / F.where(zero, 1.0, y)),)
        if p == np.inf or p == -np.inf:
            ax = np.abs(xd)
            mask = (ax == yd) | np.isnan(ax)
            count = mask.sum(axis=dims, keepdims=True) if dims else mask.astype(np.int64)
            return (F.sign(x) * ((g / F.const(count.astype(xd.dtype))) * F.const(
                mask.astype(xd.dtype))),)
        zero = yd == 0
        if p < 1.0:
            scaled = F.where(xd == 0, 0.0, F.sign(x) * F.abs(x) ** (p - 1))
            return (scaled * g * y ** (1 - p),)
        if p < 2.0:
            r = F.sign(x) * F.abs(x) ** (p - 1) * g / F.where(zero, 1.0, y) ** (p - 1)
        else:
            r = x * F.abs(x) ** (p - 2) * g / F.where(zero, 1.0, y) ** (p - 1)
        return (F.where(zero, 0.0, r),)


_NORM_TYPES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
               "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool"}


def _np_vector_norm(x, p, dims, keepdim):
    ax = np.abs(x)
    if p == 2.0:
        r = np.sqrt(np.sum(x * x, axis=dims, keepdims=keepdim))
    elif p == 1.0:
        r = np.sum(ax, axis=dims, keepdims=keepdim)
    elif p == np.inf:
        r = np.max(ax, axis=dims, keepdims=keepdim) if x.size else np.zeros(())
    elif p == -np.inf:
        r = np.min(ax, axis=dims, keepdims=keepdim)
    elif p == 0.0:
        r = np.sum(x != 0, axis=dims, keepdims=keepdim).astype(x.dtype)
    else:
        r = np.sum(ax ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)
    return np.asarray(r, dtype=x.dtype)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002
    from ._util import normalize_dims, quiet
    a = x._data
    if a.dtype.kind != "f":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_NORM_TYPES[a.dtype.name]}")
    if dtype is not None:
        a = a.astype(dtype.np)
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' must be Number, not str")
    dims = tuple(range(a.ndim)) if dim is None else normalize_dims(dim, a.ndim)
    p = float(ord)
    if p < 0 and a.size == 0:
        raise RuntimeError(
            f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
            "operation does not have an identity")
    res = wrap(quiet(_np_vector_norm, a, p, dims if a.ndim else None, keepdim))
    if grad_enabled[0] and x._requires_grad:
        node = LinalgVectorNormBackward0((x,))
        node.ord, node.dims, node.keepdim = ord, dims, keepdim
        node.dim = None if dim is None else (tuple(dim) if not isinstance(dim, int) else (dim,))
        node.save(x)
        node.save_result(res)
        attach(res, node)
    return res


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: A002
    if A._data.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if A._data.dtype.kind != "f":
        raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_NORM_TYPES[A._data.dtype.name]}")
    if ord == "fro":
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if ord in (1, -1, np.inf, -np.inf):
        from .reduction import amax, amin
        n = A._data.ndim
        d0, d1 = dim[0] % n, dim[1] % n
        if ord in (np.inf, -np.inf):
            d0, d1 = d1, d0
        # torch: vector_norm(A, 1, d0).amax(d1) (amin for the negative orders)
        s = vector_norm(A, 1, d0, keepdim, dtype=dtype)
        if not keepdim and d1 > d0:
            d1 -= 1
        return (amax if ord > 0 else amin)(s, d1, keepdim)
    raise NotImplementedError(
        f"linalg.matrix_norm: ord={ord!r} needs a singular value decomposition, which the "
        "engine does not implement")


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    if dim is not None and isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if isinstance(ord, str) or (dim is not None and len(dim) == 2) or (
            dim is None and A._data.ndim == 2):
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm (deprecated in torch, still common): 'fro' and numbers are vector norms."""
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return vector_norm(input, 2, dim, keepdim, dtype=dtype)
        if p == "nuc":
            return matrix_norm(input, "nuc")
        raise RuntimeError(f"linalg.vector_norm: ord={p} not supported")
    return vector_norm(input, 2 if p is None else p, dim, keepdim, dtype=dtype)


__all__ += ["norm"]
METHODS["norm"] = norm
