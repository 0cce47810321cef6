"""The backward graph itself, drawn as torchviz draws it, beside the forward canvas.

Built from the executor's values ({doc node id: engine Tensor}) by walking
`grad_fn.next_functions`: one box per grad_fn (torch's names: AddBackward0, MmBackward0 ...,
AccumulateGrad), the leaves (variable name and shape, light blue as in torchviz) under their
AccumulateGrad, and the root tensor (green) above its grad_fn. Layers are the topological
generations, root on top; arrows follow the gradient (next_functions).

Every box belongs to a document node: a tensor's grad_fn to that tensor's node, internal
grad_fns (MmBackward0 under matmul's SqueezeBackward4) to the node whose grad_fn reaches them,
AccumulateGrad and the leaf box to the leaf's node. Clicking a box emits
`nodeSelected(doc_node_id)` ("" when the selection is cleared); `select_doc_node(id)` selects
every box of that node without emitting (selection sync with the canvas). `highlight_step`
marks the grad_fn the step-through is at, and the ones already run.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
)

from . import theme

# torchviz's fills: lightblue leaves, darkolivegreen1 outputs
LEAF_FILL = "#add8e6"
ROOT_FILL = "#caff70"
ON_LIGHT_TEXT = "#1b1d22"
LAYER_GAP = 26.0  # compact: the view usually lives in a small dock
H_GAP = 22.0
MIN_ZOOM, MAX_ZOOM = 0.05, 4.0
LOD_TEXT = 0.4  # below this scale boxes are drawn without text (the 40000 chips idea)
# fit() never goes below this: labels stay readable in a small dock; a graph that is still
# too big shows its root end and scrolls (scroll bars appear, drag pans)
MIN_FIT_ZOOM = 0.75
FIT_MARGIN = 16.0
_SELECTED_CHANGED = QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged


def fn_name(fn) -> str:
    """torch's grad_fn class name (AccumulateGrad, not torch::autograd::AccumulateGrad)."""
    return type(fn).__name__


def shape_text(t) -> str:
    """torchviz's size_to_str: (5, 3)."""
    return "(" + ", ".join(str(int(s)) for s in t.shape) + ")"


def _reachable(fns) -> set[int]:
    """ids of every grad_fn reachable from `fns` through next_functions (not `fns` itself,
    unless another one reaches it)."""
    out: set[int] = set()
    stack = list(fns)
    while stack:
        fn = stack.pop()
        for nxt, _ in fn.next_functions:
            if nxt is not None and id(nxt) not in out:
                out.add(id(nxt))
                stack.append(nxt)
    return out


class _Dag:
    """The few digraph operations the layout needs (networkx costs a long import at
    start-up): nodes in insertion order, edges carrying a multiplicity ``n``."""

    def __init__(self) -> None:
        self.succ: dict = {}
        self.pred: dict = {}

    def add_node(self, u) -> None:
        self.succ.setdefault(u, {})
        self.pred.setdefault(u, {})

    def add_edge(self, u, v) -> None:
        """One more edge u -> v (parallel edges raise the multiplicity)."""
        self.add_node(u)
        self.add_node(v)
        self.succ[u][v] = self.succ[u].get(v, 0) + 1
        self.pred[v][u] = self.succ[u][v]

    def edges(self):
        """(u, v, multiplicity) in insertion order."""
        return [(u, v, n) for u, outs in self.succ.items() for v, n in outs.items()]

    def predecessors(self, v):
        return iter(self.pred.get(v, ()))

    def generations(self):
        """Layers of the DAG: sources first, each node one layer below its last parent
        (networkx's topological_generations)."""
        indeg = {u: len(p) for u, p in self.pred.items()}
        layer = [u for u, d in indeg.items() if d == 0]
        while layer:
            yield layer
            nxt = []
            for u in layer:
                for v in self.succ[u]:
                    indeg[v] -= 1
                    if indeg[v] == 0:
                        nxt.append(v)
            layer = nxt


class _Fonts:
    def __init__(self) -> None:
        self.title = QFont()
        self.title.setPointSizeF(8.5)
        self.small = QFont()
        self.small.setPointSizeF(7.5)
        self.title_fm = QFontMetricsF(self.title)
        self.small_fm = QFontMetricsF(self.small)


class BackwardItem(QGraphicsItem):
    """One box: kind is "fn" (a grad_fn, AccumulateGrad included), "leaf" or "root"."""

    PAD_X, PAD_Y = 9.0, 5.0

    def __init__(self, kind: str, title: str, subtitle: str, doc_id: str | None, fonts: _Fonts,
                 fn=None, tensor=None) -> None:
        super().__init__()
        self.kind, self.title, self.subtitle, self.doc_id = kind, title, subtitle, doc_id
        self.fn, self.tensor = fn, tensor
        self.fonts = fonts
        self.step_state = 0  # 0 idle, 1 already run, 2 running now
        self.in_edges: list[BackwardEdge] = []
        self.out_edges: list[BackwardEdge] = []
        w = fonts.title_fm.horizontalAdvance(title)
        if subtitle:
            w = max(w, fonts.small_fm.horizontalAdvance(subtitle))
        h = fonts.title_fm.height() + (fonts.small_fm.height() if subtitle else 0)
        self.w, self.h = math.ceil(w + 2 * self.PAD_X), math.ceil(h + 2 * self.PAD_Y)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(1)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(-self.w / 2 - 3, -self.h / 2 - 3, self.w + 14, self.h + 6)

    def box(self) -> QRectF:
        return QRectF(-self.w / 2, -self.h / 2, self.w, self.h)

    def top(self) -> QPointF:
        return self.pos() + QPointF(0, -self.h / 2)

    def bottom(self) -> QPointF:
        return self.pos() + QPointF(0, self.h / 2)

    def set_step_state(self, state: int) -> None:
        if state != self.step_state:
            self.step_state = state
            self.update()

    def itemChange(self, change, value):  # noqa: N802
        if change == _SELECTED_CHANGED:
            for e in self.in_edges + self.out_edges:
                e.refresh_pen()
        return super().itemChange(change, value)

    def paint(self, p: QPainter, option, widget=None) -> None:
        c = theme.color
        if self.kind == "leaf":
            fill, text, sub = QColor(LEAF_FILL), QColor(ON_LIGHT_TEXT), QColor("#38424f")
        elif self.kind == "root":
            fill, text, sub = QColor(ROOT_FILL), QColor(ON_LIGHT_TEXT), QColor("#3d4a22")
        else:
            fill, text, sub = c("node_body"), c("node_text"), c("grad_fn")
            if self.fn is not None and fn_name(self.fn) == "AccumulateGrad":
                fill = c("node_header")
        if self.step_state == 2:
            fill = c("highlight")
            text = sub = QColor(ON_LIGHT_TEXT)
        if self.isSelected():
            pen = QPen(c("accent"), 2.5)
        elif self.step_state:
            pen = QPen(c("highlight"), 2.0 if self.step_state == 2 else 1.5)
        else:
            pen = QPen(c("node_border") if self.kind == "fn" else fill.darker(160), 1.0)
        if option.levelOfDetailFromTransform(p.worldTransform()) < LOD_TEXT:
            pen.setCosmetic(True)
            p.setPen(pen)
            p.setBrush(fill)
            p.drawRect(self.box())
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(pen)
        p.setBrush(fill)
        p.drawRoundedRect(self.box(), 5, 5)
        f = self.fonts
        y = -self.h / 2 + self.PAD_Y
        p.setFont(f.title)
        p.setPen(text)
        p.drawText(QRectF(-self.w / 2, y, self.w, f.title_fm.height()),
                   Qt.AlignmentFlag.AlignCenter, self.title)
        if self.subtitle:
            y += f.title_fm.height()
            p.setFont(f.small)
            p.setPen(sub)
            p.drawText(QRectF(-self.w / 2, y, self.w, f.small_fm.height()),
                       Qt.AlignmentFlag.AlignCenter, self.subtitle)
        if self.step_state == 1:  # run already: a small check mark beside the box
            p.setPen(QPen(c("highlight"), 1.6))
            r = self.box()
            x0, y0 = r.right() + 3, r.top() + 2
            p.drawPolyline(QPolygonF([QPointF(x0, y0 + 2.5), QPointF(x0 + 2, y0 + 4.5),
                                      QPointF(x0 + 5.5, y0)]))


class BackwardEdge(QGraphicsPathItem):
    """An arrow from `src` (bottom) to `dst` (top); `offset` separates parallel edges
    (mul(x, x) has two next_functions to one AccumulateGrad)."""

    def __init__(self, src: BackwardItem, dst: BackwardItem, offset: float = 0.0) -> None:
        super().__init__()
        self.src, self.dst, self.offset = src, dst, offset
        src.out_edges.append(self)
        dst.in_edges.append(self)
        self.setZValue(0)
        self.refresh_pen()
        self.update_path()

    def refresh_pen(self) -> None:
        hot = self.src.isSelected() and self.dst.isSelected()
        col = theme.color("accent") if hot else theme.color("wire")
        pen = QPen(col, 2.0 if hot else 1.3)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self.setPen(pen)
        self._arrow_brush = QBrush(col)
        self.update()

    def update_path(self) -> None:
        a = self.src.bottom() + QPointF(self.offset, 0)
        b = self.dst.top() + QPointF(self.offset, -6)  # leave room for the arrowhead
        dy = max(18.0, (b.y() - a.y()) * 0.5)
        path = QPainterPath(a)
        path.cubicTo(a + QPointF(0, dy), b - QPointF(0, dy), b)
        self.setPath(path)
        self._tip = self.dst.top() + QPointF(self.offset, 0)

    def shape(self) -> QPainterPath:
        s = QPainterPathStroker()
        s.setWidth(6)
        return s.createStroke(self.path())

    def boundingRect(self) -> QRectF:  # noqa: N802
        return super().boundingRect().adjusted(-6, -6, 6, 8)

    def paint(self, p: QPainter, option, widget=None) -> None:
        if option.levelOfDetailFromTransform(p.worldTransform()) < LOD_TEXT:
            p.setPen(self.pen())
            p.drawLine(self.path().pointAtPercent(0), self._tip)
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        super().paint(p, option, widget)
        tip = self._tip
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._arrow_brush)
        p.drawPolygon(QPolygonF([tip, tip + QPointF(-4.5, -8), tip + QPointF(4.5, -8)]))


class BackwardView(QGraphicsView):
    nodeSelected = Signal(str)  # noqa: N815

    def __init__(self, parent=None) -> None:
        self._scene = QGraphicsScene()
        super().__init__(self._scene, parent)
        self._fonts = _Fonts()
        self._items: list[BackwardItem] = []
        self._edges: list[BackwardEdge] = []
        self._by_fn: dict[int, BackwardItem] = {}
        self._by_doc: dict[str, list[BackwardItem]] = {}
        self._fns: list = []  # keeps the walked grad_fns alive: _by_fn is keyed by id()
        self._syncing = False
        self._needs_fit = True
        self._auto_fit = True  # refit on resize until the user zooms
        self._current_step = None
        self.placeholder = QGraphicsSimpleTextItem()
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)  # pan: drag the background
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self._scene.selectionChanged.connect(self._selection_changed)
        self.apply_theme()
        self.set_graph({})

    # -- building ------------------------------------------------------------------------
    def set_graph(self, values: dict, names: dict | None = None, root: str | None = None) -> None:
        """Draw the backward graph of `values` {doc node id: Tensor | None}. With `root`, only
        what backward from that node would reach; else every recorded graph (roots = tensors
        no other tensor's graph consumes). `names` {doc id: variable name} labels the boxes."""
        names = names or {}
        self._syncing = True
        try:
            self._scene.clear()
        finally:
            self._syncing = False
        self._items, self._edges, self._by_fn, self._by_doc, self._fns = [], [], {}, {}, []
        self._current_step = None
        tensors = {k: v for k, v in values.items() if v is not None}
        owner_of_fn: dict[int, str] = {}
        owner_of_var: dict[int, str] = {}
        for doc_id, t in tensors.items():
            if t.grad_fn is not None:
                owner_of_fn.setdefault(id(t.grad_fn), doc_id)
            elif t._requires_grad:
                owner_of_var.setdefault(id(t), doc_id)

        if root is not None:
            t = tensors.get(root)
            starts = [root] if t is not None and t.grad_fn is not None else []
        else:
            consumed = _reachable([t.grad_fn for t in tensors.values()
                                   if t.grad_fn is not None])
            starts = [d for d, t in tensors.items()
                      if t.grad_fn is not None and id(t.grad_fn) not in consumed
                      and owner_of_fn.get(id(t.grad_fn)) == d]

        g = _Dag()
        order: list = []
        # breadth-first from the roots: an internal grad_fn inherits its first parent's node
        queue = []
        for doc_id in starts:
            t = tensors[doc_id]
            ritem = self._add_item("root", names.get(doc_id, doc_id), shape_text(t), doc_id,
                                   tensor=t)
            g.add_node(ritem)
            fn_item = self._fn_item(t.grad_fn, owner_of_fn.get(id(t.grad_fn), doc_id), names,
                                    owner_of_var, tensors)
            g.add_edge(ritem, fn_item)
            order.append(ritem)
            queue.append(t.grad_fn)
        seen = {id(fn) for fn in queue}
        while queue:
            fn = queue.pop(0)
            item = self._by_fn[id(fn)]
            order.append(item)
            for nxt, _ in fn.next_functions:
                if nxt is None:
                    continue
                owner = owner_of_fn.get(id(nxt), item.doc_id)
                nitem = self._fn_item(nxt, owner, names, owner_of_var, tensors)
                g.add_edge(item, nitem)
                if id(nxt) not in seen:
                    seen.add(id(nxt))
                    queue.append(nxt)
                    leaf = getattr(nxt, "variable", None)
                    if leaf is not None:
                        vid = owner_of_var.get(id(leaf))
                        label = names.get(vid, vid) if vid is not None else ""
                        litem = self._add_item("leaf", label or shape_text(leaf),
                                               shape_text(leaf) if label else "", vid,
                                               tensor=leaf)
                        g.add_edge(nitem, litem)
        for it in self._items:
            g.add_node(it)
        self._layout(g, order)
        for u, v, n in g.edges():
            for k in range(n):
                self._edges.append(BackwardEdge(u, v, (k - (n - 1) / 2) * 10.0))
        for e in self._edges:
            self._scene.addItem(e)
        self._set_placeholder(not self._items)
        m = FIT_MARGIN  # tight: scroll bars show only when the graph does not fit
        self._scene.setSceneRect(self._scene.itemsBoundingRect().adjusted(-m, -m, m, m))
        self._needs_fit = self._auto_fit = True
        if self.isVisible():
            self.fit()

    def _add_item(self, kind, title, subtitle, doc_id, fn=None, tensor=None) -> BackwardItem:
        item = BackwardItem(kind, title, subtitle, doc_id, self._fonts, fn=fn, tensor=tensor)
        self._items.append(item)
        self._scene.addItem(item)
        if doc_id is not None:
            self._by_doc.setdefault(doc_id, []).append(item)
        return item

    def _fn_item(self, fn, owner, names, owner_of_var, tensors) -> BackwardItem:
        item = self._by_fn.get(id(fn))
        if item is not None:
            return item
        name = fn_name(fn)
        leaf = getattr(fn, "variable", None)
        if leaf is not None:
            owner = owner_of_var.get(id(leaf))
            sub = ""
        else:  # the doc variable this grad_fn produced, if it is a tensor's own grad_fn
            t = tensors.get(owner)
            sub = names.get(owner, owner) if t is not None and t.grad_fn is fn else ""
        item = self._add_item("fn", name, sub, owner, fn=fn)
        item.setToolTip(self._tooltip(fn, owner, names))
        self._by_fn[id(fn)] = item
        self._fns.append(fn)
        return item

    @staticmethod
    def _tooltip(fn, owner, names) -> str:
        edges = ", ".join(f"({fn_name(n) if n is not None else 'None'}, {nr})"
                          for n, nr in fn.next_functions)
        where = f" — {names.get(owner, owner)}" if owner is not None else ""
        comma = "," if len(fn.next_functions) == 1 else ""  # a 1-tuple prints as (x,)
        return f"{fn_name(fn)}{where}\nnext_functions: ({edges}{comma})"

    def _layout(self, g: _Dag, order: list) -> None:
        """Layers from the topological generations. Within a layer, boxes are ordered by the
        mean position of their parents and placed as close to it as the gaps allow (a box
        with one parent sits right under it), then the layer is shifted so that the boxes
        are, on average, where their parents want them."""
        rank = {it: i for i, it in enumerate(order)}
        y = 0.0
        xpos: dict[BackwardItem, float] = {}
        for layer in g.generations():
            want = {}
            for it in layer:
                ps = [xpos[p] for p in g.predecessors(it) if p in xpos]
                want[it] = sum(ps) / len(ps) if ps else None
            layer = sorted(layer, key=lambda it: (want[it] if want[it] is not None else -1e9,
                                                  rank.get(it, 1e9)))
            xs, prev = [], None
            for it in layer:
                x = want[it] if want[it] is not None else -1e18
                if prev is not None:
                    x = max(x, xs[-1] + prev.w / 2 + H_GAP + it.w / 2)
                elif want[it] is None:
                    x = 0.0
                xs.append(x)
                prev = it
            wanted = [(want[it], x) for it, x in zip(layer, xs) if want[it] is not None]
            if wanted:
                shift = sum(w - x for w, x in wanted) / len(wanted)
            else:  # a layer of roots: centred on 0
                shift = -(xs[0] - layer[0].w / 2 + xs[-1] + layer[-1].w / 2) / 2
            h = max(it.h for it in layer)
            for it, x in zip(layer, xs):
                it.setPos(x + shift, y + h / 2)
                xpos[it] = x + shift
            y += h + LAYER_GAP

    def _set_placeholder(self, show: bool) -> None:
        self.placeholder = QGraphicsSimpleTextItem(
            "No backward graph: no result requires grad yet.")
        self.placeholder.setBrush(theme.color("text_muted"))
        if show:  # only when shown: hidden items still count in itemsBoundingRect
            self._scene.addItem(self.placeholder)

    # -- queries -------------------------------------------------------------------------
    def graph_items(self) -> list[BackwardItem]:
        return list(self._items)

    def edge_items(self) -> list[BackwardEdge]:
        return list(self._edges)

    def item_for_fn(self, fn) -> BackwardItem | None:
        return self._by_fn.get(id(fn))

    def items_for(self, doc_id: str) -> list[BackwardItem]:
        return list(self._by_doc.get(doc_id, ()))

    def selected_doc_ids(self) -> list[str]:
        ids = {it.doc_id for it in self._scene.selectedItems()
               if isinstance(it, BackwardItem) and it.doc_id is not None}
        return sorted(ids)

    # -- selection sync ------------------------------------------------------------------
    def select_doc_node(self, doc_id: str | None) -> None:
        """Select every box of `doc_id` (None clears); emits nothing."""
        self._syncing = True
        try:
            self._scene.clearSelection()
            for it in self._by_doc.get(doc_id, ()) if doc_id is not None else ():
                it.setSelected(True)
        finally:
            self._syncing = False
        items = self._by_doc.get(doc_id) if doc_id is not None else None
        if items and self.isVisible():
            self.ensureVisible(items[0], 40, 40)

    def _selection_changed(self) -> None:
        if self._syncing:
            return
        picked = [it for it in self._scene.selectedItems() if isinstance(it, BackwardItem)]
        doc_id = next((it.doc_id for it in picked if it.doc_id is not None), None)
        self._syncing = True
        try:  # a click selects the whole document node: all of its boxes
            for it in self._by_doc.get(doc_id, ()) if doc_id is not None else ():
                it.setSelected(True)
        finally:
            self._syncing = False
        self.nodeSelected.emit(doc_id or "")

    # -- step-through --------------------------------------------------------------------
    def highlight_step(self, grad_fn, visited=()) -> None:
        """Mark `grad_fn` as running now (None clears) and `visited` grad_fns as run."""
        done = {id(f) for f in visited}
        for it in self._by_fn.values():
            it.set_step_state(2 if grad_fn is not None and it.fn is grad_fn
                              else 1 if id(it.fn) in done else 0)
        self._current_step = self._by_fn.get(id(grad_fn)) if grad_fn is not None else None
        if self._current_step is not None and self.isVisible():
            self.ensureVisible(self._current_step, 40, 40)

    def highlight_named_step(self, step, visited=()) -> None:
        """`highlight_step` by (grad_fn name, doc node id) pairs, as the executor's
        `backward_schedule()` and the step-through's Steps name them (their grad_fns may be
        those of a copy of the graph)."""
        current = self.find_fn(*step) if step is not None else None
        done = [f for f in (self.find_fn(*s) for s in visited) if f is not None]
        self.highlight_step(current, done)

    def find_fn(self, name: str, doc_id: str | None = None):
        """The grad_fn called `name` belonging to `doc_id` (for a schedule of (name, id))."""
        for it in self._by_fn.values():
            if fn_name(it.fn) == name and (doc_id is None or it.doc_id == doc_id):
                return it.fn
        return None

    def current_step_item(self) -> BackwardItem | None:
        return self._current_step

    # -- view ----------------------------------------------------------------------------
    def apply_theme(self) -> None:
        self.setBackgroundBrush(theme.color("canvas"))
        for e in self._edges:
            e.refresh_pen()
        self._scene.update()

    def zoom(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        """The whole graph when it fits at a readable scale (at most 1:1, centred); else
        ``MIN_FIT_ZOOM`` with the root end (top) in view, centred on the root."""
        rect = self._scene.itemsBoundingRect()
        self._needs_fit = False
        if rect.isEmpty():
            return
        rect = rect.adjusted(-FIT_MARGIN, -FIT_MARGIN, FIT_MARGIN, FIT_MARGIN)
        vp = self.viewport().size()
        z = min(1.0, vp.width() / rect.width(), vp.height() / rect.height())
        z = max(z, MIN_FIT_ZOOM)
        self.resetTransform()
        self.scale(z, z)
        cx, cy = rect.center().x(), rect.center().y()
        if rect.width() * z > vp.width():  # too wide: the root's column
            roots = [it for it in self._items if it.kind == "root"] or self._items
            cx = roots[0].pos().x()
        if rect.height() * z > vp.height():  # too tall: the top rows (root first)
            cy = rect.top() + vp.height() / z / 2
        self.centerOn(cx, cy)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._needs_fit:
            self.fit()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._auto_fit and self.isVisible():
            self.fit()

    def wheelEvent(self, event) -> None:  # noqa: N802
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            event.ignore()
            return
        factor = math.pow(1.0015, delta)
        z = self.zoom()
        factor = max(MIN_ZOOM / z, min(MAX_ZOOM / z, factor))
        self.scale(factor, factor)
        self._auto_fit = False
        event.accept()
