"""The executor's part for documents with in-place nodes (the rule and its reasons are in
inplace.py): fresh source values each forward, snapshots of what a writer is about to modify,
and torch's version-check error on a grad_fn before backward runs."""
from __future__ import annotations

import numpy as np

import engine

from .node_result import InplaceResult


def fresh_roots(ip, seeds) -> None:
    """A recomputed reader of a value an in-place node modified later must see it as it was:
    the node that created that storage recomputes too (and so everything after it)."""
    changed = True
    while changed:
        changed = False
        for root, trig in ip.triggers.items():
            if root not in seeds and not seeds.isdisjoint(trig):
                seeds.add(root)
                changed = True


class InplaceRun:
    """Mixed into Executor (which has ``m``, ``results``, ``_ip`` and ``_pristine``)."""

    def _fresh(self, node, leaf):
        """A source an in-place node modifies, as a script run from the top has it: a copy
        of the cached leaf; a leaf requiring grad keeps its identity (its .grad accumulates)
        and gets its values and version back (an update under no_grad is applied once)."""
        if not node.tracks_grad:
            return leaf.clone()
        kept = self._pristine.get(node.id)
        if kept is not None and kept[0] is leaf:
            if self.m is engine and (leaf._version != kept[2]
                                     or not np.array_equal(leaf._data, kept[1])):
                leaf._data[...] = kept[1]
                leaf._version = kept[2]
        elif self.m is engine:
            self._pristine[node.id] = (leaf, leaf._data.copy(), leaf._version)
        return leaf

    def _snapshots(self, member_ids) -> dict:
        """Copies of the results an in-place node is about to modify, as their nodes made
        them (value, grad_fn, version); the tensor itself stays ``live``. Engine only: a torch
        tensor's grad_fn cannot be given to a copy (parity runs keep the live tensors)."""
        if self.m is not engine:
            return {}
        out = {}
        make = engine.Tensor._make
        for mid in member_ids:
            r = self.results.get(mid)
            if r is None or r.value is None or isinstance(r, InplaceResult) and \
                    r.live is not r.value:
                continue
            v = r.value
            snap = make(v._data.copy(), v._requires_grad, v.grad_fn, v._output_nr)
            snap._version = v._version
            out[mid] = InplaceResult(snap, holder=r._holder, grad_count=r.grad_count, live=v)
        return out

    def _mark_stale(self, recomputed) -> None:
        """Before backward: each grad_fn whose saved tensors an in-place node modified gets
        torch's error text on its node (saved_tensors.stale_error)."""
        from .saved_tensors import stale_error
        results = self.results
        for nid in recomputed:
            r = results.get(nid)
            fn = None if r is None or r.value is None else r.value.grad_fn
            if fn is None:
                continue
            err = stale_error(fn)
            if err is None and r.stale is None:
                continue
            if not isinstance(r, InplaceResult):
                r = results[nid] = InplaceResult(r.value, holder=r._holder,
                                                 grad_count=r.grad_count)
            r.stale = err


__all__ = ["InplaceRun", "fresh_roots"]
