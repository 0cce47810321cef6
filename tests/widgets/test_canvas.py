"""The canvas driven with real mouse/keyboard events, offscreen."""
from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import QEvent, QMimeData, QPointF, Qt
from PySide6.QtGui import QColor, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.document.model import Document, Wire
from widgets import theme
from widgets.canvas import OP_MIME, GraphScene, GraphView
from widgets.canvas.items import NodeItem, RegionItem, WireItem

from .conftest import Harness, drag, result, send_mouse, vp, wheel

pytestmark = pytest.mark.gui


def header_point(item: NodeItem) -> QPointF:
    return item.pos() + QPointF(item.WIDTH / 2, 12)


# -- building and following the document ----------------------------------------------------
def test_items_built_for_every_node_and_wire(canvas):
    s, d = canvas.scene, canvas.doc
    assert {i.node_id for i in s.node_items()} == set(d.nodes)
    assert {w.wire for w in s.wire_items()} == set(d.wires)
    assert s.sceneRect().contains(s.itemsBoundingRect())
    assert s.itemIndexMethod() == s.ItemIndexMethod.BspTreeIndex


def test_wire_path_ends_on_ports(canvas):
    s = canvas.scene
    for w in s.wire_items():
        path = w.path()
        src = s.node_item(w.wire.src).output_port_scene_pos()
        dst = s.node_item(w.wire.dst).input_port_scene_pos(w.wire.port, w.wire.index)
        assert path.pointAtPercent(0) == src
        assert path.pointAtPercent(1) == dst


def test_items_follow_document_events(canvas):
    s, d = canvas.scene, canvas.doc
    n = d.add_node("tanh", "h", None, (1200, 200))
    item = s.node_item(n.id)
    assert item is not None and item.pos() == QPointF(1200, 200)
    wire = d.connect("n7", n.id, "input")
    witem = s.wire_item(wire)
    assert isinstance(witem, WireItem) and ("input", 0) in item.wires_in
    d.rename_node(n.id, "hidden")
    assert item.name == "hidden"
    d.move_node(n.id, (1300, 260))
    assert item.pos() == QPointF(1300, 260)
    assert witem.path().pointAtPercent(1) == item.input_port_scene_pos("input")
    d.disconnect(wire)
    assert s.wire_item(wire) is None and witem.scene() is None
    d.remove_node("n6")  # takes its three wires with it
    assert s.node_item("n6") is None
    assert {w.wire for w in s.wire_items()} == set(d.wires)
    d.set_setting("root", "n7")
    assert s.node_item("n7").is_root and not s.node_item("n5").is_root


def test_variadic_port_grows_a_free_slot(canvas):
    s, d = canvas.scene, canvas.doc
    cat = d.add_node("cat", "c", None, (1200, 400))
    item = s.node_item(cat.id)
    assert [(p, i) for p, i, _, _ in item.input_slots()] == [("tensors", 0)]
    d.connect("n1", cat.id, "tensors", 0)
    d.connect("n2", cat.id, "tensors", 1)
    assert [(p, i) for p, i, _, _ in item.input_slots()] == [
        ("tensors", 0), ("tensors", 1), ("tensors", 2)]
    w1 = s.wire_item(Wire("n2", cat.id, "tensors", 1))
    assert w1.path().pointAtPercent(1) == item.input_port_scene_pos("tensors", 1)


def test_region_frame_surrounds_members_and_follows_moves(canvas):
    s, d = canvas.scene, canvas.doc
    r = d.add_region("eval", {"n5", "n6"})
    (ritem,) = s.region_items()
    assert isinstance(ritem, RegionItem)
    for nid in ("n5", "n6"):
        assert ritem.rect().contains(s.node_item(nid).sceneBoundingRect())
    d.move_node("n6", (700, 300))
    assert ritem.rect().contains(s.node_item("n6").sceneBoundingRect())
    d.remove_region(r.id)
    assert s.region_items() == [] and ritem.scene() is None


def test_reset_rebuilds(canvas):
    s, d = canvas.scene, canvas.doc
    other = Document()
    other.add_node("ones", "a", None, (10, 10))
    d.load(other)
    assert [i.name for i in s.node_items()] == ["a"] and s.wire_items() == []


def test_results_shown_error_and_blocked(canvas):
    s = canvas.scene
    s.set_results({
        "n3": result((5, 3), requires_grad=True, is_leaf=True),
        "n5": result((3,), requires_grad=True, is_leaf=False, grad_fn="SqueezeBackward4"),
        "n6": result(None, None, error="The size of tensor a (3) must match the size of "
                     "tensor b (4) at non-singleton dimension 0"),
        "n7": result(None, None, blocked_by="n6"),
    })
    texts = lambda nid: [t for t, *_ in s.node_item(nid)._lines]  # noqa: E731
    assert texts("n3")[:2] == ["[5, 3]  float32", "AccumulateGrad"]
    assert texts("n5")[1] == "SqueezeBackward4"
    err = s.node_item("n6")
    assert "must match" in err.toolTip() and "non-singleton dimension 0" in err.toolTip()
    assert any("size of tensor" in t for t in texts("n6"))
    assert texts("n7") == ["blocked by z"]
    # wires carry gradient only where both ends require grad
    s.set_results({"n3": result(requires_grad=True), "n5": result(requires_grad=True),
                   "n1": result(requires_grad=False)})
    assert s.wire_item(Wire("n3", "n5", "other")).carries_grad is True
    assert s.wire_item(Wire("n1", "n5", "input")).carries_grad is False


def test_results_from_the_real_executor(canvas):
    from engine.document.execution import Executor
    s, d = canvas.scene, canvas.doc
    ex = Executor(d)
    s.set_results(ex.forward())
    lines = lambda nid: [t for t, *_ in s.node_item(nid)._lines]  # noqa: E731
    assert lines("n7")[:2] == ["[]  float32", "BinaryCrossEntropyWithLogitsBackward0"]
    assert lines("n3")[:2] == ["[5, 3]  float32", "AccumulateGrad"]
    assert lines("n1")[1] == "grad_fn=None · requires_grad=False"
    assert s.wire_item(Wire("n6", "n7", "input")).carries_grad is True
    assert s.wire_item(Wire("n2", "n7", "target")).carries_grad is False
    d.set_param("n3", "shape", (4, 3))  # matmul now fails; downstream is blocked
    s.set_results(ex.forward())
    assert "cannot be multiplied" in s.node_item("n5").toolTip()
    assert lines("n6") == ["blocked by xw"]
    ex.close()


def test_emphasis_highlights_and_dims(canvas):
    s = canvas.scene
    s.set_emphasis({"n3", "n5"}, {Wire("n3", "n5", "other")})
    assert s.node_item("n3").emphasis == 1 and s.node_item("n1").emphasis == -1
    assert s.wire_item(Wire("n3", "n5", "other")).emphasis == 1
    s.set_emphasis(None)
    assert all(i.emphasis == 0 for i in s.node_items())


# -- gestures -------------------------------------------------------------------------------
@pytest.mark.parametrize("zoom", [1.0, 0.6, 1.8])
def test_drag_output_to_input_connects(canvas, qtbot, zoom):
    s, d, v = canvas.scene, canvas.doc, canvas.view
    h = d.add_node("tanh", "h", None, (700, 300))
    v.zoom_by(zoom)
    v.centerOn(600, 200)
    harness = Harness(s, d)  # noqa: F841  (kept alive: Qt holds slots weakly)
    src = s.node_item("n5").output_port_scene_pos()
    dst = s.node_item(h.id).input_port_scene_pos("input")
    with qtbot.waitSignal(s.connectRequested) as sig:
        drag(v, src, dst + QPointF(3, 2))  # a near miss still snaps onto the port
    assert sig.args == ["n5", h.id, "input", 0]
    assert Wire("n5", h.id, "input", 0) in d.wires
    assert s.wire_item(Wire("n5", h.id, "input", 0)) is not None


def test_drag_from_free_input_to_output_connects(canvas):
    s, d, v = canvas.scene, canvas.doc, canvas.view
    h = d.add_node("exp", "e", None, (700, 300))
    harness = Harness(s, d)  # noqa: F841  (kept alive: Qt holds slots weakly)
    drag(v, s.node_item(h.id).input_port_scene_pos("input"),
         s.node_item("n1").output_port_scene_pos())
    assert Wire("n1", h.id, "input", 0) in d.wires


def test_hovering_a_port_rings_it(canvas):
    s, v = canvas.scene, canvas.view
    item = s.node_item("n5")
    send_mouse(v, QEvent.Type.MouseMove, vp(v, item.output_port_scene_pos()),
               Qt.MouseButton.NoButton, buttons=Qt.MouseButton.NoButton)
    assert item.hover_port == ("out",)
    assert v.viewport().cursor().shape() == Qt.CursorShape.CrossCursor
    send_mouse(v, QEvent.Type.MouseMove, vp(v, item.input_port_scene_pos("other")),
               Qt.MouseButton.NoButton, buttons=Qt.MouseButton.NoButton)
    assert item.hover_port == ("in", "other", 0)
    send_mouse(v, QEvent.Type.MouseMove, vp(v, QPointF(1100, 600)), Qt.MouseButton.NoButton,
               buttons=Qt.MouseButton.NoButton)
    assert item.hover_port is None
    assert v.viewport().cursor().shape() == Qt.CursorShape.ArrowCursor


def test_escape_cancels_a_wire_drag(canvas):
    s, v = canvas.scene, canvas.view
    fired = []
    s.wireDroppedOnEmpty.connect(lambda *a: fired.append(a))
    a = vp(v, s.node_item("n7").output_port_scene_pos())
    send_mouse(v, QEvent.Type.MouseButtonPress, a)
    send_mouse(v, QEvent.Type.MouseMove, a + QPointF(80, 80), buttons=Qt.MouseButton.LeftButton)
    assert any(i.__class__.__name__ == "TempWireItem" for i in s.items())
    QTest.keyClick(v, Qt.Key.Key_Escape)
    assert not any(i.__class__.__name__ == "TempWireItem" for i in s.items())
    send_mouse(v, QEvent.Type.MouseButtonRelease, a + QPointF(80, 80))
    assert fired == []


def test_wire_label(canvas):
    w = canvas.scene.wire_item(Wire("n5", "n6", "input"))
    w.set_label("grad [0.1, 0.2, 0.3]")
    assert w.boundingRect().contains(w._label_rect)
    assert w._label_rect.center() == w.path().pointAtPercent(0.5)
    w.set_label(None)
    assert w.label is None


def test_cycle_refused_with_reason(canvas, qtbot):
    s, d, v = canvas.scene, canvas.doc, canvas.view
    a = d.add_node("add", "a", None, (700, 300))
    d.connect("n1", a.id, "input")
    e = d.add_node("exp", "e", None, (1000, 300))
    d.connect(a.id, e.id, "input")
    harness = Harness(s, d)
    before = list(d.wires)
    with qtbot.waitSignal(s.refused) as sig:
        drag(v, s.node_item(e.id).output_port_scene_pos(),
             s.node_item(a.id).input_port_scene_pos("other"))
    assert "cycle" in sig.args[0]
    assert d.wires == before and harness.log == []
    assert "cycle" in s.bubble_text()  # shown near the cursor too


def test_occupied_input_previews_the_replacement_then_replaces(canvas, qtbot):
    """The model does not refuse an occupied single input: the drop replaces its wire, and
    the preview says so before the button is released."""
    s, d, v = canvas.scene, canvas.doc, canvas.view
    harness = Harness(s, d)  # noqa: F841  (kept alive: Qt holds slots weakly)
    refused = []
    s.refused.connect(refused.append)
    a = vp(v, s.node_item("n2").output_port_scene_pos())
    b = vp(v, s.node_item("n5").input_port_scene_pos("input"))
    send_mouse(v, QEvent.Type.MouseButtonPress, a)
    for i in range(1, 7):
        send_mouse(v, QEvent.Type.MouseMove, a + (b - a) * (i / 6), buttons=Qt.MouseButton.LeftButton)
    assert s.drag_preview_text() == "replaces x → xw.input"
    assert d.check_connect("n2", "n5", "input") is None  # the model agrees: not a refusal
    with qtbot.waitSignal(s.connectRequested) as sig:
        send_mouse(v, QEvent.Type.MouseButtonRelease, b)
    assert sig.args == ["n2", "n5", "input", 0]
    assert Wire("n2", "n5", "input") in d.wires and Wire("n1", "n5", "input") not in d.wires
    assert refused == [] and s.drag_preview_text() is None


def test_a_cycle_is_refused_with_the_models_message_while_dragging(canvas, qtbot):
    s, d, v = canvas.scene, canvas.doc, canvas.view
    harness = Harness(s, d)  # noqa: F841  (kept alive: Qt holds slots weakly)
    a = vp(v, s.node_item("n7").output_port_scene_pos())
    b = vp(v, s.node_item("n5").input_port_scene_pos("other"))
    send_mouse(v, QEvent.Type.MouseButtonPress, a)
    for i in range(1, 7):
        send_mouse(v, QEvent.Type.MouseMove, a + (b - a) * (i / 6), buttons=Qt.MouseButton.LeftButton)
    expected = str(d.check_connect("n7", "n5", "other"))
    assert "cycle" in expected and s.drag_preview_text() == expected
    with qtbot.waitSignal(s.refused) as sig:
        send_mouse(v, QEvent.Type.MouseButtonRelease, b)
    assert sig.args == [expected] and s.bubble_text() == expected
    assert Wire("n7", "n5", "other") not in d.wires


def test_drag_wire_end_away_disconnects(canvas, qtbot):
    s, d, v = canvas.scene, canvas.doc, canvas.view
    harness = Harness(s, d)  # noqa: F841  (kept alive: Qt holds slots weakly)
    wire = Wire("n4", "n6", "other", 0)
    port = s.node_item("n6").input_port_scene_pos("other")
    with qtbot.waitSignal(s.disconnectRequested) as sig:
        drag(v, port, port + QPointF(-120, 200))
    assert sig.args == [wire]
    assert wire not in d.wires and s.wire_item(wire) is None


def test_drag_wire_end_to_another_port_rewires(canvas):
    s, d, v = canvas.scene, canvas.doc, canvas.view
    h = d.add_node("tanh", "h", None, (700, 300))
    harness = Harness(s, d)
    drag(v, s.node_item("n6").input_port_scene_pos("other"),
         s.node_item(h.id).input_port_scene_pos("input"))
    assert [e[0] for e in harness.log] == ["reconnect"]  # one gesture, one intent
    assert Wire("n4", "n6", "other") not in d.wires and Wire("n4", h.id, "input") in d.wires


def test_wire_dropped_on_empty_canvas(canvas, qtbot):
    s, v = canvas.scene, canvas.view
    start = s.node_item("n7").output_port_scene_pos()
    with qtbot.waitSignal(s.wireDroppedOnEmpty) as sig:
        drag(v, start, start + QPointF(150, 250))
    assert sig.args[0] == "n7"
    assert (sig.args[1] - (start + QPointF(150, 250))).manhattanLength() < 3
    assert not any(i.__class__.__name__ == "TempWireItem" for i in s.items())


def test_move_nodes_emits_once_per_drag(canvas, qtbot):
    s, d, v = canvas.scene, canvas.doc, canvas.view
    harness = Harness(s, d)  # noqa: F841  (kept alive: Qt holds slots weakly)
    moves = []
    s.nodesMoved.connect(moves.append)
    s.select_nodes(["n5", "n6"])
    item = s.node_item("n5")
    start = header_point(item)
    drag(v, start, start + QPointF(40, 60), steps=8)
    assert len(moves) == 1
    assert set(moves[0]) == {"n5", "n6"}
    old, new = moves[0]["n5"]
    assert old == (300.0, 0.0)
    assert new[0] == pytest.approx(340, abs=1) and new[1] == pytest.approx(60, abs=1)
    assert d.nodes["n5"].pos == new and d.nodes["n6"].pos[1] == pytest.approx(60, abs=1)
    # the wires followed
    w = s.wire_item(Wire("n5", "n6", "input"))
    assert w.path().pointAtPercent(0) == item.output_port_scene_pos()
    # a click without a move is not a move
    send_mouse(v, QEvent.Type.MouseButtonPress, vp(v, header_point(item)))
    send_mouse(v, QEvent.Type.MouseButtonRelease, vp(v, header_point(item)))
    assert len(moves) == 1


def test_click_and_rubber_band_selection(canvas):
    s, v = canvas.scene, canvas.view
    item = s.node_item("n3")
    p = vp(v, header_point(item))
    send_mouse(v, QEvent.Type.MouseButtonPress, p)
    send_mouse(v, QEvent.Type.MouseButtonRelease, p)
    assert s.selected_node_ids() == ["n3"]
    # rubber band from empty space around xw and z only
    drag(v, QPointF(280, -60), QPointF(820, 110))
    assert set(s.selected_node_ids()) == {"n5", "n6"}


def test_wheel_zoom_keeps_point_under_cursor(canvas):
    v = canvas.view
    pos = QPointF(300, 200)
    before = v.mapToScene(pos.toPoint())
    wheel(v, pos, 240)
    assert v.zoom() > 1.2
    after = v.mapToScene(pos.toPoint())
    assert (after - before).manhattanLength() < 2.0 / v.zoom() + 1e-6
    wheel(v, pos, -480)
    assert v.zoom() < 1.0
    assert (v.mapToScene(pos.toPoint()) - before).manhattanLength() < 2.0 / v.zoom()


def test_zoom_anchor_holds_when_zoomed_far_out_and_in(canvas):
    """Every wheel step keeps the scene point under the cursor within a pixel, even where the
    content is far smaller than the view."""
    v = canvas.view
    pos = QPointF(900, 150)
    for delta in [-240] * 12 + [240] * 12:
        under = v.mapToScene(pos.toPoint())
        wheel(v, pos, delta)
        assert (QPointF(v.mapFromScene(under)) - pos).manhattanLength() <= 2.0
    assert v.zoom() == pytest.approx(3.0)  # clamped at the maximum


def test_pan_far_beyond_the_content(canvas):
    v = canvas.view
    a = QPointF(600, 400)
    before = v.mapToScene(a.toPoint())
    for _ in range(6):
        drag(v, a, a + QPointF(500, 0), button=Qt.MouseButton.MiddleButton, in_viewport=True)
    assert v.mapToScene(a.toPoint()).x() == pytest.approx(before.x() - 3000, abs=3)


def test_middle_button_and_space_pan(canvas, qtbot):
    v = canvas.view
    a = QPointF(500, 400)
    before = v.mapToScene(a.toPoint())
    drag(v, a, a + QPointF(100, 50), button=Qt.MouseButton.MiddleButton, in_viewport=True)
    moved = v.mapToScene(a.toPoint())
    assert moved.x() == pytest.approx(before.x() - 100, abs=1.5)
    assert moved.y() == pytest.approx(before.y() - 50, abs=1.5)
    # space + left drag pans too (and does not start a rubber band or select)
    QTest.keyPress(v, Qt.Key.Key_Space)
    drag(v, a, a + QPointF(-60, 0), in_viewport=True)
    QTest.keyRelease(v, Qt.Key.Key_Space)
    assert v.mapToScene(a.toPoint()).x() == pytest.approx(moved.x() + 60, abs=1.5)
    assert canvas.scene.selected_node_ids() == []


def test_fit_shows_every_node(canvas):
    v, s = canvas.view, canvas.scene
    v.zoom_by(3.0)
    v.fit()
    visible = v.mapToScene(v.viewport().rect()).boundingRect()
    for item in s.node_items():
        assert visible.contains(item.sceneBoundingRect())


def test_tab_and_delete_keys(canvas, qtbot):
    s, v = canvas.scene, canvas.view
    v.setFocus()
    with qtbot.waitSignal(v.tabPressed):
        QTest.keyClick(v, Qt.Key.Key_Tab)
    assert v.hasFocus()  # Tab did not move the focus away
    s.select_nodes(["n5"])
    s.wire_item(Wire("n4", "n6", "other")).setSelected(True)
    s.wire_item(Wire("n1", "n5", "input")).setSelected(True)  # goes with n5
    with qtbot.waitSignal(s.deleteRequested) as sig:
        QTest.keyClick(v, Qt.Key.Key_Delete)
    assert sig.args == [["n5"], [Wire("n4", "n6", "other")]]


def test_context_menu_request(canvas, qtbot):
    s, v = canvas.scene, canvas.view
    p = vp(v, header_point(s.node_item("n7"))).toPoint()
    with qtbot.waitSignal(s.contextMenuRequested) as sig:
        QTest.mouseClick(v.viewport(), Qt.MouseButton.RightButton, pos=p)
        from PySide6.QtGui import QContextMenuEvent
        QApplication.sendEvent(v.viewport(), QContextMenuEvent(
            QContextMenuEvent.Reason.Mouse, p, v.viewport().mapToGlobal(p)))
    assert sig.args[0] == "n7"


def test_drop_op_from_palette_mime(canvas, qtbot):
    """A real drag sequence: Qt routes a Drop only to the widget that accepted DragEnter."""
    from PySide6.QtGui import QDragEnterEvent
    v = canvas.view
    mime = QMimeData()
    mime.setData(OP_MIME, b"tanh")
    pos = QPointF(400, 300)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(v.viewport(), enter)
    assert enter.isAccepted()
    ev = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                    Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(v.opDropped) as sig:
        QApplication.sendEvent(v.viewport(), ev)
    assert sig.args[0] == "tanh"
    assert (sig.args[1] - v.mapToScene(pos.toPoint())).manhattanLength() < 1


# -- look ------------------------------------------------------------------------------------
def _close(c: QColor, hexstr: str, tol=18) -> bool:
    e = theme.hex_color(hexstr)
    return max(abs(c.red() - e.red()), abs(c.green() - e.green()), abs(c.blue() - e.blue())) <= tol


def test_screenshot_pixels(canvas, tmp_path):
    s, v = canvas.scene, canvas.view
    v.resetTransform()
    v.centerOn(550, 300)
    QApplication.processEvents()
    img = v.grab().toImage()
    img.save(str(tmp_path / "canvas.png"))
    t = theme.current()
    # empty canvas (away from grid lines)
    bg = img.pixelColor(v.mapFromScene(QPointF(1080 + 7, 600 + 7)))
    assert _close(bg, t["canvas"], 12)
    # a node body below its last text line
    n3 = s.node_item("n3")
    body = n3.pos() + QPointF(n3.WIDTH - 20, n3.body_rect().height() - 4)
    assert _close(img.pixelColor(v.mapFromScene(body)), t["node_body"])
    # the middle of the horizontal wire xw -> z
    mid = s.wire_item(Wire("n5", "n6", "input")).path().pointAtPercent(0.5)
    c = img.pixelColor(v.mapFromScene(mid))
    assert _close(c, t["wire"], 40), c.name()
    assert not _close(c, t["canvas"], 12)


def test_level_of_detail_when_zoomed_out(canvas):
    v = canvas.view
    v.zoom_by(0.2)
    QApplication.processEvents()
    img = v.grab().toImage()  # paints without text; just must not fail and show boxes
    item = canvas.scene.node_item("n3")
    c = img.pixelColor(v.mapFromScene(item.pos() + QPointF(item.WIDTH / 2, 20)))
    assert not _close(c, theme.current()["canvas"], 6)


# -- lifetime -------------------------------------------------------------------------------
def test_detach_unsubscribes(qtbot):
    d = Document()
    d.add_node("ones", "a")
    scene = GraphScene(d)
    assert len(d._subscribers) == 1 and scene.is_attached()
    scene.detach()
    assert d._subscribers == []
    d.add_node("ones", "b")  # no longer followed
    assert len(scene.node_items()) == 1


def test_deleted_scene_stops_listening(qtbot):
    d = Document()
    scene = GraphScene(d)
    view = GraphView(scene)
    del view, scene
    gc.collect()
    d.add_node("ones", "a")  # the dead scene's callback unsubscribes itself
    assert d._subscribers == []


def test_scene_deleted_by_qt_stops_listening(qtbot):
    from PySide6.QtCore import QObject
    d = Document()
    owner = QObject()
    scene = GraphScene(d, parent=owner)
    owner.deleteLater()  # Qt deletes the scene with its parent; the wrapper lives on
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    d.add_node("ones", "a")  # must not raise into the model's mutation
    assert d._subscribers == []
    del scene


def test_theme_switch_repaints(canvas):
    try:
        theme.set_theme("light")
        canvas.scene.apply_theme()
        canvas.view.apply_theme()
        img = canvas.view.grab().toImage()
        bg = img.pixelColor(canvas.view.mapFromScene(QPointF(1087, 607)))
        assert _close(bg, theme.LIGHT["canvas"], 12)
    finally:
        theme.set_theme("dark")
        canvas.scene.apply_theme()


def test_node_item_is_plain_painted_item(canvas):
    for item in canvas.scene.items():
        assert item.graphicsEffect() is None  # no shadows
        assert not hasattr(item, "widget")  # no proxy widgets
