"""Module groups driven by real events: double-click collapse/expand, the lock freezes a
module (undo unfreezes), Ctrl+G groups the selection, groups round-trip through a file."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog

from app.files import EXAMPLES
from app.group_commands import parameters
from engine.document import fileformat

from .conftest import click_scene, send_mouse

MLP = EXAMPLES / "nn_mlp_script.json"


def _open_mlp(make_window):
    w = make_window(tutorial=False)
    w.resize(1400, 900)
    assert w.files.load(MLP)
    QApplication.processEvents()
    return w


def _region(doc, prefix):
    return next(r for r in doc.regions.values() if r.title.startswith(prefix + " · "))


def _double_click(view, scene_pos):
    p = QPointF(view.mapFromScene(scene_pos))
    send_mouse(view, QEvent.Type.MouseButtonPress, p)
    send_mouse(view, QEvent.Type.MouseButtonRelease, p)
    send_mouse(view, QEvent.Type.MouseButtonDblClick, p)
    send_mouse(view, QEvent.Type.MouseButtonRelease, p)


def _show(w, item):
    w.view.resetTransform()
    w.view.centerOn(item.rect().center())
    QApplication.processEvents()


def test_every_module_region_is_a_labelled_nested_box(make_window):
    w = _open_mlp(make_window)
    doc, groups = w.document(), w.scene.groups
    modules = [r for r in doc.regions.values() if r.kind == "module"]
    assert set(groups.items) == {r.id for r in modules}
    outer, lin = _region(doc, "model"), _region(doc, "model.0")
    assert groups.items[lin.id].title == \
        "model.0 · Linear(in_features=4, out_features=8, bias=True)"
    assert groups.items[lin.id].parent_id == outer.id
    assert groups.items[outer.id].rect().contains(groups.items[lin.id].rect())
    # a member moves: its boxes follow
    before = groups.items[lin.id].rect()
    nid = sorted(lin.members)[0]
    x, y = doc.nodes[nid].pos
    doc.move_node(nid, (x - 300, y))
    assert groups.items[lin.id].rect().left() < before.left() - 250
    assert groups.items[outer.id].rect().contains(groups.items[lin.id].rect())


def test_double_click_on_the_header_collapses_and_expands_undoably(make_window):
    w = _open_mlp(make_window)
    doc, groups = w.document(), w.scene.groups
    lin = _region(doc, "model.0")
    item = groups.items[lin.id]
    _show(w, item)
    header = item.header_rect().center()
    _double_click(w.view, QPointF(item.rect().left() + 40, header.y()))
    assert doc.regions[lin.id].collapsed
    members = {n: w.scene.node_item(n) for n in lin.members}
    assert not any(i.isVisible() for i in members.values())
    # the box lists the module's input and output with their shapes, and the gradients
    assert [label for _, label in item.inputs] == ["X (6, 4)"]
    assert [label for _, label in item.outputs] == ["model_0 (6, 8)"]
    assert [n for n, _, _ in item.grads] == ["model_0_weight", "model_0_bias"]
    # the wire into the module ends at the box's input port, not at a hidden node
    wire = next(wi for wi in w.scene.wire_items() if wi.wire.dst in lin.members
                and wi.wire.src not in lin.members)
    assert wire.isVisible()
    end = wire.path().pointAtPercent(1.0)
    assert abs(end.x() - item.rect().left()) < 0.5
    inner = [wi for wi in w.scene.wire_items() if wi.wire.src in lin.members
             and wi.wire.dst in lin.members]
    assert inner and not any(wi.isVisible() for wi in inner)
    # expand: double-click the collapsed box
    _double_click(w.view, item.rect().center())
    assert not doc.regions[lin.id].collapsed
    assert all(i.isVisible() for i in members.values())
    w.undo_stack.undo()
    assert doc.regions[lin.id].collapsed
    w.undo_stack.undo()
    assert not doc.regions[lin.id].collapsed


def test_collapse_button_and_saved_collapsed_flag_round_trip(make_window, tmp_path):
    w = _open_mlp(make_window)
    doc, groups = w.document(), w.scene.groups
    lin = _region(doc, "model.2")
    item = groups.items[lin.id]
    _show(w, item)
    click_scene(w.view, item.mapToScene(item.collapse_button_rect().center()))
    assert doc.regions[lin.id].collapsed
    path = tmp_path / "mlp.json"
    w.files._write(str(path))
    again = fileformat.load(path)
    kinds = {(r.title, r.kind, r.collapsed) for r in again.regions.values()}
    assert (lin.title, "module", True) in kinds
    w2 = make_window(tutorial=False)
    assert w2.files.load(path)
    assert w2.scene.groups.items[lin.id].collapsed
    assert not w2.scene.node_item(sorted(lin.members)[0]).isVisible()


def test_the_lock_freezes_the_module_and_undo_unfreezes(make_window):
    w = _open_mlp(make_window)
    doc, groups = w.document(), w.scene.groups
    lin = _region(doc, "model.0")
    params = parameters(doc, lin.id)
    assert [doc.nodes[p].name for p in params] == ["model_0_weight", "model_0_bias"]
    item = groups.items[lin.id]
    _show(w, item)
    click_scene(w.view, item.mapToScene(item.lock_button_rect().center()))
    assert all(doc.nodes[p].frozen for p in params)
    assert item.locked
    assert all(w.scene.node_item(p).frozen for p in params)  # drawn as frozen
    w.refresh_results()
    # gradient stops at the frozen parameters: their wires carry none, torch's flag is off
    res = w.results()
    assert all(not res[p].requires_grad for p in params)
    wires = [wi for wi in w.scene.wire_items() if wi.wire.src in params]
    assert wires and all(wi.carries_grad is False for wi in wires)
    assert w.undo_stack.text(w.undo_stack.index() - 1) == "model.0.requires_grad_(False)"
    w.undo_stack.undo()  # one step unfreezes both
    assert not any(doc.nodes[p].frozen for p in params)
    assert not item.locked
    assert not any(w.scene.node_item(p).frozen for p in params)


def test_ctrl_g_groups_the_selection_with_a_name_and_ungroup_removes_it(make_window, qtbot):
    w = make_window(tutorial=False)
    a = w.add_node("ones")
    b = w.add_node("exp", connect_from=a)
    w.scene.select_nodes([a, b])
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=2000)
    w.view.setFocus()

    def answer():
        dlg = next((d for d in QApplication.topLevelWidgets()
                    if isinstance(d, QInputDialog) and d.isVisible()), None)
        if dlg is None:
            QTimer.singleShot(20, answer)
            return
        dlg.setTextValue("block")
        dlg.accept()
    QTimer.singleShot(0, answer)
    QTest.keyClick(w.view, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    doc = w.document()
    groups = [r for r in doc.regions.values() if r.kind == "module"]
    assert [(g.title, g.members) for g in groups] == [("block", {a, b})]
    assert groups[0].id in w.scene.groups.items
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=2000)
    QTest.keyClick(w.view, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    assert not doc.regions
    w.undo_stack.undo()
    assert [r.title for r in doc.regions.values()] == ["block"]
    assert doc.regions[groups[0].id].kind == "module"


def test_the_backward_graph_view_clusters_grad_fns_by_module(make_window, qtbot):
    from widgets.backward_view import BackwardView
    w = _open_mlp(make_window)
    bv = w.findChild(BackwardView)
    qtbot.waitUntil(lambda: len(bv.clusters.titles()) == 5, timeout=5000)
    doc = w.document()
    lin = _region(doc, "model.0")
    i = next(k for k, (t, _) in enumerate(bv.clusters.groups) if t == lin.title)
    box = bv.clusters.items[i].rect()
    inside = [it for nid in lin.members for it in bv._by_doc.get(nid, ())]
    assert {it.title for it in inside} >= {"AddmmBackward0", "AccumulateGrad"}
    for it in inside:
        assert box.contains(it.boundingRect().translated(it.pos()))
    outer = next(k for k, (t, _) in enumerate(bv.clusters.groups)
                 if t.startswith("model · "))
    assert bv.clusters.items[outer].rect().contains(box)


def test_dragging_a_member_moves_its_box_and_keeps_it_a_member(make_window):
    from .conftest import drag_scene
    w = _open_mlp(make_window)
    doc, groups = w.document(), w.scene.groups
    lin = _region(doc, "model.0")
    item = groups.items[lin.id]
    nid = next(n for n in lin.members if doc.nodes[n].name == "model_0")
    node = w.scene.node_item(nid)
    _show(w, item)
    start = node.pos() + node.body_rect().center()
    before = item.rect()
    drag_scene(w.view, start, start + QPointF(0, 300))
    assert doc.nodes[nid].pos[1] > before.bottom()  # the drag reached the model
    assert item.rect().bottom() > before.bottom() + 250
    assert item.rect().contains(node.body_rect().translated(node.pos()))
    assert nid in doc.regions[lin.id].members
