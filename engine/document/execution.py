"""Running a document on the engine (or, in parity tests, on torch itself).

Forward runs nodes in topological order: ops of no_grad regions under ``no_grad()``, the whole
pass under the document's global grad mode. A failing node keeps the exception's text (torch's
words) prefixed with its name; nodes downstream are blocked; nothing raises.

The executor is incremental: document events mark nodes dirty, and ``forward`` recomputes only
them and their descendants. Source leaves are cached tensors that keep their values and
``.grad`` across forwards until their definition (op, params) changes -- as a training script
keeps ``w`` while re-running the model. After a backward the recorded graph is spent, so the
next forward rebuilds every op node (new grad_fns), exactly as re-running torch code does.
"""
from __future__ import annotations

from itertools import repeat

import numpy as np

import engine

from . import catalog, inplace
from .backward_history import BackwardHistory
from .catalog import CATALOG
from .inplace_run import InplaceRun, fresh_roots
from .node_result import NodeResult
from .perf import gc_paused

_DEFAULT = object()


def error_text(exc: BaseException) -> str:
    """An exception's message as torch prints it (KeyError's repr quotes dropped)."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc) or type(exc).__name__


def _grows(spec) -> bool:
    """Ops whose output can be far larger than any input: their row says how large."""
    return spec.result_numel is not None


def _check_output_size(spec, args, params) -> None:
    """Refuse before allocating when broadcasting / a product would exceed MAX_ELEMENTS."""
    bound = 1
    for a in args:
        if a is not None and not isinstance(a, (int, float)):
            bound *= a.numel() or 1
    if bound <= catalog.MAX_ELEMENTS:  # cheap filter: no input product is that large
        return
    shapes = [tuple(a.shape) for a in args if hasattr(a, "shape")]
    try:
        n = spec.result_numel(shapes, params)
    except (ValueError, IndexError):
        return  # incompatible shapes: the op itself raises torch's message
    if n > catalog.MAX_ELEMENTS:
        raise RuntimeError(f"{spec.key}: refusing to allocate a result of {n:,} elements "
                           f"(limit {catalog.MAX_ELEMENTS:,})")


def _slot_index(w) -> int:
    return w.index


def _grad_state(r):
    g = r.grad
    return None if g is None else (id(g), g._version)


def _freeze(v):
    if isinstance(v, (list, tuple)):
        if not any(map(isinstance, v, repeat((list, tuple)))):
            return tuple(v)  # a row of numbers (most of a literal): checked in C
        return tuple(_freeze(x) for x in v)
    return v


class Executor(InplaceRun):
    def __init__(self, document, engine_module=engine, leaf_values=None):
        """``leaf_values`` (node id -> array) overrides what source nodes create: parity tests
        give torch the engine's random numbers this way."""
        self.doc = document
        self.m = engine_module
        self.leaf_values = dict(leaf_values or {})
        self.results: dict[str, NodeResult] = {}
        self._leaves: dict[str, tuple] = {}  # source id -> (definition key, leaf tensor)
        self._dirty: set[str] = set(document.nodes)
        self._plan = None  # (order, inputs) cached until the structure changes
        self._ip = None  # inplace.Plan of a document with in-place nodes (with the plan)
        self._pristine: dict = {}  # source id -> (leaf, values, version) an in-place op changes
        self._graph_used = False
        self.graph_version = 0  # +1 for every forward that recomputed something
        self.recompute_count = 0  # node computations since creation (tests count deltas)
        self.last_recomputed: list[str] = []
        # nodes whose .grad (or count) the last backward / zero_grad changed: views update
        # only those (issue 10: O(changed), not O(N))
        self.last_grad_changed: list[str] = []
        self.last_error: str | None = None
        self.history = BackwardHistory()  # every backward / zero_grad call (timeline view)
        self._unsubscribe = document.subscribe(self._on_event)

    def close(self) -> None:
        self._unsubscribe()

    # -- invalidation ---------------------------------------------------------------------
    def _on_event(self, ev) -> None:
        k = ev.kind
        if ev.layout_only:
            return
        if k == "node_changed":
            if ev.detail["what"] == "param":
                self._leaves.pop(ev.node_id, None)
            self._dirty.add(ev.node_id)
        elif k in ("wire_added", "wire_removed"):
            self._plan = None
            self._dirty.add(ev.wire.dst)
        elif k == "node_added":
            self._plan = None
            self._dirty.add(ev.node_id)
        elif k == "node_removed":
            self._plan = None
            self.results.pop(ev.node_id, None)
            self._leaves.pop(ev.node_id, None)
            self._dirty.discard(ev.node_id)
            self._dirty.update(w.dst for w in ev.detail["wires"] if w.dst != ev.node_id)
        elif k == "region_changed":
            d = ev.detail
            if "old" in d:
                self._dirty.update((d["old"] ^ d["new"]) & self.doc.nodes.keys())
        elif k == "settings_changed":
            if ev.detail["name"] == "grad_enabled":
                self._dirty.update(self.doc.nodes)
        elif k == "reset":  # another document: its calls are not this one's
            self.history.clear()
            self._plan = None
            self.results.clear()
            self._leaves.clear()
            self._dirty = set(self.doc.nodes)

    def invalidate(self, node_id=None) -> None:
        """Force recomputation of one node (and what depends on it) or of everything."""
        if node_id is None:
            self._dirty.update(self.doc.nodes)
        else:
            self._dirty.add(node_id)

    def _get_plan(self):
        """Per node, in topological order: (id, ports, simple sources or None, all sources).
        ``simple`` lists the sources when every port is a plain single wire (the fast path).
        Built once per structural change from the model's wiring index: O(N + W)."""
        if self._plan is None:
            with gc_paused():
                self._plan = self._make_plan()
        return self._plan

    def _make_plan(self) -> list:
        doc = self.doc
        self._ip = ip = inplace.plan(doc)
        writers = ip.snapshot if ip is not None else ()
        g = doc._graph()
        slot, pred = g.slot, g.pred
        plan = []
        for nid in doc.topological_order():
            spec = doc.nodes[nid].spec
            ports = []
            simple = not spec.is_source and nid not in writers  # writers: snapshots first
            for port in spec.inputs:
                if port.variadic:
                    wires = sorted((w for ws in pred[nid].values() for w in ws
                                    if w.port == port.name), key=_slot_index)
                    srcs = [w.src for w in wires]
                    simple = False
                else:
                    w = slot.get((nid, port.name, 0))
                    srcs = [] if w is None else [w.src]
                    simple = simple and w is not None
                ports.append((port, srcs))
            flat = [src for _, srcs in ports for src in srcs]
            plan.append((nid, ports, flat if simple else None, flat, spec.is_source,
                         spec.result_numel is not None))
        return plan

    def order(self) -> list[str]:
        """The node ids in the order forward runs them (topological, document order first)."""
        return [entry[0] for entry in self._get_plan()]

    # -- forward --------------------------------------------------------------------------
    def forward(self) -> dict[str, NodeResult]:
        plan = self._get_plan()
        doc = self.doc
        nodes = doc.nodes
        if self._graph_used:  # backward spent the graph: rebuild every op (new grad_fns)
            self._dirty.update(entry[0] for entry in plan if not entry[4])
            self._graph_used = False
        if not self._dirty:
            self.last_recomputed = []
            return self.results
        seeds, self._dirty = self._dirty, set()
        ip = self._ip
        if ip is not None:
            fresh_roots(ip, seeds)
        if len(seeds) >= len(nodes) and seeds >= nodes.keys():
            dirty = seeds
        else:
            dirty = set()
            for nid, _, _, flat, _, _ in plan:
                if nid in seeds or any(s in dirty for s in flat):
                    dirty.add(nid)
        no_grad_ids = set()
        for r in doc.regions.values():
            if r.kind == "no_grad":  # module groups change nothing in execution
                no_grad_ids |= r.members
        m = self.m
        results = self.results
        recomputed = []
        grad_on = doc.settings.grad_enabled
        # torch prints nothing for nan/inf arithmetic; NumPy would warn (issue 9)
        with m.set_grad_enabled(grad_on), np.errstate(all="ignore"), gc_paused():
            for nid, ports, simple, _, _, grows in plan:
                if nid not in dirty:
                    continue
                recomputed.append(nid)
                node = nodes[nid]
                if simple is not None and grad_on and not (
                        node.frozen_output or node.retain_grad or nid in no_grad_ids):
                    # hot path (the common node), inlined: the executor must stay close to
                    # hand-written engine code; any failure retries below for its message
                    args = []
                    for src in simple:
                        v = results[src].value
                        if v is None:
                            break
                        args.append(v)
                    else:
                        try:
                            spec = CATALOG[node.op]
                            if grows:
                                _check_output_size(spec, args, node.params)
                            out = spec.call(m, args, node.params)
                            # an op that hands back its input (flatten over one dim) gives
                            # a leaf requiring grad: _finish keeps it as the .grad holder
                            results[nid] = NodeResult(out) if out.grad_fn is not None or \
                                not out.requires_grad else self._finish(node, out)
                            continue
                        except Exception:  # noqa: S110 - _compute reports it
                            pass
                # a writer: what its inputs looked like before it runs stays on their nodes
                pending = self._snapshots(ip.snapshot[nid]) if ip is not None and \
                    nid in ip.snapshot else None
                if nid in no_grad_ids:
                    with m.no_grad():
                        results[nid] = self._compute(nodes[nid], ports, simple)
                else:
                    results[nid] = self._compute(nodes[nid], ports, simple)
                if pending:
                    results.update(pending)
            if ip is not None:
                self._mark_stale(recomputed)
        self.recompute_count += len(recomputed)
        self.last_recomputed = recomputed
        self.graph_version += 1
        return results

    def _compute(self, node, ports, simple) -> NodeResult:
        results = self.results
        try:
            if simple is not None:  # fast path: one wire per port
                args = []
                for s in simple:
                    v = results[s].value
                    if v is None:
                        return NodeResult(blocked_by=results[s].blocked_by or s)
                    args.append(v)
                spec = CATALOG[node.op]
                if _grows(spec):
                    _check_output_size(spec, args, node.params)
                return self._finish(node, spec.call(self.m, args, node.params))
            spec = CATALOG[node.op]
            if spec.is_source:
                return self._source(node)
            else:
                args = []
                for port, srcs in ports:
                    vals = []
                    for s in srcs:
                        r = results[s]
                        if r.value is None:
                            return NodeResult(blocked_by=r.blocked_by or s)
                        vals.append(r.value)
                    if port.variadic:
                        args.append(vals)
                    elif vals:
                        args.append(vals[0])
                    elif port.optional:
                        args.append(None)
                    else:
                        return NodeResult(error=f"{node.name}: input {port.name!r} of "
                                                f"{spec.title} is not connected")
            if _grows(spec):
                _check_output_size(spec, args, node.params)
            return self._finish(node, spec.call(self.m, args, node.params))
        except Exception as e:  # any failure stays on its node: the app must not crash
            return NodeResult(error=f"{node.name}: {error_text(e)}")

    @staticmethod
    def _finish(node, out) -> NodeResult:
        if node.frozen_output:
            out = out.detach()
        if node.retain_grad:
            out.retain_grad()
            return NodeResult(out, holder=out)
        if out.grad_fn is None and out.requires_grad:
            # torch: a view made under no_grad of a tensor requiring grad is such a leaf
            return NodeResult(out, holder=out)
        return NodeResult(out)

    def _source(self, node) -> NodeResult:
        leaf = self._leaf(node)
        if node.requires_grad and not leaf.is_floating_point():
            # the exported code passes requires_grad=True to the factory: its error
            self.m.zeros(0, dtype=leaf.dtype, requires_grad=True)
        leaf.requires_grad_(node.tracks_grad)  # frozen: w.requires_grad_(False)
        out = leaf
        if self._ip is not None and node.id in self._ip.fresh:
            out = self._fresh(node, leaf)
        out = out.detach() if node.frozen_output else out
        old = self.results.get(node.id)
        count = old.grad_count if old is not None and old._holder is leaf else 0
        return NodeResult(out, holder=leaf, grad_count=count)

    def _leaf(self, node):
        key = (node.op, _freeze(list(node.params.items())))
        cached = self._leaves.get(node.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        spec = node.spec
        if node.id in self.leaf_values:
            t = self.m.tensor(self.leaf_values[node.id])
        else:
            catalog.check_size(spec, node.params)
            t = spec.call(self.m, [], node.params)
        self._leaves[node.id] = (key, t)
        return t

    def feed(self, node_id, value) -> None:
        """Give a source leaf a new tensor (a training batch) until its definition changes;
        what depends on it recomputes at the next forward."""
        node = self.doc.nodes[node_id]
        self._leaves[node_id] = ((node.op, _freeze(list(node.params.items()))), value)
        self._dirty.add(node_id)

    def leaf(self, node_id):
        """The persistent leaf tensor of a source node (None before its first forward)."""
        cached = self._leaves.get(node_id)
        return None if cached is None else cached[1]

    # -- backward -------------------------------------------------------------------------
    def backward(self, root=None, seed=_DEFAULT, retain_graph=None) -> str | None:
        """Runs ``root.backward(...)``. Returns None on success, else the error text (torch's
        words, e.g. the second-backward error); never raises for graph errors."""
        doc = self.doc
        root = root if root is not None else doc.settings.root
        before = self.history.before(self)
        self.last_grad_changed = []
        self.last_error = err = self._backward(root, seed, retain_graph)
        self.history.record_backward(self, root, doc.settings.seed if seed is _DEFAULT
                                     else seed, retain_graph, err, before)
        return err

    def _backward(self, root, seed, retain_graph) -> str | None:
        doc = self.doc
        if root is None:
            return "no backward root selected"
        if root not in doc.nodes:
            return f"no node with id {root!r}"
        if self._dirty or root not in self.results:
            self.forward()
        r = self.results[root]
        name = doc.nodes[root].name
        if r.value is None:
            return r.error or f"{name}: blocked by the error in {doc.nodes[r.blocked_by].name}"
        value = r.value
        if seed is _DEFAULT:
            seed = doc.settings.seed
        if retain_graph is None:
            retain_graph = doc.settings.retain_graph
        m = self.m
        # which leaf / retain_grad grads this backward writes: their identity or version moves
        snapshot = {nid: _grad_state(r) for nid, r in self.results.items()
                    if r._holder is not None}
        try:
            if seed is None or (seed == "ones" and value.numel() == 1):
                gradient = None  # torch's implicit 1 (scalar roots only)
            elif seed == "ones":
                gradient = m.ones_like(value)
            else:
                gradient = m.tensor(seed, dtype=value.dtype)
            with np.errstate(all="ignore"):  # as torch: nan/inf without warnings
                value.backward(gradient, retain_graph=retain_graph)
        except Exception as e:
            return error_text(e)
        self._graph_used = True
        changed = self.last_grad_changed
        for nid, before in snapshot.items():
            if _grad_state(self.results[nid]) != before:
                self.results[nid].grad_count += 1
                changed.append(nid)
        return None

    def backward_schedule(self, root=None) -> list[tuple[str, str | None]]:
        """The order backward will run the grad_fns of ``root``'s graph, as torch's engine
        does (dependencies first, then the most recently created): a list of
        (grad_fn name, node id or None) -- AccumulateGrad maps to its leaf's node. For the
        step-through view; call after forward, before the graph is spent."""
        from engine.autograd import engine as autograd_engine
        root = root if root is not None else self.doc.settings.root
        r = self.results.get(root)
        if r is None or r.value is None or r.value.grad_fn is None:
            return []
        owner = self._owners()
        start = r.value.grad_fn
        deps = autograd_engine._dependencies([start])
        # the engine's own ready queue (libstdc++'s heap moves): AccumulateGrad nodes share
        # one sequence number, and once 4+ are ready their order is the heap's, not FIFO
        push, pop = autograd_engine._push, autograd_engine._pop
        ready: list = []
        push(ready, start)
        order = []
        while ready:
            fn = pop(ready)
            var = getattr(fn, "variable", None)
            nid = owner.get(id(var)) if var is not None else owner.get(id(fn))
            order.append((type(fn).__name__, nid))
            for nxt, _ in fn.next_functions:  # pushed in edge order, as torch does
                if nxt is not None:
                    deps[nxt] -= 1
                    if deps[nxt] == 0:
                        push(ready, nxt)
        return order

    def _owners(self) -> dict:
        """id(grad_fn) -> the node whose output it made; id(leaf tensor) -> its node."""
        owner = {}
        for nid, res in self.results.items():
            v = res.value
            if v is not None and v.grad_fn is not None:
                owner.setdefault(id(v.grad_fn), nid)
            if res._holder is not None and res._holder.grad_fn is None:
                owner.setdefault(id(res._holder), nid)  # flatten(x, 1) *is* x: x's node
        return owner

    def zero_grad(self, node_id=None, set_to_none: bool = False) -> None:
        """``x.grad.zero_()`` (or ``x.grad = None``) on one node or on every node holding one."""
        ids = [node_id] if node_id is not None else list(self.results)
        self.last_grad_changed = changed = []
        for nid in ids:
            r = self.results.get(nid)
            if r is None or r._holder is None:
                continue
            changed.append(nid)
            g = r.grad
            if g is not None:
                if set_to_none:
                    r._holder.grad = None
                else:
                    g.zero_()
            r.grad_count = 0
        self.history.record_zero_grad(self, node_id, set_to_none)

    def grads(self) -> dict:
        """Node id -> current grad tensor, for every node that has one."""
        return {nid: r.grad for nid, r in self.results.items() if r.grad is not None}
