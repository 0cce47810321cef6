"""The autograd controls' dialogs: the backward seed and the Verify with PyTorch verdict."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from .. import autograd_commands as AC


class SeedDialog(QDialog):
    """``root.backward(gradient)``: ones_like(root) by default, implicit (scalar roots only) or
    a literal tensor the shape of the root."""

    seedChosen = Signal(object)  # noqa: N815

    def __init__(self, doc, results, root, parent=None):
        super().__init__(parent)
        self.setObjectName("seedDialog")
        self.setWindowTitle("Backward seed")
        r = results.get(root) if root else None
        shape = list(r.shape) if r is not None and r.shape is not None else None
        name = doc.nodes[root].name if root in doc.nodes else "root"
        info = QLabel(f"{name}.backward(gradient=…)"
                      + (f" — {name} has shape {shape}" if shape is not None else ""))
        info.setWordWrap(True)
        self.edit = QLineEdit(self)
        self.edit.setObjectName("seedEdit")
        seed = doc.settings.seed
        self.edit.setText("ones" if seed == "ones" else "implicit" if seed is None else repr(seed))
        self.edit.setPlaceholderText("ones | implicit | [[1.0, 0.0], [0.0, 1.0]]")
        self.error = QLabel(self)
        self.error.setObjectName("seedError")
        self.error.setWordWrap(True)
        hint = QLabel("ones = torch.ones_like(root); implicit = no gradient argument (scalar "
                      "roots only, as torch); or a nested list of numbers.")
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        for wdg in (info, self.edit, hint, self.error, buttons):
            lay.addWidget(wdg)
        self.buttons = buttons

    def _accept(self) -> None:
        try:
            value = AC.seed_value(self.edit.text())
        except (ValueError, SyntaxError) as e:
            self.error.setText(f"Not a seed: {e}")
            return
        self.seedChosen.emit(value)
        self.accept()


class VerifyDialog(QDialog):
    """The verdict and one row per leaf: name, agree / differ / missing, the difference."""

    def __init__(self, v, parent=None):
        super().__init__(parent)
        self.setObjectName("verifyDialog")
        self.setWindowTitle("Verify with PyTorch")
        head = QLabel(v.message)
        head.setObjectName("verifySummary")
        head.setWordWrap(True)
        table = QTableWidget(len(v.leaves), 3, self)
        table.setObjectName("verifyTable")
        table.setHorizontalHeaderLabels(["leaf", "gradients", "detail"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, leaf in enumerate(v.leaves):
            for c, text in enumerate((f"{leaf.name}.grad", leaf.status, leaf.detail)):
                table.setItem(r, c, QTableWidgetItem(text))
        table.horizontalHeader().setStretchLastSection(True)
        table.setVisible(bool(v.leaves))
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addWidget(table)
        lay.addWidget(buttons)
        self.resize(560, 320)

    def rows(self) -> list[tuple[str, str, str]]:
        t = self.table
        return [tuple(t.item(r, c).text() for c in range(3)) for r in range(t.rowCount())]


__all__ = ["SeedDialog", "VerifyDialog"]
