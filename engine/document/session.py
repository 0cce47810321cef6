"""The Qt-free autograd session behind the canvas: one Executor plus what the views ask.

Mutations of the document (grad mode, flags, regions) stay with the undo commands; the session
runs forward/backward, keeps per-leaf counts and the last anomaly, and answers display queries
(what a node shows, which wires carry gradient, the highlighted DAG, step-through).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

import engine

from . import anomaly, stepthrough
from .execution import Executor

_DEFAULT = object()


@dataclass(frozen=True)
class NodeInfo:
    """Everything a node item / the inspector shows about one node."""
    node_id: str
    ok: bool
    shape: tuple | None
    dtype: str | None
    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None  # "AddBackward0"; "AccumulateGrad" for leaves requiring grad
    value: np.ndarray | None
    grad: np.ndarray | None  # leaves and retain_grad nodes only
    grad_count: int  # backward calls that reached it since the last zero
    retains_grad: bool
    error: str | None
    blocked_by: str | None
    grad_note: str | None  # torch's warning text when .grad of a non-leaf is read


class AutogradSession:
    def __init__(self, document, engine_module=engine):
        self.doc = document
        self.executor = Executor(document, engine_module)
        self.last_error: str | None = None
        self.forward_anomaly: anomaly.Anomaly | None = None  # of the current values
        self.backward_anomaly: anomaly.Anomaly | None = None  # of the last backward
        self.recording: stepthrough.Recording | None = None

    def close(self) -> None:
        self.executor.close()

    # -- running ---------------------------------------------------------------------------
    def forward(self) -> dict:
        """Run forward: pending edits, or -- after a backward spent the graph -- a rebuild of
        every op (new grad_fns), as re-running torch code does. Call it on document edits,
        not on repaints: the spent graph is what makes a second backward fail as in torch."""
        results = self.executor.forward()
        if self.executor.last_recomputed:
            self.forward_anomaly = anomaly.forward_anomaly(self.doc, results)
        return results

    @property
    def anomaly(self) -> anomaly.Anomaly | None:
        """What to mark: a forward NaN/Inf first (backward ones follow from it)."""
        return self.forward_anomaly or self.backward_anomaly

    def refresh(self) -> dict:
        """Forward only when edits are pending (never rebuilds a spent graph): for queries."""
        if self.executor._dirty:
            return self.forward()
        return self.executor.results

    @property
    def results(self) -> dict:
        return self.executor.results

    def backward(self, root=None, seed=_DEFAULT, retain_graph=None,
                 record: bool = False) -> str | None:
        """``root.backward(...)``; returns None or torch's error text. ``record`` keeps a
        step-through recording of this very backward (``self.recording``)."""
        self.refresh()
        kw = {} if seed is _DEFAULT else {"seed": seed}
        if record:
            rec = stepthrough.record_backward(self.executor, root, retain_graph=retain_graph,
                                              **kw)
            self.recording = rec
            err = rec.error
            found = anomaly.backward_anomaly(rec) if err is None else None
        else:
            with anomaly.BackwardMonitor(self.executor) as mon:
                err = self.executor.backward(root, retain_graph=retain_graph, **kw)
            found = mon.anomaly if err is None else None
        self.last_error = err
        self.backward_anomaly = found
        return err

    def step_through(self, root=None, seed=_DEFAULT, retain_graph=None) -> stepthrough.StepThrough:
        """Run backward recording it; the player over that recording."""
        self.backward(root, seed, retain_graph, record=True)
        return stepthrough.StepThrough(self.recording)

    def backward_schedule(self, root=None) -> list:
        self.refresh()
        return self.executor.backward_schedule(root)

    def zero_grad(self, node_id=None, set_to_none: bool = False) -> None:
        self.executor.zero_grad(node_id, set_to_none)
        if node_id is None:
            self.backward_anomaly = None

    def backward_count(self, node_id) -> int:
        r = self.results.get(node_id)
        return 0 if r is None else r.grad_count

    @property
    def graph_version(self) -> int:
        return self.executor.graph_version

    @property
    def grad_enabled(self) -> bool:
        """The document's global mode; toggled through ``doc.set_setting`` (undoable)."""
        return self.doc.settings.grad_enabled

    # -- seeds -----------------------------------------------------------------------------
    def needs_seed(self, root=None) -> bool:
        """A non-scalar root: torch needs an explicit gradient (``ones_like`` by default)."""
        self.refresh()
        r = self.results.get(root if root is not None else self.doc.settings.root)
        return r is not None and r.value is not None and r.value.numel() != 1

    def default_seed(self, root=None) -> list | None:
        self.refresh()
        r = self.results.get(root if root is not None else self.doc.settings.root)
        if r is None or r.value is None:
            return None
        return np.ones(r.shape, dtype=np.float64).tolist()

    # -- the DAG ---------------------------------------------------------------------------
    def backward_dag(self, root=None):
        root = root if root is not None else self.doc.settings.root
        return self.doc.backward_dag(root)

    def paths_to_root(self, leaf_id, root=None) -> tuple[frozenset, tuple]:
        """The nodes and wires of the DAG on paths from ``leaf_id`` to the root (hover)."""
        dag = self.backward_dag(root)
        if leaf_id not in dag.nodes:
            return frozenset(), ()
        down = self.doc.downstream(leaf_id) | {leaf_id}
        nodes = frozenset(n for n in dag.nodes if n in down)
        wires = tuple(w for w in dag.wires if w.src in nodes and w.dst in nodes)
        return nodes, wires

    def gradient_wires(self) -> dict:
        """Wire -> whether gradient can flow back along it (no_grad, detached, frozen,
        integer / non-differentiable inputs do not)."""
        rg = self.doc.requires_grad_map()
        out = {}
        for w in self.doc.wires:
            port = self.doc.nodes[w.dst].spec.port(w.port)
            out[w] = bool(rg[w.src] and rg[w.dst] and port.differentiable)
        return out

    # -- display ---------------------------------------------------------------------------
    def info(self, node_id) -> NodeInfo:
        self.refresh()
        r = self.results.get(node_id)
        if r is None or r.value is None:
            return NodeInfo(node_id, False, None, None, False, False, None, None, None, 0,
                            False, None if r is None else r.error,
                            None if r is None else r.blocked_by, None)
        v = r.value
        grad_fn = r.grad_fn
        if grad_fn is None and r.is_leaf and r.requires_grad:
            grad_fn = "AccumulateGrad"
        g = r.grad
        note = None
        if not r.is_leaf and not v.retains_grad:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                v.grad  # noqa: B018 - the warning torch gives is the note
            note = str(caught[0].message) if caught else None
        return NodeInfo(node_id, True, r.shape, r.dtype, r.requires_grad, r.is_leaf, grad_fn,
                        v.detach().numpy(), None if g is None else g.detach().numpy(),
                        r.grad_count, bool(v.retains_grad), None, None, note)

    def value_text(self, node_id) -> str | None:
        """The value printed as torch prints it."""
        r = self.results.get(node_id)
        return None if r is None or r.value is None else repr(r.value)

    def grad_text(self, node_id) -> str | None:
        """The gradient printed as torch prints it (None when there is none)."""
        r = self.results.get(node_id)
        g = None if r is None else r.grad
        return None if g is None else repr(g)
