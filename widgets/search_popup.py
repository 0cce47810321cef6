"""The Tab popup: type to filter the catalog, Up/Down to move, Enter to place the op."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt, Signal
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from .palette import matches

KEY_ROLE = Qt.ItemDataRole.UserRole


def _rank(spec, text: str) -> tuple:
    """Title prefix first, then title substring, then anything else that matches."""
    t = text.lower()
    title = spec.title.lower()
    key = spec.key.lower().removeprefix("f.")
    return (not (title.startswith(t) or key.startswith(t)), t not in title, len(title), title)


class OpSearchPopup(QFrame):
    opChosen = Signal(str)  # noqa: N815

    def __init__(self, catalog=None, parent=None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        if catalog is None:
            from engine.document import catalog
        self.catalog = catalog
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("Add op…")
        self.list = QListWidget(self)
        self.list.setUniformItemSizes(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.edit)
        layout.addWidget(self.list)
        self.resize(280, 320)
        self._filter_fn = None
        self.edit.textChanged.connect(self.refilter)
        self.edit.installEventFilter(self)
        self.list.itemActivated.connect(self._choose_item)

    def popup(self, screen_pos: QPoint, filter_fn=None) -> None:
        """Show at `screen_pos`; `filter_fn(spec) -> bool` limits the ops (e.g. wire drops)."""
        self._filter_fn = filter_fn
        self.edit.blockSignals(True)
        self.edit.clear()
        self.edit.blockSignals(False)
        self.refilter()
        self.move(screen_pos)
        self.show()
        self.raise_()
        self.activateWindow()
        self.edit.setFocus()

    def refilter(self, text: str | None = None) -> None:
        text = self.edit.text().strip() if text is None else text.strip()
        specs = [s for s in self.catalog.CATALOG.values()
                 if (self._filter_fn is None or self._filter_fn(s))
                 and (not text or matches(s, text))]
        if text:
            specs.sort(key=lambda s: _rank(s, text))
        self.list.clear()
        for spec in specs:
            item = QListWidgetItem(f"{spec.title}    {spec.category}")
            item.setData(KEY_ROLE, spec.key)
            item.setToolTip(spec.doc)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def visible_op_keys(self) -> list[str]:
        return [self.list.item(i).data(KEY_ROLE) for i in range(self.list.count())]

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is self.edit and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                row = self.list.currentRow() + (1 if key == Qt.Key.Key_Down else -1)
                if 0 <= row < self.list.count():
                    self.list.setCurrentRow(row)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._choose_item(self.list.currentItem())
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
        return super().eventFilter(obj, event)

    def _choose_item(self, item) -> None:
        if item is None:
            return
        key = item.data(KEY_ROLE)
        self.hide()
        self.opChosen.emit(key)
