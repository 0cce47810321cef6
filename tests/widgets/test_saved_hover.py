"""Issue 14, "What each grad_fn saved": in the inspector and in the backward-graph dock each
saved tensor names the forward node it came from, and hovering its row (real pointer moves)
rings that node on the canvas and, in the backward graph, the grad_fn that produced it;
leaving the row clears both."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from tests.app import conftest as _app
from tests.app.conftest import send_mouse
from tests.app.test_autograd_ui import controller, settle
from tests.app.test_backward_timeline import click_action
from tests.app.test_why_none_ui import click_node, nid

pytestmark = pytest.mark.gui

# the app-shell fixtures (isolated settings, no modal dialogs, closed windows)
isolated_app_dirs = _app.isolated_app_dirs
restore_app_globals = _app.restore_app_globals
dialogs = _app.dialogs
make_window = _app.make_window


@pytest.fixture
def win(make_window, qtbot):
    w = make_window()  # the tutorial: x, y, w, b -> xw -> z -> loss
    controller(w)
    settle(qtbot, w)
    return w


def hover(qtbot, widget) -> None:
    """The pointer moves onto ``widget`` (Qt sends it the Enter event), scrolled into view
    first as a person would scroll the inspector."""
    from PySide6.QtWidgets import QScrollArea
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    if parent is not None:
        parent.ensureWidgetVisible(widget, 0, 0)
        qtbot.wait(20)
        # from the list's corner: a scroll may have put the row under a pointer at rest
        QTest.mouseMove(parent.viewport(), QPoint(1, 1))
        qtbot.wait(20)
    seen = widget.visibleRegion().boundingRect()
    assert not seen.isEmpty(), "the row is not on screen"
    at = QPoint(seen.left() + 4, seen.center().y())
    QTest.mouseMove(widget, at)
    qtbot.wait(20)


def row_for(box, name):
    rows = [r for r in box.rows() if r.text().strip().startswith((name + ":", name + " ="))]
    assert rows, (name, box.plain_text())
    return rows[0]


def ring_rect(win, node_name):
    item = win.scene.node_item(nid(win, node_name))
    ring = win.scene._source_mark[1]
    assert ring.parentItem() is item and ring.scene() is win.scene
    return ring.sceneBoundingRect(), item.sceneBoundingRect()


def test_inspector_row_names_its_source_and_hover_rings_it(qtbot, win):
    click_node(qtbot, win, "loss")
    box = win.inspector.saved_box
    assert box.isVisible()
    z_row = row_for(box, "_saved_self")
    y_row = row_for(box, "_saved_target")
    assert z_row.text().endswith("← z") and y_row.text().endswith("← y")
    assert z_row.source_id == nid(win, "z") and y_row.source_id == nid(win, "y")
    assert win.scene.saved_source() is None
    hover(qtbot, z_row)
    assert win.scene.saved_source() == nid(win, "z")
    ring, node = ring_rect(win, "z")
    assert ring.contains(node.center()) and ring.width() >= node.width() * 0.9
    hover(qtbot, y_row)  # one row to the next: the ring follows
    assert win.scene.saved_source() == nid(win, "y")
    ring_rect(win, "y")
    # the pointer leaves the list: nothing ringed
    hover(qtbot, win.view.viewport())
    assert win.scene.saved_source() is None
    assert win.scene._source_mark is None


def test_rows_of_numbers_and_freed_tensors_highlight_nothing(qtbot, win):
    click_node(qtbot, win, "loss")
    reduction = row_for(win.inspector.saved_box, "_saved_reduction")
    assert reduction.text().strip() == "_saved_reduction = 1" and reduction.source_id is None
    hover(qtbot, reduction)
    assert win.scene.saved_source() is None
    click_action(qtbot, win, "backward")  # without retain_graph: the buffers go
    click_node(qtbot, win, "z")
    click_node(qtbot, win, "loss")
    freed = row_for(win.inspector.saved_box, "_saved_self")
    assert freed.text().strip() == "_saved_self: freed" and freed.source_id is None
    hover(qtbot, freed)
    assert win.scene.saved_source() is None


def backward_dock(qtbot, win):
    ctl = controller(win)
    ctl.backward_dock.show()
    ctl.backward_dock.raise_()
    qtbot.waitUntil(lambda: ctl.backward_view.isVisible(), timeout=2000)
    ctl.update_backward_view_now()
    return ctl.graph


def click_box(qtbot, view, item):
    pos = QPointF(view.mapFromScene(item.sceneBoundingRect().center()))
    send_mouse(view, QEvent.Type.MouseButtonPress, pos)
    send_mouse(view, QEvent.Type.MouseButtonRelease, pos)
    qtbot.wait(5)


def box_named(view, fn_name):
    items = [it for it in view.graph_items() if it.fn is not None
             and type(it.fn).__name__ == fn_name]
    assert len(items) == 1, fn_name
    return items[0]


def test_backward_graph_lists_the_clicked_grad_fns_saved_tensors(qtbot, win):
    graph = backward_dock(qtbot, win)
    view = graph.view
    assert not graph.saved_scroll.isVisible()
    bce = box_named(view, "BinaryCrossEntropyWithLogitsBackward0")
    click_box(qtbot, view, bce)
    assert bce.isSelected()
    box = graph.saved_box
    assert graph.saved_scroll.isVisible() and box.isVisible()
    text = box.plain_text()
    assert text.startswith("BinaryCrossEntropyWithLogitsBackward0 (loss): holds 24 bytes")
    z_row = row_for(box, "_saved_self")
    assert z_row.text().endswith("← z")
    # hover: the canvas rings z, the backward graph the grad_fn that produced z
    hover(qtbot, z_row)
    assert win.scene.saved_source() == nid(win, "z")
    add = box_named(view, "AddBackward0")
    assert graph.source_mark.marked == [add]
    (ring,) = graph.source_mark.rings
    assert ring.scene() is view.scene()
    assert ring.sceneBoundingRect().contains(add.sceneBoundingRect().center())
    # y was saved too (a constant: no box of its own in the backward graph)
    hover(qtbot, row_for(box, "_saved_target"))
    assert win.scene.saved_source() == nid(win, "y")
    hover(qtbot, view.viewport())
    assert win.scene.saved_source() is None and graph.source_mark.rings == []


def test_matmul_box_shows_internal_mm_with_its_source(qtbot, win):
    graph = backward_dock(qtbot, win)
    view = graph.view
    mm = box_named(view, "MmBackward0")
    click_box(qtbot, view, mm)
    text = graph.saved_box.plain_text()
    # a click selects every box of the node: matmul's SqueezeBackward4 and MmBackward0
    assert "SqueezeBackward4 (xw)" in text and "MmBackward0 (xw)" in text
    row = row_for(graph.saved_box, "_saved_self")
    # mm saved x.unsqueeze(0): a view of x's buffer, named as x
    assert row.source_id == nid(win, "x") and row.text().endswith("← x")
    hover(qtbot, row)
    assert win.scene.saved_source() == nid(win, "x")
    # x does not require grad: it has no box in the backward graph, nothing is ringed there
    assert view.items_for(nid(win, "x")) == [] and graph.source_mark.marked == []


def test_backward_graph_tooltip_names_the_source(qtbot, win):
    graph = backward_dock(qtbot, win)
    view = graph.view
    bce = box_named(view, "BinaryCrossEntropyWithLogitsBackward0")
    pos = QPointF(view.mapFromScene(bce.sceneBoundingRect().center()))
    for p in (pos + QPointF(-40, -40), pos):
        send_mouse(view, QEvent.Type.MouseMove, p, buttons=Qt.MouseButton.NoButton)
    qtbot.waitUntil(lambda: "saved for backward" in bce.toolTip(), timeout=2000)
    tip = bce.toolTip()
    assert "_saved_self: [3] torch.float32" in tip and "← z" in tip and "← y" in tip


def test_a_saved_leaf_rings_its_leaf_box(qtbot, make_window):
    """gradient_penalty: xw = x * w saves both leaves; hovering _saved_self rings x on the
    canvas and x's leaf box (light blue, under its AccumulateGrad) in the backward graph."""
    from pathlib import Path
    w = make_window(tutorial=False)
    controller(w)
    example = Path(__file__).resolve().parents[2] / "resources/examples/gradient_penalty.json"
    assert w.files.load(str(example))
    settle(qtbot, w)
    graph = backward_dock(qtbot, w)
    click_node(qtbot, w, "xw")  # the canvas selection selects xw's boxes in the view
    graph.follow_selection()
    box = graph.saved_box
    assert box.plain_text().startswith("MulBackward0 (xw): holds ")
    row = row_for(box, "_saved_self")
    assert row.source_id == nid(w, "x") and row.text().endswith("← x")
    hover(qtbot, row)
    assert w.scene.saved_source() == nid(w, "x")
    (leaf,) = graph.source_mark.marked
    assert leaf.kind == "leaf" and leaf.doc_id == nid(w, "x")
    hover(qtbot, row_for(box, "_saved_other"))
    assert w.scene.saved_source() == nid(w, "w")
    assert [it.doc_id for it in graph.source_mark.marked] == [nid(w, "w")]
