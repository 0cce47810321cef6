"""torch.matmul for every rank combination except 2-D @ 2-D (linalg.mm's fast path).

Follows ATen's ``_matmul_impl`` step by step, composing the same recorded ops, so the
grad_fn chain is torch's: dot / mv / unsqueeze+mm+squeeze_ / folding into mm or mv /
expand+reshape+bmm, each wrapped in ``_unsafe_view``.
"""
from __future__ import annotations

import numpy as np

from . import linalg, shape
from ._util import attach


def _squeeze_(t, dim):
    """torch's in-place ``squeeze_(dim)`` on a fresh result: SqueezeBackward4."""
    x = t._data
    if x.shape[dim] != 1:
        return t
    in_shape = x.shape
    t._data = np.squeeze(x, dim)
    if t.grad_fn is not None:
        node = shape.SqueezeBackward4((t,))
        node.shape, node.dim = in_shape, dim
        attach(t, node)
    return t


def _should_fold(t1, t2) -> bool:
    """ATen's should_fold: fold the bigger operand into a matrix and use mm/mv."""
    d1, d2 = t1._data.ndim, t2._data.ndim
    larger = d1 >= d2
    big = t1._data if larger else np.swapaxes(t2._data, -1, -2)
    dim_big, dim_small = (d1, d2) if larger else (d2, d1)
    if not (dim_big >= 3 and dim_small <= 2):
        return False
    small_rg = t2._requires_grad if larger else t1._requires_grad
    if small_rg:
        return True
    if d1 == 2:
        return False
    if big.size == 0:
        return True
    st, sh = big.strides, big.shape
    return all(st[i] == st[i + 1] * sh[i + 1] for i in range(dim_big - 2))


def _broadcast(b1, b2):
    """infer_size over batch shapes, with torch's error text."""
    n = max(len(b1), len(b2))
    out = [0] * n
    for i in range(n - 1, -1, -1):  # torch checks from the last dim
        a = b1[i - n + len(b1)] if i - n + len(b1) >= 0 else 1
        b = b2[i - n + len(b2)] if i - n + len(b2) >= 0 else 1
        if a != b and a != 1 and b != 1:
            raise RuntimeError(
                f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                f"non-singleton dimension {i}")
        out[i] = b if a == 1 else a
    return tuple(out)


def matmul_general(t1, t2):
    d1, d2 = t1._data.ndim, t2._data.ndim
    if d1 == 0 or d2 == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {d1}D and {d2}D")
    if d1 == 1 and d2 == 1:
        return linalg.dot(t1, t2)
    if d1 == 2 and d2 == 1:
        return linalg.mv(t1, t2)
    if d1 == 1 and d2 == 2:
        s1, s2 = t1._data.shape, t2._data.shape
        if s1[0] != s2[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                               f"(1x{s1[0]} and {s2[0]}x{s2[1]})")
        return _squeeze_(linalg.mm(shape.unsqueeze(t1, 0), t2), 0)
    if _should_fold(t1, t2):
        transpose = d2 > d1
        a = shape.transpose(t2, -1, -2) if transpose else t1
        b = (shape.t(t1) if d1 == 2 else t1) if transpose else t2
        sa = a._data.shape
        out_shape = sa[:-1]
        folded = int(np.prod(out_shape))
        b_is_matrix = b._data.ndim == 2
        if b_is_matrix:
            out_shape = out_shape + (b._data.shape[1],)
            af = shape.reshape(a, folded, sa[-1])
            _check_fold(af, b)
            out = shape._unsafe_view(linalg.mm(af, b), out_shape)
            return shape.contiguous(shape.transpose(out, -1, -2)) if transpose else out
        af = shape.reshape(a, folded, sa[-1])
        if af._data.shape[1] != b._data.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({folded}), mat ({folded}x{sa[-1]}), "
                               f"vec ({b._data.shape[0]})")
        return shape._unsafe_view(linalg.mv(af, b), out_shape)
    s1, s2 = t1._data.shape, t2._data.shape
    if d1 == 3 and d2 == 3:
        # ATen avoids a batched gradient for a batch-of-one operand that requires grad
        if s1[0] != 1 and s2[0] == 1 and t2._requires_grad:
            return matmul_general(t1, shape.squeeze(t2, 0))
        if s1[0] == 1 and s2[0] != 1 and t1._requires_grad:
            return matmul_general(shape.squeeze(t1, 0), t2)
    n = s1[-2] if d1 > 1 else 1
    m1 = s1[-1]
    m2 = s2[-2] if d2 > 1 else s2[0]
    p = s2[-1] if d2 > 1 else 1
    batch = _broadcast(s1[:max(d1 - 2, 0)], s2[:max(d2 - 2, 0)])
    bp = int(np.prod(batch))
    e1 = shape.reshape(shape.expand(t1, batch + (n, m1)), bp, n, m1)
    r2 = shape.unsqueeze(t2, -1) if d2 == 1 else t2
    e2 = shape.reshape(shape.expand(r2, batch + (m2, p)), bp, m2, p)
    if m1 != m2:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{bp}, {m1}] but "
            f"got: [{bp}, {m2}].")
    out_shape = batch + ((n,) if d1 > 1 else ()) + ((p,) if d2 > 1 else ())
    out = linalg.bmm(e1, e2)
    if d2 == 1:  # ATen multiplies by the vector as a column and squeezes it away again
        out = shape.squeeze(out, -1)
    return shape._unsafe_view(out, out_shape)


def _check_fold(a, b):
    sa, sb = a._data.shape, b._data.shape
    if sa[1] != sb[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({sa[0]}x{sa[1]} and {sb[0]}x{sb[1]})")


