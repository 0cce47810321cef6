"""The op palette: catalog ops by category, a search line, drag onto the canvas or double-click."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from . import theme
from .canvas.view import OP_MIME

KEY_ROLE = Qt.ItemDataRole.UserRole


def matches(spec, text: str) -> bool:
    """Whether an op matches a search text (every word in its title, key, category or doc)."""
    hay = f"{spec.title} {spec.key} {spec.category} {spec.doc}".lower()
    return all(word in hay for word in text.lower().split())


class _OpTree(QTreeWidget):
    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [OP_MIME]

    def mimeData(self, items) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        keys = [it.data(0, KEY_ROLE) for it in items if it.data(0, KEY_ROLE)]
        if keys:
            mime.setData(OP_MIME, keys[0].encode("utf-8"))
            mime.setText(keys[0])
        return mime


class PaletteWidget(QWidget):
    opActivated = Signal(str)  # noqa: N815

    def __init__(self, catalog=None, parent=None) -> None:
        super().__init__(parent)
        if catalog is None:
            from engine.document import catalog
        self.catalog = catalog
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search ops…")
        self.search.setClearButtonEnabled(True)
        self.tree = _OpTree(self)
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self._op_items: dict[str, QTreeWidgetItem] = {}
        self._populate()
        self.search.textChanged.connect(self.set_filter)
        self.search.returnPressed.connect(self._activate_first)
        # activated = double-click (or Enter) on this style; single-click styles activate too
        self.tree.itemActivated.connect(self._on_activated)

    def _populate(self) -> None:
        self.tree.clear()
        self._op_items.clear()
        for category, specs in self.catalog.categories().items():
            if not specs:
                continue
            top = QTreeWidgetItem([category])
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            top.setForeground(0, QBrush(theme.category_color(category)))
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            self.tree.addTopLevelItem(top)
            for spec in specs:
                child = QTreeWidgetItem([spec.title])
                child.setData(0, KEY_ROLE, spec.key)
                child.setToolTip(0, f"{spec.key}\n{spec.doc}")
                child.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                               | Qt.ItemFlag.ItemIsDragEnabled)
                top.addChild(child)
                self._op_items[spec.key] = child
        self.tree.expandAll()

    def apply_theme(self) -> None:
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            top.setForeground(0, QBrush(theme.category_color(top.text(0))))

    def set_filter(self, text: str) -> None:
        text = text.strip()
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            shown = 0
            for j in range(top.childCount()):
                child = top.child(j)
                spec = self.catalog.get(child.data(0, KEY_ROLE))
                ok = not text or matches(spec, text)
                child.setHidden(not ok)
                shown += ok
            top.setHidden(shown == 0)
            top.setExpanded(True)

    def reset(self) -> None:
        """A new document: no filter left over from the last one (every op shown)."""
        self.search.clear()
        self.set_filter("")
        self.tree.clearSelection()
        self.tree.scrollToTop()

    def visible_op_keys(self) -> list[str]:
        return [k for k, it in self._op_items.items()
                if not it.isHidden() and not it.parent().isHidden()]

    def op_item(self, key: str) -> QTreeWidgetItem:
        return self._op_items[key]

    def _activate_first(self) -> None:
        keys = self.visible_op_keys()
        if keys:
            self.opActivated.emit(keys[0])

    def _on_activated(self, item, column=0) -> None:
        key = item.data(0, KEY_ROLE)
        if key:
            self.opActivated.emit(key)

