"""The log: messages, refused wires, errors (PyTorch's wording) in a dock at the bottom."""
from __future__ import annotations

import html
import logging
import time

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

from widgets import theme
from widgets.fonts import monospace_font

LEVEL_COLORS = {"debug": "text_muted", "info": "text", "warning": "blocked", "error": "error"}
MAX_BLOCKS = 5000  # keep a long session's log bounded


class LogWidget(QWidget):
    """Read-only, colored, bounded message list. ``entries`` keeps (level, text) for tests."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("logWidget")
        self.entries: list[tuple[str, str]] = []
        self._stamps: list[str] = []
        self.view = QPlainTextEdit(self)
        self.view.setObjectName("logView")
        self.view.setReadOnly(True)
        self.view.setFont(monospace_font(9.0))  # the QSS sets only the size, not the family
        self.view.setMaximumBlockCount(MAX_BLOCKS)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.clear_button = QToolButton(self)
        self.clear_button.setObjectName("logClear")
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip("Clear the log")
        self.clear_button.clicked.connect(self.clear)
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.clear_button)
        side.addStretch(1)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(2)
        lay.addWidget(self.view, 1)
        lay.addLayout(side)

    def log(self, level: str, text: str) -> None:
        level = level if level in LEVEL_COLORS else "info"
        stamp = time.strftime("%H:%M:%S")
        self.entries.append((level, text))
        self._stamps.append(stamp)
        del self.entries[:-MAX_BLOCKS], self._stamps[:-MAX_BLOCKS]
        self._append(stamp, level, text)

    def _append(self, stamp: str, level: str, text: str) -> None:
        colors = theme.current()
        body = html.escape(text).replace("\n", "<br>")
        self.view.appendHtml(f'<span style="color:{colors["text_muted"]}">{stamp}</span> '
                             f'<span style="color:{colors[LEVEL_COLORS[level]]}; '
                             f'white-space:pre-wrap">{body}</span>')
        self.view.moveCursor(QTextCursor.MoveOperation.End)

    def apply_theme(self) -> None:
        """Re-render with the current theme's colors (they are baked into the HTML)."""
        self.view.clear()
        for stamp, (level, text) in zip(self._stamps, self.entries):
            self._append(stamp, level, text)

    def clear(self) -> None:
        self.entries.clear()
        self._stamps.clear()
        self.view.clear()

    def text(self) -> str:
        return self.view.toPlainText()


class _Bridge(QObject):
    """Queued hop to the GUI thread: log records may come from any thread."""

    record = Signal(str, str)


class QtLogHandler(logging.Handler):
    """Python ``logging`` records -> a LogWidget (thread-safe through a queued signal)."""

    def __init__(self, widget: LogWidget):
        super().__init__(logging.INFO)
        self.bridge = _Bridge()
        self.bridge.record.connect(widget.log, Qt.ConnectionType.QueuedConnection)
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level = {logging.DEBUG: "debug", logging.INFO: "info",
                     logging.WARNING: "warning"}.get(record.levelno, "error")
            self.bridge.record.emit(level, self.format(record))
        except RuntimeError:  # the widget is gone (window closed): nothing to show it in
            pass
