"""Issue 14, "Many backward calls": the timeline dock lists every backward / zero_grad call and
draws each leaf's .grad over the calls as a sparkline -- driven by clicks on the toolbar."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget

from tests.app.test_autograd_ui import act, controller, nid, settle

pytestmark = pytest.mark.gui


@pytest.fixture
def win(window, qtbot):
    controller(window)
    settle(qtbot, window)
    return window


def click_action(qtbot, w, key):
    """A real click on the action's toolbar button."""
    a = act(w, key)
    button = None
    for tb in (controller(w).toolbar, w.toolbar):
        button = tb.widgetForAction(a)
        if button is not None:
            break
    assert button is not None and button.isEnabled(), key
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(qtbot, w)


def timeline(qtbot, w):
    ins = controller(w).insight
    qtbot.waitUntil(lambda: not ins._timer.isActive(), timeout=2000)
    return ins.timeline


def test_backward_twice_zero_then_once_more_g_2g_0_g(qtbot, win):
    dock = win.findChild(QDockWidget, "dock_backward_timeline")
    assert dock is not None and not dock.isVisible()  # nothing to show before a backward
    QTest.mouseClick(controller(win).retain_box, Qt.MouseButton.LeftButton)
    settle(qtbot, win)
    assert win.document().settings.retain_graph is True
    click_action(qtbot, win, "backward")
    assert dock.isVisible()
    click_action(qtbot, win, "backward")
    click_action(qtbot, win, "zero_grads")
    click_action(qtbot, win, "backward")
    t = timeline(qtbot, win)
    assert t.summary.text() == "3 backward calls"
    assert t.call_texts() == ["loss.backward()", "loss.backward()", "every .grad.zero_()",
                              "loss.backward()"]
    rows = t.table.rowCount()
    retain = [t.table.item(r, 3).text() for r in range(rows)]
    assert retain == ["True", "True", "", "True"]
    # the graph-version counter: both calls ran on one retained graph
    versions = [t.table.item(r, 4).text() for r in range(rows)]
    assert versions[0] == versions[1] == versions[3]
    # retain_graph kept the buffers: the counter says how much they hold
    assert t.version_label.text() == (f"graph v{win.executor().graph_version} · "
                                      "44 bytes saved for backward")
    # the sparkline of w: g, 2g, 0 (zero_grad), g, with g = ||w.grad|| of one call
    w_id = nid(win, "w")
    g = win.executor().results[w_id].grad.numpy()
    n = float(np.linalg.norm(g))
    spark = t.sparklines[w_id]
    assert spark.values == pytest.approx([n, 2 * n, 0.0, n], rel=1e-6)
    assert spark.kinds == ["backward", "backward", "zero_grad", "backward"]
    pts = spark.points()
    assert pts[1].y() < pts[0].y() < pts[2].y()  # 2g drawn highest, 0 at the bottom
    assert pts[3].y() == pytest.approx(pts[0].y())
    # what each leaf received: the same g each call
    assert t.table.item(1, 5).text().startswith("w += [")
    assert set(t.sparklines) == {w_id, nid(win, "b")}
    spark.grab()  # paints without error


def test_a_failing_second_backward_is_a_row_with_torchs_error(qtbot, win):
    click_action(qtbot, win, "backward")
    click_action(qtbot, win, "backward")
    t = timeline(qtbot, win)
    assert t.summary.text() == "2 backward calls"
    err = t.table.item(1, 5).text()
    assert err.startswith("Trying to backward through the graph a second time")
    assert err == controller(win).last_error
    assert t.version_label.text().endswith("· 0 bytes saved for backward")  # freed
    w_id = nid(win, "w")
    spark = t.sparklines[w_id]
    assert spark.values[0] == spark.values[1]  # the failed call changed nothing


def test_a_model_with_many_leaves_keeps_the_window_its_size(qtbot, win):
    """An imported model has thousands of parameters: the timeline caps its sparklines and
    scrolls them, so Backward and Zero grads neither grow the window (a window resized 562
    times, 112 s, on a 5,000-node import) nor rebuild a widget per leaf."""
    from widgets.backward_timeline import MAX_RECEIVED, MAX_SPARKLINES, Sparkline
    doc = win.document()
    doc.clear()
    n = MAX_SPARKLINES * 4
    st = doc.add_node("stack", "st")
    for i in range(n):
        leaf = doc.add_node("randn", f"p{i}", {"shape": [2], "seed": i}, requires_grad=True)
        doc.connect(leaf.id, st.id, "tensors", i)
    loss = doc.add_node("sum", "loss")
    doc.connect(st.id, loss.id, "input")
    doc.settings.root = loss.id
    settle(qtbot, win)
    size = win.size()
    click_action(qtbot, win, "backward")
    click_action(qtbot, win, "zero_grads")
    t = timeline(qtbot, win)
    assert win.size() == size
    sparks = t.leaves_box.findChildren(Sparkline)
    assert len(sparks) == len(t.sparklines) == MAX_SPARKLINES
    assert t.more_leaves.isVisible() or not t.isVisible()
    assert t.more_leaves.text().startswith(f"+{n - MAX_SPARKLINES} more leaves")
    received = t.table.item(0, 5).text()
    assert received.count(" += ") == MAX_RECEIVED
    assert received.endswith(f"… and {n - MAX_RECEIVED} more leaves")
    dock = win.findChild(QDockWidget, "dock_backward_timeline")
    assert dock.minimumSizeHint().height() < win.height() // 2


def test_a_narrow_dock_stacks_the_sparklines_under_the_calls(qtbot, win):
    """At 1440x900 the dock is a few hundred pixels wide: side by side, the table cut its
    "call" column. Narrow, the sparklines go under the table and the columns fit."""
    click_action(qtbot, win, "backward")
    t = timeline(qtbot, win)
    t.resize(360, 320)
    settle(qtbot, win)
    assert t.leaves_scroll.geometry().top() >= t.table.geometry().bottom()
    header = t.table.horizontalHeader()
    assert header.sectionViewportPosition(1) + header.sectionSize(1) <= \
        t.table.viewport().width()
    t.resize(900, 320)
    settle(qtbot, win)
    assert t.leaves_scroll.geometry().left() >= t.table.geometry().right()
