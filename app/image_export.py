"""Pictures out (issue 9 item 9): the canvas or the backward graph as PNG (at a chosen scale)
or SVG (QSvgGenerator, vector: text stays text), the whole graph or the selection.

Both the window (File > Export Image...) and the headless ``gradcanvas export FILE --to
png|svg`` (app/cli_image.py) render through ``render``: the scene's items in ``rect`` on the
theme's canvas colour, without the view's grid, selection rings or hover marks.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QGraphicsScene

FORMATS = ("png", "svg")
MARGIN = 24.0
MAX_PIXELS = 16384  # per side: QImage/QPainter limits (and memory) beyond this


class ImageExportError(Exception):
    """Nothing to draw, an unknown format, a picture too large, or a file not written."""


def format_of(path, fmt: str | None = None) -> str:
    fmt = (fmt or Path(str(path)).suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ImageExportError(f"cannot export an image as {fmt or 'a file without suffix'!r}: "
                               f"choose {' or '.join(FORMATS)}")
    return fmt


def content_rect(scene: QGraphicsScene, items=None) -> QRectF:
    """The bounding rect of ``items`` (default: every item) plus a margin; empty if none."""
    rect = QRectF()
    for item in (scene.items() if items is None else items):
        if item.isVisible():
            rect = rect.united(item.sceneBoundingRect())
    if rect.isEmpty():
        return rect
    return rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


@contextmanager
def _clean(scene: QGraphicsScene, keep=None):
    """No selection rings, no hover marks; with ``keep``, only those items visible."""
    selected = list(scene.selectedItems())
    hidden = []
    hover = getattr(scene, "_set_hover", None)
    try:
        if hover is not None:
            hover(None, None)
        for item in selected:
            item.setSelected(False)
        if keep is not None:
            keep = set(keep)
            for item in scene.items():
                if item.parentItem() is None and item not in keep and item.isVisible():
                    item.setVisible(False)
                    hidden.append(item)
        yield
    finally:
        for item in hidden:
            item.setVisible(True)
        blocked = scene.blockSignals(True)  # restoring is not a new selection
        try:
            for item in selected:
                item.setSelected(True)
        finally:
            scene.blockSignals(blocked)


def _background(scene) -> QColor:
    """The scene's own background, else (a view paints it, e.g. the backward graph) the
    theme's canvas colour."""
    brush = scene.backgroundBrush()
    if brush.style() != Qt.BrushStyle.NoBrush:
        return brush.color()
    from widgets import theme
    return theme.color("canvas")


def _paint(scene, painter: QPainter, rect: QRectF, target: QRectF, background: QColor) -> None:
    painter.setRenderHints(QPainter.RenderHint.Antialiasing
                           | QPainter.RenderHint.TextAntialiasing
                           | QPainter.RenderHint.SmoothPixmapTransform)
    painter.fillRect(target, background)
    scene.render(painter, target, rect, Qt.AspectRatioMode.IgnoreAspectRatio)


def render(scene: QGraphicsScene, path, *, fmt: str | None = None, scale: float = 2.0,
           items=None, background: QColor | None = None, title: str = "") -> QSize:
    """Write ``scene`` (only ``items`` when given, e.g. the selection and the wires between
    it) to ``path`` as PNG or SVG. Returns the picture's size in pixels (SVG: its view box).
    Raises ImageExportError."""
    fmt = format_of(path, fmt)
    if not (scale > 0) or scale > 16:
        raise ImageExportError(f"scale must be between 0 and 16, not {scale:g}")
    keep = None if items is None else list(items)
    with _clean(scene, keep):
        rect = content_rect(scene, keep)
        if rect.isEmpty():
            raise ImageExportError("nothing to export: the graph is empty"
                                   if keep is None else "nothing to export: nothing selected")
        bg = background if background is not None else _background(scene)
        if fmt == "png":
            w, h = round(rect.width() * scale), round(rect.height() * scale)
            if max(w, h) > MAX_PIXELS:
                raise ImageExportError(
                    f"the picture would be {w}x{h} pixels (at most {MAX_PIXELS} per side): "
                    f"choose a smaller scale")
            image = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
            image.fill(bg)
            p = QPainter(image)
            try:
                _paint(scene, p, rect, QRectF(0, 0, w, h), bg)
            finally:
                p.end()
            if not image.save(str(path), "PNG"):
                raise ImageExportError(f"cannot write {path}")
            return QSize(w, h)
        from PySide6.QtSvg import QSvgGenerator
        w, h = round(rect.width()), round(rect.height())
        gen = QSvgGenerator()
        gen.setFileName(str(path))
        gen.setSize(QSize(w, h))
        gen.setViewBox(QRectF(0, 0, w, h))
        gen.setTitle(title or "GradCanvas graph")
        gen.setDescription("Exported by GradCanvas")
        p = QPainter()
        if not p.begin(gen):
            raise ImageExportError(f"cannot write {path}")
        try:
            _paint(scene, p, rect, QRectF(0, 0, w, h), bg)
        finally:
            p.end()
        if not Path(str(path)).is_file():
            raise ImageExportError(f"cannot write {path}")
        return QSizeF(w, h).toSize()


def selection_items(scene) -> list:
    """The selected nodes and the wires between them (GraphScene), else the selected items."""
    nodes = getattr(scene, "selected_node_ids", None)
    if nodes is None:
        return list(scene.selectedItems())
    ids = set(nodes())
    out = [scene.node_item(n) for n in ids]
    for wire in scene.wire_items():
        src = getattr(wire, "src", None)
        dst = getattr(wire, "dst", None)
        s_id = getattr(src, "node_id", src)
        d_id = getattr(dst, "node_id", dst)
        if s_id in ids and d_id in ids:
            out.append(wire)
    return [i for i in out if i is not None]


__all__ = ["FORMATS", "ImageExportError", "content_rect", "format_of", "render",
           "selection_items"]
