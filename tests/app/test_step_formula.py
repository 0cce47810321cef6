"""Issue 14, "The formula on every edge": during step-through the Chain rule dock shows each
grad_fn's vector-Jacobian product with numbers -- clicks on the toolbar and the step panel."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget

from engine.document.vjp import numbers
from tests.app.test_autograd_ui import controller, settle
from tests.app.test_backward_timeline import click_action
from tests.document.test_vjp import broadcast_doc

pytestmark = pytest.mark.gui


@pytest.fixture
def win(window, qtbot):
    controller(window)
    settle(qtbot, window)
    return window


def next_click(qtbot, w):
    QTest.mouseClick(controller(w).step_panel.next_button, Qt.MouseButton.LeftButton)
    settle(qtbot, w)
    return controller(w).insight.formula


def test_tutorial_steps_show_each_formula_with_numbers(qtbot, win):
    dock = win.findChild(QDockWidget, "dock_step_formula")
    assert not dock.isVisible()
    click_action(qtbot, win, "step")
    assert dock.isVisible()
    view = controller(win).insight.formula
    assert view.title.text().startswith("Before backward")
    player = controller(win).player
    steps = []
    while not player.at_end:
        view = next_click(qtbot, win)
        steps.append((player.current.name, view.plain_text()))
        assert view.title.text().startswith(f"step {player.index + 1} / {len(player.steps)}")
    seen = dict(steps)
    bce = seen["BinaryCrossEntropyWithLogitsBackward0"]
    assert "grad_self = grad * (sigmoid(self) - target) / N" in bce
    assert bce.splitlines()[1] == "grad = 1"  # the implicit seed of a scalar root
    add = seen["AddBackward0"]
    assert "AddBackward0: grad_self = grad; grad_other = grad" in add
    assert "→ grad_other = " in add and "→ b" in add
    mm = seen["MmBackward0"]
    assert "MmBackward0: grad_self = grad @ mat2.T; grad_mat2 = self.T @ grad" in mm
    # the numbers: what AccumulateGrad wrote into w.grad is the live w.grad
    w_grad = win.executor().results[win.document().node_by_name("w").id].grad.numpy()
    acc_w = [t for n, t in steps if t.startswith("AccumulateGrad  (w)")]
    assert len(acc_w) == 1
    assert f"w.grad was None → w.grad = grad = {numbers(w_grad)}" in acc_w[0]


def test_broadcast_shows_sum_to_and_the_leaf_accumulates_across_calls(qtbot, window):
    w = window
    doc = broadcast_doc()
    doc.set_setting("retain_graph", True)
    w.set_document(doc)
    controller(w)
    settle(qtbot, w)
    click_action(qtbot, w, "backward")  # a first call: w.grad = [5, 7, 9]
    click_action(qtbot, w, "step")
    player = controller(w).player
    texts = []
    while not player.at_end:
        texts.append(next_click(qtbot, w).plain_text())
    mul = next(t for t in texts if t.startswith("MulBackward0"))
    assert "→ grad_other = sum_to([3])(grad) = [5, 7, 9] → w" in mul
    assert "other = [0.5, -1, 2]  (w)" in mul
    acc = texts[-1]
    assert acc.startswith("AccumulateGrad  (w)")
    assert "w.grad = [5, 7, 9] + [5, 7, 9] = [10, 14, 18]" in acc
    np.testing.assert_array_equal(
        w.executor().results[doc.node_by_name("w").id].grad.numpy(), [10.0, 14.0, 18.0])
    # closing the step-through clears the view
    controller(w).steps.stop()
    assert controller(w).insight.formula.plain_text() == ""
