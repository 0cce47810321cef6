"""Script import at scale (issue 12): a 1,250-step chain ``h = tanh(h @ w * 0.3 + b)`` --
5,000 ops -- imported from the script (child process, the CLI's path) and opened in a window.

    python3 benchmarks/bench_import.py [--steps 1250] [--no-gui]

Prints, for one run in this process: the import (running the script in the child, recording,
building the document, laying it out), writing the JSON, reading it back, and opening it in a
MainWindow (set_document, the forward, the first paint). Target: import + open under 3 s. The
machines are shared: rerun before believing a regression.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCRIPT = """\
import torch
torch.manual_seed(0)
w = torch.randn(8, 8, requires_grad=True)
b = torch.randn(8, requires_grad=True)
h = torch.randn(4, 8)
for _ in range({steps}):
    h = torch.tanh(h @ w * 0.3 + b)
loss = h.sum()
loss.backward()
"""


def write_script(folder, steps: int = 1250) -> Path:
    path = Path(folder) / f"chain_{steps}.py"
    path.write_text(SCRIPT.format(steps=steps))
    return path


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1250)
    ap.add_argument("--no-gui", action="store_true")
    args = ap.parse_args(argv)
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    from engine.document import fileformat
    from engine.document.script_import import import_script
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        script = write_script(tmp, args.steps)
        t0 = time.perf_counter()
        result = import_script(script)
        out["import_s"] = time.perf_counter() - t0
        out["nodes"] = len(result.document.nodes)
        doc_path = Path(tmp) / "chain.json"
        t0 = time.perf_counter()
        fileformat.save(result.document, doc_path)
        out["save_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        doc, view = fileformat.load_with_view(doc_path)
        out["load_s"] = time.perf_counter() - t0
        if not args.no_gui:
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
            from PySide6.QtWidgets import QApplication

            from app.main_window import MainWindow, create_application
            app = create_application()
            w = MainWindow(autosave_enabled=False)
            w.show()
            app.processEvents()
            t0 = time.perf_counter()
            w.set_document(doc, None, name="chain (imported)", modified=True)
            app.processEvents()
            w.fit()
            w.view.viewport().repaint()
            out["open_s"] = time.perf_counter() - t0
            w.undo_stack.setClean()
            w.close()
            QApplication.processEvents()
    total = out["import_s"] + out.get("open_s", out["load_s"])
    out["import_plus_open_s"] = total
    for k, v in out.items():
        print(f"{k:20s} {v:.3f}" if isinstance(v, float) else f"{k:20s} {v}")
    return out


if __name__ == "__main__":
    main()
