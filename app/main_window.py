"""The main window: canvas in the middle, palette (left), inspector (right), log and undo
history (bottom); menus, toolbar, files, autosave.

One edit: a gesture on the canvas (or an inspector/palette/menu action) emits an intent; a
method here wraps it in a QUndoCommand (app/commands.py) and pushes it; ``redo()`` calls the
document model; the model emits an event; the scene updates its items, and a zero-delay timer
re-runs the executor and hands the results (shapes, grad_fns, errors) to the views.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QUndoStack
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
)

from engine.document import catalog
from engine.document.errors import DocumentError
from engine.document.model import Document
from widgets import theme
from widgets.canvas import GraphScene, GraphView
from widgets.progress import ProgressIndicator

from . import actions as _actions
from . import autosave, errors
from . import commands as C
from .files import FileController, app_settings
from .log_dock import QtLogHandler
from .startup import (
    _windows,
    apply_theme,
    create_application,
    offer_recovery,
    run_gui,
    startup_window,
)
from .window_docks import DocksMixin
from .window_edit import BUILD_PROGRESS_NODES, EditActionsMixin
from .window_files import FileActionsMixin

log = logging.getLogger("gradcanvas")
class MainWindow(DocksMixin, FileActionsMixin, EditActionsMixin, QMainWindow):
    """Extension points for add-ons such as the autograd controls: ``resultsChanged`` after
    every forward shown on the views, ``closing`` when the window shuts down (unsubscribe
    there), ``context_menu_hooks`` (callables ``(menu, node_id)`` filling a node's menu)."""

    resultsChanged = Signal()  # noqa: N815 (Qt naming)
    closing = Signal()

    def __init__(self, document: Document | None = None, path: str | None = None, *,
                 name: str | None = None, autosave_enabled: bool = True, parent=None):
        super().__init__(parent)
        t0 = time.perf_counter()
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)
        self._doc = document if document is not None else Document()
        self._path: str | None = path
        self._name: str | None = name
        self._results: dict = {}
        self._paste_count = 0
        self._pending_popup: tuple | None = None
        self.context_menu_hooks: list = []
        self._closing = False
        self.files = FileController(self)
        errors.install()

        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._update_title)
        self.undo_stack.indexChanged.connect(self._update_title)

        # the executor follows the document before the canvas does: on a reset (a file
        # opened) it has dropped the old results when the scene asks for fresh ones
        from engine.document.execution import Executor
        self._executor = Executor(self._doc)
        # canvas: built once, with the first forward's results (_fresh_results)
        self.scene = GraphScene(self._doc, self, results_source=self._fresh_results)
        self.view = GraphView(self.scene, self)
        self.view.setObjectName("graphView")
        self.setCentralWidget(self.view)
        self.scene.connectRequested.connect(self.on_connect_requested)
        self.scene.reconnectRequested.connect(self.on_reconnect_requested)
        self.scene.disconnectRequested.connect(self.on_disconnect_requested)
        self.scene.nodesMoved.connect(self.on_nodes_moved)
        self.scene.wireDroppedOnEmpty.connect(self.on_wire_dropped)
        self.scene.deleteRequested.connect(self.on_delete_requested)
        self.scene.refused.connect(self.on_refused)
        self.scene.contextMenuRequested.connect(self.on_context_menu)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.view.tabPressed.connect(self.show_add_popup)
        self.view.opDropped.connect(self._op_dropped)

        self._build_docks()
        self.acts = _actions.build(self)
        for dock in (self.palette_dock, self.inspector_dock, self.log_dock, self.undo_dock,
                     self.code_dock):
            self.docks_menu.addAction(dock.toggleViewAction())
        self._counts = QLabel(self)
        self._counts.setObjectName("countsLabel")
        # long work (a large file opening, the canvas built, a large layout) shows here
        self.progress = ProgressIndicator(self)
        # QStatusBar sizes itself by every permanent widget, hidden ones too: keep the bar
        # as tall as its text, not as its Cancel button
        self.progress.setMaximumHeight(self._counts.sizeHint().height() + 2)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self._counts)

        # every document event: recompute (coalesced) and autosave later
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh_results)
        self._unsubscribe = None
        self.autosaver = autosave.Autosaver(self) if autosave_enabled else None
        self._attach(self._doc)

        err = errors.reporter()
        err.exceptionRaised.connect(self._on_exception)
        self._log_handler = QtLogHandler(self.log_widget)
        logging.getLogger().addHandler(self._log_handler)
        if logging.getLogger().level > logging.INFO or logging.getLogger().level == 0:
            logging.getLogger("gradcanvas").setLevel(logging.INFO)

        self.resize(1400, 860)
        self._update_title()
        self.refresh_results()
        self.autograd = self._install_autograd()
        from . import import_script  # File > Import PyTorch Script… (issue 12)
        self.importer = import_script.install(self)
        from . import group_commands  # module groups: collapse, freeze, Ctrl+G
        self.group_actions = group_commands.install(self)
        from .train_dock import TrainDock  # the Train panel (issue 13)
        self.train = TrainDock(self)
        self._arrange_side_docks()
        self._restore_geometry()  # after every dock exists, add-ons' included
        self._pending_view = {}
        QTimer.singleShot(0, self._restore_view)  # fit a document given to the constructor
        _windows.add(self)
        self.startup_ms = (time.perf_counter() - t0) * 1000

    # ------------------------------------------------------------------ construction
    def _install_autograd(self):
        """The autograd controls (issue 5): backward, zero grads, no_grad frames, step-through;
        they add their own menu, toolbar and docks through the extension points."""
        try:
            from .autograd import AutogradController
        except ImportError:  # an app shell without them still edits graphs
            return None
        ctl = AutogradController(self)
        fill = getattr(ctl, "fill_context_menu", None)
        if fill is not None:
            self.context_menu_hooks.append(fill)
        if hasattr(ctl, "shutdown"):
            self.closing.connect(ctl.shutdown)
        return ctl

    # ------------------------------------------------------------------ document
    def document(self) -> Document:
        return self._doc

    def current_path(self) -> str | None:
        return self._path

    def display_name(self) -> str:
        if self._path:
            return Path(self._path).name
        return self._name or "Untitled"

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def results(self) -> dict:
        return self._results

    def _attach(self, doc: Document) -> None:
        self._unsubscribe = doc.subscribe(self._on_document_event)

    def _detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._executor is not None:
            self._executor.close()
            self._executor = None

    def _on_document_event(self, event) -> None:
        if self.autosaver is not None:
            self.autosaver.mark_dirty()
        if event.layout_only:
            return  # layout only: no value changes, no forward (a spent graph stays spent)
        self.request_refresh()

    def set_document(self, doc: Document, path: str | None = None, *, name: str | None = None,
                     view: dict | None = None, modified: bool = False,
                     take: bool = False) -> None:
        """Show ``doc`` (replacing the content in place, so scene and executor stay attached).
        ``take``: ``doc`` was made for this window (read from a file) and is not used again."""
        self.undo_stack.clear()
        n = len(doc.nodes)
        if n >= BUILD_PROGRESS_NODES and not self.progress.is_running():
            # the canvas build of a large document: progress in the status bar (the window
            # keeps painting); not cancellable -- the document is already being replaced
            with self.progress.task(f"Building the canvas ({n:,} nodes)…", n,
                                    cancellable=False) as progress:
                self.scene.build_progress = progress
                try:
                    self._doc.load(doc, take=take)
                finally:
                    self.scene.build_progress = None
        else:
            self._doc.load(doc, take=take)
        self._path, self._name = path, name
        self._paste_count = 0
        if modified:
            self.undo_stack.resetClean()  # a recovered document is unsaved work
        else:
            self.undo_stack.setClean()
            if self.autosaver is not None:
                self.autosaver.mark_clean()
        self._update_title()
        self.refresh_results()
        self._pending_view = view or {}
        QTimer.singleShot(0, self._restore_view)

    def _restore_view(self) -> None:
        """Zoom and center saved with the file, else fit the graph."""
        view, self._pending_view = getattr(self, "_pending_view", {}), {}
        try:
            zoom = float(view["zoom"])
            cx, cy = (float(v) for v in view["center"])
        except (KeyError, TypeError, ValueError):
            self.view.fit(readable=True)  # fitted, but readable
            return
        self.view.resetTransform()
        self.view.zoom_by(zoom)
        self.view.centerOn(cx, cy)

    def saved_as(self, path: str) -> None:
        self._path, self._name = path, None
        self.undo_stack.setClean()
        if self.autosaver is not None:
            self.autosaver.mark_clean()
        self._update_title()

    def view_state(self) -> dict:
        """JSON-only view data saved with the file: zoom and the scene point in the center."""
        c = self.view.mapToScene(self.view.viewport().rect().center())
        return {"zoom": round(self.view.zoom(), 4), "center": [round(c.x(), 1), round(c.y(), 1)]}

    def _update_title(self, *_):
        self.setWindowTitle(f"{self.display_name()}[*] — GradCanvas")
        self.setWindowModified(not self.undo_stack.isClean())

    # ------------------------------------------------------------------ results
    def refresh_results(self) -> None:
        """Run forward (incremental) and show shapes, grad_fns and errors on the views."""
        self._refresh_timer.stop()
        if self._executor is None:
            return
        changed = None
        try:
            self._results = dict(self._executor.forward())
            changed = self._executor.last_recomputed
        finally:
            self.show_results(self._results, changed)
        self.resultsChanged.emit()

    def _fresh_results(self) -> dict | None:
        """The scene's results source: forward now (incremental; a no-op when nothing is
        dirty), so a (re)built canvas lays every node out once, with its result."""
        if self._executor is None:
            return None
        self._results = dict(self._executor.forward())
        return self._results

    def show_results(self, results: dict | None = None, changed=None) -> None:
        """Put results (default: the executor's current ones) on every view -- the one place
        that does. A backward calls it too (new .grad values) without running forward: it
        must not rebuild the graph it just spent. ``changed``: the node ids whose results
        changed (the forward's recomputed nodes, the nodes whose .grad a backward wrote);
        the views update only those. None: everything."""
        if results is None and self._executor is not None:
            results = dict(self._executor.results)
        if results is not None:
            self._results = results
        self.scene.set_results(self._results, changed)
        nid = self.inspector.node_id
        if nid is not None and (changed is None or nid in changed):
            self.inspector.set_result(self._results.get(nid))
        self._counts.setText(f"{len(self._doc.nodes)} nodes · {len(self._doc.wires)} wires")

    def request_refresh(self, now: bool = False) -> None:
        """Forward soon (coalesced: one per burst of edits), or now if one is pending."""
        if not now:
            self._refresh_timer.start()
        elif self._refresh_timer.isActive():
            self.refresh_results()

    def executor(self):
        return self._executor

    def _selection_changed(self) -> None:
        self._update_inspector()

    def _update_inspector(self) -> None:
        ids = self.scene.selected_node_ids()
        nid = ids[0] if len(ids) == 1 else None
        if nid != self.inspector.node_id or self.inspector.document is not self._doc:
            self.inspector.set_node(self._doc, nid, self._results.get(nid) if nid else None)

    # ------------------------------------------------------------------ host (app/autograd)
    def widget(self) -> MainWindow:
        return self

    def selected_node_ids(self) -> list[str]:
        return self.scene.selected_node_ids()

    def select_nodes(self, ids) -> None:
        self.scene.select_nodes(ids)

    def refused(self, reason: str) -> None:
        self.on_refused(reason)

    # ------------------------------------------------------------------ commands
    def push(self, cmd: C.DocCommand) -> bool:
        """Run ``cmd`` and put it on the undo stack; a refusal goes to the status bar + log."""
        try:
            C.execute(self.undo_stack, cmd)
        except DocumentError as e:
            self.on_refused(str(e))
            return False
        return True

    def add_node(self, op: str, pos: QPointF | None = None, connect_from: str | None = None,
                 select: bool = True) -> str | None:
        """Add ``op`` in free space: nearest ``pos`` (a drop, the Tab popup, a wire's end)
        or the view's centre, inside the visible part of the canvas when it has room."""
        x, y = self.place_new_node(op, pos)
        pos = (round(x), round(y))
        add = C.AddNode(self._doc, op, pos=pos)
        cmd = add
        if connect_from is not None:
            spec = catalog.get(op)
            ports = [p for p in spec.inputs]
            if ports:
                cmd = C.AddAndConnect(self._doc, add, connect_from, ports[0].name)
        if not self.push(cmd):
            return None
        if select:
            self.scene.select_nodes([add.node_id])
        return add.node_id

    def _op_dropped(self, key: str, pos: QPointF) -> None:
        self.add_node(key, pos)

    def _op_activated(self, key: str) -> None:
        self.add_node(key)

    def place_new_node(self, op: str, preferred: QPointF | None = None) -> tuple[float, float]:
        """The top-left corner for a new ``op`` node: the free spot (no overlap with any
        node) nearest ``preferred`` (default: centred in the view), inside the view when
        there is room (engine/document/placement.py)."""
        from engine.document.placement import free_spot
        from widgets.canvas.items import estimated_size
        w, h = estimated_size(catalog.CATALOG.get(op))
        vis = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        if preferred is None:
            c = vis.center()
            preferred = QPointF(c.x() - w / 2, c.y() - h / 2)
        rects = [(i.pos().x(), i.pos().y(), i.body_rect().width(), i.body_rect().height())
                 for i in self.scene.node_items()]
        m = 12.0  # keep clear of the view's edges (and the docks beside it)
        bounds = (vis.left() + m, vis.top() + m, vis.width() - 2 * m, vis.height() - 2 * m)
        return free_spot(rects, (preferred.x(), preferred.y()), (w, h), bounds=bounds)

    def on_connect_requested(self, src, dst, port, index) -> None:
        self.push(C.Connect(self._doc, src, dst, port, index))

    def on_reconnect_requested(self, wire, dst, port, index) -> None:
        if wire in self._doc.wires:
            self.push(C.Reconnect(self._doc, wire, dst, port, index))

    def on_disconnect_requested(self, wire) -> None:
        if wire in self._doc.wires:
            self.push(C.Disconnect(self._doc, wire))

    def on_nodes_moved(self, moves) -> None:
        moves = {k: v for k, v in moves.items() if k in self._doc.nodes}
        if moves:
            self.push(C.MoveNodes(self._doc, moves))

    def on_delete_requested(self, node_ids, wires) -> None:
        if node_ids or wires:
            self.push(C.RemoveNodes(self._doc, node_ids, wires))

    def on_refused(self, reason: str) -> None:
        self.status(reason, 5000)
        self.log("warning", reason)

    def set_param(self, node_id, name, value) -> None:
        node = self._doc.nodes.get(node_id)
        if node is None or C._equal(node.params.get(name), value):
            return
        if not self.push(C.SetParam(self._doc, node_id, name, value)):
            self._resync_inspector(node_id)

    def rename_node(self, node_id, new_name) -> None:
        node = self._doc.nodes.get(node_id)
        if node is None or node.name == new_name:
            return
        if not self.push(C.Rename(self._doc, node_id, new_name)):
            self._resync_inspector(node_id)

    def set_flag(self, node_id, flag, value) -> None:
        node = self._doc.nodes.get(node_id)
        if node is None or getattr(node, flag, None) == bool(value):
            return
        if not self.push(C.SetFlag(self._doc, node_id, flag, value)):
            self._resync_inspector(node_id)

    def _resync_inspector(self, node_id) -> None:
        """A refused edit: the editor goes back to the model's value (deferred: we may be
        inside the editor's own signal)."""
        def resync():
            if self.inspector.node_id == node_id and node_id in self._doc.nodes:
                self.inspector.set_node(self._doc, node_id, self._results.get(node_id))
        QTimer.singleShot(0, resync)

    def set_root(self, node_id) -> None:
        if self._doc.settings.root != node_id:
            self.push(C.SetSetting(self._doc, "root", node_id))

    # ------------------------------------------------------------------ action slots
    # (Edit and View slots: window_edit.py)

    def show_shortcuts(self):
        dlg = _actions.ShortcutsDialog(self.acts, self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def show_about(self):
        QMessageBox.about(self, "About GradCanvas",
                          "<b>GradCanvas</b><br>Build tensor graphs by hand and watch "
                          "PyTorch-style autograd run on them.")

    def set_theme(self, name: str):
        s = app_settings()
        s.setValue("theme", name)
        s.sync()
        apply_theme(name)

    def _theme_changed(self):
        # every action with an icon name, add-ons' included
        _actions.refresh_icons({a.objectName(): a for a in self.findChildren(QAction)})
        self.log_widget.clear_button.setIcon(_actions.icon("delete"))
        self.acts[f"theme_{theme.current_name()}"].setChecked(True)
        for obj in (self.scene, self.view, self.palette, self.inspector, self.popup, self.code_view,
                    self.log_widget, getattr(self, "autograd", None)):
            fn = getattr(obj, "apply_theme", None)
            if fn is not None:
                fn()

    # ------------------------------------------------------------------ messages
    def log(self, level: str, text: str) -> None:
        self.log_widget.log(level, text)

    def status(self, text: str, ms: int = 4000) -> None:
        self.statusBar().showMessage(text, ms)

    def _on_exception(self, summary: str, full: str) -> None:
        self.log("error", f"Internal error: {summary}\n{full.rstrip()}")
        self.status(f"Internal error: {summary} (details in the log)", 8000)

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event):  # noqa: N802
        if not self._closing and not self.files.maybe_save():
            event.ignore()
            return
        self._closing = True
        s = app_settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop timers, listeners and the autosave session (the recovery file goes away)."""
        self._refresh_timer.stop()
        self.closing.emit()
        self.undo_stack.blockSignals(True)  # its teardown must not call back into us
        if self.autosaver is not None:
            self.autosaver.stop()
        self._detach()
        self.scene.detach()
        self.inspector.detach()
        try:
            errors.reporter().exceptionRaised.disconnect(self._on_exception)
        except (RuntimeError, TypeError):
            pass
        logging.getLogger().removeHandler(self._log_handler)
        _windows.discard(self)



__all__ = ["MainWindow", "run_gui", "create_application", "offer_recovery", "startup_window"]
