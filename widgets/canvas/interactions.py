"""Gestures on the canvas, one small class each (Orange's ``document/interactions.py``).

While a gesture runs, the scene forwards its mouse events to the active interaction
(``GraphScene.set_interaction``); the interaction draws its own feedback and, when the gesture
ends, emits exactly one intent through the scene's signals (``connectRequested``,
``reconnectRequested``, ``nodesMoved``, ``nodesRegrouped``, ``regionResized``). The app turns
that intent into one undo command. No rule lives here: whether a wire may be made is asked of
``Document.check_connect``, and the refusal text shown is the model's.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsScene

from . import style as _style
from .items import BubbleItem, NodeItem, RegionItem, TempWireItem


class Interaction:
    """One gesture from press to release. Handlers return True when they consumed the
    event; ``cancel`` (Escape, a rebuild) drops the gesture without an intent."""

    cancellable = True  # Escape may drop it (a node move may not: Qt moves the items)

    def __init__(self, scene) -> None:
        self.scene = scene

    def mouse_press(self, event) -> bool:
        return False

    def mouse_move(self, event) -> bool:
        return False

    def mouse_release(self, event) -> bool:
        return False

    def cancel(self) -> None:
        self.end()

    def end(self) -> None:
        """Remove the feedback and give the mouse back to the scene."""
        self.cleanup()
        if self.scene.interaction() is self:
            self.scene.set_interaction(None)

    def cleanup(self) -> None:
        pass


# ---------------------------------------------------------------------- wire drag
class WireDrag(Interaction):
    """Drag a wire from a port (or lift an existing wire by its input end).

    Over a port, the model says whether the wire would be accepted (``check_connect``); the
    temporary wire turns red with the model's message, or snaps onto the port, and over an
    occupied single input the hint says which wire it replaces. The release emits one intent."""

    def __init__(self, scene, item: NodeItem, port, pos: QPointF) -> None:
        super().__init__(scene)
        self.lifted = None  # the existing wire picked up by its input end
        if port[0] == "out":
            self.from_output, self.node_id, self.port, self.index = True, item.node_id, None, 0
            anchor = item.output_port_scene_pos()
        else:
            _, name, index = port
            existing = item.wires_in.get((name, index))
            if existing is not None:
                self.lifted = existing.wire
                self.from_output, self.node_id, self.port, self.index = \
                    True, existing.wire.src, None, 0
                anchor = existing.src.output_port_scene_pos()
                existing.hide()
            else:
                self.from_output, self.node_id, self.port, self.index = \
                    False, item.node_id, name, index
                anchor = item.input_port_scene_pos(name, index)
        self.moved = False
        self.target = None   # (node_id, port, index) for inputs, (node_id,) for outputs
        self.reason: str | None = None   # the model's refusal for the target
        self.hint: str | None = None     # what the drop will do besides connecting
        self.temp = TempWireItem(anchor, self.from_output)
        self.temp.set_end(pos)
        scene.addItem(self.temp)
        self._bubble: BubbleItem | None = None

    # the wire a target would make: (src, dst, port, index)
    def _wire_for(self, target):
        if self.from_output:
            return (self.node_id, *target)
        return (target[0], self.node_id, self.port, self.index)

    def _evaluate(self, pos: QPointF):
        """(target, refusal, hint) for the port under ``pos``."""
        hit = self.scene.port_at(pos)
        if hit is None:
            return None, None, None
        item, port = hit
        want = "in" if self.from_output else "out"
        if port[0] != want:
            return None, None, None
        target = (item.node_id, port[1], port[2]) if self.from_output else (item.node_id,)
        lifted = self.lifted
        if lifted is not None and (lifted.dst, lifted.port, lifted.index) == target:
            return target, None, None  # back where it came from
        doc = self.scene.document
        src, dst, name, index = self._wire_for(target)
        err = doc.check_connect(src, dst, name, index)
        if err is not None:
            return target, str(err), None
        occupant = doc.occupant(dst, name, index)
        hint = None
        if occupant is not None and occupant != lifted:
            hint = (f"replaces {doc.nodes[occupant.src].name} → "
                    f"{doc.nodes[dst].name}.{name}")
        return target, None, hint

    def mouse_move(self, event) -> bool:
        pos = event.scenePos()
        self.moved = True
        self.target, self.reason, self.hint = self._evaluate(pos)
        end = pos
        if self.target is not None and self.reason is None:  # snap onto the port it takes
            item = self.scene.node_item(self.target[0])
            end = (item.input_port_scene_pos(self.target[1], self.target[2])
                   if self.from_output else item.output_port_scene_pos())
        self.temp.set_end(end, refused=self.target is not None and self.reason is not None)
        self._show_text(self.reason or self.hint, pos)
        return True

    def _show_text(self, text: str | None, pos: QPointF) -> None:
        if self._bubble is not None and (text is None or self._bubble.text != text):
            self.scene.removeItem(self._bubble)
            self._bubble = None
        if text is not None:
            if self._bubble is None:
                self._bubble = BubbleItem(text)
                self.scene.addItem(self._bubble)
            self._bubble.setPos(pos)

    def preview_text(self) -> str | None:
        """What the drag preview says right now: the model's refusal, or the replace hint."""
        return self._bubble.text if self._bubble is not None else None

    def mouse_release(self, event) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return True
        pos = event.scenePos()
        target, reason, _hint = self._evaluate(pos)
        lifted, sc = self.lifted, self.scene
        self.end()
        if target is not None and reason is not None:
            sc.show_refusal(reason, pos)
        elif target is None:
            if lifted is not None:
                sc.disconnectRequested.emit(lifted)
            elif self.from_output and self.moved:
                sc.wireDroppedOnEmpty.emit(self.node_id, pos)
        elif lifted is not None:
            if (lifted.dst, lifted.port, lifted.index) != target:
                sc.reconnectRequested.emit(lifted, *target)
        else:
            sc.connectRequested.emit(*self._wire_for(target))
        return True

    def cleanup(self) -> None:
        sc = self.scene
        for item in (self.temp, self._bubble):
            if item is not None and item.scene() is sc:
                sc.removeItem(item)
        self._bubble = None
        if self.lifted is not None:
            item = sc.wire_item(self.lifted)
            if item is not None:
                item.show()


# ---------------------------------------------------------------------- node move
class NodeMove(Interaction):
    """Move the selected nodes (Qt moves the items); on release one intent: ``nodesMoved``,
    or ``nodesRegrouped`` when the move also took nodes into or out of a frame. Frames hold
    still during the drag so a node visibly leaves or enters them."""

    cancellable = False

    def __init__(self, scene, items) -> None:
        super().__init__(scene)
        self.start = {i.node_id: QPointF(i.pos()) for i in items}
        self._items = list(items)
        self._last = [QPointF(i.pos()) for i in items]
        self.dragging = False

    def follow(self) -> None:
        """After Qt moved the items: re-route the wires of those that moved."""
        for k, item in enumerate(self._items):
            p = item.pos()
            if p != self._last[k]:
                self._last[k] = p
                item.moved()

    def mouse_move(self, event) -> bool:
        if not self.dragging and event.buttons() & Qt.MouseButton.LeftButton:
            self.dragging = True
            for region in self.scene.region_items():
                region.frozen = True
        return False  # the scene's default handling moves the items

    def mouse_release(self, event) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        sc = self.scene
        QGraphicsScene.mouseReleaseEvent(sc, event)
        moved = {}
        for nid, old in self.start.items():
            item = sc.node_item(nid)
            if item is not None and item.pos() != old:
                moved[nid] = ((old.x(), old.y()), (item.pos().x(), item.pos().y()))
        changes = sc.membership_changes(moved) if moved else []
        self.end()
        if moved:
            for nid in moved:
                sc.grow_rect(sc.node_item(nid))
            if changes:
                sc.nodesRegrouped.emit(moved, changes)
            else:
                sc.nodesMoved.emit(moved)
        return True

    def cleanup(self) -> None:
        if self.dragging:
            self.dragging = False
            for region in self.scene.region_items():
                region.frozen = False
                region.refit(self.scene.node_map())


# ---------------------------------------------------------------------- frame resize
class FrameResize(Interaction):
    """Drag a frame's corner grip; on release one intent, ``regionResized`` (the new rect and
    the nodes whose centre now lies inside)."""

    def __init__(self, scene, item: RegionItem) -> None:
        super().__init__(scene)
        self.item = item
        self.start = QRectF(item.rect())
        item.resizing = True

    def mouse_move(self, event) -> bool:
        r, p = self.start, event.scenePos()
        w = max(self.item.MIN_W, p.x() - r.left())
        h = max(self.item.MIN_H, p.y() - r.top())
        self.item.set_rect(QRectF(r.left(), r.top(), w, h))
        return True

    def mouse_release(self, event) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return True
        item, sc, old = self.item, self.scene, self.start
        new = QRectF(item.rect())
        self.end()
        region = sc.document.regions.get(item.region_id)
        if new != old and region is not None:
            inside = {i.node_id for i in sc.node_items()
                      if new.contains(i.sceneBoundingRect().center())}
            sc.regionResized.emit(item.region_id,
                                  (region.rect, set(region.members)),
                                  ((new.x(), new.y(), new.width(), new.height()), inside))
        sc.sync_region(item.region_id)  # show the model's state (applied or refused)
        return True

    def cleanup(self) -> None:
        if self.item.resizing:
            self.item.resizing = False
            self.item.set_rect(self.start)  # the model's rect comes back by sync_region


# ---------------------------------------------------------------------- rubber band
class RubberBand(Interaction):
    """Drag on empty canvas: select what the band touches (Ctrl adds to the selection)."""

    def __init__(self, scene, pos: QPointF, view, add: bool) -> None:
        super().__init__(scene)
        self.origin = QPointF(pos)
        self.view = view
        self.base = set(scene.selectedItems()) if add else set()
        self.rect = QGraphicsRectItem()
        s = _style.style()
        self.rect.setPen(s.rubber_pen)
        self.rect.setBrush(s.rubber_brush)
        self.rect.setZValue(30)
        self.rect.hide()
        scene.addItem(self.rect)

    def mouse_move(self, event) -> bool:
        r = QRectF(self.origin, event.scenePos()).normalized()
        self.rect.setRect(r)
        self.rect.setVisible(r.width() > 1 or r.height() > 1)
        path = QPainterPath()
        path.addRect(r)
        sc = self.scene
        transform = self.view.viewportTransform() if self.view is not None else None
        args = (path, Qt.ItemSelectionOperation.ReplaceSelection,
                Qt.ItemSelectionMode.IntersectsItemShape)
        if transform is not None:
            sc.setSelectionArea(*args, transform)
        else:
            sc.setSelectionArea(*args)
        for item in self.base:
            item.setSelected(True)
        return True

    def mouse_release(self, event) -> bool:
        self.end()
        return True

    def cleanup(self) -> None:
        if self.rect.scene() is self.scene:
            self.scene.removeItem(self.rect)


# ---------------------------------------------------------------------- pan (view level)
class Pan:
    """Middle button, or Space + left button: scroll the view with the hand."""

    def __init__(self, view, pos: QPointF) -> None:
        self.view = view
        self.last = QPointF(pos)
        view.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)

    def move(self, pos: QPointF) -> None:
        d = pos - self.last
        self.last = QPointF(pos)
        self.view.scroll_by_pixels(-d.x(), -d.y())

    def end(self, space_held: bool) -> None:
        self.view.viewport().setCursor(Qt.CursorShape.OpenHandCursor if space_held
                                       else Qt.CursorShape.ArrowCursor)


__all__ = ["Interaction", "WireDrag", "NodeMove", "FrameResize", "RubberBand", "Pan"]
