"""NaN / Inf detection in the manner of ``torch.autograd.detect_anomaly``.

Forward: the first node (topological order) whose value holds a NaN or an Inf -- its inputs
are finite, so it produced them. Backward: the first grad_fn, in the engine's execution order,
that returned a NaN (or Inf) gradient, with torch's text ("Function 'LogBackward0' returned nan
values in its 0th output."), mapped to its document node. torch itself only checks NaN in
backward; Inf is reported the same way since an infinite gradient is as much a bug here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.autograd import engine as autograd_engine

from .stepthrough import grad_owners


@dataclass(frozen=True)
class Anomaly:
    phase: str  # "forward" | "backward"
    node_id: str | None
    kind: str  # "nan" | "inf"
    message: str
    grad_fn: str | None = None  # backward: the function that returned it
    output: int | None = None  # backward: index of the offending output (next_functions)
    step: int | None = None  # backward: position in the execution order


def _kind(a) -> str | None:
    """"nan", "inf" or None for an array / engine Tensor / None (integer arrays: None)."""
    if a is None:
        return None
    a = np.asarray(getattr(a, "_data", a))
    if a.dtype.kind not in "fc":
        return None
    if np.isnan(a).any():
        return "nan"
    if np.isinf(a).any():
        return "inf"
    return None


def backward_message(grad_fn: str, kind: str, output: int) -> str:
    return f"Function '{grad_fn}' returned {kind} values in its {output}th output."


def forward_anomalies(document, results) -> list[Anomaly]:
    """Every node that produced a NaN/Inf from finite inputs, in topological order."""
    found = []
    bad: set = set()
    for nid in document.topological_order():
        r = results.get(nid)
        if r is None or r.value is None:
            continue
        kind = _kind(r.value.detach().numpy())
        if kind is None:
            continue
        bad.add(nid)
        if any(w.src in bad for w in document.inputs_of(nid)):
            continue  # inherited, not produced here
        found.append(_forward_anomaly(document, nid, kind))
    return found


def _forward_anomaly(document, nid, kind) -> Anomaly:
    node = document.nodes[nid]
    spec = node.spec
    if spec.is_source:
        msg = f"Leaf '{node.name}' contains {kind} values."
    else:
        msg = (f"Function '{spec.title}' returned {kind} values in its output "
               f"(node '{node.name}').")
    return Anomaly("forward", nid, kind, msg)


class ForwardAnomalies:
    """`forward_anomalies` kept up to date after each forward in O(recomputed) instead of
    scanning every value (issue 10: 10,000 nodes, ~80 ms per edit): only the nodes the
    forward recomputed are re-checked; the list is made from the few holding NaN/Inf."""

    def __init__(self) -> None:
        self.kinds: dict[str, str] = {}  # node id -> "nan" | "inf"
        self.checked = 0  # values checked (tests count them)

    def update(self, document, results, recomputed=None) -> list[Anomaly]:
        """After a forward: ``recomputed`` (the executor's ``last_recomputed``) re-checks
        those nodes; None re-checks all."""
        kinds = self.kinds
        if recomputed is None:
            kinds.clear()
            recomputed = results.keys()
        for nid in recomputed:
            r = results.get(nid)
            kind = None if r is None or r.value is None else _kind(r.value.detach().numpy())
            self.checked += 1
            if kind is None:
                kinds.pop(nid, None)
            else:
                kinds[nid] = kind
        for nid in [n for n in kinds if n not in document.nodes or n not in results]:
            del kinds[nid]
        if not kinds:
            return []
        pos = {nid: i for i, nid in enumerate(document.topological_order())}
        return [_forward_anomaly(document, nid, kinds[nid])
                for nid in sorted(kinds, key=pos.__getitem__)
                if not any(w.src in kinds for w in document.inputs_of(nid))]


def forward_anomaly(document, results) -> Anomaly | None:
    found = forward_anomalies(document, results)
    return found[0] if found else None


def _check(name, outputs, node_id, step) -> Anomaly | None:
    kinds = [_kind(o) for o in outputs]
    for wanted in ("nan", "inf"):  # torch reports NaN; Inf after it
        if wanted in kinds:
            i = kinds.index(wanted)
            return Anomaly("backward", node_id, wanted, backward_message(name, wanted, i),
                           name, i, step)
    return None


def backward_anomaly(recording) -> Anomaly | None:
    """The first recorded step (stepthrough.Recording) that returned a NaN/Inf gradient."""
    for s in recording.steps:
        found = _check(s.name, [e.grad for e in s.outputs], s.node_id, s.index)
        if found is not None:
            return found
    return None


class BackwardMonitor:
    """A light tracer around a backward: keeps only the first anomaly (no copies)::

        with BackwardMonitor(executor) as mon:
            executor.backward()
        mon.anomaly
    """

    def __init__(self, executor):
        self.executor = executor
        self.owner = None  # mapped at the first step: backward may run the forward first
        self.anomaly: Anomaly | None = None
        self._step = 0

    def __call__(self, event) -> None:
        step = self._step
        self._step += 1
        if self.anomaly is not None or not event["grad_inputs"]:
            return
        fn = event["node"]
        if self.owner is None:
            self.owner = grad_owners(self.executor)[0]
        found = _check(type(fn).__name__, event["grad_inputs"], self.owner.get(fn), step)
        if found is not None:
            self.anomaly = found

    def __enter__(self):
        autograd_engine.add_tracer(self)
        return self

    def __exit__(self, *exc) -> None:
        autograd_engine.remove_tracer(self)
