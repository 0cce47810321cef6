"""The timeline of backward calls (issue 14): one row per ``backward()`` / ``zero_grad`` call
-- root, seed gradient, retain_graph, the graph version it ran on, what each leaf received or
torch's error -- and, per leaf, its ``.grad`` over the calls as a sparkline, so accumulation
(g, 2g) and zero_grad (back to 0) are seen at a glance. The graph-version counter sits beside.

A pure view of engine.document.backward_history.BackwardHistory: ``show(history, names,
graph_version)`` repaints; it never runs anything.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.document.backward_history import seed_text

from . import theme

COLUMNS = ("#", "call", "gradient", "retain_graph", "graph", "received")
# an imported model has thousands of parameters: a sparkline each would make the dock (and so
# the window) tens of thousands of pixels tall and rebuild thousands of widgets per call
MAX_SPARKLINES = 48
MAX_RECEIVED = 8  # leaves named in a call's "received" cell; the rest are counted


def preview(a, limit: int = 4) -> str:
    a = np.asarray(a)
    flat = a.reshape(-1)
    body = ", ".join(f"{float(v):.4g}" for v in flat[:limit])
    more = ", …" if flat.size > limit else ""
    return f"{body}{more}" if a.ndim == 0 else f"[{body}{more}] {list(a.shape)}"


class Sparkline(QWidget):
    """A small line of numbers (None: no .grad at that call): a filled dot per backward
    call, a hollow one for zero_grad, a dashed baseline at 0."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.values: list[float | None] = []
        self.kinds: list[str] = []
        self.setMinimumSize(120, 30)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        return QSize(180, 32)

    def set_values(self, values, kinds) -> None:
        self.values = list(values)
        self.kinds = list(kinds)
        self.setToolTip("  ".join("—" if v is None else f"{v:.4g}" for v in self.values))
        self.update()

    def points(self) -> list[QPointF | None]:
        """Widget coordinates of each value (None where there is none)."""
        vals = [v for v in self.values if v is not None and np.isfinite(v)]
        if not self.values:
            return []
        lo, hi = min([0.0, *vals]), max([0.0, *vals])
        span = (hi - lo) or 1.0
        m = 4.0
        w, h = self.width() - 2 * m, self.height() - 2 * m
        n = len(self.values)
        out = []
        for i, v in enumerate(self.values):
            if v is None or not np.isfinite(v):
                out.append(None)
                continue
            x = m + (w * i / (n - 1) if n > 1 else w / 2)
            out.append(QPointF(x, m + h * (hi - v) / span))
        return out

    def zero_y(self) -> float:
        vals = [v for v in self.values if v is not None and np.isfinite(v)]
        lo, hi = min([0.0, *vals]), max([0.0, *vals])
        return 4.0 + (self.height() - 8.0) * (hi / ((hi - lo) or 1.0))

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        muted = theme.color("text_muted")
        p.setPen(QPen(muted, 1, Qt.PenStyle.DashLine))
        y0 = self.zero_y()
        p.drawLine(QPointF(0, y0), QPointF(self.width(), y0))
        pts = self.points()
        line = QColor(theme.color("wire_grad"))
        path = QPainterPath()
        started = False
        for pt in pts:
            if pt is None:
                started = False
                continue
            if started:
                path.lineTo(pt)
            else:
                path.moveTo(pt)
                started = True
        p.setPen(QPen(line, 1.5))
        p.drawPath(path)
        for pt, kind in zip(pts, self.kinds):
            if pt is None:
                continue
            p.setBrush(line if kind == "backward" else Qt.BrushStyle.NoBrush)
            p.drawEllipse(QRectF(pt.x() - 2.5, pt.y() - 2.5, 5, 5))
        p.end()


class BackwardTimeline(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("backwardTimeline")
        self.version_label = QLabel("graph v0")
        self.version_label.setObjectName("timelineVersion")
        self.summary = QLabel("no backward calls yet")
        self.summary.setObjectName("timelineSummary")
        top = QHBoxLayout()
        top.addWidget(self.summary)
        top.addStretch(1)
        top.addWidget(self.version_label)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("timelineCalls")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(
            len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.leaves_box = QWidget(self)
        self.leaves_box.setObjectName("timelineLeaves")
        self.grid = QGridLayout(self.leaves_box)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.sparklines: dict[str, Sparkline] = {}
        self._last_labels: dict[str, QLabel] = {}
        self._leaf_rows: list = []
        self.more_leaves = QLabel()  # "+N more leaves" under the capped sparklines
        self.more_leaves.setObjectName("timelineMoreLeaves")
        self.more_leaves.hide()
        # the rows scroll: their height must never become the dock's minimum height
        self.leaves_scroll = QScrollArea(self)
        self.leaves_scroll.setObjectName("timelineLeavesScroll")
        self.leaves_scroll.setWidgetResizable(True)
        self.leaves_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.leaves_scroll.setWidget(self.leaves_box)
        body = QHBoxLayout()
        body.addWidget(self.table, 3)
        body.addWidget(self.leaves_scroll, 2)
        self.body = body
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(body, 1)

    # a dock narrower than this stacks the sparklines under the table (at 1440x900 the dock
    # is ~370 px wide: side by side, the table's "call" column was cut)
    STACK_BELOW = 640

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        want = (QHBoxLayout.Direction.TopToBottom if self.width() < self.STACK_BELOW
                else QHBoxLayout.Direction.LeftToRight)
        if self.body.direction() != want:
            self.body.setDirection(want)

    # ------------------------------------------------------------------ public
    def show_history(self, history, names: dict, graph_version: int,
                     held: int | None = None) -> None:
        """Repaint from ``history`` (its calls); ``names`` maps node ids to display names."""
        self.set_version(graph_version, held)
        calls = history.calls if history is not None else []
        name = lambda nid: names.get(nid, str(nid))  # noqa: E731
        n_back = sum(c.kind == "backward" for c in calls)
        self.summary.setText(f"{n_back} backward call{'s' * (n_back != 1)}" if calls
                             else "no backward calls yet")
        t = self.table
        t.setRowCount(len(calls))
        err_color = theme.color("error")
        for row, c in enumerate(calls):
            cells = (str(c.number), self._call_text(c, name),
                     seed_text(c.seed) if c.kind == "backward" else "",
                     ("True" if c.retain_graph else "False") if c.kind == "backward" else "",
                     f"v{c.graph_version}", self._received_text(c, name))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(c.error if c.error else text)
                if c.error and col == len(COLUMNS) - 1:
                    item.setForeground(err_color)
                t.setItem(row, col, item)
        t.resizeColumnsToContents()
        if calls:
            t.scrollToBottom()
        self._show_sparklines(history, calls, name)

    def set_version(self, graph_version: int, held: int | None = None) -> None:
        """The graph-version counter, and the bytes its grad_fns hold for backward."""
        from engine.document.saved_tensors import human_bytes
        extra = "" if held is None else f" · {human_bytes(held)} saved for backward"
        self.version_label.setText(f"graph v{graph_version}{extra}")

    def call_texts(self) -> list[str]:
        return [self.table.item(r, 1).text() for r in range(self.table.rowCount())]

    # ------------------------------------------------------------------ parts
    @staticmethod
    def _call_text(c, name) -> str:
        if c.kind == "zero_grad":
            who = f"{name(c.root)}.grad" if c.root is not None else "every .grad"
            return f"{who} = None" if c.set_to_none else f"{who}.zero_()"
        return f"{name(c.root)}.backward()"

    @staticmethod
    def _received_text(c, name) -> str:
        if c.error:
            return c.error
        if c.kind == "zero_grad":
            return "grads set to None" if c.set_to_none else "grads zeroed"
        if c.dropped:
            return ("; ".join(f"{name(nid)}.grad" for nid in c.reached) +
                    " (values dropped: the history keeps the newest calls' arrays)")
        if not c.received:
            return "no leaf reached"
        items = list(c.received.items())
        text = "; ".join(f"{name(nid)} += {preview(g)}" for nid, g in items[:MAX_RECEIVED])
        more = len(items) - MAX_RECEIVED
        return text + (f"; … and {more} more leaves" if more > 0 else "")

    def _show_sparklines(self, history, calls, name) -> None:
        every = history.leaves() if history is not None else []
        leaves = every[:MAX_SPARKLINES]
        hidden = len(every) - len(leaves)
        self.more_leaves.setText(f"+{hidden} more leaves (their .grad is in the inspector)")
        self.more_leaves.setVisible(hidden > 0)
        if leaves != list(self.sparklines):
            for w in self._leaf_rows:
                self.grid.removeWidget(w)
                w.deleteLater()
            self._leaf_rows, self.sparklines, self._last_labels = [], {}, {}
            for i, nid in enumerate(leaves):
                label = QLabel(f"‖{name(nid)}.grad‖")
                spark = Sparkline(self.leaves_box)
                spark.setObjectName(f"sparkline_{nid}")
                last = QLabel()
                last.setObjectName(f"sparklast_{nid}")
                for col, w in enumerate((label, spark, last)):
                    self.grid.addWidget(w, i, col)
                    self._leaf_rows.append(w)
                self.sparklines[nid] = spark
                self._last_labels[nid] = last
            self.grid.addWidget(self.more_leaves, len(leaves), 0, 1, 3)
            self.grid.setRowStretch(len(leaves) + 1, 1)
        kinds = [c.kind for c in calls]
        for nid, spark in self.sparklines.items():
            vals = [c.summaries.get(nid) for c in calls]
            spark.set_values(vals, kinds)
            v = next((x for x in reversed(vals) if x is not None), None)
            self._last_labels[nid].setText("None" if v is None else f"{v:.4g}")


__all__ = ["BackwardTimeline", "Sparkline"]
