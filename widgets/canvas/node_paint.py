"""NodeItem's painting (body, header, ports, text, previews, level-of-detail cut-offs), split
from items.py along its seam: items.py lays the node out once per change, this only draws what
the layout prepared, so a paint stays cheap on 1,000-node graphs."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath
from PySide6.QtWidgets import QStyleOptionGraphicsItem

from . import previews, textcache
from .painting import draw_lock, draw_warning, header_path
from .style import LOD_BOX, LOD_NAME, LOD_TEXT, style

_NO_PEN = Qt.PenStyle.NoPen  # enum lookups cost ~1 µs each in PySide: once per module


def shape_text(shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


class NodePainting:
    """Mixin for NodeItem: everything paint() needs; the state it reads is set by relayout()."""

    _HEADER_PATHS: dict = {}  # (width, height) -> the header's rounded path

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        s = style()
        lod = option.levelOfDetailFromTransform(p.worldTransform())
        rect = self._rect
        selected = self.isSelected()
        r = self.result
        error = r is not None and bool(getattr(r, "error", None))
        stale = r is not None and bool(getattr(r, "stale", None))
        if self.emphasis < 0 and not selected:
            self._paint_dimmed(p, s, lod)
            return
        if r is not None and not error and getattr(r, "blocked_by", None):
            p.setOpacity(0.6)
        if lod < LOD_BOX:  # a coloured box (a fitted 10,000-node graph: keep it short)
            p.setPen(s.selected_pen if selected else (s.error_pen if error else _NO_PEN))
            p.setBrush(s.header_brush(self.category))
            p.drawRect(rect)
            if lod >= LOD_NAME and rect.height() >= s.far_fm.height():
                p.setFont(s.far_font)
                p.setPen(s.text_pen)
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter,
                           textcache.elide(s.far_fm, self.name, rect.width() - 4))
            return
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(s.error_brush if error else s.body_brush)
        p.drawRoundedRect(rect, self.RADIUS, self.RADIUS)
        p.setBrush(s.header_brush(self.category))
        p.drawPath(self._header_path())
        p.setBrush(s.stripe_brush(self.category))
        p.drawRect(QRectF(0, self.HEADER - 2, self.WIDTH, 2))
        if selected:
            pen = s.selected_pen
        elif error or self.anomaly or stale:
            pen = s.error_pen
        elif self.step_mark == "active":
            pen = s.step_active_pen
        elif self.emphasis > 0:
            pen = s.highlight_pen
        elif self.step_mark == "done":
            pen = s.step_done_pen
        else:
            pen = s.border_pen
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(rect, self.RADIUS, self.RADIUS)

        base, mid = s.header_base, (self.HEADER - 2) / 2
        p.setFont(s.title_font)
        p.setPen(s.text_pen)
        p.drawText(QPointF(self.PAD + 2, base), self._name_text)
        p.setFont(s.small_font)
        p.setPen(s.muted_pen)
        p.drawText(QPointF(self._title_x, base), self._title_text)
        bx = self._badge_x
        if self.is_root:
            p.setPen(s.grad_fn_pen)
            p.drawText(QPointF(bx, base), "root")
            bx += textcache.advance(s.small_fm, "root") + 6
        if self._version_text:  # the tensor's _version (in-place ops, issue 14)
            p.setPen(s.error_text_pen if stale else s.grad_fn_pen)
            p.drawText(QPointF(bx, base), self._version_text)
            bx += textcache.advance(s.small_fm, self._version_text) + 6
        if self.frozen:
            draw_lock(p, QPointF(bx + 5, mid), s)
            bx += self.LOCK_W
        if self.anomaly:
            draw_warning(p, QPointF(bx + 5, mid), s)

        if lod < LOD_TEXT:
            self._paint_far(p, s)
        else:
            p.setPen(s.muted_pen)
            for _, _, label, y in self._slots:
                p.drawText(QPointF(self.PAD + 4, y + 4), label)
            for text, pen, font, y, sx in self._lines:
                p.setFont(font)
                p.setPen(pen)
                if sx == 1.0:
                    p.drawText(QPointF(self.PAD, y), text)
                else:
                    p.save()
                    p.translate(self.PAD, y)
                    p.scale(sx, 1.0)
                    p.drawText(QPointF(0, 0), text)
                    p.restore()
            if self._rows:
                self._paint_previews(p, s)
            if self.preview is not None:
                target = QRectF(self.PAD, self._preview_top, self.WIDTH - 2 * self.PAD,
                                self.PREVIEW_H)
                p.drawImage(target, self.preview)

        # ports: filled when connected, a ring when free
        pr = self.PORT_R
        for port, index, _, y in self._slots:
            if (port, index) in self.wires_in:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(s.port_in_brush)
            else:
                p.setPen(s.port_ring_pen)
                p.setBrush(s.port_hole_brush)
            p.drawEllipse(QPointF(0, y), pr, pr)
        out = self.output_port_pos()
        if self.wires_out:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(s.port_out_brush)
        else:
            p.setPen(s.port_out_ring_pen)
            p.setBrush(s.port_hole_brush)
        p.drawEllipse(out, pr, pr)
        hover = self.hover_port
        if hover is not None:  # a ring around the port the cursor would grab
            p.setPen(s.selected_pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            try:
                c = out if hover[0] == "out" else self.input_port_pos(hover[1], hover[2])
            except KeyError:
                return
            p.drawEllipse(c, pr + 3, pr + 3)

    def _paint_dimmed(self, p: QPainter, s, lod: float) -> None:
        """Off the highlighted DAG: a faint silhouette with the name, in colours pre-blended
        toward the canvas (no opacity layer, no ports/lines/previews: cheap on big scenes)."""
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(s.dim_body_brush)
        if lod < LOD_BOX:
            p.drawRect(self._rect)
            return
        p.drawRoundedRect(self._rect, self.RADIUS, self.RADIUS)
        p.setBrush(s.dim_header_brush)
        p.drawPath(self._header_path())
        p.setFont(s.title_font)
        p.setPen(s.dim_text_pen)
        p.drawText(QPointF(self.PAD + 2, s.header_base), self._name_text)
        if lod >= LOD_TEXT:
            p.setFont(s.small_font)
            p.drawText(QPointF(self._title_x, s.header_base), self._title_text)
            for text, _pen, font, y, sx in self._lines[:2]:
                p.setFont(font)
                p.save()
                p.translate(self.PAD, y)
                p.scale(sx, 1.0)
                p.drawText(QPointF(0, 0), text)
                p.restore()

    def _header_path(self) -> QPainterPath:
        key = (self.WIDTH, self.HEADER)
        path = NodePainting._HEADER_PATHS.get(key)
        if path is None:
            path = NodePainting._HEADER_PATHS[key] = header_path(self.WIDTH, self.HEADER,
                                                             self.RADIUS)
        return path

    def _paint_far(self, p: QPainter, s) -> None:
        """Zoomed out: instead of small text nobody can read, the variable name and the shape
        in a large font across the body (level of detail)."""
        body = QRectF(self.PAD, self.HEADER + 2, self.WIDTH - 2 * self.PAD,
                      self._rect.height() - self.HEADER - 4)
        if body.height() < s.lod_fm.height():
            return
        p.setFont(s.lod_font)
        p.setPen(s.text_pen)
        r = self.result
        shape = shape_text(r.shape) if r is not None and getattr(r, "shape", None) is not None \
            else ""
        name = textcache.elide(s.lod_fm, self.name, body.width())  # per paint: memoized
        if shape and body.height() >= 2 * s.lod_fm.height():
            shape = textcache.elide(s.lod_fm, shape, body.width())
            p.drawText(body, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
                       f"{name}\n{shape}")
        else:
            p.drawText(body, Qt.AlignmentFlag.AlignCenter, name)

    def _paint_previews(self, p: QPainter, s) -> None:
        p.setFont(s.small_font)
        for kind, rect in self.preview_rows():
            array = self.value_array() if kind == "value" else self.grad_array()
            cap_y = rect.top() + min(rect.height() / 2 + 4, 12)
            p.setPen(s.muted_pen if kind == "value" else s.grad_caption_pen)
            p.drawText(QPointF(self.PAD, cap_y), "value" if kind == "value" else ".grad")
            if kind == "grad":
                count = self.grad_count()
                if count and rect.height() > self.NUMBER_H:
                    text = f"×{count}"
                    w = s.small_fm.horizontalAdvance(text) + 8
                    pill = QRectF(self.PAD, cap_y + 5, w, s.small_fm.height() + 2)
                    p.setPen(Qt.PenStyle.NoPen)
                    p.setBrush(s.badge_brush)
                    p.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
                    p.setPen(s.badge_text_pen)
                    p.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
                elif count:
                    p.drawText(QPointF(self.PAD + s.small_fm.horizontalAdvance(".grad") + 2,
                                       cap_y), f"×{count}")
            previews.paint(p, rect, array, kind)
