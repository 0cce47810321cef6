"""GraphScene: items that follow a Document's events, and gestures turned into intents.

The scene never mutates the document. Dragging a wire, moving nodes or pressing Delete emits a
signal (connectRequested, nodesMoved, ...) that the app turns into an undoable command; the
command changes the model, whose events come back here and update the items.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import QGraphicsScene, QToolTip

from ..subscription import follow
from . import style as _style
from .items import LOD_BOX, BubbleItem, NodeItem, RegionItem, TempWireItem, WireItem

log = logging.getLogger(__name__)

PORT_HIT_PX = 11.0  # port grab radius in screen pixels, whatever the zoom
PORT_HIT_MAX = 12.0  # ... capped in scene units
SCENE_MARGIN = 2000.0


def _reach(start, edges) -> set:
    """Nodes reachable from ``start`` along ``edges`` {node: [next, ...]} (plain dicts: no
    networkx import at start-up)."""
    seen, stack = set(), [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _spec(op):
    from engine.document import catalog
    return catalog.CATALOG.get(op)


def _variadic(item: NodeItem, port: str) -> bool:
    p = item.spec.port(port) if item.spec is not None else None
    return bool(p is not None and p.variadic)


class _WireDrag:
    """State of a wire being dragged from a port."""

    def __init__(self, from_output: bool, node_id: str, port: str | None, index: int,
                 lifted=None) -> None:
        self.from_output = from_output  # True: looking for an input slot
        self.node_id = node_id
        self.port = port
        self.index = index
        self.lifted = lifted  # the existing wire picked up by its input end
        self.temp: TempWireItem | None = None
        self.target = None  # (node_id, port, index) or (node_id,) for outputs
        self.reason: str | None = None
        self.moved = False


class GraphScene(QGraphicsScene):
    connectRequested = Signal(str, str, str, int)  # noqa: N815  (Qt signal naming)
    disconnectRequested = Signal(object)  # noqa: N815
    nodesMoved = Signal(object)  # noqa: N815  dict node_id -> (old_pos, new_pos)
    wireDroppedOnEmpty = Signal(str, QPointF)  # noqa: N815
    deleteRequested = Signal(object, object)  # noqa: N815  (node ids, wires)
    refused = Signal(str)
    contextMenuRequested = Signal(str, object)  # noqa: N815  (node id or "", QPoint)
    # issue 5
    regionRequested = Signal(object)  # noqa: N815  node ids: "no_grad frame from selection"
    regionRectChanged = Signal(str, object, object)  # noqa: N815  (id, old, new) (x, y, w, h)
    regionMembersChanged = Signal(str, object, object)  # noqa: N815  (id, old set, new set)
    dagHighlighted = Signal(str)  # noqa: N815  root id whose backward DAG is shown, "" = none

    def __init__(self, document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self._nodes: dict[str, NodeItem] = {}
        self._wires: dict[object, WireItem] = {}
        self._regions: dict[str, RegionItem] = {}
        self._results: dict | None = None
        self._drag: _WireDrag | None = None
        self._press_positions: dict[str, QPointF] = {}
        self._bubble: BubbleItem | None = None
        self._hover: NodeItem | None = None
        self._bubble_timer = QTimer(self)
        self._bubble_timer.setSingleShot(True)
        self._bubble_timer.timeout.connect(self._hide_bubble)
        # backward-DAG highlight: the base one (explicit or of the selected root) and the
        # narrower one shown while a leaf is hovered
        self.auto_dag = True  # a single selected root shows its DAG by itself
        self._highlight: tuple[set, set] | None = None
        self._hl_root: str | None = None
        self._hover_leaf: str | None = None
        self._anomalies: dict[str, str] = {}
        self._step = None
        self._dragging_nodes = False
        self._dag_timer = QTimer(self)
        self._dag_timer.setSingleShot(True)
        self._dag_timer.setInterval(0)
        self._dag_timer.timeout.connect(self._refresh_dag)
        self.selectionChanged.connect(self._selection_dag)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setBackgroundBrush(_style.style().canvas)
        self._unsubscribe = None
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
        if self._hl_root is not None and not (
                ev.kind == "node_changed" and (ev.detail or {}).get("what") in ("pos", "name")):
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
                item.sync(node)
                self._grow_rect(item)
        elif kind == "wire_added":
            self._add_wire_item(ev.wire)
        elif kind == "wire_removed":
            self._remove_wire_item(ev.wire)
        elif kind == "region_changed":
            self._sync_region(ev.region_id)
        elif kind == "settings_changed":
            self._sync_root()
        elif kind == "reset":
            self.rebuild()

    # ------------------------------------------------------------------ building
    def rebuild(self) -> None:
        """Drop every item and rebuild from the document."""
        self._end_drag()
        for item in list(self._wires.values()) + list(self._nodes.values()) + \
                list(self._regions.values()):
            self.removeItem(item)
        self._nodes.clear()
        self._hover = None
        self._wires.clear()
        self._regions.clear()
        doc = self.document
        for node in doc.nodes.values():
            self._add_node_item(node, grow=False)
        for wire in doc.wires:
            self._add_wire_item(wire)
        for rid in doc.regions:
            self._sync_region(rid)
        self._sync_root()
        self._reset_rect()
        if self._results is not None:
            self.set_results(self._results)
        self._anomalies = {k: v for k, v in self._anomalies.items() if k in self._nodes}
        for nid, msg in self._anomalies.items():
            self._nodes[nid].set_anomaly(msg)
        if self._hl_root is not None and self._hl_root not in self._nodes:
            self._hl_root = None
            self._highlight = None
        self._apply_highlight()

    def _add_node_item(self, node, grow=True) -> NodeItem:
        item = NodeItem(node, _spec(node.op))
        item._moved_callback = self._node_item_moved
        self._nodes[node.id] = item
        self.addItem(item)
        if self._results is not None:
            item.set_result(self._results.get(node.id))
        if self._highlight is not None:
            item.set_emphasis(1 if node.id in self._highlight[0] else -1)
        if grow:
            self._grow_rect(item)
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

    def _sync_region(self, region_id) -> None:
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
        if self._dragging_nodes:
            return
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

    def _grow_rect(self, item) -> None:
        r = item.sceneBoundingRect()
        if not self.sceneRect().contains(r.adjusted(-200, -200, 200, 200)):
            m = SCENE_MARGIN
            self.setSceneRect(self.sceneRect().united(r.adjusted(-m, -m, m, m)))

    # ------------------------------------------------------------------ results / display
    def set_results(self, results: dict | None) -> None:
        """Display-only executor data: shape, dtype, grad_fn, error/blocked per node."""
        self._results = results
        for nid, item in self._nodes.items():
            item.set_result(results.get(nid) if results else None)
        for item in self._wires.values():
            self._style_wire(item)

    def _style_wire(self, item: WireItem) -> None:
        res = self._results
        if not res:
            item.set_carries_grad(None)
            return
        a, b = res.get(item.wire.src), res.get(item.wire.dst)
        if a is None or b is None:
            item.set_carries_grad(None)
            return
        port = item.dst.spec.port(item.wire.port) if item.dst.spec is not None else None
        diff = getattr(port, "differentiable", True)
        item.set_carries_grad(bool(a.requires_grad and b.requires_grad and diff))

    def set_emphasis(self, nodes=None, wires=None) -> None:
        """Highlight these nodes/wires and dim the rest; None clears (= set_highlight)."""
        if nodes is None and wires is None:
            self.clear_highlight()
        else:
            self.set_highlight(nodes, wires)

    # ------------------------------------------------------------------ backward-DAG highlight
    def set_highlight(self, nodes, wires, root: str | None = None) -> None:
        """Draw these nodes and wires emphasised and dim the rest (a backward DAG). With
        `root`, hovering one of its leaves narrows the highlight to that leaf's paths."""
        self._highlight = (set(nodes or ()), set(wires or ()))
        changed = root != self._hl_root
        self._hl_root = root
        self._hover_leaf = None
        self._apply_highlight()
        if changed:
            self.dagHighlighted.emit(root or "")

    def clear_highlight(self) -> None:
        had_root = self._hl_root is not None
        self._highlight = None
        self._hl_root = None
        self._hover_leaf = None
        self._apply_highlight()
        if had_root:
            self.dagHighlighted.emit("")

    def highlight(self) -> tuple[set, set] | None:
        """The base highlight (nodes, wires), or None."""
        return self._highlight

    def highlight_root(self) -> str | None:
        return self._hl_root

    def show_dag(self, root: str | None) -> bool:
        """Highlight `root`'s backward DAG (document.backward_dag); False (and cleared) when
        gradient cannot flow from it."""
        if root is None or root not in self.document.nodes:
            self.clear_highlight()
            return False
        dag = self.document.backward_dag(root)
        if not dag.nodes:
            self.clear_highlight()
            return False
        self.set_highlight(dag.nodes, dag.wires, root=root)
        return True

    def can_be_root(self, node_id) -> bool:
        """An op node whose output requires grad: backward can start there."""
        node = self.document.nodes.get(node_id)
        if node is None or node.spec.is_source:
            return False
        res = self._results.get(node_id) if self._results else None
        if res is not None and getattr(res, "value", None) is not None:
            return bool(res.requires_grad)
        return bool(self.document.requires_grad_map().get(node_id))

    def _selection_dag(self) -> None:
        if not self.auto_dag or self._step is not None:
            return
        items = self.selectedItems()
        one = items[0].node_id if len(items) == 1 and isinstance(items[0], NodeItem) else None
        if one is not None and self.can_be_root(one):
            self.show_dag(one)
        elif one is not None and self._highlight is not None and self._hl_root is not None \
                and one in self._highlight[0] and self.document.nodes[one].spec.is_source:
            pass  # a leaf of the shown DAG: keep it (inspect w.grad with its paths in view)
        elif self._hl_root is not None:
            self.clear_highlight()

    def _refresh_dag(self) -> None:
        if self._hl_root is not None:
            self.show_dag(self._hl_root)

    def _emphasis_sets(self) -> tuple[set, set] | None:
        base = self._highlight
        leaf = self._hover_leaf
        if leaf is None or base is None or self._hl_root is None:
            return base
        nodes, wires = base
        succ: dict = {}
        pred: dict = {}
        for w in wires:
            succ.setdefault(w.src, []).append(w.dst)
            pred.setdefault(w.dst, []).append(w.src)
        root = self._hl_root
        if leaf not in succ or root not in pred:
            return base
        on_path = (_reach(leaf, succ) & _reach(root, pred)) | {leaf, root}
        return on_path, {w for w in wires if w.src in on_path and w.dst in on_path}

    def _apply_highlight(self) -> None:
        sets = self._emphasis_sets()
        if sets is None:
            for item in self._nodes.values():
                item.set_emphasis(0)
            for item in self._wires.values():
                item.set_emphasis(0)
            for item in self._regions.values():
                item.set_emphasis(0)
            return
        nodes, wires = sets
        for nid, item in self._nodes.items():
            item.set_emphasis(1 if nid in nodes else -1)
        for w, item in self._wires.items():
            item.set_emphasis(1 if w in wires else -1)
        for item in self._regions.values():
            item.set_emphasis(1 if item.members & nodes else -1)

    def emphasised(self) -> tuple[set, set]:
        """What is drawn emphasised right now (hover narrowing included)."""
        return ({n for n, i in self._nodes.items() if i.emphasis > 0},
                {w for w, i in self._wires.items() if i.emphasis > 0})

    def hover_leaf(self, node_id: str | None) -> None:
        """Narrow the highlight to the paths from leaf `node_id` to the highlighted root
        (None restores the whole DAG). Called on mouse hover; public for the app/tests."""
        if self._highlight is None or self._hl_root is None:
            node_id = None
        elif node_id is not None:
            node = self.document.nodes.get(node_id)
            if node is None or not node.spec.is_source or node_id not in self._highlight[0]:
                node_id = None
        if node_id != self._hover_leaf:
            self._hover_leaf = node_id
            self._apply_highlight()

    # ------------------------------------------------------------------ anomalies
    def set_anomaly(self, node_id: str, message: str | None) -> None:
        """Mark the node that first produced a NaN/Inf (message shown on it); None clears."""
        if message:
            self._anomalies[node_id] = message
        else:
            self._anomalies.pop(node_id, None)
        item = self._nodes.get(node_id)
        if item is not None:
            item.set_anomaly(message)

    def clear_anomalies(self) -> None:
        for nid in list(self._anomalies):
            self.set_anomaly(nid, None)

    def anomalies(self) -> dict[str, str]:
        return dict(self._anomalies)

    # ------------------------------------------------------------------ step-through
    def show_step(self, state) -> None:
        """Show a step-through State (engine/document/stepthrough.py; None = clear_step()):
        the running grad_fn's node ringed, finished nodes marked, the gradient sent along
        each wire so far as a label with a small preview, and every leaf's .grad as it is
        at this step."""
        if state is None:
            self.clear_step()
            return
        self._step = state
        active = getattr(state, "active", None)
        done = set(getattr(state, "done", ()) or ())
        for nid, item in self._nodes.items():
            item.set_step_mark("active" if nid == active else ("done" if nid in done else None))
        wires = getattr(state, "wires", {}) or {}
        for w, item in self._wires.items():
            g = wires.get(w)
            if g is None:
                item.set_label(None)
                item.set_stepped(False)
            else:
                item.set_label(grad_label(g), g)
                item.set_stepped(True)
        grads = getattr(state, "grads", {}) or {}
        for nid, item in self._nodes.items():
            if nid in grads:
                item.set_grad_override(grads[nid])
            else:
                item.set_grad_override()

    def clear_step(self) -> None:
        self._step = None
        for item in self._nodes.values():
            item.set_step_mark(None)
            item.set_grad_override()
        for item in self._wires.values():
            item.set_label(None)
            item.set_stepped(False)

    def step_state(self):
        return self._step

    # ------------------------------------------------------------------ no_grad frames
    def request_region(self) -> bool:
        """Emit regionRequested for the selected nodes (the app creates the frame)."""
        ids = self.selected_node_ids()
        if ids:
            self.regionRequested.emit(sorted(ids))
        return bool(ids)

    def _region_resized(self, item: RegionItem, old: QRectF, new: QRectF) -> None:
        region = self.document.regions.get(item.region_id)
        if region is None:
            return
        old_t = region.rect
        new_t = (new.x(), new.y(), new.width(), new.height())
        inside = {nid for nid, n in self._nodes.items()
                  if new.contains(n.sceneBoundingRect().center())}
        old_members = set(region.members)
        self.regionRectChanged.emit(item.region_id, old_t, new_t)
        if inside != old_members:
            self.regionMembersChanged.emit(item.region_id, old_members, inside)
        self._sync_region(item.region_id)  # show the model's state (applied or not)

    def _node_center(self, item: NodeItem, pos: QPointF | None = None) -> QPointF:
        p = item.pos() if pos is None else pos
        return p + item.body_rect().center()

    def _membership_changes(self, moved: dict) -> list[tuple[str, set, set]]:
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

    # ------------------------------------------------------------------ validation
    def check_connect(self, src: str, dst: str, port: str, index: int = 0) -> str | None:
        """Why the document would refuse this wire (None: it would accept it); no mutation."""
        doc = self.document
        can = getattr(doc, "can_connect", None)
        if can is not None:
            try:
                res = can(src, dst, port, index)
            except Exception as e:  # a DocumentError carries the reason
                return str(e)
            if res is None or res is True:
                return None
            if res is False:
                return "these ports cannot be connected"
            return str(res)
        nodes = doc.nodes
        if src not in nodes or dst not in nodes:
            return "unknown node"
        if src == dst:
            return "a node cannot feed itself (the graph must stay acyclic)"
        spec = _spec(nodes[dst].op)
        p = spec.port(port) if spec is not None else None
        if p is None:
            return f"{nodes[dst].name} has no input {port!r}"
        if index and not p.variadic:
            return f"invalid slot {index} for input {port!r}"
        for w in doc.wires:
            if w.dst == dst and w.port == port and w.index == index:
                return (f"input {port!r} of {nodes[dst].name} is already connected "
                        f"(from {nodes[w.src].name})")
        if src in doc.downstream(dst):
            return f"wiring {nodes[src].name} -> {nodes[dst].name} would create a cycle"
        return None

    # ------------------------------------------------------------------ gestures
    def _view_scale(self) -> float:
        views = self.views()
        return views[0].transform().m11() if views else 1.0

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

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._drag is None:
            hit = self.port_at(event.scenePos())
            if hit is not None:
                self._start_wire_drag(hit, event.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_positions = {i.node_id: i.pos() for i in self.selectedItems()
                                     if isinstance(i, NodeItem)}

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._drag is not None:
            self._update_wire_drag(event.scenePos())
            event.accept()
            return
        if event.buttons() == Qt.MouseButton.NoButton:
            hit = self.port_at(event.scenePos())
            self._set_hover(*(hit if hit is not None else (None, None)))
            if self._highlight is not None:
                under = None
                for item in self.items(event.scenePos()):
                    if isinstance(item, NodeItem):
                        under = item.node_id
                        break
                self.hover_leaf(under)
        elif self._press_positions and not self._dragging_nodes:
            self._dragging_nodes = True
            for region in self._regions.values():  # frames hold still: drag in or out
                region.frozen = True
        super().mouseMoveEvent(event)

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

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._drag is not None and event.button() == Qt.MouseButton.LeftButton:
            self._finish_wire_drag(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and self._press_positions:
            moved = {}
            for nid, old in self._press_positions.items():
                item = self._nodes.get(nid)
                if item is not None and item.pos() != old:
                    moved[nid] = ((old.x(), old.y()), (item.pos().x(), item.pos().y()))
            self._press_positions = {}
            changes = self._membership_changes(moved) if moved else []
            self._end_node_drag()
            if moved:
                for nid in moved:
                    self._grow_rect(self._nodes[nid])
                # membership first, then the move: the app can fold both into one undo step
                for rid, old_members, new_members in changes:
                    self.regionMembersChanged.emit(rid, old_members, new_members)
                self.nodesMoved.emit(moved)
        else:
            self._end_node_drag()

    def _end_node_drag(self) -> None:
        if self._dragging_nodes:
            self._dragging_nodes = False
            for region in self._regions.values():
                region.frozen = False
                region.refit(self._nodes)

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

    def _start_wire_drag(self, hit, pos: QPointF) -> None:
        item, port = hit
        if port[0] == "out":
            drag = _WireDrag(True, item.node_id, None, 0)
            anchor = item.output_port_scene_pos()
        else:
            _, name, index = port
            existing = item.wires_in.get((name, index))
            if existing is not None:  # pick the wire up by its input end
                drag = _WireDrag(True, existing.wire.src, None, 0, lifted=existing.wire)
                anchor = existing.src.output_port_scene_pos()
                existing.hide()
            else:
                drag = _WireDrag(False, item.node_id, name, index)
                anchor = item.input_port_scene_pos(name, index)
        drag.temp = TempWireItem(anchor, drag.from_output)
        drag.temp.set_end(pos)
        self.addItem(drag.temp)
        self._drag = drag

    def _candidate(self, pos: QPointF):
        """(target, reason) for the port under `pos` given the current drag."""
        d = self._drag
        hit = self.port_at(pos)
        if hit is None:
            return None, None
        item, port = hit
        if d.from_output:
            if port[0] != "in":
                return None, None
            target = (item.node_id, port[1], port[2])
            lifted = d.lifted
            if lifted is not None and (lifted.dst, lifted.port, lifted.index) == target:
                return target, None
            return target, self.check_connect(d.node_id, *target)
        if port[0] != "out":
            return None, None
        return (item.node_id,), self.check_connect(item.node_id, d.node_id, d.port, d.index)

    def _update_wire_drag(self, pos: QPointF) -> None:
        d = self._drag
        d.moved = True
        target, reason = self._candidate(pos)
        if target != d.target:
            d.target, d.reason = target, reason
        end = pos
        if target is not None and reason is None:  # snap onto the port it will take
            item = self._nodes[target[0]]
            end = (item.input_port_scene_pos(target[1], target[2]) if d.from_output
                   else item.output_port_scene_pos())
        d.temp.set_end(end, refused=target is not None and reason is not None)

    def _finish_wire_drag(self, pos: QPointF) -> None:
        d = self._drag
        target, reason = self._candidate(pos)
        lifted = d.lifted
        self._end_drag()
        if target is not None and reason is not None:
            self.show_refusal(reason, pos)
            return
        if d.from_output:
            if target is None:
                if lifted is not None:
                    self.disconnectRequested.emit(lifted)
                elif d.moved:
                    self.wireDroppedOnEmpty.emit(d.node_id, pos)
                return
            if lifted is not None:
                if (lifted.dst, lifted.port, lifted.index) == target:
                    return
                self.disconnectRequested.emit(lifted)
            self.connectRequested.emit(d.node_id, target[0], target[1], target[2])
        elif target is not None:
            self.connectRequested.emit(target[0], d.node_id, d.port, d.index)

    def cancel_drag(self) -> bool:
        """Drop the wire being dragged (Escape); True if there was one."""
        had = self._drag is not None
        self._end_drag()
        return had

    def _end_drag(self) -> None:
        d = self._drag
        if d is None:
            return
        self._drag = None
        if d.temp is not None and d.temp.scene() is self:
            self.removeItem(d.temp)
        if d.lifted is not None:
            item = self._wires.get(d.lifted)
            if item is not None:
                item.show()

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


def grad_label(g) -> str:
    """The text of a gradient on a wire: the number, a short vector, or its shape."""
    from .previews import as_array, format_number
    a = as_array(g)
    if a.ndim == 0:
        return format_number(a.item())
    if a.size <= 3:
        return "[" + ", ".join(format_number(v) for v in a.ravel().tolist()) + "]"
    return "[" + ", ".join(str(d) for d in a.shape) + "]"
