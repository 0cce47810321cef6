"""Read-only queries on a document's structure (a mixin of ``Document``): neighbours, the
wire a drop would replace, order, reachability, which outputs require grad, the backward
DAG. Edits keep ``self._graph()`` (adjacency.py) in step, so each query costs what it reads.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import inplace
from .adjacency import Adjacency
from .errors import CycleError

if TYPE_CHECKING:  # networkx costs ~0.1-0.5 s to import: only graph() loads it
    import networkx as nx

    from .model import Wire


@dataclass(frozen=True)
class BackwardDag:
    nodes: frozenset  # node ids gradient flows through (root included, leaves included)
    wires: tuple  # wires carrying gradient
    leaves: frozenset  # leaves whose .grad backward fills


class DocumentQueries:
    def inputs_of(self, node_id: str) -> list[Wire]:
        """Wires into ``node_id`` in document order: O(degree log degree)."""
        g = self._graph()
        return g.ordered([w for wl in g.pred.get(node_id, {}).values() for w in wl])

    def outputs_of(self, node_id: str) -> list[Wire]:
        g = self._graph()
        return g.ordered([w for wl in g.succ.get(node_id, {}).values() for w in wl])

    def occupant(self, dst, port, index=0) -> Wire | None:
        """The wire already in input ``port`` (slot ``index``) of ``dst``: the one a drop
        there replaces ("replaces the wire from x"), or None."""
        if dst not in self.nodes:
            return None
        return self._graph().slot.get((dst, port, index))

    def is_frozen(self, node_id) -> bool:
        """A parameter whose tracking the user switched off (``w.requires_grad_(False)``,
        as when fine-tuning). A leaf made without requires_grad (``torch.randn(3)``) is
        just a tensor, not frozen; an op output cut by detach is ``frozen_output``."""
        n = self.node(node_id)
        return n.frozen and n.requires_grad and n.spec.is_source

    def in_no_grad(self, node_id) -> bool:
        return any(node_id in r.members for r in self.regions.values() if r.kind == "no_grad")

    # -- queries --------------------------------------------------------------------------
    def graph(self) -> nx.DiGraph:
        """A new networkx graph: nodes are ids (attribute ``node``); an edge's ``wires``
        lists its wires."""
        import networkx as nx
        g = nx.DiGraph()
        for nid, n in self.nodes.items():
            g.add_node(nid, node=n)
        for src, outs in self._graph().succ.items():
            for dst, wires in outs.items():
                g.add_edge(src, dst, wires=list(wires))
        return g

    def _graph(self) -> Adjacency:
        if self._g is None:
            self._g = Adjacency(self.nodes, self.wires)
        return self._g

    def topological_order(self) -> list[str]:
        """Kahn's algorithm taking the earliest node in document order first (networkx's
        lexicographical_topological_sort keyed by position), with the in-place rule's
        constraints (inplace.py: readers of a tensor before the node that modifies it)."""
        if self._writers is not None and not self._writers:  # no in-place node: plain order
            order = self._graph().topological_order(self.nodes)
        else:  # in-place nodes run after the other readers of what they modify
            order = inplace.order(self, self._graph())
        if order is None:  # the model forbids cycles
            raise CycleError("the graph has a cycle")
        return order

    def upstream(self, node_id) -> set[str]:
        self.node(node_id)
        g = self._graph()
        return g.reachable(node_id, g.pred)

    def downstream(self, node_id) -> set[str]:
        self.node(node_id)
        g = self._graph()
        return g.reachable(node_id, g.succ)

    def requires_grad_map(self) -> dict[str, bool]:
        """Which node outputs will require grad, decided statically as torch would: a source
        leaf with the flag and a floating dtype; an op that runs with grad enabled (global
        mode on, outside no_grad regions), is differentiable, and has a differentiable input
        that requires grad; ``frozen_output`` (detach) turns it off."""
        rg: dict[str, bool] = {}
        ins: dict[str, list[Wire]] = {nid: [] for nid in self.nodes}
        for w in self.wires:
            ins[w.dst].append(w)
        for nid in self.topological_order():
            n = self.nodes[nid]
            spec = n.spec
            if spec.is_source:
                r = n.tracks_grad and spec.makes_float(n.params)
            else:
                r = (self.settings.grad_enabled and spec.differentiable
                     and not self.in_no_grad(nid)
                     and any(rg[w.src] and spec.port(w.port).differentiable
                             for w in ins[nid]))
            rg[nid] = bool(r and not n.frozen_output)
        return rg

    def backward_dag(self, root_id) -> BackwardDag:
        """The nodes and wires gradient flows through from ``root_id``, and the leaves whose
        ``.grad`` it reaches. Empty when the root does not require grad."""
        self.node(root_id)
        rg = self.requires_grad_map()
        if not rg[root_id]:
            return BackwardDag(frozenset(), (), frozenset())
        nodes, wires, stack = {root_id}, [], [root_id]
        while stack:
            nid = stack.pop()
            if self.nodes[nid].spec.is_source:
                continue
            spec = self.nodes[nid].spec
            for w in self.inputs_of(nid):
                if rg[w.src] and spec.port(w.port).differentiable:
                    wires.append(w)
                    if w.src not in nodes:
                        nodes.add(w.src)
                        stack.append(w.src)
        leaves = frozenset(n for n in nodes if self.nodes[n].spec.is_source)
        position = {w: i for i, w in enumerate(self.wires)}
        wires.sort(key=position.__getitem__)
        return BackwardDag(frozenset(nodes), tuple(wires), leaves)

    def layered_layout(self, dx: float = 240.0, dy: float = 200.0) -> dict:
        from .layout import layered_layout
        return layered_layout(self, dx, dy)
