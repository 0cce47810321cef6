"""The inspector's "why?" next to a None ``.grad``: the reason in one sentence and the fix.

The reason is the model's (engine/document/why_none.py); this row only asks for it through
``provider(node_id) -> Explanation | None`` and shows it. It stays open from node to node
(a learner clicking through the graph keeps reading the reasons) until clicked again.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from widgets import theme


class WhyGradRow(QWidget):
    open_by_default = False

    def __init__(self, provider, parent=None, opened: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("whyGradRow")
        self.provider = provider
        self.node_id = None
        self.opened = opened
        self.explanation = None
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        self.caption = QLabel(".grad is None")
        self.caption.setObjectName("whyGradCaption")
        self.button = QPushButton("why?")
        self.button.setObjectName("whyGrad")
        self.button.setFlat(True)
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.setToolTip("Why is this .grad None? The reason and the fix")
        self.button.setStyleSheet(f"QPushButton {{ color: {theme.color('accent').name()}; "
                                  "text-decoration: underline; border: none; "
                                  "padding: 0 2px; }")
        self.button.clicked.connect(self._toggle)
        top.addWidget(self.caption)
        top.addWidget(self.button)
        top.addStretch(1)
        self.text = QLabel()
        self.text.setObjectName("whyGradText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.text)
        self.hide()

    def show_for(self, node_id, grad_is_none: bool) -> None:
        """Called with every result the inspector shows: visible only for a None .grad."""
        self.node_id = node_id
        visible = self.provider is not None and node_id is not None and grad_is_none
        self.setVisible(visible)
        self.explanation = None
        if visible and self.opened:
            self._explain()
        else:
            self.text.hide()

    def _toggle(self) -> None:
        self.opened = not self.opened
        if self.opened:
            self._explain()
        else:
            self.text.hide()

    def _explain(self) -> None:
        e = self.provider(self.node_id) if self.provider is not None else None
        self.explanation = e
        if e is None:
            self.text.hide()
            return
        self.text.setText(f"{html.escape(e.sentence)}<br><b>Fix:</b> {html.escape(e.fix)}")
        self.text.setToolTip(e.text)
        self.text.show()

    def plain_text(self) -> str:
        return "" if self.explanation is None or self.text.isHidden() else \
            self.explanation.text
