"""The autograd controls of the main window (issue 5): backward, zero grads, retain_graph, the
global grad mode, step-through, Verify with PyTorch, no_grad frames, detach, freeze,
retain_grad, the backward root; the backward-graph dock and the graph-version counter.

Document changes go through undo commands (app/autograd_commands.py). Backward, zero_grad and
the step-through player change runtime state only (the executor's tensors and their ``.grad``),
as running ``loss.backward()`` does not edit the script; they are not undo steps.

Installed with one call, ``AutogradController(main_window)``: it adds its own menu, toolbar,
docks and status-bar label, and follows the document through its events.
"""
from __future__ import annotations

import json
import logging
import sys
import weakref

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, QProcess, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QLabel,
    QLineEdit,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from engine.document import anomaly as _anomaly
from engine.document import export as _export
from engine.document import stepthrough as _st
from engine.document import verify as _verify
from engine.document.errors import DocumentError

from . import actions as _actions
from . import autograd_commands as AC

log = logging.getLogger("gradcanvas")


# (key, text, icon, shortcut, checkable, tip)
_SPECS = (
    ("backward", "&Backward", "backward", "Ctrl+B", False,
     "root.backward(): from the selected node if it can be a root, else the document's root"),
    ("zero_grads", "&Zero Grads", "zero-grad", "Ctrl+Shift+G", False,
     "x.grad.zero_() on every leaf (and retain_grad node)"),
    ("retain_graph", "retain_&graph", None, None, True,
     "backward(retain_graph=True): keep the graph for another backward (undoable setting)"),
    ("grad_mode", "&Grad Mode: enable_grad", None, None, True,
     "Global grad mode: torch.enable_grad() when checked, torch.no_grad() when not"),
    ("seed", "Backward &Seed…", None, None, False,
     "The gradient a non-scalar root is seeded with: ones_like(root) by default"),
    ("step", "S&tep-through Backward", "step", "Ctrl+Shift+B", False,
     "Play the backward pass one grad_fn at a time, in the engine's order"),
    ("verify", "&Verify with PyTorch", "verify", None, False,
     "Run the graph in torch with the same numbers and compare every leaf's .grad"),
    ("no_grad_frame", "Create &no_grad Frame from Selection", "no-grad", "Ctrl+G", False,
     "with torch.no_grad(): around the selected nodes"),
    ("detach", "&Detach", "detach", "Ctrl+Shift+D", False,
     "z_det = z.detach(): a detach node takes over the selected node's consumers"),
    ("freeze", "&Freeze", "freeze", "Ctrl+Shift+F", True,
     "Leaves: requires_grad off (frozen parameter). Ops: freeze the output (acts as detach)"),
    ("retain_grad", "&retain_grad()", None, None, True,
     "Keep .grad on the selected non-leaf nodes"),
    ("set_root", "Set as Backward &Root", None, "Ctrl+R", True,
     "Backward starts from this node by default"),
)


class AutogradController(QObject):
    """Everything autograd in one window. ``window`` is an app.main_window.MainWindow."""

    backwardDone = Signal(str, object)  # noqa: N815  (root id, error text or None)
    verified = Signal(object)  # verify.Verification
    stepChanged = Signal(int)  # noqa: N815  (player index, -1 = before the first step)

    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("autogradController")
        self.w = window
        self.doc = window.document()
        self.acts: dict[str, QAction] = {}
        self.marks: dict[str, str] = {}         # node id -> message shown on it
        self.anomalies: list = []               # engine.document.anomaly.Anomaly
        self.last_error: str | None = None
        self.last_recording = None              # stepthrough.Recording of the last run
        self.player: _st.StepThrough | None = None
        self._syncing = False
        self._seen_version = None   # executor.graph_version the marks were computed for
        self._view_key = None       # (graph_version, root) the backward view shows
        self._logged: set = set()   # nodes whose forward anomaly is in the log already
        self._verify_proc: QProcess | None = None
        self.last_verification = None
        self._build_actions()
        self._build_menu()
        self._build_toolbar()
        self._build_status()
        self._build_docks()
        self._subscribe()
        sc = window.scene
        sc.selectionChanged.connect(self._selection_changed)
        sc.regionRequested.connect(lambda ids: self.no_grad_frame(list(ids)))
        sc.regionRectChanged.connect(self._region_rect_changed)
        sc.regionMembersChanged.connect(self._region_members_changed)
        self._macro_open = False
        # after every forward the main window shows (its timer or a direct refresh)
        window.resultsChanged.connect(self._after_refresh)
        self._sync_settings()
        self._selection_changed()
        self.on_results(window.results())

    # ------------------------------------------------------------------ construction
    def _build_actions(self) -> None:
        w = self.w
        for key, text, icon, keys, checkable, tip in _SPECS:
            a = QAction(text, w)
            a.setObjectName(f"action_{key}")
            a.setCheckable(checkable)
            if keys:
                a.setShortcut(QKeySequence(keys))
            a.setStatusTip(tip)
            a.setToolTip(tip)
            a.setProperty("iconName", icon or "")
            if icon:
                a.setIcon(_actions.icon(icon))
            w.addAction(a)
            self.acts[key] = a
        a = self.acts
        a["backward"].triggered.connect(lambda: self.backward())
        a["zero_grads"].triggered.connect(lambda: self.zero_grads())
        a["retain_graph"].toggled.connect(self._retain_graph_toggled)
        a["grad_mode"].toggled.connect(self._grad_mode_toggled)
        a["seed"].triggered.connect(lambda: self.edit_seed())
        a["step"].triggered.connect(lambda: self.step_through())
        a["verify"].triggered.connect(lambda: self.verify())
        a["verify"].setEnabled(_verify.torch_available())
        a["no_grad_frame"].triggered.connect(lambda: self.no_grad_frame())
        a["detach"].triggered.connect(lambda: self.detach())
        a["freeze"].triggered.connect(lambda on: self.freeze(frozen=on))
        a["retain_grad"].triggered.connect(lambda on: self.retain_grad(on=on))
        a["set_root"].triggered.connect(lambda on: self.set_root(
            self._single() if on else None))
        # listed in Help > Shortcuts and re-tinted with the theme like the shell's actions
        w.acts.update({f"autograd_{k}": v for k, v in self.acts.items()})

    def _build_menu(self) -> None:
        mb = self.w.menuBar()
        m = QMenu("&Autograd", mb)
        m.setObjectName("menu_autograd")
        a = self.acts
        m.addActions([a["backward"], a["step"], a["zero_grads"]])
        m.addSeparator()
        m.addActions([a["retain_graph"], a["seed"], a["grad_mode"]])
        m.addSeparator()
        m.addActions([a["set_root"], a["no_grad_frame"], a["detach"], a["freeze"],
                      a["retain_grad"]])
        m.addSeparator()
        m.addAction(a["verify"])
        help_menu = next((x.menuAction() for x in mb.findChildren(QMenu)
                          if x.objectName() == "menu_help"), None)
        if help_menu is not None:
            mb.insertMenu(help_menu, m)
        else:
            mb.addMenu(m)
        self.menu = m

    def _build_toolbar(self) -> None:
        tb = self.w.addToolBar("Autograd")
        tb.setObjectName("toolbar_autograd")
        tb.setMovable(False)
        tb.setIconSize(self.w.toolbar.iconSize())
        a = self.acts
        tb.addActions([a["backward"], a["step"], a["zero_grads"]])
        # a real checkbox: retain_graph reads as the keyword argument it is
        box = QCheckBox("retain_graph", tb)
        box.setObjectName("retainGraphBox")
        box.setToolTip(a["retain_graph"].toolTip())
        box.toggled.connect(a["retain_graph"].setChecked)
        a["retain_graph"].toggled.connect(box.setChecked)
        tb.addWidget(box)
        self.retain_box = box
        tb.addSeparator()
        tb.addAction(a["grad_mode"])
        tb.addSeparator()
        tb.addActions([a["no_grad_frame"], a["detach"], a["freeze"], a["verify"]])
        self.toolbar = tb

    def _build_status(self) -> None:
        self.version_label = QLabel(self.w)
        self.version_label.setObjectName("graphVersionLabel")
        self.version_label.setToolTip(
            "Graph version: +1 every time forward rebuilds the recorded graph")
        self.w.statusBar().addPermanentWidget(self.version_label)

    def _build_docks(self) -> None:
        """The backward-graph view beside the canvas (torchviz-like, selection synced); the
        step-through panel is created on first use."""
        from widgets.backward_view import BackwardView
        w = self.w
        view = BackwardView(w)
        view.setObjectName("backwardView")
        dock = QDockWidget("Backward graph", w)
        dock.setObjectName("dock_backward_graph")
        dock.setWidget(view)
        w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        w.splitDockWidget(w.inspector_dock, dock, Qt.Orientation.Vertical)
        w.docks_menu.addAction(dock.toggleViewAction())
        view.nodeSelected.connect(self._backward_view_selected)
        dock.visibilityChanged.connect(lambda on: on and self._update_backward_view())
        self._view_timer = QTimer(self)
        self._view_timer.setSingleShot(True)
        self._view_timer.setInterval(150)
        self._view_timer.timeout.connect(self.update_backward_view_now)
        self.backward_view, self.backward_dock = view, dock
        self.step_panel = None
        self.step_dock = None

    def _ensure_step_panel(self):
        if self.step_dock is not None:
            return self.step_panel
        from widgets.step_panel import StepPanel
        w = self.w
        panel = StepPanel(w)
        panel.setObjectName("stepPanel")
        dock = QDockWidget("Step-through backward", w)
        dock.setObjectName("dock_step_through")
        dock.setWidget(panel)
        w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        w.docks_menu.addAction(dock.toggleViewAction())
        panel.stepChanged.connect(lambda step: self.seek_step(step - 1))
        dock.visibilityChanged.connect(self._step_dock_visibility)
        self.step_panel, self.step_dock = panel, dock
        return panel

    # ------------------------------------------------------------------ document events
    def _subscribe(self) -> None:
        ref = weakref.ref(self)

        def on_event(ev, _ref=ref):
            me = _ref()
            if me is None:
                unsub()
                return
            me._on_event(ev)

        unsub = self.doc.subscribe(on_event)
        self._unsubscribe = unsub
        # the window owns us: whatever closes it, the document must not keep our callback
        self.w.destroyed.connect(lambda *_: unsub())

    def shutdown(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.player is not None:
            self._stop_player()
        proc, self._verify_proc = self._verify_proc, None
        if proc is not None:  # no child process may outlive the window
            proc.kill()
            proc.waitForFinished(2000)

    def apply_theme(self) -> None:
        """Re-tint the views we own (the window re-tints the action icons)."""
        for view in (self.backward_view, self.step_panel):
            if view is not None:
                view.apply_theme()

    def _on_event(self, ev) -> None:
        if ev.kind == "settings_changed":
            self._sync_settings()
        detail = ev.detail if isinstance(ev.detail, dict) else {}
        if ev.kind in ("node_changed", "region_changed") and detail.get("what") in ("pos",
                                                                                  "rect"):
            return  # layout only: the values, the graph and the marks stay
        # the graph changes: the next forward rebuilds it; old marks and steps are stale
        self.marks.clear()
        if self.player is not None:
            self._stop_player(show=False)
        self._update_enabled()

    def _sync_settings(self) -> None:
        s = self.doc.settings
        self._syncing = True
        try:
            self.acts["retain_graph"].setChecked(bool(s.retain_graph))
            self.acts["grad_mode"].setChecked(bool(s.grad_enabled))
            self.acts["grad_mode"].setText(
                "&Grad Mode: enable_grad" if s.grad_enabled else "&Grad Mode: no_grad")
            seed = s.seed
            what = "ones_like" if seed == "ones" else "implicit" if seed is None else "custom"
            self.acts["seed"].setText(f"Backward &Seed… ({what})")
        finally:
            self._syncing = False
        self._update_enabled()

    # ------------------------------------------------------------------ helpers
    def executor(self):
        return self.w.executor()

    def results(self) -> dict:
        ex = self.executor()
        return ex.results if ex is not None else {}

    def _selected(self) -> list[str]:
        return [n for n in self.w.scene.selected_node_ids() if n in self.doc.nodes]

    def _single(self) -> str | None:
        ids = self._selected()
        return ids[0] if len(ids) == 1 else None

    def _name(self, node_id) -> str:
        n = self.doc.nodes.get(node_id)
        return n.name if n is not None else str(node_id)

    def _flush(self) -> None:
        """Edits pending in the main window's coalescing timer: run forward now."""
        if self.w._refresh_timer.isActive():
            self.w.refresh_results()  # emits resultsChanged -> on_results

    def can_be_root(self, node_id) -> bool:
        """An op node whose output requires grad (selecting a leaf does not mean
        ``w.backward()``: leaves are inputs, roots are outputs)."""
        node = self.doc.nodes.get(node_id)
        if node is None or node.spec.is_source:
            return False
        r = self.results().get(node_id)
        return bool(r is not None and r.ok and r.requires_grad)

    def default_root(self) -> str | None:
        sel = self._single()
        if sel is not None and self.can_be_root(sel):
            return sel
        root = self.doc.settings.root
        return root if root in self.doc.nodes else None

    def push(self, cmd) -> bool:
        return self.w.push(cmd)

    # ------------------------------------------------------------------ results on the views
    def _after_refresh(self) -> None:
        self.on_results(self.w.results())

    def on_results(self, results) -> None:
        """After every forward of the main window: version counter, NaN/Inf marks, the
        backward-graph view."""
        ex = self.executor()
        if ex is None:
            return
        if ex.graph_version != self._seen_version:  # forward recomputed something
            self._seen_version = ex.graph_version
            self.anomalies = _anomaly.forward_anomalies(self.doc, ex.results)
            for a in self.anomalies:
                if a.node_id not in self._logged:
                    self._logged.add(a.node_id)
                    self.w.log("warning", f"Anomaly in forward: {a.message}")
            self._logged &= {a.node_id for a in self.anomalies}
        self._update_version()
        self._sync_marks()
        self._update_backward_view()
        self._update_enabled()

    def _update_version(self) -> None:
        ex = self.executor()
        if ex is not None:
            self.version_label.setText(f"graph v{ex.graph_version}")

    def _marks_now(self) -> dict[str, str]:
        """Messages drawn on nodes: NaN/Inf found by the last forward (detect_anomaly's
        way), then this session's backward error on its root and backward anomalies."""
        marks = {}
        for a in self.anomalies:
            if a.node_id is not None:
                marks.setdefault(a.node_id, a.message)
        marks.update(self.marks)
        return marks

    def _apply_marks(self) -> None:
        """Show the current results (live .grad values and counts) and the marks on canvas
        and inspector -- without running forward: a backward must not rebuild the graph it
        just spent, or a second backward could never fail as in torch."""
        self.w.scene.set_results(self.results())
        self._sync_marks()
        insp = self.w.inspector
        if insp.node_id is not None:
            insp.set_result(self.results().get(insp.node_id))

    def _sync_marks(self) -> None:
        scene = self.w.scene
        marks = self._marks_now()
        shown = scene.anomalies()
        for nid in set(shown) - set(marks):
            scene.set_anomaly(nid, None)
        for nid, msg in marks.items():
            if shown.get(nid) != msg:
                scene.set_anomaly(nid, msg)

    def _update_backward_view(self) -> None:
        """Redraw the backward graph soon: coalesced, and only while its dock is shown
        (walking and laying out a 1,000-node graph takes a few hundred ms)."""
        if self.backward_dock.isVisible() and self._view_key != self._backward_key():
            self._view_timer.start()

    def _backward_key(self):
        ex = self.executor()
        return (ex.graph_version if ex is not None else None, self.doc.settings.root)

    def update_backward_view_now(self) -> None:
        self._view_timer.stop()
        view = self.backward_view
        if not self.backward_dock.isVisible():
            return
        key = self._backward_key()
        if key == self._view_key:
            return
        self._view_key = key
        doc = self.doc
        values = {nid: r.value for nid, r in self.results().items() if nid in doc.nodes}
        names = {nid: n.name for nid, n in doc.nodes.items()}
        root = doc.settings.root if doc.settings.root in doc.nodes else None
        self._syncing = True
        try:
            view.set_graph(values, names, root)
            ids = self._selected()
            view.select_doc_node(ids[0] if len(ids) == 1 else None)
        finally:
            self._syncing = False

    # ------------------------------------------------------------------ backward
    def backward(self, root: str | None = None) -> str | None:
        """``root.backward(gradient=<seed>, retain_graph=<setting>)``; returns the error
        text (torch's words) or None."""
        self._flush()
        ex = self.executor()
        root = root if root is not None else self.default_root()
        if ex is None:
            return "no executor"
        if root is None:
            msg = ("No backward root: select the node to run backward from, or set one "
                   "with Autograd > Set as Backward Root")
            self.w.log("warning", msg)
            self.w.status(msg, 6000)
            return msg
        self._stop_player(show=False)
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
        name = self._name(root)
        self.last_error = err
        self.marks.pop(root, None)
        if err is not None:
            self.marks[root] = err
            self.w.log("error", f"{name}.backward(): {err}")
            self.w.status(f"{name}.backward() failed (details in the log)", 8000)
        else:
            grads = [f"{self._name(nid)}.grad ×{r.grad_count}"
                     for nid, r in self.results().items()
                     if r.grad is not None and nid in self.doc.nodes]
            self.w.log("info", f"{how}{name}.backward()"
                       + (f": {', '.join(grads)}" if grads else ": no leaf reached"))
            self.w.status(f"{name}.backward() done", 4000)
        if anomaly is not None:
            if anomaly.node_id is not None:
                self.marks[anomaly.node_id] = anomaly.message
            self.w.log("warning", f"Anomaly in backward: {anomaly.message}")
        self._apply_marks()
        self._update_backward_view()
        self._update_version()
        self.backwardDone.emit(root, err)

    def zero_grads(self, node_id: str | None = None) -> None:
        """``x.grad.zero_()`` on one leaf, or on every tensor holding a .grad."""
        ex = self.executor()
        if ex is None:
            return
        self._flush()
        names = [self._name(nid) for nid, r in ex.results.items()
                 if r.grad is not None and (node_id is None or nid == node_id)]
        ex.zero_grad(node_id)
        self.w.log("info", "; ".join(f"{n}.grad.zero_()" for n in names) if names
                   else "Zero grads: no .grad to zero")
        self._apply_marks()

    # ------------------------------------------------------------------ settings (undoable)
    def _retain_graph_toggled(self, on: bool) -> None:
        self._setting_toggled("retain_graph", on)

    def _grad_mode_toggled(self, on: bool) -> None:
        self._setting_toggled("grad_enabled", on)

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
        dlg = SeedDialog(self.doc, self.results(), self.default_root(), self.w)
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
            self.w.status("Select the nodes to put in a no_grad frame", 3000)
            return None
        cmd = AC.no_grad_frame(self.doc, ids)
        return cmd.region_id if self.push(cmd) else None

    def remove_frame(self, region_id: str) -> None:
        if region_id in self.doc.regions:
            self.push(AC.remove_frame(self.doc, region_id))

    def detach(self, node_id: str | None = None) -> str | None:
        nid = node_id if node_id is not None else self._single()
        if nid is None:
            self.w.status("Select one node to detach", 3000)
            return None
        cmd = AC.InsertDetach(self.doc, nid)
        if not self.push(cmd):
            return None
        self.w.scene.select_nodes([cmd.node_id])
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
    def _region_rect_changed(self, region_id, old, new) -> None:
        if region_id in self.doc.regions and old != new:
            self._push_folded(AC.SetRegionRect(self.doc, region_id, old, new),
                              "Resize no_grad frame")

    def _region_members_changed(self, region_id, old, new) -> None:
        if region_id in self.doc.regions and set(old) != set(new):
            cmd = AC.SetRegionMembers(self.doc, region_id, old, new)
            self._push_folded(cmd, cmd.text())

    def _push_folded(self, cmd, text: str) -> None:
        """One gesture, one undo step: a drag emits the membership change and then the move
        (pushed by the main window), a resize the rect and then the members; everything
        pushed before control returns to the event loop lands in one macro."""
        try:
            cmd.first_redo()
        except DocumentError as e:
            self.w.on_refused(str(e))
            return
        stack = self.w.undo_stack
        if not self._macro_open:
            stack.beginMacro(text)
            self._macro_open = True
            QTimer.singleShot(0, self._end_macro)
        stack.push(cmd)

    def _end_macro(self) -> None:
        if self._macro_open:
            self._macro_open = False
            self.w.undo_stack.endMacro()

    # ------------------------------------------------------------------ selection
    def _selection_changed(self) -> None:
        if self._unsubscribe is None or not shiboken6.isValid(self.w.scene):
            return  # the window is closing
        self._sync_checks()
        self._update_enabled()
        self._select_in_backward_view()

    def _sync_checks(self) -> None:
        ids = self._selected()
        nodes = [self.doc.nodes[n] for n in ids]
        a = self.acts
        a["freeze"].setChecked(bool(nodes) and all(
            (not n.requires_grad) if n.spec.is_source else n.frozen_output for n in nodes))
        ops = [n for n in nodes if not n.spec.is_source]
        a["retain_grad"].setChecked(bool(ops) and all(n.retain_grad for n in ops))
        a["set_root"].setChecked(len(ids) == 1 and self.doc.settings.root == ids[0])

    def _update_enabled(self) -> None:
        ids = self._selected()
        nodes = [self.doc.nodes[n] for n in ids]
        a = self.acts
        a["detach"].setEnabled(len(ids) == 1)
        a["freeze"].setEnabled(bool(ids))
        a["retain_grad"].setEnabled(any(not n.spec.is_source for n in nodes))
        a["set_root"].setEnabled(len(ids) == 1)
        a["no_grad_frame"].setEnabled(bool(ids))
        a["backward"].setEnabled(bool(self.doc.nodes))
        a["step"].setEnabled(bool(self.doc.nodes))

    def _select_in_backward_view(self) -> None:
        if self._syncing or not self.backward_dock.isVisible():
            return
        ids = self._selected()
        self.backward_view.select_doc_node(ids[0] if len(ids) == 1 else None)

    def _backward_view_selected(self, doc_id: str) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.w.scene.select_nodes([doc_id] if doc_id in self.doc.nodes else [])
        finally:
            self._syncing = False
        self._sync_checks()
        self._update_enabled()

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
        f.setChecked(not node.requires_grad if spec.is_source else node.frozen_output)
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
        self._flush()
        ex = self.executor()
        root = root if root is not None else self.default_root()
        if ex is None or root is None:
            return self.backward(root)
        self._stop_player(show=False)
        rec = _st.record_backward(ex, root)
        self.last_recording = rec
        self._finish_backward(root, rec.error, _anomaly.backward_anomaly(rec),
                              how=f"Step-through ({len(rec.steps)} grad_fns): ")
        if rec.error is not None or not rec.steps:
            return None
        self.player = _st.StepThrough(rec)
        try:
            panel = self._ensure_step_panel()
        except ImportError:
            panel = None
        if panel is not None:
            panel.set_steps([st.name for st in rec.steps], 0)
            self.step_dock.show()
            self.step_dock.raise_()
        self.seek_step(-1)
        return self.player

    def seek_step(self, index: int) -> None:
        """Show the state after step ``index`` (-1: before backward) on every view."""
        p = self.player
        if p is None:
            return
        p.seek(index)
        state = p.state
        self._show_step(state)
        panel = self.step_panel
        if panel is not None and panel.step != p.index + 1:
            panel.set_step(p.index + 1)
        self.stepChanged.emit(p.index)

    def _show_step(self, state) -> None:
        scene = self.w.scene
        scene.show_step(state)  # None clears
        view = self.backward_view
        if self.backward_dock.isVisible():
            self.update_backward_view_now()
            p = self.player
            if state is None or p is None:
                view.highlight_step(None)
            else:
                fns = [view.find_fn(s.name, s.node_id) for s in p.steps[:state.index + 1]]
                view.highlight_step(fns[-1] if fns else None, [f for f in fns if f is not None])

    def next_step(self) -> None:
        if self.player is not None and not self.player.at_end:
            self.seek_step(self.player.index + 1)

    def previous_step(self) -> None:
        if self.player is not None and not self.player.at_start:
            self.seek_step(self.player.index - 1)

    def _step_dock_visibility(self, visible: bool) -> None:
        if not visible and self.player is not None:
            QTimer.singleShot(0, self._stop_player)

    def _stop_player(self, show: bool = True) -> None:
        if self.player is None:
            return
        self.player = None
        self._show_step(None)
        if self.step_panel is not None:
            self.step_panel.set_steps([])
        if show:
            self._apply_marks()

    # ------------------------------------------------------------------ verify
    def verify(self) -> bool:
        """Export the graph with literal leaf values, run it in PyTorch in a separate process
        (QProcess: the window stays responsive, torch is never imported here) and compare
        every leaf's gradient with a fresh engine backward; ``verified`` carries the result.
        Returns False when nothing was started."""
        if not _verify.torch_available():
            self._verified(_verify.Verification("unavailable", _verify.NO_TORCH))
            return False
        if self._verify_proc is not None:
            self.w.status("Verify with PyTorch is already running", 3000)
            return False
        if self.doc.settings.root not in self.doc.nodes:  # the export calls root.backward()
            msg = "Verify with PyTorch: set a backward root first (Autograd > Set as Backward Root)"
            self.w.log("warning", msg)
            self.w.status(msg, 5000)
            return False
        self._flush()
        ex = self.executor()
        snapshot = self.doc.copy()
        try:
            script = _verify.torch_script(ex)
        except (_export.ExportError, ValueError) as e:
            self._verified(_verify.Verification("error", str(e)))
            return False
        engine_side = _verify.engine_run(ex)
        ids = _verify.grad_nodes(snapshot)
        names = [snapshot.nodes[i].name for i in ids]
        proc = QProcess(self)
        proc.setObjectName("verifyProcess")
        proc.setProgram(sys.executable)
        proc.setArguments(["-c", _verify._HARNESS, json.dumps(names)])
        proc.finished.connect(
            lambda *_: self._verify_done(proc, snapshot, engine_side, ids, names))
        proc.errorOccurred.connect(
            lambda err: err == QProcess.ProcessError.FailedToStart
            and self._verify_done(proc, snapshot, engine_side, ids, names))
        self._verify_proc = proc
        self.acts["verify"].setEnabled(False)
        self.w.status("Verifying with PyTorch…", 0)
        proc.start()
        proc.write(script.encode("utf-8"))
        proc.closeWriteChannel()
        return True

    def _verify_done(self, proc, snapshot, engine_side, ids, names) -> None:
        if self._verify_proc is not proc:
            return
        self._verify_proc = None
        self.acts["verify"].setEnabled(True)
        out = bytes(proc.readAllStandardOutput()).decode("utf-8", "replace").strip()
        err = bytes(proc.readAllStandardError()).decode("utf-8", "replace").strip()
        lines = out.splitlines()
        proc.deleteLater()
        if proc.exitStatus() != QProcess.ExitStatus.NormalExit or proc.exitCode() != 0 \
                or not lines:
            tail = (err.splitlines() or ["no output"])[-1]
            self._verified(_verify.Verification("error", f"PyTorch run failed: {tail}"))
            return
        data = json.loads(lines[-1])
        grads = {}
        for nid, name in zip(ids, names):
            g = data["grads"].get(name)
            grads[nid] = None if g is None else np.array(
                g["data"], dtype=g["dtype"].removeprefix("torch."))
        theirs = _verify.Run(grads, data["error"], data["torch"])
        self._verified(_verify.compare(snapshot, engine_side, theirs))

    def _verified(self, v) -> None:
        """Per leaf, agree/differ, in the log and in a dialog."""
        self.last_verification = v
        self.w.status("", 1)
        level = "info" if v.ok else "warning" if v.verdict != "error" else "error"
        self.w.log(level, f"Verify with PyTorch: {v.message}")
        for leaf in v.leaves:
            self.w.log("info" if leaf.status == "agree" else "warning",
                       f"  {leaf.name}.grad: {leaf.status} — {leaf.detail}")
        dlg = VerifyDialog(v, self.w)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        self.verify_dialog = dlg
        self.verified.emit(v)


class SeedDialog(QDialog):
    """``root.backward(gradient)``: ones_like(root) by default, implicit (scalar roots only) or
    a literal tensor the shape of the root."""

    seedChosen = Signal(object)  # noqa: N815

    def __init__(self, doc, results, root, parent=None):
        super().__init__(parent)
        self.setObjectName("seedDialog")
        self.setWindowTitle("Backward seed")
        r = results.get(root) if root else None
        shape = list(r.shape) if r is not None and r.shape is not None else None
        name = doc.nodes[root].name if root in doc.nodes else "root"
        info = QLabel(f"{name}.backward(gradient=…)"
                      + (f" — {name} has shape {shape}" if shape is not None else ""))
        info.setWordWrap(True)
        self.edit = QLineEdit(self)
        self.edit.setObjectName("seedEdit")
        seed = doc.settings.seed
        self.edit.setText("ones" if seed == "ones" else "implicit" if seed is None else repr(seed))
        self.edit.setPlaceholderText("ones | implicit | [[1.0, 0.0], [0.0, 1.0]]")
        self.error = QLabel(self)
        self.error.setObjectName("seedError")
        self.error.setWordWrap(True)
        hint = QLabel("ones = torch.ones_like(root); implicit = no gradient argument (scalar "
                      "roots only, as torch); or a nested list of numbers.")
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        for wdg in (info, self.edit, hint, self.error, buttons):
            lay.addWidget(wdg)
        self.buttons = buttons

    def _accept(self) -> None:
        try:
            value = AC.seed_value(self.edit.text())
        except (ValueError, SyntaxError) as e:
            self.error.setText(f"Not a seed: {e}")
            return
        self.seedChosen.emit(value)
        self.accept()


class VerifyDialog(QDialog):
    """The verdict and one row per leaf: name, agree / differ / missing, the difference."""

    def __init__(self, v, parent=None):
        super().__init__(parent)
        self.setObjectName("verifyDialog")
        self.setWindowTitle("Verify with PyTorch")
        head = QLabel(v.message)
        head.setObjectName("verifySummary")
        head.setWordWrap(True)
        table = QTableWidget(len(v.leaves), 3, self)
        table.setObjectName("verifyTable")
        table.setHorizontalHeaderLabels(["leaf", "gradients", "detail"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, leaf in enumerate(v.leaves):
            for c, text in enumerate((f"{leaf.name}.grad", leaf.status, leaf.detail)):
                table.setItem(r, c, QTableWidgetItem(text))
        table.horizontalHeader().setStretchLastSection(True)
        table.setVisible(bool(v.leaves))
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addWidget(table)
        lay.addWidget(buttons)
        self.resize(560, 320)

    def rows(self) -> list[tuple[str, str, str]]:
        t = self.table
        return [tuple(t.item(r, c).text() for c in range(3)) for r in range(t.rowCount())]


__all__ = ["AutogradController", "SeedDialog", "VerifyDialog"]
