"""The Train panel driven by real clicks: step, play/pause, N steps, reset, zero_grad off,
freeze mid-run, a NaN run; checked on the plots, the canvas nodes and the undo stack."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QStyle, QStyleOptionButton

from app.commands import SetSetting
from engine.document import fileformat

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def moons(make_window):
    return make_window(str(EXAMPLES / "two_moons.json"))


def nid(w, name):
    return w.document().node_by_name(name).id


def item(w, name):
    return w.scene.node_item(nid(w, name))


def value(w, name) -> np.ndarray:
    return item(w, name).value_array().detach().numpy().copy()


def points(curve) -> int:
    x, _ = curve.getData()
    return 0 if x is None else len(x)


def click(widget):
    if isinstance(widget, QCheckBox):  # on the indicator: a check box's label may be short
        opt = QStyleOptionButton()
        widget.initStyleOption(opt)
        r = widget.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, opt, widget)
        QTest.mouseClick(widget, LEFT, pos=r.center())
    else:
        QTest.mouseClick(widget, LEFT)


def wait_stopped(qtbot, w):
    qtbot.waitUntil(lambda: not w.train.timer.isActive(), timeout=20000)


def test_one_step_updates_plots_canvas_and_undo(moons):
    w, p = moons, moons.train.panel
    assert w.train.dock.isVisible()  # a document with a training setup shows the panel
    start = value(w, "w1")
    click(p.step)
    assert len(w.train.history) == 1 and points(p.loss_curve) == 1
    assert p.status.text().startswith("step 1 · loss 0.755100")
    assert w.undo_stack.text(w.undo_stack.index() - 1) == "Train 1 step"
    it = item(w, "w1")
    assert it.grad_count() == 1 and it.grad_array() is not None
    assert not np.array_equal(it.value_array(), start)  # the canvas shows the stepped value
    assert p.boundary.image.shape == (48, 48)  # two moons: a decision boundary


def test_play_pause_is_one_undo_step_and_undo_puts_values_back(qtbot, moons):
    w, p = moons, moons.train.panel
    start = value(w, "w1")
    depth = w.undo_stack.index()
    click(p.play)
    assert p.play.isChecked() and p.play.text() == "Pause"
    # the event loop runs between slices: a queued callback gets in while training
    seen = []
    QTimer.singleShot(0, lambda: seen.append(w.train.timer.isActive()))
    qtbot.waitUntil(lambda: len(w.train.history) >= 30, timeout=20000)
    assert seen == [True]
    click(p.play)
    assert not w.train.timer.isActive() and p.play.text() == "Play"
    n = len(w.train.history)
    assert points(p.loss_curve) == n and points(p.lr_curve) == n
    assert len(p.grad_curves) == 6 and len(p.value_curves) == 6
    assert w.undo_stack.index() == depth + 1
    assert w.undo_stack.text(depth) == f"Train {n} steps"
    trained = value(w, "w1")
    np.testing.assert_array_equal(trained, w.train.trainer.parameters()[nid(w, "w1")])
    w.undo_stack.undo()
    np.testing.assert_array_equal(value(w, "w1"), start)
    assert points(p.loss_curve) == 0 and item(w, "w1").grad_count() == 0
    w.undo_stack.redo()
    np.testing.assert_array_equal(value(w, "w1"), trained)
    assert points(p.loss_curve) == n


def test_run_n_steps_then_reset(qtbot, moons):
    w, p = moons, moons.train.panel
    start = value(w, "b3")
    p.n_steps.setValue(40)
    click(p.run_n)
    wait_stopped(qtbot, w)
    assert len(w.train.history) == 40 and points(p.loss_curve) == 40
    assert w.train.history[-1].loss < w.train.history[0].loss
    click(p.reset)
    np.testing.assert_array_equal(value(w, "b3"), start)
    assert points(p.loss_curve) == 0 and p.status.text() == "no training yet"
    assert w.undo_stack.text(w.undo_stack.index() - 1) == "Reset training"
    w.undo_stack.undo()  # undo the reset: trained values and plots come back
    assert points(p.loss_curve) == 40


def test_zero_grad_off_accumulates_gradients(moons):
    w, p = moons, moons.train.panel
    assert p.zero_grad.isChecked()
    click(p.zero_grad)
    assert w.document().settings.training["zero_grad"] is False
    assert w.undo_stack.text(w.undo_stack.index() - 1) == "Set training"
    for _ in range(3):
        click(p.step)
    assert item(w, "w3").grad_count() == 3  # the ×3 badge: three backwards summed
    assert [r.grad_count[nid(w, "w3")] for r in w.train.history] == [1, 2, 3]
    w.undo_stack.undo(), w.undo_stack.undo(), w.undo_stack.undo(), w.undo_stack.undo()
    assert w.document().settings.training["zero_grad"] is True and p.zero_grad.isChecked()


def test_freezing_mid_run_stops_that_parameter(qtbot, moons):
    w, p = moons, moons.train.panel
    click(p.play)
    qtbot.waitUntil(lambda: len(w.train.history) >= 5, timeout=20000)
    w.set_flag(nid(w, "w1"), "frozen", True)  # the inspector's command path
    qtbot.waitUntil(lambda: w.train.trainer is not None and not w.train._stale
                    and len(w.train.history) >= 15, timeout=20000)
    frozen_at = value(w, "w1")
    qtbot.waitUntil(lambda: len(w.train.history) >= 30, timeout=20000)
    click(p.play)
    np.testing.assert_array_equal(value(w, "w1"), frozen_at)
    assert nid(w, "w1") not in w.train.history[-1].grad_norms


def test_a_diverging_run_stops_on_inf_and_marks_the_node(qtbot, make_window, tmp_path):
    doc = fileformat.load(EXAMPLES / "linear_regression.json")
    doc.set_setting("training", {**doc.settings.training, "lr": 1e6})
    fileformat.save(doc, tmp_path / "div.json")
    w = make_window(str(tmp_path / "div.json"))
    p = w.train.panel
    click(p.play)
    wait_stopped(qtbot, w)
    assert p.status.text().startswith("stopped: ")
    assert not p.play.isChecked()
    marks = w.scene.anomalies()
    assert marks and any("values" in m for m in marks.values())
    assert "Training stopped" in w.log_widget.text()
    assert p.boundary.image is None  # regression: no decision boundary


def test_log_scale_and_optimizer_edit(moons):
    w, p = moons, moons.train.panel
    click(p.step)
    click(p.log_scale)
    assert p.loss_plot.getPlotItem().getAxis("left").logMode
    p.optimizer.setCurrentText("SGD")  # a combo choice, as the user picks it
    assert w.document().settings.training["optimizer"] == "SGD"
    click(p.step)
    assert len(w.train.history) == 2
    assert "SGD" in type(w.train.trainer.optimizer).__name__



def test_a_document_without_setup_trains_with_defaults_and_edits_create_one(window):
    w, p = window, window.train.panel  # the tutorial: no training setup, root = loss
    assert w.document().settings.training is None
    assert not w.train.dock.isVisible()  # no setup: the panel waits in View > Panels
    w.train.dock.toggleViewAction().trigger()
    assert w.train.dock.isVisible()
    assert p.optimizer.currentText() == "SGD" and p.lr.value() == pytest.approx(1e-3)
    click(p.step)
    assert len(w.train.history) == 1 and p.status.text().startswith("step 1 · loss ")
    p.lr.setValue(0.5)
    p.lr.editingFinished.emit()  # what Return/focus-out sends
    assert w.document().settings.training["lr"] == 0.5
    w.undo_stack.undo()
    assert w.document().settings.training is None


def test_no_root_is_said_in_the_panel_and_the_log(window):
    w, p = window, window.train.panel
    w.train.dock.show()
    doc = w.document()
    w.push(SetSetting(doc, "root", None))
    extra = doc.add_node("neg", "other").id  # a second output that requires grad
    doc.connect(doc.node_by_name("w").id, extra, "input")
    click(p.step)
    assert w.train.history == []
    assert "No backward root: 2 outputs require grad" in p.status.text()
    assert "Training: No backward root" in w.log_widget.text()
