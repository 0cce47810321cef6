"""The boxes and arrows of the backward-graph view (widgets/backward_view.py).

Painted as Qt's "40000 chips" example paints: below `LOD_TEXT` scale a box is a plain rect
and an arrow a line; no shadows, no proxy widgets. A box whose successors are hidden by the
view's level-of-detail cut shows "+N" under it (double-click expands it).
"""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
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
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from . import theme
from .backward_graph import fn_name

# torchviz's fills: lightblue leaves, darkolivegreen1 outputs
LEAF_FILL = "#add8e6"
ROOT_FILL = "#caff70"
ON_LIGHT_TEXT = "#1b1d22"
LOD_TEXT = 0.4  # below this scale boxes are drawn without text (the 40000 chips idea)
_SELECTED_CHANGED = QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged


def tooltip(fn, owner_name: str | None, saved=None) -> str:
    """``saved``: what fn saved (saved_tensors.SavedSummary, sources named), else summarized
    here without sources."""
    edges = ", ".join(f"({fn_name(n) if n is not None else 'None'}, {nr})"
                      for n, nr in fn.next_functions)
    where = f" — {owner_name}" if owner_name is not None else ""
    comma = "," if len(fn.next_functions) == 1 else ""  # a 1-tuple prints as (x,)
    from engine.document.saved_tensors import summarize  # what it saved (issue 14)
    saved = saved if saved is not None else summarize(fn)
    text = f"{fn_name(fn)}{where}\nnext_functions: ({edges}{comma})"
    if saved.entries:
        head, *rest = saved.lines()
        text += f"\nsaved for backward — {head.split(': ', 1)[1]}:\n" + "\n".join(rest)
    return text


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
                 fn=None, tensor=None, key=None) -> None:
        super().__init__()
        self.kind, self.doc_id, self.key = kind, doc_id, key
        self.fn, self.tensor = fn, tensor
        self.fonts = fonts
        self.owner_name: str | None = None  # for the tooltip, built when hovered
        self.step_state = 0  # 0 idle, 1 already run, 2 running now
        self.hidden = 0  # successors the level-of-detail cut does not show
        self.in_edges: list[BackwardEdge] = []
        self.out_edges: list[BackwardEdge] = []
        self._measure(title, subtitle)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(1)

    def _measure(self, title: str, subtitle: str) -> None:
        self.title, self.subtitle = title, subtitle
        f = self.fonts
        w = f.title_fm.horizontalAdvance(title)
        if subtitle:
            w = max(w, f.small_fm.horizontalAdvance(subtitle))
        h = f.title_fm.height() + (f.small_fm.height() if subtitle else 0)
        self.w, self.h = math.ceil(w + 2 * self.PAD_X), math.ceil(h + 2 * self.PAD_Y)

    def set_labels(self, title: str, subtitle: str) -> None:
        """New texts (a renamed variable): the box resizes."""
        self.prepareGeometryChange()
        self._measure(title, subtitle)
        self.update()

    def set_hidden(self, n: int) -> None:
        if n != self.hidden:
            self.prepareGeometryChange()
            self.hidden = n
            self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        extra = 14 if self.hidden else 0  # the "+N" badge under the box
        return QRectF(-self.w / 2 - 3, -self.h / 2 - 3, self.w + 14, self.h + 6 + extra)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802
        # built when needed: every forward records new grad_fns, and most are never hovered
        if self.fn is not None:
            # the app may name each saved tensor's source node (scene.saved_provider)
            provider = getattr(self.scene(), "saved_provider", None)
            saved = provider(self.fn) if provider is not None else None
            self.setToolTip(tooltip(self.fn, self.owner_name, saved))
        super().hoverEnterEvent(event)

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
        if self.hidden:
            p.setFont(f.small)
            p.setPen(c("text_muted"))
            p.drawText(QRectF(-self.w / 2, self.h / 2 + 1, self.w, 13),
                       Qt.AlignmentFlag.AlignCenter, f"+{self.hidden} more")
        if self.step_state == 1:  # run already: a small check mark beside the box
            p.setPen(QPen(c("highlight"), 1.6))
            r = self.box()
            x0, y0 = r.right() + 3, r.top() + 2
            p.drawPolyline(QPolygonF([QPointF(x0, y0 + 2.5), QPointF(x0 + 2, y0 + 4.5),
                                      QPointF(x0 + 5.5, y0)]))


class BackwardEdge(QGraphicsPathItem):
    """An arrow from `src` (bottom) to `dst` (top); `offset` separates parallel edges
    (mul(x, x) has two next_functions to one AccumulateGrad)."""

    def __init__(self, src: BackwardItem, dst: BackwardItem, offset: float = 0.0,
                 key=None) -> None:
        super().__init__()
        self.src, self.dst, self.offset, self.key = src, dst, offset, key
        src.out_edges.append(self)
        dst.in_edges.append(self)
        self.setZValue(0)
        self.refresh_pen()
        self.update_path()

    def detach(self) -> None:
        """Forget the endpoints (the arrow is going away)."""
        for lst in (self.src.out_edges, self.dst.in_edges):
            if self in lst:
                lst.remove(self)

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


