"""File > Import PyTorch Script… and dropped files, driven by real actions, drops and dialogs.

The import runs a real child process (engine standing in for torch) on a worker thread."""
from __future__ import annotations

import textwrap

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMenu

from app import import_script as imp

MLP = textwrap.dedent("""
    import torch
    from torch import nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    x = torch.randn(5, 3)
    y = torch.randn(5, 1)
    print("hello from the script")
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
""")


@pytest.fixture
def script(tmp_path):
    p = tmp_path / "mlp.py"
    p.write_text(MLP)
    return p


def _answer_dialog(qtbot, run=True, call=None, seen=None):
    """When the import dialog opens: record its text, choose the call, press Run/Cancel."""
    def answer():
        dlg = next((w for w in QApplication.topLevelWidgets()
                    if isinstance(w, imp.ImportDialog) and w.isVisible()), None)
        if dlg is None:
            QTimer.singleShot(20, answer)
            return
        if seen is not None:
            seen.append(dlg.message.text())
        if call == "last":
            dlg.last.click()
        elif call is not None:
            dlg.n.setValue(int(call))
        if run:
            dlg.run_button.click()
        else:
            dlg.reject()
    QTimer.singleShot(0, answer)


def _drop(window, path):
    """Drag enter then drop (Qt delivers a drop only where the drag entered)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = window.rect().center()
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    ev = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                    Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, ev)
    assert ev.isAccepted()


def _file_menu_action(window):
    menu = next(m for m in window.menuBar().findChildren(QMenu)
                if m.objectName() == "menu_file")
    return next(a for a in menu.actions() if a.objectName() == "action_import_script")


def test_menu_action_confirms_then_imports_into_a_new_untitled_document(
        make_window, qtbot, script, dialogs):
    w = make_window(tutorial=False)
    dialogs.open_path = str(script)
    seen = []
    _answer_dialog(qtbot, seen=seen)
    _file_menu_action(w).trigger()
    assert "This runs mlp.py's Python code in a child process, with torch standing in as " \
           "GradCanvas's engine (time limit 30 s, memory limit 4 GB)" in seen[0]
    assert w.importer.running
    assert w.importer.progress.isVisible()  # the status bar shows the running import
    with qtbot.waitSignal(w.importer.done, timeout=60000) as blocker:
        pass
    assert blocker.args[0] is w
    assert not w.importer.progress.isVisible()
    doc = w.document()
    names = {n.name for n in doc.nodes.values()}
    assert {"model_0_weight", "model_2_bias", "loss"} <= names
    modules = [r.title for r in doc.regions.values() if r.kind == "module"]
    assert any(t.startswith("model.0 · Linear(in_features=3") for t in modules)
    assert w.current_path() is None and "mlp (imported)" in w.windowTitle()
    assert "[script] hello from the script" in w.log_widget.text()


def test_cancelled_dialog_runs_nothing(make_window, qtbot, script):
    w = make_window(tutorial=False)
    _answer_dialog(qtbot, run=False)
    assert w.importer.import_file(str(script)) is False
    assert not w.importer.running and not w.document().nodes


def test_dropping_a_script_confirms_then_runs_and_a_json_never_does(
        make_window, qtbot, script, tmp_path, monkeypatch):
    w = make_window(tutorial=False)
    started = []
    real_start = w.importer.start
    monkeypatch.setattr(w.importer, "start",
                        lambda path, call="1": (started.append(path), real_start(path, call)))
    # a document file opens, never runs the importer
    from engine.document import fileformat
    from engine.document.model import Document
    doc = Document()
    doc.add_node("ones", name="a", params={"shape": [2]})
    graph = tmp_path / "graph.json"
    fileformat.save(doc, graph)
    _drop(w, graph)
    qtbot.waitUntil(lambda: w.current_path() == str(graph), timeout=5000)
    assert started == [] and not w.importer.running
    # a script: the dialog first, then the child with the chosen call
    seen = []
    _answer_dialog(qtbot, seen=seen, call="last")
    with qtbot.waitSignal(w.importer.done, timeout=60000) as blocker:
        _drop(w, script)
    assert seen and started == [str(script)]
    assert blocker.args[0] is w
    assert "loss" in {n.name for n in w.document().nodes.values()}


def test_an_import_with_unsaved_changes_opens_a_new_window(make_window, qtbot, script):
    w = make_window(tutorial=False)
    w.add_node("ones")
    assert w.is_modified()
    with qtbot.waitSignal(w.importer.done, timeout=60000) as blocker:
        w.importer.start(str(script))
    other = blocker.args[0]
    assert other is not w and other.isVisible()
    try:
        assert len(w.document().nodes) == 1  # the unsaved work is untouched
        assert "loss" in {n.name for n in other.document().nodes.values()}
    finally:
        other.undo_stack.setClean()
        other.close()


def test_cancel_kills_the_child(make_window, qtbot, tmp_path):
    w = make_window(tutorial=False)
    slow = tmp_path / "slow.py"
    slow.write_text("import time\nprint('sleeping', flush=True)\ntime.sleep(60)\n")
    w.importer.start(str(slow))
    qtbot.waitUntil(lambda: "[script] sleeping" in w.log_widget.text(), timeout=30000)
    assert w.importer.progress.cancel_button.isVisible()
    with qtbot.waitSignal(w.importer.done, timeout=15000) as blocker:
        qtbot.mouseClick(w.importer.progress.cancel_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] is None
    assert w.importer.last_error.kind == "cancelled"
    assert not w.importer.running


def test_an_error_names_the_script_line_in_log_status_and_a_message_box(
        make_window, qtbot, tmp_path, dialogs):
    w = make_window(tutorial=False)
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nx = torch.ones(3, requires_grad=True)\n"
                   "y = (x * 2).sum()\nraise ValueError('boom')\n")
    with qtbot.waitSignal(w.importer.done, timeout=60000):
        w.importer.start(str(bad))
    err = w.importer.last_error
    assert err.line == 4 and "boom" in err.message
    assert "bad.py:4:" in w.statusBar().currentMessage()
    assert any(k == "critical" and "bad.py:4:" in t for k, t in dialogs.calls)
    assert "bad.py:4:" in w.log_widget.text()
    assert not w.document().nodes


def test_window_stays_responsive_while_the_script_runs(make_window, qtbot, tmp_path):
    w = make_window(tutorial=False)
    slow = tmp_path / "slow.py"
    slow.write_text("import time\ntime.sleep(60)\n")
    ticks = []
    timer = QTimer(w)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    w.importer.start(str(slow))
    qtbot.wait(600)  # the GUI thread's event loop keeps running (timers fire, paints happen)
    timer.stop()
    assert len(ticks) >= 5
    with qtbot.waitSignal(w.importer.done, timeout=15000):
        w.importer.cancel()


def test_a_5000_node_chain_imports_and_opens_whole(make_window, qtbot, tmp_path):
    from benchmarks.bench_import import write_script
    w = make_window(tutorial=False)
    script = write_script(tmp_path, 1250)
    with qtbot.waitSignal(w.importer.done, timeout=120000) as blocker:
        w.importer.start(str(script))
    assert blocker.args[0] is w
    doc = w.document()
    assert len(doc.nodes) == 5004  # w, b, h, 1,250 x (matmul, mul, add, tanh), loss
    assert len(w.scene.node_items()) == 5004
    assert doc.nodes[doc.settings.root].name == "loss"


def test_the_canvas_takes_clicks_while_a_script_runs_and_cancel_leaves_no_child(
        make_window, qtbot, tmp_path):
    import os

    from .conftest import click_scene
    w = make_window()  # the tutorial
    slow = tmp_path / "slowly.py"
    slow.write_text("import time\nprint('sleeping', flush=True)\ntime.sleep(60)\n")
    w.importer.start(str(slow))
    qtbot.waitUntil(lambda: "[script] sleeping" in w.log_widget.text(), timeout=30000)
    item = next(i for i in w.scene.node_items() if w.document().nodes[i.node_id].name == "w")
    w.fit()
    QApplication.processEvents()
    click_scene(w.view, item.pos() + item.body_rect().center())
    assert w.selected_node_ids() == [item.node_id]  # the click reached the canvas
    with qtbot.waitSignal(w.importer.done, timeout=15000):
        w.importer.cancel()

    def children_running():
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().decode(errors="replace")
            except OSError:
                continue
            if str(slow) in cmd:
                found.append(pid)
        return found
    assert children_running() == []


# -- the backward dock follows an imported document at once (no "no result requires grad") --
def _backward_dock(w):
    """The backward-graph dock shown (its tab in front), as a person looking at it has it."""
    ctl = w.autograd
    ctl.backward_dock.raise_()
    QApplication.processEvents()
    assert ctl.graph.shown()
    return ctl.backward_view


def _shows_the_graph(view, names):
    drawn = {it.title for it in view.graph_items()}
    return names <= drawn and view.placeholder.scene() is not view.scene()


MLP_GRAD_FNS = {"AddmmBackward0", "TanhBackward0", "MeanBackward0", "PowBackward0"}


def test_after_an_import_from_the_menu_the_backward_dock_shows_the_graph_at_once(
        make_window, qtbot, script, dialogs):
    w = make_window()  # the tutorial's graph is drawn there first
    view = _backward_dock(w)
    qtbot.waitUntil(lambda: _shows_the_graph(view, {"AddBackward0"}), timeout=5000)
    dialogs.open_path = str(script)
    _answer_dialog(qtbot)
    w.undo_stack.setClean()  # the tutorial as opened: the import replaces it in place
    with qtbot.waitSignal(w.importer.done, timeout=60000) as blocker:
        _file_menu_action(w).trigger()
    assert blocker.args[0] is w
    # at once: no timer, no repaint, no click needed
    assert _shows_the_graph(view, MLP_GRAD_FNS)
    assert "AddBackward0" not in {it.title for it in view.graph_items()}  # the old graph went
    titles = view.clusters.titles()
    assert any(t.startswith("model.0 · Linear") for t in titles)


def test_after_a_dropped_script_the_backward_dock_shows_the_graph_at_once(
        make_window, qtbot, script):
    w = make_window(tutorial=False)
    view = _backward_dock(w)
    assert view.placeholder.text().startswith("No backward graph")  # an empty document
    _answer_dialog(qtbot)
    with qtbot.waitSignal(w.importer.done, timeout=60000):
        _drop(w, script)
    assert _shows_the_graph(view, MLP_GRAD_FNS)


def test_opening_an_imported_example_from_the_menu_draws_its_backward_graph_at_once(
        make_window, qtbot):
    w = make_window(tutorial=False)
    view = _backward_dock(w)
    w.populate_examples_menu()
    act = next(a for a in w.examples_menu.actions() if a.text() == "Nn mlp script")
    act.trigger()
    assert w.display_name() == "Nn mlp script (example)"
    assert _shows_the_graph(view, {"AddmmBackward0", "NllLossBackward0"})


def test_a_closed_backward_panel_draws_the_imported_graph_when_opened(
        make_window, qtbot, script):
    w = make_window(tutorial=False)
    toggle = w.autograd.backward_dock.toggleViewAction()  # View > Panels > Backward graph
    toggle.trigger()
    QApplication.processEvents()
    assert not w.autograd.graph.shown()
    with qtbot.waitSignal(w.importer.done, timeout=60000):
        w.importer.start(str(script))
    view = w.autograd.backward_view
    assert view.graph_items() == []  # a closed panel draws nothing
    toggle.trigger()
    assert w.autograd.graph.shown()
    assert _shows_the_graph(view, MLP_GRAD_FNS)
