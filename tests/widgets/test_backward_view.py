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


# -- scale (issue 10): incremental updates and the level-of-detail cut -----------------------
def chain_doc(n: int, n_leaves: int = 4):
    """Leaves w0..w{k-1} (requires_grad) and a chain v_i = tanh(v_{i-1}) or v_{i-1} + w."""
    from engine.document.model import Document
    d = Document()
    for i in range(n_leaves):
        d.add_node("randn", f"w{i}", {"shape": (3,), "seed": i}, (0, i * 100),
                   requires_grad=True, node_id=f"w{i}")
    prev = "w0"
    for i in range(n):
        nid = f"v{i}"
        if i % 3 == 2:
            d.add_node("add", nid, None, (200 + i * 10, 0), node_id=nid)
            d.connect(prev, nid, "input")
            d.connect(f"w{i % n_leaves}", nid, "other")
        else:
            d.add_node("tanh", nid, None, (200 + i * 10, 0), node_id=nid)
            d.connect(prev, nid, "input")
        prev = nid
    return d


def show_doc(view, ex, doc):
    res = ex.forward()
    view.set_graph({k: r.value for k, r in res.items()}, {k: n.name for k, n in doc.nodes.items()})


def update_counts(n: int, qtbot) -> list[dict]:
    """What one update creates/removes after (a) a leaf's value edit, (b) one node added,
    (c) that node removed again, on a chain of `n` ops: counted by item identity."""
    doc = chain_doc(n)
    ex = Executor(doc)
    v = BackwardView()
    qtbot.addWidget(v)
    show_doc(v, ex, doc)
    counts = []

    def step(edit):
        before = {id(it): it for it in v.graph_items()}
        edges_before = {id(e): e for e in v.edge_items()}
        edit()
        show_doc(v, ex, doc)
        after = v.graph_items()
        created = sum(1 for it in after if id(it) not in before)
        removed = len(before) - (len(after) - created)
        e_created = sum(1 for e in v.edge_items() if id(e) not in edges_before)
        assert (created, removed) == (v.last_update["created"], v.last_update["removed"])
        assert e_created == v.last_update["edges_created"]
        counts.append({"created": created, "removed": removed, "edges_created": e_created,
                       "relabelled": v.last_update["relabelled"]})
    step(lambda: doc.set_param("w1", "seed", 99))  # new values, new grad_fns, same structure
    last = f"v{n - 1}"

    def add():
        doc.add_node("tanh", "extra", None, (0, 900), node_id="extra")
        doc.connect(last, "extra", "input")
    step(add)
    step(lambda: doc.remove_node("extra"))
    step(lambda: doc.rename_node(last, "renamed"))
    ex.close()
    return counts


def test_an_update_creates_only_what_changed(qtbot):
    """O(changed), not O(N): the same counts on a 60-op and a 600-op graph, none for a
    value edit (every grad_fn is new after a forward, but its box's key is not)."""
    small, big = update_counts(60, qtbot), update_counts(600, qtbot)
    assert small == big
    edit, add, remove, rename = big
    assert edit == {"created": 0, "removed": 0, "edges_created": 0, "relabelled": 0}
    assert add["created"] == 2 and add["removed"] == 1  # extra's root box + TanhBackward0
    assert add["edges_created"] == 2
    assert remove["created"] == 1 and remove["removed"] == 2
    assert rename["created"] == 0 and rename["relabelled"] == 2  # root box + its grad_fn


def test_update_keeps_the_view_and_reuses_items(qtbot, executed, bview):
    doc, ex, values, names = executed
    items = {it.key: it for it in bview.graph_items()}
    wheel(bview, QPointF(200, 200), 240)
    z = bview.zoom()
    doc.set_param("n3", "seed", 5)
    bview.set_graph({k: r.value for k, r in ex.forward().items()}, names)
    assert {it.key: it for it in bview.graph_items()} == items
    assert bview.zoom() == z  # no refit when nothing was added or removed
    # the boxes now hold the new graph's grad_fns
    new_root = ex.results["n7"].value.grad_fn
    assert bview.item_for_fn(new_root) is items[("fn", "n7")]
    assert bview.item_for_fn(values["n7"].grad_fn) is None


def big_values(n: int):
    """An engine graph of about n grad_fns: a chain of tanh with a leaf added every 4th."""
    ws = [engine.randn(3, requires_grad=True) for _ in range(5)]
    values = {f"w{i}": w for i, w in enumerate(ws)}
    h = ws[0]
    for i in range(n):
        h = h + ws[i % 5] if i % 4 == 3 else h.tanh()
        values[f"v{i}"] = h
    return values


def fns_shown(v) -> int:
    return sum(1 for it in v.graph_items() if it.kind == "fn")


def test_big_graph_is_cut_with_a_message_and_expands(qtbot):
    from widgets.backward_view import LOD_LIMIT
    v = BackwardView()
    qtbot.addWidget(v)
    v.resize(500, 400)
    v.show()
    qtbot.waitExposed(v)
    values = big_values(3000)
    with qtbot.waitSignal(v.lodChanged, timeout=1000) as sig:
        v.set_graph(values)
    total = v.graph().n_fns
    assert total == 3005  # 3000 ops + 5 AccumulateGrad
    assert fns_shown(v) == LOD_LIMIT
    msg = f"showing 2,000 of {total:,} grad_fns"
    assert sig.args == [msg] and v.lod_message() == msg
    assert v.lod_bar.isVisible() and v.lod_bar.label.text() == msg
    # the root's neighbourhood: the root and the grad_fns nearest to it are drawn
    assert v.items_for("v2999") and v.items_for("v1100") and not v.items_for("v900")
    frontier = [it for it in v.graph_items() if it.hidden]
    assert frontier and all(it.kind == "fn" for it in frontier)
    # the bar sits above the viewport, not over the graph
    assert v.lod_bar.geometry().bottom() < v.viewport().geometry().top() + 2
    from PySide6.QtTest import QTest
    QTest.mouseClick(v.lod_bar.expand_button, Qt.MouseButton.LeftButton)
    assert fns_shown(v) == total and v.lod_message() == "" and not v.lod_bar.isVisible()
    assert not any(it.hidden for it in v.graph_items())


def test_double_click_expands_a_box(qtbot, executed):
    _, _, values, names = executed
    v = BackwardView()
    qtbot.addWidget(v)
    v.resize(560, 560)
    v.limit = 2  # BCE's grad_fn and AddBackward0 only
    v.set_graph(values, names)
    v.show()
    qtbot.waitExposed(v)
    assert {it.title for it in v.graph_items() if it.kind == "fn"} == {
        "BinaryCrossEntropyWithLogitsBackward0", "AddBackward0"}
    add = next(it for it in v.graph_items() if it.title == "AddBackward0")
    assert add.hidden == 2  # SqueezeBackward4 and b's AccumulateGrad
    v.fit()
    pos = QPointF(v.mapFromScene(add.scenePos()))
    send_mouse(v, QEvent.Type.MouseButtonPress, pos)
    send_mouse(v, QEvent.Type.MouseButtonRelease, pos)
    send_mouse(v, QEvent.Type.MouseButtonDblClick, pos)
    send_mouse(v, QEvent.Type.MouseButtonRelease, pos)
    shown = {it.title for it in v.graph_items()}
    assert {"SqueezeBackward4", "AccumulateGrad", "b"} <= shown and add.hidden == 0
    assert v.lod_message() == "showing 4 of 6 grad_fns"


def test_selecting_a_hidden_node_draws_it(qtbot):
    v = BackwardView()
    qtbot.addWidget(v)
    v.set_graph(big_values(2600))
    got = []
    v.nodeSelected.connect(got.append)
    assert v.items_for("v40") == []
    v.select_doc_node("v40")
    assert v.items_for("v40") and v.selected_doc_ids() == ["v40"] and got == []
    assert v.graph().n_fns > fns_shown(v) > 2000
    # the step-through finds and draws a hidden grad_fn too
    fn = v.find_fn("TanhBackward0", "v20")
    assert fn is not None and v.item_for_fn(fn) is None
    v.highlight_step(fn)
    assert v.current_step_item() is v.item_for_fn(fn) is not None


def test_show_all_reports_progress_and_cancels(qtbot):
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest
    v = BackwardView()
    qtbot.addWidget(v)
    v.resize(600, 400)
    v.show()
    qtbot.waitExposed(v)
    v.set_graph(big_values(5000))
    n_items, n_edges = len(v.graph_items()), len(v.edge_items())
    seen = []

    def click_cancel():  # runs inside the work, from the indicator's event pump
        seen.append((v.progress.is_running(), v.progress.isVisible()))
        QTest.mouseClick(v.progress.cancel_button, Qt.MouseButton.LeftButton)
    v.progress.started.connect(lambda _t: QTimer.singleShot(0, click_cancel))
    with qtbot.waitSignal(v.progress.finished, timeout=20000) as fin:
        QTest.mouseClick(v.lod_bar.show_all_button, Qt.MouseButton.LeftButton)
    assert seen == [(True, True)] and fin.args == [True] and v.progress.was_cancelled
    # back to what was drawn before, nothing left behind in the scene
    assert (len(v.graph_items()), len(v.edge_items())) == (n_items, n_edges)
    assert len(v.scene().items()) == n_items + n_edges
    assert v.lod_message().startswith("showing 2,000 of") and not v.progress.isVisible()
    v.progress.started.disconnect()
    calls = v.progress.callbacks
    v.show_all()
    assert fns_shown(v) == v.graph().n_fns and v.lod_message() == ""
    assert v.progress.callbacks - calls >= 3 and not v.progress.was_cancelled
    assert len(v.scene().items()) == len(v.graph_items()) + len(v.edge_items())


def test_the_walk_is_bounded_by_the_cut():
    """An update walks (makes boxes for) what the cut draws plus its frontier, whatever the
    graph's size; the rest is only counted, and the count is exact."""
    from widgets.backward_graph import walk
    from widgets.backward_view import LOD_LIMIT
    sizes = {}
    for n in (3000, 6000):
        values = big_values(n)
        part, full = walk(values, stop=LOD_LIMIT), walk(values)
        assert part.partial and not full.partial
        assert part.n_fns == full.n_fns == n + 5
        assert all(full.boxes[k].title == b.title for k, b in part.boxes.items())
        sizes[n] = len(part.boxes)
    assert sizes[3000] == sizes[6000] < LOD_LIMIT + 20


def test_an_update_during_show_all_waits_for_it(qtbot):
    """The indicator pumps events while drawing: a set_graph from the window's timer then
    must not re-enter the drawing; it is applied after."""
    from PySide6.QtCore import QTimer
    v = BackwardView()
    qtbot.addWidget(v)
    v.set_graph(big_values(4000))
    a = engine.tensor([1.0], requires_grad=True)
    small = {"a": a, "y": a * 3}
    during = []

    def update():
        during.append(v.progress.is_running())
        v.set_graph(small)
    v.progress.started.connect(lambda _t: QTimer.singleShot(0, update))
    v.show_all()
    assert during == [True] and not v.progress.is_running()
    assert {it.title for it in v.graph_items()} == {"y", "MulBackward0", "AccumulateGrad", "a"}
    assert len(v.scene().items()) == len(v.graph_items()) + len(v.edge_items())
