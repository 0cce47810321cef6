"""In-place nodes on the real canvas (issue 14): placed from the palette by typing, wired with
mouse drags on the view's viewport, the version badge and torch's in-place error on the node
whose saved tensor was modified -- before backward runs -- and the backward error after it."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.document import Document, fileformat

pytestmark = pytest.mark.gui

TEXT = ("one of the variables needed for gradient computation has been modified by an inplace "
        "operation: [torch.FloatTensor [3]], which is output 0 of Sigmoid, is at version 1; "
        "expected version 0 instead.")


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADCANVAS_RECOVERY_DIR", str(tmp_path / "recovery"))
    from app.main_window import create_application, startup_window
    create_application()
    d = Document()
    a = d.add_node("randn", "a", {"shape": [3]}, (0, 0), requires_grad=True, node_id="n1")
    s = d.add_node("sigmoid", "s", None, (300, 0), node_id="n2")
    d.connect(a.id, s.id, "input")
    path = tmp_path / "g.json"
    fileformat.save(d, path)
    w = startup_window(str(path))
    w.resize(1440, 900)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.undo_stack.setClean()
    w.close()


def send(view, kind, pos, buttons):
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else \
        Qt.MouseButton.LeftButton
    glob = QPointF(view.viewport().mapToGlobal(pos.toPoint()))
    QApplication.sendEvent(view.viewport(), QMouseEvent(kind, pos, glob, button, buttons,
                                                         Qt.KeyboardModifier.NoModifier))


def drag(view, start, end, steps=6):
    """Press at scene point ``start``, move with the button held, release at ``end``."""
    a, b = QPointF(view.mapFromScene(start)), QPointF(view.mapFromScene(end))
    held = Qt.MouseButton.LeftButton
    send(view, QEvent.Type.MouseButtonPress, a, held)
    for i in range(1, steps + 1):
        send(view, QEvent.Type.MouseMove, a + (b - a) * (i / steps), held)
    send(view, QEvent.Type.MouseButtonRelease, b, Qt.MouseButton.NoButton)


def add_from_palette(qtbot, window, text, key):
    """Type in the palette's search box and press Return: the first match is placed."""
    doc = window.document()
    before = set(doc.nodes)
    search = window.palette.search
    search.clear()
    QTest.keyClicks(search, text)
    assert window.palette.visible_op_keys()[0] == key
    QTest.keyClick(search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(doc.nodes) == len(before) + 1, timeout=3000)
    (nid,) = set(doc.nodes) - before
    assert doc.nodes[nid].op == key
    return nid


def wire(qtbot, window, src, dst, port):
    scene, view = window.scene, window.view
    s, t = scene.node_item(src), scene.node_item(dst)
    view.centerOn(s.sceneBoundingRect().united(t.sceneBoundingRect()).center())
    drag(view, s.output_port_scene_pos(), t.input_port_scene_pos(port))
    qtbot.waitUntil(lambda: window.document().occupant(dst, port) is not None, timeout=3000)
    assert window.document().occupant(dst, port).src == src


def lines(item) -> str:
    return "\n".join(text for text, *_ in item._lines)


def settle(qtbot, window):
    window.refresh_results()
    QApplication.processEvents()


def test_place_wire_and_see_the_version_badge_and_torch_s_error(qtbot, window):
    doc = window.document()
    mul = add_from_palette(qtbot, window, "mul_", "mul_")
    assert doc.nodes[mul].spec.category == "In-place"
    wire(qtbot, window, "n2", mul, "self")
    total = add_from_palette(qtbot, window, "sum", "sum")
    wire(qtbot, window, mul, total, "input")
    settle(qtbot, window)
    s_item, mul_item = window.scene.node_item("n2"), window.scene.node_item(mul)
    # the in-place node shows the version it produced, s that it was modified after its line
    assert mul_item._version_text == "v1" and s_item._version_text == "v0→1"
    assert window.scene.node_item(total)._version_text == ""
    # before backward: the grad_fn whose saved result was modified carries torch's text
    assert "backward will fail, modified in place: [torch.FloatTensor [3]], which is output " \
        "0 of Sigmoid" in lines(s_item).replace("\n", " ")
    assert TEXT in s_item.toolTip()
    assert "backward will fail" not in lines(mul_item)
    # backward from the sum: torch's same text, in the log
    window.scene.clearSelection()
    window.scene.node_item(total).setSelected(True)
    err = window.autograd.backward()
    QApplication.processEvents()
    assert err.startswith(TEXT) and window.executor().last_error == err
    assert f"{doc.nodes[total].name}.backward(): {TEXT}" in window.log_widget.text()
    # the mark stays on s after the failed backward (the graph was not run through)
    assert TEXT in window.scene.node_item("n2").toolTip()


def test_a_second_writer_is_refused_with_the_model_s_message(qtbot, window):
    doc = window.document()
    first = add_from_palette(qtbot, window, "mul_", "mul_")
    wire(qtbot, window, "n2", first, "self")
    second = add_from_palette(qtbot, window, "relu_", "relu_")
    s, t = window.scene.node_item("n2"), window.scene.node_item(second)
    refused = []
    window.scene.refused.connect(refused.append)
    window.view.centerOn(s.sceneBoundingRect().united(t.sceneBoundingRect()).center())
    drag(window.view, s.output_port_scene_pos(), t.input_port_scene_pos("self"))
    QApplication.processEvents()
    assert doc.occupant(second, "self") is None
    assert refused and refused[-1].startswith("s is already modified in place by ")
