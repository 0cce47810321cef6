"""GraphScene: items that follow a Document's events, and gestures turned into intents.

The scene never mutates the document. Mouse events go to the active interaction
(interactions.py: wire drag, node move, frame resize, rubber band); each gesture ends in one
intent signal (connectRequested, reconnectRequested, nodesMoved, nodesRegrouped, ...) that the
app turns into one undoable command; the command changes the model, whose events come back
here and update the items. What is drawn over the graph (DAG highlight, anomaly marks,
step-through) and the executor's results on the items are in overlays.py.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QGraphicsScene, QToolTip

from engine.document.perf import gc_paused
from engine.document.progress import Ticker

from ..subscription import follow
from . import style as _style
from .groups import GroupLayer
from .interactions import FrameResize, NodeMove, RubberBand, WireDrag
from .items import LOD_BOX, BubbleItem, NodeItem, RegionItem, WireItem
from .overlays import OverlayMixin

log = logging.getLogger(__name__)

PORT_HIT_PX = 11.0  # port grab radius in screen pixels, whatever the zoom
PORT_HIT_MAX = 12.0  # ... capped in scene units
SCENE_MARGIN = 2000.0


def _spec(op):
    from engine.document import catalog
    return catalog.CATALOG.get(op)


def _variadic(item: NodeItem, port: str) -> bool:
    p = item.spec.port(port) if item.spec is not None else None
    return bool(p is not None and p.variadic)


class GraphScene(OverlayMixin, QGraphicsScene):
    # intents: each gesture ends in exactly one of these (see interactions.py)
    connectRequested = Signal(str, str, str, int)  # noqa: N815  (Qt signal naming)
    reconnectRequested = Signal(object, str, str, int)  # noqa: N815  lifted wire -> new input
    disconnectRequested = Signal(object)  # noqa: N815
    nodesMoved = Signal(object)  # noqa: N815  dict node_id -> (old_pos, new_pos)
    nodesRegrouped = Signal(object, object)  # noqa: N815  moves, [(region, old, new members)]
    wireDroppedOnEmpty = Signal(str, QPointF)  # noqa: N815
    deleteRequested = Signal(object, object)  # noqa: N815  (node ids, wires)
    refused = Signal(str)
    contextMenuRequested = Signal(str, object)  # noqa: N815  (node id or "", QPoint)
    # issue 5
    regionRequested = Signal(object)  # noqa: N815  node ids: "no_grad frame from selection"
    # (id, (old rect, old members), (new rect, new members)); rects are (x, y, w, h)
    regionResized = Signal(str, object, object)  # noqa: N815
    dagHighlighted = Signal(str)  # noqa: N815  root id whose backward DAG is shown, "" = none

    def __init__(self, document, parent=None, *, results_source=None) -> None:
        """``results_source``: a callable giving the executor's current results, asked when
        the scene (re)builds so every node is laid out once, with its result (10,000 nodes:
        a second saved on opening)."""
        super().__init__(parent)
        self.document = document
        self._results_source = results_source
        self._nodes: dict[str, NodeItem] = {}
        self._wires: dict[object, WireItem] = {}
        self._regions: dict[str, RegionItem] = {}
        self.groups = GroupLayer(self)  # module groups (groups.py)
        self._results: dict | None = None
        self._interaction = None  # the gesture in progress (interactions.py)
        self._bubble: BubbleItem | None = None
        self._hover: NodeItem | None = None
        self._bubble_timer = QTimer(self)
        self._bubble_timer.setSingleShot(True)
        self._bubble_timer.timeout.connect(self._hide_bubble)
        self._init_overlays()
        self._dag_timer = QTimer(self)
        self._dag_timer.setSingleShot(True)
        self._dag_timer.setInterval(0)
        self._dag_timer.timeout.connect(self._refresh_dag)
        self.selectionChanged.connect(self._selection_dag)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setBackgroundBrush(_style.style().canvas)
        self._unsubscribe = None
        self.build_count = 0  # full rebuilds (tests count them)
        # progress(done, total) -> bool of a rebuild (engine/document/progress.py), set by
        # the window around opening a large document
        self.build_progress = None
        self._attach(document)
        self.rebuild()

    # ------------------------------------------------------------------ subscription
    def _attach(self, document) -> None:
        self._unsubscribe = follow(document, self)

    def detach(self) -> None:
        """Stop following the document (call when the view closes)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def is_attached(self) -> bool:
        return self._unsubscribe is not None

    def _on_event(self, ev) -> None:
        try:
            self._apply_event(ev)
        except Exception:  # a view bug must not break the model's mutation
            log.exception("canvas failed to apply %s; rebuilding", ev.kind)
            self.rebuild()
        if self._hl_root is not None and not (ev.layout_only or (
                ev.kind == "node_changed" and (ev.detail or {}).get("what") == "name")):
            self._dag_timer.start()  # the DAG follows edits (coalesced: one per event burst)

    def _apply_event(self, ev) -> None:
        kind = ev.kind
        doc = self.document
        if kind == "node_added":
            self._add_node_item(doc.nodes[ev.node_id])
        elif kind == "node_removed":
            self._remove_node_item(ev.node_id)
        elif kind == "node_changed":
            item = self._nodes.get(ev.node_id)
            node = doc.nodes.get(ev.node_id)
            if item is not None and node is not None:
                item.sync(node, doc.is_frozen(node.id))
                self.grow_rect(item)
        elif kind == "wire_added":
            self._add_wire_item(ev.wire)
        elif kind == "wire_removed":
            self._remove_wire_item(ev.wire)
        elif kind == "region_changed":
            self.sync_region(ev.region_id)
        elif kind == "settings_changed":
            self._sync_root()
        elif kind == "reset":
            self.rebuild()
            return
        self.groups.after_event(ev)

    # ------------------------------------------------------------------ building
    def rebuild(self) -> None:
        """Drop every item and rebuild from the document: O(N + W), each item laid out once
        (with its result when a results source is set), no per-wire repaints."""
        with gc_paused():  # ~20 Python objects per item: collections would walk them all
            self._rebuild()

    def _rebuild(self) -> None:
        self.set_interaction(None)
        self._hide_bubble()
        self.build_count += 1
        # The BSP index stays on: switching it off for the bulk add and back on made every
        # later repaint of a 10k scene ~50 % slower; Qt indexes new items lazily anyway.
        for item in list(self._wires.values()) + list(self._nodes.values()) + \
                list(self._regions.values()):
            self.removeItem(item)
        self._nodes.clear()
        self._hover = None
        self._wires.clear()
        self._regions.clear()
        self.groups.clear()
        if self._results_source is not None:
            try:
                self._results = self._results_source()
            except Exception:  # the executor's problem: build without results
                log.exception("no results for the canvas")
                self._results = None
        doc = self.document
        ticker = Ticker(self.build_progress, len(doc.nodes), every=500)
        # members of a collapsed module group start hidden: cheap items, laid out when shown
        hidden = self.groups.collapsed_members()
        for node in doc.nodes.values():
            self._add_node_item(node, grow=False, lazy=node.id in hidden)
            ticker.tick()
        self._add_wires_bulk(doc.wires)
        for rid in doc.regions:
            self.sync_region(rid)
        self.groups.end_batch()
        self._sync_root()
        self._reset_rect()
        self._anomalies = {k: v for k, v in self._anomalies.items() if k in self._nodes}
        for nid, msg in self._anomalies.items():
            self._nodes[nid].set_anomaly(msg)
        if self._hl_root is not None and self._hl_root not in self._nodes:
            self._hl_root = None
            self._highlight = None
        self._apply_highlight()

    def _add_node_item(self, node, grow=True, lazy=False) -> NodeItem:
        res = self._results.get(node.id) if self._results is not None else None
        item = NodeItem(node, _spec(node.op), self.document.is_frozen(node.id), res,
                        lazy=lazy)
        if lazy:
            item.setVisible(False)  # GroupLayer.apply shows (and lays out) it on expand
        item._moved_callback = self._node_item_moved
        self._nodes[node.id] = item
        self.addItem(item)
        if self._highlight is not None:
            item.set_emphasis(1 if node.id in self._highlight[0] else -1)
        if grow:
            self.grow_rect(item)
        return item

    def _remove_node_item(self, node_id) -> None:
        item = self._nodes.pop(node_id, None)
        if item is None:
            return
        if self._hover is item:
            self._hover = None
        for w in list(item.wires_in.values()) + list(item.wires_out):
            self._remove_wire_item(w.wire)
        self.removeItem(item)
        for region in self._regions.values():
            region.refit(self._nodes)
        self.groups.node_moved(node_id)

    def _add_wires_bulk(self, wires) -> None:
        """Every wire of a fresh build: variadic slots reserved first and each such node
        laid out once, then the wires, without repainting their ends one wire at a time."""
        nodes = self._nodes
        grown = {}
        for wire in wires:
            dst = nodes.get(wire.dst)
            if dst is not None and wire.src in nodes and _variadic(dst, wire.port):
                dst.wires_in[(wire.port, wire.index)] = None
                grown[wire.dst] = dst
        for dst in grown.values():
            dst.relayout()
        add, style_wire, hl = self.addItem, self._style_wire, self._highlight
        for wire in wires:
            src, dst = nodes.get(wire.src), nodes.get(wire.dst)
            if src is None or dst is None or wire in self._wires:
                continue
            item = WireItem(wire, src, dst)
            dst.wires_in[(wire.port, wire.index)] = item
            src.wires_out.append(item)
            self._wires[wire] = item
            add(item)
            style_wire(item)
            if hl is not None:
                item.set_emphasis(1 if wire in hl[1] else -1)

    def _add_wire_item(self, wire) -> WireItem | None:
        src, dst = self._nodes.get(wire.src), self._nodes.get(wire.dst)
        if src is None or dst is None or wire in self._wires:
            return None
        dst.wires_in[(wire.port, wire.index)] = None  # reserve the slot before measuring
        if _variadic(dst, wire.port):
            dst.relayout()  # a variadic port grows a free slot
        else:
            dst.update()
        item = WireItem(wire, src, dst)
        dst.wires_in[(wire.port, wire.index)] = item
        src.wires_out.append(item)
        src.update()
        self._wires[wire] = item
        self.addItem(item)
        self._style_wire(item)
        if self._highlight is not None:
            item.set_emphasis(1 if wire in self._highlight[1] else -1)
        return item

    def _remove_wire_item(self, wire) -> None:
        item = self._wires.pop(wire, None)
        if item is None:
            return
        if item.dst.wires_in.get((wire.port, wire.index)) is item:
            del item.dst.wires_in[(wire.port, wire.index)]
            if _variadic(item.dst, wire.port):
                item.dst.relayout()
            else:
                item.dst.update()
        if item in item.src.wires_out:
            item.src.wires_out.remove(item)
            item.src.update()
        self.removeItem(item)

    def sync_region(self, region_id) -> None:
        if self.groups.handles(region_id):
            return
        region = self.document.regions.get(region_id)
        item = self._regions.get(region_id)
        if region is None:
            if item is not None:
                self.removeItem(item)
                del self._regions[region_id]
            return
        if item is None:
            item = RegionItem(region_id)
            self._regions[region_id] = item
            self.addItem(item)
        item.frozen = False
        item.sync(region, self._nodes)

    def _sync_root(self) -> None:
        root = getattr(self.document.settings, "root", None)
        for nid, item in self._nodes.items():
            item.set_root(nid == root)

    def _node_item_moved(self, item: NodeItem) -> None:
        self.groups.node_moved(item.node_id)  # a module box follows its members, even dragged
        act = self._interaction
        if isinstance(act, NodeMove) and act.dragging:
            return  # frames hold still while nodes are dragged in or out
        for region in self._regions.values():
            if item.node_id in region.members:
                region.refit(self._nodes)

    # ------------------------------------------------------------------ scene rect
    def _reset_rect(self) -> None:
        rect = QRectF(-1500, -1000, 3000, 2000)
        for item in self._nodes.values():
            rect = rect.united(item.sceneBoundingRect())
        m = SCENE_MARGIN
        self.setSceneRect(rect.adjusted(-m, -m, m, m))

    def grow_rect(self, item) -> None:
        r = item.sceneBoundingRect()
        if not self.sceneRect().contains(r.adjusted(-200, -200, 200, 200)):
            m = SCENE_MARGIN
            self.setSceneRect(self.sceneRect().united(r.adjusted(-m, -m, m, m)))

    # ------------------------------------------------------------------ no_grad frames
    def request_region(self) -> bool:
        """Emit regionRequested for the selected nodes (the app creates the frame)."""
        ids = self.selected_node_ids()
        if ids:
            self.regionRequested.emit(sorted(ids))
        return bool(ids)

    def _node_center(self, item: NodeItem, pos: QPointF | None = None) -> QPointF:
        p = item.pos() if pos is None else pos
        return p + item.body_rect().center()

    def membership_changes(self, moved: dict) -> list[tuple[str, set, set]]:
        """Regions whose membership a drag changed: a moved node whose centre went from
        outside a frame to inside joins it; from inside to outside leaves it."""
        changes = []
        for rid, ritem in self._regions.items():
            region = self.document.regions.get(rid)
            if region is None:
                continue
            rect = ritem.rect()
            members = set(region.members)
            new = set(members)
            for nid, (old, _new) in moved.items():
                item = self._nodes[nid]
                was = rect.contains(self._node_center(item, QPointF(*old)))
                now = rect.contains(self._node_center(item))
                if nid in members and not now:
                    new.discard(nid)
                elif nid not in members and now and not was:
                    new.add(nid)
            if new != members:
                changes.append((rid, members, new))
        return changes

    # ------------------------------------------------------------------ hover tooltips
    def tooltip_at(self, scene_pos: QPointF) -> str | None:
        """The cell tooltip of a value/.grad preview under `scene_pos` ("w.grad[1, 2] = ...")."""
        for item in self.items(scene_pos):
            if isinstance(item, NodeItem):
                return item.preview_tooltip(item.mapFromScene(scene_pos))
        return None

    def helpEvent(self, event) -> None:  # noqa: N802
        text = self.tooltip_at(event.scenePos())
        if not text:  # a node's tooltip is made when asked for (NodeItem.toolTip)
            for item in self.items(event.scenePos()):
                if isinstance(item, NodeItem):
                    text = item.toolTip()
                    break
        if text:
            QToolTip.showText(event.screenPos(), text, event.widget())
            event.accept()
            return
        super().helpEvent(event)

    def apply_theme(self) -> None:
        _style.rebuild()
        self.setBackgroundBrush(_style.style().canvas)
        for item in self._nodes.values():
            item.relayout()
        self.update()

    # ------------------------------------------------------------------ queries
    def node_item(self, node_id) -> NodeItem | None:
        return self._nodes.get(node_id)

    def node_items(self) -> list[NodeItem]:
        return list(self._nodes.values())

    def wire_items(self) -> list[WireItem]:
        return list(self._wires.values())

    def wire_item(self, wire) -> WireItem | None:
        return self._wires.get(wire)

    def node_map(self) -> dict[str, NodeItem]:
        return self._nodes

    def region_items(self) -> list[RegionItem]:
        return list(self._regions.values())

    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_wires(self) -> list:
        return [i.wire for i in self.selectedItems() if isinstance(i, WireItem)]

    def select_nodes(self, ids) -> None:
        ids = set(ids)
        self.blockSignals(True)  # one selectionChanged, not one per item
        try:
            self.clearSelection()
            for nid in ids:
                item = self._nodes.get(nid)
                if item is not None:
                    item.setSelected(True)
        finally:
            self.blockSignals(False)
        self.selectionChanged.emit()

    def request_delete(self) -> None:
        """Emit deleteRequested for the selection (wires of deleted nodes go with them)."""
        ids = self.selected_node_ids()
        gone = set(ids)
        wires = [w for w in self.selected_wires() if w.src not in gone and w.dst not in gone]
        if ids or wires:
            self.deleteRequested.emit(ids, wires)

    # ------------------------------------------------------------------ gestures
    def interaction(self):
        """The gesture in progress (widgets/canvas/interactions.py), or None."""
        return self._interaction

    def set_interaction(self, interaction) -> None:
        old, self._interaction = self._interaction, interaction
        if old is not None and old is not interaction:
            old.cleanup()

    def _view(self):
        views = self.views()
        return views[0] if views else None

    def _view_scale(self) -> float:
        view = self._view()
        return view.transform().m11() if view is not None else 1.0

    def port_at(self, pos: QPointF):
        """(NodeItem, ('out',) | ('in', port, index)) under a scene point, or None."""
        scale = self._view_scale()
        if scale < LOD_BOX:  # ports are not drawn that far out: the press moves/selects
            return None
        # ~11 px on screen, but never so wide that it eats into a node's body
        r = min(PORT_HIT_PX / scale, PORT_HIT_MAX)
        best = None
        for item in self.items(QRectF(pos.x() - r, pos.y() - r, 2 * r, 2 * r)):
            if isinstance(item, NodeItem):
                hit = item.port_at(item.mapFromScene(pos), r)
                if hit is not None:
                    best = (item, hit)
                    break
        return best

    def _grip_at(self, pos: QPointF) -> RegionItem | None:
        """The frame whose resize grip is the topmost item under ``pos``."""
        view = self._view()
        item = self.itemAt(pos, view.transform() if view is not None else QTransform())
        if isinstance(item, RegionItem) and item.grip_contains(item.mapFromScene(pos)):
            return item
        return None

    def mousePressEvent(self, event) -> None:  # noqa: N802
        act = self._interaction
        if act is not None and act.mouse_press(event):
            event.accept()
            return
        pos, left = event.scenePos(), event.button() == Qt.MouseButton.LeftButton
        if left and act is None:
            hit = self.port_at(pos)
            if hit is not None:
                self.set_interaction(WireDrag(self, *hit, pos))
                event.accept()
                return
            grip = self._grip_at(pos)
            if grip is not None:
                self.set_interaction(FrameResize(self, grip))
                event.accept()
                return
        super().mousePressEvent(event)
        if left and self._interaction is None:
            grabber = self.mouseGrabberItem()
            if isinstance(grabber, NodeItem):
                self.set_interaction(NodeMove(self, [i for i in self.selectedItems()
                                                     if isinstance(i, NodeItem)]))
            elif grabber is None:
                add = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
                self.set_interaction(RubberBand(self, pos, self._view(), add))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        act = self._interaction
        if act is not None:
            if act.mouse_move(event):
                event.accept()
                return
        elif event.buttons() == Qt.MouseButton.NoButton:
            self._hover_at(event.scenePos())
        super().mouseMoveEvent(event)
        if isinstance(act, NodeMove):
            act.follow()  # Qt moved the items: their wires follow

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        act = self._interaction
        if act is not None and act.mouse_release(event):
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def _hover_at(self, pos: QPointF) -> None:
        hit = self.port_at(pos)
        self._set_hover(*(hit if hit is not None else (None, None)))
        if self._highlight is not None:
            under = None
            for item in self.items(pos):
                if isinstance(item, NodeItem):
                    under = item.node_id
                    break
            self.hover_leaf(under)

    def _set_hover(self, item: NodeItem | None, port) -> None:
        """Ring the port under the cursor and show a crosshair: it can be dragged."""
        prev = self._hover
        if prev is not None and prev is not item:
            prev.set_hover_port(None)
        self._hover = item
        if item is not None:
            item.set_hover_port(port)
        if (prev is None) != (item is None):
            for view in self.views():
                if not getattr(view, "_space", False):
                    view.viewport().setCursor(Qt.CursorShape.CrossCursor if item is not None
                                              else Qt.CursorShape.ArrowCursor)

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        node_id = ""
        for item in self.items(event.scenePos()):
            if isinstance(item, NodeItem):
                node_id = item.node_id
                if not item.isSelected():
                    self.select_nodes([node_id])
                break
        self.contextMenuRequested.emit(node_id, event.screenPos())
        event.accept()

    def cancel_drag(self) -> bool:
        """Drop the gesture in progress (Escape); True if there was one."""
        act = self._interaction
        if act is None or not act.cancellable:
            return False
        self.set_interaction(None)
        return True

    def drag_preview_text(self) -> str | None:
        """What a wire being dragged says over the port under it: the model's refusal, or
        which wire the drop replaces; None otherwise."""
        act = self._interaction
        return act.preview_text() if isinstance(act, WireDrag) else None

    def show_refusal(self, reason: str, pos: QPointF) -> None:
        """Emit `refused` and show the reason briefly next to the cursor."""
        self.refused.emit(reason)
        self._hide_bubble()
        self._bubble = BubbleItem(reason)
        self._bubble.setPos(pos)
        self.addItem(self._bubble)
        self._bubble_timer.start(2500)

    def _hide_bubble(self) -> None:
        if self._bubble is not None:
            if self._bubble.scene() is self:
                self.removeItem(self._bubble)
            self._bubble = None

    def bubble_text(self) -> str | None:
        return self._bubble.text if self._bubble is not None else None
