"""Which node ``backward`` starts from: one rule for Backward, Verify and the backward-graph
panel (issue 9). Leaves are inputs and roots are outputs, as in the autograd tutorial.

The rule: the selected node, if it is a single op node (even one that does not require
grad, so that backward gives torch's own error on it); else the document's root
(``settings.root``); else the single sink from which a backward could start; else no root,
with a plain-English reason.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RootChoice:
    node_id: str | None
    reason: str  # why this node, or why there is none (for the status bar / log)


def can_be_root(doc, node_id, results: Mapping | None = None, _static=None) -> bool:
    """An op node (not a source) whose result ran ok and requires grad. Without a result
    for it yet (before the first forward), the model's static requires_grad map decides."""
    node = doc.nodes.get(node_id)
    if node is None or node.spec.is_source:
        return False
    r = results.get(node_id) if results else None
    if r is not None:
        return bool(r.ok and r.requires_grad)
    rg = _static if _static is not None else doc.requires_grad_map()
    return bool(rg.get(node_id))


def backward_candidates(doc, results: Mapping | None = None) -> list[str]:
    """Sinks (op nodes nothing reads) that a backward could start from, in document order."""
    g = doc._graph()
    sinks = [nid for nid, n in doc.nodes.items() if not n.spec.is_source and not g.succ[nid]]
    static = None
    if any(not results or nid not in results for nid in sinks):
        static = doc.requires_grad_map()
    return [nid for nid in sinks if can_be_root(doc, nid, results, static)]


def resolve_root(doc, selection, results: Mapping | None = None) -> RootChoice:
    sel = [s for s in (selection or ()) if s in doc.nodes]
    if len(sel) == 1 and not doc.nodes[sel[0]].spec.is_source:
        return RootChoice(sel[0], f"the selected node {doc.nodes[sel[0]].name}")
    root = doc.settings.root
    if root is not None and root in doc.nodes:
        return RootChoice(root, f"the document's root {doc.nodes[root].name}")
    candidates = backward_candidates(doc, results)
    if len(candidates) == 1:
        name = doc.nodes[candidates[0]].name
        return RootChoice(candidates[0], f"{name}, the only output that requires grad")
    if candidates:
        names = ", ".join(doc.nodes[c].name for c in candidates[:5])
        more = ", ..." if len(candidates) > 5 else ""
        return RootChoice(None, f"No backward root: {len(candidates)} outputs require grad "
                                f"({names}{more}); select one, or set one as the root")
    if not any(not n.spec.is_source for n in doc.nodes.values()):
        return RootChoice(None, "No backward root: the graph has no operation yet (backward "
                                "starts from an op's output, such as a loss)")
    return RootChoice(None, "No backward root: no output requires grad (set requires_grad on "
                            "a leaf such as a weight, or leave no_grad), or select the node "
                            "to run backward from")


__all__ = ["RootChoice", "can_be_root", "resolve_root", "backward_candidates"]
