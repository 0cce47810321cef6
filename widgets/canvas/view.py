"""GraphView: zoom around the cursor, pan (middle button or space+drag), fit, grid, drops."""
from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QCursor, QFont, QKeyEvent, QPainter
from PySide6.QtWidgets import QApplication, QFrame, QGraphicsView

from .groups import GroupItem
from .interactions import Pan
from .items import NodeItem
from .style import style

OP_MIME = "application/x-gradcanvas-op"
GRID = 20.0
MIN_SCALE, MAX_SCALE = 0.08, 3.0
# opening a file fits the graph, but never below this zoom (node text stays readable); a
# graph too big for that shows its start (top left) instead
READABLE_SCALE = 0.85


class GraphView(QGraphicsView):
    tabPressed = Signal(QPointF)  # noqa: N815  scene position of the cursor
    opDropped = Signal(str, QPointF)  # noqa: N815  op key dropped from the palette, scene pos
    zoomChanged = Signal(float)  # noqa: N815

    def __init__(self, scene=None, parent=None) -> None:
        super().__init__(parent)
        if scene is not None:
            self.setScene(scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
        # items set the pen/brush/font they use; the scene sets transform and opacity per item
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self._pan: Pan | None = None
        self._space = False
        self._scroll_rest = (0.0, 0.0)
        # after a whole-graph fit, resizes refit until the user zooms or pans: the first fit
        # often runs before the window's layout has given the view its final size
        self._auto_fit = False
        self._empty = None  # whether the hint for an empty canvas is drawn
        if scene is not None:
            scene.changed.connect(self._check_empty)

    EMPTY_HINT = ("Tab or double-click to add a node  ·  drag from a port to wire  ·  "
                  "File > Examples")

    def is_empty(self) -> bool:
        scene = self.scene()
        doc = getattr(scene, "document", None)
        return doc is not None and not doc.nodes

    def _check_empty(self, *_):
        empty = self.is_empty()
        if empty != self._empty:  # the hint appears or goes: repaint all of it
            self._empty = empty
            self.viewport().update()

    # ------------------------------------------------------------------ zoom / pan
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor=None) -> None:
        """Scale by `factor`, keeping the scene point under viewport point `anchor` fixed."""
        self._auto_fit = False
        cur = self.zoom()
        factor = max(MIN_SCALE / cur, min(MAX_SCALE / cur, factor))
        if abs(factor - 1.0) < 1e-9:
            return
        if anchor is None:
            anchor = QPointF(self.viewport().rect().center())
        anchor = QPointF(anchor)
        before = self.mapToScene(anchor.toPoint())
        self.scale(factor, factor)
        self._ensure_scroll_room()
        after = self.mapFromScene(before)
        delta = QPointF(after) - anchor
        self._scroll_by(delta.x(), delta.y())
        self.zoomChanged.emit(self.zoom())

    def _ensure_scroll_room(self) -> None:
        """Grow the scene rect so the view can scroll a screen further in every direction:
        zooming stays anchored at the cursor and panning never hits an edge."""
        scene = self.scene()
        if scene is None:
            return
        vis = self.mapToScene(self.viewport().rect()).boundingRect()
        need = vis.adjusted(-vis.width(), -vis.height(), vis.width(), vis.height())
        if not scene.sceneRect().contains(need):
            scene.setSceneRect(scene.sceneRect().united(need))

    def _scroll_by(self, dx: float, dy: float) -> None:
        # scroll bars take ints: carry the fraction so slow drags do not drift
        self._auto_fit = False
        fx, fy = self._scroll_rest
        dx, dy = dx + fx, dy + fy
        ix, iy = round(dx), round(dy)
        self._scroll_rest = (dx - ix, dy - iy)
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + ix)
        v.setValue(v.value() + iy)

    def wheelEvent(self, event) -> None:  # noqa: N802
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            event.ignore()
            return
        self.zoom_by(math.pow(1.0015, delta), event.position())
        event.accept()

    def nodes_rect(self) -> QRectF:
        rect = QRectF()
        scene = self.scene()
        if scene is not None:
            for item in scene.items():
                # what is shown: a module group's box (its header above the first member) and
                # not the nodes a collapsed group hides
                if isinstance(item, (NodeItem, GroupItem)) and item.isVisible():
                    rect = rect.united(item.sceneBoundingRect())
        return rect

    def fit(self, rect: QRectF | None = None, readable: bool = False) -> None:
        """Fit the nodes (or `rect`) into the view, never zooming in past 1:1; ``readable``:
        never below READABLE_SCALE either -- then the graph's start (top left) is shown."""
        self._auto_fit = rect is None
        self._fit_readable = readable
        if rect is None:
            rect = self.nodes_rect()
        if rect is None or rect.isEmpty():
            self.resetTransform()
            self.centerOn(0, 0)
            return
        rect = rect.adjusted(-40, -40, 40, 40)
        self.resetTransform()
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        floor = READABLE_SCALE if readable else MIN_SCALE
        if self.zoom() > 1.0:
            self.resetTransform()
        elif self.zoom() < floor:
            s = floor / self.zoom()
            self.scale(s, s)
        self._ensure_scroll_room()
        vis = self.mapToScene(self.viewport().rect()).boundingRect()
        if vis.width() + 1 >= rect.width() and vis.height() + 1 >= rect.height():
            self.centerOn(rect.center())
        else:  # too big at a readable zoom: its start, where a reader begins
            self.centerOn(rect.left() + min(vis.width(), rect.width()) / 2,
                          rect.top() + min(vis.height(), rect.height()) / 2)
        self.zoomChanged.emit(self.zoom())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._auto_fit:
            self.fit(readable=getattr(self, "_fit_readable", False))

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton or (
                self._space and event.button() == Qt.MouseButton.LeftButton):
            self._pan = Pan(self, event.position())
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        """Double-click on empty canvas: the op search, as Tab (the empty-canvas hint)."""
        if event.button() == Qt.MouseButton.LeftButton and \
                self.itemAt(event.position().toPoint()) is None:
            self.tabPressed.emit(self.mapToScene(event.position().toPoint()))
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._pan is not None:
            self._pan.move(event.position())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._pan is not None and event.button() in (Qt.MouseButton.MiddleButton,
                                                        Qt.MouseButton.LeftButton):
            self._pan.end(self._space)
            self._pan = None
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def scroll_by_pixels(self, dx: float, dy: float) -> None:
        """Scroll the view by a screen distance (panning), growing the scene as needed."""
        self._ensure_scroll_room()
        self._scroll_by(dx, dy)

    # ------------------------------------------------------------------ keys
    def event(self, event) -> bool:
        # Tab would move the focus; on the canvas it opens the op search popup
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and \
                event.key() == Qt.Key.Key_Tab and not event.modifiers() & (
                    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            self.tabPressed.emit(self.cursor_scene_pos())
            return True
        return super().event(event)

    def zoom_anchor(self, selection_rect: QRectF | None = None) -> QPointF | None:
        """Where a zoom key zooms about: the cursor when it is over the canvas, else the
        centre of the selection when it is in view, else the view's centre (None)."""
        glob = QCursor.pos()
        local = self.viewport().mapFromGlobal(glob)
        if self.viewport().rect().contains(local) and \
                QApplication.widgetAt(glob) is self.viewport():
            return QPointF(local)
        if selection_rect is not None and not selection_rect.isEmpty():
            p = QPointF(self.mapFromScene(selection_rect.center()))
            if QRectF(self.viewport().rect()).contains(p):
                return p
        return None

    def zoom_step(self, factor: float) -> None:
        """Ctrl++ / Ctrl+-: about the cursor or the selection (zoom_anchor)."""
        rect = QRectF()
        scene = self.scene()
        if scene is not None:
            for item in scene.selectedItems():
                if isinstance(item, NodeItem):
                    rect = rect.united(item.sceneBoundingRect())
        self.zoom_by(factor, self.zoom_anchor(rect))

    def cursor_scene_pos(self) -> QPointF:
        local = self.viewport().mapFromGlobal(self.cursor().pos())
        if not self.viewport().rect().contains(local):
            local = self.viewport().rect().center()
        return self.mapToScene(local)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        key = event.key()
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if key == Qt.Key.Key_Escape and hasattr(self.scene(), "cancel_drag") and \
                self.scene().cancel_drag():
            event.accept()
            return
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and hasattr(self.scene(),
                                                                       "request_delete"):
            self.scene().request_delete()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self._pan = None
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    # ------------------------------------------------------------------ drops from palette
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasFormat(OP_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasFormat(OP_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasFormat(OP_MIME):
            key = bytes(event.mimeData().data(OP_MIME)).decode("utf-8")
            self.opDropped.emit(key, self.mapToScene(event.position().toPoint()))
            event.acceptProposedAction()
        else:
            super().dropEvent(event)

    # ------------------------------------------------------------------ background
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        s = style()
        painter.fillRect(rect, s.canvas)
        scale = self.zoom()
        step = GRID
        while step * scale < 10:  # keep grid lines at least 10 px apart
            step *= 5
        major = step * 5
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for pen, spacing in ((s.grid_minor, step), (s.grid_major, major)):
            if spacing * scale < 10:
                continue
            left = math.floor(rect.left() / spacing) * spacing
            top = math.floor(rect.top() / spacing) * spacing
            lines = []
            x = left
            while x < rect.right():
                lines.append(QLineF(x, rect.top(), x, rect.bottom()))
                x += spacing
            y = top
            while y < rect.bottom():
                lines.append(QLineF(rect.left(), y, rect.right(), y))
                y += spacing
            painter.setPen(pen)
            painter.drawLines(lines)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        """On an empty canvas, how to start (gone once a node exists)."""
        if not self.is_empty():
            return
        painter.save()
        painter.resetTransform()
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        painter.setFont(font)
        painter.setPen(style().muted_pen)
        area = QRectF(self.viewport().rect()).adjusted(24, 24, -24, -24)
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                         self.EMPTY_HINT)
        painter.restore()

    def apply_theme(self) -> None:
        self.resetCachedContent()
        self.viewport().update()
