"""Fixtures for the canvas tests: a small document, a shown view, mouse helpers."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from engine.document.model import Document
from widgets.canvas import GraphScene, GraphView


def tutorial_doc() -> Document:
    """x, y, w, b -> xw = matmul(x, w) -> z = xw + b -> loss = bce_with_logits(z, y)."""
    d = Document()
    d.add_node("ones", "x", {"shape": (5,)}, (0, 0), node_id="n1")
    d.add_node("zeros", "y", {"shape": (3,)}, (0, 160), node_id="n2")
    d.add_node("randn", "w", {"shape": (5, 3)}, (0, 320), requires_grad=True, node_id="n3")
    d.add_node("randn", "b", {"shape": (3,)}, (0, 480), requires_grad=True, node_id="n4")
    d.add_node("matmul", "xw", None, (300, 0), node_id="n5")
    d.add_node("add", "z", None, (600, 0), node_id="n6")
    d.add_node("F.binary_cross_entropy_with_logits", "loss", None, (900, 0), node_id="n7")
    d.connect("n1", "n5", "input")
    d.connect("n3", "n5", "other")
    d.connect("n5", "n6", "input")
    d.connect("n4", "n6", "other")
    d.connect("n6", "n7", "input")
    d.connect("n2", "n7", "target")
    return d


def result(shape=(3,), dtype="float32", requires_grad=False, is_leaf=True, grad_fn=None,
           error=None, blocked_by=None, value=None, grad=None, grad_count=0):
    """A stand-in for the executor's NodeResult (display-only fields)."""
    return SimpleNamespace(value=value, shape=shape, dtype=dtype, requires_grad=requires_grad,
                           is_leaf=is_leaf, grad_fn=grad_fn, next_functions=[], error=error,
                           blocked_by=blocked_by, grad=grad, grad_count=grad_count)


class Harness:
    """What the app does with the scene's intents, minus undo: apply them to the document."""

    def __init__(self, scene: GraphScene, doc: Document) -> None:
        self.log: list[tuple] = []
        scene.connectRequested.connect(self._connect)
        scene.reconnectRequested.connect(self._reconnect)
        scene.disconnectRequested.connect(self._disconnect)
        scene.nodesMoved.connect(self._moved)
        scene.nodesRegrouped.connect(self._regrouped)
        self.doc = doc

    def _connect(self, src, dst, port, index):
        self.log.append(("connect", src, dst, port, index))
        self.doc.connect(src, dst, port, index, replace=True)

    def _reconnect(self, wire, dst, port, index):
        self.log.append(("reconnect", wire, dst, port, index))
        self.doc.disconnect(wire)
        self.doc.connect(wire.src, dst, port, index, replace=True)

    def _regrouped(self, moves, changes):
        self.log.append(("regrouped", moves, changes))
        for rid, _old, new in changes:
            self.doc.set_region_members(rid, new)
        self._moved(moves)

    def _disconnect(self, wire):
        self.log.append(("disconnect", wire))
        self.doc.disconnect(wire)

    def _moved(self, moves):
        self.log.append(("moved", moves))
        for nid, (_old, new) in moves.items():
            self.doc.move_node(nid, new)


@pytest.fixture
def doc():
    return tutorial_doc()


@pytest.fixture
def canvas(qtbot, doc):
    scene = GraphScene(doc)
    view = GraphView(scene)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    qtbot.waitExposed(view)
    view.centerOn(550, 300)
    yield SimpleNamespace(doc=doc, scene=scene, view=view)
    scene.detach()


# -- real mouse events sent to the viewport (QTest.mouseMove cannot hold a button) --------
def vp(view, scene_pos) -> QPointF:
    return QPointF(view.mapFromScene(QPointF(scene_pos)))


def send_mouse(view, kind, pos: QPointF, button=Qt.MouseButton.LeftButton,
               buttons=None, modifiers=Qt.KeyboardModifier.NoModifier):
    if buttons is None:
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    glob = QPointF(view.viewport().mapToGlobal(pos.toPoint()))
    ev = QMouseEvent(kind, pos, glob, button if kind != QEvent.Type.MouseMove else
                     Qt.MouseButton.NoButton, buttons, modifiers)
    QApplication.sendEvent(view.viewport(), ev)


def drag(view, start_scene, end_scene, button=Qt.MouseButton.LeftButton, steps=6,
         in_viewport=False):
    """Press at start, move in steps with the button held, release at end."""
    a = QPointF(start_scene) if in_viewport else vp(view, start_scene)
    b = QPointF(end_scene) if in_viewport else vp(view, end_scene)
    send_mouse(view, QEvent.Type.MouseButtonPress, a, button)
    for i in range(1, steps + 1):
        p = a + (b - a) * (i / steps)
        send_mouse(view, QEvent.Type.MouseMove, p, button, buttons=button)
    send_mouse(view, QEvent.Type.MouseButtonRelease, b, button)


def wheel(view, pos: QPointF, delta: int):
    glob = QPointF(view.viewport().mapToGlobal(pos.toPoint()))
    ev = QWheelEvent(pos, glob, QPoint(0, 0), QPoint(0, delta), Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), ev)
