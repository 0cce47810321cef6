"""Verify with PyTorch: the literal export runs in torch in a subprocess; per-leaf verdicts;
a perturbed engine result is caught; a missing torch gives a clear message."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from engine.document import verify
from engine.document.execution import Executor

from .test_model import tutorial


@pytest.fixture(scope="module")
def tut_run(torch):
    """The tutorial after one backward, and torch's run of its literal export (one
    subprocess for the module: torch's import is the slow part)."""
    d, ids = tutorial()
    ex = Executor(d)
    ex.forward()
    assert ex.backward() is None
    return d, ids, ex, verify.torch_run(ex)


def test_torch_run_gives_torchs_grads(tut_run, torch):
    d, ids, ex, theirs = tut_run
    assert theirs.error is None and theirs.version == torch.__version__
    assert set(theirs.grads) == {ids["w"], ids["b"]}
    # the same numbers as torch in this process, from the same leaf values
    values = {nid: ex.leaf(nid).detach().numpy() for nid in d.nodes if ex.leaf(nid) is not None}
    tex = Executor(d, torch, leaf_values=values)
    assert tex.backward() is None
    for nid, g in theirs.grads.items():
        assert g.dtype == np.float32
        np.testing.assert_array_equal(g, tex.results[nid].grad.numpy())


def test_tutorial_agrees(tut_run):
    d, ids, ex, theirs = tut_run
    v = verify.compare(d, verify.engine_run(ex), theirs)
    assert v.ok and v.verdict == "agree" and v.message.startswith("all 2 gradients agree")
    assert [(x.name, x.status) for x in v.leaves] == [("w", "agree"), ("b", "agree")]
    assert all(x.max_abs_diff < 1e-6 for x in v.leaves)


def test_perturbed_engine_result_is_caught(tut_run):
    d, ids, ex, theirs = tut_run
    mine = verify.engine_run(ex)
    mine.grads[ids["b"]] = mine.grads[ids["b"]] + np.float32(1e-2)
    v = verify.compare(d, mine, theirs)
    assert v.verdict == "differ" and not v.ok
    by = {x.name: x for x in v.leaves}
    assert by["w"].status == "agree" and by["b"].status == "differ"
    assert by["b"].max_abs_diff == pytest.approx(1e-2, rel=1e-3)
    assert v.message.startswith("gradients differ for b (max abs diff 0.01")
    # within float32 noise it still agrees
    mine.grads[ids["b"]] = theirs.grads[ids["b"]] * np.float32(1 + 1e-6)
    assert verify.compare(d, mine, theirs).ok
    # a grad on one side only
    mine.grads[ids["b"]] = None
    assert {x.name: x.status for x in verify.compare(d, mine, theirs).leaves}["b"] == "missing"


def output(job, theirs) -> str:
    """What the harness prints for torch's Run ``theirs``."""
    return json.dumps({"error": theirs.error, "torch": theirs.version, "grads": {
        n: None if theirs.grads[nid] is None else {
            "dtype": f"torch.{theirs.grads[nid].dtype}", "shape": list(theirs.grads[nid].shape),
            "data": theirs.grads[nid].tolist()}
        for nid, n in zip(job.ids, job.names)}})


def test_verify_detects_a_wrong_engine(tut_run, monkeypatch):
    d, ids, ex, theirs = tut_run
    monkeypatch.setattr(verify, "_execute", lambda job, timeout: (0, output(job, theirs), ""))
    assert verify.verify(ex).ok
    real = verify.engine_run

    def wrong(executor, root=None):
        run = real(executor, root)
        run.grads[ids["w"]] = -run.grads[ids["w"]]
        return run

    monkeypatch.setattr(verify, "engine_run", wrong)
    v = verify.verify(ex)
    assert v.verdict == "differ" and [x.status for x in v.leaves] == ["differ", "agree"]


def test_accumulated_grads_do_not_fail_the_check(tut_run):
    """The app's grads after two backward calls are doubled; the check compares one fresh
    backward on each side."""
    d, ids, ex, theirs = tut_run
    d2, _ = tutorial()
    d2.set_setting("retain_graph", True)
    ex2 = Executor(d2)
    ex2.backward()
    ex2.backward()
    assert verify.compare(d2, verify.engine_run(ex2), theirs).ok


def test_same_error_on_both_sides_agrees(torch):
    d, ids = tutorial()
    d.set_setting("grad_enabled", False)  # loss does not require grad: backward fails
    v = verify.verify(Executor(d))
    assert v.verdict == "agree" and v.message == (
        "both fail with PyTorch's error: element 0 of tensors does not require grad and does "
        "not have a grad_fn")


def test_without_torch_a_clear_message(monkeypatch):
    monkeypatch.setattr(verify, "torch_available", lambda: False)
    d, _ = tutorial()
    v = verify.verify(Executor(d))
    assert v.verdict == "unavailable" and not v.ok and v.message == verify.NO_TORCH
    with pytest.raises(RuntimeError, match="PyTorch is not installed"):
        verify.torch_run(Executor(d))


def test_no_root_is_a_verdict(torch):
    d, _ = tutorial()
    d.set_setting("root", None)
    v = verify.verify(Executor(d))
    assert v.verdict == "error" and v.message == "no backward root selected: nothing to verify"


def test_timeout_is_a_verdict(torch):
    d, _ = tutorial()
    v = verify.verify(Executor(d), timeout=0.001)
    assert v.verdict == "error" and v.message == "PyTorch did not finish within 0.001 s"


def test_importing_verify_does_not_import_torch():
    code = "import sys, engine.document.verify as v; v.torch_available(); " \
           "print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_tolerances_follow_the_dtype():
    assert verify.tolerances(np.float32) == (1e-4, 1e-5)
    assert verify.tolerances(np.float64)[0] < 1e-6
    assert verify.tolerances(np.float16)[0] >= 1e-3


def test_job_for_an_asynchronous_runner(tut_run, monkeypatch):
    """The app runs prepare()'s job in a QProcess: argv + script in, finish() out."""
    d, ids, ex, theirs = tut_run
    monkeypatch.setattr(verify, "torch_available", lambda: True)  # no subprocess here
    job = verify.prepare(ex)
    assert job.argv[0] == sys.executable and job.argv[1] == "-c"
    assert job.names == ["w", "b"] and job.ids == [ids["w"], ids["b"]]
    assert "w = torch.tensor([[" in job.script and "loss.backward()" in job.script
    assert job.finish(0, "some warning\n" + output(job, theirs) + "\n", "").ok
    failed = job.finish(1, "", "Traceback ...\nModuleNotFoundError: No module named 'torch'")
    assert failed.verdict == "error" and failed.message == (
        "PyTorch run failed: ModuleNotFoundError: No module named 'torch'")
    assert job.finish(0, "", "").message == "PyTorch run failed: no output"
    # a snapshot: renaming after prepare does not change what is compared
    d.rename_node(ids["b"], "bias")
    try:
        assert job.document.nodes[ids["b"]].name == "b"
    finally:
        d.rename_node(ids["b"], "b")
