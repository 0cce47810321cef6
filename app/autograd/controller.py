"""The autograd controls of a window (issue 5): backward, zero grads, retain_graph, the
global grad mode, step-through, Verify with PyTorch, no_grad frames, detach, freeze,
retain_grad, the backward root; the backward-graph dock and the graph-version counter.

Document changes go through undo commands (app/autograd_commands.py). Backward, zero_grad and
the step-through player change runtime state only (the executor's tensors and their ``.grad``),
as running ``loss.backward()`` does not edit the script; they are not undo steps.

Installed with one call, ``AutogradController(host)``; the host is the window, seen only
through the named interface in host.py. The parts each have one job: actions.py (actions,
menu, toolbar), player.py (step-through), verifier.py (the PyTorch process), dialogs.py,
graph_dock.py (the backward-graph view). This module decides what runs when.
"""
from __future__ import annotations

import logging

import shiboken6
from PySide6.QtCore import QObject, QPointF, Qt, Signal
from PySide6.QtWidgets import QMenu

from engine.document import anomaly as _anomaly
from engine.document import roots as _roots
from engine.document import saved_tensors as _saved
from engine.document import verify as _verify
from widgets.subscription import follow

from .. import autograd_commands as AC
from .actions import AutogradActions
from .dialogs import SeedDialog, VerifyDialog
from .graph_dock import BackwardGraphDock
from .insight import Insight
from .player import StepPlayer
from .verifier import Verifier

log = logging.getLogger("gradcanvas")


class AutogradController(QObject):
    """Everything autograd in one window. ``host`` implements app.autograd.host.Host."""

    backwardDone = Signal(str, object)  # noqa: N815  (root id, error text or None)
    verified = Signal(object)  # verify.Verification
    stepChanged = Signal(int)  # noqa: N815  (player index, -1 = before the first step)

    def __init__(self, host):
        super().__init__(host.widget())
        self.setObjectName("autogradController")
        self.host = host
        self.doc = host.document()
        self.marks: dict[str, str] = {}         # node id -> message shown on it
        self.anomalies: list = []               # engine.document.anomaly.Anomaly
        self.last_error: str | None = None
        self.error_node: str | None = None  # where the last backward error is shown
        self.last_verification = None
        self._syncing = False
        self._seen_version = None   # executor.graph_version the marks were computed for
        self._logged: set = set()   # nodes whose forward anomaly is in the log already
        self._forward_anomalies = _anomaly.ForwardAnomalies()
        self.ui = AutogradActions(host)
        self.acts = self.ui.acts
        self._connect_actions()
        self.graph = BackwardGraphDock(host, self)
        self.graph.on_selected = lambda _id: self._sync_selection()
        self.steps = StepPlayer(host, self._show_step, self)
        self.steps.stepChanged.connect(self.stepChanged)
        self.steps.stopped.connect(lambda show: show and self._apply_marks())
        self.insight = Insight(host, self)  # why .grad is None, the backward timeline
        self.verifier = Verifier(self)
        self.verifier.finished.connect(self._verified)
        self._unsubscribe = follow(self.doc, self)
        sc = host.scene
        sc.selectionChanged.connect(self._selection_changed)
        sc.regionRequested.connect(lambda ids: self.no_grad_frame(list(ids)))
        sc.regionResized.connect(self._region_resized)
        sc.nodesRegrouped.connect(self._nodes_regrouped)
        host.resultsChanged.connect(self._after_refresh)
        self._sync_settings()
        self._selection_changed()
        self.on_results(host.results())

    def _connect_actions(self) -> None:
        a = self.acts
        a["backward"].triggered.connect(lambda: self.backward())
        a["zero_grads"].triggered.connect(lambda: self.zero_grads())
        a["retain_graph"].toggled.connect(lambda on: self._setting_toggled("retain_graph", on))
        a["grad_mode"].toggled.connect(lambda on: self._setting_toggled("grad_enabled", on))
        a["seed"].triggered.connect(lambda: self.edit_seed())
        a["step"].triggered.connect(lambda: self.step_through())
        a["verify"].triggered.connect(lambda: self.verify())
        a["verify"].setEnabled(Verifier.available())
        a["no_grad_frame"].triggered.connect(lambda: self.no_grad_frame())
        a["detach"].triggered.connect(lambda: self.detach())
        a["freeze"].triggered.connect(lambda on: self.freeze(frozen=on))
        a["retain_grad"].triggered.connect(lambda on: self.retain_grad(on=on))
        a["set_root"].triggered.connect(lambda on: self.set_root(
            self._single() if on else None))

    # the parts, under the names the window's tests and add-ons know
    menu = property(lambda self: self.ui.menu)
    toolbar = property(lambda self: self.ui.toolbar)
    retain_box = property(lambda self: self.ui.retain_box)
    version_label = property(lambda self: self.ui.version_label)
    backward_view = property(lambda self: self.graph.view)
    backward_dock = property(lambda self: self.graph.dock)
    step_panel = property(lambda self: self.steps.panel)
    step_dock = property(lambda self: self.steps.dock)
    player = property(lambda self: self.steps.player)
    last_recording = property(lambda self: self.steps.recording)
    _verify_proc = property(lambda self: self.verifier.proc)

    def shutdown(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.steps.stop(show=False)
        self.insight.shutdown()
        self.verifier.kill()

    def apply_theme(self) -> None:
        """Re-tint the views we own (the window re-tints the action icons)."""
        self.graph.view.apply_theme()
        self.steps.apply_theme()

    # ------------------------------------------------------------------ document events
    def _on_event(self, ev) -> None:
        if ev.kind == "settings_changed":
            self._sync_settings()
        if ev.kind == "reset":  # another document: no view may keep the old one
            self.graph.document_replaced()
        if ev.layout_only:
            return  # layout only: the values, the graph and the marks stay
        # the graph changes: the next forward rebuilds it; old marks and steps are stale
        self.marks.clear()
        self.steps.stop(show=False)
        self._update_enabled()

    def _sync_settings(self) -> None:
        self._syncing = True
        try:
            self.ui.sync_settings(self.doc.settings)
        finally:
            self._syncing = False
        self._update_enabled()

    # ------------------------------------------------------------------ helpers
    def executor(self):
        return self.host.executor()

    def results(self) -> dict:
        ex = self.executor()
        return ex.results if ex is not None else {}

    def _selected(self) -> list[str]:
        return [n for n in self.host.selected_node_ids() if n in self.doc.nodes]

    def _single(self) -> str | None:
        ids = self._selected()
        return ids[0] if len(ids) == 1 else None

    def _name(self, node_id) -> str:
        n = self.doc.nodes.get(node_id)
        return n.name if n is not None else str(node_id)

    def can_be_root(self, node_id) -> bool:
        """The model's rule (engine/document/roots.py)."""
        return _roots.can_be_root(self.doc, node_id, self.results())

    def default_root(self) -> str | None:
        """The selected node if it can be a root, else the document's root."""
        return _roots.resolve_root(self.doc, self._selected(), self.results()).node_id

    def push(self, cmd) -> bool:
        return self.host.push(cmd)

    # ------------------------------------------------------------------ results on the views
    def _after_refresh(self) -> None:
        self.on_results(self.host.results())

    def on_results(self, results) -> None:
        """After every forward of the window: version counter, NaN/Inf marks, the
        backward-graph view."""
        ex = self.executor()
        if ex is None:
            return
        if ex.graph_version != self._seen_version:  # forward recomputed something
            # one forward since the last look: re-check only what it recomputed
            one = self._seen_version is not None and ex.graph_version == self._seen_version + 1
            self._seen_version = ex.graph_version
            self.anomalies = self._forward_anomalies.update(
                self.doc, ex.results, ex.last_recomputed if one else None)
            for a in self.anomalies:
                if a.node_id not in self._logged:
                    self._logged.add(a.node_id)
                    self.host.log("warning", f"Anomaly in forward: {a.message}")
            self._logged &= {a.node_id for a in self.anomalies}
        self._update_version()
        self._sync_marks()
        self.graph.results_arrived()
        self._update_enabled()

    def _update_version(self) -> None:
        ex = self.executor()
        if ex is not None:
            self.ui.version_label.setText(f"graph v{ex.graph_version}")

    def _marks_now(self) -> dict[str, str]:
        """Messages drawn on nodes: NaN/Inf found by the last forward (detect_anomaly's
        way), then this session's backward error on its root and backward anomalies."""
        marks = {}
        for a in self.anomalies:
            if a.node_id is not None:
                marks.setdefault(a.node_id, a.message)
        marks.update(self.marks)
        return marks

    def _apply_marks(self, changed=None) -> None:
        """Show the live results (.grad values and counts) and the marks -- without running
        forward: a backward must not rebuild the graph it just spent, or a second backward
        could never fail as in torch. The window puts the results on its views; ``changed``
        (the nodes whose .grad moved) keeps that O(changed)."""
        self.host.show_results(changed=changed)
        self._sync_marks()

    def _sync_marks(self) -> None:
        scene = self.host.scene
        marks = self._marks_now()
        shown = scene.anomalies()
        for nid in set(shown) - set(marks):
            scene.set_anomaly(nid, None)
        for nid, msg in marks.items():
            if shown.get(nid) != msg:
                scene.set_anomaly(nid, msg)

    def update_backward_view_now(self) -> None:
        self.graph.update_now()

    # ------------------------------------------------------------------ backward
    def backward(self, root: str | None = None) -> str | None:
        """``root.backward(gradient=<seed>, retain_graph=<setting>)``; returns the error
        text (torch's words) or None."""
        self.host.request_refresh(now=True)
        ex = self.executor()
        root = root if root is not None else self.default_root()
        if ex is None:
            return "no executor"
        if root is None:
            msg = _roots.resolve_root(self.doc, self._selected(), self.results()).reason
            self.host.log("warning", msg)
            self.host.status(msg, 6000)
            return msg
        self.steps.stop(show=False)
        # the anomaly monitor needs the recorded graph: only when forward succeeded
        monitor = None
        r = ex.results.get(root)
        if r is not None and r.ok and r.value.grad_fn is not None:
            monitor = _anomaly.BackwardMonitor(ex)
        if monitor is not None:
            with monitor:
                err = ex.backward(root)
        else:
            err = ex.backward(root)
        self._finish_backward(root, err, monitor.anomaly if monitor else None)
        return err

    def _finish_backward(self, root, err, anomaly=None, how: str = "") -> None:
        name, host = self._name(root), self.host
        self.last_error = err
        self.marks.pop(root, None)
        if self.error_node is not None:
            self.marks.pop(self.error_node, None)
        # the second-backward error goes on the node whose buffers are gone (the model says
        # which); any other on the root
        ex = self.executor()
        self.error_node = _saved.error_node(ex, root, err) if err is not None and \
            ex is not None else None
        if err is not None:
            self.marks[self.error_node or root] = err
            host.log("error", f"{name}.backward(): {err}")
            host.status(f"{name}.backward() failed (details in the log)", 8000)
        else:
            grads = [f"{self._name(nid)}.grad ×{r.grad_count}"
                     for nid, r in self.results().items()
                     if r.grad is not None and nid in self.doc.nodes]
            host.log("info", f"{how}{name}.backward()"
                     + (f": {', '.join(grads)}" if grads else ": no leaf reached"))
            host.status(f"{name}.backward() done", 4000)
        if anomaly is not None:
            if anomaly.node_id is not None:
                self.marks[anomaly.node_id] = anomaly.message
            host.log("warning", f"Anomaly in backward: {anomaly.message}")
        ex = self.executor()
        self._apply_marks(ex.last_grad_changed if ex is not None else None)
        self.graph.update_soon()
        self._update_version()
        self.backwardDone.emit(root, err)

    def zero_grads(self, node_id: str | None = None) -> None:
        """``x.grad.zero_()`` on one leaf, or on every tensor holding a .grad."""
        ex = self.executor()
        if ex is None:
            return
        self.host.request_refresh(now=True)
        names = [self._name(nid) for nid, r in ex.results.items()
                 if r.grad is not None and (node_id is None or nid == node_id)]
        ex.zero_grad(node_id)
        self.host.log("info", "; ".join(f"{n}.grad.zero_()" for n in names) if names
                      else "Zero grads: no .grad to zero")
        self._apply_marks(ex.last_grad_changed)

    # ------------------------------------------------------------------ settings (undoable)
    def _setting_toggled(self, name: str, on: bool) -> None:
        if self._syncing or bool(getattr(self.doc.settings, name)) == on:
            return
        if not self.push(AC.setting(self.doc, name, bool(on))):
            self._sync_settings()  # refused: the control shows the document again

    def set_retain_graph(self, on: bool) -> None:
        self.acts["retain_graph"].setChecked(on)

    def set_grad_enabled(self, on: bool) -> None:
        self.acts["grad_mode"].setChecked(on)

    def set_seed(self, value) -> bool:
        if value == self.doc.settings.seed:
            return True
        return self.push(AC.setting(self.doc, "seed", value))

    def edit_seed(self) -> SeedDialog:
        dlg = SeedDialog(self.doc, self.results(), self.default_root(), self.host.widget())
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.seedChosen.connect(self.set_seed)
        dlg.open()
        self.seed_dialog = dlg
        return dlg

    def set_root(self, node_id: str | None) -> None:
        if self.doc.settings.root != node_id:
            self.push(AC.set_root(self.doc, node_id))
        self._sync_checks()

    # ------------------------------------------------------------------ graph edits (undoable)
    def no_grad_frame(self, node_ids=None) -> str | None:
        ids = list(node_ids) if node_ids is not None else self._selected()
        if not ids:
            self.host.status("Select the nodes to put in a no_grad frame", 3000)
            return None
        cmd = AC.no_grad_frame(self.doc, ids)
        return cmd.region_id if self.push(cmd) else None

    def remove_frame(self, region_id: str) -> None:
        if region_id in self.doc.regions:
            self.push(AC.remove_frame(self.doc, region_id))

    def detach(self, node_id: str | None = None) -> str | None:
        nid = node_id if node_id is not None else self._single()
        if nid is None:
            self.host.status("Select one node to detach", 3000)
            return None
        cmd = AC.InsertDetach(self.doc, nid)
        place = getattr(self.host, "place_new_node", None)
        if place is not None:  # the command's spot, moved to free space (no overlap)
            cmd.pos = tuple(float(v) for v in place("detach", QPointF(*cmd.pos)))
        if not self.push(cmd):
            return None
        self.host.select_nodes([cmd.node_id])
        return cmd.node_id

    def freeze(self, node_ids=None, frozen: bool = True) -> None:
        ids = list(node_ids) if node_ids is not None else self._selected()
        if ids:
            self.push(AC.freeze(self.doc, ids, frozen))
        self._sync_checks()

    def retain_grad(self, node_ids=None, on: bool = True) -> None:
        ids = list(node_ids) if node_ids is not None else self._selected()
        ids = [n for n in ids if not self.doc.nodes[n].spec.is_source]
        if ids:
            self.push(AC.retain_grad(self.doc, ids, on))
        self._sync_checks()

    # ------------------------------------------------------------------ no_grad frame gestures
    def _region_resized(self, region_id, old, new) -> None:
        """A frame's corner dragged: one gesture, one command (rect and members)."""
        if region_id in self.doc.regions and old != new:
            self.push(AC.resize_frame(self.doc, region_id, old, new))

    def _nodes_regrouped(self, moves, changes) -> None:
        """Nodes dragged into or out of frames: one command, built when the drag ended."""
        moves = {k: v for k, v in moves.items() if k in self.doc.nodes}
        if moves:
            self.push(AC.move_regrouped(self.doc, moves, changes))

    # ------------------------------------------------------------------ selection
    def _selection_changed(self) -> None:
        if self._unsubscribe is None or not shiboken6.isValid(self.host.scene):
            return  # the window is closing
        self._sync_selection()
        self.graph.follow_selection()

    def _sync_selection(self) -> None:
        self._sync_checks()
        self._update_enabled()

    def _sync_checks(self) -> None:
        self.ui.sync_selection(self.doc, self._selected())

    def _update_enabled(self) -> None:
        self.ui.update_enabled(self.doc, self._selected())

    # ------------------------------------------------------------------ context menu
    def fill_context_menu(self, menu: QMenu, node_id: str) -> None:
        """The autograd entries of a node's context menu."""
        node = self.doc.nodes.get(node_id)
        if node is None:
            return
        spec = node.spec
        if self.can_be_root(node_id) or node_id == self.doc.settings.root:
            a = menu.addAction(f"Backward from {node.name}")
            a.setObjectName("ctx_backward")
            a.triggered.connect(lambda: self.backward(node_id))
        root = menu.addAction("Set as backward root")
        root.setObjectName("ctx_set_root")
        root.setCheckable(True)
        root.setChecked(self.doc.settings.root == node_id)
        root.triggered.connect(lambda on: self.set_root(node_id if on else None))
        if spec.is_source:
            z = menu.addAction(f"Zero {node.name}.grad")
            z.setObjectName("ctx_zero_grad")
            r = self.results().get(node_id)
            z.setEnabled(r is not None and r.grad is not None)
            z.triggered.connect(lambda: self.zero_grads(node_id))
            f = menu.addAction("Freeze (requires_grad=False)")
        else:
            f = menu.addAction("Freeze output (acts as detach)")
        f.setObjectName("ctx_freeze")
        f.setCheckable(True)
        f.setChecked(not node.tracks_grad if spec.is_source else node.frozen_output)
        f.triggered.connect(lambda on: self.freeze([node_id], on))
        d = menu.addAction(f"Detach ({node.name}_det = {node.name}.detach())")
        d.setObjectName("ctx_detach")
        d.triggered.connect(lambda: self.detach(node_id))
        for rid, region in self.doc.regions.items():
            if node_id in region.members:
                rm = menu.addAction("Remove no_grad frame")
                rm.setObjectName("ctx_remove_frame")
                rm.triggered.connect(lambda _=False, r=rid: self.remove_frame(r))
                break
        if not spec.is_source:
            rg = menu.addAction("retain_grad()")
            rg.setObjectName("ctx_retain_grad")
            rg.setCheckable(True)
            rg.setChecked(node.retain_grad)
            rg.triggered.connect(lambda on: self.retain_grad([node_id], on))

    # ------------------------------------------------------------------ step-through
    def step_through(self, root: str | None = None):
        """Run backward recording every grad_fn the engine executes, then play it: the
        player shows the state after each step on the canvas (gradients on the wires,
        each leaf's .grad growing)."""
        self.host.request_refresh(now=True)
        ex = self.executor()
        root = root if root is not None else self.default_root()
        if ex is None or root is None:
            return self.backward(root)
        rec = self.steps.record(ex, root)
        self._finish_backward(root, rec.error, _anomaly.backward_anomaly(rec),
                              how=f"Step-through ({len(rec.steps)} grad_fns): ")
        if rec.error is not None or not rec.steps:
            return None
        return self.steps.play(rec)

    def seek_step(self, index: int) -> None:
        self.steps.seek(index)

    def next_step(self) -> None:
        self.steps.next()

    def previous_step(self) -> None:
        self.steps.previous()

    def _show_step(self, state) -> None:
        self.host.scene.show_step(state)  # None clears
        self.graph.show_step(state, self.steps.player)

    # ------------------------------------------------------------------ verify
    def verify(self) -> bool:
        """Export the graph with literal leaf values, run it in PyTorch in a separate process
        and compare every leaf's gradient with a fresh engine backward; ``verified`` carries
        the result. Returns False when nothing was started."""
        if not Verifier.available():
            self._verified(_verify.Verification("unavailable", _verify.NO_TORCH))
            return False
        if self.verifier.running():
            self.host.status("Verify with PyTorch is already running", 3000)
            return False
        self.host.request_refresh(now=True)
        choice = _roots.resolve_root(self.doc, self._selected(), self.results())
        if choice.node_id is None:  # the same rule and words as Backward
            msg = f"Verify with PyTorch: {choice.reason}"
            self.host.log("warning", msg)
            self.host.status(msg, 5000)
            return False
        if not self.verifier.start(self.executor(), choice.node_id):
            return False
        self.acts["verify"].setEnabled(False)
        self.host.status("Verifying with PyTorch…", 0)
        return True

    def _verified(self, v) -> None:
        """Per leaf, agree/differ, in the log and in a dialog."""
        self.last_verification = v
        self.acts["verify"].setEnabled(Verifier.available())
        host = self.host
        host.status("", 1)
        level = "info" if v.ok else "warning" if v.verdict != "error" else "error"
        host.log(level, f"Verify with PyTorch: {v.message}")
        for leaf in v.leaves:
            host.log("info" if leaf.status == "agree" else "warning",
                     f"  {leaf.name}.grad: {leaf.status} — {leaf.detail}")
        dlg = VerifyDialog(v, host.widget())
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        self.verify_dialog = dlg
        self.verified.emit(v)


__all__ = ["AutogradController", "SeedDialog", "VerifyDialog"]
