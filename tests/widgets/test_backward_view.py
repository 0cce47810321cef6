"""The torchviz-style backward graph: structure (against torch), selection sync, step marks."""
from __future__ import annotations

from collections import Counter

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt

import engine
from engine.document.execution import Executor
from widgets import theme
from widgets.backward_view import LEAF_FILL, ROOT_FILL, BackwardView, fn_name

from .conftest import send_mouse, tutorial_doc, wheel

pytestmark = pytest.mark.gui


@pytest.fixture
def executed():
    doc = tutorial_doc()
    ex = Executor(doc)
    results = ex.forward()
    values = {k: r.value for k, r in results.items()}
    names = {k: n.name for k, n in doc.nodes.items()}
    yield doc, ex, values, names
    ex.close()


@pytest.fixture
def bview(qtbot, executed):
    _, _, values, names = executed
    v = BackwardView()
    qtbot.addWidget(v)
    v.resize(560, 560)
    v.set_graph(values, names)
    v.show()
    qtbot.waitExposed(v)
    return v


def walk_names(root_fn) -> Counter:
    """grad_fn names reachable from root_fn (each grad_fn once), by next_functions."""
    seen, stack, names = set(), [root_fn], Counter()
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        names[type(fn).__name__] += 1
        stack.extend(n for n, _ in fn.next_functions if n is not None)
    return names


def click(view, item, button=Qt.MouseButton.LeftButton):
    pos = QPointF(view.mapFromScene(item.scenePos() + QPointF(0, item.h / 2 - 3)))
    send_mouse(view, QEvent.Type.MouseButtonPress, pos, button)
    send_mouse(view, QEvent.Type.MouseButtonRelease, pos, button)


@pytest.mark.parity
def test_same_grad_fns_and_edges_as_torch(bview, executed, torch):
    doc, ex, values, _ = executed
    leaf_values = {nid: ex.leaf(nid).detach().numpy() for nid in ("n1", "n2", "n3", "n4")}
    tex = Executor(doc, torch, leaf_values=leaf_values)
    troot = tex.forward()["n7"].value.grad_fn
    shown = Counter(it.title for it in bview.graph_items() if it.kind == "fn")
    assert shown == walk_names(troot)
    assert shown["AccumulateGrad"] == 2 and shown["MmBackward0"] == 1
    # every drawn edge is a next_functions edge, and every such edge is drawn
    for it in bview.graph_items():
        if it.kind != "fn":
            continue
        kids = Counter(e.dst.title for e in it.out_edges if e.dst.kind == "fn")
        assert kids == Counter(fn_name(n) for n, _ in it.fn.next_functions if n is not None)
    tex.close()


def test_leaves_root_and_owners(bview):
    by_kind = {}
    for it in bview.graph_items():
        by_kind.setdefault(it.kind, []).append(it)
    (root,) = by_kind["root"]
    assert (root.title, root.subtitle, root.doc_id) == ("loss", "()", "n7")
    assert {(it.title, it.subtitle, it.doc_id) for it in by_kind["leaf"]} == {
        ("w", "(5, 3)", "n3"), ("b", "(3)", "n4")}
    # matmul of a vector records SqueezeBackward4 over MmBackward0: both belong to xw
    assert sorted(it.title for it in bview.items_for("n5")) == ["MmBackward0", "SqueezeBackward4"]
    assert sorted(it.title for it in bview.items_for("n3")) == ["AccumulateGrad", "w"]
    assert bview.items_for("n1") == []  # x does not require grad: not in the graph
    # root on top: each edge goes downwards
    for e in bview.edge_items():
        assert e.src.scenePos().y() < e.dst.scenePos().y()


def test_fit_on_show_and_wheel_zoom(bview):
    vp_rect = bview.viewport().rect()
    for it in bview.graph_items():
        assert vp_rect.contains(bview.mapFromScene(it.sceneBoundingRect()).boundingRect())
    z = bview.zoom()
    wheel(bview, QPointF(200, 200), 240)
    assert bview.zoom() > z * 1.2
    wheel(bview, QPointF(200, 200), -480)
    assert bview.zoom() < z


def test_click_selects_the_whole_doc_node_and_emits(qtbot, bview):
    (squeeze,) = [it for it in bview.graph_items() if it.title == "SqueezeBackward4"]
    with qtbot.waitSignal(bview.nodeSelected, timeout=1000) as sig:
        click(bview, squeeze)
    assert sig.args == ["n5"]
    assert {it.title for it in bview.scene().selectedItems()} == {"SqueezeBackward4",
                                                                 "MmBackward0"}
    # a click on the background clears the selection
    with qtbot.waitSignal(bview.nodeSelected, timeout=1000) as sig:
        pos = QPointF(8, 8)
        send_mouse(bview, QEvent.Type.MouseButtonPress, pos)
        send_mouse(bview, QEvent.Type.MouseButtonRelease, pos)
    assert sig.args == [""] and bview.scene().selectedItems() == []


def test_select_doc_node_is_silent(qtbot, bview):
    got = []
    bview.nodeSelected.connect(got.append)
    bview.select_doc_node("n3")
    assert {it.title for it in bview.scene().selectedItems()} == {"AccumulateGrad", "w"}
    assert bview.selected_doc_ids() == ["n3"]
    bview.select_doc_node(None)
    assert bview.scene().selectedItems() == [] and got == []


def pixel(view, item, dx=0.0, dy=0.0):
    img = view.grab().toImage()
    dpr = img.devicePixelRatio()
    p = view.mapFromScene(item.scenePos() + QPointF(dx, dy))
    c = img.pixelColor(int(p.x() * dpr), int(p.y() * dpr))
    return c.red(), c.green(), c.blue()


def close(a, b, tol=12):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def hexrgb(h):
    return int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)


def test_colors_like_torchviz(bview):
    # sample just inside the box's left edge, away from the text
    root = next(it for it in bview.graph_items() if it.kind == "root")
    leaf = next(it for it in bview.graph_items() if it.kind == "leaf")
    fn = next(it for it in bview.graph_items() if it.title == "AddBackward0")
    assert close(pixel(bview, root, -root.w / 2 + 3), hexrgb(ROOT_FILL))
    assert close(pixel(bview, leaf, -leaf.w / 2 + 3), hexrgb(LEAF_FILL))
    assert close(pixel(bview, fn, -fn.w / 2 + 4), hexrgb(theme.current()["node_body"]))


def test_highlight_step(bview, executed):
    _, _, values, _ = executed
    add_fn, loss_fn = values["n6"].grad_fn, values["n7"].grad_fn
    bview.highlight_step(add_fn, visited=[loss_fn])
    add_item, loss_item = bview.item_for_fn(add_fn), bview.item_for_fn(loss_fn)
    assert (add_item.step_state, loss_item.step_state) == (2, 1)
    assert bview.current_step_item() is add_item
    assert close(pixel(bview, add_item, -add_item.w / 2 + 4), hexrgb(theme.current()["highlight"]))
    mm = bview.find_fn("MmBackward0", "n5")
    assert mm is not None and mm in [it.fn for it in bview.items_for("n5")]
    assert bview.find_fn("MmBackward0", "n6") is None
    bview.highlight_step(None)
    assert all(it.step_state == 0 for it in bview.graph_items())


def test_schedule_names_map_to_boxes(bview, executed):
    """Every (name, doc id) of the executor's backward schedule finds its box."""
    _, ex, _, _ = executed
    schedule = ex.backward_schedule("n7")
    assert schedule
    for name, nid in schedule:
        fn = bview.find_fn(name, nid)
        assert fn is not None and fn_name(fn) == name


def test_repeated_input_draws_two_edges(qtbot):
    v = BackwardView()
    qtbot.addWidget(v)
    a = engine.tensor([1.0, 2.0], requires_grad=True)
    y = a * a
    v.set_graph({"a": a, "y": y}, {"a": "a", "y": "y"})
    mul = next(it for it in v.graph_items() if it.title == "MulBackward0")
    acc = [e for e in mul.out_edges if e.dst.title == "AccumulateGrad"]
    assert len(acc) == 2 and acc[0].offset != acc[1].offset


def test_root_restricts_and_empty_graph(qtbot):
    v = BackwardView()
    qtbot.addWidget(v)
    a = engine.tensor([1.0, 2.0], requires_grad=True)
    b = engine.tensor([3.0], requires_grad=True)
    y, z = a.sum(), b * 2
    v.set_graph({"a": a, "b": b, "y": y, "z": z})
    assert sorted(it.doc_id for it in v.graph_items() if it.kind == "root") == ["y", "z"]
    v.set_graph({"a": a, "b": b, "y": y, "z": z}, root="z")
    assert {it.doc_id for it in v.graph_items()} == {"z", "b"}
    v.set_graph({"x": engine.ones(3)})
    assert v.graph_items() == [] and v.placeholder.scene() is v.scene()


def test_highlight_named_step_follows_the_schedule(bview, executed):
    _, ex, _, _ = executed
    schedule = ex.backward_schedule("n7")
    for i, step in enumerate(schedule):
        bview.highlight_named_step(step, visited=schedule[:i])
        states = Counter(it.step_state for it in bview.graph_items() if it.kind == "fn")
        assert states[2] == 1 and states[1] == i
        assert bview.current_step_item().title == step[0]
    bview.highlight_named_step(None)
    assert bview.current_step_item() is None


def test_refits_on_resize_until_the_user_zooms(qtbot, bview):
    bview.resize(300, 400)  # room for the whole graph at a readable scale
    qtbot.wait(10)
    for it in bview.graph_items():
        assert bview.viewport().rect().contains(
            bview.mapFromScene(it.sceneBoundingRect()).boundingRect())
    wheel(bview, QPointF(100, 100), 240)
    z = bview.zoom()
    bview.resize(500, 500)
    qtbot.wait(10)
    assert bview.zoom() == z


def test_small_dock_keeps_labels_readable(qtbot, executed):
    """In a dock-sized view (~330 x 220) fit() does not shrink the graph until the LOD rule
    hides its labels: it stays >= MIN_FIT_ZOOM, shows the root end and scrolls."""
    from PySide6.QtGui import QImage

    from widgets.backward_view import LOD_TEXT, MIN_FIT_ZOOM
    _, _, values, names = executed
    v = BackwardView()
    qtbot.addWidget(v)
    v.resize(330, 220)
    v.set_graph(values, names)
    v.show()
    qtbot.waitExposed(v)
    assert MIN_FIT_ZOOM <= v.zoom() <= 1.0 and v.zoom() > LOD_TEXT
    vp = v.viewport().rect()
    by_title = {it.title: it for it in v.graph_items()}
    for title in ("loss", "BinaryCrossEntropyWithLogitsBackward0", "AddBackward0"):
        assert vp.contains(v.mapFromScene(by_title[title].sceneBoundingRect()).boundingRect())
    assert v.verticalScrollBar().isVisible() and v.verticalScrollBar().maximum() > 0
    # the labels are painted: text pixels inside the root's grad_fn box
    img = v.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    box = v.mapFromScene(by_title["AddBackward0"].sceneBoundingRect()).boundingRect()
    fill = theme.color("node_body").rgb() & 0xFFFFFF
    text = [(x, y) for x in range(box.left() + 12, box.right() - 12)
            for y in range(box.top() + 5, box.bottom() - 5)
            if abs((img.pixel(x, y) & 0xFF) - (fill & 0xFF)) > 60]
    assert len(text) > 20, len(text)
    # scrolling down reaches the leaves
    v.verticalScrollBar().setValue(v.verticalScrollBar().maximum())
    assert vp.contains(v.mapFromScene(by_title["w"].sceneBoundingRect()).boundingRect())
