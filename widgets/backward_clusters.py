"""Module clusters in the backward-graph view: a labelled box per module group around the
boxes (grad_fns, AccumulateGrad, leaves) that its member nodes recorded -- the same grouping
as on the canvas (widgets/canvas/groups.py), torchviz-style clusters.

The view calls ``refresh()`` after it placed its boxes; the app gives the groups with
``set_groups([(title, member node ids), ...])`` (outer modules first). Nested modules nest:
an outer cluster is drawn with a larger margin than the clusters inside it."""
from __future__ import annotations

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
    """The clusters of one BackwardView (``view._by_doc``: doc node id -> its box items)."""

    def __init__(self, view) -> None:
        self.view = view
        self.groups: list[tuple[str, frozenset]] = []
        self.items: dict[int, ClusterItem] = {}  # index in groups -> item

    def set_groups(self, groups) -> None:
        groups = [(str(t), frozenset(m)) for t, m in groups]
        if groups != self.groups:
            self.groups = groups
            self.refresh()

    def _depths(self) -> list[int]:
        """How many groups sit inside each group (the margin grows with it)."""
        out = []
        for i, (_, m) in enumerate(self.groups):
            inner = [j for j, (_, o) in enumerate(self.groups) if j != i and o < m]
            out.append(1 + max((self._height(j) for j in inner), default=-1))
        return out

    def _height(self, i: int) -> int:
        m = self.groups[i][1]
        inner = [j for j, (_, o) in enumerate(self.groups) if j != i and o < m]
        return 1 + max((self._height(j) for j in inner), default=-1)

    def refresh(self) -> None:
        scene = self.view.scene()
        by_doc = getattr(self.view, "_by_doc", {}) or {}
        heights = self._depths() if len(self.groups) < 200 else [0] * len(self.groups)
        keep = set()
        for i, (title, members) in enumerate(self.groups):
            rect = QRectF()
            for nid in members:
                for it in by_doc.get(nid, ()):
                    rect = rect.united(it.boundingRect().translated(it.pos()))
            if rect.isNull():
                continue
            pad = ClusterItem.PAD * (1 + heights[i])
            rect = rect.adjusted(-pad, -pad - ClusterItem.TITLE_H * (1 + heights[i]), pad, pad)
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
