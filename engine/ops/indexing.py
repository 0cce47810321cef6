"""``Tensor.__getitem__`` / ``__setitem__`` the way torch applies an index.

torch walks the index left to right: an int is a ``select`` (SelectBackward0), a slice that is
not the full range a ``slice`` (SliceBackward0), None an ``unsqueeze``; integer/bool tensors
and lists are gathered last in one ``index`` (IndexBackward0). Basic results are NumPy views.
"""
from __future__ import annotations

__all__ = ["index_put_zeros"]

import numbers

import numpy as np

from .._tensor import NO_GRAD_VIEW_INPLACE, Tensor, no_grad_view
from ..autograd.graph import Node
from ..autograd.views import rebase_view, writable
from ._util import attach, grad_enabled
from .shape import AliasBackward0, expand, unsqueeze, view

_make = Tensor._make

BAD_INDEX = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
             "are valid indices (got {})")
ZERO_DIM = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
            "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")


def _oob(i, dim, size):
    return IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")


class _BasicBackward(Node):
    __slots__ = ("shape", "index")
    saves = False

    def backward(self, F, g):
        return (F.slice_backward(g, self.shape, self.index),)


class SelectBackward0(_BasicBackward):
    __slots__ = ()


class SliceBackward0(_BasicBackward):
    __slots__ = ()


def _basic(input, index, cls):
    x = input._data
    v = x[index]
    if type(v) is not np.ndarray:  # every dim selected: NumPy's scalar is a copy, not a view
        v = x[index + (Ellipsis,)]
    out = input._viewed_as(_make(v))
    if input._requires_grad:
        if not grad_enabled[0]:
            return no_grad_view(out)
        node = cls((input,))
        node.shape, node.index = x.shape, index
        attach(out, node)
    return out


def select(input, dim, index, shown_dim=None):
    x = input._data
    if x.ndim == 0:
        raise IndexError(ZERO_DIM)
    size = x.shape[dim]
    if not -size <= index < size:
        raise _oob(index, dim if shown_dim is None else shown_dim, size)
    return _basic(input, (slice(None),) * dim + (index % size,), SelectBackward0)


def _slice(input, dim, s):
    if s.step is not None and s.step <= 0:
        raise ValueError("step must be greater than zero")
    x = input._data
    if x.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    start, stop, step = s.indices(x.shape[dim])
    out = _basic(input, (slice(None),) * dim + (slice(start, stop, step),), SliceBackward0)
    if out.grad_fn is not None and out.grad_fn is not input.grad_fn:
        out.grad_fn.raw = s  # torch's _saved_start/_saved_end/_saved_step (as given)
    return out


def _alias(input):
    out = input._viewed_as(_make(input._data.view()))
    if input._requires_grad:
        if not grad_enabled[0]:
            return no_grad_view(out)
        attach(out, AliasBackward0((input,)))
    return out


# -- advanced indexing -----------------------------------------------------------------------
class IndexBackward0(Node):
    __slots__ = ("shape", "index", "unique")
    # torch saves the index tensors: a second backward without retain_graph raises

    def backward(self, F, g):
        self.saved(F)
        if self.unique:  # mask-only index: no repeated positions, plain assignment suffices
            return (F.slice_backward(g, self.shape, self.index),)
        return (F.index_backward(g, self.shape, self.index),)


def _gather(input, index, unique=False):
    """``input[index]`` for a NumPy index tuple, recorded as IndexBackward0."""
    # torch's index() result is contiguous (later reshapes are views, as in torch)
    out = _make(np.ascontiguousarray(input._data[index]))
    if grad_enabled[0] and input._requires_grad:
        node = IndexBackward0((input,))
        node.shape, node.index, node.unique = input._data.shape, index, unique
        attach(out, node)
    return out


def _take(F, g, index):
    """``g[index]``, recorded when computing with Tensors (create_graph=True)."""
    return _gather(g, index) if F.is_tensor else g[index]


def _value_grad(F, g, index, vshape):
    """Gradient of a value written at ``index``: the slice of ``g``, un-broadcast."""
    gi = _take(F, g, index)
    n = len(gi.shape)
    target = vshape[len(vshape) - n:] if len(vshape) > n else vshape  # dropped leading 1s
    gv = F.sum_to(gi, tuple(target))
    return F.reshape(gv, vshape) if tuple(target) != tuple(vshape) else gv


class IndexPutBackward0(Node):
    """``self.index_put_(index, values)``: edges (self, values). Also the recorded form of
    an indexing gradient, ``zeros.index_put_(index, grad, accumulate=True)``."""
    __slots__ = ("index", "mask", "vshape")
    # torch saves the index tensors: a second backward without retain_graph raises

    def backward(self, F, g):
        self.saved(F)
        ga = g * F.const(self.mask) if self.needs(0) else None
        gv = _value_grad(F, g, self.index, self.vshape) if self.needs(1) else None
        return ga, gv


class CopySlices(IndexPutBackward0):
    """``self[basic index] = value`` on a tensor in the graph (torch's CopySlices)."""
    __slots__ = ()

    def name(self) -> str:
        return "torch::autograd::CopySlices"


class FillBackward3(Node):
    """``self[...] = scalar``: nothing flows back to the overwritten values."""
    __slots__ = ()
    saves = False

    def backward(self, F, g):
        return (F.zeros_like(g) if self.needs(0) else None, None)


def index_put_zeros(grad, shape, index):
    """Zeros of ``shape`` with ``grad`` (a Tensor) added at ``index``; recorded."""
    data = np.zeros(shape, dtype=grad._data.dtype)
    np.add.at(data, index, grad._data)
    out = _make(data)
    if grad_enabled[0] and grad._requires_grad:
        node = IndexPutBackward0((None, grad))
        node.index, node.mask, node.vshape = index, None, grad._data.shape
        attach(out, node)
    return out


def _as_index_array(item):
    """An advanced index item as an ndarray (int64 or bool), or None if not advanced."""
    if isinstance(item, Tensor):
        a = item._data
    elif isinstance(item, np.ndarray):
        a = item
    elif isinstance(item, range):  # torch reads a range as the list of its values
        a = np.arange(item.start, item.stop, item.step, dtype=np.int64)
    elif isinstance(item, (list, tuple)):
        a = np.asarray([x._data if isinstance(x, Tensor) else x for x in item])
        if a.size == 0:
            a = a.astype(np.int64)
    else:
        return None
    if a.dtype.kind == "b" or a.dtype == np.uint8:
        return a.astype(bool, copy=False)
    if a.dtype.kind not in "iu":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return a


def _normalize(index):
    """Index items with tensors/lists made ndarrays and 0-d integer tensors made ints."""
    items = []
    for it in index:
        if it is None or it is Ellipsis or isinstance(it, slice):
            items.append(it)
        elif isinstance(it, bool) or isinstance(it, np.bool_):
            items.append(bool(it))
        elif isinstance(it, (numbers.Integral, np.integer)):
            items.append(int(it))
        else:
            a = _as_index_array(it)
            if a is None:
                raise IndexError(BAD_INDEX.format(type(it).__name__))
            if a.ndim == 0 and a.dtype == bool:
                items.append(bool(a))  # a 0-d mask acts like a Python bool
                continue
            if a.ndim == 0 and a.dtype.kind in "iu" and isinstance(it, Tensor):
                items.append(int(a))  # torch treats a 0-d integer tensor as an int
            else:
                items.append(a)
    return items


def getitem(self, index):
    t = type(index)
    if t is int:
        if index and not self._data.ndim:  # torch: only x[0] gets the 0-dim text
            raise _oob(index, 0, 0)
        return select(self, 0, index)
    if t is slice:
        return _slice(self, 0, index)  # a lone slice is recorded even when full, as torch
    if index is None:
        return unsqueeze(self, 0)
    if index is Ellipsis:
        return _alias(self)
    if t is not tuple:
        index = (index,)
    items = _normalize(index)
    ndim = self._data.ndim
    used = 0
    for it in items:
        if it is Ellipsis:
            continue
        elif it is None or type(it) is bool:
            continue
        elif isinstance(it, np.ndarray) and it.dtype == bool:
            used += it.ndim
        else:
            used += 1
    if ndim == 0 and issubclass(t, np.integer):  # torch: only a lone integer gets this text
        raise IndexError(ZERO_DIM)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    res = self
    dim = 0  # position in the result so far
    adv = []
    for pos, it in enumerate(items):  # torch's select error reports ``pos`` as the dim
        if it is None:
            res = unsqueeze(res, dim)
            dim += 1
        elif it is Ellipsis:
            dim += ndim - used
        elif type(it) is bool:  # torch: unsqueeze, then index with a 1-element mask
            res = unsqueeze(res, dim)
            adv.append((dim, np.array([it])))
            dim += 1
        elif type(it) is int:
            res = select(res, dim, it, pos)
        elif type(it) is slice:
            # torch skips a slice covering the whole dim (raw start 0, stop >= size, step 1)
            if (it.start not in (None, 0) or it.step not in (None, 1)
                    or (it.stop is not None and it.stop < res._data.shape[dim])):
                res = _slice(res, dim, it)
            dim += 1
        else:
            adv.append((dim, it))
            dim += it.ndim if it.dtype == bool else 1
    if adv:
        unique = all(a.dtype == bool for _, a in adv)
        return _gather(res, _advanced_index(res._data.shape, adv), unique)
    if res is self:
        return _alias(self)
    return res


def _advanced_index(shape, adv):
    """The NumPy index tuple for advanced items [(dim, array)], with torch's checks: mask
    shapes, then broadcasting of the index tensors, then bounds (first bad element)."""
    idx = [slice(None)] * len(shape)
    last = 0
    for dim, a in adv:
        if a.dtype == bool:
            for j in range(a.ndim):
                if a.shape[j] != shape[dim + j]:
                    raise IndexError(
                        f"The shape of the mask [{', '.join(map(str, a.shape))}] at index {j} "
                        f"does not match the shape of the indexed tensor "
                        f"[{', '.join(map(str, shape))}] at index {dim + j}")
            for j, nz in enumerate(np.nonzero(a)):
                idx[dim + j] = nz
            last = max(last, dim + a.ndim)
        else:
            idx[dim] = a.astype(np.intp, copy=False)
            last = max(last, dim + 1)
    arrays = [i for i in idx[:last] if isinstance(i, np.ndarray)]
    try:
        np.broadcast_shapes(*[x.shape for x in arrays])
    except ValueError:
        shapes = ", ".join("[" + ", ".join(map(str, x.shape)) + "]" for x in arrays)
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                         f"with shapes {shapes}") from None
    empty = 0 in shape  # torch checks nothing when nothing is read
    k = 0
    for dim, a in adv:
        if a.dtype == bool:
            k += 1
            continue
        size = shape[dim]
        a = idx[dim]
        if a.size and empty and size:
            idx[dim] = np.clip(a, -size, size - 1)
        elif a.size:
            bad = (a >= size) | (a < -size)
            if bad.any():  # torch reports the index tensor's ordinal as the dimension
                raise _oob(int(a.flat[int(np.argmax(bad))]), k, size)
        k += 1
    return tuple(idx[:last])


# -- __setitem__ ----------------------------------------------------------------------------
def setitem(self, index, value):
    vt = isinstance(value, Tensor)
    record = grad_enabled[0] and (self._requires_grad or (vt and value._requires_grad))
    if record and self._nograd_view:
        raise RuntimeError(_no_grad_view_setitem(index))
    if record:
        if self._requires_grad and self.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
        self._records_inplace(value)  # torch's checks on views (of a leaf, multi-output)
    items = _normalize(index if type(index) is tuple else (index,))
    np_index = tuple(it if not isinstance(it, np.ndarray) or it.dtype == bool
                     else it.astype(np.intp, copy=False) for it in items)
    shape = self._data.shape
    dim = 0
    for it in items:  # torch's bounds message for plain ints
        if it is Ellipsis:
            break
        if type(it) is int:
            if dim < len(shape) and not -shape[dim] <= it < shape[dim]:
                raise _oob(it, dim, shape[dim])
            dim += 1
        elif it is not None:
            dim += 1
    writable(self)[np_index] = value._data if vt else value
    self._counter()[0] += 1
    if record:
        _rebase(self, items, np_index, value if vt else None)
    self._refresh_views()


def _no_grad_view_setitem(index) -> str:
    """torch indexes first (select/slice/unsqueeze: a view of the no_grad view, named in the
    message), then writes in place into that view."""
    for it in _normalize(index if type(index) is tuple else (index,)):
        if type(it) is int:
            op = "Select"
        elif it is None or type(it) is bool:
            op = "Unsqueeze"
        elif type(it) is slice and not (it.start in (None, 0) and it.step in (None, 1)
                                         and it.stop is None):
            op = "Slice"
        else:
            continue
        return (f"Output 0 of {op} is a view of a view which was created in no_grad mode and "
                "is being modified inplace with grad mode enabled."
                + NO_GRAD_VIEW_INPLACE.split("enabled.", 1)[1])
    return NO_GRAD_VIEW_INPLACE


def _broadcast_value(value, dst_shape):
    """torch's copy_to: a differently shaped value is viewed without its leading 1s, then
    expanded to the destination (ViewBackward0, ExpandBackward0 in the graph)."""
    vs = value._data.shape
    if vs == dst_shape:
        return value
    k = 0
    while k < len(vs) and vs[k] == 1:
        k += 1
    value = view(value, vs[k:])
    return value if value._data.shape == dst_shape else expand(value, dst_shape)


def _rebase(self, items, np_index, value):
    """Make the assignment part of the graph: ``self``'s history now ends in a node whose
    edges are (the old history of self, value), as torch's in-place index_put_/copy_."""
    if len(items) == 1 and items[0] is Ellipsis and value is None:
        node = FillBackward3((self, None))
    else:
        advanced = any(isinstance(it, np.ndarray) for it in items)
        if not advanced and value is not None:
            value = _broadcast_value(value, self._data[np_index].shape)
        node = (IndexPutBackward0 if advanced else CopySlices)((self, value))
        mask = np.ones(self._data.shape, dtype=self._data.dtype)
        mask[np_index] = 0
        node.index, node.mask = np_index, mask
        node.vshape = value._data.shape if value is not None else ()
    if self._view_of is not None:  # a view: its base's history takes the assignment
        rebase_view(self, node)
        return
    self.grad_fn = node
    self._output_nr = 0
    self._requires_grad = True


METHODS = {"__getitem__": getitem, "__setitem__": setitem}
