"""In-place nodes in the document: the one ordering rule and what it means (issue 14).

A document means what its exported script does when run once from the top. An in-place node
(a row with ``inplace``: ``x.add_(1)``, ``x[0] = v``) modifies the tensor wired into its
``self`` port and returns it. So that every wire keeps meaning "the value this node
produced", the model adds one rule:

    **readers before the writer**: every other reader of the tensor an in-place node modifies
    runs before that node (the order a script naturally has: use ``s``, then ``s.mul_(2)``).

"The tensor" is its storage: a view (a row with ``view_of``: ``view``, ``t``, ``detach``...)
shares its input's storage, and an in-place node's output *is* its input, so a writer's
readers are the readers of every node of its storage that does not come after the writer.
The rule is extra ordering constraints in ``Document.topological_order``; a wire that would
make them contradictory -- a node that reads ``s`` before ``s.mul_(2)`` and also depends on
its result, or a second writer on the same value -- is refused by ``Document.check_connect``
with a plain-English message (chain from the first writer's output, or clone()).

For the executor (``plan``): which nodes' recomputation needs fresh values -- a dirty reader
of a value that a writer later modified would read the modified tensor, so the node that
created the storage recomputes (and with it everything after) -- and which results to
snapshot before a writer runs, so each node keeps showing what its own line produced.
Documents without in-place nodes pay nothing: every function returns at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import CycleError


def writers(doc) -> set[str]:
    """Ids of the in-place nodes (cached on the document; add/remove keep it in step)."""
    w = doc._writers
    if w is None:
        w = doc._writers = {nid for nid, n in doc.nodes.items() if n.spec.inplace}
    return w


def _base_port(spec) -> str | None:
    return spec.inplace or spec.view_of


def storage_roots(doc, slot) -> dict[str, str]:
    """node id -> the node that created its storage (itself unless it is a view or an
    in-place node of a wired input)."""
    nodes = doc.nodes
    roots: dict[str, str] = {}
    for nid in nodes:
        chain = []
        cur = nid
        while cur not in roots:
            port = _base_port(nodes[cur].spec)
            w = slot.get((cur, port, 0)) if port else None
            if w is None:
                roots[cur] = cur
                break
            chain.append(cur)
            cur = w.src
        root = roots[cur]
        for c in chain:
            roots[c] = root
    return roots


def _descendants(start, succ, extra_succ=None) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        n = stack.pop()
        nxt = list(succ.get(n, ()))
        if extra_succ:
            nxt += extra_succ.get(n, ())
        for s in nxt:
            if s not in seen:
                seen.add(s)
                stack.append(s)
    return seen


@dataclass
class _Analysis:
    roots: dict  # node -> storage root
    members: dict  # root -> [nodes sharing its storage]
    target: dict  # writer -> the node whose output it modifies
    before: dict  # writer -> members whose value it changes after they were produced
    edges: list = field(default_factory=list)  # (reader, writer): reader runs first


def analyse(doc, extra_wire=None) -> _Analysis | None:
    """The readers-before-writer constraints of ``doc`` (plus ``extra_wire``, a wire being
    checked), or None when the document has no in-place node."""
    ws = writers(doc)
    if not ws and not (extra_wire is not None and extra_wire.dst in doc.nodes
                       and doc.nodes[extra_wire.dst].spec.inplace):
        return None
    g = doc._graph()
    slot, succ = g.slot, g.succ
    if extra_wire is not None:
        slot = {**slot, (extra_wire.dst, extra_wire.port, extra_wire.index): extra_wire}
        succ = {**succ, extra_wire.src: {**succ.get(extra_wire.src, {}), extra_wire.dst: [
            extra_wire]}}
        ws = ws | {extra_wire.dst} if doc.nodes[extra_wire.dst].spec.inplace else ws
    roots = storage_roots(doc, slot)
    members: dict[str, list] = {}
    for nid in doc.nodes:  # document order
        members.setdefault(roots[nid], []).append(nid)
    a = _Analysis(roots, members, {}, {})
    for w in ws:
        wire = slot.get((w, doc.nodes[w].spec.inplace, 0))
        if wire is None:
            continue
        a.target[w] = wire.src
        down = _descendants(w, succ)
        a.before[w] = [m for m in members[roots[wire.src]] if m != w and m not in down]
        for m in a.before[w]:
            for reader in succ.get(m, ()):
                if reader != w:
                    a.edges.append((reader, w))
    return a


def order(doc, adjacency) -> list[str] | None:
    """The topological order with the readers-before-writer constraints (None: a cycle)."""
    a = analyse(doc) if writers(doc) else None
    return adjacency.topological_order(doc.nodes, a.edges if a is not None else ())


def refusal(doc, src, dst, port, index=0):
    """Why wiring ``src -> dst.port`` breaks the in-place rule (a ``CycleError`` in plain
    English), or None. Called by ``Document.check_connect`` after its own checks."""
    from .model import Wire
    nodes = doc.nodes
    spec = nodes[dst].spec
    if spec.inplace == port:
        slot = doc._graph().slot
        for w in writers(doc):
            other = slot.get((w, nodes[w].spec.inplace, 0))
            if w != dst and other is not None and other.src == src:
                return CycleError(
                    f"{nodes[src].name} is already modified in place by {nodes[w].name}: a "
                    f"second in-place op on the same value would change it under the first "
                    f"one's result. Chain from {nodes[w].name}'s output instead (wire "
                    f"{nodes[w].name} -> {nodes[dst].name}.{port}), or clone() "
                    f"{nodes[src].name} first")
    wire = Wire(src, dst, port, index)
    a = analyse(doc, wire)
    if a is None or not a.edges:
        return None
    g = doc._graph()
    if g.topological_order(doc.nodes, a.edges + [(src, dst)]) is not None:
        return None
    succ = {**g.succ, src: {**g.succ.get(src, {}), dst: [wire]}}
    for reader, w in a.edges:
        if reader in _descendants(w, succ):
            t = nodes[a.target[w]].name
            return CycleError(
                f"{nodes[reader].name} would read {t} both before and after {nodes[w].name} "
                f"modifies it in place (readers of a tensor run before the in-place op that "
                f"modifies it, but {nodes[reader].name} also depends on {nodes[w].name}): "
                f"read {nodes[w].name}'s output instead, or clone() {t} before "
                f"{nodes[w].name}")
    # two writers on one storage (x and a view of x), neither after the other
    root = a.roots[src]
    both = [nodes[w].name for w in nodes if w in a.target and a.roots[a.target[w]] == root]
    return CycleError(
        f"{', '.join(both[:-1])} and {both[-1]} would {'both' if len(both) == 2 else 'all'} "
        f"modify the memory of {nodes[root].name} in place, "
        f"each before the other reads it: chain the in-place ops one after another (each "
        f"from the previous one's output), or clone() {nodes[root].name} first")


@dataclass
class Plan:
    """What the executor needs to re-run a document with in-place nodes correctly."""
    triggers: dict  # storage root -> nodes whose recomputation must start from its fresh value
    snapshot: dict  # writer -> members whose results keep the value they had before it ran
    fresh: set  # source roots: each forward that recomputes them starts from a copy


def plan(doc) -> Plan | None:
    a = analyse(doc) if writers(doc) else None
    if a is None:
        return None
    g = doc._graph()
    triggers: dict[str, set] = {}
    for w, before in a.before.items():
        root = a.roots[a.target[w]]
        t = triggers.setdefault(root, set())
        for m in before:
            t.add(m)
            t.update(g.succ.get(m, ()))
    fresh = {r for r in triggers if doc.nodes[r].spec.is_source}
    return Plan(triggers, dict(a.before), fresh)
