"""Layered auto-layout: columns from networkx topological generations, rows ordered by the
mean row of each node's predecessors (one barycenter sweep keeps wires from crossing much).

Module groups (``Region(kind="module")``) stay together: in every column a group's members
take contiguous rows (nested groups inside their parent's block), the blocks ordered by their
members' mean barycenter, so a group's box does not swallow its neighbours' nodes; a group's
parameters sit in the column just before their first consumer."""
from __future__ import annotations


def _chains(doc) -> dict[str, tuple[str, ...]]:
    """node id -> the module groups holding it, outermost first."""
    regions = [r for r in doc.regions.values() if getattr(r, "kind", "") == "module"]
    if not regions:
        return {}
    rank = {r.id: i for i, r in enumerate(regions)}
    holding: dict[str, list] = {}
    for r in regions:
        for nid in r.members:
            holding.setdefault(nid, []).append(r)
    return {nid: tuple(r.id for r in sorted(rs, key=lambda r: (-len(r.members), rank[r.id])))
            for nid, rs in holding.items()}


def _arrange(layer: list, bary: dict, chains: dict, depth: int = 0) -> list:
    """Rows of one column: blocks of the same group at ``depth`` kept together."""
    blocks: dict[object, list] = {}
    for nid in layer:
        chain = chains.get(nid, ())
        key = chain[depth] if depth < len(chain) else ("node", nid)
        blocks.setdefault(key, []).append(nid)
    def block_key(item):
        key, nids = item
        return (sum(bary[n][0] for n in nids) / len(nids), min(bary[n][1] for n in nids))
    out = []
    for key, nids in sorted(blocks.items(), key=block_key):
        if isinstance(key, tuple) or len(nids) == 1:
            out.extend(sorted(nids, key=lambda n: bary[n]))
        else:
            out.extend(_arrange(nids, bary, chains, depth + 1))
    return out


def _columns(g, chains) -> list[list]:
    """Topological generations; a source that belongs to a module group (a parameter) moves
    to the column just before its first consumer, so the group's box stays narrow."""
    import networkx as nx  # not at import time: export uses _chains, start-up imports export
    layers = [list(layer) for layer in nx.topological_generations(g)]
    if not chains:
        return layers
    col = {nid: c for c, layer in enumerate(layers) for nid in layer}
    for nid in layers[0] if layers else ():
        succ = [col[s] for s in g.successors(nid)]
        if nid in chains and succ:
            col[nid] = max(0, min(succ) - 1)
    out: list[list] = [[] for _ in layers]
    for layer in layers:  # document order within a column, as before
        for nid in layer:
            out[col[nid]].append(nid)
    return [layer for layer in out if layer]


def layered_layout(doc, dx: float = 240.0, dy: float = 200.0) -> dict:
    g = doc.graph()
    order = {nid: i for i, nid in enumerate(doc.nodes)}
    chains = _chains(doc)
    row: dict[str, float] = {}
    pos: dict[str, tuple[float, float]] = {}
    for col, layer in enumerate(_columns(g, chains)):
        def key(nid):
            preds = [row[p] for p in g.predecessors(nid)]
            if not preds and chains:  # a source sits by the consumers laid out so far
                preds = [row[p] for s in g.successors(nid) for p in g.predecessors(s)
                         if p in row]
            return (sum(preds) / len(preds) if preds else -1.0, order[nid])
        if chains:
            bary = {nid: key(nid) for nid in layer}
            layer = _arrange(layer, bary, chains)
        else:
            layer = sorted(layer, key=key)
        top = -(len(layer) - 1) / 2.0
        for i, nid in enumerate(layer):
            row[nid] = top + i
            pos[nid] = (col * dx, (top + i) * dy)
    return pos
