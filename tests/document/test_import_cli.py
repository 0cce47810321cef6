"""``gradcanvas import`` end to end, and the round trips: ``run --backward --json`` and the
literal-values torch export give every leaf the gradient the script's backward produced."""
from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.document import fileformat

from .importing import torch_backward_grads, write
from .test_import import MLP, NO_GRAD_DETACH, RETAIN, TRAINING, TUTORIAL

ROOT = Path(__file__).parents[2]


def gradcanvas(*argv):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "app", *map(str, argv)], capture_output=True,
                          text=True, env=env, timeout=120)


def import_file(tmp_path, source, *extra):
    script = write(tmp_path, source)
    out = tmp_path / "out.json"
    p = gradcanvas("import", script, "-o", out, *extra)
    assert p.returncode == 0, p.stderr
    return out, p


def test_import_writes_a_document_and_passes_the_scripts_output_through(tmp_path):
    out, p = import_file(tmp_path, TUTORIAL)
    assert "<AddBackward0 object at" in p.stdout
    assert p.stderr.strip().endswith(f"imported backward call 1 (line 10): 7 nodes, 3 ops -> "
                                     f"{out}")
    doc = fileformat.load(out)
    assert {n.name for n in doc.nodes.values()} == {"x", "y", "w", "b", "matmul", "z", "loss"}
    q = gradcanvas("import", write(tmp_path, TUTORIAL), "-o", tmp_path / "q.json", "--quiet")
    assert q.returncode == 0 and q.stdout == ""


def test_a_refusal_is_one_line_and_exit_1(tmp_path):
    script = write(tmp_path, "import torch\nw = torch.ones(2, requires_grad=True)\n"
                             "w.expand(3, 2).sum().backward()\n")
    p = gradcanvas("import", script, "-o", tmp_path / "out.json")
    assert p.returncode == 1
    assert p.stderr == "gradcanvas: error: script.py:3: Tensor.expand() has no catalog node\n"
    assert not (tmp_path / "out.json").exists()  # never a partial graph


def test_usage_errors_exit_2(tmp_path):
    p = gradcanvas("import", tmp_path / "missing.py", "-o", tmp_path / "out.json")
    assert p.returncode == 2 and "missing.py: no such file" in p.stderr
    p = gradcanvas("import", write(tmp_path, "import torch\n"), "-o", tmp_path / "o.json",
                   "--call", "zero")
    assert p.returncode == 2 and "--call expects a positive number or 'last'" in p.stderr
    p = gradcanvas("import", write(tmp_path, "import torch\n"))
    assert p.returncode == 2 and "-o/--output" in p.stderr


def _run_json_grads(path) -> dict:
    p = gradcanvas("run", path, "--backward", "--json")
    assert p.returncode == 0, p.stderr
    return {n["name"]: n["grad"] for n in json.loads(p.stdout)["nodes"]
            if n["grad"] is not None}


def _torch_export_grads(torch, path) -> dict:
    p = gradcanvas("export", path, "--to", "torch", "--literal-values")
    assert p.returncode == 0, p.stderr
    ns: dict = {"__name__": "__gradcanvas_export__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(p.stdout, "<export>", "exec"), ns)  # real torch: the script imports it
    assert ns["torch"] is torch
    return {k: v.grad.numpy() for k, v in ns.items()
            if isinstance(v, torch.Tensor) and (v.is_leaf or v.retains_grad)
            and v.grad is not None}


ROUND_TRIPS = {"tutorial": (TUTORIAL, "1"), "mlp": (MLP, "1"), "retain_grad": (RETAIN, "1"),
               "no_grad_detach": (NO_GRAD_DETACH, "1"), "training_3rd": (TRAINING, "3")}


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(ROUND_TRIPS))
def test_round_trips_agree_with_the_script_in_torch(name, tmp_path, torch, monkeypatch):
    source, call = ROUND_TRIPS[name]
    out, _ = import_file(tmp_path, source, "--call", call)
    want = torch_backward_grads(torch, monkeypatch, source)[int(call) - 1]
    want = {k: v for k, v in want.items() if v is not None}
    ran = _run_json_grads(out)
    exported = _torch_export_grads(torch, out)
    assert set(ran) == set(want) == set(exported)
    for k, g in want.items():
        np.testing.assert_allclose(np.array(ran[k], dtype=np.float32), g, rtol=1e-5,
                                   atol=1e-6, err_msg=f"run --json: {k}")
        np.testing.assert_allclose(exported[k], g, rtol=1e-5, atol=1e-6,
                                   err_msg=f"torch export: {k}")
