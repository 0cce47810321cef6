"""Training speed: the two-moons example (a 2-16-16-1 tanh MLP, batch 32, Adam) trained
headless by ``Trainer`` (Executor forward/backward, optimizer step, per-step records) against
the same loop written by hand on the engine, interleaved in one process (compare the ratio on
shared machines). Target (issue 13): >= 1,000 steps/s headless.

    python3 benchmarks/bench_train.py [--steps 1000] [--repeat 3] [--gui]

``--gui`` also plays the example in the Train panel of an offscreen main window (live plots,
decision boundary, the canvas following every slice) for 2 s: steps/s (target >= 100) and the
longest slice -- the longest time the window does not answer input (target < 50 ms).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import engine  # noqa: E402
import engine.nn.functional as F  # noqa: E402
from engine.document import fileformat  # noqa: E402
from engine.document.training import datasets  # noqa: E402
from engine.document.training.loop import Trainer  # noqa: E402

EXAMPLE = ROOT / "resources" / "examples" / "two_moons.json"


def app_loop(steps: int) -> float:
    tr = Trainer(fileformat.load(EXAMPLE))
    t0 = time.perf_counter()
    tr.run(steps)
    dt = time.perf_counter() - t0
    assert tr.stopped is None and len(tr.history) == steps
    return steps / dt


def engine_loop(steps: int) -> float:
    tr = Trainer(fileformat.load(EXAMPLE))  # the same data and initial values
    X, y = tr.data
    params = [t.detach().clone().requires_grad_() for t in tr.tensors]
    w1, b1, w2, b2, w3, b3 = params
    opt = engine.optim.Adam(params, lr=0.02)
    batches = datasets.batches(len(X), 32, True, 0)
    t0 = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        idx = next(batches)
        x, t = engine.from_numpy(X[idx]), engine.from_numpy(y[idx])
        h = F.tanh(F.linear(x, w1, b1))
        h = F.tanh(F.linear(h, w2, b2))
        loss = F.binary_cross_entropy_with_logits(F.linear(h, w3, b3), t)
        loss.item()
        loss.backward()
        opt.step()
    return steps / (time.perf_counter() - t0)


def gui_loop(seconds: float = 2.0) -> tuple[float, float]:
    import os
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow
    app = QApplication.instance() or QApplication([])
    w = MainWindow(fileformat.load(EXAMPLE), path=str(EXAMPLE), autosave_enabled=False)
    w.show()
    app.processEvents()
    dock = w.train
    durations: list = []
    slice_ = dock._slice

    def timed():
        t = time.perf_counter()
        slice_()
        durations.append(time.perf_counter() - t)
    dock.timer.timeout.disconnect()
    dock.timer.timeout.connect(timed)
    dock.panel.play.click()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        app.processEvents()
    dock.panel.play.click()
    rate = len(dock.history) / (time.perf_counter() - t0)
    w.undo_stack.setClean()
    w.close()
    later = sorted(durations[1:]) or [0.0]  # the first slice builds the Trainer
    return rate, durations[0] * 1000, later[len(later) // 2] * 1000, later[-1] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--gui", action="store_true", help="also the Train panel (offscreen)")
    a = ap.parse_args()
    best_app = best_eng = 0.0
    for _ in range(a.repeat):
        best_app = max(best_app, app_loop(a.steps))
        best_eng = max(best_eng, engine_loop(a.steps))
    print(f"two moons 2-16-16-1 MLP, batch 32, Adam, {a.steps} steps (best of {a.repeat})")
    print(f"  gradcanvas Trainer : {best_app:8.0f} steps/s")
    print(f"  hand-written engine: {best_eng:8.0f} steps/s")
    print(f"  ratio engine/app   : {best_eng / best_app:8.2f}x")
    if a.gui:
        rate, first, median, longest = gui_loop()
        print(f"  Train panel (live plots, canvas): {rate:6.0f} steps/s; slices: first "
              f"{first:.1f} ms, median {median:.1f} ms, longest after it {longest:.1f} ms")


if __name__ == "__main__":
    main()
