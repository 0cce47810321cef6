"""Issue 5 on the forward canvas: previews, .grad heatmaps, the highlighted backward DAG,
no_grad frames, step-through visuals and the inspector's value/.grad -- real events, offscreen."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from engine._tensor import NON_LEAF_GRAD_WARNING
from engine.document import stepthrough
from engine.document.execution import Executor
from engine.document.model import Document, Wire
from widgets import colormaps, theme
from widgets.canvas import GraphScene, GraphView
from widgets.canvas.items import LOD_TEXT, NodeItem
from widgets.inspector import InspectorWidget

from .conftest import Harness, drag, send_mouse, tutorial_doc, vp

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(canvas):
    """The tutorial canvas (root: loss) with an executor whose results the scene shows."""
    canvas.doc.set_setting("root", "n7")
    ex = Executor(canvas.doc)
    canvas.ex = ex

    def refresh():
        canvas.scene.set_results(ex.forward())
        QApplication.processEvents()

    canvas.refresh = refresh
    refresh()
    yield canvas
    ex.close()


def header(item: NodeItem) -> QPointF:
    return item.pos() + QPointF(item.WIDTH / 2, 12)


def rows(item: NodeItem) -> dict:
    return dict(item.preview_rows())


def hover(view, scene_pos) -> None:
    send_mouse(view, QEvent.Type.MouseMove, vp(view, scene_pos),
               buttons=Qt.MouseButton.NoButton)


def tooltip(view, scene_pos) -> str:
    """What Qt shows after a real ToolTip (help) event at `scene_pos`."""
    QToolTip.hideText()
    pos = vp(view, scene_pos).toPoint()
    ev = QHelpEvent(QEvent.Type.ToolTip, pos, view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(view.viewport(), ev)
    return QToolTip.text() if QToolTip.isVisible() else ""


def close(c: QColor, rgb, tol=14) -> bool:
    return max(abs(c.red() - rgb[0]), abs(c.green() - rgb[1]), abs(c.blue() - rgb[2])) <= tol


# -- previews ---------------------------------------------------------------------------------
def test_every_node_previews_its_value_and_leaves_their_grad(run):
    s = run.scene
    for item in s.node_items():
        assert "value" in rows(item), item.name
        assert "grad" not in rows(item)
    assert rows(s.node_item("n7"))["value"].height() == NodeItem.NUMBER_H  # a 0-d loss: number
    assert rows(s.node_item("n3"))["value"].height() == NodeItem.PREVIEW_H  # 5x3: heatmap
    assert run.ex.backward() is None
    s.set_results(run.ex.results)
    for nid in ("n3", "n4"):  # w, b: leaves that require grad
        assert "grad" in rows(s.node_item(nid))
        assert s.node_item(nid).grad_array() is run.ex.results[nid].grad
    for nid in ("n1", "n2", "n5", "n6", "n7"):  # inputs and non-leaves: no .grad
        assert "grad" not in rows(s.node_item(nid))


def test_grad_heatmap_hover_shows_index_and_value_and_count(run):
    s, v = run.scene, run.view
    run.doc.set_setting("retain_graph", True)
    assert run.ex.backward(retain_graph=True) is None
    s.set_results(run.ex.results)
    v.resetTransform()
    w = s.node_item("n3")
    v.centerOn(w)
    QApplication.processEvents()
    rect = rows(w)["grad"]
    grad = run.ex.results["n3"].grad.numpy().copy()  # .grad accumulates in place
    img = v.grab().toImage()
    lims = colormaps.limits(grad, "grad")
    seen = set()
    for fx in (0.3, 0.5, 0.7):
        for fy in (0.2, 0.5, 0.8):
            local = QPointF(rect.x() + rect.width() * fx, rect.y() + rect.height() * fy)
            hit = w.preview_hit(local)
            if hit is None:
                continue
            kind, index, value = hit
            assert kind == "grad" and value == pytest.approx(float(grad[index]))
            text = tooltip(v, w.mapToScene(local))
            assert text == s.tooltip_at(w.mapToScene(local))
            assert text.startswith(f"w.grad[{index[0]}, {index[1]}] = ")
            assert float(text.split(" = ")[1]) == pytest.approx(float(grad[index]), rel=1e-6)
            # the pixel under the cursor has the colour of that cell's value
            c = img.pixelColor(vp(v, w.mapToScene(local)).toPoint())
            assert close(c, colormaps.rgb_at("grad", float(grad[index]), lims)), c.name()
            seen.add(index)
    assert len(seen) >= 3
    assert w.grad_count() == 1
    # a second backward accumulates: the count badge and the values follow
    assert run.ex.backward(retain_graph=True) is None
    s.set_results(run.ex.results)
    assert w.grad_count() == 2
    index = next(iter(seen))
    _, idx, value = w.preview_hit(next(
        QPointF(rect.x() + rect.width() * fx, rect.y() + rect.height() * fy)
        for fx in (0.3, 0.5, 0.7) for fy in (0.2, 0.5, 0.8)
        if w.preview_hit(QPointF(rect.x() + rect.width() * fx,
                                 rect.y() + rect.height() * fy))))
    assert value == pytest.approx(2 * float(grad[idx]), rel=1e-5)
    assert any(".grad accumulated over 2 backward calls" in line
               for line in w.toolTip().splitlines())
    del index
    run.ex.zero_grad()
    s.set_results(run.ex.results)
    assert float(np.abs(w.grad_array().numpy()).max()) == 0.0


def test_previews_hidden_when_zoomed_out(run):
    s, v = run.scene, run.view
    item = s.node_item("n3")
    r = rows(item)["value"]
    probe = item.mapToScene(r.center())
    v.resetTransform()
    v.centerOn(probe)
    QApplication.processEvents()
    near = v.grab().toImage().pixelColor(vp(v, probe).toPoint())
    v.resetTransform()
    v.scale(LOD_TEXT * 0.9, LOD_TEXT * 0.9)
    v.centerOn(probe)
    QApplication.processEvents()
    far = v.grab().toImage().pixelColor(vp(v, probe).toPoint())
    body = theme.hex_color(theme.current()["node_body"])
    assert not close(near, (body.red(), body.green(), body.blue()), 6)  # a heatmap cell
    # no preview: the body, or the large name/shape drawn across it at this level of detail
    text = theme.hex_color(theme.current()["node_text"])

    def between(c, a, b, tol=8):  # on the blend from the body to the text colour
        return all(min(x, y) - tol <= z <= max(x, y) + tol for x, y, z in (
            (a.red(), b.red(), c.red()), (a.green(), b.green(), c.green()),
            (a.blue(), b.blue(), c.blue())))
    assert between(far, body, text), far.name()
    assert not close(far, (near.red(), near.green(), near.blue()), 6)


def test_lock_on_frozen_leaf_and_grad_fn_lines(run):
    s, d = run.scene, run.doc
    lines = lambda nid: [t for t, *_ in s.node_item(nid)._lines]  # noqa: E731
    assert lines("n6")[1] == "AddBackward0" and lines("n3")[1] == "AccumulateGrad"
    assert not s.node_item("n3").frozen and not s.node_item("n1").frozen
    d.set_flag("n3", "frozen", True)  # freeze w, as when fine-tuning (w.requires_grad_(False))
    run.refresh()
    w = s.node_item("n3")
    assert w.frozen == d.is_frozen("n3") is True  # the model decides, the item draws it
    assert w.frozen and "frozen" in lines("n3")[-1] and "frozen" in w.toolTip()
    assert lines("n3")[1] == "grad_fn=None · requires_grad=False"
    assert not s.node_item("n1").frozen  # x = ones(5): an input, not a frozen parameter
    # the wire from a frozen leaf carries no gradient; the one from b still does
    assert s.wire_item(Wire("n3", "n5", "other")).carries_grad is False
    assert s.wire_item(Wire("n4", "n6", "other")).carries_grad is True
    assert run.ex.backward() is None
    s.set_results(run.ex.results)
    assert "grad" not in rows(w) and "grad" in rows(s.node_item("n4"))  # only b gets a grad


def test_anomaly_mark(run):
    s = run.scene
    msg = "Function 'LogBackward0' returned nan values in its 0th output."
    s.set_anomaly("n6", msg)
    item = s.node_item("n6")
    assert item.anomaly == msg and msg in item.toolTip()
    assert any("LogBackward0" in t for t, *_ in item._lines)
    assert s.anomalies() == {"n6": msg}
    run.doc.move_node("n6", (610, 10))  # survives edits and results
    run.refresh()
    assert item.anomaly == msg
    s.clear_anomalies()
    assert item.anomaly is None and not any("LogBackward0" in t for t, *_ in item._lines)


# -- the highlighted DAG ------------------------------------------------------------------
def test_clicking_a_root_highlights_its_backward_dag(run, qtbot):
    s, v, d = run.scene, run.view, run.doc
    seen = []
    s.dagHighlighted.connect(seen.append)
    loss = s.node_item("n7")
    drag(v, header(loss), header(loss), steps=1)  # a click
    dag = d.backward_dag("n7")
    assert s.highlight_root() == "n7" and seen == ["n7"]
    assert s.emphasised() == (set(dag.nodes), set(dag.wires))
    assert s.node_item("n1").emphasis == -1 and s.node_item("n2").emphasis == -1  # x, y
    assert s.wire_item(Wire("n2", "n7", "target")).emphasis == -1
    # selecting a leaf of the DAG (to inspect w.grad) keeps it
    drag(v, header(s.node_item("n3")), header(s.node_item("n3")), steps=1)
    assert s.selected_node_ids() == ["n3"] and s.highlight_root() == "n7"
    # anything else clears it: here x, a leaf off the DAG
    drag(v, header(s.node_item("n1")), header(s.node_item("n1")), steps=1)
    assert s.highlight() is None and seen == ["n7", ""]
    assert all(i.emphasis == 0 for i in s.node_items())


def test_hovering_a_leaf_highlights_its_paths_to_the_root(run):
    s, v = run.scene, run.view
    s.select_nodes(["n7"])
    assert s.highlight_root() == "n7"
    hover(v, header(s.node_item("n4")))  # b
    assert s.emphasised() == ({"n4", "n6", "n7"},
                              {Wire("n4", "n6", "other"), Wire("n6", "n7", "input")})
    hover(v, header(s.node_item("n3")))  # w
    assert s.emphasised()[0] == {"n3", "n5", "n6", "n7"}
    hover(v, QPointF(450, 700))  # empty canvas: the whole DAG again
    assert s.emphasised()[0] == set(run.doc.backward_dag("n7").nodes)


def test_highlight_follows_edits(run, qtbot):
    s, d = run.scene, run.doc
    s.show_dag("n7")
    d.set_flag("n3", "requires_grad", False)
    qtbot.waitUntil(lambda: "n3" not in s.highlight()[0], timeout=1000)
    assert s.highlight() == (set(d.backward_dag("n7").nodes), set(d.backward_dag("n7").wires))
    new = d.add_node("randn", "extra", {"shape": (3,)}, (300, 400), requires_grad=True)
    assert s.node_item(new.id).emphasis == -1  # a new node outside the DAG is dimmed
    s.set_highlight({"n5"}, set())  # an explicit highlight (no root) from the app
    assert s.highlight_root() is None and s.node_item("n5").emphasis == 1
    s.clear_highlight()
    assert all(i.emphasis == 0 for i in s.node_items())


def test_grad_wires_follow_every_change(run):
    s, d = run.scene, run.doc
    wz = Wire("n6", "n7", "input")
    assert s.wire_item(wz).carries_grad is True
    d.set_flag("n6", "frozen_output", True)  # z.detach()
    run.refresh()
    assert s.wire_item(wz).carries_grad is False
    d.set_flag("n6", "frozen_output", False)
    run.refresh()
    assert s.wire_item(wz).carries_grad is True
    d.set_setting("grad_enabled", False)  # global no_grad
    run.refresh()
    assert not any(i.carries_grad for i in s.wire_items())
    d.set_setting("grad_enabled", True)
    run.refresh()
    assert s.wire_item(Wire("n2", "n7", "target")).carries_grad is False  # y: no grad


# -- no_grad frames ------------------------------------------------------------------------
def test_region_from_selection_is_an_intent(run):
    s = run.scene
    got = []
    s.regionRequested.connect(got.append)
    assert not s.request_region()
    s.select_nodes(["n6", "n5"])
    assert s.request_region() and got == [["n5", "n6"]]
    assert run.doc.regions == {}


def test_inside_a_frame_outputs_do_not_require_grad(run):
    s, d = run.scene, run.doc
    d.add_region("no_grad", {"n5", "n6"})
    run.refresh()
    lines = lambda nid: [t for t, *_ in s.node_item(nid)._lines]  # noqa: E731
    assert lines("n6")[1] == "grad_fn=None · requires_grad=False"
    assert s.wire_item(Wire("n3", "n5", "other")).carries_grad is False
    err = run.ex.backward()
    assert err == "element 0 of tensors does not require grad and does not have a grad_fn"


def test_resize_frame_by_its_corner(run):
    s, v, d = run.scene, run.view, run.doc
    events = []
    s.regionResized.connect(lambda *a: events.append(a))

    def apply(rid, old, new):
        d.set_region_rect(rid, new[0])
        d.set_region_members(rid, new[1])
    s.regionResized.connect(apply)
    r = d.add_region("", {"n6"})
    item = s.region_items()[0]
    before = item.rect()
    grip = item.handle_rect().center()
    target = grip + QPointF(260, 20)  # stretch right over loss
    drag(v, grip, target)
    assert len(events) == 1  # one gesture, one intent: the rect and the members together
    rid, (old, old_members), (new, members) = events[0]
    assert rid == r.id and old is None
    assert old_members == {"n6"} and members == {"n6", "n7"}  # loss now lies inside
    assert new[0] == pytest.approx(before.x()) and new[1] == pytest.approx(before.y())
    assert new[2] == pytest.approx(target.x() - before.x(), abs=1)
    assert new[3] == pytest.approx(target.y() - before.y(), abs=1)
    assert d.regions[r.id].rect == pytest.approx(new)
    assert item.rect() == item.fixed_rect and item.rect().width() == pytest.approx(new[2])
    assert d.regions[r.id].members == {"n6", "n7"}


def test_drag_nodes_into_and_out_of_a_frame(run):
    s, v, d = run.scene, run.view, run.doc
    log = []
    s.nodesRegrouped.connect(lambda m, ch: log.append(("regrouped", set(m), ch)))
    s.nodesMoved.connect(lambda m: log.append(("moved", set(m))))
    harness = Harness(s, d)  # noqa: F841  (kept alive: Qt holds slots weakly)
    r = d.add_region("", {"n6"}, rect=(560, -60, 300, 260))
    frame = s.region_items()[0].rect()
    xw = s.node_item("n5")  # at (300, 0): outside the frame
    drag(v, header(xw), QPointF(frame.center().x(), frame.top() + 60))
    assert log == [("regrouped", {"n5"}, [(r.id, {"n6"}, {"n5", "n6"})])]
    log.clear()
    z = s.node_item("n6")
    drag(v, header(z), header(z) + QPointF(0, 420))  # out below the frame
    assert log == [("regrouped", {"n6"}, [(r.id, {"n5", "n6"}, {"n5"})])]
    log.clear()
    drag(v, header(xw), header(xw) + QPointF(10, 5))  # moving inside: no membership change
    assert log == [("moved", {"n5"})]


def test_auto_sized_frame_holds_still_while_a_member_is_dragged_out(run):
    s, v, d = run.scene, run.view, run.doc
    harness = Harness(s, d)  # noqa: F841  (kept alive: Qt holds slots weakly)
    r = d.add_region("", {"n5", "n6"})
    item = s.region_items()[0]
    before = item.rect()
    z = s.node_item("n6")
    start = vp(v, header(z))
    send_mouse(v, QEvent.Type.MouseButtonPress, start)
    for i in range(1, 7):
        send_mouse(v, QEvent.Type.MouseMove, start + QPointF(0, 60 * i),
                   buttons=Qt.MouseButton.LeftButton)
    assert item.rect() == before  # frozen while dragging: the node visibly leaves it
    send_mouse(v, QEvent.Type.MouseButtonRelease, start + QPointF(0, 360))
    assert d.regions[r.id].members == {"n5"}
    assert not item.rect().contains(z.sceneBoundingRect().center())


# -- step-through -----------------------------------------------------------------------------
def test_step_through_visuals_follow_the_engine_order(run):
    s, ex = run.scene, run.ex
    schedule = ex.backward_schedule("n7")
    player = stepthrough.StepThrough(stepthrough.preview_backward(ex, "n7"))
    assert [(st.name, st.node_id) for st in player.steps if not st.internal] == \
        [(n, i) for n, i in schedule if i is not None]
    visited = []
    for k in range(len(player)):
        player.seek(k)
        state = player.state
        s.show_step(state)
        if state.active is not None:
            assert s.node_item(state.active).step_mark == "active"
            visited.append(state.active)
        for w, g in state.wires.items():
            item = s.wire_item(w)
            assert item.label is not None and item.stepped
            assert item.label_array is g
        for nid, g in state.grads.items():
            assert s.node_item(nid).grad_array() is g
        for nid in state.done - {state.active}:
            assert s.node_item(nid).step_mark == "done"
    assert visited[0] == "n7" and set(visited) >= {"n3", "n4", "n5", "n6"}
    final = player.state
    # the wire into loss carries dloss/dz, a 3-vector shown by value
    assert s.wire_item(Wire("n6", "n7", "input")).label.startswith("[")
    assert ex.results["n3"].grad is None  # previewing did not touch the user's grads
    QApplication.processEvents()
    run.view.viewport().repaint()  # paints labels with previews without error
    s.show_step(None)
    assert all(i.label is None for i in s.wire_items())
    assert all(i.step_mark is None for i in s.node_items())
    assert s.node_item("n3").grad_array() is None  # back to the live (still empty) .grad
    assert ex.backward() is None  # the real backward ends where the steps ended
    np.testing.assert_allclose(final.grads["n3"], ex.results["n3"].grad.numpy())


# -- inspector --------------------------------------------------------------------------------
@pytest.fixture
def insp(qtbot):
    w = InspectorWidget()
    qtbot.addWidget(w)
    w.resize(360, 700)
    w.show()
    yield w
    w.detach()


def test_inspector_value_grad_and_warning(insp, torch):
    d = tutorial_doc()
    d.set_setting("root", "n7")
    ex = Executor(d)
    ex.forward()
    assert ex.backward() is None
    insp.set_node(d, "n3", ex.results["n3"])  # w: value and .grad printed as torch prints
    w_grad = ex.results["n3"].grad
    assert insp.value_text.toPlainText() == repr(ex.results["n3"].value)
    assert insp.grad_text.toPlainText() == repr(w_grad)
    assert not insp.grad_warning.isVisible()
    # torch on the same leaf values agrees
    tex = Executor(d, torch, leaf_values={n: ex.leaf(n).detach().numpy() for n in d.nodes
                                          if ex.leaf(n) is not None})
    tex.forward()
    assert tex.backward() is None
    np.testing.assert_allclose(w_grad.numpy(), tex.results["n3"].grad.numpy(), rtol=1e-5)
    # z: a non-leaf without retain_grad -> None and torch's UserWarning
    insp.set_node(d, "n6", ex.results["n6"])
    assert insp.grad_text.toPlainText() == "None"
    assert NON_LEAF_GRAD_WARNING in insp.grad_warning.text() or \
        NON_LEAF_GRAD_WARNING in insp.grad_view.warning_label.text()
    with pytest.warns(UserWarning) as rec:
        assert tex.results["n6"].value.grad is None
    assert str(rec[0].message) == NON_LEAF_GRAD_WARNING
    # with retain_grad the gradient is there
    d.set_flag("n6", "retain_grad", True)
    ex.forward()
    assert ex.backward() is None
    insp.set_node(d, "n6", ex.results["n6"])
    assert insp.grad_text.toPlainText() == repr(ex.results["n6"].grad)
    assert "tensor([" in insp.grad_text.toPlainText()
    ex.close()
    tex.close()


def test_inspector_autograd_checkboxes(insp, qtbot):
    d = tutorial_doc()
    events = []
    insp.flagEdited.connect(lambda *a: events.append(a))
    insp.set_node(d, "n3")
    assert set(insp.flag_boxes) == {"requires_grad", "retain_grad", "frozen_output"}
    assert insp.flag_boxes["frozen_output"].text() == "freeze output (detach)"
    for flag in ("requires_grad", "retain_grad", "frozen_output"):
        qtbot.mouseClick(insp.flag_boxes[flag], Qt.MouseButton.LeftButton,
                         pos=QPoint(6, insp.flag_boxes[flag].height() // 2))
    assert events == [("n3", "requires_grad", False), ("n3", "retain_grad", True),
                      ("n3", "frozen_output", True)]
    insp.set_node(d, "n6")  # an op: no requires_grad box (only leaves may set it)
    assert "requires_grad" not in insp.flag_boxes


# -- screenshot -------------------------------------------------------------------------------
def screenshot_doc() -> Document:
    """The tutorial graph laid out for the README, plus z_det = z.detach() (off the DAG)."""
    d = tutorial_doc()
    d.add_node("detach", "z_det", None, node_id="n8")
    d.connect("n6", "n8", "input")
    d.set_setting("root", "n7")
    return d


def layout(scene, columns, x0=0.0, dx=250.0, gap=26.0):
    for c, col in enumerate(columns):
        y = 0.0
        for nid, dy in col:
            y += dy
            scene.document.move_node(nid, (x0 + c * dx, y))
            y += scene.node_item(nid).body_rect().height() + gap


def test_dag_highlight_screenshot(qtbot, tmp_path):
    d = screenshot_doc()
    ex = Executor(d)
    ex.forward()
    assert ex.backward() is None
    scene = GraphScene(d)
    view = GraphView(scene)
    qtbot.addWidget(view)
    scene.set_results(ex.results)
    layout(scene, [[("n1", 0), ("n3", 0), ("n4", 0)], [("n5", 60)],
                   [("n6", 120), ("n2", 40)], [("n7", 60), ("n8", 60)]])
    scene.show_dag("n7")
    view.resize(1120, 660)
    view.show()
    qtbot.waitExposed(view)
    view.fit(scene.itemsBoundingRect().adjusted(-30, -30, 30, 30))
    QApplication.processEvents()
    img = view.grab().toImage()
    # GRADCANVAS_DOCS_SHOTS=1 refreshes the README's picture; a test run leaves the tree clean
    out = (ROOT / "docs" if os.environ.get("GRADCANVAS_DOCS_SHOTS") else tmp_path)
    assert img.save(str(out / "dag_highlight.png"))
    t = theme.current()
    hl = theme.hex_color(t["highlight"])
    canvas = theme.hex_color(t["canvas"])
    # a highlighted wire (w -> xw) is drawn in the highlight colour
    mid = scene.wire_item(Wire("n3", "n5", "other")).path().pointAtPercent(0.5)
    c = img.pixelColor(view.mapFromScene(mid))
    assert close(c, (hl.red(), hl.green(), hl.blue()), 30), c.name()
    # a dimmed node (z_det, off the DAG) is close to the canvas; a DAG node's body is not
    def body_px(nid):
        item = scene.node_item(nid)
        return img.pixelColor(view.mapFromScene(item.pos() + QPointF(item.WIDTH - 12,
                                                                     item.HEADER + 8)))
    dim, lit = body_px("n8"), body_px("n6")
    cv = (canvas.red(), canvas.green(), canvas.blue())
    assert close(dim, cv, 14), dim.name()
    assert not close(lit, cv, 14), lit.name()
    # the dimmed wire z -> z_det is faint; the dashed target wire y -> loss is dimmed too
    mid = scene.wire_item(Wire("n6", "n8", "input")).path().pointAtPercent(0.5)
    assert not close(img.pixelColor(view.mapFromScene(mid)), (hl.red(), hl.green(), hl.blue()),
                     30)
    scene.detach()
    ex.close()


# -- hover geometry == what tensor_preview draws ------------------------------------------
def test_cell_under_the_cursor_is_the_cell_drawn_there(qapp):
    """Random tensors and points: the cell the tooltip names has the colour drawn there."""
    from widgets import tensor_preview
    from widgets.canvas import previews
    rng = np.random.default_rng(5)
    w, h = 150, 40
    checked = 0
    for _ in range(400):
        ndim = int(rng.integers(1, 4))
        shape = tuple(int(v) for v in rng.integers(1, 12 if ndim > 1 else 300, size=ndim))
        a = rng.standard_normal(shape).astype(np.float32)
        img = tensor_preview.render(a, "grad", w, h)
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        hit = previews.cell_at(a, w, h, x + 0.5, y + 0.5, "grad")
        if hit is None:
            continue
        index, value = hit
        assert value == a[index]
        px = img.pixelColor(x, y)
        if a.ndim == 1 or px.alpha() < 200:
            continue  # bars: the point may lie above the bar; grid gaps are transparent
        shown = a if a.ndim == 2 else a[(0,) * (a.ndim - 2)]
        lims = colormaps.limits(shown, "grad")
        assert close(px, colormaps.rgb_at("grad", float(value), lims), 3), (shape, index)
        checked += 1
    assert checked > 60


def test_escape_drops_a_frame_resize_but_not_a_node_move(run):
    """Escape cancels a gesture that has not changed anything yet; a node move (Qt has moved
    the items already) still ends in its one intent."""
    from PySide6.QtTest import QTest
    s, v, d = run.scene, run.view, run.doc
    harness = Harness(s, d)
    resized = []
    s.regionResized.connect(lambda *a: resized.append(a))
    d.add_region("", {"n6"})
    item = s.region_items()[0]
    before = QPointF(item.rect().bottomRight())
    grip = vp(v, item.handle_rect().center())
    send_mouse(v, QEvent.Type.MouseButtonPress, grip)
    send_mouse(v, QEvent.Type.MouseMove, grip + QPointF(120, 40), buttons=Qt.MouseButton.LeftButton)
    assert item.rect().bottomRight() != before  # the frame follows the grip
    QTest.keyClick(v, Qt.Key.Key_Escape)
    assert item.rect().bottomRight() == before and s.interaction() is None
    send_mouse(v, QEvent.Type.MouseButtonRelease, grip + QPointF(120, 40))
    assert resized == []
    xw = s.node_item("n5")
    start = vp(v, header(xw))
    send_mouse(v, QEvent.Type.MouseButtonPress, start)
    send_mouse(v, QEvent.Type.MouseMove, start + QPointF(30, 200), buttons=Qt.MouseButton.LeftButton)
    QTest.keyClick(v, Qt.Key.Key_Escape)
    send_mouse(v, QEvent.Type.MouseButtonRelease, start + QPointF(30, 200))
    assert [e[0] for e in harness.log] == ["moved"]
    assert d.nodes["n5"].pos == (xw.pos().x(), xw.pos().y())  # model and item agree
