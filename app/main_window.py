"""The main window: canvas in the middle, palette (left), inspector (right), log and undo
history (bottom); menus, toolbar, files, autosave.

One edit: a gesture on the canvas (or an inspector/palette/menu action) emits an intent; a
method here wraps it in a QUndoCommand (app/commands.py) and pushes it; ``redo()`` calls the
document model; the model emits an event; the scene updates its items, and a zero-delay timer
re-runs the executor and hands the results (shapes, grad_fns, errors) to the views.
"""
from __future__ import annotations

import logging
import os
import re
import sys
import time
import weakref
from pathlib import Path

from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QUndoView,
)

from engine.document import catalog
from engine.document.errors import DocumentError
from engine.document.model import Document
from widgets import theme
from widgets.canvas import GraphScene, GraphView

from . import actions as _actions
from . import autosave, clipboard, errors
from . import commands as C
from .files import TUTORIAL, FileController, app_settings, example_title, examples, recent_files
from .log_dock import LogWidget, QtLogHandler

log = logging.getLogger("gradcanvas")
STYLES = Path(__file__).resolve().parent.parent / "resources" / "styles"
_windows: set = set()  # open windows (Python owns them; WA_DeleteOnClose frees the C++ side)


def _stylesheet(name: str) -> str:
    """resources/styles/<name>.qss with its @tokens replaced by widgets/theme.py colors."""
    colors = theme.THEMES[name]
    text = (STYLES / f"{name}.qss").read_text("utf-8")

    def color(m):
        value = colors.get(m.group(1))
        if value is None:
            return m.group(0)
        c = theme.hex_color(value)
        return f"rgba({c.red()}, {c.green()}, {c.blue()}, {c.alpha()})" if len(value) == 9 \
            else value
    return re.sub(r"@([a-z_]+)", color, text)


def apply_theme(name: str) -> None:
    """Theme the whole application: palette, stylesheet, canvas colors, icons."""
    app = QApplication.instance()
    theme.set_theme(name)
    app.setPalette(theme.qpalette(name))
    app.setStyleSheet(_stylesheet(name))
    for w in list(_windows):
        w._theme_changed()


def create_application(argv=None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        # crisp on fractional high-DPI scales: no rounding of the device pixel ratio
        QApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(list(argv or ["gradcanvas"]))
    app.setApplicationName("GradCanvas")
    app.setOrganizationName("GradCanvas")
    app.setApplicationDisplayName("GradCanvas")
    app.setStyle("Fusion")
    app.setWindowIcon(_actions.app_icon())
    errors.install()
    name = str(app_settings().value("theme", "dark"))
    apply_theme(name if name in theme.THEMES else "dark")
    return app


class MainWindow(QMainWindow):
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

        # canvas
        self.scene = GraphScene(self._doc, self)
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
        self.statusBar().addPermanentWidget(self._counts)

        # every document event: recompute (coalesced) and autosave later
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh_results)
        self._executor = None
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

    def _arrange_side_docks(self) -> None:
        """Docks an add-on put under the inspector share the column; the inspector keeps
        most of the height (its editors and tensor views need it)."""
        right = [d for d in self.findChildren(QDockWidget)
                 if self.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea
                 and d is not self.inspector_dock and not d.isFloating()]
        if right:
            self.resizeDocks([self.inspector_dock] + right, [560] + [300] * len(right),
                             Qt.Orientation.Vertical)

    def _build_docks(self) -> None:
        from widgets.palette import PaletteWidget
        self.palette = PaletteWidget(catalog, self)
        self.palette.setObjectName("palette")
        self.palette.opActivated.connect(self._op_activated)
        self.palette_dock = self._dock("Palette", self.palette,
                                       Qt.DockWidgetArea.LeftDockWidgetArea)

        self.inspector = self._make_inspector()
        self.inspector_dock = self._dock("Inspector", self.inspector,
                                         Qt.DockWidgetArea.RightDockWidgetArea)

        self.log_widget = LogWidget(self)
        self.log_widget.clear_button.setIcon(_actions.icon("delete"))
        self.log_dock = self._dock("Log", self.log_widget, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.undo_view = QUndoView(self.undo_stack, self)
        self.undo_view.setObjectName("undoView")
        self.undo_view.setEmptyLabel("<opened>")
        self.undo_dock = self._dock("History", self.undo_view,
                                    Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.log_dock, self.undo_dock)
        self.code_view = self._make_code_view()
        self.code_dock = self._dock("Code", self.code_view,
                                    Qt.DockWidgetArea.BottomDockWidgetArea)
        self.code_dock.visibilityChanged.connect(self.code_view.set_shown)
        self.tabifyDockWidget(self.undo_dock, self.code_dock)
        self.log_dock.raise_()
        self.resizeDocks([self.palette_dock, self.inspector_dock], [210, 360],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.log_dock], [150], Qt.Orientation.Vertical)
        self.popup = self._make_popup()

    def _make_inspector(self):
        from widgets.inspector import InspectorWidget
        w = InspectorWidget(self)
        w.setObjectName("inspector")
        w.paramEdited.connect(self.set_param)
        w.renamed.connect(self.rename_node)
        w.flagEdited.connect(self.set_flag)
        return w

    def _make_code_view(self):
        """The equivalent PyTorch code (brief: bottom panel); rebuilt after each forward, only
        while its tab is shown."""
        from widgets.code_view import CodeView
        w = CodeView(self)
        w.copied.connect(lambda _text: self.status("Copied the PyTorch code", 2000))
        w.set_source(self._code_source)
        self.resultsChanged.connect(w.refresh)
        return w

    def _code_source(self):
        return self._doc, self._results

    def _make_popup(self):
        from widgets.search_popup import OpSearchPopup
        p = OpSearchPopup(catalog, self)
        p.setObjectName("opSearchPopup")
        p.opChosen.connect(self._popup_chosen)
        return p

    def _dock(self, title, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _restore_geometry(self) -> None:
        s = app_settings()
        geo, state = s.value("window/geometry"), s.value("window/state")
        if geo is not None:
            self.restoreGeometry(geo)
        if state is not None:
            self.restoreState(state)

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
        from engine.document.execution import Executor
        self._executor = Executor(doc)
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
                     view: dict | None = None, modified: bool = False) -> None:
        """Show ``doc`` (replacing the content in place, so scene and executor stay attached)."""
        self.undo_stack.clear()
        self._doc.load(doc)
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
            self.fit()
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
        try:
            self._results = dict(self._executor.forward())
        finally:
            self.show_results(self._results)
        self.resultsChanged.emit()

    def show_results(self, results: dict | None = None) -> None:
        """Put results (default: the executor's current ones) on every view -- the one place
        that does. A backward calls it too (new .grad values) without running forward: it
        must not rebuild the graph it just spent."""
        if results is None and self._executor is not None:
            results = dict(self._executor.results)
        if results is not None:
            self._results = results
        self.scene.set_results(self._results)
        if self.inspector.node_id is not None:
            self.inspector.set_result(self._results.get(self.inspector.node_id))
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

    def register_actions(self, actions: dict, prefix: str) -> None:
        """An add-on's actions: window shortcuts, Help > Shortcuts and theme re-tinting."""
        for a in actions.values():
            self.addAction(a)
        self.acts.update({f"{prefix}{k}": v for k, v in actions.items()})

    def add_menu(self, menu, before: str = "menu_help") -> None:
        mb = self.menuBar()
        anchor = next((m.menuAction() for m in mb.findChildren(QMenu)
                       if m.objectName() == before), None)
        if anchor is not None:
            mb.insertMenu(anchor, menu)
        else:
            mb.addMenu(menu)

    def add_toolbar(self, title: str, name: str):
        tb = self.addToolBar(title)
        tb.setObjectName(name)
        tb.setMovable(False)
        tb.setIconSize(self.toolbar.iconSize())
        return tb

    def add_status_widget(self, widget) -> None:
        self.statusBar().addPermanentWidget(widget)

    def show_dock(self, title: str, widget, area, *, below_inspector: bool = False):
        """A dock for an add-on's view, listed in View > Panels."""
        dock = self._dock(title, widget, area)
        if below_inspector:
            self.splitDockWidget(self.inspector_dock, dock, Qt.Orientation.Vertical)
        self.docks_menu.addAction(dock.toggleViewAction())
        return dock

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
        if pos is None:
            pos = self._free_spot()
        pos = (round(pos.x()), round(pos.y()))
        add = C.AddNode(self._doc, op, pos=pos)
        cmd = add
        if connect_from is not None:
            spec = catalog.get(op)
            ports = [p for p in spec.inputs]
            if ports:
                cmd = _AddAndConnect(self._doc, add, connect_from, ports[0].name)
        if not self.push(cmd):
            return None
        if select:
            self.scene.select_nodes([add.node_id])
        return add.node_id

    def _op_dropped(self, key: str, pos: QPointF) -> None:
        self.add_node(key, pos)

    def _op_activated(self, key: str) -> None:
        self.add_node(key)

    def _free_spot(self) -> QPointF:
        """The view's center, nudged so repeated palette adds do not stack exactly."""
        c = self.view.mapToScene(self.view.viewport().rect().center())
        taken = {tuple(n.pos) for n in self._doc.nodes.values()}
        x, y = round(c.x()), round(c.y())
        while (x, y) in taken:
            x, y = x + 30, y + 30
        return QPointF(x, y)

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
    def file_new(self):
        self.files.new()

    def file_open(self):
        self.files.open()

    def file_save(self):
        self.files.save()

    def file_save_as(self):
        self.files.save_as()

    def new_window(self, path=None) -> MainWindow:
        w = MainWindow()
        if path is not None:
            w.files.load(path)
        w.show()
        return w

    def quit_app(self):
        for w in list(_windows):
            if not w.close():
                return
        QApplication.quit()

    def delete_selection(self):
        self.scene.request_delete()

    def select_all(self):
        self.scene.select_nodes(list(self._doc.nodes))

    def copy(self) -> bool:
        ids = self.scene.selected_node_ids()
        if not ids:
            self.status("Nothing selected to copy", 2000)
            return False
        clipboard.put(clipboard.fragment(self._doc, ids))
        self._paste_count = 0
        self.status(f"Copied {len(ids)} node(s)", 2000)
        return True

    def cut(self):
        ids = self.scene.selected_node_ids()
        if ids and self.copy():
            cmd = C.RemoveNodes(self._doc, ids)
            cmd.setText("Cut")
            self.push(cmd)

    def paste(self) -> list[str]:
        frag = clipboard.get()
        if not frag or not frag["nodes"]:
            self.status("Nothing to paste", 2000)
            return []
        self._paste_count += 1
        d = clipboard.PASTE_OFFSET * self._paste_count
        return self._paste(frag, (d, d), "Paste")

    def duplicate(self) -> list[str]:
        ids = self.scene.selected_node_ids()
        if not ids:
            return []
        off = clipboard.PASTE_OFFSET
        return self._paste(clipboard.fragment(self._doc, ids), (off, off), "Duplicate")

    def _paste(self, frag, offset, text) -> list[str]:
        cmd = C.Paste(self._doc, frag, offset, text)
        if not self.push(cmd):
            return []
        self.scene.select_nodes(cmd.new_ids)
        return cmd.new_ids

    def fit(self):
        self.view.fit()

    def zoom_in(self):
        self.view.zoom_by(1.25)

    def zoom_out(self):
        self.view.zoom_by(0.8)

    def auto_layout(self):
        positions = self._doc.layered_layout()
        moves = {nid: (self._doc.nodes[nid].pos, tuple(p)) for nid, p in positions.items()
                 if nid in self._doc.nodes and tuple(self._doc.nodes[nid].pos) != tuple(p)}
        if moves:
            self.push(C.MoveNodes(self._doc, moves, "Auto layout"))
        self.fit()

    def show_add_popup(self, scene_pos: QPointF | None = None, connect_from: str | None = None):
        if scene_pos is None:
            scene_pos = self.view.cursor_scene_pos()
        self._pending_popup = (QPointF(scene_pos), connect_from)
        screen = self.view.viewport().mapToGlobal(self.view.mapFromScene(scene_pos))
        filt = None
        if connect_from is not None:
            def filt(spec):  # ops that can take the dropped wire: any op with an input
                return bool(getattr(spec, "inputs", ()))
        self.popup.popup(screen, filt)

    def _popup_chosen(self, op_key: str):
        pos, src = self._pending_popup or (self.view.cursor_scene_pos(), None)
        self._pending_popup = None
        if src is not None and src not in self._doc.nodes:
            src = None
        self.add_node(op_key, pos, connect_from=src)

    def on_wire_dropped(self, src_node_id: str, scene_pos: QPointF):
        self.show_add_popup(scene_pos, connect_from=src_node_id)

    def on_context_menu(self, node_id: str, screen_pos) -> None:
        menu = QMenu(self)
        a = self.acts
        node = self._doc.nodes.get(node_id) if node_id else None
        if node is not None:
            menu.addAction(a["copy"])
            menu.addAction(a["cut"])
            menu.addAction(a["duplicate"])
            menu.addAction(a["delete"])
            if self.context_menu_hooks:
                menu.addSeparator()
            for hook in self.context_menu_hooks:
                hook(menu, node_id)
        else:
            menu.addAction(a["add_node"])
            menu.addAction(a["paste"])
            menu.addSeparator()
            menu.addAction(a["fit"])
            menu.addAction(a["layout"])
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._context_menu = weakref.ref(menu)
        menu.popup(screen_pos)

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

    # ------------------------------------------------------------------ menus
    def populate_recent_menu(self):
        m = self.recent_menu
        m.clear()
        files = recent_files()
        for i, f in enumerate(files):
            act = m.addAction(f"&{i + 1} {Path(f).name}" if i < 9 else Path(f).name)
            act.setToolTip(f)
            act.setStatusTip(f)
            act.triggered.connect(lambda _=False, p=f: self.files.open(p))
        if not files:
            m.addAction("(none)").setEnabled(False)
        m.addSeparator()
        from .files import clear_recent
        m.addAction("Clear Menu", clear_recent).setEnabled(bool(files))

    def populate_examples_menu(self):
        m = self.examples_menu
        m.clear()
        for p in examples():
            act = m.addAction(example_title(p))
            act.setStatusTip(str(p))
            act.triggered.connect(lambda _=False, path=p: self.files.open(path))

    # ------------------------------------------------------------------ messages
    def log(self, level: str, text: str) -> None:
        self.log_widget.log(level, text)

    def status(self, text: str, ms: int = 4000) -> None:
        self.statusBar().showMessage(text, ms)

    def _on_exception(self, summary: str, full: str) -> None:
        self.log("error", f"Internal error: {summary}\n{full.rstrip()}")
        self.status(f"Internal error: {summary} (details in the log)", 8000)

    # ------------------------------------------------------------------ drag & drop of files
    def dragEnterEvent(self, event):  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event):  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event):  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.files.open_dropped(paths))
        else:
            super().dropEvent(event)

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


class _AddAndConnect(C.Macro):
    """A node added from a wire dropped on empty canvas, wired in: one undo step."""

    def __init__(self, doc, add: C.AddNode, src: str, port: str):
        super().__init__(doc, f"Add {add.op}", [add])
        self.add, self.src, self.port = add, src, port

    def _redo(self):
        if len(self.commands) == 1:  # first run: the id is known only after the add
            self.add._redo()
            try:
                conn = C.Connect(self.doc, self.src, self.add.node_id, self.port)
                conn._redo()
            except DocumentError:
                self.add._undo()
                raise
            self.commands.append(conn)
        else:
            super()._redo()


# ---------------------------------------------------------------------- start-up
def offer_recovery(parent=None) -> list[MainWindow]:
    """After a crash: offer the orphaned recovery files; a window for each one recovered."""
    orphans = autosave.find_orphans()
    if not orphans:
        return []
    when = time.strftime("%H:%M:%S", time.localtime(orphans[0].saved_at))
    names = ", ".join(o.title for o in orphans[:5])
    answer = QMessageBox.question(
        parent, "Recover unsaved work?",
        f"GradCanvas did not close properly. Unsaved work was autosaved "
        f"({names}; last at {when}).\n\nRecover it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.Yes)
    windows = []
    for o in orphans:
        if answer == QMessageBox.StandardButton.Yes:
            try:
                doc = o.load()
            except DocumentError as e:
                print(f"gradcanvas: cannot recover {o.json_path}: {e}", file=sys.stderr)
                continue
            w = MainWindow()
            path = o.source_path if o.source_path and os.path.exists(o.source_path) else None
            w.set_document(doc, path, name=None if path else f"{o.title} (recovered)",
                           modified=True)
            w.log("info", f"Recovered unsaved work from {time.ctime(o.saved_at)}")
            if w.autosaver is not None:  # our own session holds it now: safe to drop the old
                w.autosaver.save_now()
            windows.append(w)
        o.discard()
    return windows


def startup_window(path: str | None = None) -> MainWindow:
    """The first window: the file given, else the tutorial example."""
    w = MainWindow()
    target = path or (str(TUTORIAL) if TUTORIAL.exists() else None)
    if target is not None:
        w.files.load(target)
    return w


def run_gui(argv=None) -> int:
    """``gradcanvas [FILE]``: the main window with FILE or the tutorial example."""
    argv = list(argv or [])
    app = create_application(["gradcanvas"])
    windows = offer_recovery()
    if not windows or argv:
        windows.append(startup_window(argv[0] if argv else None))
    for w in windows:
        w.show()
    _quit_on_sigint(app)
    return app.exec()


def _quit_on_sigint(app) -> None:
    """Ctrl+C in the terminal closes the windows (with the unsaved-changes prompt) instead of
    being ignored while Qt's loop runs: a short timer lets Python run its signal handler."""
    import signal
    try:
        signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, app.closeAllWindows))
    except ValueError:  # not the main thread
        return
    beat = QTimer(app)
    beat.timeout.connect(lambda: None)
    beat.start(250)


__all__ = ["MainWindow", "run_gui", "create_application", "offer_recovery", "startup_window"]
