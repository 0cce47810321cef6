"""Issue 14, "Why is .grad None?": click a node on the canvas, click "why?" next to its None
.grad in the inspector, read the reason and the fix -- one test per reason, real clicks."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from engine._tensor import NON_LEAF_GRAD_WARNING
from tests.app.conftest import click_scene
from tests.app.test_autograd_ui import controller, nid, settle, trigger

pytestmark = pytest.mark.gui


@pytest.fixture
def win(window, qtbot):
    controller(window)
    settle(qtbot, window)
    return window


def click_node(qtbot, w, name):
    """A real left click on the node's title, as a person selects it."""
    item = w.scene.node_item(nid(w, name))
    r = item.sceneBoundingRect()
    click_scene(w.view, QPointF(r.center().x(), r.top() + 8))
    settle(qtbot, w)
    assert w.inspector.node_id == nid(w, name)


def why(qtbot, w, name) -> str:
    click_node(qtbot, w, name)
    row = w.inspector.why_row
    assert row.isVisible(), f"{name}.grad is not None: no why?"
    if not row.opened:
        QTest.mouseClick(row.button, Qt.MouseButton.LeftButton)
    assert row.text.isVisible()
    return row.plain_text()


def test_no_why_when_the_grad_exists_and_the_row_toggles(qtbot, win):
    trigger(qtbot, win, "backward")
    click_node(qtbot, win, "w")
    assert not win.inspector.why_row.isVisible()
    text = why(qtbot, win, "z")
    assert NON_LEAF_GRAD_WARNING in text
    QTest.mouseClick(win.inspector.why_row.button, Qt.MouseButton.LeftButton)
    assert not win.inspector.why_row.text.isVisible()


def test_why_non_leaf(qtbot, win):
    trigger(qtbot, win, "backward")
    text = why(qtbot, win, "z")
    assert "z is not a leaf (AddBackward0)" in text and NON_LEAF_GRAD_WARNING in text
    assert "z.retain_grad()" in text


def test_why_requires_grad_false(qtbot, win):
    trigger(qtbot, win, "backward")
    text = why(qtbot, win, "x")
    assert "x has requires_grad=False" in text and "tick requires_grad on x" in text


def test_why_no_grad_region(qtbot, win):
    controller(win).no_grad_frame([nid(win, "xw")])
    settle(qtbot, win)
    text = why(qtbot, win, "xw")
    assert "inside a torch.no_grad() block" in text and "move xw out" in text


def test_why_global_grad_mode(qtbot, win):
    trigger(qtbot, win, "grad_mode")
    assert win.document().settings.grad_enabled is False
    text = why(qtbot, win, "z")
    assert "torch.set_grad_enabled(False)" in text


def test_why_cut_by_detach(qtbot, win):
    det = controller(win).detach(nid(win, "z"))
    settle(qtbot, win)
    name = win.document().nodes[det].name
    text = why(qtbot, win, "loss")
    assert f"because {name}, which it is computed from, is cut from the graph by .detach()" \
        in text


def test_why_frozen(qtbot, win):
    controller(win).freeze([nid(win, "w")])
    settle(qtbot, win)
    trigger(qtbot, win, "backward")
    text = why(qtbot, win, "w")
    assert text.startswith("w is frozen (w.requires_grad_(False)") and "unfreeze w" in text


def test_why_not_on_any_path_from_the_root(qtbot, win):
    c = win.add_node("randn")
    win.set_flag(c, "requires_grad", True)
    settle(qtbot, win)
    trigger(qtbot, win, "backward")
    name = win.document().nodes[c].name
    text = why(qtbot, win, name)
    assert f"{name} is not on any path from loss" in text


def test_why_integer_dtype(qtbot, win):
    n = win.add_node("arange")
    settle(qtbot, win)
    name = win.document().nodes[n].name
    text = why(qtbot, win, name)
    assert "torch.int64" in text and "floating point and complex dtype" in text


def test_why_backward_not_run_yet_and_it_updates_after_backward(qtbot, win):
    text = why(qtbot, win, "w")
    assert "backward has not run yet" in text
    trigger(qtbot, win, "backward")
    click_node(qtbot, win, "w")
    assert not win.inspector.why_row.isVisible()
