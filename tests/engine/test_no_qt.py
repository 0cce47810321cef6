"""The engine is Qt-free: importing it (and its document model) loads no Qt binding."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QT = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6", "PySide2")


def _loaded_after(statement: str) -> list[str]:
    code = (f"import sys\n{statement}\n"
            f"print('\\n'.join(m for m in sys.modules if m.split('.')[0] in {QT!r}))")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True)
    return [line for line in res.stdout.splitlines() if line]


def test_engine_imports_no_qt():
    assert _loaded_after("import engine, engine.autograd, engine.optim, engine.nn.functional\n"
                         "x = engine.ones(2, requires_grad=True); (x * 2).sum().backward()") \
        == []


def test_document_model_imports_no_qt():
    if not (ROOT / "engine" / "document").exists():
        pytest.skip("engine.document does not exist yet")
    assert _loaded_after("import engine.document") == []


def test_the_check_detects_qt():
    """The check itself can fail: importing PySide6 is seen."""
    pytest.importorskip("PySide6")
    assert "PySide6" in _loaded_after("import PySide6")
