"""The document's wiring, indexed so every edit costs O(degree) (issue 10).

``Adjacency`` keeps, per node, its neighbours and the wires to each; per input slot
``(dst, port, index)`` the wire in it; and per wire an order key that sorts like the wire's
position in ``Document.wires`` (so ``inputs_of`` sorts k wires, never scans all W).
Plain dicts: the structure queries need, without importing networkx at start-up.
"""
from __future__ import annotations

import heapq
from bisect import bisect_left


class Adjacency:
    __slots__ = ("succ", "pred", "slot", "key", "_next")

    def __init__(self, nodes, wires) -> None:
        self.succ: dict[str, dict[str, list]] = {nid: {} for nid in nodes}
        self.pred: dict[str, dict[str, list]] = {nid: {} for nid in nodes}
        self.slot: dict[tuple, object] = {}  # (dst, port, index) -> Wire
        self.key: dict[object, float] = {}  # Wire -> order key (sorted like Document.wires)
        self._next = 0.0
        for w in wires:
            self.add_wire(w)

    # -- nodes ---------------------------------------------------------------------------
    def add_node(self, nid: str) -> None:
        self.succ.setdefault(nid, {})
        self.pred.setdefault(nid, {})

    def remove_node(self, nid: str) -> None:
        """Drop ``nid`` (its wires must have been removed with ``remove_wire`` first)."""
        self.succ.pop(nid, None)
        self.pred.pop(nid, None)

    def wires_of(self, nid: str) -> list:
        """Every wire into or out of ``nid`` (self-loops cannot exist), in document order."""
        ws = [w for wl in self.pred.get(nid, {}).values() for w in wl]
        ws += [w for wl in self.succ.get(nid, {}).values() for w in wl]
        return self.ordered(ws)

    # -- wires ---------------------------------------------------------------------------
    def _link(self, w) -> None:
        self.succ[w.src].setdefault(w.dst, []).append(w)
        self.pred[w.dst].setdefault(w.src, []).append(w)
        self.slot[w.dst, w.port, w.index] = w

    def add_wire(self, w) -> None:
        """``w`` was appended to ``wires``."""
        self.key[w] = self._next
        self._next += 1.0
        self._link(w)

    def insert_wire(self, w, wires: list, at: int) -> None:
        """``w`` was inserted into ``wires`` at position ``at``: a key between its
        neighbours' (renumbering everything in the rare case floats run out of room)."""
        lo = self.key[wires[at - 1]] if at > 0 else None
        hi = self.key[wires[at + 1]] if at + 1 < len(wires) else None
        if hi is None:
            k = self._next
            self._next += 1.0
        elif lo is None:
            k = hi - 1.0
        else:
            k = (lo + hi) / 2
            if not lo < k < hi:
                self.renumber(wires, skip=w)
                k = self.key[wires[at - 1]] + 0.5
        self.key[w] = k
        self._link(w)

    def renumber(self, wires: list, skip=None) -> None:
        self.key = {x: float(i) for i, x in enumerate(wires) if x is not skip}
        self._next = float(len(wires))

    def remove_wire(self, w) -> None:
        del self.key[w]
        self.slot.pop((w.dst, w.port, w.index), None)
        for adj, a, b in ((self.succ, w.src, w.dst), (self.pred, w.dst, w.src)):
            lst = adj[a][b]
            lst.remove(w)
            if not lst:
                del adj[a][b]

    def position(self, w, wires: list) -> int:
        """``wires.index(w)`` by bisection on the order keys: O(log W)."""
        return bisect_left(wires, self.key[w], key=self.key.__getitem__)

    def ordered(self, ws: list) -> list:
        return sorted(ws, key=self.key.__getitem__) if len(ws) > 1 else ws

    # -- queries -------------------------------------------------------------------------
    def has_path(self, a: str, b: str) -> bool:
        """Is ``b`` reachable from ``a`` (a depth-first search that stops at ``b``)?"""
        if a == b:
            return True
        succ, seen, stack = self.succ, {a}, [a]
        while stack:
            for nxt in succ.get(stack.pop(), ()):
                if nxt == b:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    @staticmethod
    def reachable(start: str, adj: dict) -> set[str]:
        """Every node reachable from ``start`` along ``adj`` (``start`` excluded)."""
        seen: set[str] = set()
        stack = [start]
        while stack:
            for nxt in adj.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    def topological_order(self, nodes, extra=()) -> list[str] | None:
        """Kahn's algorithm taking the earliest node in ``nodes`` order first (networkx's
        lexicographical_topological_sort keyed by position); None if there is a cycle.
        ``extra``: (before, after) pairs that order nodes without a wire (in-place rule)."""
        rank = {nid: i for i, nid in enumerate(nodes)}
        pred, succ = self.pred, self.succ
        indeg = {nid: len(pred[nid]) for nid in nodes}
        after: dict[str, list] = {}
        for a, b in set(extra):
            if a not in pred[b]:  # a wire already orders them
                indeg[b] += 1
                after.setdefault(a, []).append(b)
        heap = [(rank[nid], nid) for nid, d in indeg.items() if d == 0]
        heapq.heapify(heap)
        order = []
        while heap:
            _, nid = heapq.heappop(heap)
            order.append(nid)
            for s in succ[nid]:
                indeg[s] -= 1
                if indeg[s] == 0:
                    heapq.heappush(heap, (rank[s], s))
            for s in after.get(nid, ()):
                indeg[s] -= 1
                if indeg[s] == 0:
                    heapq.heappush(heap, (rank[s], s))
        return order if len(order) == len(rank) else None
