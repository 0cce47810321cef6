"""What each grad_fn saved for backward (issue 14), in the inspector and in the backward-graph
dock: under torch's ``_saved_*`` names, with shape, a preview, the node each tensor came from
and the memory held -- or, after a backward without retain_graph, that the buffers are freed
and torch's error for reading them. The lists are the model's (engine/document/saved_tensors.py).

Each saved tensor is one row; hovering it emits ``sourceHovered(node id)`` ("" when the pointer
leaves) and the app has the canvas (and the backward graph) highlight that node. The rows only
report the hover: which node a tensor came from is the model's answer (``SavedEntry.source_id``).
"""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QLabel, QVBoxLayout, QWidget

from . import theme
from .fonts import monospace_font


class SavedRow(QLabel):
    """One line of the list; a saved tensor's row knows the node it came from."""

    def __init__(self, text: str, source_id: str | None, box: SavedTensorsBox) -> None:
        super().__init__(text, box)
        self.source_id = source_id
        self._box = box
        self.setFont(monospace_font())
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setObjectName("savedSourceRow" if source_id else "savedRow")
        if source_id:
            self.setToolTip("Hover: highlights the node this tensor came from")

    def enterEvent(self, event) -> None:  # noqa: N802
        if self.source_id:
            self._box.hover_source(self.source_id)
        super().enterEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        if self.source_id:
            self._box.hover_source(None)
        super().leaveEvent(event)


class SavedTensorsBox(QWidget):
    """The list for one node (``show_for``, asked through ``provider(node_id)``) or for any
    summaries (``show_summaries``: the grad_fns picked in the backward graph)."""

    sourceHovered = Signal(str)  # noqa: N815 - node id, "" when no row is hovered

    def __init__(self, provider=None, parent=None, caption: str = "saved for backward") -> None:
        super().__init__(parent)
        self.setObjectName("savedTensorsBox")
        self.provider = provider
        self.summaries: list = []
        self.hovered: str | None = None
        self.caption = QLabel(f"<b>{caption}</b>")
        self.caption.setObjectName("savedCaption")
        self.caption.setWordWrap(True)
        self._rows: list[SavedRow] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._layout.addWidget(self.caption)
        self._layout.addStretch(1)  # the rows keep their heights; the space goes below them
        # the hovered row and the rings share the grad_fn colour (the DAG's is "highlight")
        hl = theme.color("grad_fn").name()
        self.setStyleSheet(f"QLabel#savedSourceRow:hover {{ background: {hl}; color: #1b1d22; }}")
        self.hide()

    def show_for(self, node_id) -> None:
        self.show_summaries([] if self.provider is None or node_id is None else
                            list(self.provider(node_id) or []))

    def show_summaries(self, summaries) -> None:
        self.hover_source(None)  # the hovered row goes away with the old list
        self.summaries = list(summaries)
        for row in self._rows:
            self._layout.removeWidget(row)
            row.deleteLater()
        self._rows = []
        for s in self.summaries:
            for text, source in s.rows():
                row = SavedRow(text, source, self)
                self._layout.insertWidget(self._layout.count() - 1, row)
                self._rows.append(row)
        self.setVisible(bool(self.summaries))

    def rows(self) -> list[SavedRow]:
        return list(self._rows)

    def plain_text(self) -> str:
        return "\n".join(r.text() for r in self._rows)

    def hover_source(self, node_id: str | None) -> None:
        if node_id != self.hovered:
            self.hovered = node_id
            self.sourceHovered.emit(node_id or "")

    def hideEvent(self, event) -> None:  # noqa: N802
        self.hover_source(None)  # a hidden row cannot stay hovered
        super().hideEvent(event)


class BackwardSourceMark:
    """A ring, in the backward-graph view, around the box of the grad_fn that produced a
    hovered saved tensor (a leaf's box when a leaf was saved). Its own item over the boxes:
    the boxes and their painting stay the view's."""

    def __init__(self, view) -> None:
        self.view = view
        self.rings: list[QGraphicsPathItem] = []
        self.marked: list = []  # the BackwardItems ringed now

    def mark(self, fn, doc_id: str | None) -> None:
        self.clear()
        view = self.view
        item = view.item_for_fn(fn) if fn is not None else None
        items = [item] if item is not None else \
            [it for it in view.items_for(doc_id) if it.kind == "leaf"] if doc_id else []
        pen = QPen(theme.color("grad_fn"), 3.0)
        for it in items:
            path = QPainterPath()
            r = it.box().adjusted(-4, -4, 4, 4)
            path.addRoundedRect(QRectF(r), 7, 7)
            ring = QGraphicsPathItem(path)
            ring.setPen(pen)
            ring.setPos(it.pos())
            ring.setZValue(5)
            ring.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            view.scene().addItem(ring)
            self.rings.append(ring)
        self.marked = items
        if items and view.isVisible():
            view.ensureVisible(items[0], 20, 20)

    def clear(self) -> None:
        for ring in self.rings:
            if ring.scene() is not None:
                ring.scene().removeItem(ring)
        self.rings, self.marked = [], []
