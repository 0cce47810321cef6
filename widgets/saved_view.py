"""The inspector's "saved for backward" box (issue 14): what the node's grad_fn (and the grad_fns
inside its op) saved, under torch's ``_saved_*`` names, with shape, a preview, the node each
tensor came from and the memory held -- or, after a backward without retain_graph, that the
buffers are freed and torch's error for reading them. The list is the model's
(engine/document/saved_tensors.py), asked through ``provider(node_id)``."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from widgets.fonts import monospace_font


class SavedTensorsBox(QWidget):
    def __init__(self, provider, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("savedTensorsBox")
        self.provider = provider
        self.summaries: list = []
        self.caption = QLabel("<b>saved for backward</b>")
        self.caption.setObjectName("savedCaption")
        self.text = QLabel()
        self.text.setObjectName("savedText")
        self.text.setFont(monospace_font())
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.text)
        self.hide()

    def show_for(self, node_id) -> None:
        self.summaries = [] if self.provider is None or node_id is None else \
            list(self.provider(node_id) or [])
        self.setVisible(bool(self.summaries))
        self.text.setText("\n".join(line for s in self.summaries for line in s.lines()))

    def plain_text(self) -> str:
        return self.text.text()
