"""Executes a backward pass the way torch's engine does.

Dependencies are counted first (every node reachable from the roots); a node runs once all of
its consumers have sent their gradient, and among ready nodes the one created last (highest
sequence number) runs first — AccumulateGrad nodes have the maximum number, so a leaf's grad is
written as soon as it is complete. ``trace`` callbacks see that real order (step-through view).
"""
from __future__ import annotations

import heapq

from . import backends
from .graph import AccumulateGrad
from .grad_mode import _enabled

_tracers: list = []  # callables(event: dict); used by the step-through view and tests


def add_tracer(fn) -> None:
    _tracers.append(fn)


def remove_tracer(fn) -> None:
    if fn in _tracers:
        _tracers.remove(fn)


def _wrap(g):
    from .._tensor import Tensor
    return g if g is None or type(g) is Tensor else Tensor._make(g)


def _unwrap(g, create_graph):
    from .._tensor import Tensor
    if g is None:
        return None
    if type(g) is Tensor:
        return g if create_graph else g._data
    return g


def _add(a, b):
    return b if a is None else (a if b is None else a + b)


def _dependencies(roots):
    deps = {}
    seen = set()
    stack = [r for r in roots if r is not None]
    for r in stack:
        seen.add(r)
    while stack:
        fn = stack.pop()
        for nxt, _ in fn.next_functions:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps, seen


def _needed(roots, targets, seen):
    """Nodes on some path from a root to a target node (torch's exec_info)."""
    needed = set(targets)
    # iterate until fixpoint over reverse topological structure; graphs here are small
    parents = {}
    for fn in seen:
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                parents.setdefault(nxt, []).append(fn)
    stack = list(targets)
    while stack:
        fn = stack.pop()
        for p in parents.get(fn, ()):
            if p not in needed:
                needed.add(p)
                stack.append(p)
    return needed


def run_backward(roots, grads, retain_graph: bool, create_graph: bool,
                 capture=None, accumulate=True, accumulate_only=None):
    """Run backward from ``roots`` (list of (node, output_nr)) with ``grads`` (arrays or
    Tensors). ``capture``: list of (node, output_nr) whose incoming grad is returned instead
    of being propagated past (autograd.grad); ``accumulate_only``: set of AccumulateGrad
    nodes allowed to write (backward(inputs=...)). Returns captured grads (or None)."""
    F = backends.TF if create_graph else backends.NP
    prev_mode = _enabled[0]
    _enabled[0] = create_graph
    try:
        return _run(roots, grads, retain_graph, create_graph, capture, accumulate,
                    accumulate_only, F)
    finally:
        _enabled[0] = prev_mode


def _run(roots, grads, retain_graph, create_graph, capture, accumulate, accumulate_only, F):
    root_nodes = [n for n, _ in roots]
    deps, seen = _dependencies(root_nodes)
    needed = None
    captured = None
    capture_at = None
    if capture is not None:
        captured = [None] * len(capture)
        capture_at = {}
        for i, (n, nr) in enumerate(capture):
            capture_at.setdefault(n, []).append((nr, i))
        needed = _needed(root_nodes, [n for n, _ in capture if n in seen], seen)
    elif accumulate_only is not None:
        needed = _needed(root_nodes, [n for n in accumulate_only if n in seen], seen)

    buffers = {}
    for (node, nr), g in zip(roots, grads):
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * _num_outputs(node)
        buf[nr] = _add(buf[nr], _unwrap(g, create_graph))

    ready = []
    for node in dict.fromkeys(root_nodes):
        if deps.get(node, 0) == 0:
            heapq.heappush(ready, (-node._seq, id(node), node))
    handed_out = set()
    tracers = _tracers
    executed = []
    while ready:
        _, _, node = heapq.heappop(ready)
        buf = buffers.pop(node)
        executed.append(node)
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
        if capture_at is not None and node in capture_at:
            for nr, i in capture_at[node]:
                captured[i] = _add(captured[i], buf[nr])
        if needed is not None and node not in needed:
            continue
        if type(node) is AccumulateGrad:
            if accumulate and (accumulate_only is None or node in accumulate_only):
                if buf[0] is not None:
                    node.accumulate(buf[0], create_graph, handed_out)
            if node._hooks:
                for hook in list(node._hooks.values()):
                    hook((), tuple(_wrap(g) for g in buf))
            if tracers:
                for t in tracers:
                    t({"node": node, "grad_outputs": tuple(buf), "grad_inputs": ()})
            continue
        if capture is not None and needed is not None and all(
                nxt is None or nxt not in needed for nxt, _ in node.next_functions):
            continue
        g = buf[0] if len(buf) == 1 else buf
        if g is None or (len(buf) > 1 and all(x is None for x in buf)):
            outs = (None,) * len(node.next_functions)
        else:
            if len(buf) > 1:
                buf = [x if x is not None else _zeros_for(node, i, F) for i, x in enumerate(buf)]
                g = buf
            outs = node.backward(F, g)
            if type(outs) is not tuple:
                outs = tuple(outs)
        if node._hooks:
            for hook in list(node._hooks.values()):
                new = hook(tuple(_wrap(o) for o in outs), tuple(_wrap(x) for x in buf))
                if new is not None:
                    outs = tuple(_unwrap(o, create_graph) for o in new)
        if tracers:
            for t in tracers:
                t({"node": node, "grad_outputs": tuple(buf), "grad_inputs": outs})
        if not retain_graph:
            node.release()
        for (nxt, nr), o in zip(node.next_functions, outs):
            if nxt is None:
                continue
            nb = buffers.get(nxt)
            if nb is None:
                nb = buffers[nxt] = [None] * _num_outputs(nxt)
            if o is not None:
                nb[nr] = o if nb[nr] is None else nb[nr] + o
            d = deps[nxt] - 1
            deps[nxt] = d
            if d == 0:
                heapq.heappush(ready, (-nxt._seq, id(nxt), nxt))
    if not retain_graph:
        # torch frees the saved values of every node the pass went through
        for node in executed:
            node.release()
    return captured


def _num_outputs(node) -> int:
    return getattr(node, "num_outputs", 1)


def _zeros_for(node, i, F):
    shapes = node.output_shapes
    import numpy as np
    z = np.zeros(shapes[i][0], dtype=shapes[i][1])
    return F.const(z)


def _retain(node, buf, create_graph):
    from .._tensor import Tensor
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
