"""The recorded graph: ``Node`` (a grad_fn), ``AccumulateGrad``, and saved-value handling.

Every op's backward node subclasses ``Node``; its class name is the grad_fn name torch shows
(``AddBackward0``...). ``next_functions`` holds one ``(node or None, output_nr)`` edge per
differentiable input, exactly as in torch.
"""
from __future__ import annotations

import itertools
import weakref

from . import backends
from .grad_mode import _enabled

Tensor = None  # set by engine._tensor once the class exists (import cycle)
FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)

# torch numbers nodes in creation order; the engine runs the highest number first.
_seq = itertools.count()
_next_seq = _seq.__next__  # bound once: Node() runs on every recorded op
MAX_SEQ = 2**64 - 1


class RemovableHandle:
    __slots__ = ("_hooks", "_key")
    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self._key = next(RemovableHandle._ids)

    def remove(self) -> None:
        self._hooks.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Node:
    """A grad_fn. Subclasses implement ``backward(self, F, grad)`` returning one gradient per
    edge in ``next_functions`` (None where the edge is None or no gradient flows).

    ``F`` is the backend the formula computes with: ``backends.NP`` (ndarrays, the fast
    path) or ``backends.TF`` (engine Tensors, so create_graph=True records the formula).
    Saved inputs are unpacked with ``self.saved(F)``; a saved output with ``self.result(F)``.
    """

    # Only the edges and the sequence number are set per node; everything else is a class
    # default overwritten on the (rare) nodes that need it: node creation is on every op's
    # forward path.
    __slots__ = ("next_functions", "_seq", "__weakref__", "__dict__")
    saves = True  # False for nodes whose formula needs no saved tensor: never "freed"
    num_outputs = 1  # multi-output nodes (custom Functions, split...) override
    _saved = ()
    _versions_at_save = ()  # each saved input's version when saved (torch's version check)
    _packed = None  # (unpack_hook, packed inputs, packed result) under saved_tensors_hooks
    _result = None
    # the saved result's version counter cell, and its version when saved (torch's check)
    _result_cell = None
    _result_v = 0
    # in-place on a view: weak references to the view's node and the view; torch names that
    # node in the version-check text while it lives (the view keeps it alive)
    _result_fn = None
    _hooks = None
    _pre_hooks = None
    _tensor_pre_hooks = None
    _retained = None
    _released = False
    # True once any hook or retain_grad was registered here: the engine's per-node fast path
    # skips all hook handling with this single test
    _special = False

    def __init__(self, inputs=()):
        self._seq = _next_seq()
        if len(inputs) == 1:  # the common case, unrolled: this runs on every op's forward
            t = inputs[0]
            if t is not None:
                fn = t.grad_fn
                if fn is not None:
                    self.next_functions = ((fn, t._output_nr),)
                    return
                if t._requires_grad:
                    acc = t._accumulator
                    self.next_functions = ((acc._edge,) if acc is not None
                                           else (_edge(t),))
                    return
            self.next_functions = (_NO_EDGE,)
            return
        if len(inputs) == 2:  # binary ops; ``(t, None)`` for tensor-and-number ones
            a, b = inputs
            fn = a.grad_fn if a is not None else None
            ea = (fn, a._output_nr) if fn is not None else _edge(a)
            if b is None:
                self.next_functions = (ea, _NO_EDGE)
            else:
                fn = b.grad_fn
                self.next_functions = (ea, (fn, b._output_nr) if fn is not None else _edge(b))
            return
        self.next_functions = tuple([_edge(t) for t in inputs])

    @property
    def metadata(self) -> dict:
        return self.__dict__.setdefault("_metadata", {})

    # -- public API, as torch.autograd.graph.Node ------------------------------------
    def name(self) -> str:
        return type(self).__name__

    def _sequence_nr(self) -> int:
        return self._seq

    def register_hook(self, fn) -> RemovableHandle:
        """fn(grad_inputs, grad_outputs) -> None or new grad_inputs (torch's naming)."""
        if self._hooks is None:
            self._hooks = {}
        self._special = True
        h = RemovableHandle(self._hooks)
        self._hooks[h._key] = fn
        return h

    def register_prehook(self, fn) -> RemovableHandle:
        """fn(grad_outputs) -> None or new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        self._special = True
        h = RemovableHandle(self._pre_hooks)
        self._pre_hooks[h._key] = fn
        return h

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    # -- saving --------------------------------------------------------------------
    def save(self, *tensors) -> None:
        self._saved = tensors
        self._versions_at_save = tuple([t._version if t is not None else 0 for t in tensors])
        if _SAVED_HOOKS:
            _pack(self, tensors, None)

    def save_result(self, out) -> None:
        self._result = out._data
        vc = self._result_cell = out._counter()
        if vc[0]:
            self._result_v = vc[0]
        if _SAVED_HOOKS:
            _pack(self, None, out)

    def saved(self, F):
        if self._released:
            raise RuntimeError(FREED_MSG)
        if self._packed is not None:  # saved_tensors_hooks: what unpack returns is used
            ts = self._unpacked_saved()
            return [t._data if t is not None else None for t in ts] if F is backends.NP \
                else list(ts)
        for t, v in zip(self._saved, self._versions_at_save):
            if t is not None and t._version != v:
                raise RuntimeError(_inplace_msg(t, v, self))
        vc = self._result_cell
        if vc is not None and vc[0] != self._result_v:  # torch unpacks every saved value
            self._stale_result()
        if F is backends.NP:
            return [t._data if t is not None else None for t in self._saved]
        return list(self._saved)

    def result(self, F):
        if self._released:
            raise RuntimeError(FREED_MSG)
        if self._packed is not None and self._packed[2] is not None:
            r = self._unpacked_result()
            return r._data if F is backends.NP else r
        vc = self._result_cell
        if vc is not None and vc[0] != self._result_v:
            self._stale_result()
        if F is backends.NP:
            return self._result
        # torch's SavedVariable for an output: the same data, with this node as grad_fn.
        return Tensor._make(self._result, True, self)

    def _stale_result(self):
        """torch's error for a saved output modified in place since (through any alias)."""
        t = Tensor._make(self._result)
        t._vc = self._result_cell
        producer = self
        if self._result_fn is not None:
            node, view = self._result_fn[0](), self._result_fn[1]()
            if view is not None:
                node = view.grad_fn
            if node is not None:
                producer = node
        raise RuntimeError(_inplace_msg(t, self._result_v, self, producer))

    # -- what the _saved_* properties read (engine/autograd/saved.py) ---------------------
    def _unpacked_saved(self) -> tuple:
        p = self._packed
        if p is None or p[1] is None:
            return self._saved
        unpack = p[0]
        return tuple([unpack(x) if x is not _NONE else None for x in p[1]])

    def _unpacked_result(self):
        p = self._packed
        if p is not None and p[2] is not None:
            return p[0](p[2])
        if self._result is None:
            return None
        # torch's unpack would raise the version-check error for a stale result here; the
        # engine hands it out (shared counter: its _version shows the change), because the
        # document's saved-tensor view shows a stale result with its versions
        t = Tensor._make(self._result, True, self)
        if self._result_cell is not None:  # torch's unpacked output shares the counter
            t._vc = self._result_cell
        return t

    def release(self) -> None:
        if self.saves:  # only what was set: a first write creates the instance dict
            if self._saved:
                self._saved = ()
            if self._result is not None:
                self._result = None
            if self._packed is not None:
                self._packed = None
            self._released = True

    def backward(self, F, grad):  # pragma: no cover - abstract
        raise NotImplementedError

    def needs(self, i: int) -> bool:
        return self.next_functions[i][0] is not None


class AccumulateGrad(Node):
    """Adds the incoming gradient into its leaf's ``.grad`` (``.variable`` is the leaf)."""

    __slots__ = ("_variable", "_edge")
    saves = False

    def __init__(self, variable):
        self._seq = MAX_SEQ
        self.next_functions = ()
        self._variable = weakref.ref(variable)
        self._edge = (self, 0)  # the edge every consumer of the leaf records (shared)

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    @property
    def variable(self):
        return self._variable()

    def accumulate(self, grad, create_graph: bool, handed_out: set) -> None:
        """torch's AccumulateGrad: the first grad is stored (stolen when nothing else can see
        it, else copied), later ones are added in place, or out of place under create_graph.

        ``handed_out`` holds ids of arrays already stored in some leaf during this backward
        (``a + b`` sends one array to both leaves; ``zero_()`` on one must not zero both).
        """
        var = self._variable()
        if var is None or not var._requires_grad:  # torch: requires_grad_(False) since
            return
        if type(grad) is Tensor:
            if not create_graph:
                grad = grad._data
        vdt = var._data.dtype
        old = var._grad
        if create_graph:
            if type(grad) is not Tensor:
                grad = Tensor._make(grad)
            if grad._data.dtype != vdt:
                grad = grad.to(var.dtype)
            if old is None and grad._requires_grad:
                # torch stores a recorded copy of the first grad (CopyBackwards)
                from .._inplace import CopyBackwards
                node = CopyBackwards((None, grad))
                node.src_meta = (grad._data.shape, grad._data.dtype)
                grad = Tensor._make(grad._data.copy(), True, node)
            var._grad = grad if old is None else old + grad
            return
        if grad.dtype != vdt:
            grad = grad.astype(vdt)
        if old is None:
            if grad.base is not None or id(grad) in handed_out or not grad.flags.writeable:
                grad = grad.copy()
            handed_out.add(id(grad))
            var._grad = Tensor._make(grad)
        elif old._requires_grad:
            var._grad = old + Tensor._make(grad)
        else:
            if old._data.shape != grad.shape:
                old._data = old._data + grad
            else:
                old._data += grad
            old._version += 1


_NO_EDGE = (None, 0)
_NONE = object()  # a None among packed saved tensors (the hooks never see it)

# saved_tensors_hooks: a stack of (pack, unpack); Node.save tests it on every recorded op
_SAVED_HOOKS: list = []


def _pack(node, tensors, out) -> None:
    pack, unpack = _SAVED_HOOKS[-1]
    old = node._packed
    packed_in = old[1] if old is not None else None
    packed_out = old[2] if old is not None else None
    if tensors is not None:
        packed_in = tuple([pack(t) if t is not None else _NONE for t in tensors])
        node._saved = tuple([None] * len(tensors))  # the hooks own the saved values now
    if out is not None:
        packed_out = pack(out)
    node._packed = (unpack, packed_in, packed_out)


class saved_tensors_hooks:  # noqa: N801 - torch's name
    """``with saved_tensors_hooks(pack, unpack):`` every tensor an op saves for backward goes
    through ``pack`` when saved; ``unpack`` gives it back when backward (or a ``_saved_*``
    attribute) needs it, as torch.autograd.graph.saved_tensors_hooks."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        _SAVED_HOOKS.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc):
        _SAVED_HOOKS.pop()


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - torch's name; everything is on the CPU
    def __init__(self, pin_memory=False, device_type="cuda"):
        super().__init__(lambda t: t, lambda t: t)


def disable_saved_tensors_hooks(error_message):
    import contextlib

    @contextlib.contextmanager
    def ctx():
        saved = list(_SAVED_HOOKS)
        _SAVED_HOOKS.clear()
        try:
            yield
        finally:
            _SAVED_HOOKS[:] = saved
    return ctx()


def _edge(t):
    """The edge a consumer of tensor ``t`` records: its grad_fn, its AccumulateGrad, or None
    (also for a view made under no_grad, which has no accumulator)."""
    if t is None:
        return _NO_EDGE
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._requires_grad:
        acc = t._grad_accumulator()
        return _NO_EDGE if acc is None else acc._edge
    return _NO_EDGE


def _inplace_msg(t, version, node, producer=None) -> str:
    """torch's text for a saved tensor modified in place."""
    import re

    from .._tensor import _type_name
    # a saved output is named by the node that produced it, a saved input by its grad_fn now
    fn, nr = (producer if producer is not None else t.grad_fn), t._output_nr
    where = ""
    if fn is not None:
        # torch's short name: ExpBackward0 -> Exp, PowBackward1 -> Pow1
        short = re.sub(r"Backwards?(\d*)$", lambda m: m.group(1).lstrip("0"), fn.name())
        where = f", which is output {nr} of {short},"
    shape = ", ".join(str(s) for s in t._data.shape)
    return (
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{_type_name(t)} [{shape}]]{where} is at version "
        f"{t._version}; expected version {version} instead. Hint: enable anomaly detection "
        "to find the operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )


def is_recording() -> bool:
    return _enabled[0]
