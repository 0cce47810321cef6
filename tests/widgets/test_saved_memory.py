"""Issue 14, "What each grad_fn saved": the graph shows how much memory it holds for backward
(the backward-graph dock's header, each grad_fn's list); after a backward without retain_graph
(a real Ctrl+B) the buffers show as freed, and a second Ctrl+B shows torch's exact error on
the node whose buffers are gone -- which is not always the root."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.document import fileformat
from engine.document.model import Document
from tests.app import conftest as _app
from tests.app.test_autograd_ui import controller, log_text, settle
from tests.app.test_why_none_ui import click_node, nid

pytestmark = pytest.mark.gui

isolated_app_dirs = _app.isolated_app_dirs
restore_app_globals = _app.restore_app_globals
dialogs = _app.dialogs
make_window = _app.make_window

# torch 2.13's words (checked against torch itself in test_second_backward_error_is_torchs)
SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


@pytest.fixture
def win(make_window, qtbot):
    w = make_window()  # the tutorial: x, y, w, b -> xw -> z -> loss
    controller(w)
    settle(qtbot, w)
    return w


def ctrl_b(qtbot, w) -> None:
    """Backward as a person runs it: Ctrl+B in the focused canvas."""
    w.activateWindow()
    w.raise_()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=2000)
    w.view.setFocus()
    QTest.keyClick(w.view, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, w)


def graph_dock(qtbot, w):
    ctl = controller(w)
    ctl.backward_dock.show()
    ctl.backward_dock.raise_()
    qtbot.waitUntil(lambda: ctl.backward_view.isVisible(), timeout=2000)
    ctl.update_backward_view_now()
    return ctl.graph


def torch_tutorial_saved_bytes(torch) -> int:
    """Bytes torch's tutorial graph holds in its grad_fns' _saved_* tensors, each once."""
    x, y = torch.ones(5), torch.zeros(3)
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(torch.matmul(x, w) + b, y)
    seen, total, stack, fns = set(), 0, [loss.grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn is None or fn in fns:
            continue
        fns.add(fn)
        for name in dir(fn):
            if name.startswith("_saved_"):
                v = getattr(fn, name)
                if isinstance(v, torch.Tensor):
                    key = (v.data_ptr(), tuple(v.shape))
                    if key not in seen:
                        seen.add(key)
                        total += v.numel() * v.element_size()
        stack.extend(f for f, _ in fn.next_functions)
    return total


@pytest.mark.parity
def test_header_shows_the_bytes_held_then_freed_after_ctrl_b(qtbot, win, torch):
    graph = graph_dock(qtbot, win)
    held = torch_tutorial_saved_bytes(torch)
    header = graph.memory_label
    assert header.isVisible()
    assert header.text().startswith(f"Graph: {held} bytes saved for backward by ")
    # per grad_fn: the list of the selected node says what it holds
    click_node(qtbot, win, "loss")
    assert graph.saved_box.plain_text().startswith(
        "BinaryCrossEntropyWithLogitsBackward0 (loss): holds 24 bytes for backward")
    ctrl_b(qtbot, win)  # retain_graph off: the buffers go
    assert controller(win).last_error is None
    assert header.text().startswith("Graph: saved tensors freed by backward")
    text = graph.saved_box.plain_text()
    assert "BinaryCrossEntropyWithLogitsBackward0 (loss): freed by backward" in text
    assert "_saved_self: freed" in text and "_saved_target: freed" in text


def test_second_ctrl_b_shows_torchs_error_on_the_node(qtbot, win):
    loss = nid(win, "loss")
    ctrl_b(qtbot, win)
    assert win.scene.anomalies() == {}
    ctrl_b(qtbot, win)
    ctl = controller(win)
    assert ctl.last_error == SECOND_BACKWARD
    assert win.scene.anomalies() == {loss: SECOND_BACKWARD}
    assert win.scene.node_item(loss).anomaly == SECOND_BACKWARD  # drawn on the node
    assert f"loss.backward(): {SECOND_BACKWARD}" in log_text(win)


def test_with_retain_graph_the_second_ctrl_b_runs(qtbot, win):
    graph = graph_dock(qtbot, win)
    controller(win).set_retain_graph(True)
    settle(qtbot, win)
    before = graph.memory_label.text()
    ctrl_b(qtbot, win)
    ctrl_b(qtbot, win)
    assert controller(win).last_error is None and win.scene.anomalies() == {}
    assert graph.memory_label.text() == before and "bytes saved for backward" in before


def square_sum(path) -> None:
    """s = (x * x).sum(): SumBackward0 (the root's) saves no tensor, MulBackward0 saves x."""
    d = Document()
    d.add_node("randn", "x", {"shape": (3,)}, (0, 0), requires_grad=True, node_id="x")
    d.add_node("mul", "m", None, (250, 0), node_id="m")
    d.add_node("sum", "s", None, (500, 0), node_id="s")
    d.connect("x", "m", "input")
    d.connect("x", "m", "other")
    d.connect("m", "s", "input")
    fileformat.save(d, path)


def test_the_error_goes_on_the_node_whose_buffers_are_gone(qtbot, make_window, tmp_path):
    path = tmp_path / "square_sum.json"
    square_sum(path)
    w = make_window(tutorial=False)
    controller(w)
    assert w.files.load(str(path))
    settle(qtbot, w)
    ctrl_b(qtbot, w)
    assert controller(w).last_error is None
    ctrl_b(qtbot, w)
    # torch runs SumBackward0 (nothing saved, nothing freed) and fails in MulBackward0
    assert w.scene.anomalies() == {nid(w, "m"): SECOND_BACKWARD}
    # the next successful backward (after an edit rebuilds the graph) clears it
    controller(w).set_retain_graph(True)
    settle(qtbot, w)
    assert w.scene.anomalies() == {}


@pytest.mark.parity
def test_second_backward_error_is_torchs(torch):
    x = torch.randn(3, requires_grad=True)
    s = (x * x).sum()
    assert not [a for a in dir(s.grad_fn) if a.startswith("_saved_") and
                isinstance(getattr(s.grad_fn, a), torch.Tensor)]
    assert "_saved_self" in dir(s.grad_fn.next_functions[0][0])  # MulBackward0 saves x
    s.backward()
    with pytest.raises(RuntimeError) as e:
        s.backward()
    assert str(e.value) == SECOND_BACKWARD
