"""The training loop on a document, PyTorch's, one step at a time::

    optimizer.zero_grad()            # when the setup says so (off: gradients accumulate)
    x, y = next(batches)             # when a dataset feeds the graph
    loss = <forward through the graph>
    loss.backward()
    optimizer.step(); scheduler.step()

The parameters are the document's source leaves that require grad and are not frozen; the
loss is the backward root. Forward and backward run through the document's ``Executor``, whose
leaf tensors persist between forwards -- so the optimizer updates them in place exactly as
``torch.optim`` updates ``w`` in a script, and the canvas shows the trained values.
A NaN/Inf loss or gradient stops the run and names the producing node in
``detect_anomaly``'s words (``anomaly.py``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

import engine
from engine import optim

from ..anomaly import BackwardMonitor, forward_anomaly
from ..errors import DocumentError
from ..execution import Executor
from ..roots import resolve_root
from . import datasets
from .setup import check_setup, default_setup

# loss op -> how its input (logits / probabilities) becomes a predicted class
CLASSIFICATION_LOSSES = {
    "F.cross_entropy": "argmax", "F.nll_loss": "argmax",
    "F.binary_cross_entropy_with_logits": "logit", "F.binary_cross_entropy": "prob",
}


class TrainingError(DocumentError):
    """A setup that cannot train (no root, nothing to train, a feed that is not a leaf)."""


@dataclass
class StepRecord:
    step: int  # 1-based, as printed
    loss: float
    lr: float
    grad_norms: dict = field(default_factory=dict)  # node id -> ||grad|| (None: no grad)
    values: dict = field(default_factory=dict)  # node id -> the value (1 element) or ||value||
    accuracy: float | None = None  # classification losses: on this step's batch
    grad_count: dict = field(default_factory=dict)  # node id -> ×n (accumulated backwards)


@dataclass
class Stop:
    """Why a run stopped early: the message (torch's words) and the node to mark."""
    message: str
    node_id: str | None = None


def make_optimizer(setup: dict, params: list):
    opts = dict(setup["options"])
    if "betas" in opts:
        opts["betas"] = tuple(opts["betas"])
    return getattr(optim, setup["optimizer"])(params, lr=setup["lr"], **opts)


def make_scheduler(setup: dict, optimizer):
    s = setup.get("scheduler")
    if s is None:
        return None
    args = {k: v for k, v in s.items() if k != "type"}
    return getattr(optim.lr_scheduler, s["type"])(optimizer, **args)


def trainable(document) -> list[str]:
    """The parameters, in document order: source leaves with requires_grad, not frozen."""
    return [nid for nid, n in document.nodes.items() if n.spec.is_source and n.tracks_grad]


def fed_arrays(executor, data, X, y):
    """(X, y) with the dtype and rank of the leaves they feed (the placeholder ``y`` of shape
    (32, 1) gets (n, 1) targets; an int64 ``target`` gets class indices)."""
    out = []
    for nid, arr in ((data["inputs"], X), (data["targets"], y)):
        old = executor.leaf(nid)
        if old is not None:
            if old.ndim == 2 and arr.ndim == 1:
                arr = arr[:, None]
            arr = arr.astype(old.detach().numpy().dtype, copy=False)
        out.append(np.ascontiguousarray(arr))
    return tuple(out)


class Trainer:
    """Runs a document's training setup on an Executor (its own unless one is given)."""

    def __init__(self, document, setup=None, executor: Executor | None = None,
                 base_dir: str | None = None) -> None:
        self.doc = document
        setup = setup if setup is not None else getattr(document.settings, "training", None)
        self.setup = check_setup(setup) if setup is not None else default_setup()
        self._own = executor is None
        self.ex = executor if executor is not None else Executor(document)
        # the loss: the backward root as roots.py chooses it without a selection (the
        # document's root, else the only output that requires grad)
        choice = resolve_root(document, (), self.ex.forward())
        if choice.node_id is None:
            if self._own:
                self.ex.close()
            raise TrainingError(f"{choice.reason} (the loss to train is the backward root)")
        self.root = choice.node_id
        self.data = None
        data = self.setup["data"]
        if data is not None:
            self._check_feeds(data)
            self.data = datasets.load(data, base_dir)
            self._batches = datasets.batches(len(self.data[0]), data["batch_size"],
                                             data["shuffle"], data["seed"])
        self.ex.forward()
        if self.data is not None:
            self.data = fed_arrays(self.ex, data, *self.data)
            self._feed()  # the first batch: the loss's shape is the one training sees
            self._batches = datasets.batches(len(self.data[0]), data["batch_size"],
                                             data["shuffle"], data["seed"])
            self.ex.forward()
        loss = self.ex.results.get(self.root)
        if loss is not None and loss.value is not None and loss.value.numel() != 1:
            raise TrainingError(
                f"the loss must be a single number, but {document.nodes[self.root].name} has "
                f"shape {tuple(loss.value.shape)}: grad can be implicitly created only for "
                "scalar outputs (reduce it, e.g. with sum or mean)")
        self.params = trainable(document)
        if not self.params:
            raise TrainingError("optimizer got an empty parameter list: no leaf requires "
                                "grad (or every parameter is frozen)")
        for nid in self.params:
            leaf = self.ex.leaf(nid)
            if leaf is None or not leaf.is_floating_point():
                raise TrainingError(f"{document.nodes[nid].name}: only Tensors of floating "
                                    "point dtype can require gradients")
        self.tensors = [self.ex.leaf(nid) for nid in self.params]
        self.initial = {nid: t.detach().numpy().copy() for nid, t in zip(self.params,
                                                                       self.tensors)}
        self.optimizer = make_optimizer(self.setup, self.tensors)
        self.scheduler = make_scheduler(self.setup, self.optimizer)
        root_node = document.nodes[self.root]
        self._predict = CLASSIFICATION_LOSSES.get(root_node.op)
        ins = {w.port: w.src for w in document.inputs_of(self.root)}
        self._logits, self._target = ins.get("input"), ins.get("target")
        self.step_count = 0
        self.history: list[StepRecord] = []
        self.stopped: Stop | None = None

    def close(self) -> None:
        if self._own:
            self.ex.close()

    # -- data -----------------------------------------------------------------------------
    def _check_feeds(self, data) -> None:
        for key in ("inputs", "targets"):
            nid = data.get(key)
            if nid is None:
                raise TrainingError(f"training.data.{key}: choose the leaf the dataset feeds")
            node = self.doc.nodes.get(nid)
            if node is None:
                raise TrainingError(f"training.data.{key}: no node with id {nid!r}")
            if not node.spec.is_source:
                raise TrainingError(f"training.data.{key}: {node.name} is not a leaf (only "
                                    "source nodes can be fed a batch)")

    def _feed(self) -> None:
        X, y = self.data
        idx = next(self._batches)
        d = self.setup["data"]
        self.ex.feed(d["inputs"], engine.from_numpy(X[idx]))
        self.ex.feed(d["targets"], engine.from_numpy(y[idx]))

    # -- the loop -------------------------------------------------------------------------
    def step(self) -> StepRecord | None:
        """One optimizer step; None (and ``stopped`` set) when the run cannot go on."""
        if self.stopped is not None:
            return None
        ex = self.ex
        if self.setup["zero_grad"]:
            for nid in self.params:  # optimizer.zero_grad(): grads to None, ×n to 0
                ex.zero_grad(nid, set_to_none=True)
        if self.data is not None:
            self._feed()
        results = ex.forward()
        r = results[self.root]
        if r.value is None:
            name = self.doc.nodes[self.root].name
            return self._stop(r.error or f"{name}: blocked by the error in "
                              f"{self.doc.nodes[r.blocked_by].name}", r.blocked_by or self.root)
        if r.value.numel() != 1:
            return self._stop("grad can be implicitly created only for scalar outputs",
                              self.root)
        loss = r.value.item()
        if not math.isfinite(loss):
            found = forward_anomaly(self.doc, results)
            where = found.message if found is not None else ""
            return self._stop(f"loss is {loss} at step {self.step_count + 1}. {where}".strip(),
                              found.node_id if found is not None else self.root)
        accuracy = self._accuracy(results)
        lr = self.optimizer.param_groups[0]["lr"]
        err = ex.backward(self.root, retain_graph=False)
        if err is not None:
            return self._stop(err, self.root)
        grads = [t.grad for t in self.tensors]
        norms = {}
        for nid, g in zip(self.params, grads):
            norms[nid] = None if g is None else float(np.sqrt(np.vdot(g._data, g._data).real))
        if any(v is not None and not math.isfinite(v) for v in norms.values()):
            return self._stop(*self._backward_anomaly())
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        self.step_count += 1
        values = {}
        for nid, t in zip(self.params, self.tensors):
            a = t._data
            values[nid] = float(a.reshape(-1)[0]) if a.size == 1 else \
                float(np.sqrt(np.vdot(a, a).real))
        rec = StepRecord(self.step_count, loss, lr, norms, values, accuracy,
                         {nid: results[nid].grad_count for nid in self.params})
        self.history.append(rec)
        return rec

    def run(self, steps: int | None = None) -> list[StepRecord]:
        out = []
        for _ in range(self.setup["steps"] if steps is None else steps):
            rec = self.step()
            if rec is None:
                break
            out.append(rec)
        return out

    def _stop(self, message: str, node_id) -> None:
        self.stopped = Stop(" ".join(str(message).split()), node_id)
        return None

    def _backward_anomaly(self) -> tuple[str, str | None]:
        """The first grad_fn that returned NaN/Inf: the same forward and backward once more
        under the monitor (the parameters have not moved yet)."""
        ex = self.ex
        for nid in self.params:
            ex.zero_grad(nid, set_to_none=True)
        ex.invalidate()
        ex.forward()
        with BackwardMonitor(ex) as mon:
            ex.backward(self.root, retain_graph=False)
        a = mon.anomaly
        step = self.step_count + 1
        if a is None:
            return f"gradient is not finite at step {step}", self.root
        return f"{a.message} (step {step})", a.node_id

    def _accuracy(self, results) -> float | None:
        if self._predict is None or self._logits is None or self._target is None:
            return None
        out, tgt = results[self._logits].value, results[self._target].value
        if out is None or tgt is None:
            return None
        p, t = out._data, tgt._data
        if self._predict == "argmax":
            if p.ndim != 2 or t.ndim != 1:
                return None  # probabilities as targets, or extra dims: no single label
            pred = p.argmax(1)
        else:
            pred = (p > (0.0 if self._predict == "logit" else 0.5))
            t = t > 0.5
            if pred.shape != t.shape:
                return None
        return float((pred == t).mean()) if t.size else None

    def evaluate(self, X=None, y=None) -> tuple:
        """Forward on the whole dataset (or on ``X``/``y``: a decision-boundary grid):
        (the loss input's values as an array or None, loss or None, accuracy or None). The
        next ``step`` feeds its batch again."""
        data = self.setup["data"]
        if data is None:
            results = self.ex.forward()
        else:
            X = self.data[0] if X is None else np.ascontiguousarray(X, self.data[0].dtype)
            if y is None:
                y = self.data[1] if len(X) == len(self.data[1]) else \
                    np.zeros((len(X),) + self.data[1].shape[1:], self.data[1].dtype)
            self.ex.feed(data["inputs"], engine.from_numpy(X))
            self.ex.feed(data["targets"], engine.from_numpy(np.ascontiguousarray(y)))
            results = self.ex.forward()
        r = results.get(self._logits) if self._logits is not None else None
        out = None if r is None or r.value is None else r.value.detach().numpy()
        lr = results[self.root]
        loss = lr.value.item() if lr.value is not None and lr.value.numel() == 1 else None
        return out, loss, self._accuracy(results)

    # -- reset ----------------------------------------------------------------------------
    def parameters(self) -> dict:
        """node id -> a copy of the current value."""
        return {nid: t.detach().numpy().copy() for nid, t in zip(self.params, self.tensors)}

    def set_parameters(self, values: dict) -> None:
        """Write values back into the leaves in place (reset, undo); grads cleared."""
        write_values(self.ex, values)


def write_values(executor, values: dict) -> None:
    """Parameter values (node id -> array) into an Executor's leaves, in place, grads and ×n
    cleared: what reset and undo of a training run do (the document itself never changes)."""
    for nid, value in values.items():
        t = executor.leaf(nid)
        if t is not None and tuple(t.shape) == tuple(np.shape(value)):
            t._data[...] = value
            executor.zero_grad(nid, set_to_none=True)
    executor.invalidate()
