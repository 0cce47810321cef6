"""In-place ops on views, as torch's: the base's history becomes ``CopySlices`` (the in-place
op's node applied to the view's part of the base's gradient) and every view of that base, the
modified one included, gets ``AsStridedBackward0`` onto the base's new history.

torch regenerates a view's grad_fn lazily, when it reads a version counter that moved; the
engine's ``grad_fn`` is a plain slot read on every op, so instead a base keeps weak references
to its views (``Tensor._views``) and an in-place change refreshes them at once. Only a base
with a history (a grad_fn) lists its views, to keep views of plain data and of leaves (a
Linear's ``weight.t()`` on every forward) as cheap as before. Known gaps: a leaf changed in
place under no_grad leaves its views' grad_fn as it was (torch: AsStridedBackward0; the
gradient path is the same); a base that does not require grad and gains a history by an
in-place op on one view (``b[1:].add_(w)``) leaves its other, older views without one.

Both nodes find the view's elements inside the base from the NumPy arrays' addresses and
strides (the views share memory), so any chain of view ops maps the same way.
"""
from __future__ import annotations

import numpy as np

from . import backends
from .graph import Node

MULTI_VIEW = ("This view is the output of a function that returns multiple views. Such "
              "functions do not allow the output views to be modified inplace. You should "
              "replace the inplace operation by an out-of-place one.")


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


class _ViewMap:
    """Where a view's elements sit in its base: flat (C-order) indices, made on first use."""

    __slots__ = ("base_shape", "base_strides", "base_c", "shape", "strides", "offset",
                 "itemsize", "_index")

    def __init__(self, base: np.ndarray, view: np.ndarray):
        self.base_shape, self.base_strides = base.shape, base.strides
        self.base_c = base.flags.c_contiguous
        self.shape, self.strides = view.shape, view.strides
        self.offset = _address(view) - _address(base) if view.size and base.size else 0
        self.itemsize = base.itemsize
        self._index = None

    @staticmethod
    def _offsets(shape, strides, start=0) -> np.ndarray:
        off = np.full((), start, dtype=np.int64)
        for n, s in zip(shape, strides):
            off = off[..., None] + np.arange(n, dtype=np.int64) * s
        return off.reshape(-1)

    def index(self) -> np.ndarray:
        idx = self._index
        if idx is None:
            view = self._offsets(self.shape, self.strides, self.offset)
            if self.base_c:
                idx = view // self.itemsize  # byte offset / itemsize
            else:
                base = self._offsets(self.base_shape, self.base_strides)
                order = np.argsort(base, kind="stable")
                idx = order[np.searchsorted(base[order], view)]
            self._index = idx
        return idx

    @property
    def unique(self) -> bool:
        return not any(s == 0 and n > 1 for s, n in zip(self.strides, self.shape))

    @property
    def numel(self) -> int:
        return int(np.prod(self.base_shape))

    # torch's _saved_size/_saved_stride/_saved_storage_offset (elements, C-contiguous base)
    def sizes(self):
        return tuple(self.shape)

    def element_strides(self):
        return tuple(s // self.itemsize for s in self.strides)

    def storage_offset(self) -> int:
        return self.offset // self.itemsize


def writable(t) -> np.ndarray:
    """``t``'s array, writable: an expanded view (NumPy's broadcast_to is read-only) is
    rebuilt on its base's buffer, as torch lets zero_/fill_/x[i] = v write through one."""
    a = t._data
    if a.flags.writeable:
        return a
    base = t._view_of
    root = base._data if base is not None else None
    if root is None or not root.flags.writeable or not root.flags.c_contiguous:
        return a  # NumPy's own "read-only" error
    return np.ndarray(a.shape, a.dtype, buffer=root, offset=_address(a) - _address(root),
                      strides=a.strides)


def _scatter(F, g, vmap: _ViewMap):
    """Base-shaped zeros with ``g`` (view-shaped) added at the view's places."""
    idx, n = vmap.index(), vmap.numel
    if F is backends.NP:
        out = np.zeros(n, dtype=g.dtype)
        if vmap.unique:
            out[idx] = g.reshape(-1)
        else:
            np.add.at(out, idx, g.reshape(-1))
        return out.reshape(vmap.base_shape)
    return F.reshape(F.index_backward(F.reshape(g, (-1,)), (n,), (idx,)), vmap.base_shape)


class AsStridedBackward0(Node):
    """A view's history after an in-place change of its base (or of any of its views)."""

    __slots__ = ("vmap",)
    saves = False

    def backward(self, F, g):
        return (_scatter(F, g, self.vmap),)


class CopySlices(Node):
    """The base's history after an in-place op on one of its views: edges (the base's old
    history, the op's other inputs). Its gradient is the incoming one with the view's part
    replaced by what the op's own node returns for it."""

    __slots__ = ("vmap", "fn")

    def name(self) -> str:
        return "torch::autograd::CopySlices"

    def backward(self, F, g):
        vmap, fn = self.vmap, self.fn
        idx = vmap.index()
        if F is backends.NP:
            result = np.array(g, order="C")
            flat = result.reshape(-1)
            res = fn.backward(F, flat[idx].reshape(vmap.shape))
            r0 = res[0]
            flat[idx] = 0 if r0 is None else np.broadcast_to(r0, vmap.shape).reshape(-1)
            return (result,) + tuple(res[1:])
        flat = F.reshape(g, (-1,))
        res = fn.backward(F, F.reshape(flat[idx], vmap.shape))
        keep = np.ones(vmap.numel, dtype=F.data(g).dtype)
        keep[idx] = 0
        result = flat * F.const(keep)
        if res[0] is not None:
            result = result + F.index_backward(F.reshape(res[0], (-1,)), (vmap.numel,), (idx,))
        return (F.reshape(result, vmap.base_shape),) + tuple(res[1:])

    def release(self) -> None:
        self.fn.release()  # torch: CopySlices frees what its op saved
        Node.release(self)


def _as_strided(base, view) -> AsStridedBackward0:
    node = AsStridedBackward0((base,))
    node.vmap = _ViewMap(base._data, view._data)
    return node


def rebase_view(view, fn) -> None:
    """``view`` was modified in place by the op recorded as ``fn``: the base takes the op into
    its history (CopySlices), the view reads its part of the base (AsStridedBackward0)."""
    base = view._view_of
    node = CopySlices((base,))
    node.next_functions = node.next_functions + tuple(fn.next_functions[1:])
    node.fn, node.vmap = fn, _ViewMap(base._data, view._data)
    base.grad_fn = node
    base._requires_grad = True
    if base._output_nr:
        base._output_nr = 0
    _set_history(view, _as_strided(base, view))


def _set_history(view, node) -> None:
    view.grad_fn = node
    view._requires_grad = True
    if view._output_nr:
        view._output_nr = 0


def refresh_views(base, skip=None) -> None:
    """The views of ``base`` read its new history (torch regenerates their grad_fn)."""
    live = []
    for ref in base._views:
        v = ref()
        if v is None:
            continue
        live.append(ref)
        if v is not skip and not v._nograd_view:
            _set_history(v, _as_strided(base, v))
    base._views = live or None
