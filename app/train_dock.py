"""The Train dock: runs the document's training setup on the window's Executor in short
slices on the GUI thread (a QTimer: each slice ends within ~20 ms, so the window keeps
answering input), and shows every slice on the canvas through ``MainWindow.show_results``.

Trained values live in the Executor's leaf tensors (see docs/architecture.md "Training"); a
run -- from Play to Pause, one Step, N steps, or Reset -- is one undo step (``TrainRun``) that
writes the parameter values back. Setup edits are ``SetSetting("training", ...)`` commands.
"""
from __future__ import annotations

import os
import time

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QUndoCommand

import engine
from engine.document.errors import DocumentError
from engine.document.execution import Executor
from engine.document.training.loop import Trainer, write_values
from engine.document.training.setup import CLASSIFICATION, default_setup

from . import commands as C

SLICE_SECONDS = 0.02  # one slice of steps, then the event loop runs (input within 50 ms)
BOUNDARY_EVERY = 0.25  # seconds between decision-boundary redraws while running
GRID = 48


class TrainRun(QUndoCommand):
    """One training run: undo writes the parameters from before it, redo those after."""

    def __init__(self, dock, before: dict, after: dict, text: str, history: tuple) -> None:
        super().__init__(text)
        self.dock, self.before, self.after = dock, before, after
        self.history = history  # (the step records before, after): the plots follow too
        self._first = True

    def redo(self) -> None:
        if self._first:  # the run itself did it
            self._first = False
            return
        self.dock.apply_values(self.after, self.history[1])

    def undo(self) -> None:
        self.dock.apply_values(self.before, self.history[0])


class TrainDock(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        from widgets.train_panel import TrainPanel
        self.window = window
        self.panel = TrainPanel(window)
        self.dock = window.show_dock("Train", self.panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.dock.setObjectName("dock_train")
        self.trainer: Trainer | None = None
        self.history: list = []
        self.initial: dict | None = None  # the parameters before the first step (reset)
        self._run_start: dict | None = None
        self._run_history: list = []
        self._run_steps = 0
        self._remaining: int | None = None  # N steps left, None: play until paused
        self._stale = True
        self._last_boundary = 0.0
        self._eval_ex: Executor | None = None
        self.steps_per_slice = self.panel.speed.value()
        self.timer = QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._slice)
        p = self.panel
        p.playToggled.connect(self._play)
        p.stepsRequested.connect(self.run_steps)
        p.resetRequested.connect(self.reset)
        p.setupEdited.connect(self._setup_edited)
        p.speedChanged.connect(lambda n: setattr(self, "steps_per_slice", n))
        p.log_scale.toggled.connect(lambda _on: self._show_history())
        self._doc = None
        self._unsubscribe = None
        self._follow(window.document())
        window.closing.connect(self.shutdown)
        # shown for a document with a training setup; else it waits in View > Panels (the
        # inspector keeps the right column's height)
        self.dock.setVisible(self._doc.settings.training is not None)

    # -- the document -----------------------------------------------------------------------
    def _follow(self, doc) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._doc = doc
        self._unsubscribe = doc.subscribe(self._on_event)
        self.panel.set_setup(self.setup())

    def setup(self) -> dict:
        return self._doc.settings.training or default_setup()

    def _on_event(self, ev) -> None:
        if ev.layout_only:
            return
        self._stale = True  # the graph or the setup changed: a new Trainer at the next step
        if ev.kind == "reset":  # another file: start over
            self._stop_run()
            self.history, self.initial, self.trainer = [], None, None
            self._eval_ex = None
            self._show_history()
            if self._doc.settings.training is not None:
                self.dock.show()
        if ev.kind in ("settings_changed", "reset"):
            self.panel.set_setup(self.setup())

    def shutdown(self) -> None:
        self.timer.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._eval_ex is not None:
            self._eval_ex.close()

    def _setup_edited(self, setup: dict) -> None:
        self.window.push(C.SetSetting(self._doc, "training", setup))

    # -- the trainer ------------------------------------------------------------------------
    def _trainer(self) -> Trainer | None:
        if self.trainer is not None and not self._stale:
            return self.trainer
        ex = self.window.executor()
        if ex is None:
            return None
        path = self.window.current_path()
        try:
            tr = Trainer(self._doc, executor=ex,
                         base_dir=os.path.dirname(os.path.abspath(path)) if path else None)
        except DocumentError as e:  # TrainingError, DatasetError, a setup ParamError
            self._refuse(str(e))
            return None
        tr.step_count = self.history[-1].step if self.history else 0
        self.trainer, self._stale = tr, False
        if self.initial is None:
            self.initial = tr.parameters()
        else:  # a parameter added since: its start is now
            self.initial = {**tr.parameters(), **self.initial}
        return tr

    def _refuse(self, text: str) -> None:
        self._stop_run()
        self.panel.set_status(text)
        self.window.log("warning", f"Training: {text}")

    # -- running ----------------------------------------------------------------------------
    def _play(self, on: bool) -> None:
        if on:
            self._start(None)
        else:
            self._stop_run()

    def run_steps(self, n: int) -> None:
        if n == 1 and not self.timer.isActive():  # one step: now
            if self._start(1):
                self._slice()
            return
        self._start(n)

    def _start(self, n) -> bool:
        if self._trainer() is None:
            return False
        if self._run_start is None:
            self._run_start = self.trainer.parameters()
            self._run_history = list(self.history)
            self._run_steps = 0
        self._remaining = n
        self.panel.set_running(n is None)
        self.timer.start()
        return True

    def _slice(self) -> None:
        tr = self._trainer()
        if tr is None:
            return
        t0 = time.perf_counter()
        budget = self.steps_per_slice if self._remaining is None else \
            min(self._remaining, self.steps_per_slice)
        done = 0
        while done < budget:
            rec = tr.step()
            if rec is None:
                break
            self.history.append(rec)
            done += 1
            if time.perf_counter() - t0 > SLICE_SECONDS:
                break
        self._run_steps += done
        if self._remaining is not None:
            self._remaining -= done
        self._show()
        if tr.stopped is not None:
            self._stopped(tr.stopped)
        elif self._remaining is not None and self._remaining <= 0:
            self._stop_run()

    def _stopped(self, stop) -> None:
        self._stop_run()
        msg = f"stopped: {stop.message}"
        self.panel.set_status(msg)
        self.window.log("warning", f"Training {msg}")
        ctl = getattr(self.window, "autograd", None)
        if stop.node_id is not None and ctl is not None:
            ctl.marks[stop.node_id] = stop.message
        self.window.resultsChanged.emit()
        self.trainer = None  # the next run starts a fresh Trainer (stopped stays stopped)

    def _stop_run(self) -> None:
        """End the current run: one undo step for all its steps."""
        self.timer.stop()
        self._remaining = None
        self.panel.set_running(False)
        if self._run_start is not None and self._run_steps and self.trainer is not None:
            after = self.trainer.parameters()
            n = self._run_steps
            self.window.undo_stack.push(TrainRun(
                self, self._run_start, after, f"Train {n} step{'s' if n != 1 else ''}",
                (self._run_history, list(self.history))))
            self._diverging_hint()
        self._run_start, self._run_steps = None, 0

    def _diverging_hint(self) -> None:
        h = self.history
        if len(h) >= 10 and h[-1].loss > 10 * max(h[0].loss, 1e-12):
            self.window.log("warning", f"Training: the loss grew from {h[0].loss:.4g} to "
                                       f"{h[-1].loss:.4g}: the learning rate may be too high")

    def reset(self) -> None:
        """Back to the initial parameters (one undo step); the plots start over."""
        self._stop_run()
        tr = self._trainer()
        if tr is None or self.initial is None:
            return
        before = tr.parameters()
        self.window.undo_stack.push(TrainRun(self, before, dict(self.initial), "Reset training",
                                             (list(self.history), [])))
        self.apply_values(self.initial, [])

    def apply_values(self, values: dict, history: list) -> None:
        """Undo/redo/reset: parameter values into the window's Executor and the step records
        into the plots, shown at once."""
        self._stop_run()
        ex = self.window.executor()
        if ex is None:
            return
        write_values(ex, values)
        self.history = list(history)
        self._stale = True  # fresh optimizer state from these values
        self.window.refresh_results()
        self._show()
        self._draw_boundary(force=True)

    # -- showing ----------------------------------------------------------------------------
    def _names(self) -> dict:
        tr = self.trainer
        return {nid: self._doc.nodes[nid].name for nid in (tr.params if tr else [])
                if nid in self._doc.nodes}

    def _show_history(self) -> None:
        self.panel.set_history(self.history, self._names())

    def _show(self) -> None:
        self._show_history()
        if self.history:
            r = self.history[-1]
            acc = "" if r.accuracy is None else f" · accuracy {r.accuracy:.1%}"
            self.panel.set_status(f"step {r.step} · loss {r.loss:.6f} · lr {r.lr:.4g}{acc}")
        else:
            self.panel.set_status("no training yet")
        self.window.show_results()  # the canvas follows: values, grads, ×n
        self.window.resultsChanged.emit()
        self._draw_boundary()

    def _draw_boundary(self, force: bool = False) -> None:
        """P(class 1) over the data's box for a 2-D classification set, on a private Executor
        (the canvas keeps showing the training batch)."""
        now = time.perf_counter()
        if not force and now - self._last_boundary < BOUNDARY_EVERY and self.timer.isActive():
            return
        self._last_boundary = now
        tr = self.trainer
        data = self.setup().get("data")
        if tr is None or tr.data is None or data is None or data["source"] not in \
                CLASSIFICATION and data["source"] != "csv" or tr.data[0].shape[1] != 2:
            self.panel.set_boundary(None, None)
            return
        X, y = tr.data
        lo, hi = X.min(0) - 0.5, X.max(0) + 0.5
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID))
        grid = np.stack([gx.ravel(), gy.ravel()], 1).astype(X.dtype)
        if self._eval_ex is None:
            self._eval_ex = Executor(self._doc)
        ex = self._eval_ex
        ex.forward()
        for nid, value in tr.parameters().items():
            ex.feed(nid, engine.from_numpy(value))
        ex.feed(data["inputs"], engine.from_numpy(grid))
        ex.feed(data["targets"], engine.from_numpy(np.zeros((len(grid),) + y.shape[1:],
                                                            y.dtype)))
        res = ex.forward().get(tr._logits)
        if res is None or res.value is None:
            self.panel.set_boundary(None, None)
            return
        out = res.value.detach().numpy().reshape(len(grid), -1)
        if out.shape[1] == 1:
            p = out[:, 0] if tr._predict == "prob" else 1 / (1 + np.exp(-out[:, 0]))
        else:
            e = np.exp(out - out.max(1, keepdims=True))
            p = (e / e.sum(1, keepdims=True))[:, 1]
        self.panel.set_boundary(p.reshape(GRID, GRID), (lo[0], lo[1], hi[0] - lo[0],
                                                        hi[1] - lo[1]), X, y.reshape(-1))
