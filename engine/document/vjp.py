"""The chain rule of one step-through step, as a formula and with numbers (issue 14).

For a recorded step (engine/document/stepthrough.Step) it writes what torch's engine did:
the gradient that arrived (``grad``; the sum of the incoming gradients where several paths
meet), the grad_fn's vector-Jacobian product as the formula of the op's catalog row
(``MulBackward0: grad_self = grad * other``), the operands that formula reads, and what went
down each edge -- with ``sum_to([3])`` where broadcasting had expanded an input. An
AccumulateGrad step shows ``x.grad = old + grad``, also across backward calls.

Formula text lives in the ``formula`` field of each catalog row: one line per grad_fn the op
records, ``"<GradFnName>: <formula>"``; a line without a name describes a composite op.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalog import CATALOG

ACCUMULATE = "grad_leaf = grad_leaf + grad"  # AccumulateGrad: x.grad += grad


def formula_lines(spec) -> dict[str, str]:
    """grad_fn name -> formula, from a row's ``formula`` text ('' keys the composite line)."""
    out: dict[str, str] = {}
    for line in (spec.formula or "").splitlines():
        line = line.strip()
        if not line:
            continue
        head, sep, rest = line.partition(": ")
        if sep and head.isidentifier() and head[0].isupper():
            out[head] = rest.strip()
        else:
            out.setdefault("", line)
    return out


_INDEX: dict[str, str] | None = None


def _index() -> dict[str, str]:
    """Every grad_fn name any row documents -> its formula (first row wins)."""
    global _INDEX
    if _INDEX is None:
        idx: dict[str, str] = {}
        for spec in CATALOG.values():
            for name, text in formula_lines(spec).items():
                if name:
                    idx.setdefault(name, text)
        _INDEX = idx
    return _INDEX


def formula_for(grad_fn: str, spec=None) -> str | None:
    """The formula of ``grad_fn`` (its node's row first, then any row that records it)."""
    if grad_fn == "AccumulateGrad":
        return ACCUMULATE
    if spec is not None:
        lines = formula_lines(spec)
        if grad_fn in lines:
            return lines[grad_fn]
    found = _index().get(grad_fn)
    if found is None and spec is not None:
        found = formula_lines(spec).get("")
    return found


def numbers(a, limit: int = 6) -> str:
    """An array in a line: ``[1., 2., 3.]`` or ``tensor of shape [5, 3]: [0.1, …]``."""
    if a is None:
        return "None"
    a = np.asarray(a)
    flat = a.reshape(-1)
    body = ", ".join(f"{float(v):.4g}" for v in flat[:limit]) + (", …" if flat.size > limit
                                                                   else "")
    if a.ndim == 0:
        return body
    if a.ndim == 1 and flat.size <= limit:
        return f"[{body}]"
    return f"[{body}] (shape {list(a.shape)})"


def sum_to_note(grad_out_shape, grad_in_shape) -> str | None:
    """``sum_to([3])`` when an input was broadcast: its gradient is the incoming one summed
    back to its shape (torch's validate_outputs does ``at::sum_to``). Views and reductions
    (same number of elements, or shapes that do not broadcast) get none."""
    out, inp = tuple(grad_out_shape), tuple(grad_in_shape)
    if out == inp or int(np.prod(inp)) >= int(np.prod(out)):
        return None
    try:
        if np.broadcast_shapes(inp, out) != out:
            return None
    except ValueError:
        return None
    return f"sum_to({list(inp)})"


@dataclass(frozen=True)
class Operand:
    name: str  # the formula's name: self, other, mat2, result, ...
    node: str  # the document node it comes from
    value: np.ndarray


@dataclass(frozen=True)
class StepMath:
    grad_fn: str
    node_name: str | None
    formula: str | None
    incoming: tuple  # ((from node name, array), ...) where several paths meet, else ()
    grad: np.ndarray | None  # the grad_output the formula is applied to
    operands: tuple[Operand, ...]
    outputs: tuple  # ((label, to node name, array, sum_to note or None), ...)
    accumulated: tuple | None  # (leaf name, old .grad or None, new .grad) for AccumulateGrad

    def lines(self) -> list[str]:
        """The step as text, one line each (what the step-through view prints)."""
        head = f"{self.grad_fn}" + (f"  ({self.node_name})" if self.node_name else "")
        out = [head]
        if self.incoming:
            parts = " + ".join(f"{numbers(g)} from {src}" for src, g in self.incoming)
            out.append(f"grad = {parts} = {numbers(self.grad)}")
        else:
            out.append(f"grad = {numbers(self.grad)}")
        out.append(f"{self.grad_fn}: {self.formula}" if self.formula
                   else f"{self.grad_fn}: (no formula in the catalog)")
        for op in self.operands:
            out.append(f"  {op.name} = {numbers(op.value)}  ({op.node})")
        if self.accumulated is not None:
            leaf, old, new = self.accumulated
            if old is None:
                out.append(f"{leaf}.grad was None → {leaf}.grad = grad = {numbers(new)}")
            else:
                out.append(f"{leaf}.grad = {numbers(old)} + {numbers(self.grad)} = "
                           f"{numbers(new)}")
        for label, dst, g, note in self.outputs:
            arrow = f" → {dst}" if dst else ""
            red = f" = {note}(grad)" if note else ""
            out.append(f"→ {label}{red} = {numbers(g)}{arrow}")
        return out

    @property
    def text(self) -> str:
        return "\n".join(self.lines())


# torch's argument names as the formulas use them; a document port named ``input`` is ``self``
def _formula_name(port: str) -> str:
    return "self" if port == "input" else port


def _grad_labels(formula: str | None) -> list[str]:
    """``grad_self``, ``grad_other``, ... in the order the formula writes them."""
    if not formula:
        return []
    labels = []
    for part in formula.split(";"):
        lhs = part.split("=", 1)[0].strip()
        if lhs.startswith("grad_") and lhs.replace("_", "").replace("[", "").replace(
                "]", "").isalnum():
            labels.append(lhs)
    return labels


def describe(step, executor, state_before=None, initial_grads=None) -> StepMath:
    """The math of one recorded step. ``state_before`` (stepthrough.State before this step)
    gives an AccumulateGrad step its old ``.grad``; ``initial_grads`` the one before
    backward (accumulation across calls)."""
    doc = executor.doc
    node = doc.nodes.get(step.node_id) if step.node_id is not None else None
    spec = node.spec if node is not None else None
    formula = formula_for(step.name, spec)
    grad = step.grad_outputs[0] if step.grad_outputs else None
    incoming = ()
    if len(step.incoming) > 1:
        incoming = tuple((doc.nodes[w.dst].name if w.dst in doc.nodes else "?", g)
                         for w, g in step.incoming.items())
    operands = []
    if node is not None and formula and not step.internal and step.name != "AccumulateGrad":
        results = executor.results
        for w in doc.inputs_of(node.id):
            name = w.port if _mentions(formula, w.port) else _formula_name(w.port)
            r = results.get(w.src)
            if r is not None and r.value is not None and _mentions(formula, name):
                operands.append(Operand(name, doc.nodes[w.src].name,
                                        r.value.detach().numpy()))
        r = results.get(node.id)
        if r is not None and r.value is not None and _mentions(formula, "result"):
            operands.append(Operand("result", node.name, r.value.detach().numpy()))
    labels = _grad_labels(formula)
    outs = []
    for i, e in enumerate(step.outputs):
        if e.target is None:
            continue
        label = labels[i] if i < len(labels) else f"grad_input[{i}]"
        dst = doc.nodes[e.node_id].name if e.node_id in doc.nodes else e.target
        note = None
        if grad is not None and e.grad is not None:
            note = sum_to_note(np.shape(grad), np.shape(e.grad))
        outs.append((label, dst if e.node_id != step.node_id else e.target, e.grad, note))
    accumulated = None
    if step.name == "AccumulateGrad" and node is not None:
        new = step.grads.get(node.id)
        old = None
        if state_before is not None:
            old = state_before.grads.get(node.id)
        elif initial_grads is not None:
            old = initial_grads.get(node.id)
        accumulated = (node.name, old, new)
    return StepMath(step.name, node.name if node is not None else None, formula, incoming,
                    grad, tuple(operands), tuple(outs), accumulated)


def _mentions(formula: str, name: str) -> bool:
    import re
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", formula) is not None
