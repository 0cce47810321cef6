""""See what autograd sees" (issue 14) in a window: why a .grad is None (the inspector's
"why?"), and the timeline of backward calls (a dock). Installed by the controller with one
line; the answers come from the model (engine/document/why_none.py, backward_history.py)."""
from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QTimer

from engine.document import saved_tensors as _saved
from engine.document import vjp as _vjp
from engine.document import why_none as _why

from .actions import AREA_BOTTOM


class Insight(QObject):
    def __init__(self, host, controller) -> None:
        super().__init__(controller)
        self.host = host
        self.controller = controller
        self.doc = controller.doc
        # the inspector is the window's (not part of the Host protocol): optional here
        inspector = getattr(host, "inspector", None)
        if inspector is not None and hasattr(inspector, "set_why_provider"):
            inspector.set_why_provider(self.why_none)
        if inspector is not None and hasattr(inspector, "set_saved_provider"):
            inspector.set_saved_provider(self.saved, self.saved_source_hovered)
        self._closed = False
        controller.graph.saved_box.sourceHovered.connect(self.saved_source_hovered)
        closing = getattr(host, "closing", None)  # the window's signal, when it has one
        if closing is not None:  # its views go now: no hover may reach the canvas after
            closing.connect(self._window_closing)
        from widgets.backward_timeline import BackwardTimeline
        self.timeline = BackwardTimeline(host.widget())
        self.timeline_dock = host.show_dock("Backward calls", self.timeline, AREA_BOTTOM)
        self.timeline_dock.setObjectName("dock_backward_timeline")
        self.timeline_dock.hide()  # shown by the first backward: until then it has nothing
        self._shown_once = False
        self._history = None
        self._unsubscribe = None
        # coalesced: a training loop's thousand calls repaint once per event-loop turn
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.update_timeline)
        self._follow_history()
        host.resultsChanged.connect(self._results_changed)
        from widgets.step_formula import StepFormulaView
        self.formula = StepFormulaView(host.widget())
        self.formula_dock = host.show_dock("Chain rule", self.formula, AREA_BOTTOM)
        self.formula_dock.setObjectName("dock_step_formula")
        self.formula_dock.hide()  # shown by step-through
        controller.stepChanged.connect(self._step_changed)
        controller.steps.stopped.connect(lambda _show: self._step_changed(None))

    def why_none(self, node_id) -> _why.Explanation | None:
        ex = self.controller.executor()
        if ex is None or node_id not in self.doc.nodes:
            return None
        return _why.explain(self.doc, node_id, ex.results, ex.history)

    def saved(self, node_id) -> list:
        """What the node's grad_fns saved for backward (engine/document/saved_tensors.py)."""
        ex = self.controller.executor()
        if ex is None or node_id not in self.doc.nodes:
            return []
        return _saved.for_node(ex, node_id)

    def saved_source_hovered(self, node_id: str) -> None:
        """A saved tensor's row is under the pointer (inspector or backward-graph dock; "" when
        it left): ring the node it came from on the canvas, and in the backward graph the
        grad_fn that produced it."""
        if self._closed:
            return
        nid = node_id if node_id in self.doc.nodes else None
        scene = self.host.scene
        if shiboken6.isValid(scene):
            scene.mark_saved_source(nid)
        self.controller.graph.mark_source(nid)

    def _window_closing(self) -> None:
        self._closed = True

    # ------------------------------------------------------------------ step formulas
    def step_math(self, index: int | None = None):
        """The StepMath of the player's step ``index`` (default: the current one)."""
        player = self.controller.player
        ex = self.controller.executor()
        if player is None or ex is None:
            return None
        i = player.index if index is None else index
        if i < 0:
            return None
        step = player.steps[i]
        return _vjp.describe(step, ex, player.state_at(i - 1))

    def _step_changed(self, index) -> None:
        if not shiboken6.isValid(self.formula):
            return
        player = self.controller.player
        if player is None or index is None:
            self.formula.show_math(None)
            return
        if not self.formula_dock.isVisible():
            self.formula_dock.show()
        self.formula.show_math(self.step_math(index), index, len(player.steps))

    # ------------------------------------------------------------------ the timeline
    def _follow_history(self) -> None:
        ex = self.controller.executor()
        history = getattr(ex, "history", None)
        if history is self._history:
            return
        self.shutdown()
        self._history = history
        if history is not None:
            self._unsubscribe = history.subscribe(self._on_call)

    def _on_call(self, call) -> None:
        if not shiboken6.isValid(self.timeline):
            return
        if call.kind == "backward" and not self._shown_once:
            self._shown_once = True
            self.timeline_dock.show()
        self._timer.start()

    def _results_changed(self) -> None:
        self._follow_history()
        ex = self.controller.executor()
        if ex is not None and shiboken6.isValid(self.timeline):
            self.timeline.set_version(ex.graph_version, _saved.memory_held(ex))
            if not ex.history.calls and self.timeline.table.rowCount():
                self.update_timeline()  # another document: its history starts empty

    def update_timeline(self) -> None:
        ex = self.controller.executor()
        if ex is None or not shiboken6.isValid(self.timeline):
            return
        names = {nid: n.name for nid, n in self.doc.nodes.items()}
        self.timeline.show_history(ex.history, names, ex.graph_version, _saved.memory_held(ex))

    def shutdown(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


__all__ = ["Insight"]
