"""The canvas benchmark script runs (on small graphs) so it does not rot."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui


def load_bench():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_canvas.py"
    spec = importlib.util.spec_from_file_location("bench_canvas", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bench_canvas_runs_small(qapp, capsys, tmp_path):
    mod = load_bench()
    data = mod.make_data(100, 120)
    assert len(data["nodes"]) == 100 and len(data["wires"]) == 120
    assert mod.main(["--nodes", "80", "--nodes", "160", "--size", "800x600", "--repeat", "2",
                     "--profile", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for fig in mod.FIGURES:  # every figure for both sizes, then the exponents
        assert out.count(f"\n{fig} ") >= 2, fig
    assert "growth exponents log(t160/t80)" in out
    assert "=== profile edit @ 160 nodes" in out and (tmp_path / "edit_160.prof").exists()
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not [w for w in QApplication.topLevelWidgets() if w.isVisible()]
