""""Verify with PyTorch": run the document in real torch and compare the gradients per leaf.

The document is exported as a script with literal leaf values (the engine's seeded generators
are not torch's), run by ``sys.executable`` in a subprocess (torch is never imported into the
app: it is optional, slow to import and may crash) that prints the grads as JSON. The engine
side is a fresh single backward on a copy with the same leaf values, so grads accumulated by
earlier backward calls in the app do not make an honest comparison fail.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np

from . import export
from .execution import Executor

NO_TORCH = ("PyTorch is not installed in this Python (pip install torch==2.13.0 installs the "
            "CPU build): verification needs it.")

# exec's the exported script, then prints the requested tensors' grads (and errors) as JSON
HARNESS = r"""
import json, sys
names = json.loads(sys.argv[1])
src = sys.stdin.read()
ns = {"__name__": "__gradcanvas_verify__"}
error = None
try:
    exec(compile(src, "<gradcanvas export>", "exec"), ns)
except Exception as e:
    error = str(e) or type(e).__name__
import torch
out = {"error": error, "torch": torch.__version__, "grads": {}}
for n in names:
    t = ns.get(n)
    if isinstance(t, torch.Tensor):
        g = t.grad if (t.is_leaf or t.retains_grad) else None
        out["grads"][n] = None if g is None else {
            "dtype": str(g.dtype), "shape": list(g.shape), "data": g.detach().tolist()}
print(json.dumps(out))
"""
_HARNESS = HARNESS  # the name app/autograd_controller.py used first


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


@dataclass
class Run:
    """One side's outcome: node id -> grad array (None: no grad), and an error text."""
    grads: dict
    error: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class LeafResult:
    node_id: str
    name: str
    status: str  # "agree" | "differ" | "missing"
    max_abs_diff: float | None = None
    detail: str = ""


@dataclass
class Verification:
    verdict: str  # "agree" | "differ" | "error" | "unavailable"
    message: str
    leaves: list[LeafResult] = field(default_factory=list)
    engine: Run | None = None
    torch: Run | None = None

    @property
    def ok(self) -> bool:
        return self.verdict == "agree"


def grad_nodes(document) -> list[str]:
    """The nodes whose .grad backward fills: leaves requiring grad, retain_grad nodes."""
    return [nid for nid in document.topological_order()
            if (document.nodes[nid].spec.is_source and document.nodes[nid].tracks_grad)
            or document.nodes[nid].retain_grad]


def engine_run(executor: Executor, root=None) -> Run:
    """A fresh forward + one backward on a copy with ``executor``'s leaf values."""
    doc = executor.doc
    if executor._dirty:
        executor.forward()
    values = {nid: executor.leaf(nid).detach().numpy() for nid in doc.nodes
              if executor.leaf(nid) is not None}
    twin = Executor(doc.copy(), executor.m, leaf_values=values)
    try:
        twin.forward()
        err = twin.backward(root if root is not None else doc.settings.root,
                            retain_graph=False)
        grads = {}
        for nid in grad_nodes(doc):
            r = twin.results.get(nid)
            g = None if r is None else r.grad
            grads[nid] = None if g is None else np.array(g.detach().numpy(), copy=True)
        return Run(grads, err)
    finally:
        twin.close()


def torch_script(executor: Executor, root=None) -> str:
    """The literal export; ``root`` (default: the document's) is where its backward starts."""
    if executor._dirty:
        executor.forward()
    doc = executor.doc
    if root is not None and root != doc.settings.root:
        doc = doc.copy()  # same ids, so the executor's results still apply
        doc.settings.root = root
    return export.to_script(doc, "torch", literal_values=True,
                            results=executor.results, prints=False, backward=True)


def parse_output(stdout: str, ids, names) -> Run:
    """The harness's JSON (its last stdout line) as a Run keyed by node id."""
    data = json.loads(stdout.strip().splitlines()[-1])
    grads = {}
    for nid, name in zip(ids, names):
        g = data["grads"].get(name)
        grads[nid] = None if g is None else np.array(
            g["data"], dtype=g["dtype"].removeprefix("torch."))
    return Run(grads, data["error"], data["torch"])


@dataclass
class Job:
    """One verification, split for any runner (subprocess here, QProcess in the app): run
    ``argv`` with ``script`` on stdin, then ``finish`` with what the process gave."""
    document: object  # a snapshot: later edits do not change what is compared
    argv: list
    script: str
    ids: list
    names: list
    engine: Run

    def torch_result(self, returncode: int, stdout: str, stderr: str) -> Run:
        """torch's Run; RuntimeError when the process failed or printed no result."""
        if returncode != 0 or not stdout.strip():
            tail = (stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"PyTorch run failed: {tail}")
        return parse_output(stdout, self.ids, self.names)

    def finish(self, returncode: int, stdout: str, stderr: str, rtol=None,
               atol=None) -> Verification:
        try:
            theirs = self.torch_result(returncode, stdout, stderr)
        except (RuntimeError, ValueError) as e:
            return Verification("error", str(e), [], self.engine)
        return compare(self.document, self.engine, theirs, rtol, atol)


def prepare(executor: Executor, root=None) -> Job:
    """Export + the engine side, ready to run, backward from ``root`` (the caller's resolved
    root, engine/document/roots.py; default the document's). Raises RuntimeError without
    torch, ValueError without a root, export.ExportError when the graph cannot be exported."""
    if not torch_available():
        raise RuntimeError(NO_TORCH)
    doc = executor.doc
    root = root if root is not None else doc.settings.root
    if root is None or root not in doc.nodes:
        raise ValueError("no backward root selected: nothing to verify")
    script = torch_script(executor, root)
    ids = grad_nodes(doc)
    names = [doc.nodes[nid].name for nid in ids]
    return Job(doc.copy(), [sys.executable, "-c", HARNESS, json.dumps(names)], script, ids,
               names, engine_run(executor, root))


def _execute(job: Job, timeout: float) -> tuple[int, str, str]:
    try:
        proc = subprocess.run(job.argv, input=job.script, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"PyTorch did not finish within {timeout:g} s") from None
    return proc.returncode, proc.stdout, proc.stderr


def torch_run(executor: Executor, timeout: float = 120.0) -> Run:
    """Run the literal export in torch in a subprocess. Raises RuntimeError with a clear
    message when torch is missing, the run times out or prints no result."""
    job = prepare(executor)
    return job.torch_result(*_execute(job, timeout))


def tolerances(dtype) -> tuple[float, float]:
    """(rtol, atol) for comparing two libraries' results computed in ``dtype``."""
    dt = np.dtype(dtype)
    if dt == np.float64:
        return 1e-7, 1e-10
    if dt.itemsize <= 2:
        return 1e-2, 1e-3
    return 1e-4, 1e-5  # float32: different summation orders / libm


def compare(document, engine: Run, torch: Run, rtol=None, atol=None) -> Verification:
    """Per leaf: agree / differ (with the max abs difference) / missing (grad on one side)."""
    if engine.error or torch.error:
        if engine.error and torch.error and engine.error.endswith(torch.error):
            verdict, msg = "agree", f"both fail with PyTorch's error: {torch.error}"
        else:
            verdict = "error"
            msg = (f"engine: {engine.error or 'ok'}; PyTorch: {torch.error or 'ok'}")
        return Verification(verdict, msg, [], engine, torch)
    leaves = []
    for nid in grad_nodes(document):
        name = document.nodes[nid].name
        a, b = engine.grads.get(nid), torch.grads.get(nid)
        if a is None and b is None:
            leaves.append(LeafResult(nid, name, "agree", None, "no grad on either side"))
            continue
        if a is None or b is None:
            side = "engine" if a is None else "PyTorch"
            leaves.append(LeafResult(nid, name, "missing", None, f"no grad in {side}"))
            continue
        if a.shape != b.shape or a.dtype != b.dtype:
            leaves.append(LeafResult(nid, name, "differ", None,
                                     f"engine {a.dtype}{list(a.shape)} vs PyTorch "
                                     f"{b.dtype}{list(b.shape)}"))
            continue
        r, t = tolerances(b.dtype)
        r, t = (rtol if rtol is not None else r), (atol if atol is not None else t)
        ok = np.allclose(a, b, rtol=r, atol=t, equal_nan=True)
        with np.errstate(invalid="ignore"):
            diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
        same_special = (np.isnan(a) == np.isnan(b)) & ((a == b) | ~np.isinf(b))
        diff = np.where(same_special & ~np.isfinite(diff), 0.0, diff)
        mx = float(np.nanmax(diff)) if diff.size else 0.0
        leaves.append(LeafResult(nid, name, "agree" if ok else "differ", mx,
                                 f"max abs diff {mx:.3g} (rtol {r:g}, atol {t:g})"))
    bad = [x for x in leaves if x.status != "agree"]
    if not leaves:
        return Verification("agree", "no leaf receives a gradient", leaves, engine, torch)
    if bad:
        msg = "gradients differ for " + ", ".join(f"{x.name} ({x.detail})" for x in bad)
        return Verification("differ", msg, leaves, engine, torch)
    return Verification("agree", f"all {len(leaves)} gradients agree with PyTorch "
                        f"{torch.version or ''}".rstrip(), leaves, engine, torch)


def verify(executor: Executor, timeout: float = 120.0, rtol=None, atol=None) -> Verification:
    """The whole check, blocking; never raises (a missing torch / failed run is the
    verdict). The app runs ``prepare(...)``'s job asynchronously instead."""
    if not torch_available():
        return Verification("unavailable", NO_TORCH)
    try:
        job = prepare(executor)
        result = _execute(job, timeout)
    except (RuntimeError, export.ExportError, ValueError) as e:
        return Verification("error", str(e))
    return job.finish(*result, rtol=rtol, atol=atol)
