"""Menus, toolbar and keyboard shortcuts, declared once in a table; Help > Shortcuts lists it.

Single-key shortcuts (Tab, Del, Backspace, F, L) only act while the canvas has the focus, so
typing in the inspector or the palette's search never deletes nodes; Ctrl shortcuts are
window-wide (a focused text field still handles its own Ctrl+C/Ctrl+Z first).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from widgets import theme

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
STD = QKeySequence.StandardKey


@dataclass(frozen=True)
class Spec:
    key: str
    text: str
    slot: str                      # MainWindow method name
    shortcuts: tuple = ()          # QKeySequence strings or StandardKey values
    icon: str | None = None
    canvas_only: bool = False      # shortcut active only while the canvas has the focus
    tip: str = ""


SPECS: tuple[Spec, ...] = (
    # File
    Spec("new", "&New", "file_new", (STD.New,), "new", tip="New empty graph"),
    Spec("new_window", "New &Window", "new_window", ("Ctrl+Shift+N",), "window-new"),
    Spec("open", "&Open…", "file_open", (STD.Open,), "open", tip="Open a graph file"),
    Spec("save", "&Save", "file_save", (STD.Save,), "save"),
    Spec("save_as", "Save &As…", "file_save_as", ("Ctrl+Shift+S",), "save-as"),
    Spec("export_image", "Export &Image…", "export_image_dialog", ("Ctrl+Shift+E",),
         tip="Save the canvas or the backward graph as a PNG or SVG picture"),
    Spec("close", "&Close Window", "close", ("Ctrl+W",)),
    Spec("quit", "&Quit", "quit_app", ("Ctrl+Q",)),
    # Edit (undo/redo come from the QUndoStack, see build())
    Spec("cut", "Cu&t", "cut", (STD.Cut,), "cut"),
    Spec("copy", "&Copy", "copy", (STD.Copy,), "copy"),
    Spec("paste", "&Paste", "paste", (STD.Paste,), "paste"),
    Spec("duplicate", "&Duplicate", "duplicate", ("Ctrl+D",), "duplicate"),
    Spec("delete", "&Delete", "delete_selection", ("Del", "Backspace"), "delete",
         canvas_only=True),
    Spec("select_all", "Select &All", "select_all", (STD.SelectAll,), "select-all"),
    Spec("add_node", "&Add Node…", "show_add_popup", ("Tab",), "add-node", canvas_only=True,
         tip="Search an op and place it at the cursor"),
    # View
    Spec("fit", "&Fit", "fit", ("F",), "fit", canvas_only=True, tip="Fit the graph in view"),
    Spec("layout", "Auto &Layout", "auto_layout", ("L",), "layout", canvas_only=True,
         tip="Arrange the nodes in layers (undoable)"),
    Spec("zoom_in", "Zoom &In", "zoom_in", (STD.ZoomIn, "Ctrl+="), "zoom-in"),
    Spec("zoom_out", "Zoom &Out", "zoom_out", (STD.ZoomOut,), "zoom-out"),
    # Help
    Spec("shortcuts", "&Keyboard Shortcuts", "show_shortcuts", ("Ctrl+/",), "keyboard"),
    Spec("about", "&About GradCanvas", "show_about", ()),
)

# Gestures that are not actions, listed in Help > Shortcuts too.
GESTURES = (
    ("Drag from an output port to an input port", "Connect"),
    ("Drag a wire's input end away", "Disconnect"),
    ("Drop a wire on empty canvas", "Add a node that takes it"),
    ("Mouse wheel", "Zoom around the cursor"),
    ("Middle button drag / Space + drag", "Pan"),
    ("Drag on empty canvas", "Rubber-band selection"),
    ("Double-click an op in the palette / drag it onto the canvas", "Add a node"),
    ("Drop a .json file on the window", "Open it"),
    ("Drop a .py file on the window", "Import the PyTorch script (after you confirm)"),
    ("Double-click a module group's header", "Collapse / expand the group"),
)


def _platform_quirk(seq: QKeySequence) -> bool:
    """Keys X11's standard bindings add that keyboards rarely have: F13..F35 (Sun keys: Cut
    is F20) and the dedicated media/office keys (Qt.Key_New, Key_Cut, Key_ZoomIn, ...),
    whose names read like the action itself ("Ctrl+N, New"). Neither bound nor listed."""
    if seq.isEmpty():
        return True
    return seq[0].key().value >= Qt.Key.Key_F13.value


def _keys(spec: Spec) -> list[QKeySequence]:
    out = []
    for s in spec.shortcuts:
        if isinstance(s, STD):
            out.extend(k for k in QKeySequence.keyBindings(s) if not _platform_quirk(k))
        else:
            out.append(QKeySequence(s))
    seen, unique = set(), []
    for k in out:
        if k.toString() not in seen:
            seen.add(k.toString())
            unique.append(k)
    return unique


# -- icons ----------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def _svg_bytes(name: str, color: str) -> bytes:
    text = (ICONS / f"{name}.svg").read_text("utf-8")
    return re.sub("currentColor", color, text).encode("utf-8")


def icon(name: str, color: str | None = None) -> QIcon:
    """An SVG icon tinted for the current theme, rendered per size and device pixel ratio so
    it stays crisp on high-DPI screens."""
    from PySide6.QtSvg import QSvgRenderer

    color = color or theme.current()["text"]
    renderer = QSvgRenderer(QByteArray(_svg_bytes(name, color)))
    result = QIcon()
    for size in (16, 20, 24, 32, 48):
        for dpr in (1.0, 2.0):
            px = QPixmap(QSize(round(size * dpr), round(size * dpr)))
            px.fill(Qt.GlobalColor.transparent)
            p = QPainter(px)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            renderer.render(p)
            p.end()
            px.setDevicePixelRatio(dpr)
            result.addPixmap(px)
    return result


def app_icon() -> QIcon:
    return QIcon(str(ICONS / "gradcanvas.svg"))


# -- building -------------------------------------------------------------------------------
def build(window) -> dict[str, QAction]:
    """Create every action of ``window`` (slots are its methods), its menus and toolbar."""
    acts: dict[str, QAction] = {}
    for spec in SPECS:
        a = QAction(spec.text, window)
        a.setObjectName(f"action_{spec.key}")
        keys = _keys(spec)
        if keys:
            a.setShortcuts(keys)
        if spec.tip:
            a.setStatusTip(spec.tip)
        if spec.canvas_only:
            a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            window.view.addAction(a)
        else:
            window.addAction(a)
        a.triggered.connect(_slot(window, spec.slot))
        a.setProperty("iconName", spec.icon or "")
        acts[spec.key] = a

    stack = window.undo_stack
    undo = stack.createUndoAction(window, "&Undo")
    undo.setShortcuts(QKeySequence.keyBindings(STD.Undo))
    redo = stack.createRedoAction(window, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    for a, name, ic in ((undo, "undo", "undo"), (redo, "redo", "redo")):
        a.setObjectName(f"action_{name}")
        a.setProperty("iconName", ic)
        window.addAction(a)
        acts[name] = a

    # theme: an exclusive pair
    group = QActionGroup(window)
    for name, text in (("dark", "&Dark"), ("light", "&Light")):
        a = QAction(text, window, checkable=True)
        a.setObjectName(f"action_theme_{name}")
        a.setChecked(theme.current_name() == name)
        a.triggered.connect(lambda _=False, n=name: window.set_theme(n))
        group.addAction(a)
        acts[f"theme_{name}"] = a

    _menus(window, acts)
    _toolbar(window, acts)
    refresh_icons(acts)
    return acts


def _slot(window, name):
    def call(_checked=False):
        getattr(window, name)()
    return call


def _menus(window, acts) -> None:
    mb = window.menuBar()
    m = mb.addMenu("&File")
    m.setObjectName("menu_file")
    m.addActions([acts["new"], acts["new_window"], acts["open"]])
    window.recent_menu = m.addMenu("Open &Recent")
    window.recent_menu.setObjectName("menu_recent")
    window.recent_menu.aboutToShow.connect(window.populate_recent_menu)
    window.examples_menu = m.addMenu("&Examples")
    window.examples_menu.setObjectName("menu_examples")
    window.examples_menu.aboutToShow.connect(window.populate_examples_menu)
    m.addSeparator()
    m.addActions([acts["save"], acts["save_as"], acts["export_image"]])
    m.addSeparator()
    m.addActions([acts["close"], acts["quit"]])

    m = mb.addMenu("&Edit")
    m.setObjectName("menu_edit")
    m.addActions([acts["undo"], acts["redo"]])
    m.addSeparator()
    m.addActions([acts["cut"], acts["copy"], acts["paste"], acts["duplicate"], acts["delete"]])
    m.addSeparator()
    m.addActions([acts["select_all"], acts["add_node"]])

    m = mb.addMenu("&View")
    m.setObjectName("menu_view")
    m.addActions([acts["fit"], acts["layout"], acts["zoom_in"], acts["zoom_out"]])
    m.addSeparator()
    window.docks_menu = m.addMenu("&Panels")
    t = m.addMenu("&Theme")
    t.addActions([acts["theme_dark"], acts["theme_light"]])

    m = mb.addMenu("&Help")
    m.setObjectName("menu_help")
    m.addActions([acts["shortcuts"], acts["about"]])


def _toolbar(window, acts) -> None:
    tb = window.addToolBar("Main")
    tb.setObjectName("toolbar_main")
    tb.setMovable(False)
    tb.setIconSize(QSize(20, 20))
    tb.addActions([acts["new"], acts["open"], acts["save"]])
    tb.addSeparator()
    tb.addActions([acts["undo"], acts["redo"]])
    tb.addSeparator()
    tb.addActions([acts["add_node"], acts["delete"], acts["duplicate"]])
    tb.addSeparator()
    tb.addActions([acts["fit"], acts["layout"]])
    window.toolbar = tb


def refresh_icons(acts) -> None:
    """(Re)tint every action's icon for the current theme."""
    for a in acts.values():
        name = a.property("iconName")
        if name:
            a.setIcon(icon(name))


def shortcut_rows(acts) -> list[tuple[str, str]]:
    """(shortcut text, what it does) for every action with a shortcut, then the gestures;
    keys in the platform's native text, without F13..F35 quirks."""
    rows = []
    for a in acts.values():
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts()
                if not _platform_quirk(k)]
        if keys:
            rows.append((", ".join(keys), a.text().replace("&", "").rstrip("…")))
    rows.extend((g, what) for g, what in GESTURES)
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, acts, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.setObjectName("shortcutsDialog")
        rows = shortcut_rows(acts)
        table = QTableWidget(len(rows), 2, self)
        table.setObjectName("shortcutsTable")
        table.setHorizontalHeaderLabels(["Action", "Keys"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        for r, (keys, what) in enumerate(rows):
            table.setItem(r, 0, QTableWidgetItem(what))
            table.setItem(r, 1, QTableWidgetItem(keys))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(table)
        lay.addWidget(buttons)
        self.resize(560, 520)
