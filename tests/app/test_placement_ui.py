"""Issue 9 item 4: new nodes land in free space, in view -- real palette, real commands."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from engine.document.placement import overlaps

from .test_autograd_ui import controller, nid, select, settle, trigger

pytestmark = pytest.mark.gui


@pytest.fixture
def win(window, qtbot):
    controller(window)
    settle(qtbot, window)
    return window


def _rect(item):
    r = item.mapRectToScene(item.body_rect())
    return (r.x(), r.y(), r.width(), r.height())


def _assert_apart(rects):
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not overlaps(a, b), (a, b)


def _double_click_palette(qtbot, win, key):
    tree = win.palette.tree
    item = win.palette.op_item(key)
    tree.scrollToItem(item)
    tree.setCurrentItem(item)
    tree.setFocus()
    QTest.keyClick(tree, Qt.Key.Key_Return)  # activate it, as a double-click does
    settle(qtbot, win)


def test_ten_palette_additions_do_not_overlap_and_stay_in_view(qtbot, win):
    win.resize(1920, 1080)
    qtbot.wait(20)
    win.undo_stack.setClean()
    trigger(qtbot, win, "new")
    qtbot.wait(20)
    for _ in range(10):
        _double_click_palette(qtbot, win, "randn")
    items = win.scene.node_items()
    assert len(items) == 10
    qtbot.wait(20)
    rects = [_rect(i) for i in items]  # their real size, results and previews included
    _assert_apart(rects)
    vis = win.view.mapToScene(win.view.viewport().rect()).boundingRect()
    for x, y, w, h in rects:
        assert vis.contains(QPointF(x, y)) and vis.contains(QPointF(x + w, y + h)), \
            ((x, y, w, h), vis)


def test_palette_addition_into_the_tutorial_avoids_its_nodes(qtbot, win):
    before = [_rect(i) for i in win.scene.node_items()]
    for _ in range(3):
        _double_click_palette(qtbot, win, "exp")
    rects = [_rect(i) for i in win.scene.node_items()]
    assert len(rects) == len(before) + 3
    _assert_apart(rects)


def test_detach_node_overlaps_nothing(qtbot, win):
    select(qtbot, win, "z")
    trigger(qtbot, win, "detach")
    det = win.document().node_by_name("z_det")
    assert det is not None
    settle(qtbot, win)
    _assert_apart([_rect(i) for i in win.scene.node_items()])
    # next to where it came from: within a few node widths of z
    z = win.scene.node_item(nid(win, "z"))
    d = win.scene.node_item(det.id)
    assert (d.pos() - z.pos()).manhattanLength() < 900


def test_a_node_added_at_a_wire_drop_stays_clear_of_the_docks(qtbot, win):
    """Dropped near the view's right edge: the node keeps inside the view, not under the
    inspector."""
    view = win.view
    vp = view.viewport().rect()
    drop = view.mapToScene(vp.right() - 10, vp.center().y())
    new = win.add_node("exp", drop, connect_from=nid(win, "z"))
    settle(qtbot, win)
    item = win.scene.node_item(new)
    x, y, w, h = _rect(item)
    vis = view.mapToScene(vp).boundingRect()
    assert x + w <= vis.right() and x >= vis.left()
    _assert_apart([_rect(i) for i in win.scene.node_items()])
