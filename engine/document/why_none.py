"""Why is ``.grad`` None? The real reason for one node, in one sentence, and the fix.

Learners meet a None ``.grad`` for a handful of reasons (PyTorch's forums are full of them);
each has one cause in the graph, so it can be found rather than guessed:

- an integer dtype (only floating point and complex tensors can require gradients);
- ``requires_grad=False`` on every leaf it depends on;
- computed inside ``torch.no_grad()`` or with the global grad mode off;
- cut by ``.detach()`` (a detach node, or a node whose output is frozen);
- frozen, as a fine-tuned parameter (``w.requires_grad_(False)``);
- a non-leaf without ``retain_grad()`` (torch's own UserWarning text);
- not on any path from the root backward ran from;
- backward not run yet (or ``.grad`` set to None by ``zero_grad(set_to_none=True)``).

A node that does not require grad gets the reason of the nearest cause upstream (``x * w``
with a frozen ``w`` and a plain ``x`` says "w is frozen"). Qt-free: the inspector shows it.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine._tensor import NON_LEAF_GRAD_WARNING

INTEGER_ERROR = "Only Tensors of floating point and complex dtype can require gradients"

# when several inputs are cut, the most specific cause is named first
_PRIORITY = ("detach", "no_grad", "grad_mode", "frozen", "integer", "not_differentiable",
             "requires_grad")


@dataclass(frozen=True)
class Explanation:
    reason: str  # one of: integer, requires_grad, no_grad, grad_mode, detach, frozen,
    #              not_differentiable, non_leaf, not_on_path, not_run, set_to_none, no_value
    sentence: str
    fix: str
    culprit: str | None = None  # the node where the cause sits (may be upstream)

    @property
    def text(self) -> str:
        return f"{self.sentence} Fix: {self.fix}"


def explain(doc, node_id, results, history=None) -> Explanation | None:
    """Why ``node.grad`` is None (None when it is not). ``results`` maps node ids to the
    executor's NodeResults; ``history`` (engine.document.backward_history) tells whether and
    from which root backward ran."""
    node = doc.nodes[node_id]
    r = results.get(node_id)
    if r is None or r.value is None:
        return Explanation("no_value", f"{node.name} has no value: its forward failed, so it "
                           "has no gradient either.", "fix the error shown on the node.")
    if r.grad is not None:
        return None
    v = r.value
    if not v.requires_grad:
        return _not_tracked(doc, node_id, results, _cause(doc, node_id, results, {}))
    if v.grad_fn is not None and not v.retains_grad:
        return Explanation(
            "non_leaf", f"{node.name} is not a leaf ({type(v.grad_fn).__name__}): "
            f"UserWarning: {NON_LEAF_GRAD_WARNING}",
            f"call {node.name}.retain_grad() before backward (right-click → retain_grad()), "
            "or read the .grad of the leaves it comes from.")
    return _not_reached(doc, node_id, history)


def _source_dtype_is_int(r) -> bool:
    v = r.value
    return v is not None and not v.is_floating_point()  # the engine has no complex dtypes


def _cause(doc, nid, results, memo) -> tuple[str, str]:
    """(reason, culprit node id) for a node whose output does not require grad."""
    if nid in memo:
        return memo[nid]
    memo[nid] = ("requires_grad", nid)  # no cycles in a document; a guard all the same
    n = doc.nodes[nid]
    spec = n.spec
    r = results.get(nid)
    if spec.is_source:
        if doc.is_frozen(nid):
            found = ("frozen", nid)
        elif n.frozen_output and n.tracks_grad:
            found = ("detach", nid)
        elif r is not None and _source_dtype_is_int(r):
            found = ("integer", nid)
        else:
            found = ("requires_grad", nid)
    else:
        causes, tracked = [], False
        for w in doc.inputs_of(nid):
            port = spec.port(w.port)
            if port is not None and not port.differentiable:
                continue
            src = results.get(w.src)
            if src is not None and src.value is not None and src.value.requires_grad:
                tracked = True
            else:
                causes.append(_cause(doc, w.src, results, memo))
        # the node itself is to blame only when an input it was given does require grad
        if tracked and (n.frozen_output or n.op == "detach"):  # the detach row, by key
            found = ("detach", nid)
        elif tracked and doc.in_no_grad(nid):
            found = ("no_grad", nid)
        elif tracked and not doc.settings.grad_enabled:
            found = ("grad_mode", nid)
        elif tracked and not spec.differentiable:
            found = ("not_differentiable", nid)
        elif causes:
            found = min(causes, key=lambda c: _PRIORITY.index(c[0]))
        else:
            found = ("requires_grad", nid)
    memo[nid] = found
    return found


def _not_tracked(doc, node_id, results, cause) -> Explanation:
    reason, culprit = cause
    node = doc.nodes[node_id]
    c = doc.nodes[culprit].name
    own = culprit == node_id
    who = node.name if own else \
        f"{node.name} does not require grad because {c}, which it is computed from,"
    r = results.get(culprit)
    if reason == "integer":
        dtype = r.dtype if r is not None else "an integer dtype"
        head = (f"{node.name} has dtype {dtype}" if own
                else f"{node.name} does not require grad: {c} has dtype {dtype}")
        return Explanation(reason, f"{head}, and {INTEGER_ERROR.lower()}.",
                           f"make {c} floating point (dtype=torch.float32, or {c}.float()).",
                           culprit)
    if reason == "frozen":
        return Explanation(reason, f"{who} is frozen "
                           f"({c}.requires_grad_(False), as when fine-tuning): "
                           "backward skips it.",
                           f"unfreeze {c} (right-click → Freeze) to train it.", culprit)
    if reason == "detach":
        return Explanation(reason, f"{who} is cut from the graph "
                           f"by .detach(): no gradient flows back through {c}.",
                           f"remove the detach at {c} (or un-freeze its output).", culprit)
    if reason == "no_grad":
        return Explanation(reason, f"{who} is computed inside "
                           f"a torch.no_grad() block: no graph was recorded for {c}.",
                           f"move {c} out of the no_grad frame.", culprit)
    if reason == "grad_mode":
        return Explanation(reason, f"{node.name} does not require grad: the global grad mode "
                           "is off (torch.set_grad_enabled(False)), so no op records a graph.",
                           "switch the grad mode back on (toolbar).", culprit)
    if reason == "not_differentiable":
        op = doc.nodes[culprit].spec.title
        return Explanation(reason, f"{who} comes from {op}, "
                           f"which is not differentiable (its output never requires "
                           "grad).", f"use a differentiable op instead of {op}.", culprit)
    head = (f"{node.name} has requires_grad=False" if own else
            f"{node.name} does not require grad: none of its inputs does, and {c} has "
            "requires_grad=False")
    return Explanation("requires_grad", f"{head}, so autograd does not track it and never "
                       "gives it a .grad.",
                       f"tick requires_grad on {c} (torch.tensor(..., requires_grad=True) or "
                       f"{c}.requires_grad_()).", culprit)


def _not_reached(doc, node_id, history) -> Explanation:
    """A tensor autograd would fill (a leaf requiring grad or a retain_grad node): backward
    has not reached it."""
    node = doc.nodes[node_id]
    last = history.last_success() if history is not None else None
    root = last.root if last is not None else doc.settings.root
    if root is not None and root in doc.nodes and root != node_id:
        on_path = node_id in doc.backward_dag(root).nodes
        rname = doc.nodes[root].name
        if not on_path:
            return Explanation(
                "not_on_path", f"{node.name} is not on any path from {rname}, the root "
                f"backward {'ran' if last else 'runs'} from: {rname} does not depend on "
                f"{node.name} through ops that record a graph.",
                f"wire {node.name} into the graph that computes {rname}, or run backward "
                "from a root that uses it.", root)
    if history is not None and history.cleared_to_none(node_id):
        return Explanation("set_to_none", f"{node.name}.grad was set to None by "
                           "zero_grad(set_to_none=True) after the last backward.",
                           "run backward again.", node_id)
    return Explanation("not_run", f"backward has not run yet: {node.name}.grad stays None "
                       "until a backward pass reaches it.",
                       "select the loss and press Backward (loss.backward()).", node_id)
