"""Executes a backward pass the way torch's engine does.

Dependencies are counted first (every node reachable from the roots); a node runs once all of
its consumers have sent their gradient, and among ready nodes the one created last (highest
sequence number) runs first — AccumulateGrad nodes have the maximum number, so a leaf's grad is
written as soon as it is complete. ``trace`` callbacks see that real order (step-through view).
"""
from __future__ import annotations

import numpy as np

from . import backends
from .grad_mode import _enabled
from .graph import AccumulateGrad

Tensor = None  # set by engine._tensor once the class exists (import cycle)
_tracers: list = []  # callables(event: dict); used by the step-through view and tests


def add_tracer(fn) -> None:
    _tracers.append(fn)


def remove_tracer(fn) -> None:
    if fn in _tracers:
        _tracers.remove(fn)


def _wrap(g):
    return g if g is None or type(g) is Tensor else Tensor._make(g)


def _unwrap(g, create_graph):
    if g is None:
        return None
    if type(g) is Tensor:
        return g if create_graph else g._data
    return Tensor._make(g) if create_graph else g


def _add(a, b):
    return b if a is None else (a if b is None else a + b)


def _dependencies(roots) -> dict:
    """Node -> number of edges into it from nodes reachable from ``roots`` (roots: 0+)."""
    deps = {}
    stack = []
    for r in roots:
        if r is not None and r not in deps:
            deps[r] = 0
            stack.append(r)
    get = deps.get
    pop, push = stack.pop, stack.append
    while stack:
        for nxt, _ in pop().next_functions:
            if nxt is not None:
                c = get(nxt)
                if c is None:
                    deps[nxt] = 1
                    push(nxt)
                else:
                    deps[nxt] = c + 1
    return deps


def _needed(targets, reachable) -> set:
    """Nodes with a path of at least one edge to a target (torch's exec_info): only they run.
    A target itself runs only when it also leads to another target."""
    parents = {}
    for fn in reachable:
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                parents.setdefault(nxt, []).append(fn)
    needed = set()
    stack = list(targets)
    while stack:
        for p in parents.get(stack.pop(), ()):
            if p not in needed:
                needed.add(p)
                stack.append(p)
    return needed


def run_backward(roots, grads, retain_graph: bool, create_graph: bool,
                 capture=None, accumulate=True, accumulate_only=None):
    """Run backward from ``roots`` (list of (node, output_nr)) with ``grads`` (arrays or
    Tensors). ``capture``: list of (node, output_nr) whose incoming grad is returned instead
    of being propagated past (autograd.grad); ``accumulate_only``: set of nodes allowed to
    write (backward(inputs=...)). Returns captured grads (or None)."""
    F = backends.TF if create_graph else backends.NP
    prev_mode = _enabled[0]
    _enabled[0] = create_graph
    # torch computes nan/inf gradients silently; NumPy would warn from inside the formulas
    # (one errstate per backward call costs ~1 us, nothing per node)
    try:
        with np.errstate(all="ignore"):
            return _run(roots, grads, retain_graph, create_graph, capture, accumulate,
                        accumulate_only, F)
    finally:
        _enabled[0] = prev_mode


def _run(roots, grads, retain_graph, create_graph, capture, accumulate, accumulate_only, F):
    # The backward hot loop, deliberately kept in one unrolled function (radon grade F): every
    # helper call per node costs measurably in bench_engine.py, so do not split it into steps.
    root_nodes = [n for n, _ in roots]
    deps = _dependencies(root_nodes)
    needed = captured = capture_at = None
    if capture is not None:
        captured = [None] * len(capture)
        capture_at = {}
        for i, (n, nr) in enumerate(capture):
            capture_at.setdefault(n, []).append((nr, i))
        needed = _needed([n for n, _ in capture if n in deps], deps)
    elif accumulate_only is not None:
        needed = _needed([n for n in accumulate_only if n in deps], deps)

    buffers = {}
    for (node, nr), g in zip(roots, grads):
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node.num_outputs
        buf[nr] = _add(buf[nr], _unwrap(g, create_graph))

    ready = []
    for n in dict.fromkeys(root_nodes):
        if deps[n] == 0:
            _push(ready, n)
    handed_out = set()
    tracers = _tracers
    release = not retain_graph
    node = _pop(ready) if ready else None
    carry = None  # the next node's gradient buffer, handed over without the ``buffers`` dict
    while node is not None:
        if carry is not None:
            buf = carry
            carry = None
        else:
            buf = buffers.pop(node)
        special = node._special  # any hook or retain_grad on this node
        # hooks and retain_grad see the gradient even when the node itself does not run
        if special:
            buf = _pre_hooks(node, buf, create_graph)
        if capture_at is not None and node in capture_at:
            for nr, i in capture_at[node]:
                captured[i] = _add(captured[i], buf[nr])
        if type(node) is AccumulateGrad:
            if accumulate and (accumulate_only is None or node in accumulate_only):
                if buf[0] is not None:
                    node.accumulate(buf[0], create_graph, handed_out)
            if special and node._hooks:
                for hook in list(node._hooks.values()):
                    hook((), tuple(_wrap(g) for g in buf))
            if tracers:
                for t in tracers:
                    t({"node": node, "grad_outputs": tuple(buf), "grad_inputs": ()})
            node = _pop(ready) if ready else None
            continue
        if needed is not None and node not in needed:
            node = _pop(ready) if ready else None
            continue
        nf = node.next_functions
        if len(buf) == 1:
            g = buf[0]
            outs = node.backward(F, g) if g is not None else (None,) * len(nf)
        elif all(x is None for x in buf):
            outs = (None,) * len(nf)
        else:
            buf = [x if x is not None else _zeros_for(node, i, F) for i, x in enumerate(buf)]
            outs = node.backward(F, buf)
        if special and node._hooks:
            if type(outs) is not tuple:
                outs = tuple(outs)
            for hook in list(node._hooks.values()):
                new = hook(tuple(_wrap(o) for o in outs), tuple(_wrap(x) for x in buf))
                if new is not None:
                    outs = tuple(_unwrap(o, create_graph) for o in new)
        if tracers:
            for t in tracers:
                t({"node": node, "grad_outputs": tuple(buf), "grad_inputs": tuple(outs)})
        if release and node.saves:
            node.release()
        node = None  # the next node: a single newly ready one skips an empty queue
        # One live edge and an empty queue (a chain; ``t * 2.0`` records (t, None)): the
        # common case, handled without the general loop and without the ``buffers`` dict.
        k = -1
        if not ready:
            if len(nf) == 1:
                k = 0
            elif len(nf) == 2:
                k = 0 if nf[1][0] is None else (1 if nf[0][0] is None else -1)
        if k >= 0:
            nxt, nr = nf[k]
            if nxt is None:
                continue
            o = outs[k]
            d = deps[nxt] - 1
            deps[nxt] = d
            if d:
                nb = buffers.get(nxt)
                if nb is None:
                    nb = buffers[nxt] = [None] * nxt.num_outputs
                if o is not None:
                    nb[nr] = o if nb[nr] is None else nb[nr] + o
                continue
            nb = buffers.pop(nxt, None)
            if nb is None:
                nb = [None] * nxt.num_outputs
            if o is not None:
                nb[nr] = o if nb[nr] is None else nb[nr] + o
            carry = nb
            node = nxt
            continue
        for (nxt, nr), o in zip(nf, outs):
            if nxt is None:
                continue
            nb = buffers.get(nxt)
            if nb is None:
                nb = buffers[nxt] = [None] * nxt.num_outputs
            if o is not None:
                nb[nr] = o if nb[nr] is None else nb[nr] + o
            d = deps[nxt] - 1
            deps[nxt] = d
            if d == 0:
                if node is None and not ready:
                    node = nxt
                else:  # torch pushes in edge order: the held node goes first
                    if node is not None:
                        _push(ready, node)
                        node = None
                    _push(ready, nxt)
        if node is None and ready:
            node = _pop(ready)
    return captured


# torch's ready queue is a std::priority_queue (libstdc++ push_heap/pop_heap) ordered by
# sequence number; nodes with equal numbers (AccumulateGrad) come out in the order these exact
# heap moves give, which is what the two functions below reproduce (heapq's differ).
def _push(q: list, node) -> None:
    q.append(node)
    _sift_up(q, len(q) - 1, node)


def _sift_up(q: list, hole: int, node) -> None:
    seq = node._seq
    while hole > 0:
        parent = (hole - 1) >> 1
        p = q[parent]
        if not p._seq < seq:
            break
        q[hole] = p
        hole = parent
    q[hole] = node


def _pop(q: list):
    top = q[0]
    last = q.pop()
    n = len(q)
    if n:  # libstdc++ __adjust_heap: the hole walks down to a leaf, then ``last`` sifts up
        hole = child = 0
        while child < (n - 1) // 2:
            child = 2 * (child + 1)
            if q[child]._seq < q[child - 1]._seq:
                child -= 1
            q[hole] = q[child]
            hole = child
        if n % 2 == 0 and child == (n - 2) // 2:
            child = 2 * (child + 1)
            q[hole] = q[child - 1]
            hole = child - 1
        _sift_up(q, hole, last)
    return top


def _pre_hooks(node, buf, create_graph):
    """Tensor hooks, retain_grad, then node pre-hooks; returns the (maybe new) buffer."""
    if node._tensor_pre_hooks:
        for nr, hooks in node._tensor_pre_hooks.items():
            for hook in list(hooks.values()):
                new = hook(_wrap(buf[nr]))
                if new is not None:
                    buf[nr] = _unwrap(new, create_graph)
    if node._retained:
        _retain(node, buf, create_graph)
    if node._pre_hooks:
        for hook in list(node._pre_hooks.values()):
            new = hook(tuple(_wrap(g) for g in buf))
            if new is not None:
                buf = [_unwrap(g, create_graph) for g in new]
    return buf


def _zeros_for(node, i, F):
    shapes = node.output_shapes
    import numpy as np
    z = np.zeros(shapes[i][0], dtype=shapes[i][1])
    return F.const(z)


def _retain(node, buf, create_graph):
    for nr, ref in list(node._retained.items()):
        t = ref()
        g = buf[nr]
        if t is None or g is None:
            continue
        if create_graph:
            gt = g if type(g) is Tensor else Tensor._make(g)
            t._grad = gt if t._grad is None else t._grad + gt
        else:
            arr = g._data if type(g) is Tensor else g
            if t._grad is None:
                t._grad = Tensor._make(arr.copy())
            else:
                t._grad = Tensor._make(t._grad._data + arr)
