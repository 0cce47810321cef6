"""A small progress indicator for the status bar: label, bar and a Cancel button.

It implements the Qt-free protocol of `engine.document.progress`: `callback(done, total)`
updates the bar and returns False once Cancel was clicked. Long work runs on the GUI thread,
so the callback keeps the window alive: at most every `interval_ms` it lets Qt paint and
deliver events. While a task runs, keyboard and mouse input is withheld from every widget but
the Cancel button (the window must not be edited under the work that reads it); repaints,
resizes and timers go on, so the window never looks frozen.

    with indicator.task("Opening big.json", total=n) as progress:
        doc = load(path, progress=progress)        # raises Cancelled when the user cancels
    if indicator.was_cancelled: ...

`task` swallows `Cancelled` (the work stopped, as the user asked); `was_cancelled` tells.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

from PySide6.QtCore import QEvent, QEventLoop, QObject, Signal
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QToolButton,
    QWidget,
)

from engine.document.progress import Cancelled

_INPUT = {QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease,
          QEvent.Type.MouseButtonDblClick, QEvent.Type.KeyPress, QEvent.Type.KeyRelease,
          QEvent.Type.Wheel, QEvent.Type.ShortcutOverride, QEvent.Type.Shortcut,
          QEvent.Type.ContextMenu, QEvent.Type.Drop}


class _InputGate(QObject):
    """Drops user input aimed anywhere but `allowed` (an application-wide event filter)."""

    def __init__(self, allowed: QWidget) -> None:
        super().__init__(allowed)
        self.allowed = allowed
        self.dropped = 0

    def eventFilter(self, obj, ev):  # noqa: N802
        t = ev.type()
        if t not in _INPUT:
            return False
        if isinstance(obj, QWidget):  # the QWindow passes it on to a widget: judged there
            if obj is self.allowed or self.allowed.isAncestorOf(obj):
                return False
        elif t != QEvent.Type.Shortcut:  # an action's shortcut has no widget to judge by
            return False
        self.dropped += 1
        return True


class ProgressIndicator(QWidget):
    """Hidden until a task starts; `canceled` is emitted by the Cancel button."""

    canceled = Signal()
    started = Signal(str)
    finished = Signal(bool)  # True when cancelled

    def __init__(self, parent=None, *, interval_ms: int = 50) -> None:
        super().__init__(parent)
        self.setObjectName("progressIndicator")
        self.interval = interval_ms / 1000
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setMaximumWidth(160)
        self.bar.setMaximumHeight(16)
        self.bar.setTextVisible(True)
        self.cancel_button = QToolButton(self)
        self.cancel_button.setText("Cancel")
        self.cancel_button.setObjectName("progressCancel")
        self.cancel_button.clicked.connect(self.cancel)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        lay.setSpacing(6)
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel_button)
        self._running = False
        self._cancelled = False
        self.was_cancelled = False
        self._last_pump = 0.0
        self._show_at = 0.0
        self._gate: _InputGate | None = None
        self.callbacks = 0  # progress calls received (tests count them)
        self.hide()

    # -- the protocol --------------------------------------------------------------------
    def start(self, text: str, total: int = 0, *, cancellable: bool = True,
              show_after_ms: int = 0, withhold_input: bool = True):
        """Show `text` and an empty bar; returns the progress callback. With `show_after_ms`
        the indicator appears only once the work has lasted that long (a forward that may
        take 50 ms or 5 s: start it with 500), input is withheld from the start.
        ``withhold_input=False``: work on another thread, which the window cannot disturb
        (a script import), leaves the window usable; no events are pumped either."""
        self._running, self._cancelled, self.was_cancelled = True, False, False
        self._show_at = time.perf_counter() + show_after_ms / 1000
        self.label.setText(text)
        self.cancel_button.setEnabled(cancellable)
        self.cancel_button.setVisible(cancellable)
        self._set(0, total)
        if not show_after_ms:
            self.show()
        app = QApplication.instance()
        if not withhold_input:
            self.started.emit(text)
            return self.progress
        if app is not None and self._gate is None:
            self._gate = _InputGate(self.cancel_button)
            app.installEventFilter(self._gate)
        self.started.emit(text)
        self._last_pump = 0.0
        self._pump(force=True)
        return self.progress

    def progress(self, done: int, total: int) -> bool:
        """`done` of `total` (0: unknown): update the bar, let Qt breathe, return False once
        the user cancelled."""
        self.callbacks += 1
        if not self._running:
            return True
        self._set(done, total)
        if not self.isVisible() and time.perf_counter() >= self._show_at:
            self.show()
        self._pump()
        return not self._cancelled

    def finish(self) -> None:
        if self._gate is not None:
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self._gate)
            self._gate.deleteLater()
            self._gate = None
        was = self._cancelled
        self.was_cancelled = was
        self._running = False
        self.hide()
        self.finished.emit(was)

    def cancel(self) -> None:
        if self._running and not self._cancelled:
            self._cancelled = True
            self.label.setText(self.label.text() + " — cancelling…")
            self.canceled.emit()

    @contextmanager
    def task(self, text: str, total: int = 0, *, cancellable: bool = True,
             show_after_ms: int = 0):
        """`start` ... `finish` around a block; `Cancelled` raised in it ends the block."""
        cb = self.start(text, total, cancellable=cancellable, show_after_ms=show_after_ms)
        try:
            yield cb
        except Cancelled:
            self._cancelled = True
        finally:
            self.finish()

    # -- state ---------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._running

    def is_cancelled(self) -> bool:
        return self._cancelled

    def _set(self, done: int, total: int) -> None:
        if total > 0:
            if self.bar.maximum() != total:
                self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        elif self.bar.maximum() != 0:
            self.bar.setRange(0, 0)  # busy indicator

    def _pump(self, force: bool = False) -> None:
        now = time.perf_counter()
        if force or now - self._last_pump >= self.interval:
            self._last_pump = now
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
