"""Wire items: a document wire (a cubic from an output port to an input slot) and the
temporary wire that follows the cursor while a wire is dragged."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPainterPathStroker
from PySide6.QtWidgets import QGraphicsItem

if TYPE_CHECKING:
    from .items import NodeItem

from . import previews
from .style import LOD_BOX, style

THICK_LOD = 1.25  # above this zoom wires use their real pen width
# below this zoom (a fitted 10,000-node graph) a wire is a straight hairline: a cubic that is
# a few pixels long looks the same, and drawLine costs a fraction of flattening a curve
LINE_LOD = 0.2
_AA = QPainter.RenderHint.Antialiasing
_NO_BRUSH = Qt.BrushStyle.NoBrush
THIN_KEYS = ("wire", "wire_grad")


def wire_path(p0: QPointF, p1: QPointF) -> QPainterPath:
    dx = abs(p1.x() - p0.x())
    c = max(dx * 0.5, 40.0)
    if p1.x() < p0.x():  # a wire running backwards loops out so it stays readable
        c = max(c, min(160.0, abs(p1.y() - p0.y()) * 0.5 + 60.0))
    path = QPainterPath(p0)
    path.cubicTo(QPointF(p0.x() + c, p0.y()), QPointF(p1.x() - c, p1.y()), p1)
    return path


class WireItem(QGraphicsItem):
    """A document wire: a cubic from the source's output port to a destination input slot."""

    def __init__(self, wire, src: NodeItem, dst: NodeItem) -> None:
        super().__init__()
        self.wire = wire
        self.src = src
        self.dst = dst
        self.carries_grad: bool | None = None
        self.emphasis = 0
        self.label: str | None = None  # e.g. the gradient arriving here (step-through)
        self.label_array = None  # a small preview drawn in the label's pill
        self.stepped = False  # step-through: gradient has travelled along this wire
        self._label_rect = QRectF()
        self._path = QPainterPath()
        self._ends = (QPointF(), QPointF())
        self._shape: QPainterPath | None = None
        self._bounds = QRectF()
        # (source point, destination point) callables, or None: a collapsed module group
        # (groups.py) stands in for an end
        self.reroute = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(1)
        self.update_path()

    def update_path(self) -> None:
        ends = self.reroute or (None, None)
        try:
            p1 = ends[1]() if ends[1] else self.dst.input_port_scene_pos(self.wire.port,
                                                                          self.wire.index)
        except KeyError:
            p1 = self.dst.pos()
        p0 = ends[0]() if ends[0] else self.src.output_port_scene_pos()
        path = wire_path(p0, p1)
        self.prepareGeometryChange()
        self._ends = (p0, p1)
        self._path = path
        self._shape = None
        self._bounds = path.controlPointRect().adjusted(-3, -3, 3, 3)
        if self.label:
            fm = style().small_fm
            mid = path.pointAtPercent(0.5)
            w, h = fm.horizontalAdvance(self.label) + 10, fm.height() + 4
            if self.label_array is not None and not previews.is_number(self.label_array):
                w += self.LABEL_PREVIEW_W + 4
                h = max(h, self.LABEL_PREVIEW_H + 4)
            self._label_rect = QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)
            self._bounds = self._bounds.united(self._label_rect.adjusted(-2, -2, 2, 2))

    LABEL_PREVIEW_W = 40.0
    LABEL_PREVIEW_H = 14.0

    def set_label(self, text: str | None, array=None) -> None:
        """A short text in a pill at the wire's middle, with a small diverging preview of
        `array` (the gradient arriving along the wire) when given; None removes it."""
        if text != self.label or array is not self.label_array:
            self.label = text or None
            self.label_array = array if self.label else None
            self.setZValue(3 if self.label else 1)  # a label reads above the nodes
            self.update_path()
            self.update()

    def set_stepped(self, value: bool) -> None:
        if value != self.stepped:
            self.stepped = value
            self.update()

    def path(self) -> QPainterPath:
        return self._path

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(10)
            self._shape = stroker.createStroke(self._path)
        return self._shape

    def set_carries_grad(self, value: bool | None) -> None:
        if value != self.carries_grad:
            self.carries_grad = value
            self.update()

    def set_emphasis(self, emphasis: int) -> None:
        if emphasis != self.emphasis:
            self.emphasis = emphasis
            self.update()

    def paint(self, p: QPainter, option, widget=None) -> None:
        s = style()
        lod = option.levelOfDetailFromTransform(p.worldTransform())
        if lod < LINE_LOD and self.emphasis >= 0 and not self.label:  # the fitted-graph path
            key = "accent" if self.isSelected() else ("step_active" if self.stepped else (
                "highlight" if self.emphasis > 0 else (
                    "wire" if self.carries_grad is None else (
                        "wire_grad" if self.carries_grad else "wire_nograd"))))
            p.setRenderHint(_AA, False)
            p.setPen(s.wire_lod_pens[key])
            p.drawLine(*self._ends)
            return
        low = lod < LOD_BOX
        if self.isSelected():
            key, pen = "accent", s.wire_selected_pen
        elif self.stepped:
            key, pen = "step_active", s.wire_step_pen
        elif self.emphasis > 0:
            key, pen = "highlight", s.wire_highlight_pen
        elif self.carries_grad is None:
            key, pen = "wire", s.wire_pen
        elif self.carries_grad:
            key, pen = "wire_grad", s.wire_grad_pen
        else:
            key, pen = "wire_nograd", s.wire_nograd_pen
        p.setBrush(Qt.BrushStyle.NoBrush)
        if self.emphasis < 0 and key not in ("accent", "step_active"):
            # off the highlighted DAG: one hairline pre-blended toward the canvas (no
            # opacity layer), so a dimmed 1,000-node scene paints as fast as a plain one
            if low:
                p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            p.setPen(s.wire_dim_pen)
            p.drawPath(self._path)
        elif low:  # hairlines without antialiasing: the cheapest stroke there is
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            p.setPen(s.wire_lod_pens[key])
            p.drawPath(self._path)
        elif key in THIN_KEYS and 0.5 < lod <= THICK_LOD:
            # An antialiased 2 px stroke costs ~10x a 1 px one (Qt's cosmetic fast path):
            # three 1 px strokes offset by 1 px look the same at a third of the cost.
            p.setPen(s.wire_lod_pens[key])
            d = 1.0 / lod
            path = self._path
            p.drawPath(path)
            p.translate(d, 0)
            p.drawPath(path)
            p.translate(-d, d)
            p.drawPath(path)
            p.translate(0, -d)
        else:
            p.setPen(pen)
            p.drawPath(self._path)
        if self.label and not low:
            p.setOpacity(1.0)
            p.setPen(s.label_pen)
            p.setBrush(s.body_brush)
            rect = self._label_rect
            p.drawRoundedRect(rect, 4, 4)
            p.setFont(s.small_font)
            p.setPen(s.text_pen)
            text_rect = rect
            if self.label_array is not None and not previews.is_number(self.label_array):
                img = QRectF(rect.left() + 4, rect.center().y() - self.LABEL_PREVIEW_H / 2,
                             self.LABEL_PREVIEW_W, self.LABEL_PREVIEW_H)
                previews.paint(p, img, self.label_array, "grad")
                text_rect = rect.adjusted(self.LABEL_PREVIEW_W + 4, 0, 0, 0)
            p.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, self.label)


class TempWireItem(QGraphicsItem):
    """The wire being dragged: from a fixed port to the cursor."""

    def __init__(self, anchor: QPointF, from_output: bool) -> None:
        super().__init__()
        self.anchor = anchor
        self.from_output = from_output
        self.refused = False
        self._path = QPainterPath()
        self._bounds = QRectF()
        self.setZValue(10)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.set_end(anchor)

    def set_end(self, end: QPointF, refused: bool = False) -> None:
        path = wire_path(self.anchor, end) if self.from_output else wire_path(end, self.anchor)
        self.prepareGeometryChange()
        self._path = path
        self.refused = refused
        self._bounds = path.controlPointRect().adjusted(-3, -3, 3, 3)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def paint(self, p: QPainter, option, widget=None) -> None:
        s = style()
        p.setPen(s.wire_refused_pen if self.refused else s.wire_temp_pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(self._path)
