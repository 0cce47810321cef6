"""Pens, brushes, fonts and metrics for the canvas items, built once per theme.

Painting 1,000 nodes per frame must not allocate QPen/QFont objects, so every item reads the
shared `style()` object; `rebuild()` swaps it when the theme changes.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPen

from .. import theme

# Below this zoom a node is a plain colored box; below LOD_TEXT small text is skipped.
LOD_BOX = 0.35
LOD_TEXT = 0.6
LOD_NAME = 0.15  # below this even the name is skipped

def _pen(color: QColor, width: float, style=Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setCosmetic(False)
    return pen


def _widget_font() -> QFont:
    """The font the menus and panels really use: the application font as the theme's style
    sheet sets it (a polished probe widget), else the application font."""
    from PySide6.QtWidgets import QApplication, QMenuBar
    if not isinstance(QApplication.instance(), QApplication):
        return QFont()
    probe = QMenuBar()
    probe.ensurePolished()
    font = QFont(probe.font())
    probe.deleteLater()
    return font


def _blend(a: QColor, b: QColor, t: float) -> QColor:
    def mix(x: int, y: int) -> int:
        return round(x * (1 - t) + y * t)
    return QColor(mix(a.red(), b.red()), mix(a.green(), b.green()), mix(a.blue(), b.blue()))


class Style:
    def __init__(self) -> None:
        c = theme.color
        self.dark = theme.current_name() == "dark"
        # node text at 100% zoom as legible as the menus: the application font's size, not
        # hard-coded pixels (so it follows the desktop's font setting and DPI)
        base = _widget_font()
        size = base.pointSizeF() if base.pointSizeF() > 0 else 9.0
        self.title_font = QFont(base)
        self.title_font.setPointSizeF(size)
        self.title_font.setBold(True)
        self.small_font = QFont(base)
        self.small_font.setPointSizeF(size)
        self.mono_font = QFont("DejaVu Sans Mono")
        self.mono_font.setStyleHint(QFont.StyleHint.Monospace)
        self.mono_font.setPointSizeF(size * 0.95)
        self.title_fm = QFontMetricsF(self.title_font)
        self.small_fm = QFontMetricsF(self.small_font)
        self.mono_fm = QFontMetricsF(self.mono_font)
        # zoomed out (level of detail): the name and shape in a font this many times larger
        self.lod_font = QFont(base)
        self.lod_font.setBold(True)
        self.lod_font.setPointSizeF(size * 2.2)
        self.lod_fm = QFontMetricsF(self.lod_font)
        self.far_font = QFont(self.lod_font)  # below LOD_BOX: the name alone, larger still
        self.far_font.setPointSizeF(size * 4.5)
        self.far_fm = QFontMetricsF(self.far_font)
        # row heights from the fonts (never below the old fixed layout)
        self.header_h = max(26.0, round(self.title_fm.height() + 10))
        self.row_h = max(18.0, round(self.small_fm.height() + 4))
        self.line_h = max(15.0, round(max(self.mono_fm.height(), self.small_fm.height()) + 1))
        self.header_base = (self.header_h - 2 + self.title_fm.ascent()
                            - self.title_fm.descent()) / 2

        self.body_brush = QBrush(c("node_body"))
        self.header_color = c("node_header")
        self.border_pen = _pen(c("node_border"), 1.0)
        self.selected_pen = _pen(c("accent"), 2.0)
        self.error_pen = _pen(c("error"), 2.0)
        self.highlight_pen = _pen(c("highlight"), 2.0)
        self.error_brush = QBrush(c("error_bg"))
        self.text_pen = QPen(c("node_text"))
        self.muted_pen = QPen(c("text_muted"))
        self.error_text_pen = QPen(c("error"))
        self.blocked_pen = QPen(c("blocked"))
        self.grad_fn_pen = QPen(c("grad_fn"))
        self.leaf_pen = QPen(c("leaf"))
        self.port_in_brush = QBrush(c("port_in"))
        self.port_out_brush = QBrush(c("port_out"))
        self.port_ring_pen = _pen(c("port_in"), 1.5)
        self.port_out_ring_pen = _pen(c("port_out"), 1.5)
        self.port_hole_brush = QBrush(c("node_body"))
        self.separator_pen = _pen(c("node_border"), 1.0)

        self.wire_pen = _pen(c("wire"), 2.0)
        self.wire_grad_pen = _pen(c("wire_grad"), 2.0)
        self.wire_nograd_pen = _pen(c("wire_nograd"), 1.6, Qt.PenStyle.DashLine)
        self.wire_selected_pen = _pen(c("accent"), 3.0)
        self.wire_highlight_pen = _pen(c("highlight"), 3.0)
        self.wire_temp_pen = _pen(c("wire_temp"), 2.0, Qt.PenStyle.DashLine)
        self.wire_refused_pen = _pen(c("refused"), 2.0, Qt.PenStyle.DashLine)

        # hairline (cosmetic) wires take the rasterizer's fast path (zoomed out, and the
        # three-stroke 2 px look near 1:1)
        self.wire_lod_pens = {}
        for key in ("wire", "wire_grad", "wire_nograd", "accent", "highlight", "step_active"):
            self.wire_lod_pens[key] = _pen(c(key), 0)
        # issue 5: previews, locks, anomalies, step-through
        self.grad_caption_pen = QPen(c("wire_grad"))
        self.badge_brush = QBrush(c("wire_grad"))
        self.badge_text_pen = QPen(c("node_body"))
        self.lock_pen = _pen(c("lock"), 1.4)
        self.lock_brush = QBrush(c("lock"))
        self.anomaly_brush = QBrush(c("error"))
        self.anomaly_text_pen = _pen(c("node_body"), 1.6)
        self.step_active_pen = _pen(c("step_active"), 3.0)
        self.step_done_pen = _pen(c("leaf"), 1.5)
        self.wire_step_pen = _pen(c("step_active"), 3.0)
        self.label_pen = _pen(c("wire_grad"), 1.0)
        self.region_handle_pen = _pen(c("region_border"), 1.5)
        self.wire_dim_pen = _pen(_blend(c("wire"), c("canvas"), 0.7), 0)
        canvas = c("canvas")
        self.dim_body_brush = QBrush(_blend(c("node_body"), canvas, 0.6))
        self.dim_header_brush = QBrush(_blend(c("node_header"), canvas, 0.55))
        self.dim_text_pen = QPen(_blend(c("text_muted"), canvas, 0.55))
        self.region_brush = QBrush(c("region_fill"))
        self.region_pen = _pen(c("region_border"), 1.5, Qt.PenStyle.DashLine)
        self.region_title_pen = QPen(c("accent"))
        self.canvas = c("canvas")
        self.grid_minor = _pen(c("grid_minor"), 0)  # 0 = cosmetic hairline
        self.grid_major = _pen(c("grid_major"), 0)
        self.bubble_brush = QBrush(c("error_bg"))
        self.bubble_pen = _pen(c("refused"), 1.0)
        self.rubber_pen = _pen(c("accent"), 1.0)
        self.rubber_pen.setCosmetic(True)
        band = QColor(c("accent"))
        band.setAlpha(40)
        self.rubber_brush = QBrush(band)
        self._headers: dict[str, QBrush] = {}
        self._stripes: dict[str, QBrush] = {}

    def header_brush(self, category: str) -> QBrush:
        """Header tinted toward the category hue (cached per category)."""
        brush = self._headers.get(category)
        if brush is None:
            tint = 0.22 if self.dark else 0.16
            hue = theme.category_color(category, readable=False)
            brush = QBrush(_blend(self.header_color, hue, tint))
            self._headers[category] = brush
        return brush

    def stripe_brush(self, category: str) -> QBrush:
        brush = self._stripes.get(category)
        if brush is None:
            brush = QBrush(theme.category_color(category))
            self._stripes[category] = brush
        return brush


_current: list[Style] = []


def style() -> Style:
    if not _current:
        _current.append(Style())
    return _current[0]


def rebuild() -> Style:
    _current[:] = [Style()]
    return _current[0]
