"""The canvas benchmark script runs (on a small graph) so it does not rot."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui


def test_bench_canvas_runs_small(qapp, capsys):
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_canvas.py"
    spec = importlib.util.spec_from_file_location("bench_canvas", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    data = mod.make_data(100, 120)
    assert len(data["nodes"]) == 100 and len(data["wires"]) == 120
    assert mod.main(["--nodes", "100", "--wires", "120", "--size", "800x600"]) == 0
    out = capsys.readouterr().out
    assert "repaint fitted" in out and "nodesMoved emitted 1x" in out
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not [w for w in QApplication.topLevelWidgets() if w.isVisible()]
