"""Issue 5 in the application: backward, grads, retain_graph, zero grads, no_grad frames,
freezing, detach, step-through, undo -- driven through the window's actions and widgets and
checked against the engine run directly and against torch."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu

from engine.document import fileformat
from engine.document.execution import Executor

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "resources" / "examples" / "tutorial.json"
JACOBIAN = ROOT / "resources" / "examples" / "jacobian.json"


# -- helpers --------------------------------------------------------------------------------
def controller(w):
    """The window's autograd controls (MainWindow installs them as ``window.autograd``)."""
    from app.autograd import AutogradController
    assert isinstance(w.autograd, AutogradController)
    return w.autograd


@pytest.fixture
def win(window, qtbot):
    controller(window)
    settle(qtbot, window)
    return window


def settle(qtbot, w):
    """Let the coalesced forward run (edits re-run it from a zero-delay timer)."""
    qtbot.waitUntil(lambda: not w._refresh_timer.isActive(), timeout=2000)
    qtbot.wait(1)


def act(w, key):
    a = w.findChild(QAction, f"action_{key}")
    assert a is not None, key
    return a


def trigger(qtbot, w, key):
    a = act(w, key)
    assert a.isEnabled(), key
    a.trigger()
    settle(qtbot, w)


def nid(w, name):
    return w.document().node_by_name(name).id


def select(qtbot, w, *names):
    w.scene.select_nodes([nid(w, n) for n in names])
    settle(qtbot, w)


def inspector_grad_text(qtbot, w, name) -> str:
    select(qtbot, w, name)
    assert w.inspector.node_id == nid(w, name)
    return w.inspector.grad_text.toPlainText()


def item_result(w, name):
    return w.scene.node_item(nid(w, name)).result


def engine_run(path=TUTORIAL, times=1, **settings):
    """The same document on the engine directly: an Executor, no Qt."""
    doc = fileformat.load(path)
    for k, v in settings.items():
        doc.set_setting(k, v)
    ex = Executor(doc)
    ex.forward()
    errs = [ex.backward() for _ in range(times)]
    return doc, ex, errs


def torch_tutorial(torch, ex, doc, *, no_grad_z=False, freeze_w=False):
    """The tutorial in torch with the engine's numbers."""
    lv = {n: ex.leaf(doc.node_by_name(n).id).detach().numpy() for n in "xywb"}
    x, y = torch.tensor(lv["x"]), torch.tensor(lv["y"])
    w = torch.tensor(lv["w"], requires_grad=not freeze_w)
    b = torch.tensor(lv["b"], requires_grad=True)
    if no_grad_z:
        with torch.no_grad():
            z = torch.matmul(x, w) + b
    else:
        z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    return w, b, z, loss


def root_message(w, name) -> str | None:
    """The message drawn on a node (its tooltip carries the full text)."""
    item = w.scene.node_item(nid(w, name))
    assert w.scene.anomalies().get(nid(w, name)) == item.anomaly
    return item.anomaly


def torch_error(fn) -> str:
    with pytest.raises(RuntimeError) as e:
        fn()
    return str(e.value)


def log_text(w) -> str:
    return "\n".join(t for _, t in w.log_widget.entries)


# -- backward on the tutorial ---------------------------------------------------------------
def test_backward_shows_w_and_b_grads_as_the_engine_and_torch(qtbot, win, torch):
    trigger(qtbot, win, "backward")
    doc, ex, errs = engine_run()
    assert errs == [None]
    for name in "wb":
        want = ex.results[doc.node_by_name(name).id].grad
        # the inspector prints the grad exactly as torch prints it (the engine's repr is torch's)
        assert inspector_grad_text(qtbot, win, name) == repr(want)
        r = item_result(win, name)
        assert r.grad_count == 1
        np.testing.assert_array_equal(r.grad.numpy(), want.numpy())
        # the leaf on the canvas shows that .grad (its heatmap preview)
        shown = win.scene.node_item(nid(win, name)).grad_array()
        np.testing.assert_array_equal(np.asarray(getattr(shown, "_data", shown)),
                                      want.numpy())
    # and torch agrees, with its own printing of the same numbers
    tw, tb, _, loss = torch_tutorial(torch, ex, doc)
    loss.backward()
    for name, t in (("w", tw), ("b", tb)):
        g = item_result(win, name).grad.numpy()
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-5, atol=1e-7)
        assert inspector_grad_text(qtbot, win, name) == repr(t.grad)
    # five equal rows in w.grad, as the tutorial says
    wg = item_result(win, "w").grad.numpy()
    assert wg.shape == (5, 3) and np.all(wg == wg[0])
    assert "loss.backward()" in log_text(win)


def test_second_backward_without_retain_graph_shows_torchs_error(qtbot, win, torch):
    trigger(qtbot, win, "backward")
    trigger(qtbot, win, "backward")
    doc, ex, _ = engine_run()
    *_, loss = torch_tutorial(torch, ex, doc)
    loss.backward()
    msg = torch_error(loss.backward)
    assert msg in log_text(win)
    # on the root node, drawn by the canvas
    assert root_message(win, "loss") == msg
    # grads were not touched by the failed call
    assert item_result(win, "b").grad_count == 1


def test_retain_graph_checkbox_doubles_grads_and_zero_resets(qtbot, win):
    box = win.findChild(type(controller(win).retain_box), "retainGraphBox")
    assert not box.isChecked()
    QTest.mouseClick(box, Qt.MouseButton.LeftButton)
    settle(qtbot, win)
    assert win.document().settings.retain_graph is True
    assert act(win, "retain_graph").isChecked()
    trigger(qtbot, win, "backward")
    first = {n: item_result(win, n).grad.numpy().copy() for n in "wb"}
    trigger(qtbot, win, "backward")
    for n in "wb":
        np.testing.assert_allclose(item_result(win, n).grad.numpy(), 2 * first[n], rtol=1e-6)
        assert item_result(win, n).grad_count == 2
    _, ex, errs = engine_run(times=2, retain_graph=True)
    assert errs == [None, None]
    assert inspector_grad_text(qtbot, win, "b") == repr(ex.results["n4"].grad)
    trigger(qtbot, win, "zero_grads")
    for n in "wb":
        assert not item_result(win, n).grad.numpy().any()
    assert "w.grad.zero_()" in log_text(win)
    trigger(qtbot, win, "backward")
    for n in "wb":
        np.testing.assert_allclose(item_result(win, n).grad.numpy(), first[n], rtol=1e-6)


def test_jacobian_example_accumulates_like_the_tutorials_optional_part(qtbot, make_window,
                                                                        torch):
    w = make_window(str(JACOBIAN))
    controller(w)
    settle(qtbot, w)
    assert w.document().settings.retain_graph is True
    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    for _ in range(2):
        trigger(qtbot, w, "backward")
        out.backward(torch.ones_like(out), retain_graph=True)
    assert inspector_grad_text(qtbot, w, "inp") == repr(inp.grad)
    trigger(qtbot, w, "zero_grads")
    inp.grad.zero_()
    trigger(qtbot, w, "backward")
    out.backward(torch.ones_like(out), retain_graph=True)
    assert inspector_grad_text(qtbot, w, "inp") == repr(inp.grad)


def test_implicit_seed_on_a_non_scalar_root_is_torchs_error(qtbot, make_window, torch):
    w = make_window(str(JACOBIAN))
    ctl = controller(w)
    settle(qtbot, w)
    dlg = ctl.edit_seed()
    dlg.edit.setText("implicit")
    dlg.buttons.button(dlg.buttons.StandardButton.Ok).click()
    settle(qtbot, w)
    assert w.document().settings.seed is None
    trigger(qtbot, w, "backward")
    out = (torch.eye(4, 5, requires_grad=True) + 1).pow(2).t()
    msg = torch_error(out.backward)
    assert msg in log_text(w)
    assert root_message(w, "out") == msg
    w.undo_stack.undo()
    assert w.document().settings.seed == "ones"
    # a custom gradient, typed as a literal: out.backward(gradient)
    seed = [[float(i * 4 + j) for j in range(4)] for i in range(5)]
    dlg = ctl.edit_seed()
    dlg.edit.setText(repr(seed))
    dlg.buttons.button(dlg.buttons.StandardButton.Ok).click()
    settle(qtbot, w)
    trigger(qtbot, w, "backward")
    inp = torch.eye(4, 5, requires_grad=True)
    (inp + 1).pow(2).t().backward(torch.tensor(seed))
    assert inspector_grad_text(qtbot, w, "inp") == repr(inp.grad)


# -- tracking: no_grad frame, freeze, grad mode, detach --------------------------------------
def test_no_grad_frame_around_z_turns_tracking_off_and_backward_fails(qtbot, win, torch):
    select(qtbot, win, "z")
    trigger(qtbot, win, "no_grad_frame")
    (region,) = win.document().regions.values()
    assert region.members == {nid(win, "z")}
    assert len(win.scene.region_items()) == 1
    r = item_result(win, "z")
    assert r.requires_grad is False and r.grad_fn is None
    select(qtbot, win, "z")
    assert "requires_grad=False" in win.inspector.result_label.text()
    trigger(qtbot, win, "backward")
    doc, ex, _ = engine_run()
    *_, loss = torch_tutorial(torch, ex, doc, no_grad_z=True)
    msg = torch_error(loss.backward)
    assert msg == "element 0 of tensors does not require grad and does not have a grad_fn"
    assert msg in log_text(win)
    # the model's root rule: the selected op node z is the root (torch's error on it)
    assert root_message(win, "z") == msg
    assert item_result(win, "w").grad is None


def test_freeze_w_only_b_gets_a_grad(qtbot, win, torch):
    select(qtbot, win, "w")
    trigger(qtbot, win, "freeze")
    w = win.document().node_by_name("w")
    assert w.frozen and not w.tracks_grad and win.document().is_frozen(w.id)
    assert win.scene.node_item(w.id).frozen  # the lock: the model said so
    assert act(win, "freeze").isChecked()
    trigger(qtbot, win, "backward")
    assert item_result(win, "w").grad is None
    assert inspector_grad_text(qtbot, win, "w") == "None"
    doc, ex, _ = engine_run()
    tw, tb, _, loss = torch_tutorial(torch, ex, doc, freeze_w=True)
    loss.backward()
    assert tw.grad is None
    assert inspector_grad_text(qtbot, win, "b") == repr(tb.grad)


def test_global_no_grad_mode(qtbot, win, torch):
    a = act(win, "grad_mode")
    assert a.isChecked()
    a.trigger()  # -> torch.no_grad()
    settle(qtbot, win)
    assert win.document().settings.grad_enabled is False
    assert "no_grad" in a.text()
    assert not any(r.grad_fn for r in win.results().values())
    trigger(qtbot, win, "backward")
    assert "element 0 of tensors does not require grad" in log_text(win)
    win.undo_stack.undo()
    settle(qtbot, win)
    assert a.isChecked() and item_result(win, "z").grad_fn == "AddBackward0"


def test_detach_inserts_z_det_that_cuts_the_gradient(qtbot, win, torch):
    select(qtbot, win, "z")
    trigger(qtbot, win, "detach")
    doc = win.document()
    det = doc.node_by_name("z_det")
    assert det.op == "detach"
    assert {(w.src, w.dst) for w in doc.wires if det.id in (w.src, w.dst)} == \
        {(nid(win, "z"), det.id), (det.id, nid(win, "loss"))}
    assert item_result(win, "z").grad_fn == "AddBackward0"  # z itself still tracks
    assert item_result(win, "z_det").requires_grad is False
    trigger(qtbot, win, "backward")
    assert "element 0 of tensors does not require grad" in log_text(win)


def test_set_root_and_retain_grad_on_z(qtbot, win, torch):
    select(qtbot, win, "z")
    trigger(qtbot, win, "retain_grad")
    assert win.document().node_by_name("z").retain_grad
    select(qtbot, win, "loss")
    trigger(qtbot, win, "backward")  # the selected loss is a root
    doc, ex, _ = engine_run()
    *_, z, loss = torch_tutorial(torch, ex, doc)
    z.retain_grad()
    loss.backward()
    assert inspector_grad_text(qtbot, win, "z") == repr(z.grad)


# -- step-through -----------------------------------------------------------------------------
def test_step_through_visits_grad_fns_in_the_engines_order(qtbot, win):
    doc, ex, _ = engine_run(times=0)
    want = ex.backward_schedule()
    trigger(qtbot, win, "step")
    player = controller(win).player
    assert player is not None
    assert [s.name for s in player.steps] == [n for n, _ in want]
    # each step belongs to its document node (internal grad_fns to the op that made them)
    assert [s.node_id for s in player.steps if not s.internal] == \
        [i for _, i in want if i is not None]
    seen = []
    while not player.at_end:
        controller(win).next_step()
        seen.append(player.current.name)
    assert seen == [n for n, _ in want]
    # the run was the real backward: the grads are the engine's
    ex.backward()
    assert inspector_grad_text(qtbot, win, "b") == repr(ex.results["n4"].grad)


# -- undo -------------------------------------------------------------------------------------
def _undo_round_trip(qtbot, w, do):
    doc = w.document()
    before = doc.to_dict()
    n = w.undo_stack.index()
    do()
    settle(qtbot, w)
    assert w.undo_stack.index() == n + 1  # exactly one undo step
    after = doc.to_dict()
    assert after != before
    act(w, "undo").trigger()
    settle(qtbot, w)
    assert doc.to_dict() == before
    act(w, "redo").trigger()
    settle(qtbot, w)
    assert doc.to_dict() == after
    act(w, "undo").trigger()
    settle(qtbot, w)


def test_every_autograd_command_is_one_undo_step(qtbot, win):
    ctl = controller(win)
    box = ctl.retain_box

    def sel_then(names, key):
        def run():
            select(qtbot, win, *names)
            act(win, key).trigger()
        return run

    steps = [
        lambda: QTest.mouseClick(box, Qt.MouseButton.LeftButton),
        lambda: act(win, "grad_mode").trigger(),
        lambda: ctl.set_seed([1.0]),
        sel_then(["xw", "z"], "no_grad_frame"),
        sel_then(["z"], "detach"),
        sel_then(["w"], "freeze"),
        sel_then(["w", "z"], "freeze"),
        sel_then(["z"], "retain_grad"),
        sel_then(["z"], "set_root"),
    ]
    for step in steps:
        _undo_round_trip(qtbot, win, step)
    # the checkable controls follow the document after the undos
    assert not box.isChecked() and act(win, "grad_mode").isChecked()


# -- context menu, status -------------------------------------------------------------------
def test_node_context_menu_runs_autograd_commands(qtbot, win):
    ctl = controller(win)
    menu = QMenu(win)
    ctl.fill_context_menu(menu, nid(win, "loss"))
    names = {a.objectName() for a in menu.actions()}
    assert {"ctx_backward", "ctx_set_root", "ctx_freeze", "ctx_detach",
            "ctx_retain_grad"} <= names
    next(a for a in menu.actions() if a.objectName() == "ctx_backward").trigger()
    assert item_result(win, "b").grad_count == 1
    menu.deleteLater()
    menu = QMenu(win)
    ctl.fill_context_menu(menu, nid(win, "b"))
    z = next(a for a in menu.actions() if a.objectName() == "ctx_zero_grad")
    assert z.isEnabled()
    z.trigger()
    assert not item_result(win, "b").grad.numpy().any()
    assert item_result(win, "w").grad.numpy().any()  # only b was zeroed
    f = next(a for a in menu.actions() if a.objectName() == "ctx_freeze")
    f.trigger()
    settle(qtbot, win)
    assert win.document().is_frozen(nid(win, "b"))  # requires_grad_(False) on a parameter
    menu.deleteLater()


def test_graph_version_counter_shows_rebuilds(qtbot, win):
    label = controller(win).version_label
    v0 = win.executor().graph_version
    assert label.text() == f"graph v{v0}"
    trigger(qtbot, win, "backward")
    win.set_param(nid(win, "b"), "seed", 3)  # an edit after backward: forward rebuilds
    settle(qtbot, win)
    assert win.executor().graph_version > v0
    assert label.text() == f"graph v{win.executor().graph_version}"
    trigger(qtbot, win, "backward")  # the rebuilt graph runs backward again
    assert "second time" not in log_text(win)


def test_moving_a_node_does_not_rebuild_the_spent_graph(qtbot, win, torch):
    """Only re-running forward rebuilds the graph (an edit, as re-running torch code): a
    node dragged across the canvas changes no value, so a second backward still fails."""
    trigger(qtbot, win, "backward")
    v = win.executor().graph_version
    z = win.scene.node_item(nid(win, "z"))
    from .conftest import drag_scene
    drag_scene(win.view, z.pos() + QPointF(30, 8), z.pos() + QPointF(90, 60))
    settle(qtbot, win)
    assert win.document().node_by_name("z").pos != (520.0, 40.0)
    assert win.executor().graph_version == v
    trigger(qtbot, win, "backward")
    assert "Trying to backward through the graph a second time" in log_text(win)


def test_right_click_menu_of_a_node_has_the_autograd_entries(qtbot, win):
    win.on_context_menu(nid(win, "w"), QPoint(10, 10))
    menu = win._context_menu()
    entries = {a.objectName(): a for a in menu.actions() if a.objectName()}
    assert {"ctx_set_root", "ctx_zero_grad", "ctx_freeze", "ctx_detach"} <= set(entries)
    assert "ctx_backward" not in entries  # w is a leaf: an input, not a root
    entries["ctx_freeze"].trigger()
    settle(qtbot, win)
    menu.close()
    assert win.document().node_by_name("w").tracks_grad is False
    win.on_context_menu(nid(win, "z"), QPoint(10, 10))
    menu = win._context_menu()
    entries = {a.objectName(): a for a in menu.actions() if a.objectName()}
    assert {"ctx_backward", "ctx_retain_grad", "ctx_freeze", "ctx_detach"} <= set(entries)
    entries["ctx_backward"].trigger()  # z.backward(ones_like(z))
    settle(qtbot, win)
    menu.close()
    assert "z.backward()" in log_text(win)
    assert item_result(win, "b").grad is not None and item_result(win, "w").grad is None


def test_keyboard_shortcuts_run_backward_and_zero_grads(qtbot, win):
    from PySide6.QtWidgets import QApplication
    win.activateWindow()
    win.raise_()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=2000)
    win.view.setFocus()
    QTest.keyClick(win.view, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, win)
    assert item_result(win, "w").grad_count == 1
    QTest.keyClick(win.view, Qt.Key.Key_G,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    settle(qtbot, win)
    assert not item_result(win, "w").grad.numpy().any()
    # and Help > Shortcuts lists them
    from app.actions import shortcut_rows
    rows = dict(shortcut_rows(win.acts))
    assert rows["Ctrl+B"] == "Backward" and rows["Ctrl+Shift+G"] == "Zero Grads"
