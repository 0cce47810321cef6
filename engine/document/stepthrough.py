"""Step-through backward: the engine's real backward pass of a document, one grad_fn at a time.

``record_backward`` runs a backward with a tracer on the engine (the order is the engine's,
not a re-derivation of it) and turns every executed grad_fn into a ``Step``: the document node
it belongs to, the gradient that arrived on each document wire, what the grad_fn sent down each
of its ``next_functions``, and the ``.grad`` it wrote. ``preview_backward`` does the same on a
copy (same leaf values, same starting grads), so the user's graph and grads are untouched.
``StepThrough`` is the player model the view drives (next / previous / reset / state_at).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.autograd import engine as autograd_engine
from engine.autograd.graph import AccumulateGrad

from .execution import Executor

_DEFAULT = object()


# eq=False: they hold arrays (no elementwise ==); identity equality, hashable
@dataclass(frozen=True, eq=False)
class Edge:
    """One output of a grad_fn: the gradient it sends down one ``next_functions`` entry."""
    index: int  # position in next_functions
    target: str | None  # grad_fn name of the receiving function (None: no edge)
    node_id: str | None  # document node that receives it
    wire: object | None  # the document Wire it travels along (None inside one node's op)
    grad: np.ndarray | None


@dataclass(frozen=True, eq=False)
class Step:
    index: int
    name: str  # torch's grad_fn name: "AddBackward0", "AccumulateGrad"
    node_id: str | None  # document node the grad_fn belongs to
    internal: bool  # a grad_fn inside a node's op (MmBackward0 under matmul's SqueezeBackward4)
    grad_outputs: tuple  # gradient w.r.t. the function's outputs (what arrived), arrays
    incoming: dict  # Wire -> array: the gradient that came in on each of the node's out-wires
    outputs: tuple[Edge, ...]  # one per next_functions entry (empty for AccumulateGrad)
    grads: dict  # node id -> copy of the .grad this step wrote (leaves, retain_grad nodes)


@dataclass
class Recording:
    steps: list[Step]
    root: str | None
    error: str | None = None  # the backward's error text (torch's words), None on success
    initial_grads: dict = field(default_factory=dict)  # node id -> .grad before (array/None)


@dataclass(frozen=True, eq=False)
class State:
    """What the view shows after step ``index`` (-1: before the first step)."""
    index: int
    step: Step | None  # the step just executed
    wires: dict  # Wire -> gradient array sent along it so far
    grads: dict  # node id -> .grad so far (None: not written yet), leaves and retain_grad nodes
    done: frozenset  # node ids whose grad_fns have all run
    active: str | None  # node id of the current step


def _arr(g):
    if g is None:
        return None
    data = getattr(g, "_data", g)  # an engine Tensor (create_graph) or an ndarray
    return np.array(data, copy=True)


def grad_owners(executor) -> tuple[dict, dict, dict]:
    """(grad_fn -> node id, grad_fn -> True when internal, id(leaf tensor) -> node id).
    A node's own grad_fn is its value's; grad_fns reached from it without passing another
    node's are its op's internals; an AccumulateGrad belongs to its leaf's node."""
    owner, leaves = {}, {}
    for nid, res in executor.results.items():
        v = res.value
        if v is not None and v.grad_fn is not None:
            owner.setdefault(v.grad_fn, nid)
        holder = res._holder  # the leaf tensor of a source (also when its output is frozen)
        if holder is not None and holder.grad_fn is None:
            leaves[id(holder)] = nid
    internal = {}
    for fn, nid in list(owner.items()):
        stack = [f for f, _ in fn.next_functions if f is not None]
        while stack:
            f = stack.pop()
            if f in owner or type(f).__name__ == "AccumulateGrad":  # engine's or torch's
                continue
            owner[f] = nid
            internal[f] = True
            stack.extend(g for g, _ in f.next_functions if g is not None)
    return owner, internal, leaves


class _Recorder:
    def __init__(self, executor):
        self.ex = executor
        doc = executor.doc
        self.owner, self.internal, self.leaves = grad_owners(executor)
        # leaves requiring grad and retain_grad nodes: the tensors whose .grad backward writes
        self.holders = {nid: r._holder for nid, r in executor.results.items()
                        if r._holder is not None and r._holder.requires_grad}
        self.state = {nid: self._grad_state(h) for nid, h in self.holders.items()}
        # (src, dst) -> wires in port order: the k-th edge from dst's op to src is its k-th wire
        self.wires: dict = {}

        def port_order(w):
            names = [p.name for p in doc.nodes[w.dst].spec.inputs]
            return (names.index(w.port) if w.port in names else 0, w.index)
        for w in sorted(doc.wires, key=port_order):
            self.wires.setdefault((w.src, w.dst), []).append(w)
        self.steps: list[Step] = []
        self.pending: dict = {}  # node id -> {wire: grad} received, not yet shown
        self.seen_nodes: set = set()
        # (node, input node) -> edges seen: across steps, as one op's internal grad_fns may
        # each send along one of several wires from the same input
        self.used: dict = {}

    @staticmethod
    def _grad_state(t):
        g = t._grad
        return None if g is None else (id(g), g._version)

    def node_of(self, fn):
        if type(fn) is AccumulateGrad:
            var = fn.variable
            return None if var is None else self.leaves.get(id(var))
        return self.owner.get(fn)

    def __call__(self, event) -> None:
        fn = event["node"]
        nid = self.node_of(fn)
        edges = []
        used = self.used
        for i, ((nxt, _), g) in enumerate(zip(fn.next_functions, event["grad_inputs"])):
            if nxt is None:
                edges.append(Edge(i, None, None, None, None))
                continue
            dst = self.node_of(nxt)
            wire = None
            if dst is not None and dst != nid:
                k = used.get((nid, dst), 0)
                used[nid, dst] = k + 1
                # internal grad_fns of nid: the wire from dst into nid
                cands = self.wires.get((dst, nid), ())
                wire = cands[k] if k < len(cands) else (cands[-1] if cands else None)
            arr = _arr(g)
            edges.append(Edge(i, type(nxt).__name__, dst, wire, arr))
            if wire is not None and arr is not None:
                box = self.pending.setdefault(dst, {})
                box[wire] = arr if wire not in box else box[wire] + arr
        incoming = {}
        if nid is not None and nid not in self.seen_nodes:
            self.seen_nodes.add(nid)
            incoming = self.pending.pop(nid, {})
        grads = {}
        for hid, h in self.holders.items():
            s = self._grad_state(h)
            if s != self.state[hid]:
                self.state[hid] = s
                grads[hid] = _arr(h._grad)
        self.steps.append(Step(len(self.steps), type(fn).__name__, nid,
                               bool(self.internal.get(fn, False)),
                               tuple(_arr(g) for g in event["grad_outputs"]),
                               incoming, tuple(edges), grads))


def record_backward(executor: Executor, root=None, seed=_DEFAULT, retain_graph=None) -> Recording:
    """Run ``executor.backward(...)`` (the real one: grads accumulate, counts move, the graph
    is spent unless retained) and record every grad_fn the engine executes, in order."""
    root = root if root is not None else executor.doc.settings.root
    if executor._dirty or root not in executor.results:
        executor.forward()
    rec = _Recorder(executor)
    initial = {nid: _arr(h._grad) for nid, h in rec.holders.items()}
    autograd_engine.add_tracer(rec)
    try:
        kw = {} if seed is _DEFAULT else {"seed": seed}
        err = executor.backward(root, retain_graph=retain_graph, **kw)
    finally:
        autograd_engine.remove_tracer(rec)
    return Recording(rec.steps, root, err, initial)


def preview_backward(executor: Executor, root=None, seed=_DEFAULT) -> Recording:
    """The same recording on a copy of the document with the same leaf values and starting
    grads: the user's graph stays unspent and their grads untouched."""
    doc = executor.doc
    if executor._dirty:
        executor.forward()
    values = {nid: executor.leaf(nid).detach().numpy() for nid in doc.nodes
              if executor.leaf(nid) is not None}
    twin = Executor(doc.copy(), executor.m, leaf_values=values)
    try:
        twin.forward()
        for nid in values:
            g = executor.leaf(nid)._grad
            if g is not None:
                twin.leaf(nid)._grad = type(g)._make(np.array(g._data, copy=True))
        return record_backward(twin, root, seed, retain_graph=False)
    finally:
        twin.close()


class StepThrough:
    """The player: ``index`` is the last executed step (-1 before the first)."""

    def __init__(self, recording: Recording):
        self.recording = recording
        self.steps = recording.steps
        self.index = -1
        self._states: list[State] = []
        self._build()

    def _build(self) -> None:
        wires: dict = {}
        grads = dict(self.recording.initial_grads)
        remaining: dict = {}
        for s in self.steps:
            if s.node_id is not None:
                remaining[s.node_id] = remaining.get(s.node_id, 0) + 1
        done: set = set()
        self._initial = State(-1, None, {}, dict(grads), frozenset(), None)
        for s in self.steps:
            for e in s.outputs:
                if e.wire is not None and e.grad is not None:
                    wires[e.wire] = e.grad if e.wire not in wires else wires[e.wire] + e.grad
            grads.update(s.grads)
            if s.node_id is not None:
                remaining[s.node_id] -= 1
                if remaining[s.node_id] == 0:
                    done.add(s.node_id)
            self._states.append(State(s.index, s, dict(wires), dict(grads), frozenset(done),
                                      s.node_id))

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def at_start(self) -> bool:
        return self.index < 0

    @property
    def at_end(self) -> bool:
        return self.index >= len(self.steps) - 1

    @property
    def current(self) -> Step | None:
        return self.steps[self.index] if self.index >= 0 else None

    def next(self) -> Step | None:
        if self.at_end:
            return None
        self.index += 1
        return self.steps[self.index]

    def previous(self) -> Step | None:
        if self.index >= 0:
            self.index -= 1
        return self.current

    def reset(self) -> None:
        self.index = -1

    def seek(self, index: int) -> None:
        self.index = max(-1, min(int(index), len(self.steps) - 1))

    def state_at(self, index: int | None = None) -> State:
        i = self.index if index is None else index
        if i < 0:
            return self._initial
        return self._states[min(i, len(self._states) - 1)]

    @property
    def final(self) -> State:
        """The state after the last step (the backward's result)."""
        return self.state_at(len(self.steps) - 1)

    @property
    def state(self) -> State:
        return self.state_at(self.index)
