"""Issue 9 item 3: readable at 1440x900 and 1920x1080 -- metrics that hold on any machine
(font sizes relative to the menus', text advances against the item's own width)."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QRect
from PySide6.QtGui import QCursor, QFontInfo
from PySide6.QtWidgets import QApplication

from app import commands as C
from widgets.canvas.style import style
from widgets.canvas.view import READABLE_SCALE

from .test_autograd_ui import controller, nid, select, settle, trigger

pytestmark = pytest.mark.gui
EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "resources" / "examples")
                  .glob("*.json"))


@pytest.fixture
def win(window, qtbot):
    controller(window)
    settle(qtbot, window)
    return window


def test_node_text_at_100_percent_is_as_large_as_the_menus(qtbot, win):
    win.set_theme("dark")  # the canvas style is built from the themed widget font
    menu_px = QFontInfo(win.menuBar().font()).pixelSize()
    win.view.resetTransform()
    assert win.view.zoom() == 1.0
    s = style()
    assert QFontInfo(s.title_font).pixelSize() >= menu_px
    assert QFontInfo(s.small_font).pixelSize() >= menu_px  # the op title, ports, flags
    assert QFontInfo(s.mono_font).pixelSize() >= 0.9 * menu_px  # shapes and grad_fns


def test_the_loss_header_shows_its_whole_op_name(qtbot, win):
    loss = win.scene.node_item(nid(win, "loss"))
    s = style()
    assert loss.is_root
    assert loss._title_text == "binary_cross_entropy_with_logits"
    assert loss._name_text == "loss"
    # the title's advance fits in the header right of the name and the root badge
    left = loss.PAD + 2 + s.title_fm.horizontalAdvance("loss") + 6 + \
        s.small_fm.horizontalAdvance("root")
    assert loss._title_x >= left
    assert loss._title_x + s.small_fm.horizontalAdvance(loss._title_text) <= loss.WIDTH
    assert "binary_cross_entropy_with_logits" in loss.toolTip()
    # the grad_fn line fits too, unsqueezed
    line = next(t for t in loss._lines if t[0].startswith("BinaryCrossEntropy"))
    assert line[0] == "BinaryCrossEntropyWithLogitsBackward0" and line[4] == 1.0


def test_a_long_name_is_elided_in_the_middle_within_the_cap(qtbot, win):
    doc = win.document()
    cmd = C.AddNode(doc, "F.binary_cross_entropy_with_logits", pos=(0, 900),
                    name="a_really_long_variable_name_for_the_loss_of_the_model")
    refused = []
    win.scene.refused.connect(refused.append)
    assert win.push(cmd), win.statusBar().currentMessage()
    settle(qtbot, win)
    item = win.scene.node_item(cmd.node_id)
    s = style()
    assert item.WIDTH == item.WIDTH_MAX
    assert item._title_x + s.small_fm.horizontalAdvance(item._title_text) <= item.WIDTH
    assert item._title_x >= item.PAD + s.title_fm.horizontalAdvance(item._name_text)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("size", [(1440, 900), (1920, 1080)])
def test_examples_open_fitted_but_readable(qtbot, win, path, size):
    win.resize(*size)
    qtbot.wait(20)
    assert win.files.load(str(path))
    settle(qtbot, win)
    qtbot.wait(30)  # the deferred fit
    z = win.view.zoom()
    assert READABLE_SCALE - 1e-6 <= z <= 1.0
    # some node is in view, its header readable (the graph's start when it does not fit)
    vis = win.view.mapToScene(win.view.viewport().rect()).boundingRect()
    assert any(vis.intersects(i.sceneBoundingRect()) for i in win.scene.node_items())


def _move_cursor_to(view, local: QPoint):
    QCursor.setPos(view.viewport().mapToGlobal(local))
    QApplication.processEvents()


def test_ctrl_plus_zooms_about_the_cursor_over_the_canvas(qtbot, win):
    view = win.view
    item = win.scene.node_item(nid(win, "z"))
    target = item.sceneBoundingRect().center()
    local = view.mapFromScene(target)
    _move_cursor_to(view, local)
    if QApplication.widgetAt(QCursor.pos()) is not view.viewport():
        pytest.skip("this platform plugin cannot place the cursor")
    z0 = view.zoom()
    trigger(qtbot, win, "zoom_in")
    assert view.zoom() > z0 * 1.2
    after = view.mapFromScene(target)
    assert (after - local).manhattanLength() <= 2
    trigger(qtbot, win, "zoom_out")
    assert (view.mapFromScene(target) - local).manhattanLength() <= 2


def test_ctrl_plus_zooms_about_the_selection_when_the_cursor_is_elsewhere(qtbot, win):
    view = win.view
    QCursor.setPos(win.inspector.mapToGlobal(QPoint(10, 10)))  # over the inspector
    QApplication.processEvents()
    select(qtbot, win, "w")
    item = win.scene.node_item(nid(win, "w"))
    c = item.sceneBoundingRect().center()
    before = QPointF(view.mapFromScene(c))
    assert view.viewport().rect().contains(before.toPoint())
    trigger(qtbot, win, "zoom_in")
    trigger(qtbot, win, "zoom_in")
    after = QPointF(view.mapFromScene(c))
    assert (after - before).manhattanLength() <= 3
    assert view.viewport().rect().contains(after.toPoint())  # not pushed out of view


def test_value_and_grad_of_the_selected_node_visible_without_scrolling(qtbot, win):
    win.resize(1440, 900)
    qtbot.wait(20)
    trigger(qtbot, win, "backward")
    select(qtbot, win, "w")
    insp = win.inspector
    assert insp.node_id == nid(win, "w")
    assert "grad" in insp.grad_text.toPlainText() or "tensor(" in insp.grad_text.toPlainText()
    port = insp  # value and .grad sit below the params' scroll area (test_inspector_layout)
    shown = QRect(QPoint(0, 0), port.size())
    for widget in (insp.value_text, insp.grad_text):
        top = widget.mapTo(port, QPoint(0, 0))
        r = QRect(top, widget.size())
        visible = r.intersected(shown)
        # the first lines of each tensor on screen, with the scroll bar at the top (the
        # inspector's own layout decides how much more fits)
        assert visible.height() >= 2 * widget.fontMetrics().height(), (widget, r, shown)
    assert insp.scroll.verticalScrollBar().value() == 0


def test_bottom_docks_show_a_useful_number_of_lines(qtbot, win):
    win.resize(1440, 900)
    qtbot.wait(20)
    undo = win.undo_view
    win.undo_dock.raise_()
    qtbot.wait(10)
    assert undo.viewport().height() >= 6 * undo.fontMetrics().height()


def test_zoomed_out_nodes_still_show_their_names(qtbot, win):
    """Level of detail: below LOD_TEXT the name and shape in a large font."""
    from widgets.canvas.style import LOD_BOX, LOD_TEXT
    view = win.view
    item = win.scene.node_item(nid(win, "w"))
    for zoom in ((LOD_BOX + LOD_TEXT) / 2, LOD_BOX * 0.7):
        view.resetTransform()
        view.scale(zoom, zoom)
        view.centerOn(item.sceneBoundingRect().center())
        QApplication.processEvents()
        img = view.viewport().grab().toImage()
        body = view.mapFromScene(item.mapToScene(item.body_rect())).boundingRect()
        text = style().text_pen.color()
        lit = sum(1 for y in range(body.top() + 2, body.bottom() - 1)
                  for x in range(body.left() + 2, body.right() - 1)
                  if abs(img.pixelColor(x, y).lightness() - text.lightness()) < 30)
        assert lit > 15, zoom  # text pixels in the body


def test_no_text_on_the_tutorials_nodes_is_elided(qtbot, win):
    for item in win.scene.node_items():
        texts = [item._name_text, item._title_text] + [t[0] for t in item._lines]
        assert not any("…" in t for t in texts), (item.name, texts)
        assert item._title_text == item.title
