"""Module clusters in the backward-graph view: a labelled box per module group around the
boxes (grad_fns, AccumulateGrad, leaves) that its member nodes recorded -- the same grouping
as on the canvas (widgets/canvas/groups.py), torchviz-style clusters.

The view calls ``refresh()`` after it placed its boxes; the app gives the groups with
``set_groups([(title, member node ids), ...])`` (outer modules first). Nested modules nest:
an outer cluster is drawn with a larger margin than the clusters inside it."""
from __future__ import annotations

import math

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from . import theme


class ClusterItem(QGraphicsItem):
    PAD = 8.0
    TITLE_H = 14.0

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title = title
        self._rect = QRectF()
        self.setZValue(-5)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setToolTip(title)

    def set_rect(self, rect: QRectF) -> None:
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect

    def rect(self) -> QRectF:
        return self._rect

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, p: QPainter, option, widget=None) -> None:
        border = QColor(theme.color("grad_fn"))
        fill = QColor(border)
        fill.setAlpha(16)
        p.setPen(QPen(border, 1.2))
        p.setBrush(QBrush(fill))
        p.drawRoundedRect(self._rect, 5, 5)
        font = p.font()
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
        p.setFont(font)
        p.setPen(QPen(theme.color("text_muted")))
        r = self._rect
        p.drawText(QRectF(r.left() + 6, r.top() + 1, r.width() - 12, self.TITLE_H),
                   Qt.AlignmentFlag.AlignVCenter,
                   p.fontMetrics().elidedText(self.title, Qt.TextElideMode.ElideRight,
                                              int(r.width() - 12)))


class ClusterLayer:
    """The clusters of one BackwardView. ``layout`` places the view's boxes so that the
    clusters are blocks (module_layout); ``refresh`` draws one box per cluster that holds a
    drawn box, where that layout put it."""

    def __init__(self, view) -> None:
        self.view = view
        self.groups: list[tuple[str, frozenset]] = []
        self.items: dict[int, ClusterItem] = {}  # index in groups -> item
        self.rects: dict[int, QRectF] = {}  # index in groups -> its box, from the layout

    def set_groups(self, groups) -> None:
        groups = [(str(t), frozenset(m)) for t, m in groups]
        if groups != self.groups:
            self.groups = groups
            relayout = getattr(self.view, "relayout", None)
            if relayout is not None:
                relayout()  # the boxes move: clusters are part of the layout
            else:
                self.refresh()

    def layout(self, g, keys, size, extent) -> dict:
        """{key: (x, y)} for the view's boxes: the plain layered layout, rearranged into
        module blocks when there are clusters (the cluster boxes are kept in ``rects``)."""
        from .backward_graph import layout as layered
        pos = layered(g, keys, size)
        if not self.groups:
            self.rects = {}
            return pos
        doc_of = {k: g.boxes[k].doc_id for k in keys}
        pos, self.rects = module_layout(pos, doc_of, self.groups, extent)
        return pos

    def refresh(self) -> None:
        scene = self.view.scene()
        keep = set()
        for i, (title, _members) in enumerate(self.groups):
            rect = self.rects.get(i)
            if rect is None:
                continue
            item = self.items.get(i)
            if item is None or item.title != title:
                if item is not None:
                    scene.removeItem(item)
                item = ClusterItem(title)
                self.items[i] = item
                scene.addItem(item)
            item.set_rect(rect)
            item.update()
            keep.add(i)
        for i in [k for k in self.items if k not in keep]:
            scene.removeItem(self.items.pop(i))

    def bounds(self) -> QRectF:
        rect = QRectF()
        for it in self.items.values():
            rect = rect.united(it.rect())
        return rect

    def titles(self) -> list[str]:
        return [it.title for _, it in sorted(self.items.items())]

    def cluster_items(self) -> dict[int, ClusterItem]:
        return dict(self.items)


# -- the layout --------------------------------------------------------------------------
CLUSTER_GAP = 4.0  # between a cluster's border and a box or cluster outside it


def _tree(groups, docs) -> tuple[dict, dict]:
    """(innermost group of each doc id, parent group of each group): the smallest group
    holding it (the later of equal sets: an importer lists outer modules first)."""
    of_doc: dict = {}
    for i, (_, members) in enumerate(groups):
        for nid in members:
            of_doc.setdefault(nid, []).append(i)

    def inner(cands):
        return min(cands, key=lambda j: (len(groups[j][1]), -j)) if cands else None

    home = {d: inner(of_doc.get(d, ())) for d in docs}
    parent = {}
    for i, (_, members) in enumerate(groups):
        if not members:
            continue
        anyone = next(iter(members))
        n = len(members)
        sup = [j for j in of_doc.get(anyone, ()) if j != i and members <= groups[j][1]
               and (len(groups[j][1]) > n or j < i)]
        parent[i] = inner(sup)
    return home, parent


def module_layout(pos: dict, doc_of: dict, groups: list, extent) -> tuple[dict, dict]:
    """Rearrange a layered layout ``pos`` {key: (x, y)} so that every module group is one
    block: a rectangle holding exactly its boxes and its sub-groups' blocks, sibling blocks
    side by side (never overlapping), nested blocks inside their parent. Layers (the rows,
    topological generations) stay; a block spans the rows of its boxes, and the gaps between
    rows grow by the borders and titles of the blocks that start or end there. Within a
    block, boxes and sub-blocks keep their order by the plain layout's x and are pushed right
    only as far as the rows they share need (a skyline per row).

    ``extent(key)`` is a box's bounding rect around its centre as (left, top, right,
    bottom). Returns (positions, {group index: QRectF})."""
    pad, title = ClusterItem.PAD, ClusterItem.TITLE_H
    keys = list(pos)
    ys = sorted({y for _, y in pos.values()})
    row = {y: r for r, y in enumerate(ys)}
    layer = {k: row[pos[k][1]] for k in keys}
    ext = {k: extent(k) for k in keys}
    n_rows = len(ys)
    top = [0.0] * n_rows  # the row's band around its centre line
    bot = [0.0] * n_rows
    for k in keys:
        r = layer[k]
        top[r] = min(top[r], ext[k][1])
        bot[r] = max(bot[r], ext[k][3])

    home, parent = _tree(groups, set(doc_of.values()))
    # the tree of blocks that hold a drawn box; None is the whole graph
    boxes_in: dict = {}
    for k in keys:
        boxes_in.setdefault(home.get(doc_of[k]), []).append(k)
    children: dict = {}
    live = set()
    for gi in [b for b in boxes_in if b is not None]:
        while gi is not None and gi not in live:
            live.add(gi)
            children.setdefault(parent.get(gi), []).append(gi)
            gi = parent.get(gi)

    span: dict = {}  # block -> (first row, last row)
    want: dict = {}  # block -> (sum of x, count) of its boxes in the plain layout
    ext_top: dict = {}  # how far a block reaches above the band of its first row
    ext_bot: dict = {}
    order = []  # blocks, inner first

    def visit(b):
        for c in children.get(b, ()):
            visit(c)
        order.append(b)
    visit(None)
    for b in order:
        rows = [layer[k] for k in boxes_in.get(b, ())]
        sx = sum(pos[k][0] for k in boxes_in.get(b, ()))
        cnt = len(rows)
        for c in children.get(b, ()):
            rows += list(span[c])
            sx += want[c][0]
            cnt += want[c][1]
        span[b] = (min(rows), max(rows))
        want[b] = (sx, cnt)
        if b is not None:
            ext_top[b] = pad + title + max((ext_top[c] for c in children.get(b, ())
                                            if span[c][0] == span[b][0]), default=0.0)
            ext_bot[b] = pad + max((ext_bot[c] for c in children.get(b, ())
                                    if span[c][1] == span[b][1]), default=0.0)

    # rows: the plain layout's spacing, plus what the blocks starting/ending there need
    starts = [0.0] * n_rows
    ends = [0.0] * n_rows
    for b in order:
        if b is not None:
            r0, r1 = span[b]
            starts[r0] = max(starts[r0], ext_top[b])
            ends[r1] = max(ends[r1], ext_bot[b])
    y_of = [ys[0]] * n_rows
    for r in range(1, n_rows):
        y = y_of[r - 1] + (ys[r] - ys[r - 1])
        if starts[r] or ends[r - 1]:
            y = max(y, y_of[r - 1] + bot[r - 1] + ends[r - 1] + CLUSTER_GAP + starts[r]
                    - top[r])
        y_of[r] = y

    # x: inner blocks first, each laid out in its own coordinates (left edge at 0)
    local: dict = {}  # block -> {key: x} of its boxes, relative to the block's left edge
    inner_x: dict = {}  # block -> {child block: left edge}, relative
    width: dict = {}
    for b in order:
        elems = []  # (wanted centre, first row, kind, id)
        for k in boxes_in.get(b, ()):
            elems.append((pos[k][0], layer[k], 0, k))
        for c in children.get(b, ()):
            elems.append((want[c][0] / want[c][1], span[c][0], 1, c))
        elems.sort(key=lambda e: (e[0], e[1]))
        sky: dict = {}  # row -> right edge so far
        xs_box, xs_blk = {}, {}
        lo, hi = math.inf, -math.inf
        for cx, _, kind, e in elems:
            if kind == 0:
                left, right = ext[e][0], ext[e][2]
                rows = (layer[e],)
                w = right - left
                x0 = cx + left
            else:
                w = width[e]
                rows = range(span[e][0], span[e][1] + 1)
                x0 = cx - w / 2
            edge = max((sky[r] for r in rows if r in sky), default=None)
            if edge is not None:
                x0 = max(x0, edge + (H_GAP_BOX if kind == 0 else CLUSTER_GAP + H_GAP_BOX / 2))
            for r in rows:
                sky[r] = x0 + w + (0.0 if kind == 0 else CLUSTER_GAP)
            if kind == 0:
                xs_box[e] = x0 - left  # the centre
            else:
                xs_blk[e] = x0
            lo, hi = min(lo, x0), max(hi, x0 + w)
        if b is None:
            shift = 0.0
        else:
            shift = pad - lo
            width[b] = hi - lo + 2 * pad
        local[b] = {k: x + shift for k, x in xs_box.items()}
        inner_x[b] = {c: x + shift for c, x in xs_blk.items()}

    out: dict = {}
    rects: dict = {}

    def place(b, x0):
        for k, x in local[b].items():
            out[k] = (x0 + x, y_of[layer[k]])
        for c, x in inner_x[b].items():
            r0, r1 = span[c]
            t = y_of[r0] + top[r0] - ext_top[c]
            bt = y_of[r1] + bot[r1] + ext_bot[c]
            rects[c] = QRectF(x0 + x, t, width[c], bt - t)
            place(c, x0 + x)
    place(None, 0.0)
    return out, rects


H_GAP_BOX = 22.0  # backward_graph.H_GAP between two boxes of one row
