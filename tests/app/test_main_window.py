"""The main window driven as a person would: palette, Tab popup, inspector, mouse on the canvas,
shortcuts, files, clipboard across windows, the close prompt, errors, leaks, a screenshot."""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import weakref
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QThreadPool, QUrl
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMessageBox

from engine.document import fileformat
from engine.document.model import Wire

from .conftest import drag_scene, drop_on, flush_deletes

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]


def activate(qtbot, w):
    w.activateWindow()
    w.raise_()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=2000)


def focus_canvas(qtbot, w):
    activate(qtbot, w)
    w.view.setFocus()
    qtbot.waitUntil(w.view.hasFocus, timeout=2000)


def by_name(w, name):
    return w.document().node_by_name(name)


def press(qtbot, widget, seq: str):
    """Type a shortcut as keys (goes through Qt's shortcut map like a real key press)."""
    ks = QKeySequence(seq)[0]
    QTest.keyClick(widget, ks.key(), ks.keyboardModifiers())


# -- start-up -------------------------------------------------------------------------------
def test_starts_with_the_tutorial(window):
    doc = window.document()
    assert {n.name for n in doc.nodes.values()} == {"x", "y", "w", "b", "xw", "z", "loss"}
    assert window.windowTitle().startswith("Tutorial (example)[*]")
    assert not window.isWindowModified()
    # the executor ran: grad_fns as torch records them, shown on the nodes
    res = window.results()
    assert res[by_name(window, "z").id].grad_fn == "AddBackward0"
    assert res[by_name(window, "loss").id].grad_fn == "BinaryCrossEntropyWithLogitsBackward0"
    assert window.scene.node_item(by_name(window, "z").id) is not None
    assert len(window.scene.wire_items()) == len(doc.wires) == 6
    # docks where the brief puts them
    area = window.dockWidgetArea
    assert area(window.palette_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert area(window.inspector_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert area(window.log_dock) == area(window.undo_dock) == \
        Qt.DockWidgetArea.BottomDockWidgetArea


def test_gradcanvas_window_is_up_in_under_two_seconds(tmp_path):
    """A fresh interpreter: import, build the window with the tutorial, show, first paint.

    Wall-clock time is what a person sees; when other processes load this small machine
    (parallel test runs) the process's own CPU time stands in for it."""
    script = (
        "import time; t0 = time.perf_counter(); c0 = time.process_time()\n"
        "from PySide6.QtCore import QTimer\n"
        "from app.main_window import create_application, run_gui, _windows\n"
        "app = create_application()\n"
        "def probe():\n"
        "    w = next(iter(_windows)); w.grab()\n"
        "    print('UP', time.perf_counter() - t0, time.process_time() - c0,\n"
        "          len(w.document().nodes), flush=True)\n"
        "    app.quit()\n"
        "QTimer.singleShot(0, probe)\n"
        "raise SystemExit(run_gui([]))\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    runs = []
    for _ in range(2):  # best of two
        out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, timeout=60,
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        line = [s for s in out.stdout.splitlines() if s.startswith("UP")][0]
        _, wall, cpu, nodes = line.split()
        assert int(nodes) == 7
        runs.append((float(wall), float(cpu)))
        if runs[-1][0] < 2.0:
            break
    assert min(c for _, c in runs) < 2.0, runs
    if os.getloadavg()[0] < (os.cpu_count() or 1):  # an idle machine: the real thing
        assert min(w for w, _ in runs) < 2.0, runs


# -- adding nodes ---------------------------------------------------------------------------
def test_place_a_node_from_the_palette_by_double_click(qtbot, window):
    tree = window.palette.tree
    item = window.palette.op_item("relu")
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    before = len(window.document().nodes)
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    QTest.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: len(window.document().nodes) == before + 1, timeout=2000)
    new = [n for n in window.document().nodes.values() if n.op == "relu"]
    assert len(new) == 1
    assert window.scene.selected_node_ids() == [new[0].id]  # selected, inspector shows it
    assert window.inspector.node_id == new[0].id
    assert window.undo_stack.undoText() == "Add relu"
    window.undo_stack.undo()
    assert len(window.document().nodes) == before


def test_place_a_node_by_dropping_a_palette_op_on_the_canvas(qtbot, window):
    mime = window.palette.tree.mimeData([window.palette.op_item("exp")])
    target = QPointF(window.view.mapFromScene(QPointF(300, 400)))
    assert drop_on(window.view.viewport(), target, mime)
    node = [n for n in window.document().nodes.values() if n.op == "exp"][0]
    assert abs(node.pos[0] - 300) <= 2 and abs(node.pos[1] - 400) <= 2


def test_place_a_node_from_the_tab_popup(qtbot, window):
    focus_canvas(qtbot, window)
    QTest.keyClick(window.view, Qt.Key.Key_Tab)
    popup = window.popup
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    QTest.keyClicks(popup.edit, "sigm")
    assert popup.visible_op_keys()[0] == "sigmoid"
    QTest.keyClick(popup.edit, Qt.Key.Key_Return)
    assert not popup.isVisible()
    nodes = [n for n in window.document().nodes.values() if n.op == "sigmoid"]
    assert len(nodes) == 1
    center = window.view.mapToScene(window.view.viewport().rect().center())
    assert abs(nodes[0].pos[0] - center.x()) <= 2  # at the cursor (here: the view center)


def test_wire_dropped_on_empty_canvas_adds_a_connected_node(qtbot, window):
    z = by_name(window, "z")
    start = window.scene.node_item(z.id).output_port_scene_pos()
    drag_scene(window.view, start, QPointF(start.x() + 150, start.y() + 260))
    popup = window.popup
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    assert "ones" not in popup.visible_op_keys()  # sources cannot take the wire
    QTest.keyClicks(popup.edit, "tanh")
    QTest.keyClick(popup.edit, Qt.Key.Key_Return)
    t = [n for n in window.document().nodes.values() if n.op == "tanh"][0]
    assert Wire(z.id, t.id, "input") in window.document().wires
    assert window.undo_stack.undoText() == "Add tanh"
    window.undo_stack.undo()  # one step removes node and wire
    assert t.id not in window.document().nodes
    assert all(w.dst != t.id for w in window.document().wires)


# -- the canvas: wires, moves, delete, refusals ---------------------------------------------
def test_drag_a_wire_port_to_port_and_undo_it(qtbot, window):
    doc = window.document()
    z = by_name(window, "z")
    rid = window.add_node("relu", QPointF(800, 300))
    src = window.scene.node_item(z.id).output_port_scene_pos()
    dst = window.scene.node_item(rid).input_port_scene_pos("input")
    window.view.centerOn(src)
    drag_scene(window.view, src, dst)
    assert Wire(z.id, rid, "input") in doc.wires
    assert window.scene.wire_item(Wire(z.id, rid, "input")) is not None
    QTest.keySequence(window, QKeySequence("Ctrl+Z"))  # undo the wire
    assert Wire(z.id, rid, "input") not in doc.wires


def test_moving_a_wire_end_to_another_input_is_one_undo_step(qtbot, window):
    doc = window.document()
    xw, z = by_name(window, "xw"), by_name(window, "z")
    rid = window.add_node("relu", QPointF(800, 300))
    steps = window.undo_stack.count()
    start = window.scene.node_item(z.id).input_port_scene_pos("input")
    end = window.scene.node_item(rid).input_port_scene_pos("input")
    window.view.centerOn(QPointF(700, 200))
    drag_scene(window.view, start, end)
    assert Wire(xw.id, rid, "input") in doc.wires and Wire(xw.id, z.id, "input") not in doc.wires
    assert window.undo_stack.count() == steps + 1
    assert window.undo_stack.undoText() == "Reconnect"
    window.undo_stack.undo()
    assert Wire(xw.id, z.id, "input") in doc.wires and Wire(xw.id, rid, "input") not in doc.wires
    # dropped on empty canvas instead: a plain disconnect
    start = window.scene.node_item(z.id).input_port_scene_pos("input")
    drag_scene(window.view, start, QPointF(start.x() - 60, start.y() + 250))
    assert Wire(xw.id, z.id, "input") not in doc.wires
    assert window.undo_stack.undoText() == "Disconnect"


def _snapshot(doc):
    """Everything a wire or move gesture can change, in order: undo must restore it exactly."""
    return (list(doc.wires), {n.id: tuple(n.pos) for n in doc.nodes.values()},
            {r.id: set(r.members) for r in doc.regions.values()})


def _press_and_move(view, start, end, steps=6):
    """Press at scene point ``start`` and move to ``end`` with the button held (no release)."""
    from .conftest import QEvent, send_mouse
    a, b = QPointF(view.mapFromScene(start)), QPointF(view.mapFromScene(end))
    send_mouse(view, QEvent.Type.MouseButtonPress, a)
    for i in range(1, steps + 1):
        send_mouse(view, QEvent.Type.MouseMove, a + (b - a) * (i / steps),
                   buttons=Qt.MouseButton.LeftButton)
    return b


def test_dropping_on_an_occupied_input_replaces_its_wire_as_one_undo_step(qtbot, window):
    from .conftest import QEvent, send_mouse
    doc, sc = window.document(), window.scene
    y, x, xw = by_name(window, "y"), by_name(window, "x"), by_name(window, "xw")
    before, steps = _snapshot(doc), window.undo_stack.count()
    src = sc.node_item(y.id).output_port_scene_pos()
    dst = sc.node_item(xw.id).input_port_scene_pos("input")
    window.view.centerOn((src + dst) / 2)
    end = _press_and_move(window.view, src, dst)
    # the preview: the model accepts (occupied is not a refusal) and the drop replaces x
    assert doc.check_connect(y.id, xw.id, "input") is None
    assert doc.occupant(xw.id, "input") == Wire(x.id, xw.id, "input")
    assert sc.drag_preview_text() == "replaces x → xw.input"
    send_mouse(window.view, QEvent.Type.MouseButtonRelease, end)
    assert sc.drag_preview_text() is None
    assert Wire(y.id, xw.id, "input") in doc.wires and Wire(x.id, xw.id, "input") not in doc.wires
    assert window.undo_stack.count() == steps + 1  # one gesture, one step
    assert window.undo_stack.undoText() == "Replace x → xw.input"
    after = _snapshot(doc)
    window.undo_stack.undo()
    assert _snapshot(doc) == before  # the old wire back, at its old position
    window.undo_stack.redo()
    assert _snapshot(doc) == after


def test_reconnecting_a_lifted_wire_is_one_undo_step_and_undo_restores_exactly(qtbot, window):
    doc = window.document()
    xw, z = by_name(window, "xw"), by_name(window, "z")
    rid = window.add_node("relu", QPointF(800, 300))
    before, steps = _snapshot(doc), window.undo_stack.count()
    start = window.scene.node_item(z.id).input_port_scene_pos("input")
    end = window.scene.node_item(rid).input_port_scene_pos("input")
    window.view.centerOn(QPointF(700, 200))
    drag_scene(window.view, start, end)
    assert Wire(xw.id, rid, "input") in doc.wires and Wire(xw.id, z.id, "input") not in doc.wires
    assert window.undo_stack.count() == steps + 1
    cmd = window.undo_stack.command(window.undo_stack.index() - 1)
    assert type(cmd).__name__ == "Reconnect" and cmd.childCount() == 0  # one command
    after = _snapshot(doc)
    window.undo_stack.undo()
    assert _snapshot(doc) == before  # the wire back in z.input, in its old place
    window.undo_stack.redo()
    assert _snapshot(doc) == after


def test_dragging_a_node_into_a_frame_is_one_undo_step(qtbot, window):
    doc, sc = window.document(), window.scene
    xw, z = by_name(window, "xw"), by_name(window, "z")
    rid = window.autograd.no_grad_frame([z.id])
    window.refresh_results()
    frame = sc.region_items()[0]
    frame_rect = frame.rect()
    before, steps = _snapshot(doc), window.undo_stack.count()
    item = sc.node_item(xw.id)
    grab = item.pos() + QPointF(item.WIDTH / 2, 12)
    target = QPointF(frame_rect.center().x(), frame_rect.top() + 40)
    window.view.centerOn((grab + target) / 2)
    drag_scene(window.view, grab, target, steps=8)
    assert doc.regions[rid].members == {xw.id, z.id}
    assert doc.nodes[xw.id].pos != before[1][xw.id]
    assert window.undo_stack.count() == steps + 1  # members and move: one step
    assert window.undo_stack.undoText() == "Move xw into no_grad frame"
    QApplication.processEvents()  # no timer may split or close anything later
    assert window.undo_stack.count() == steps + 1
    window.refresh_results()
    assert window.results()[xw.id].requires_grad is False  # xw = x @ w under no_grad now
    window.undo_stack.undo()
    assert _snapshot(doc) == before
    assert sc.node_item(xw.id).pos() == QPointF(*before[1][xw.id])
    window.refresh_results()
    assert window.results()[xw.id].requires_grad is True


def test_a_refused_wire_is_reported_in_status_bar_and_log(qtbot, window):
    doc = window.document()
    z = by_name(window, "z")
    a = window.add_node("add", QPointF(800, 250))
    window.on_connect_requested(z.id, a, "input", 0)
    r = window.add_node("relu", QPointF(1000, 250))
    window.on_connect_requested(a, r, "input", 0)
    n_wires, steps = len(doc.wires), window.undo_stack.count()
    src = window.scene.node_item(r).output_port_scene_pos()
    dst = window.scene.node_item(a).input_port_scene_pos("other")
    window.view.centerOn(src)
    drag_scene(window.view, src, dst)  # relu -> add.other closes a cycle
    assert len(doc.wires) == n_wires and window.undo_stack.count() == steps
    msg = window.statusBar().currentMessage()
    assert "cycle" in msg
    assert window.log_widget.entries[-1] == ("warning", msg)


def test_move_nodes_is_one_undo_step_per_drag(qtbot, window):
    doc = window.document()
    x = by_name(window, "x")
    x0 = x.pos
    item = window.scene.node_item(x.id)
    start = item.sceneBoundingRect().center()
    window.view.centerOn(start)
    window.scene.select_nodes([])
    drag_scene(window.view, QPointF(start.x(), item.sceneBoundingRect().top() + 8),
               QPointF(start.x() + 100, item.sceneBoundingRect().top() + 58), steps=10)
    assert doc.nodes[x.id].pos == pytest.approx((x0[0] + 100, x0[1] + 50), abs=1.5)
    assert window.undo_stack.count() == 1 and window.undo_stack.undoText() == "Move"
    window.undo_stack.undo()
    assert doc.nodes[x.id].pos == (40.0, 40.0)
    assert item.pos() == QPointF(40, 40)  # the view followed the model back


def test_delete_key_and_backspace_delete_the_selection(qtbot, window):
    doc = window.document()
    focus_canvas(qtbot, window)
    z = by_name(window, "z")
    window.scene.select_nodes([z.id])
    QTest.keyClick(window.view, Qt.Key.Key_Delete)
    assert z.id not in doc.nodes and len(doc.wires) == 3  # its 3 wires went with it
    window.scene.select_nodes([by_name(window, "y").id])
    QTest.keyClick(window.view, Qt.Key.Key_Backspace)
    assert "y" not in {n.name for n in doc.nodes.values()}
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert len(doc.nodes) == 7 and len(doc.wires) == 6


def test_single_key_shortcuts_leave_text_fields_alone(qtbot, window):
    """Typing 'F', 'L' or Backspace into the inspector edits text, not the graph."""
    activate(qtbot, window)
    x = by_name(window, "x")
    window.scene.select_nodes([x.id])
    name = window.inspector.findChild(QLineEdit, "name")
    name.setFocus()
    qtbot.waitUntil(name.hasFocus, timeout=2000)
    for key in (Qt.Key.Key_End, Qt.Key.Key_Backspace):
        QTest.keyClick(name, key)
    QTest.keyClicks(name, "fl")
    assert name.text() == "fl"
    assert x.id in window.document().nodes and window.undo_stack.count() == 0
    QTest.keyClick(name, Qt.Key.Key_Return)
    assert window.document().nodes[x.id].name == "fl"


def test_fit_and_layout_shortcuts(qtbot, window):
    doc = window.document()
    focus_canvas(qtbot, window)
    window.view.zoom_by(2.5)
    QTest.keyClick(window.view, Qt.Key.Key_F)
    rect = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    for item in window.scene.node_items():
        assert rect.contains(item.sceneBoundingRect())
    QTest.keyClick(window.view, Qt.Key.Key_L)
    layout = doc.layered_layout()
    assert all(doc.nodes[k].pos == pytest.approx(v) for k, v in layout.items())
    assert window.undo_stack.undoText() == "Auto layout"
    window.undo_stack.undo()
    assert doc.nodes[by_name(window, "x").id].pos == (40.0, 40.0)


# -- inspector ------------------------------------------------------------------------------
def test_edit_parameters_in_the_inspector(qtbot, window):
    doc = window.document()
    x = by_name(window, "x")
    window.scene.select_nodes([x.id])
    shape = window.inspector.findChild(QLineEdit, "shape")
    assert shape is not None and shape.text().strip("()[], ") == "5"
    for text in ("4", "3"):  # two consecutive edits of one field: one undo step
        shape.setFocus()
        shape.selectAll()
        QTest.keyClicks(shape, text)
        QTest.keyClick(shape, Qt.Key.Key_Return)
    assert doc.nodes[x.id].params["shape"] == (3,)
    assert window.undo_stack.count() == 1
    # the executor re-ran: x @ w now fails, on the node, with torch's message; z is blocked
    xw, z = by_name(window, "xw"), by_name(window, "z")
    qtbot.waitUntil(lambda: window.results()[xw.id].error is not None, timeout=2000)
    assert "size mismatch" in window.results()[xw.id].error or \
        "mat" in window.results()[xw.id].error
    assert window.results()[z.id].blocked_by == xw.id
    assert window.isWindowModified()
    window.undo_stack.undo()
    qtbot.waitUntil(lambda: window.results()[xw.id].error is None, timeout=2000)
    assert doc.nodes[x.id].params["shape"] == (5,) and shape.text().strip("()[], ") == "5"
    assert not window.isWindowModified()


def test_a_refused_inspector_edit_is_reported_and_the_editor_shows_the_model(qtbot, window):
    doc = window.document()
    w = by_name(window, "w")
    window.scene.select_nodes([w.id])
    name = window.inspector.findChild(QLineEdit, "name")
    name.setFocus()
    name.selectAll()
    QTest.keyClicks(name, "x")  # taken by another node
    QTest.keyClick(name, Qt.Key.Key_Return)
    assert doc.nodes[w.id].name == "w" and window.undo_stack.count() == 0
    assert "already used" in window.statusBar().currentMessage()
    assert window.log_widget.entries[-1][0] == "warning"
    qtbot.waitUntil(lambda: window.inspector.findChild(QLineEdit, "name").text() == "w",
                    timeout=2000)


def test_inspector_flags_and_rename_are_undoable(qtbot, window):
    from PySide6.QtWidgets import QCheckBox
    doc = window.document()
    w = by_name(window, "w")
    window.scene.select_nodes([w.id])
    box = window.inspector.findChild(QCheckBox, "requires_grad")
    box.click()
    assert doc.nodes[w.id].requires_grad is False
    qtbot.waitUntil(lambda: window.results()[w.id].requires_grad is False, timeout=2000)
    window.undo_stack.undo()
    assert doc.nodes[w.id].requires_grad is True and box.isChecked()
    name = window.inspector.findChild(QLineEdit, "name")
    name.setFocus()
    name.selectAll()
    QTest.keyClicks(name, "weight")
    QTest.keyClick(name, Qt.Key.Key_Return)
    assert doc.nodes[w.id].name == "weight"
    assert window.undo_stack.undoText() == "Rename w → weight"
    window.undo_stack.undo()
    assert doc.nodes[w.id].name == "w" and name.text() == "w"


# -- undo/redo shortcuts, title -------------------------------------------------------------
def test_undo_redo_shortcuts_and_modified_mark(qtbot, window):
    doc = window.document()
    activate(qtbot, window)
    window.add_node("exp", QPointF(500, 500))
    assert window.isWindowModified() and len(doc.nodes) == 8
    QTest.keySequence(window, QKeySequence("Ctrl+Z"))
    assert len(doc.nodes) == 7 and not window.isWindowModified()
    QTest.keySequence(window, QKeySequence("Ctrl+Shift+Z"))
    assert len(doc.nodes) == 8 and window.isWindowModified()
    QTest.keySequence(window, QKeySequence("Ctrl+Z"))
    QTest.keySequence(window, QKeySequence("Ctrl+Y"))
    assert len(doc.nodes) == 8
    assert window.undo_view.stack() is window.undo_stack
    assert window.undo_view.model().rowCount() == 2  # "<opened>" + the add


def test_menus_have_every_action_with_its_shortcut_and_help_lists_them(qtbot, window):
    acts = window.acts
    want = {"add_node": "Tab", "delete": "Del", "fit": "F", "layout": "L",
            "duplicate": "Ctrl+D", "copy": "Ctrl+C", "cut": "Ctrl+X", "paste": "Ctrl+V",
            "undo": "Ctrl+Z", "redo": "Ctrl+Shift+Z", "save": "Ctrl+S", "open": "Ctrl+O"}
    for key, seq in want.items():
        assert QKeySequence(seq) in acts[key].shortcuts(), key
    assert QKeySequence("Backspace") in acts["delete"].shortcuts()
    assert QKeySequence("Ctrl+Y") in acts["redo"].shortcuts()
    in_menus = set()
    for menu in (window.menuBar().actions()):
        for a in menu.menu().actions():
            in_menus.add(a)
            if a.menu():
                in_menus.update(a.menu().actions())
    missing = [k for k, a in acts.items() if a not in in_menus]
    assert not missing
    dlg = window.show_shortcuts()
    rows = [(dlg.table.item(r, 0).text(), dlg.table.item(r, 1).text())
            for r in range(dlg.table.rowCount())]
    texts = dict(rows)  # Action | Keys
    assert texts["Add Node"] == "Tab" and "Del" in texts["Delete"]
    assert "Ctrl+D" in texts["Duplicate"] and "Ctrl+Y" in texts["Redo"]
    dlg.close()


def test_every_action_has_a_themed_svg_icon_and_themes_switch(qtbot, window):
    from widgets import theme
    assert not window.acts["save"].icon().isNull()
    px = window.acts["undo"].icon().pixmap(48, 48)
    assert not px.isNull()
    dark_sheet = QApplication.instance().styleSheet()
    assert "@" not in dark_sheet.split("*/", 1)[1]  # every token was replaced
    window.acts["theme_light"].trigger()
    try:
        assert theme.current_name() == "light"
        assert QApplication.instance().styleSheet() != dark_sheet
        assert window.acts["theme_light"].isChecked()
    finally:
        window.acts["theme_dark"].trigger()
    assert theme.current_name() == "dark"


# -- clipboard ------------------------------------------------------------------------------
def test_copy_paste_between_two_windows(qtbot, make_window):
    w1 = make_window()
    w2 = make_window(tutorial=False)
    ids = [by_name(w1, n).id for n in ("x", "w", "xw")]
    w1.scene.select_nodes(ids)
    activate(qtbot, w1)
    QTest.keySequence(w1, QKeySequence("Ctrl+C"))
    activate(qtbot, w2)
    QTest.keySequence(w2, QKeySequence("Ctrl+V"))
    d2 = w2.document()
    assert sorted(n.name for n in d2.nodes.values()) == ["w", "x", "xw"]
    by = {n.name: n.id for n in d2.nodes.values()}
    assert set(d2.wires) == {Wire(by["x"], by["xw"], "input"), Wire(by["w"], by["xw"], "other")}
    assert sorted(w2.scene.selected_node_ids()) == sorted(by.values())
    qtbot.waitUntil(lambda: w2.results().get(by["xw"]) is not None, timeout=2000)
    assert w2.results()[by["xw"]].shape == (3,)
    # pasting again in the first window: fresh names, offset positions
    activate(qtbot, w1)
    QTest.keySequence(w1, QKeySequence("Ctrl+V"))
    names = {n.name for n in w1.document().nodes.values()}
    assert {"x_1", "w_1", "xw_1"} <= names


def test_cut_and_duplicate(qtbot, window):
    doc = window.document()
    activate(qtbot, window)
    z = by_name(window, "z")
    window.scene.select_nodes([z.id])
    QTest.keySequence(window, QKeySequence("Ctrl+D"))
    dup = by_name(window, "z_1")
    assert doc.nodes[dup.id].pos == (z.pos[0] + 40, z.pos[1] + 40)
    assert window.scene.selected_node_ids() == [dup.id]
    window.scene.select_nodes([z.id])
    QTest.keySequence(window, QKeySequence("Ctrl+X"))
    assert z.id not in doc.nodes
    QTest.keySequence(window, QKeySequence("Ctrl+V"))
    assert "z" in {n.name for n in doc.nodes.values()}


# -- files ----------------------------------------------------------------------------------
def test_save_and_reopen(qtbot, make_window, dialogs, tmp_path):
    w = make_window()
    w.add_node("exp", QPointF(600, 400))
    target = tmp_path / "graph.json"
    dialogs.save_path = str(target)
    activate(qtbot, w)
    QTest.keySequence(w, QKeySequence("Ctrl+S"))  # untitled example: asks where (Save As)
    assert target.exists()
    assert w.windowTitle().startswith("graph.json[*]") and not w.isWindowModified()
    assert fileformat.load(target) == w.document()
    from app.files import recent_files
    assert recent_files()[0] == str(target.resolve())
    w.populate_recent_menu()
    assert any(a.text().endswith("graph.json") for a in w.recent_menu.actions())
    # reopen in a new window via File > Open
    w2 = make_window(tutorial=False)
    dialogs.open_path = str(target)
    w2.acts["open"].trigger()
    assert w2.document() == w.document()
    assert w2.current_path() == str(target.resolve())
    zoom = fileformat.load_with_view(target)[1]["zoom"]  # the view state came along
    qtbot.waitUntil(lambda: abs(w2.view.zoom() - zoom) < 1e-3, timeout=2000)
    # Ctrl+S now writes straight to the file
    w2.add_node("sin", QPointF(0, 700))
    w2.acts["save"].trigger()
    assert "sin" in {n["op"] for n in fileformat.load(target).to_dict()["nodes"]}
    assert [k for k in dialogs.kinds() if k == "critical"] == []


def test_examples_menu_and_new(qtbot, window, dialogs):
    window.populate_examples_menu()
    titles = [a.text() for a in window.examples_menu.actions()]
    assert titles[0] == "Tutorial" and len(titles) >= 2
    window.examples_menu.actions()[1].trigger()
    assert window.display_name().endswith("(example)") and window.current_path() is None
    window.acts["new"].trigger()
    assert len(window.document().nodes) == 0 and window.display_name() == "Untitled"
    assert window.undo_stack.count() == 0


def test_dropping_a_file_on_the_window_opens_it(qtbot, window, tmp_path):
    from engine.document.model import Document
    d = Document()
    d.add_node("ones", "a", {"shape": (2,)})
    path = tmp_path / "dropped.json"
    fileformat.save(d, path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    assert drop_on(window, QPointF(window.view.mapTo(window, QPoint(50, 50))), mime)
    qtbot.waitUntil(lambda: window.current_path() == str(path.resolve()), timeout=2000)
    assert window.document() == d


def test_opening_a_broken_file_reports_it_and_keeps_the_document(qtbot, window, dialogs,
                                                                  tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "gradcanvas", "schema_version": 1, "document": {"nodes": 3}}')
    before = window.document().copy()
    assert not window.files.open(str(bad))
    assert window.document() == before
    assert dialogs.kinds() == ["critical"]
    assert "nodes" in window.log_widget.entries[-1][1]


def test_close_prompt(qtbot, make_window, dialogs, tmp_path):
    w = make_window()
    w.add_node("exp")
    dialogs.answers["warning"] = QMessageBox.StandardButton.Cancel
    assert not w.close()
    assert w.isVisible() and dialogs.kinds() == ["warning"]
    dialogs.answers["warning"] = QMessageBox.StandardButton.Save
    dialogs.save_path = ""  # the Save As dialog is cancelled: stay open
    assert not w.close()
    dialogs.save_path = str(tmp_path / "kept.json")
    assert w.close()
    assert fileformat.load(tmp_path / "kept.json").nodes.keys() == w.document().nodes.keys()


def test_close_prompt_discard_and_clean_windows_close_silently(qtbot, make_window, dialogs):
    w = make_window()
    assert w.close() and dialogs.kinds() == []  # unmodified: no question
    w2 = make_window()
    w2.add_node("exp")
    dialogs.answers["warning"] = QMessageBox.StandardButton.Discard
    assert w2.close() and dialogs.kinds() == ["warning"]


# -- errors never kill the app --------------------------------------------------------------
@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_is_logged_and_the_window_keeps_working(qtbot, window,
                                                                      monkeypatch, capfd):
    def broken():
        raise ZeroDivisionError("deliberate failure in a slot")
    monkeypatch.setattr(window.view, "fit", broken)
    window.acts["fit"].trigger()  # the action's slot calls window.fit -> view.fit
    errors = [t for lvl, t in window.log_widget.entries if lvl == "error"]
    assert errors and "ZeroDivisionError: deliberate failure in a slot" in errors[-1]
    assert "Traceback" in errors[-1]
    assert "deliberate failure" in window.statusBar().currentMessage()
    assert "ZeroDivisionError" in capfd.readouterr().err  # and on stderr
    # still working: an edit goes through, and undo too
    n = len(window.document().nodes)
    window.add_node("exp")
    assert len(window.document().nodes) == n + 1
    window.undo_stack.undo()
    assert len(window.document().nodes) == n


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_an_event_handler_is_logged(qtbot, window, monkeypatch):
    from PySide6.QtCore import QTimer
    def bad_refresh():
        raise RuntimeError("executor exploded")
    monkeypatch.setattr(window, "refresh_results", bad_refresh)
    window._refresh_timer.timeout.disconnect()
    window._refresh_timer.timeout.connect(window.refresh_results)
    window.add_node("exp")  # the coalesced refresh runs from the event loop and raises
    qtbot.waitUntil(lambda: any("executor exploded" in t for _, t in
                                window.log_widget.entries), timeout=2000)
    QTimer.singleShot(0, lambda: None)
    qtbot.wait(10)
    assert window.isVisible()


# -- leaks ----------------------------------------------------------------------------------
def test_no_top_level_widgets_or_threads_left_after_closing(qtbot, dialogs):
    import shiboken6

    from app.main_window import MainWindow, _windows, create_application
    create_application()
    flush_deletes()
    before_widgets = {id(w) for w in QApplication.topLevelWidgets()}
    before_threads = threading.active_count()
    w = MainWindow()
    w.files.load(str(ROOT / "resources" / "examples" / "tutorial.json"))
    w.show()
    qtbot.waitExposed(w)
    w.scene.select_nodes([by_name(w, "z").id])
    w.show_shortcuts()
    w.on_context_menu(by_name(w, "z").id, QPoint(10, 10))
    w._context_menu().close()
    w.show_add_popup()
    w.popup.hide()
    w.add_node("exp")
    w.undo_stack.setClean()
    rec_dir = w.autosaver.folder
    doc = w.document()
    assert w.close()
    flush_deletes()
    assert not shiboken6.isValid(w)  # WA_DeleteOnClose: the C++ window is gone
    ref = weakref.ref(w)
    del w
    gc.collect()
    flush_deletes()
    assert ref() is None  # and nothing (hooks, signals, globals) keeps the Python side alive
    left = [x for x in QApplication.topLevelWidgets() if id(x) not in before_widgets]
    assert left == [], [type(x).__name__ + ":" + x.objectName() for x in left]
    assert threading.active_count() == before_threads
    assert QThreadPool.globalInstance().activeThreadCount() == 0
    assert not [x for x in _windows if x is ref()]
    assert doc._subscribers == []  # scene, inspector, executor, window: all unsubscribed
    assert list(rec_dir.iterdir()) == []  # the session's lock and recovery file are gone


# -- screenshot -----------------------------------------------------------------------------
def test_screenshot_shows_nodes_and_wires(qtbot, window, tmp_path):
    from PySide6.QtGui import QColor

    from widgets import theme
    window.resize(1400, 860)
    window.fit()
    qtbot.wait(20)
    img = window.grab().toImage()
    path = tmp_path / "window.png"
    assert img.save(str(path)) and path.stat().st_size > 10_000
    canvas_bg = QColor(theme.current()["canvas"])

    def at(scene_pt):
        p = window.view.mapTo(window, window.view.mapFromScene(scene_pt))
        return img.pixelColor(p.x() * img.width() // window.width(),
                              p.y() * img.height() // window.height())

    def differs(c, ref, tol=24):
        return max(abs(c.red() - ref.red()), abs(c.green() - ref.green()),
                   abs(c.blue() - ref.blue())) > tol

    z = window.scene.node_item(by_name(window, "z").id)
    body = z.sceneBoundingRect()
    assert differs(at(QPointF(body.center().x(), body.bottom() - 6)), canvas_bg, 8)
    wire = window.scene.wire_item(Wire(by_name(window, "xw").id, by_name(window, "z").id,
                                       "input"))
    mid = wire.path().pointAtPercent(0.5)
    hits = [at(wire.mapToScene(mid) + QPointF(dx, dy)) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    assert any(differs(c, canvas_bg, 40) for c in hits)
    empty = QPointF(body.center().x(), body.bottom() + 300)
    if not any(i.sceneBoundingRect().contains(empty) for i in window.scene.items()):
        assert not differs(at(empty), canvas_bg, 30)


# -- the PyTorch code panel ------------------------------------------------------------------
def test_code_dock_follows_every_edit(qtbot, window):
    """Bottom panel, tabbed with Log and History: the exporter's script of the document,
    rebuilt after each command (coalesced by the window's refresh), undo included."""
    from engine.document import export
    cv = window.code_view
    area = window.dockWidgetArea
    assert area(window.code_dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    assert window.code_dock in window.tabifiedDockWidgets(window.log_dock)
    assert window.code_dock.toggleViewAction() in window.docks_menu.actions()
    window.code_dock.raise_()
    qtbot.waitUntil(cv.is_shown, timeout=2000)
    doc = window.document()
    assert cv.editor.toPlainText() == export.to_script(doc, "torch", results=window.results(),
                                                       prints="simple")
    z = by_name(window, "z").id
    builds = cv.build_count
    window.rename_node(z, "logits")  # a command, as the inspector sends it
    window.set_param(by_name(window, "w").id, "shape", (5, 4))  # -> y is now 3 vs 4: error
    window.set_param(by_name(window, "y").id, "shape", (4,))
    qtbot.waitUntil(lambda: "logits = xw + b" in cv.editor.toPlainText(), timeout=2000)
    assert "torch.randn(5, 4," in cv.editor.toPlainText()
    assert "torch.zeros(4)" in cv.editor.toPlainText()
    assert cv.build_count == builds + 1  # three edits, one coalesced refresh
    assert "z = " not in cv.editor.toPlainText()
    # an unconnected required input: the exporter's message instead of code
    wire = Wire(by_name(window, "xw").id, z, "input")
    window.on_disconnect_requested(wire)
    qtbot.waitUntil(lambda: cv.error() is not None, timeout=2000)
    assert "not connected" in cv.editor.toPlainText() and cv.message.isVisible()
    window.undo_stack.undo()
    qtbot.waitUntil(lambda: "logits = xw + b" in cv.editor.toPlainText(), timeout=2000)
    for _ in range(3):
        window.undo_stack.undo()
    qtbot.waitUntil(lambda: "z = xw + b" in cv.editor.toPlainText(), timeout=2000)
    assert cv.editor.toPlainText() == export.to_script(doc, "torch", results=window.results(),
                                                       prints="simple")
    # the copy button puts it on the clipboard
    cv.copy_button.click()
    assert QApplication.clipboard().text() == cv.editor.toPlainText()


def test_hidden_code_tab_costs_nothing_until_shown(qtbot, window):
    cv = window.code_view
    window.log_dock.raise_()
    qtbot.waitUntil(lambda: not cv.is_shown(), timeout=2000)  # the tab behind the log
    builds = cv.build_count
    b = by_name(window, "b").id
    for i in range(3):
        window.rename_node(b, f"bias{i}")
        window.refresh_results()
    assert cv.build_count == builds
    window.code_dock.raise_()
    qtbot.waitUntil(lambda: "bias2 = torch.randn(3" in cv.editor.toPlainText(), timeout=2000)
    assert cv.build_count == builds + 1


def test_start_up_does_not_import_networkx():
    """networkx costs 0.1-0.5 s of the start-up: the window with the tutorial, a forward, the
    backward graph and the code panel all run without it (only auto-layout loads it)."""
    script = (
        "import os, sys, tempfile\n"
        "os.environ['GRADCANVAS_SETTINGS_DIR'] = tempfile.mkdtemp()\n"
        "os.environ['GRADCANVAS_RECOVERY_DIR'] = tempfile.mkdtemp()\n"
        "from PySide6.QtTest import QTest\n"
        "from app.main_window import create_application, startup_window\n"
        "app = create_application()\n"
        "w = startup_window(); w.show(); w.code_dock.raise_(); QTest.qWait(300)\n"
        "assert w.code_view.text().startswith('# Generated'), w.code_view.text()\n"
        "ctl = w.autograd\n"
        "if ctl is not None and hasattr(ctl, 'update_backward_view_now'):\n"
        "    ctl.update_backward_view_now()\n"
        "    assert ctl.backward_view.graph_items()\n"
        "print('networkx' in sys.modules, round(w.startup_ms))\n"
        "w.undo_stack.setClean(); w.close()\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "False", r.stdout


def test_inspector_grad_warning_label_has_a_parent(qtbot, window):
    before = {id(w) for w in QApplication.topLevelWidgets()}
    for name in ("z", "w", "loss", "z"):
        window.scene.select_nodes([by_name(window, name).id])
        qtbot.waitUntil(lambda n=name: window.inspector.node_id == by_name(window, n).id,
                        timeout=2000)
    label = window.inspector.grad_warning
    assert label.objectName() == "gradWarning"
    assert label.parent() is not None and window.inspector.isAncestorOf(label)
    flush_deletes()
    stray = [w for w in QApplication.topLevelWidgets()
             if id(w) not in before and w.parent() is None and isinstance(w, QLabel)]
    assert stray == []
