"""cat/stack (join) and split/chunk (the inverse), with their derivative nodes; split out of
shape.py, which re-exports them.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, no_grad_view
from ..autograd.graph import Node
from ._shape_util import (
    _dim,
    _fmt,
)
from ._util import attach, grad_enabled, result_dtype

_make = Tensor._make


# -- cat / stack / split ---------------------------------------------------------------------
class CatBackward0(Node):
    __slots__ = ("dim", "sizes")
    saves = False

    def backward(self, F, g):
        parts = F.split(g, self.sizes, self.dim)
        return tuple(p if self.needs(i) else None for i, p in enumerate(parts))


def _tensor_list(tensors, what):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{what}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        "not Tensor")
    return list(tensors)


def cat(tensors, dim=0, *, out=None):
    ts = _tensor_list(tensors, "cat")
    if not ts:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, tt in enumerate(ts):
        if tt._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    first = ts[0]._data
    d = _dim(dim, first.ndim)
    for i, tt in enumerate(ts[1:], 1):
        y = tt._data
        if y.ndim != first.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {first.ndim} and {y.ndim}")
        for k in range(first.ndim):
            if k != d and y.shape[k] != first.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{first.shape[k]} but got size {y.shape[k]} for tensor number {i} in the "
                    "list.")
    npd = result_dtype(*ts).np if len(ts) > 1 else first.dtype
    res = _make(np.concatenate([tt._data for tt in ts], axis=d, dtype=npd))
    if grad_enabled[0] and any(tt._requires_grad for tt in ts):
        node = CatBackward0(ts)
        node.dim = d
        node.sizes = [tt._data.shape[d] for tt in ts]
        attach(res, node)
    return res


concat = concatenate = cat


class StackBackward0(Node):
    __slots__ = ("dim", "shape")
    saves = False

    def backward(self, F, g):
        n = len(self.next_functions)
        parts = F.split(g, [1] * n, self.dim)
        return tuple(F.reshape(p, self.shape) if self.needs(i) else None
                     for i, p in enumerate(parts))


def stack(tensors, dim=0, *, out=None):
    ts = _tensor_list(tensors, "stack")
    if not ts:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = ts[0]._data.shape
    d = _dim(dim, len(shape) + 1)
    for i, tt in enumerate(ts[1:], 1):
        if tt._data.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {_fmt(shape)} at entry 0 "
                f"and {_fmt(tt._data.shape)} at entry {i}")
    npd = result_dtype(*ts).np if len(ts) > 1 else ts[0]._data.dtype
    res = _make(np.stack([tt._data for tt in ts], axis=d, dtype=npd))
    if grad_enabled[0] and any(tt._requires_grad for tt in ts):
        node = StackBackward0(ts)
        node.dim, node.shape = d, shape
        attach(res, node)
    return res


class SplitBackward0(Node):
    __slots__ = ("dim", "num_outputs", "output_shapes")
    saves = False

    def backward(self, F, g):
        if self.num_outputs == 1:
            return (g if not isinstance(g, list) else g[0],)
        return (F.cat(list(g), self.dim),)


class SplitWithSizesBackward0(SplitBackward0):
    __slots__ = ()


def _split(input, sizes, d, cls):
    x = input._data
    lead = (slice(None),) * d
    parts, start = [], 0
    for n in sizes:  # basic slicing: views, as torch's split
        parts.append(x[lead + (slice(start, start + n),)])
        start += n
    if input._requires_grad and not grad_enabled[0]:
        outs = tuple(no_grad_view(input._viewed_as(_make(p))) for p in parts)
        for o in outs:
            o._multi_view = True
        return outs
    rg = grad_enabled[0] and input._requires_grad
    node = None
    if rg:
        node = cls((input,))
        node.dim = d
        node.num_outputs = len(parts)
        node.output_shapes = [(p.shape, p.dtype) for p in parts]
    outs = tuple(input._viewed_as(_make(p, rg, node, i if rg else 0)) for i, p in enumerate(parts))
    for o in outs:  # torch forbids in-place on these under grad mode
        o._multi_view = True
    return outs


def split(tensor, split_size_or_sections, dim=0):
    x = tensor._data
    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _dim(dim, x.ndim)
    n = x.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {d}), but got split_sizes={_fmt(sizes)}")
        return _split(tensor, sizes, d, SplitWithSizesBackward0)
    s = int(split_size_or_sections)
    if s == 0 and n != 0:
        raise RuntimeError(
            f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
    if s < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
    sizes = [s] * (n // s) + ([n % s] if n % s else []) if s else [0]
    return _split(tensor, sizes or [0], d, SplitBackward0)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    d = _dim(dim, x.ndim)
    n = x.shape[d]
    return split(input, -(-n // chunks) if n else 1, d)
