"""The backward calls of a session, in order: what each call was and what each leaf received.

Every ``Executor.backward`` and ``Executor.zero_grad`` appends one ``Call``: the root, the seed
gradient, retain_graph, the error (torch's words) or, on success, what each ``.grad`` received
and what it holds afterwards; the executor's graph version at the time. From it the timeline
view draws the calls and each leaf's ``.grad`` over the calls -- accumulation (g, 2g) and
``zero_grad`` (back to 0) are seen, not explained. Qt-free; bounded (the oldest calls drop).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAX_CALLS = 200  # a training loop of thousands of steps keeps its last 200 calls
# the arrays of old calls go first when the history holds more than this; their summaries
# (the sparkline's numbers) stay, so a large model's loop cannot grow memory without bound
MAX_BYTES = 64 * 2**20


@dataclass(frozen=True, eq=False)
class Call:
    number: int  # 1, 2, ... over the session (kept when old calls drop)
    kind: str  # "backward" or "zero_grad"
    root: str | None  # backward's root node id
    seed: object  # None: torch's implicit 1 (scalar root); "ones": ones_like; else a literal
    retain_graph: bool
    error: str | None
    graph_version: int  # the executor's graph version the call ran on
    received: dict = field(default_factory=dict)  # node id -> the gradient this call added
    grads: dict = field(default_factory=dict)  # node id -> .grad after the call (None: none)
    set_to_none: bool = False  # zero_grad(set_to_none=True)
    # node id -> grad_summary(.grad) after the call (None: no .grad); kept when arrays drop
    summaries: dict = field(default_factory=dict)
    reached: frozenset = frozenset()  # node ids this call wrote a .grad into

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for d in (self.received, self.grads) for a in d.values()
                   if a is not None)

    @property
    def dropped(self) -> bool:
        """Whether the arrays were dropped to bound the history's memory."""
        return bool(self.summaries) and not self.grads

    @property
    def ok(self) -> bool:
        return self.error is None


def _copy(t):
    return None if t is None else np.array(t.detach().numpy(), copy=True)


def _holders(executor) -> dict:
    """node id -> the tensor whose .grad backward writes (leaves and retain_grad nodes)."""
    return {nid: r for nid, r in executor.results.items()
            if r._holder is not None and r._holder.requires_grad}


class BackwardHistory:
    def __init__(self, max_calls: int = MAX_CALLS, max_bytes: int = MAX_BYTES) -> None:
        self.calls: list[Call] = []
        self.max_calls = max_calls
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._number = 0
        self._listeners: list = []
        # node id -> ((id, _version) of its .grad, the copy recorded): a .grad untouched since
        # the last call is not copied again before the next one
        self._last: dict = {}

    @property
    def number(self) -> int:
        """The last call's number (0 before any): it moves on with every call, also once old
        calls drop off the bounded list."""
        return self._number

    def subscribe(self, callback):
        """``callback(call)`` after every recorded call; returns the unsubscribe function."""
        self._listeners.append(callback)
        return lambda: callback in self._listeners and self._listeners.remove(callback)

    def __len__(self) -> int:
        return len(self.calls)

    def before(self, executor) -> dict:
        """node id -> (state, array) of each .grad before the call: a copy, as backward
        accumulates in place -- unless it is untouched since the last call recorded it."""
        out = {}
        last = self._last
        for nid, r in _holders(executor).items():
            g = r.grad
            st = _state(g)
            seen = last.get(nid)
            out[nid] = (st, seen[1]) if seen is not None and seen[0] == st else (st, _copy(g))
        return out

    def _after(self, executor, before) -> tuple[dict, dict, set]:
        """(grads, summaries, changed ids) after a call: only the .grads whose identity or
        version moved are copied and summarized again (O(changed) array work)."""
        grads, summaries, changed, last = {}, {}, set(), {}
        prev = self._last
        for nid, r in _holders(executor).items():
            g = r.grad
            st = _state(g)
            b = before.get(nid)
            seen = prev.get(nid)
            if b is not None and b[0] == st:
                arr = b[1]
                summ = seen[2] if seen is not None and seen[1] is arr else \
                    (None if arr is None else grad_summary(arr))
            else:
                arr = _copy(g)
                summ = None if arr is None else grad_summary(arr)
                changed.add(nid)
            grads[nid], summaries[nid], last[nid] = arr, summ, (st, arr, summ)
        self._last = last
        return grads, summaries, changed

    def _append(self, call: Call) -> None:
        self.calls.append(call)
        self.nbytes += call.nbytes
        for old in self.calls[:-self.max_calls]:
            self.nbytes -= old.nbytes
        del self.calls[:-self.max_calls]
        for old in self.calls[:-1]:  # the newest call always keeps its arrays
            if self.nbytes <= self.max_bytes:
                break
            if old.grads or old.received:
                self.nbytes -= old.nbytes
                old.grads.clear()
                old.received.clear()
        for cb in list(self._listeners):
            cb(call)

    def record_backward(self, executor, root, seed, retain_graph, error, before) -> Call:
        settings = executor.doc.settings
        root = root if root is not None else settings.root
        grads, summaries, changed = self._after(executor, before)
        received = {}
        if error is None:  # a failed call leaves the grads as they were: the sparkline goes on
            for nid in (n for n in grads if n in changed):  # in document order
                g, old = grads[nid], before.get(nid, (None, None))[1]
                if g is not None:
                    received[nid] = g if old is None or old.shape != g.shape else g - old
        self._number += 1
        call = Call(self._number, "backward", root, seed,
                    bool(retain_graph if retain_graph is not None else settings.retain_graph),
                    error, executor.graph_version, received, grads,
                    summaries=summaries, reached=frozenset(received))
        self._append(call)
        return call

    def record_zero_grad(self, executor, node_id, set_to_none) -> Call:
        # untouched .grads (not zeroed: another node's, or None) keep the last call's arrays
        grads, summaries, _ = self._after(
            executor, {nid: (st, arr) for nid, (st, arr, _) in self._last.items()})
        self._number += 1
        call = Call(self._number, "zero_grad", node_id, None, False, None,
                    executor.graph_version, {}, grads, bool(set_to_none),
                    summaries=summaries)
        self._append(call)
        return call

    # -- queries -----------------------------------------------------------------------------
    def backward_calls(self) -> list[Call]:
        return [c for c in self.calls if c.kind == "backward"]

    def last_success(self) -> Call | None:
        for c in reversed(self.calls):
            if c.kind == "backward" and c.ok:
                return c
        return None

    def cleared_to_none(self, node_id) -> bool:
        """Whether the last thing that touched ``node_id``'s .grad was zero_grad(set_to_none)."""
        for c in reversed(self.calls):
            if c.kind == "zero_grad" and c.set_to_none and c.root in (None, node_id):
                return True
            if c.kind == "backward" and c.ok and node_id in c.reached:
                return False
        return False

    def leaves(self) -> list[str]:
        """Node ids that ever held a .grad, in the order they first did."""
        seen: dict = {}
        for c in self.calls:
            for nid, v in c.summaries.items():
                if v is not None:
                    seen.setdefault(nid, None)
        return list(seen)

    def series(self, node_id, reduce=None) -> list[tuple[int, float | None]]:
        """(call number, one number for node_id's .grad after that call) over the calls;
        None where it had no .grad. ``reduce`` maps an array to a number (default
        ``grad_summary``), so g, 2g, 0, g reads as such."""
        if reduce is None:
            return [(c.number, c.summaries.get(node_id)) for c in self.calls]
        return [(c.number, None if c.grads.get(node_id) is None else reduce(c.grads[node_id]))
                for c in self.calls]

    def clear(self) -> None:
        self.calls.clear()
        self.nbytes = 0
        self._last = {}


def _state(g):
    return None if g is None else (id(g), g._version)


def grad_summary(a) -> float:
    """One number per .grad (the sparkline's): the value of a one-element grad, its sign
    kept, else its L2 norm ``‖grad‖`` -- so g, 2g and 0 after zero_grad read as such."""
    a = np.asarray(a, dtype=np.float64)
    if a.size == 1:
        return float(a.reshape(-1)[0])
    return float(np.sqrt(np.sum(a * a)))


def seed_text(seed) -> str:
    """How the seed gradient reads in code: ``backward()`` / ``gradient=torch.ones_like(...)``."""
    if seed is None:
        return "implicit 1.0"
    if isinstance(seed, str) and seed == "ones":
        return "ones_like(root)"
    return f"gradient={seed!r}"
