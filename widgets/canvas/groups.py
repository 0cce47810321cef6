"""Module groups on the canvas: a labelled box per ``Region(kind="module")``, nested as the
modules nest, collapsible to one node-like box.

An expanded group is drawn around its members' bounding boxes (and its sub-groups' boxes),
recomputed when a member moves: a module group has no rect of its own. A collapsed group hides
its members (and the groups inside it) and stands in for them: one box listing the values
that enter and leave the module (with shapes) and its parameters' gradients (the norm and a
small heatmap each); the wires crossing its border are re-routed to the box's ports, the
wires inside are hidden. Collapsed is the model's flag (``Region.collapsed``), set by a command;
the header's buttons and a double-click only emit intents (``GroupLayer.signals``).

Distinct from a no_grad frame (widgets/canvas/frames.py): a solid border and a filled header
strip, where a no_grad frame is a dashed outline.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from .. import theme
from . import previews
from .style import LOD_BOX, style


def shape_text(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")" if shape is not None else "?"


def _colors():
    accent = theme.color("accent")
    border = QColor(theme.color("grad_fn"))
    fill = QColor(border)
    fill.setAlpha(18)
    head = QColor(border)
    head.setAlpha(60)
    return border, fill, head, accent


class GroupSignals(QObject):
    """Intents from the group items; the app turns them into undoable commands."""
    collapseRequested = Signal(str, bool)  # noqa: N815  region id, collapsed
    freezeRequested = Signal(str, bool)  # noqa: N815  region id, frozen


class GroupItem(QGraphicsItem):
    """One module group, expanded (a box around its members) or collapsed (a node-like box)."""

    MARGIN = 12.0
    HEADER = 22.0
    BUTTON = 16.0
    COLLAPSED_W = 200.0
    ROW = 17.0
    HEAT_W, HEAT_H = 44.0, 14.0

    def __init__(self, layer: GroupLayer, region_id: str) -> None:
        super().__init__()
        self.layer = layer
        self.region_id = region_id
        self.title = ""
        self.members: set[str] = set()
        self.collapsed = False
        self.parent_id: str | None = None
        self.children: list[str] = []
        self.locked = False  # every parameter of the module is frozen
        self.params: list[str] = []  # parameter leaves among the members
        self.inputs: list[tuple[str, str]] = []  # (source node id, label) entering
        self.outputs: list[tuple[str, str]] = []  # (member node id, label) leaving
        self.grads: list[tuple[str, float | None, object]] = []  # (name, norm, array)
        self._rect = QRectF()
        self.setZValue(-2)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setAcceptHoverEvents(False)

    # -- geometry -------------------------------------------------------------------------
    def rect(self) -> QRectF:
        return self._rect

    def set_rect(self, rect: QRectF) -> None:
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.update()

    def header_rect(self) -> QRectF:
        r = self._rect
        return QRectF(r.left(), r.top(), r.width(), self.HEADER)

    def collapse_button_rect(self) -> QRectF:
        r, b = self._rect, self.BUTTON
        return QRectF(r.right() - 2 * b - 8, r.top() + 3, b, b)

    def lock_button_rect(self) -> QRectF:
        r, b = self._rect, self.BUTTON
        return QRectF(r.right() - b - 4, r.top() + 3, b, b)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect.adjusted(-2, -2, 2, 2)

    def shape(self) -> QPainterPath:
        # expanded, only the header takes the mouse (the inside belongs to the nodes)
        path = QPainterPath()
        path.addRect(self._rect if self.collapsed else self.header_rect())
        return path

    def row_y(self, index: int) -> float:
        return self._rect.top() + self.HEADER + 6 + (index + 0.5) * self.ROW

    def input_pos(self, src_id: str) -> QPointF:
        for i, (sid, _) in enumerate(self.inputs):
            if sid == src_id:
                return QPointF(self._rect.left(), self.row_y(i))
        return QPointF(self._rect.left(), self._rect.center().y())

    def output_pos(self, node_id: str) -> QPointF:
        for i, (nid, _) in enumerate(self.outputs):
            if nid == node_id:
                return QPointF(self._rect.right(), self.row_y(len(self.inputs) + i))
        return QPointF(self._rect.right(), self._rect.center().y())

    def collapsed_height(self) -> float:
        rows = len(self.inputs) + len(self.outputs)
        grads = len(self.grads)
        return self.HEADER + 6 + rows * self.ROW + (8 + grads * (self.HEAT_H + 4) if grads
                                                    else 0) + 8

    # -- mouse: intents only --------------------------------------------------------------
    def mousePressEvent(self, event) -> None:  # noqa: N802
        event.accept()  # the header is not a rubber band's start

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        pos = event.pos()
        if self.collapse_button_rect().adjusted(-2, -2, 2, 2).contains(pos):
            self.layer.signals.collapseRequested.emit(self.region_id, not self.collapsed)
        elif self.params and self.lock_button_rect().adjusted(-2, -2, 2, 2).contains(pos):
            self.layer.signals.freezeRequested.emit(self.region_id, not self.locked)
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        if self.header_rect().contains(event.pos()) or self.collapsed:
            self.layer.signals.collapseRequested.emit(self.region_id, not self.collapsed)
        event.accept()

    # -- painting -------------------------------------------------------------------------
    def paint(self, p: QPainter, option, widget=None) -> None:
        s = style()
        border, fill, head, accent = _colors()
        lod = option.levelOfDetailFromTransform(p.worldTransform())
        r = self._rect
        p.setPen(QPen(border, 1.6))
        p.setBrush(s.body_brush if self.collapsed else QBrush(fill))
        p.drawRoundedRect(r, 6, 6)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(head))
        p.drawRoundedRect(self.header_rect(), 6, 6)
        if lod < LOD_BOX:
            return
        p.setFont(s.small_font)
        p.setPen(s.text_pen)
        title_w = r.width() - 2 * self.BUTTON - 20
        text = s.small_fm.elidedText(self.title, Qt.TextElideMode.ElideRight, title_w)
        p.drawText(QRectF(r.left() + 8, r.top(), title_w, self.HEADER),
                   Qt.AlignmentFlag.AlignVCenter, text)
        self._paint_buttons(p, s, border)
        if self.collapsed:
            self._paint_collapsed(p, s)

    def _paint_buttons(self, p: QPainter, s, border) -> None:
        b = self.collapse_button_rect()
        p.setPen(QPen(border, 1.4))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(b.adjusted(2, 2, -2, -2))
        c = b.center()
        p.drawLine(QPointF(b.left() + 5, c.y()), QPointF(b.right() - 5, c.y()))
        if self.collapsed:  # "+": expand
            p.drawLine(QPointF(c.x(), b.top() + 5), QPointF(c.x(), b.bottom() - 5))
        if not self.params:
            return
        lb = self.lock_button_rect()
        p.setPen(s.lock_pen if self.locked else QPen(border, 1.4))
        body = QRectF(lb.left() + 3, lb.top() + 7, lb.width() - 6, lb.height() - 9)
        arc = QRectF(lb.left() + 5, lb.top() + 2, lb.width() - 10, 10)
        if self.locked:
            p.setBrush(s.lock_brush)
            p.drawArc(arc, 0, 180 * 16)
        else:  # open shackle
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawArc(arc.translated(3, -2), 0, 180 * 16)
        p.drawRect(body)

    def _paint_collapsed(self, p: QPainter, s) -> None:
        r = self._rect
        p.setFont(s.small_font)
        for i, (_, label) in enumerate(self.inputs):
            y = self.row_y(i)
            p.setPen(s.text_pen)
            p.drawText(QRectF(r.left() + 10, y - self.ROW / 2, r.width() - 20, self.ROW),
                       Qt.AlignmentFlag.AlignVCenter, "in  " + label)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(s.port_in_brush)
            p.drawEllipse(QPointF(r.left(), y), 4.5, 4.5)
        for j, (_, label) in enumerate(self.outputs):
            y = self.row_y(len(self.inputs) + j)
            p.setPen(s.text_pen)
            p.drawText(QRectF(r.left() + 10, y - self.ROW / 2, r.width() - 20, self.ROW),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                       label + "  out")
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(s.port_out_brush)
            p.drawEllipse(QPointF(r.right(), y), 4.5, 4.5)
        y = self.row_y(len(self.inputs) + len(self.outputs)) - self.ROW / 2 + 8
        for name, norm, grad in self.grads:
            line = QRectF(r.left() + 10, y, r.width() - self.HEAT_W - 26, self.HEAT_H)
            p.setPen(s.grad_caption_pen if norm is not None else s.muted_pen)
            # the parameter's own name within the module: model_0_weight -> weight
            prefix = self.title.split(" · ")[0].replace(".", "_") + "_"
            short = name[len(prefix):] if name.startswith(prefix) else name
            txt = f"‖{short}.grad‖ = {norm:.4g}" if norm is not None else \
                f"{short}.grad is None"
            p.drawText(line, Qt.AlignmentFlag.AlignVCenter,
                       s.small_fm.elidedText(txt, Qt.TextElideMode.ElideMiddle, line.width()))
            if grad is not None:
                previews.paint(p, QRectF(r.right() - self.HEAT_W - 10, y, self.HEAT_W,
                                         self.HEAT_H), grad, "grad")
            y += self.HEAT_H + 4


class GroupLayer:
    """The module groups of one GraphScene (owned by it; the scene calls in on its events)."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self.signals = GroupSignals(scene)
        self.items: dict[str, GroupItem] = {}
        self._member_of: dict[str, list[str]] = {}  # node id -> module regions holding it
        self.hidden_nodes: set[str] = set()
        self._rerouted: list = []  # wire items whose ends a collapsed group stands in for
        self._batch = False  # rebuilding: restructure once at the end

    # -- structure ------------------------------------------------------------------------
    def handles(self, region_id) -> bool:
        """Sync ``region_id`` if it is a module group (True), else leave it to the scene."""
        region = self.scene.document.regions.get(region_id)
        if region is None:
            if region_id not in self.items:
                return False
            self.scene.removeItem(self.items.pop(region_id))
            self.restructure()
            return True
        if region.kind != "module":
            return False
        item = self.items.get(region_id)
        if item is None:
            item = GroupItem(self, region_id)
            self.items[region_id] = item
            self.scene.addItem(item)
        item.title = region.title
        item.setToolTip(region.title)
        item.members = set(region.members)
        item.collapsed = bool(region.collapsed)
        if not self._batch:
            self.restructure()
        return True

    def collapsed_members(self) -> set[str]:
        """The nodes a collapsed module group of the document hides (a node inside any
        collapsed group is hidden: the outermost collapsed one stands in for it)."""
        out: set[str] = set()
        for r in self.scene.document.regions.values():
            if r.kind == "module" and r.collapsed:
                out |= r.members
        return out

    def clear(self) -> None:
        for item in self.items.values():
            if item.scene() is self.scene:
                self.scene.removeItem(item)
        self.items.clear()
        self._member_of.clear()
        self.hidden_nodes.clear()
        self._rerouted.clear()
        self._batch = True  # the scene rebuilds; end_batch() follows

    def end_batch(self) -> None:
        self._batch = False
        if self.items:
            self.restructure()

    def restructure(self) -> None:
        """Parents (the smallest group holding all of a group's members; the earlier of
        equals: import lists outer modules first), then collapse and geometry."""
        order = list(self.items)
        rank = {rid: i for i, rid in enumerate(order)}
        self._member_of = {}
        for rid in order:
            for nid in self.items[rid].members:
                self._member_of.setdefault(nid, []).append(rid)
        for item in self.items.values():
            item.parent_id, item.children = None, []
        for rid in order:
            item = self.items[rid]
            if not item.members:
                continue
            anyone = next(iter(item.members))
            best = None
            for cand in self._member_of.get(anyone, ()):
                if cand == rid:
                    continue
                other = self.items[cand]
                if not item.members <= other.members:
                    continue
                if len(other.members) == len(item.members) and rank[cand] > rank[rid]:
                    continue  # equal sets: the later one is the inner
                if best is None or len(other.members) < len(self.items[best].members) or (
                        len(other.members) == len(self.items[best].members)
                        and rank[cand] > rank[best]):
                    best = cand
            item.parent_id = best
        for rid in order:
            pid = self.items[rid].parent_id
            if pid is not None:
                self.items[pid].children.append(rid)
        self.apply()

    def depth(self, rid: str) -> int:
        d, item = 0, self.items[rid]
        while item.parent_id is not None:
            d += 1
            item = self.items[item.parent_id]
        return d

    def showing(self, rid: str) -> GroupItem | None:
        """The outermost collapsed group that hides ``rid``'s contents (itself included)."""
        found = None
        item = self.items.get(rid)
        while item is not None:
            if item.collapsed:
                found = item
            item = self.items.get(item.parent_id) if item.parent_id else None
        return found

    def stand_in(self, node_id: str) -> GroupItem | None:
        """The collapsed group drawn in ``node_id``'s place, if any."""
        best = None
        for rid in self._member_of.get(node_id, ()):
            g = self.showing(rid)
            if g is not None and (best is None or self.depth(g.region_id) <
                                  self.depth(best.region_id)):
                best = g
        return best

    # -- collapse -------------------------------------------------------------------------
    def apply(self) -> None:
        """Show/hide members, groups and wires for the collapsed flags; re-route wires."""
        sc = self.scene
        nodes = sc.node_map()
        for w in self._rerouted:
            w.reroute = None
            w.update_path()
        self._rerouted = []
        hidden: dict[str, GroupItem] = {}
        for nid in self._member_of:
            g = self.stand_in(nid)
            if g is not None:
                hidden[nid] = g
        for nid in set(self.hidden_nodes) | set(hidden):
            item = nodes.get(nid)
            if item is None:
                continue
            show = nid not in hidden
            if show:
                item.unlazy()  # built hidden (cheap): laid out when first shown
            if item.isVisible() != show:
                if not show:
                    item.setSelected(False)
                item.setVisible(show)
        self.hidden_nodes = set(hidden)
        for g in self.items.values():
            g.inputs, g.outputs = [], []
        for w in sc.wire_items():
            gs, gd = hidden.get(w.wire.src), hidden.get(w.wire.dst)
            if gs is not None and gs is gd:
                w.setVisible(False)
                continue
            w.setVisible(True)
            if gs is None and gd is None:
                continue
            if gs is not None and w.wire.src not in [n for n, _ in gs.outputs]:
                gs.outputs.append((w.wire.src, self._label(w.wire.src)))
            if gd is not None and w.wire.src not in [n for n, _ in gd.inputs]:
                src = w.wire.src
                gd.inputs.append((src, self._label(src)))
            w.reroute = (
                (lambda g=gs, n=w.wire.src: g.output_pos(n)) if gs is not None else None,
                (lambda g=gd, n=w.wire.src: g.input_pos(n)) if gd is not None else None)
            self._rerouted.append(w)
        root = getattr(sc.document.settings, "root", None)
        if root in hidden and root not in [n for n, _ in hidden[root].outputs]:
            hidden[root].outputs.append((root, self._label(root)))
        self._summaries()
        self.refit_all()
        for w in self._rerouted:
            w.update_path()

    def _label(self, node_id: str) -> str:
        node = self.scene.document.nodes.get(node_id)
        res = (self.scene._results or {}).get(node_id)
        shape = getattr(res, "shape", None) if res is not None else None
        return f"{node.name if node else node_id} {shape_text(shape)}"

    def _summaries(self) -> None:
        doc = self.scene.document
        results = self.scene._results or {}
        order = {nid: i for i, nid in enumerate(doc.nodes)} if self.items else {}
        for item in self.items.values():
            params = []
            for nid in sorted(item.members, key=lambda n: order.get(n, -1)):
                node = doc.nodes.get(nid)
                # a parameter: a leaf that requires grad (frozen or not)
                if node is None or not node.requires_grad or doc.inputs_of(nid):
                    continue
                params.append(nid)
            item.params = params
            item.locked = bool(params) and all(doc.nodes[n].frozen for n in params)
            grads = []
            for nid in params:
                res = results.get(nid)
                grad = getattr(res, "grad", None) if res is not None else None
                arr = previews.as_array(grad) if grad is not None else None
                norm = float(math.sqrt(float(np.sum(np.square(arr, dtype=np.float64)))))\
                    if arr is not None else None
                grads.append((doc.nodes[nid].name, norm, grad))
            item.grads = grads

    # -- geometry -------------------------------------------------------------------------
    def refit_all(self) -> None:
        for rid in self._inner_first():
            self.refit(rid)

    def _inner_first(self) -> list[str]:
        return sorted(self.items, key=lambda r: -self.depth(r))

    def refit(self, rid: str) -> None:
        item = self.items[rid]
        top = self.showing(rid)
        if top is not None and top is not item:
            item.setVisible(False)
            return
        item.setVisible(True)
        nodes = self.scene.node_map()
        rect = QRectF()
        for nid in item.members:
            n = nodes.get(nid)
            # a collapsed box sits where its (hidden) members were; an expanded one encloses
            # what is shown: members and the boxes of its sub-groups
            if n is not None and (item.collapsed or nid not in self.hidden_nodes):
                rect = rect.united(n.body_rect().translated(n.pos()))
        for cid in item.children:
            child = self.items[cid]
            if child.isVisible() and not item.collapsed:
                rect = rect.united(child.rect())
        if rect.isNull():
            rect = QRectF(0, 0, 1, 1)
        if item.collapsed:
            # where the module's output was: the wires keep running left to right
            out = nodes.get(item.outputs[0][0]) if item.outputs else None
            w, h = self.collapsed_width(item), item.collapsed_height()
            if out is not None:
                body = out.body_rect().translated(out.pos())
                item.set_rect(QRectF(body.left(), body.top(), w, h))
            else:
                item.set_rect(QRectF(rect.left(), rect.top(), w, h))
        else:
            item.set_rect(rect.adjusted(-item.MARGIN, -item.MARGIN - item.HEADER,
                                        item.MARGIN, item.MARGIN))

    def collapsed_width(self, item: GroupItem) -> float:
        fm = style().small_fm
        # about one layout column wide (the title elides; its tooltip has it whole)
        w = item.COLLAPSED_W
        for _, label in item.inputs + item.outputs:
            w = max(w, fm.horizontalAdvance(label) + 50)
        return min(w, 320.0)

    def node_moved(self, node_id: str) -> None:
        """A member moved: refit its groups, innermost first (their ancestors follow)."""
        rids = self._member_of.get(node_id)
        if not rids:
            return
        for rid in sorted(rids, key=lambda r: -self.depth(r)):
            self.refit(rid)
        for w in self._rerouted:
            w.update_path()

    # -- the scene's other events ---------------------------------------------------------
    def after_event(self, ev) -> None:
        """Nodes/wires added or removed while something is collapsed: re-apply."""
        if not self.items or self._batch:
            return
        what = (ev.detail or {}).get("what") if isinstance(ev.detail, dict) else None
        if ev.kind == "node_changed" and what == "flag":  # frozen: the lock follows
            self._summaries()
            for item in self.items.values():
                item.update()
        busy = self.hidden_nodes or self._rerouted or any(
            i.collapsed for i in self.items.values())
        if busy and (ev.kind in ("node_added", "node_removed", "wire_added", "wire_removed",
                                 "settings_changed") or what in ("flag", "name")):
            self.apply()

    def results_changed(self) -> None:
        if self.items:
            self._summaries()
            for item in self.items.values():
                if item.collapsed:
                    for lst in (item.inputs, item.outputs):
                        lst[:] = [(n, self._label(n)) for n, _ in lst]
                    self.refit(item.region_id)
                    item.update()
            for w in self._rerouted:
                w.update_path()
