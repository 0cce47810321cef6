"""Layered auto-layout: columns from networkx topological generations, rows ordered by the
mean row of each node's predecessors (one barycenter sweep keeps wires from crossing much)."""
from __future__ import annotations

import networkx as nx


def layered_layout(doc, dx: float = 240.0, dy: float = 200.0) -> dict:
    g = doc.graph()
    order = {nid: i for i, nid in enumerate(doc.nodes)}
    row: dict[str, float] = {}
    pos: dict[str, tuple[float, float]] = {}
    for col, layer in enumerate(nx.topological_generations(g)):
        def key(nid):
            preds = [row[p] for p in g.predecessors(nid)]
            return (sum(preds) / len(preds) if preds else -1.0, order[nid])
        layer = sorted(layer, key=key)
        top = -(len(layer) - 1) / 2.0
        for i, nid in enumerate(layer):
            row[nid] = top + i
            pos[nid] = (col * dx, (top + i) * dy)
    return pos
