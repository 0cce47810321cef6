"""Graphviz DOT text of a document's forward graph and of a recorded backward graph.

The backward graph is drawn the way torchviz's ``make_dot`` draws it: one box per grad_fn
(named as torch names it), ``AccumulateGrad`` boxes with their leaf (light blue: name and
shape), the root tensors (green), edges following ``next_functions`` towards the root. It is
built from live tensors (``grad_fn.next_functions``), so it shows exactly what was recorded.
No graphviz package is needed: this only writes text (render it with ``dot -Tsvg``).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

NODE_ATTR = ('node [style=filled, shape=box, align=left, fontsize=10, ranksep=0.1, '
             'height=0.2, fontname=monospace]')


def quote(text: str) -> str:
    """A DOT double-quoted string; newlines become DOT's ``\\n``."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\r", "").replace("\n", "\\n") + '"'


def _size(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


class _Ids:
    """Stable, short DOT ids (n0, n1...) in visiting order, so output is reproducible."""

    def __init__(self):
        self._ids: dict[int, str] = {}
        self._keep: list = []  # keep visited objects alive so id() values are not reused

    def __call__(self, obj) -> str:
        key = id(obj)
        if key not in self._ids:
            self._ids[key] = f"n{len(self._ids)}"
            self._keep.append(obj)
        return self._ids[key]

    def __contains__(self, obj) -> bool:
        return id(obj) in self._ids


def backward_dot(roots, names: Mapping[int, str] | None = None, graph_name: str = "backward"
                 ) -> str:
    """DOT of the backward graph reachable from ``roots`` (a tensor or an iterable of them).

    ``names`` maps ``id(tensor)`` to a variable name shown on leaves and roots.
    """
    if hasattr(roots, "grad_fn"):
        roots = [roots]
    names = names or {}
    ids = _Ids()
    lines = [f"digraph {graph_name} {{", "  " + NODE_ATTR, '  graph [size="12,12"]']
    edges: list[str] = []

    def var_label(t) -> str:
        return f"{names.get(id(t), '')}\n {_size(t.shape)}"

    seen: set[int] = set()

    def add_fn(fn) -> None:
        stack = [fn]
        while stack:
            fn = stack.pop()
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            nid = ids(fn)
            lines.append(f"  {nid} [label={quote(type(fn).__name__)}]")
            var = getattr(fn, "variable", None)
            if var is not None:  # AccumulateGrad: draw its leaf
                vid = ids(var)
                lines.append(f"  {vid} [label={quote(var_label(var))}, fillcolor=lightblue]")
                edges.append(f"  {vid} -> {nid}")
            for nxt, _ in fn.next_functions:
                if nxt is not None:
                    edges.append(f"  {ids(nxt)} -> {nid}")
            # visit inputs in next_functions order, as torchviz's recursion does
            stack.extend(nxt for nxt, _ in reversed(fn.next_functions) if nxt is not None)

    for t in roots:
        if t is None or id(t) in seen:
            continue
        seen.add(id(t))
        tid = ids(t)
        lines.append(f"  {tid} [label={quote(var_label(t))}, fillcolor=darkolivegreen1]")
        if t.grad_fn is not None:
            add_fn(t.grad_fn)
            edges.append(f"  {ids(t.grad_fn)} -> {tid}")
    return "\n".join(lines + edges + ["}"]) + "\n"


def forward_dot(document, results: Mapping | None = None, graph_name: str = "forward") -> str:
    """DOT of the document's forward graph: one box per node (name, op, shape, dtype, grad_fn
    when ``results`` from an Executor are given), one edge per wire labelled with its port, and
    each no_grad region as a cluster."""
    from . import catalog

    results = results or {}
    lines = [f"digraph {graph_name} {{", "  rankdir=LR", "  " + NODE_ATTR]

    def node_line(node, indent="  ") -> str:
        spec = catalog.CATALOG.get(node.op)
        label = f"{node.name} = {spec.title if spec else node.op}"
        res = results.get(node.id)
        color = "white"
        if res is not None:
            if res.error is not None or res.blocked_by is not None:
                label += "\n error" if res.error is not None else "\n blocked"
                color = "lightpink"
            else:
                if res.shape is not None:
                    label += f"\n {_size(res.shape)} {res.dtype or ''}".rstrip()
                if res.grad_fn:
                    label += f"\n {res.grad_fn}"
                elif res.requires_grad and res.is_leaf:
                    label += "\n AccumulateGrad"
                if res.requires_grad:
                    color = "lightblue" if res.is_leaf else "darkolivegreen1"
        return f"{indent}{quote(node.id)} [label={quote(label)}, fillcolor={color}]"

    in_region: set[str] = set()
    for region in document.regions.values():
        # overlapping frames: graphviz clusters cannot share a node; the first one keeps it
        members = [document.nodes[m] for m in sorted(region.members)
                   if m in document.nodes and m not in in_region]
        in_region.update(n.id for n in members)
        lines.append(f"  subgraph {quote('cluster_' + region.id)} {{")
        label = region.title if region.kind == "module" else \
            f"with torch.{region.kind}(): {region.title}"
        lines.append(f"    label={quote(label)}")
        lines.append("    style=dashed")
        lines.extend(node_line(n, "    ") for n in members)
        lines.append("  }")
    lines.extend(node_line(n) for n in document.nodes.values() if n.id not in in_region)
    for w in document.wires:
        port = w.port if not w.index else f"{w.port}[{w.index}]"
        lines.append(f"  {quote(w.src)} -> {quote(w.dst)} [label={quote(port)}]")
    return "\n".join(lines + ["}"]) + "\n"


def document_backward_dot(document, results: Mapping, roots: Iterable[str] | None = None) -> str:
    """Backward DOT for an executed document: from ``roots`` (node ids; default the document's
    backward root, else every node whose output feeds nothing), with the document's names."""
    names: dict = {}
    for nid, r in results.items():  # first wins: flatten(x, 1) *is* x, named after x
        if r.value is not None and nid in document.nodes:
            names.setdefault(id(r.value), document.nodes[nid].name)
    if roots is None:
        root = document.settings.root
        if root is not None:
            roots = [root]
        else:
            used = {w.src for w in document.wires}
            roots = [nid for nid in document.nodes if nid not in used]
    tensors = [results[nid].value for nid in roots
               if nid in results and results[nid].value is not None]
    return backward_dot(tensors, names)
