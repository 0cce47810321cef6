"""Small drawings shared by the canvas items: the node header shape, the padlock of a frozen
parameter, the warning triangle of a NaN/Inf anomaly, and word wrapping for their text."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath


def header_path(width: float, height: float, r: float) -> QPainterPath:
    path = QPainterPath()
    path.moveTo(0, height)
    path.lineTo(0, r)
    path.arcTo(0, 0, 2 * r, 2 * r, 180, -90)
    path.lineTo(width - r, 0)
    path.arcTo(width - 2 * r, 0, 2 * r, 2 * r, 90, -90)
    path.lineTo(width, height)
    path.closeSubpath()
    return path


def draw_lock(p: QPainter, c: QPointF, s) -> None:
    """A small padlock centred at `c`: frozen leaf."""
    p.setPen(s.lock_pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawArc(QRectF(c.x() - 3, c.y() - 6.5, 6, 7), 0, 180 * 16)
    p.drawLine(QPointF(c.x() - 3, c.y() - 3), QPointF(c.x() - 3, c.y() - 1))
    p.drawLine(QPointF(c.x() + 3, c.y() - 3), QPointF(c.x() + 3, c.y() - 1))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(s.lock_brush)
    p.drawRoundedRect(QRectF(c.x() - 4.5, c.y() - 1.5, 9, 7), 1.5, 1.5)


def draw_warning(p: QPainter, c: QPointF, s) -> None:
    """A red triangle with '!' centred at `c`: NaN/Inf anomaly."""
    path = QPainterPath(QPointF(c.x(), c.y() - 6))
    path.lineTo(c.x() + 6, c.y() + 5)
    path.lineTo(c.x() - 6, c.y() + 5)
    path.closeSubpath()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(s.anomaly_brush)
    p.drawPath(path)
    p.setPen(s.anomaly_text_pen)
    p.drawLine(QPointF(c.x(), c.y() - 2), QPointF(c.x(), c.y() + 1.5))
    p.drawPoint(QPointF(c.x(), c.y() + 3.5))


def wrap(text: str, fm, width: float, max_lines: int) -> list[str]:
    words = text.replace("\n", " ").split(" ")
    lines, cur = [], ""
    for w in words:
        trial = f"{cur} {w}" if cur else w
        if fm.horizontalAdvance(trial) <= width or not cur:
            cur = trial
        else:
            lines.append(cur)
            cur = w
    if cur:
        lines.append(cur)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1] + " …"
    return lines
