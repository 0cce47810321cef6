"""The backward graph itself, drawn as torchviz draws it, beside the forward canvas.

Built from the executor's values ({doc node id: engine Tensor}) by walking
`grad_fn.next_functions` (widgets/backward_graph.py): one box per grad_fn (torch's names:
AddBackward0, MmBackward0 ..., AccumulateGrad), the leaves (variable name and shape, light blue
as in torchviz) under their AccumulateGrad, and the root tensor (green) above its grad_fn.
Layers are the topological generations, root on top; arrows follow the gradient.

Every box belongs to a document node: a tensor's grad_fn to that tensor's node, internal
grad_fns (MmBackward0 under matmul's SqueezeBackward4) to the node whose grad_fn reaches them,
AccumulateGrad and the leaf box to the leaf's node. Clicking a box emits
`nodeSelected(doc_node_id)` ("" when the selection is cleared); `select_doc_node(id)` selects
every box of that node without emitting (selection sync with the canvas). `highlight_step`
marks the grad_fn the step-through is at, and the ones already run.

Scale (issue 10): an update never rebuilds the scene. Boxes have keys that survive a forward
(backward_graph.py), so `set_graph` keeps every item whose key is unchanged and creates,
removes, re-labels or moves only what changed (`last_update` counts it). Above `LOD_LIMIT`
grad_fns only the root's neighbourhood is drawn (breadth-first), with a bar saying "showing
2,000 of 13,986 grad_fns" and Expand / Show all; a box with hidden successors shows "+N more"
and expands on double-click. Drawing many boxes ("Show all") reports to the bar's progress
indicator and can be cancelled.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from engine.document.progress import Cancelled, Ticker

from . import theme
from .backward_clusters import ClusterLayer
from .backward_graph import BackwardGraph, edges, fn_name, select, shape_text, walk
from .backward_items import (
    LEAF_FILL,
    LOD_TEXT,
    ROOT_FILL,
    BackwardEdge,
    BackwardItem,
    _Fonts,
)
from .progress import ProgressIndicator

__all__ = ["LEAF_FILL", "LOD_TEXT", "MIN_FIT_ZOOM", "ROOT_FILL", "BackwardEdge",
           "BackwardItem", "BackwardView", "fn_name", "shape_text"]

MIN_ZOOM, MAX_ZOOM = 0.05, 4.0
# fit() never goes below this: labels stay readable in a small dock; a graph that is still
# too big shows its root end and scrolls (scroll bars appear, drag pans)
MIN_FIT_ZOOM = 0.75
FIT_MARGIN = 16.0
LOD_LIMIT = 2000  # grad_fns drawn before the view cuts the graph
EXPAND_STEP = 2000  # grad_fns one "Expand" adds
PROGRESS_ABOVE = 1500  # items to create before the work reports progress (and can cancel)
PROGRESS_EVERY = 250
NO_GRAPH_TEXT = "No backward graph: no result requires grad yet."
WAITING_TEXT = "Drawing the backward graph…"


class _LodBar(QWidget):
    """Above the view when the graph is cut: the count, Expand, Show all, progress."""

    def __init__(self, parent) -> None:
        super().__init__(parent)
        self.setObjectName("backwardLodBar")
        self.label = QLabel(self)
        self.label.setObjectName("backwardLodLabel")
        # a narrow dock clips the message, never the buttons
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.expand_button = QToolButton(self)
        self.expand_button.setText("Expand")
        self.show_all_button = QToolButton(self)
        self.show_all_button.setText("Show all")
        self.progress = ProgressIndicator(self)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 2, 6, 2)
        lay.setSpacing(6)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.progress)
        lay.addWidget(self.expand_button)
        lay.addWidget(self.show_all_button)
        self.setAutoFillBackground(True)
        self.hide()


class BackwardView(QGraphicsView):
    nodeSelected = Signal(str)  # noqa: N815
    lodChanged = Signal(str)  # noqa: N815 - the bar's message ("" when all is shown)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)  # owned by the view: gone with it, not before
        self._scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setScene(self._scene)
        self._fonts = _Fonts()
        self._graph = BackwardGraph()
        self._items: dict = {}  # key -> BackwardItem, in rank order
        self._edges: dict = {}  # (src key, dst key, k) -> BackwardEdge
        self._by_fn: dict[int, BackwardItem] = {}
        self._by_doc: dict[str, list[BackwardItem]] = {}
        self.clusters = ClusterLayer(self)  # module groups around their grad_fns
        self._pinned: dict = {}  # grad_fn keys expanded by the user (insertion-ordered set)
        self.limit: int | None = LOD_LIMIT
        self.last_update: dict[str, int] = {}
        self._bounds = QRectF()  # the boxes' bounding rect, kept with the layout
        self._pending = None  # a set_graph that arrived while drawing with progress
        self._names: dict = {}
        self._args: tuple = ({}, None, None)  # the last set_graph's (values, names, root)
        self._syncing = False
        self._needs_fit = True
        self._auto_fit = True  # refit on resize until the user zooms
        self._current_step = None
        self._relayout = False  # the next _apply places the boxes even if none changed
        self.placeholder = QGraphicsSimpleTextItem(NO_GRAPH_TEXT)
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)  # pan: drag the background
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.lod_bar = _LodBar(self)
        self.lod_bar.expand_button.clicked.connect(self.expand)
        self.lod_bar.show_all_button.clicked.connect(self.show_all)
        self.progress = self.lod_bar.progress
        self._scene.selectionChanged.connect(self._selection_changed)
        self.apply_theme()
        self.set_graph({})

    # -- building ------------------------------------------------------------------------
    def set_waiting(self, waiting: bool) -> None:
        """While empty: say that a graph is coming (a document just opened, results not
        drawn yet) instead of that there is none."""
        self.placeholder.setText(WAITING_TEXT if waiting else NO_GRAPH_TEXT)

    def set_graph(self, values: dict, names: dict | None = None, root: str | None = None) -> None:
        """Draw the backward graph of `values` {doc node id: Tensor | None}. With `root`, only
        what backward from that node would reach; else every recorded graph (roots = tensors
        no other tensor's graph consumes). `names` {doc id: variable name} labels the boxes.
        Items whose key is unchanged are kept (see the module docstring)."""
        if self.progress.is_running():  # called back while "Show all" draws: after it
            self._pending = (values, names, root)
            return
        self._args = (values, names, root)
        self._names = names or {}
        self._walk()
        self._refresh()

    def _walk(self, full: bool = False) -> BackwardGraph:
        """Walk the graph of the last `set_graph` as far as the cut needs (all of it when
        `full`, or when the user expanded boxes: their keys may lie anywhere)."""
        stop = None if (full or self._pinned or self.limit is None) else self.limit
        self._graph = g = walk(*self._args, stop=stop)
        self._pinned = {k: None for k in self._pinned if k in g.boxes}
        return g

    def _full_graph(self) -> BackwardGraph:
        return self._walk(full=True) if self._graph.partial else self._graph

    def relayout(self) -> None:
        """Place the boxes again (the module clusters changed: they are part of the layout)."""
        self._relayout = True
        if self._items:
            self._refresh()
        else:
            self.clusters.rects = {}
            self.clusters.refresh()

    def _refresh(self, progress=None) -> None:
        keys, hidden = select(self._graph, self.limit, self._pinned)
        self._apply(keys, hidden, progress)

    def _apply(self, keys: list, hidden: dict, progress=None) -> None:
        """Make the scene show `keys`: remove, create, re-label, move only what differs."""
        g, items, scene = self._graph, self._items, self._scene
        stats = dict.fromkeys(("created", "removed", "relabelled", "moved", "edges_created",
                               "edges_removed", "edges_rerouted"), 0)
        self.last_update = stats
        want = set(keys)
        self._syncing = True
        try:
            for key in [k for k in items if k not in want]:
                scene.removeItem(items.pop(key))
                stats["removed"] += 1
            todo = sum(1 for k in keys if k not in items)
            ticker = Ticker(progress if todo > PROGRESS_ABOVE else None, todo, PROGRESS_EVERY)
            ticker.start()
            fresh = {}
            badges = 0  # "+N more" badges changed: the bounds change
            for key in keys:
                box = g.boxes[key]
                item = items.get(key)
                if item is None:
                    item = BackwardItem(box.kind, box.title, box.subtitle, box.doc_id,
                                        self._fonts, fn=box.fn, tensor=box.tensor, key=key)
                    scene.addItem(item)
                    items[key] = item  # tracked at once: a cancel must be able to undo it
                    stats["created"] += 1
                    ticker.tick()
                else:
                    if item.title != box.title or item.subtitle != box.subtitle:
                        item.set_labels(box.title, box.subtitle)
                        stats["relabelled"] += 1
                    item.fn, item.tensor, item.doc_id = box.fn, box.tensor, box.doc_id
                    if item.step_state:
                        item.set_step_state(0)  # a new graph has run no step yet
                fresh[key] = item
                item.owner_name = self._names.get(box.doc_id, box.doc_id)
                n_hidden = hidden.get(key, 0)
                if n_hidden != item.hidden:
                    item.set_hidden(n_hidden)
                    badges += 1
            ticker.finish()
        finally:
            self._syncing = False
        self._items = fresh
        self._by_fn = {id(it.fn): it for it in fresh.values() if it.fn is not None}
        by_doc: dict[str, list[BackwardItem]] = {}
        for it in fresh.values():
            if it.doc_id is not None:
                by_doc.setdefault(it.doc_id, []).append(it)
        self._by_doc = by_doc
        self._current_step = None

        drawn = edges(g, keys)
        same = not (stats["created"] or stats["removed"] or stats["relabelled"]) and \
            len(drawn) == len(self._edges) and all(
                (src, dst, k) in self._edges for src, dst, k, _ in drawn)
        # same boxes, same arrows (a value edit): nothing moves, unless the clusters changed
        if not same or self._relayout:
            self._relayout = False

            def extent(k):
                r = fresh[k].boundingRect()
                return (r.left(), r.top(), r.right(), r.bottom())
            pos = self.clusters.layout(g, keys, lambda k: (fresh[k].w, fresh[k].h), extent)
            moved = set()
            for key, (x, y) in pos.items():
                it = fresh[key]
                p = it.pos()
                if p.x() != x or p.y() != y:
                    it.setPos(x, y)
                    moved.add(key)
            stats["moved"] = len(moved)
            self._apply_edges(drawn, moved, stats)
        if not same or badges or stats["moved"]:
            self._bounds = self._items_bounds()

        self.clusters.refresh()
        show_placeholder = not fresh
        if show_placeholder != (self.placeholder.scene() is scene):
            if show_placeholder:  # only when shown: hidden items count in itemsBoundingRect
                scene.addItem(self.placeholder)
            else:
                scene.removeItem(self.placeholder)
        m = FIT_MARGIN  # tight: scroll bars show only when the graph does not fit
        rect = self._bounds if fresh else scene.itemsBoundingRect()
        if fresh:
            rect = rect.united(self.clusters.bounds())
        scene.setSceneRect(rect.adjusted(-m, -m, m, m))
        self._update_bar()
        if stats["created"] or stats["removed"]:  # a new picture: fit it again
            self._needs_fit = self._auto_fit = True
            if self.isVisible():
                self.fit()

    def _items_bounds(self) -> QRectF:
        """What itemsBoundingRect would say, from the boxes (arrows run between them)."""
        if not self._items:
            return QRectF()
        xs0, ys0, xs1, ys1 = [], [], [], []
        for it in self._items.values():
            r = it.boundingRect()
            p = it.pos()
            xs0.append(p.x() + r.left())
            ys0.append(p.y() + r.top())
            xs1.append(p.x() + r.right())
            ys1.append(p.y() + r.bottom())
        return QRectF(min(xs0), min(ys0), max(xs1) - min(xs0), max(ys1) - min(ys0))

    def _apply_edges(self, drawn: list, moved: set, stats: dict) -> None:
        old, scene, items = self._edges, self._scene, self._items
        new: dict = {}
        for src, dst, k, n in drawn:
            ekey = (src, dst, k)
            e = old.pop(ekey, None)
            offset = (k - (n - 1) / 2) * 10.0
            if e is not None and e.src is items[src] and e.dst is items[dst]:
                if src in moved or dst in moved or e.offset != offset:
                    e.offset = offset
                    e.update_path()
                    stats["edges_rerouted"] += 1
            else:
                if e is not None:
                    e.detach()
                    scene.removeItem(e)
                    stats["edges_removed"] += 1
                e = BackwardEdge(items[src], items[dst], offset, key=ekey)
                scene.addItem(e)
                stats["edges_created"] += 1
            new[ekey] = e
        for e in old.values():
            e.detach()
            if e.scene() is scene:
                scene.removeItem(e)
            stats["edges_removed"] += 1
        self._edges = new

    # -- level of detail -------------------------------------------------------------------
    def lod_message(self) -> str:
        """ "showing 2,000 of 13,986 grad_fns", or "" when every grad_fn is drawn."""
        total = self._graph.n_fns
        shown = sum(1 for it in self._items.values() if it.kind == "fn")
        return f"showing {shown:,} of {total:,} grad_fns" if shown < total else ""

    def _update_bar(self) -> None:
        msg = self.lod_message()
        bar = self.lod_bar
        if msg != bar.label.text() or bar.isVisible() != bool(msg):
            bar.label.setText(msg)
            bar.setVisible(bool(msg) or self.progress.is_running())
            self._place_bar()
            self.lodChanged.emit(msg)

    def _place_bar(self) -> None:
        bar = self.lod_bar
        h = bar.sizeHint().height() if bar.isVisible() else 0
        if self.viewportMargins().top() != h:  # from resizeEvent: re-setting the same
            self.setViewportMargins(0, h, 0, 0)  # margins relays out, resizes, recurses
        # as wide as the viewport: the vertical scroll bar spans the margin too
        bar.setGeometry(self.frameWidth(), self.frameWidth(), self.viewport().width(), h)

    def expand(self) -> None:
        """Draw `EXPAND_STEP` more grad_fns (breadth-first, the next ones from the root)."""
        if self.limit is not None:
            self._grow(self.limit + EXPAND_STEP, "Drawing more of the backward graph")

    def show_all(self) -> None:
        self._grow(None, "Drawing the whole backward graph")

    def _grow(self, limit: int | None, text: str) -> None:
        before = self.limit
        self.limit = limit
        self._walk()
        keys, hidden = select(self._graph, limit, self._pinned)
        todo = len(set(keys) - self._items.keys())
        if todo <= PROGRESS_ABOVE:
            self._apply(keys, hidden)
            return
        with self.progress.task(text, todo) as progress:
            self.lod_bar.show()
            self._place_bar()
            try:
                self._apply(keys, hidden, progress)
            except Cancelled:
                self.limit = before  # back to what was drawn; the extra items go again
                self._walk()
                self._refresh()
                raise
        self._update_bar()
        pending, self._pending = self._pending, None
        if pending is not None:
            self.set_graph(*pending)

    def expand_box(self, key) -> None:
        """Show the successors of the box `key` (its "+N more")."""
        anchor = self._full_graph().anchor(key)
        if anchor is not None and anchor not in self._pinned:
            self._pinned[anchor] = None
            self._refresh()

    def _reveal(self, keys) -> bool:
        """Make sure the boxes `keys` are drawn (a selection or a step in the hidden part)."""
        anchors = [a for a in (self._graph.anchor(k) for k in keys)
                   if a is not None and a not in self._pinned]
        missing = [k for k in keys if k not in self._items]
        if not missing or not anchors:
            return False
        for a in anchors:
            self._pinned[a] = None
        self._refresh()
        return True

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        item = self.itemAt(event.position().toPoint())
        if isinstance(item, BackwardItem) and item.hidden:
            self.expand_box(item.key)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    # -- queries -------------------------------------------------------------------------
    def graph_items(self) -> list[BackwardItem]:
        return list(self._items.values())

    def edge_items(self) -> list[BackwardEdge]:
        return list(self._edges.values())

    def item_for_fn(self, fn) -> BackwardItem | None:
        return self._by_fn.get(id(fn))

    def items_for(self, doc_id: str) -> list[BackwardItem]:
        return list(self._by_doc.get(doc_id, ()))

    def selected_doc_ids(self) -> list[str]:
        ids = {it.doc_id for it in self._scene.selectedItems()
               if isinstance(it, BackwardItem) and it.doc_id is not None}
        return sorted(ids)

    def graph(self) -> BackwardGraph:
        """Everything walked, drawn or not."""
        return self._graph

    # -- selection sync ------------------------------------------------------------------
    def select_doc_node(self, doc_id: str | None) -> None:
        """Select every box of `doc_id` (None clears), drawing it first if the level-of-detail
        cut hid it; emits nothing."""
        if doc_id is not None and doc_id not in self._by_doc:
            self._reveal(self._full_graph().by_doc.get(doc_id, ()))
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
        """Mark `grad_fn` as running now (None clears) and `visited` grad_fns as run; a step
        in the part the level-of-detail cut hides is drawn first."""
        if grad_fn is not None and id(grad_fn) not in self._by_fn:
            key = self._full_graph().by_fn.get(id(grad_fn))
            if key is not None:
                self._reveal([key])
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
        """The grad_fn called `name` belonging to `doc_id` (for a schedule of (name, id)),
        drawn or not."""
        for full in (False, True):
            g = self._full_graph() if full else self._graph
            keys = g.by_doc.get(doc_id, ()) if doc_id is not None else g.boxes
            for k in keys:
                b = g.boxes[k]
                if b.kind == "fn" and b.title == name:
                    return b.fn
            if not g.partial:
                break
        return None

    def current_step_item(self) -> BackwardItem | None:
        return self._current_step

    # -- view ----------------------------------------------------------------------------
    def apply_theme(self) -> None:
        self.setBackgroundBrush(theme.color("canvas"))
        self.placeholder.setBrush(theme.color("text_muted"))
        for e in self._edges.values():
            e.refresh_pen()
        self._scene.update()

    def zoom(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        """The whole graph when it fits at a readable scale (at most 1:1, centred); else
        ``MIN_FIT_ZOOM`` with the root end (top) in view, centred on the root."""
        rect = self._bounds if self._items else self._scene.itemsBoundingRect()
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
            items = list(self._items.values())
            roots = [it for it in items if it.kind == "root"] or items
            cx = roots[0].pos().x()
        if rect.height() * z > vp.height():  # too tall: the top rows (root first)
            cy = rect.top() + vp.height() / z / 2
        self.centerOn(cx, cy)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._place_bar()
        if self._needs_fit:
            self.fit()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._place_bar()
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
