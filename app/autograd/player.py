"""The step-through player: record one backward, then show the state after each grad_fn on
the canvas and the backward-graph view; the step panel (created on first use) drives it."""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from engine.document import stepthrough as _st

from .actions import AREA_BOTTOM


class StepPlayer(QObject):
    """``show(state)`` is called with every State to display (None: back to live values);
    ``stopped`` fires when the player goes away."""

    stepChanged = Signal(int)  # noqa: N815  (player index, -1 = before the first step)
    stopped = Signal(bool)  # show the live marks again

    def __init__(self, host, show, parent=None) -> None:
        super().__init__(parent)
        self.host = host
        self._show = show
        self.player: _st.StepThrough | None = None
        self.recording = None  # stepthrough.Recording of the last run
        self.panel = None
        self.dock = None

    def record(self, executor, root):
        """Run backward recording every grad_fn the engine executes (the Recording)."""
        self.stop(show=False)
        self.recording = _st.record_backward(executor, root)
        return self.recording

    def play(self, rec) -> _st.StepThrough:
        self.player = _st.StepThrough(rec)
        try:
            panel = self._ensure_panel()
        except ImportError:
            panel = None
        if panel is not None:
            panel.set_steps([st.name for st in rec.steps], 0)
            self.dock.show()
            self.dock.raise_()
        self.seek(-1)
        return self.player

    def _ensure_panel(self):
        if self.dock is not None:
            return self.panel
        from widgets.step_panel import StepPanel
        panel = StepPanel(self.host.widget())
        panel.setObjectName("stepPanel")
        dock = self.host.show_dock("Step-through backward", panel, AREA_BOTTOM)
        dock.setObjectName("dock_step_through")
        panel.stepChanged.connect(lambda step: self.seek(step - 1))
        dock.visibilityChanged.connect(self._dock_visibility)
        self.panel, self.dock = panel, dock
        return panel

    def seek(self, index: int) -> None:
        """Show the state after step ``index`` (-1: before backward) on every view."""
        p = self.player
        if p is None:
            return
        p.seek(index)
        self._show(p.state)
        if self.panel is not None and self.panel.step != p.index + 1:
            self.panel.set_step(p.index + 1)
        self.stepChanged.emit(p.index)

    def next(self) -> None:
        if self.player is not None and not self.player.at_end:
            self.seek(self.player.index + 1)

    def previous(self) -> None:
        if self.player is not None and not self.player.at_start:
            self.seek(self.player.index - 1)

    def _dock_visibility(self, visible: bool) -> None:
        if not visible and self.player is not None:
            QTimer.singleShot(0, self.stop)  # not an undo step: only the display changes

    def stop(self, show: bool = True) -> None:
        if self.player is None:
            return
        self.player = None
        self._show(None)
        if self.panel is not None:
            self.panel.set_steps([])
        self.stopped.emit(show)

    def apply_theme(self) -> None:
        if self.panel is not None:
            self.panel.apply_theme()


__all__ = ["StepPlayer"]
