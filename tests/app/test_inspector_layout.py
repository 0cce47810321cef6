"""Issue 9 at the default window sizes: the selected node's value and .grad both in view
without scrolling, and the docks laid out without a stray or squeezed one. Geometry only
(rects against rects), so it holds whatever fonts the machine has."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QDockWidget,
    QTabBar,
)

from app import commands as C

from .test_autograd_ui import controller, nid, select, settle, trigger

pytestmark = pytest.mark.gui
SIZES = [(1440, 900), (1920, 1080)]


@pytest.fixture
def win(window, qtbot):
    controller(window)
    settle(qtbot, window)
    return window


def _at(qtbot, win, size):
    win.resize(*size)
    qtbot.waitUntil(lambda: win.size().toTuple() == size, timeout=2000)
    qtbot.wait(20)


def rect_in(widget, ancestor) -> QRect:
    return QRect(widget.mapTo(ancestor, QPoint(0, 0)), widget.size())


def hidden_part(widget, top) -> list:
    """What hides part of `widget` below `top`: every ancestor (a scroll area's viewport,
    a splitter pane, the dock) that does not hold the widget's whole rect."""
    found = []
    parent = widget.parentWidget()
    while parent is not None:
        r = rect_in(widget, parent)
        if not QRect(QPoint(0, 0), parent.size()).contains(r):
            found.append((parent.objectName() or type(parent).__name__, r, parent.size()))
        if parent is top:
            break
        parent = parent.parentWidget()
    return found


def scroll_areas_between(widget, top) -> list:
    """Scroll areas between `widget` and `top` that are scrolled away from their origin."""
    out = []
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent, QAbstractScrollArea) and parent.verticalScrollBar().value():
            out.append(parent)
        parent = parent.parentWidget()
    return out


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_value_and_grad_of_w_both_in_view_after_backward(qtbot, win, size):
    _at(qtbot, win, size)
    trigger(qtbot, win, "backward")
    select(qtbot, win, "w")
    qtbot.wait(20)
    insp = win.inspector
    assert insp.node_id == nid(win, "w")
    assert insp.isVisible() and win.inspector_dock.isVisible()
    assert insp.grad_text.toPlainText().startswith("tensor([[")
    views = [insp.value_view, insp.grad_view, insp.value_text, insp.grad_text,
             insp.value_view.plot_widget, insp.grad_view.plot_widget]
    for widget in views:
        assert widget.isVisible(), widget.objectName()
        assert hidden_part(widget, win) == [], widget.objectName()
        assert scroll_areas_between(widget, win) == []
        # inside the window's visible area too (not under the status bar or off screen)
        assert QRect(QPoint(0, 0), win.size()).contains(rect_in(widget, win))
    # every line of w and w.grad (5 rows) is shown: their boxes have nothing to scroll
    for text in (insp.value_text, insp.grad_text):
        assert text.verticalScrollBar().maximum() == 0, text.objectName()
    # room goes to the heatmaps only once the params need no scrolling
    from widgets.tensor_view import HEATMAP_ROW_PX
    if insp.scroll.verticalScrollBar().maximum() > 2:
        assert insp.value_view.row_px == insp.grad_view.row_px == HEATMAP_ROW_PX
    # the params page keeps the node's name and its flags in view
    page = insp.scroll.viewport()
    assert page.isVisible()
    assert QRect(QPoint(0, 0), page.size()).contains(rect_in(insp.name_edit, page))
    assert page.height() >= insp.name_edit.height() * 3


def test_the_tensor_pane_is_hidden_with_nothing_selected(qtbot, win):
    _at(qtbot, win, SIZES[0])
    select(qtbot, win, "w")
    assert win.inspector.tensor_pane.isVisible()
    win.scene.select_nodes([])
    settle(qtbot, win)
    assert win.inspector.node_id is None
    assert not win.inspector.tensor_pane.isVisible()
    assert win.inspector.scroll.height() >= win.inspector.height() - 4


def test_a_large_tensor_scrolls_in_its_box_and_leaves_the_grad_in_view(qtbot, win):
    _at(qtbot, win, SIZES[0])
    doc = win.document()
    cmd = C.AddNode(doc, "randn", pos=(0, 1200), name="big",
                    params={"shape": (40, 20)}, requires_grad=True)
    assert win.push(cmd), win.statusBar().currentMessage()
    settle(qtbot, win)
    select(qtbot, win, "big")
    insp = win.inspector
    assert insp.value_text.toPlainText().count("\n") >= 39
    assert insp.value_text.verticalScrollBar().maximum() > 0  # it scrolls in its own box
    for widget in (insp.value_view, insp.grad_view):
        assert hidden_part(widget, win) == [], widget.objectName()
    assert insp.grad_text.toPlainText() == "None"


def _drag_handle(handle, dy):
    start = QPointF(handle.width() / 2, handle.height() / 2)
    glob = QPointF(handle.mapToGlobal(start.toPoint()))
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    mods = Qt.KeyboardModifier.NoModifier
    QApplication.sendEvent(handle, QMouseEvent(QEvent.Type.MouseButtonPress, start, glob,
                                               left, left, mods))
    for i in range(1, 5):
        step = QPointF(0, dy * i / 4)
        QApplication.sendEvent(handle, QMouseEvent(QEvent.Type.MouseMove, start + step,
                                                   glob + step, none, left, mods))
    QApplication.sendEvent(handle, QMouseEvent(QEvent.Type.MouseButtonRelease,
                                               start + QPointF(0, dy), glob + QPointF(0, dy),
                                               left, none, mods))


def test_a_dragged_splitter_keeps_the_users_sizes(qtbot, win):
    _at(qtbot, win, SIZES[1])
    select(qtbot, win, "w")
    sp = win.inspector.splitter
    before = sp.sizes()
    _drag_handle(sp.handle(1), -60)
    moved = sp.sizes()
    assert moved[0] < before[0] - 30, (before, moved)
    select(qtbot, win, "b")  # another node: the user's split stays
    select(qtbot, win, "w")
    assert sp.sizes() == moved


# -- docks ----------------------------------------------------------------------------------
def _docked(win):
    """The docks on screen: docked, shown, and in front of their tab group (Qt parks the
    others outside the window, still 'visible')."""
    inside = QRect(QPoint(0, 0), win.size())
    return [d for d in win.findChildren(QDockWidget)
            if d.isVisible() and not d.isFloating() and inside.intersects(d.geometry())]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_no_dock_overlaps_another_or_is_squeezed(qtbot, win, size):
    _at(qtbot, win, size)
    trigger(qtbot, win, "backward")  # shows the Backward calls dock beside the log
    qtbot.wait(20)
    docks = _docked(win)
    assert {d.objectName() for d in docks} >= {"dock_palette", "dock_inspector",
                                               "dock_log", "dock_backward_timeline"}
    for i, a in enumerate(docks):
        for b in docks[i + 1:]:
            assert not a.geometry().intersects(b.geometry()), (a.objectName(),
                                                               b.objectName())
    for d in docks:
        # usable: at least its own minimum, and a few lines of text by its title bar's measure
        inner = d.widget()
        assert inner.width() >= max(inner.minimumSizeHint().width(), 120), d.objectName()
        assert inner.height() >= max(inner.minimumSizeHint().height(), 80), d.objectName()
        assert QRect(QPoint(0, 0), win.size()).contains(d.geometry()), d.objectName()
    central = win.centralWidget().geometry()
    assert all(not central.intersects(d.geometry()) for d in docks)


def _stray_tab_bars(win) -> list:
    """Visible tab bars of the window's dock groups that lie over a dock or the canvas, or
    repeat a group that has its bar already."""
    bars = [b for b in win.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if b.isVisible()]
    stray, groups = [], set()
    for bar in bars:
        tabs = tuple(bar.tabText(i) for i in range(bar.count()))
        over = [d.objectName() for d in _docked(win) if bar.geometry().intersects(d.geometry())]
        if over or tabs in groups or bar.geometry().intersects(win.centralWidget().geometry()):
            stray.append((tabs, bar.geometry(), over))
        groups.add(tabs)
    return stray


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_no_stray_tab_bar_in_a_grab_taken_before_the_event_loop_turns(qtbot, size):
    """The clipped "Inspe..." over the bottom docks: spare tab bars Qt leaves behind when it
    builds the docks' tabs, only deleteLater()'d, so a window grabbed straight after show()
    (a screenshot script, a test) showed them where the inspector's bar was at 1400x860."""
    from app.main_window import create_application, startup_window
    create_application()
    win = startup_window(None)
    try:
        win.resize(*size)
        win.show()
        for _ in range(3):
            QApplication.processEvents()  # paints and relayouts, no deferred deletes
        assert win.size().toTuple() == size
        assert _stray_tab_bars(win) == []
        grabbed = win.grab()
        assert grabbed.width() >= size[0] - 1
    finally:
        win.undo_stack.setClean()
        win.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_no_stray_tab_bar_after_backward_and_the_bars_still_switch(qtbot, win, size):
    _at(qtbot, win, size)
    trigger(qtbot, win, "backward")  # shows the Backward calls dock
    qtbot.wait(20)
    assert _stray_tab_bars(win) == []
    # the group's bar still switches its docks (a real click)
    bar = next(b for b in win.findChildren(QTabBar) if b.isVisible() and b.count() and
               b.tabText(0) == "Inspector" and b.parent() is win)
    graph = win.findChild(QDockWidget, "dock_backward_graph")
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
    qtbot.wait(20)
    assert graph in _docked(win) and win.inspector_dock not in _docked(win)
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(0).center())
    qtbot.wait(20)
    assert win.inspector_dock in _docked(win) and bar.isVisible()
