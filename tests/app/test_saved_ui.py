"""Issue 14, "What each grad_fn saved": the inspector lists the selected node's _saved_*
tensors (clicked on the canvas), shows them freed after a backward without retain_graph, and
the backward-graph view's tooltip lists them too."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt

from engine.autograd.graph import FREED_MSG
from tests.app.conftest import send_mouse
from tests.app.test_autograd_ui import controller, settle
from tests.app.test_backward_timeline import click_action
from tests.app.test_why_none_ui import click_node

pytestmark = pytest.mark.gui


@pytest.fixture
def win(window, qtbot):
    controller(window)
    settle(qtbot, window)
    return window


def test_inspector_lists_saved_tensors_then_freed(qtbot, win):
    click_node(qtbot, win, "loss")
    box = win.inspector.saved_box
    assert box.isVisible()
    text = box.plain_text()
    assert text.startswith("BinaryCrossEntropyWithLogitsBackward0 (loss): holds 24 bytes")
    assert "_saved_self: [3] torch.float32" in text and "← z" in text
    assert "_saved_target: [3] torch.float32 [0, 0, 0] ← y" in text
    click_action(qtbot, win, "backward")
    click_node(qtbot, win, "z")
    click_node(qtbot, win, "loss")
    text = win.inspector.saved_box.plain_text()
    assert "freed by backward" in text and "_saved_self: freed" in text
    assert FREED_MSG in text
    # a leaf saves nothing: no box
    click_node(qtbot, win, "w")
    assert not win.inspector.saved_box.isVisible()


def test_backward_graph_tooltip_lists_what_each_grad_fn_saved(qtbot, win):
    ctl = controller(win)
    ctl.update_backward_view_now()
    view = ctl.backward_view
    items = [it for it in view._items.values()
             if it.fn is not None and type(it.fn).__name__ ==
             "BinaryCrossEntropyWithLogitsBackward0"]
    assert len(items) == 1
    item = items[0]
    # a real hover: mouse moves over the view's viewport; the item builds its tooltip
    assert view.isVisible()
    pos = QPointF(view.mapFromScene(item.sceneBoundingRect().center()))
    for p in (pos + QPointF(-40, -40), pos):
        send_mouse(view, QEvent.Type.MouseMove, p, buttons=Qt.MouseButton.NoButton)
    qtbot.waitUntil(lambda: "saved for backward" in item.toolTip(), timeout=2000)
    tip = item.toolTip()
    assert "saved for backward — holds 24 bytes for backward:" in tip
    assert "_saved_self: [3] torch.float32" in tip
