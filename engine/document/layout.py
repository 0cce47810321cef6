"""Layered auto-layout: columns from the topological generations, rows ordered by the
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


def _generations(g) -> list[list]:
    """networkx's topological_generations over the adjacency (succ/pred dicts, node order)."""
    indeg = {v: len(ps) for v, ps in g.pred.items()}
    layer = [v for v, d in indeg.items() if d == 0]
    out = []
    while layer:
        out.append(layer)
        nxt = []
        for v in layer:
            for s in g.succ[v]:
                indeg[s] -= 1
                if indeg[s] == 0:
                    nxt.append(s)
        layer = nxt
    return out


def _columns(g, chains) -> list[list]:
    """Topological generations; a source that belongs to a module group (a parameter) moves
    to the column just before its first consumer, so the group's box stays narrow."""
    layers = _generations(g)
    if not chains:
        return layers
    col = {nid: c for c, layer in enumerate(layers) for nid in layer}
    for nid in layers[0] if layers else ():
        succ = [col[s] for s in g.succ[nid]]
        if nid in chains and succ:
            col[nid] = max(0, min(succ) - 1)
    out: list[list] = [[] for _ in layers]
    for layer in layers:  # document order within a column, as before
        for nid in layer:
            out[col[nid]].append(nid)
    return [layer for layer in out if layer]


def layered_layout(doc, dx: float = 240.0, dy: float = 200.0) -> dict:
    g = doc._graph()  # the document's own adjacency: no networkx graph to build (or import)
    order = {nid: i for i, nid in enumerate(doc.nodes)}
    chains = _chains(doc)
    row: dict[str, float] = {}
    pos: dict[str, tuple[float, float]] = {}
    for col, layer in enumerate(_columns(g, chains)):
        def key(nid):
            preds = [row[p] for p in g.pred[nid]]
            if not preds and chains:  # a source sits by the consumers laid out so far
                preds = [row[p] for s in g.succ[nid] for p in g.pred[s]
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
    if chains:
        rows = _blocks({nid: int(round(x / dx)) for nid, (x, _) in pos.items()}, row, chains)
        pos = {nid: (x, rows[nid] * dy) for nid, (x, _) in pos.items()}
    return pos


# a module group's box around its members, in rows (one row = one node's cell): the header
# and margin above the first member, the margin below the last, a gap to what is beside it
BLOCK_TOP, BLOCK_BOTTOM, BLOCK_GAP = 0.25, 0.1, 0.1


def _blocks(colof: dict, rowof: dict, chains: dict) -> dict:
    """Rows that make every module group a block: a rectangle of columns x rows holding its
    members and its sub-groups' blocks and nothing else, so no node of another module (nor
    an input such as X) lies inside its box, and sibling boxes never overlap. Columns stay;
    within a block, members and sub-blocks keep the order of ``rowof`` (the barycenter
    rows) and move down only as far as the columns they share need (a skyline per column).
    """
    parent: dict = {}
    home: dict = {}
    for nid in colof:
        chain = chains.get(nid, ())
        home[nid] = chain[-1] if chain else None
        for i, rid in enumerate(chain):
            parent.setdefault(rid, chain[i - 1] if i else None)
    direct: dict = {}
    for nid in colof:
        direct.setdefault(home[nid], []).append(nid)
    children: dict = {}
    for rid, p in parent.items():
        children.setdefault(p, []).append(rid)
    order: list = []

    def visit(b):
        for c in children.get(b, ()):
            visit(c)
        order.append(b)
    visit(None)
    span, first, height, local = {}, {}, {}, {}
    for b in order:
        elems = []  # (wanted top, first column, kind, id)
        for nid in direct.get(b, ()):
            elems.append((rowof[nid], colof[nid], 0, nid))
        for c in children.get(b, ()):
            elems.append((first[c] - BLOCK_TOP, span[c][0], 1, c))
        elems.sort(key=lambda e: (e[0], e[1]))
        sky: dict = {}
        placed = {}
        lo, hi = float("inf"), float("-inf")
        cols = []
        for want, _, kind, e in elems:
            c0, c1 = (colof[e], colof[e]) if kind == 0 else span[e]
            h = 1.0 if kind == 0 else height[e]
            top = want
            for c in range(c0, c1 + 1):
                if c in sky:
                    end, was_block = sky[c]
                    top = max(top, end + (BLOCK_GAP if kind or was_block else 0.0))
            for c in range(c0, c1 + 1):
                sky[c] = (top + h, bool(kind))
            placed[e] = (kind, top)
            lo, hi = min(lo, top), max(hi, top + h)
            cols += [c0, c1]
        span[b] = (min(cols), max(cols))
        first[b] = min(rowof[n] for n in _members(b, direct, children))
        shift = 0.0 if b is None else BLOCK_TOP - lo
        height[b] = hi - lo + BLOCK_TOP + BLOCK_BOTTOM
        local[b] = {e: (kind, top + shift) for e, (kind, top) in placed.items()}
    out: dict = {}

    def place(b, y0):
        for e, (kind, top) in local[b].items():
            if kind == 0:
                out[e] = y0 + top
            else:
                place(e, y0 + top)
    place(None, 0.0)
    return out


def _members(b, direct, children):
    yield from direct.get(b, ())
    for c in children.get(b, ()):
        yield from _members(c, direct, children)
