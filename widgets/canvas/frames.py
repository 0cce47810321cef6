"""Frame items: a no_grad frame around its member nodes, and the short message bubble."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath
from PySide6.QtWidgets import QGraphicsItem

from .style import LOD_BOX, style


class RegionItem(QGraphicsItem):
    """A no_grad frame drawn around its member nodes (or at its stored rect).

    Its bottom-right corner is a resize grip (dragged by interactions.FrameResize); everything
    else lets clicks through to the nodes and the rubber band."""

    MARGIN = 18.0
    TITLE_H = 20.0
    HANDLE = 14.0
    MIN_W, MIN_H = 80.0, 60.0

    def __init__(self, region_id: str) -> None:
        super().__init__()
        self.region_id = region_id
        self.title = ""
        self.members: set[str] = set()
        self.fixed_rect: QRectF | None = None
        self.frozen = False  # True while nodes are dragged: the frame stays put
        self.emphasis = 0
        self._rect = QRectF()
        self.resizing = False  # True while the FrameResize interaction drags the grip
        self.setZValue(-1)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setAcceptHoverEvents(True)

    def sync(self, region, node_items: dict) -> None:
        self.title = f"with torch.{region.kind}():" if getattr(region, "kind", "") else \
            region.title
        if region.title and region.title != getattr(region, "kind", None):
            self.title = f"{self.title}  {region.title}"
        self.members = set(region.members)
        rect = getattr(region, "rect", None)
        self.fixed_rect = QRectF(*rect) if rect else None
        self.refit(node_items, force=True)

    def fitted_rect(self, node_items: dict) -> QRectF:
        """The frame around the members (what an auto-sized frame shows)."""
        rect = QRectF()
        for nid in self.members:
            item = node_items.get(nid)
            if item is not None:
                rect = rect.united(item.body_rect().translated(item.pos()))
        if rect.isNull():
            rect = QRectF(0, 0, 1, 1)
        return rect.adjusted(-self.MARGIN, -self.MARGIN - self.TITLE_H, self.MARGIN,
                             self.MARGIN)

    def refit(self, node_items: dict, force: bool = False) -> None:
        if (self.frozen or self.resizing) and not force:
            return
        rect = QRectF(self.fixed_rect) if self.fixed_rect is not None else \
            self.fitted_rect(node_items)
        self.set_rect(rect)

    def set_rect(self, rect: QRectF) -> None:
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
            self.update()

    def rect(self) -> QRectF:
        return self._rect

    def handle_rect(self) -> QRectF:
        r, h = self._rect, self.HANDLE
        return QRectF(r.right() - h, r.bottom() - h, h, h)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect.adjusted(-2, -2, 2, 2)

    def shape(self) -> QPainterPath:
        # only the handle takes the mouse: the frame's inside belongs to the nodes
        path = QPainterPath()
        path.addRect(self.handle_rect().adjusted(-3, -3, 2, 2))
        return path

    def set_emphasis(self, emphasis: int) -> None:
        if emphasis != self.emphasis:
            self.emphasis = emphasis
            self.update()

    def hoverEnterEvent(self, event) -> None:  # noqa: N802
        self.setCursor(Qt.CursorShape.SizeFDiagCursor)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802
        self.unsetCursor()

    def grip_contains(self, local: QPointF) -> bool:
        return self.handle_rect().adjusted(-3, -3, 2, 2).contains(local)

    def paint(self, p: QPainter, option, widget=None) -> None:
        s = style()
        if self.emphasis < 0:
            p.setOpacity(0.45)
        p.setPen(s.region_pen)
        p.setBrush(s.region_brush)
        p.drawRoundedRect(self._rect, 10, 10)
        if option.levelOfDetailFromTransform(p.worldTransform()) >= LOD_BOX:
            p.setFont(s.small_font)
            p.setPen(s.region_title_pen)
            p.drawText(QPointF(self._rect.left() + 10, self._rect.top() + 14), self.title)
            hr = self.handle_rect()  # the grip: three short diagonals in the corner
            p.setPen(s.region_handle_pen)
            for k in (4.0, 8.0, 12.0):
                p.drawLine(QPointF(hr.right() - k, hr.bottom() - 2),
                           QPointF(hr.right() - 2, hr.bottom() - k))


class BubbleItem(QGraphicsItem):
    """A short message near the cursor (why a wire was refused); readable at any zoom."""

    def __init__(self, text: str) -> None:
        super().__init__()
        s = style()
        self.text = text
        w = s.small_fm.horizontalAdvance(text) + 16
        self._rect = QRectF(8, 8, w, s.small_fm.height() + 10)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(20)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, p: QPainter, option, widget=None) -> None:
        s = style()
        p.setPen(s.bubble_pen)
        p.setBrush(s.bubble_brush)
        p.drawRoundedRect(self._rect, 4, 4)
        p.setFont(s.small_font)
        p.setPen(s.error_text_pen)
        p.drawText(self._rect.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter, self.text)
