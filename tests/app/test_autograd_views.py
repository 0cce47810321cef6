"""Issue 5 in the application, continued: Verify with PyTorch, NaN/Inf anomalies, no_grad frame
gestures, the step-through panel and the backward-graph dock -- real widgets, offscreen."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QDockWidget

from app import commands as C
from engine.document import verify as V

from .conftest import drag_scene
from .test_autograd_ui import (
    act,
    controller,
    engine_run,
    inspector_grad_text,
    log_text,
    nid,
    select,
    settle,
    trigger,
)

pytestmark = pytest.mark.gui


@pytest.fixture
def win(window, qtbot):
    controller(window)
    settle(qtbot, window)
    return window


def build(qtbot, w, nodes, wires, root=None):
    """A document typed in through undo commands: nodes (op, name, params, requires_grad)."""
    ids = {}
    for i, (op, name, params, rg) in enumerate(nodes):
        cmd = C.AddNode(w.document(), op, name=name, params=params, pos=(40 + 230 * i, 40),
                        requires_grad=rg)
        assert w.push(cmd)
        ids[name] = cmd.node_id
    for src, dst, port in wires:
        assert w.push(C.Connect(w.document(), ids[src], ids[dst], port))
    if root:
        controller(w).set_root(ids[root])
    settle(qtbot, w)
    return ids


# -- verify -----------------------------------------------------------------------------------
def test_verify_with_pytorch_reports_every_leaf_agreeing(qtbot, win, torch):
    ctl = controller(win)
    assert act(win, "verify").isEnabled()
    with qtbot.waitSignal(ctl.verified, timeout=90_000) as sig:
        trigger(qtbot, win, "verify")
    v = sig.args[0]
    assert v.verdict == "agree", v.message
    assert [(n, s) for n, s, _ in ctl.verify_dialog.rows()] == [("w.grad", "agree"),
                                                                 ("b.grad", "agree")]
    assert f"Verify with PyTorch: {v.message}" in log_text(win)
    assert "w.grad: agree" in log_text(win)
    assert act(win, "verify").isEnabled()  # ready for another run


def test_verify_shows_a_leaf_that_differs(qtbot, win):
    """The dialog and log path for a disagreement (the comparison itself is verify.py's)."""
    ctl = controller(win)
    _, ex, _ = engine_run()
    ours = V.engine_run(ex)
    theirs = V.Run({k: (None if g is None else g + (k == "n4")) for k, g in ours.grads.items()},
                   None, "2.13.0")
    ctl._verified(V.compare(win.document(), ours, theirs))
    rows = dict((n, s) for n, s, _ in ctl.verify_dialog.rows())
    assert rows == {"w.grad": "agree", "b.grad": "differ"}
    assert "b.grad: differ" in log_text(win)


# -- anomalies --------------------------------------------------------------------------------
def test_nan_in_forward_and_inf_in_backward_are_marked_on_their_nodes(qtbot, make_window,
                                                                        torch):
    w = make_window(tutorial=False)
    ctl = controller(w)
    ids = build(qtbot, w, [("tensor", "x", {"value": [-1.0, 0.0, 4.0]}, False),
                           ("log", "lx", None, False),
                           ("tensor", "u", {"value": [0.0, 4.0]}, True),
                           ("sqrt", "r", None, False),
                           ("sum", "s", None, False)],
                [("x", "lx", "input"), ("u", "r", "input"), ("r", "s", "input")], root="s")
    # forward: log(-1) is nan -> the log node is marked, not the leaf
    marks = w.scene.anomalies()
    assert set(marks) == {ids["lx"]}, marks
    assert "nan" in marks[ids["lx"]]
    assert "Anomaly in forward" in log_text(w)
    # backward: sqrt'(0) = inf, returned by SqrtBackward0 (torch computes the same grad)
    trigger(qtbot, w, "backward")
    assert w.scene.anomalies()[ids["r"]] == \
        "Function 'SqrtBackward0' returned inf values in its 0th output."
    u = torch.tensor([0.0, 4.0], requires_grad=True)
    u.sqrt().sum().backward()
    assert inspector_grad_text(qtbot, w, "u") == repr(u.grad)
    assert ctl.marks  # cleared by the next edit
    w.set_param(ids["x"], "value", [1.0, 2.0, 4.0])
    settle(qtbot, w)
    assert w.scene.anomalies() == {}
    w.undo_stack.undo()  # the nan comes back with the value
    settle(qtbot, w)
    assert set(w.scene.anomalies()) == {ids["lx"]}


# -- no_grad frame gestures ------------------------------------------------------------------
def test_dragging_a_node_into_a_frame_is_one_undo_step(qtbot, win):
    doc = win.document()
    select(qtbot, win, "z")
    trigger(qtbot, win, "no_grad_frame")
    (rid,) = doc.regions
    xw = win.scene.node_item(nid(win, "xw"))
    z = win.scene.node_item(nid(win, "z"))
    win.fit()
    qtbot.wait(10)
    before = doc.to_dict()
    n = win.undo_stack.index()
    # drag xw by its header onto z's spot, just below it: inside the frame
    start = xw.pos() + QPointF(40, 10)
    end = z.pos() + QPointF(40, 10 + z.boundingRect().height() * 0.4)
    drag_scene(win.view, start, end)
    settle(qtbot, win)
    qtbot.wait(5)  # the macro closes from the event loop
    assert doc.regions[rid].members == {nid(win, "z"), nid(win, "xw")}
    assert win.results()[nid(win, "xw")].requires_grad is False
    assert win.undo_stack.index() == n + 1
    act(win, "undo").trigger()
    settle(qtbot, win)
    assert doc.to_dict() == before


# -- step-through panel ------------------------------------------------------------------------
def test_step_panel_buttons_play_backward_on_the_canvas(qtbot, win):
    ctl = controller(win)
    trigger(qtbot, win, "step")
    dock = win.findChild(QDockWidget, "dock_step_through")
    assert dock is not None and dock.isVisible()
    panel = ctl.step_panel
    _, ex, _ = engine_run(times=0)
    names = [n for n, _ in ex.backward_schedule()]
    assert panel.names() == names
    assert panel.step == 0 and win.scene.step_state().index == -1
    for i, name in enumerate(names):
        panel.next_button.click()
        state = win.scene.step_state()
        assert state.index == i and state.step.name == name
        assert ctl.player.index == i
        assert panel.step_text().endswith(name)
    # at the end, b.grad shown by the step equals the real one
    b = nid(win, "b")
    np.testing.assert_array_equal(win.scene.step_state().grads[b],
                                  win.results()[b].grad.numpy())
    # a gradient arrived on the wire b -> z
    wire = next(w for w in win.document().wires if w.src == b)
    assert wire in win.scene.step_state().wires
    panel.first_button.click()
    assert win.scene.step_state().index == -1
    dock.close()
    qtbot.waitUntil(lambda: ctl.player is None, timeout=2000)
    assert win.scene.step_state() is None


# -- backward-graph dock -----------------------------------------------------------------------
def test_backward_view_is_beside_the_canvas_and_selection_syncs(qtbot, win):
    ctl = controller(win)
    view = ctl.backward_view
    assert ctl.backward_dock.isVisible()
    qtbot.waitUntil(lambda: bool(view.graph_items()), timeout=2000)  # drawn soon after load
    titles = sorted(it.title for it in view.graph_items() if it.kind == "fn")
    assert titles == sorted(["BinaryCrossEntropyWithLogitsBackward0", "AddBackward0",
                             "SqueezeBackward4", "MmBackward0", "AccumulateGrad",
                             "AccumulateGrad"])
    # canvas -> backward view
    select(qtbot, win, "z")
    assert view.selected_doc_ids() == [nid(win, "z")]
    # backward view -> canvas: click the box of b's AccumulateGrad
    item = next(it for it in view.items_for(nid(win, "b")) if it.kind == "fn")
    view.scene().clearSelection()
    item.setSelected(True)
    settle(qtbot, win)
    assert win.scene.selected_node_ids() == [nid(win, "b")]
    assert win.inspector.node_id == nid(win, "b")


def test_closing_the_window_during_verify_leaves_no_process(qtbot, make_window, torch):
    w = make_window()
    ctl = controller(w)
    assert ctl.verify()
    proc = ctl._verify_proc
    assert proc is not None and proc.state() != proc.ProcessState.NotRunning
    pid = proc.processId()
    w.undo_stack.setClean()
    assert w.close()
    import os
    with pytest.raises(OSError):  # reaped: no such process any more
        os.kill(pid, 0)
