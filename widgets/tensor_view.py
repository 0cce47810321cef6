"""The inspector's tensor panel: the tensor printed exactly as torch prints it, and a heatmap.

`TensorView.set_tensor(t, kind, title)` shows `repr(t)` (engine/_formatting.py is torch's
printer, character for character) in a read-only monospace view and, for 1-d and larger
tensors, a pyqtgraph ImageItem with a colorbar: the diverging map centred at 0 for gradients,
the sequential one for values. Hovering a cell shows its index and value in a tooltip.
`show_grad(t, title)` applies torch's rule for `.grad`: a non-leaf without retain_grad shows
None and torch's UserWarning text.

Compact: the printout is as tall as its lines (up to MAX_TEXT_LINES, then it scrolls) and the
heatmap as tall as its rows (HEATMAP_MIN..HEATMAP_MAX px), so a value and its .grad fit one
above the other in the inspector at 1440x900; `sizeChanged` tells the inspector to re-split.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from engine._tensor import NON_LEAF_GRAD_WARNING

from . import colormaps, theme
from .fonts import monospace_font

MAX_TEXT_LINES = 8     # a longer printout scrolls inside its box
HEATMAP_ROW_PX = 12    # per heatmap row, until HEATMAP_MAX (more when the inspector has room)
HEATMAP_ROW_MAX_PX = 22
HEATMAP_AXES_PX = 32   # the bottom axis and the margins
HEATMAP_MIN, HEATMAP_MAX = 56, 130


def heatmap_height(rows: int, row_px: int = HEATMAP_ROW_PX) -> int:
    """The plot's height for a heatmap of `rows` rows: compact, and capped."""
    return max(HEATMAP_MIN, min(HEATMAP_MAX, rows * row_px + HEATMAP_AXES_PX))


def _mono_font() -> QFont:
    return monospace_font(9.0)


class TensorView(QWidget):
    """Printed tensor + heatmap. Read-only: it never touches the tensor it shows."""

    # "w.grad[1, 2] = 0.5" (also shown as the tooltip); "" when the mouse leaves the cells
    cellHovered = Signal(str)  # noqa: N815
    sizeChanged = Signal()  # noqa: N815 - the panel's preferred height changed

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._array: np.ndarray | None = None   # the 2-D data under the heatmap
        self._index_prefix: tuple = ()           # leading zeros of an N-d slice
        self._ndim = 0
        self._kind = "value"
        self.row_px = HEATMAP_ROW_PX
        self.title = ""
        self.hover_text = ""

        self.title_label = QLabel(self)
        self.title_label.setObjectName("tensorTitle")
        bold = self.title_label.font()
        bold.setBold(True)
        self.title_label.setFont(bold)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.warning_label = QLabel(self)
        self.warning_label.setObjectName("tensorWarning")
        self.warning_label.setWordWrap(True)
        self.warning_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning_label.hide()

        self.text_view = QPlainTextEdit(self)
        self.text_view.setReadOnly(True)
        self.text_view.setFont(_mono_font())
        self.text_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        self.note_label = QLabel(self)  # "heatmap of [0, :, :]" for N-d tensors
        self.note_label.setWordWrap(True)
        self.note_label.hide()

        self.plot_widget = pg.GraphicsLayoutWidget(self)
        self.plot_widget.setFrameShape(QFrame.Shape.NoFrame)
        self.plot_widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.plot_widget.setFixedHeight(HEATMAP_MIN)
        self.plot = self.plot_widget.addPlot()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.invertY(True)  # row 0 on top, as the tensor prints
        self.plot.setMouseEnabled(x=False, y=False)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=colormaps.pg_colormap("value"),
                                        interactive=False, width=12, colorMapMenu=False)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.plot_widget.scene().sigMouseMoved.connect(self._mouse_moved)
        self.plot_widget.hide()

        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addWidget(self.title_label)
        lay.addWidget(self.warning_label)
        lay.addWidget(self.text_view)
        lay.addWidget(self.note_label)
        lay.addWidget(self.plot_widget)
        self.apply_theme()
        self.set_tensor(None)

    # -- public API ------------------------------------------------------------------
    def set_tensor(self, tensor, kind: str = "value", title: str = "",
                   warning: str | None = None) -> None:
        """Show `tensor` (an engine Tensor, or None). kind "grad" picks the diverging map."""
        colormaps.lut(kind)
        self._kind = kind
        self.title = title
        self.title_label.setText(title)
        self.title_label.setVisible(bool(title))
        self.warning_label.setText(f"UserWarning: {warning}" if warning else "")
        self.warning_label.setVisible(bool(warning))
        self.text_view.setPlainText("None" if tensor is None else repr(tensor))
        QToolTip.hideText()  # a tooltip of the previous tensor's cell would be stale
        self._set_heatmap(None if tensor is None else tensor_data(tensor), kind)
        self._fit_text()
        self.sizeChanged.emit()

    def show_grad(self, tensor, title: str = "") -> None:
        """Show `tensor.grad` as torch would give it: a non-leaf that does not retain its grad
        reads as None with torch's warning."""
        if tensor is None:
            self.set_tensor(None, "grad", title)
        elif tensor.grad_fn is not None and not tensor._retains_grad:
            self.set_tensor(None, "grad", title, warning=NON_LEAF_GRAD_WARNING)
        else:
            self.set_tensor(tensor._grad, "grad", title)  # _grad: no warning to raise here

    def text(self) -> str:
        return self.text_view.toPlainText()

    def _fit_text(self) -> None:
        """The printout's box: its lines (at most MAX_TEXT_LINES), plus the horizontal
        scroll bar when the longest line is wider than the box."""
        view = self.text_view
        lines = view.toPlainText().split("\n")
        fm = view.fontMetrics()
        frame = 2 * view.frameWidth() + 2 * int(view.document().documentMargin())
        # + a few px: the layout's lines are a fraction taller than lineSpacing()
        height = min(len(lines), MAX_TEXT_LINES) * fm.lineSpacing() + frame + 6
        widest = max(fm.horizontalAdvance(line) for line in lines) + frame
        if widest > view.width():
            height += view.horizontalScrollBar().sizeHint().height()
        if view.height() != height or view.minimumHeight() != height:
            view.setFixedHeight(height)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        before = self.text_view.height()
        self._fit_text()  # a narrower box may need its horizontal scroll bar now
        if self.text_view.height() != before:
            self.sizeChanged.emit()

    def levels(self) -> tuple[float, float]:
        return tuple(float(v) for v in self.colorbar.levels())

    def apply_theme(self) -> None:
        t = theme.current()
        self.plot_widget.setBackground(t["base"])
        for name in ("left", "bottom"):
            ax = self.plot.getAxis(name)
            ax.setPen(pg.mkPen(t["border"]))
            ax.setTextPen(pg.mkPen(t["text_muted"]))
        self.colorbar.axis.setPen(pg.mkPen(t["border"]))
        self.colorbar.axis.setTextPen(pg.mkPen(t["text_muted"]))
        self.warning_label.setStyleSheet(f"color: {t['blocked']};")
        self.note_label.setStyleSheet(f"color: {t['text_muted']};")

    # -- heatmap -------------------------------------------------------------------------
    def _set_heatmap(self, data: np.ndarray | None, kind: str) -> None:
        self.hover_text = ""
        if data is None or data.ndim == 0 or data.size == 0:
            self._array = None
            self._ndim = 0 if data is None else data.ndim
            self.plot_widget.hide()
            self.note_label.hide()
            return
        self._ndim = data.ndim
        if data.ndim == 1:
            a2, self._index_prefix = data[None, :], ()
        elif data.ndim == 2:
            a2, self._index_prefix = data, ()
        else:
            self._index_prefix = (0,) * (data.ndim - 2)
            a2 = data[self._index_prefix]
        self.note_label.setText(
            f"heatmap of [{', '.join(['0'] * (data.ndim - 2) + [':', ':'])}] "
            f"(first 2-D slice of {list(data.shape)})")
        self.note_label.setVisible(data.ndim > 2)
        self._array = a2
        f = colormaps.as_float(a2)
        lims = colormaps.limits(f, kind)
        # ImageItem's default axis order is (x, y): columns first
        self.image.setImage(np.ascontiguousarray(f.T), autoLevels=False, levels=lims)
        self.colorbar.setColorMap(colormaps.pg_colormap(kind))
        self.colorbar.setLevels(lims)
        _index_ticks(self.plot.getAxis("bottom"), a2.shape[1])
        self.plot.setRange(xRange=(0, a2.shape[1]), yRange=(0, a2.shape[0]), padding=0.02)
        self._size_heatmap()
        self.plot_widget.show()

    def heatmap_rows(self) -> int:
        """Rows of the heatmap shown (0: none)."""
        return 0 if self._array is None else self._array.shape[0]

    def set_row_px(self, px: int) -> None:
        """Pixels per heatmap row (the inspector gives more when it has the room)."""
        px = max(HEATMAP_ROW_PX, min(HEATMAP_ROW_MAX_PX, int(px)))
        if px != self.row_px:
            self.row_px = px
            self._size_heatmap()

    def _size_heatmap(self) -> None:
        if self._array is None:
            return
        rows = self._array.shape[0]
        height = heatmap_height(rows, self.row_px)
        # row labels at least a text line apart (0, 2, 4 when rows are narrow)
        line = self.fontMetrics().height()  # pyqtgraph's tick labels use the widget font
        px_per_row = (height - HEATMAP_AXES_PX) / max(1, rows)
        _index_ticks(self.plot.getAxis("left"), rows if self._ndim > 1 else 0,
                     min_step=-(-line // max(1, int(px_per_row))))
        # a short bar has room for its two ends only: pyqtgraph's own ticks would overlap
        if height - HEATMAP_AXES_PX < 4 * line:
            lo, hi = (float(v) for v in self.colorbar.levels())
            self.colorbar.axis.setTicks([[(lo, f"{lo:.3g}"), (hi, f"{hi:.3g}")], []])
        else:
            self.colorbar.axis.setTicks(None)
        self.plot_widget.setFixedHeight(height)

    def cell_text(self, row: int, col: int) -> str:
        """'title[i, j] = v' for a heatmap cell (index in the tensor's own dimensions)."""
        a = self._array
        v = a[row, col]
        index = (col,) if self._ndim == 1 else (*self._index_prefix, row, col)
        value = str(v.item()) if a.dtype.kind in "biu" else str(a.dtype.type(v))
        name = self.title or "tensor"
        return f"{name}[{', '.join(map(str, index))}] = {value}"

    def _mouse_moved(self, scene_pos) -> None:
        a = self._array
        text = ""
        if a is not None and self.plot.sceneBoundingRect().contains(scene_pos):
            p = self.plot.vb.mapSceneToView(scene_pos)
            col, row = int(np.floor(p.x())), int(np.floor(p.y()))
            if 0 <= row < a.shape[0] and 0 <= col < a.shape[1]:
                text = self.cell_text(row, col)
        if text == self.hover_text:
            return
        self.hover_text = text
        self.cellHovered.emit(text)
        if text:
            view_pos = self.plot_widget.mapFromScene(scene_pos)
            QToolTip.showText(self.plot_widget.viewport().mapToGlobal(view_pos) + QPoint(12, 12),
                              text, self.plot_widget)
        else:
            QToolTip.hideText()


def _index_ticks(axis, n: int, min_step: int = 1) -> None:
    """Integer indices under the cell centres (about 10 labels at most, `min_step` apart)."""
    step = max(1, min_step, -(-n // 10))
    axis.setTicks([[(i + 0.5, str(i)) for i in range(0, n, step)], []])


def tensor_data(tensor) -> np.ndarray:
    """The ndarray behind an engine Tensor (or anything array-like)."""
    data = getattr(tensor, "_data", None)
    return np.asarray(tensor) if data is None else data
