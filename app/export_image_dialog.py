"""File > Export Image...: what to draw (canvas or backward graph, all or the selection), the
format (PNG at a scale, or SVG) and then the file name; the rendering is app/image_export.py."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
)


class ExportImageDialog(QDialog):
    def __init__(self, parent=None, *, has_selection: bool = False,
                 has_backward: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Image")
        self.setObjectName("exportImageDialog")
        self.target = QComboBox(self)
        self.target.setObjectName("exportTarget")
        self.target.addItem("Canvas", "canvas")
        if has_backward:
            self.target.addItem("Backward graph", "backward")
        self.range = QComboBox(self)
        self.range.setObjectName("exportRange")
        self.range.addItem("Whole graph", False)
        self.range.addItem("Selection", True)
        self.range.setCurrentIndex(1 if has_selection else 0)
        self.range.model().item(1).setEnabled(has_selection)
        self.format = QComboBox(self)
        self.format.setObjectName("exportFormat")
        self.format.addItem("PNG (raster)", "png")
        self.format.addItem("SVG (vector)", "svg")
        self.scale = QDoubleSpinBox(self)
        self.scale.setObjectName("exportScale")
        self.scale.setRange(0.25, 8.0)
        self.scale.setSingleStep(0.5)
        self.scale.setValue(2.0)
        self.scale.setSuffix(" ×")
        self.format.currentIndexChanged.connect(
            lambda _i: self.scale.setEnabled(self.format.currentData() == "png"))
        self.target.currentIndexChanged.connect(
            lambda _i: self.range.setEnabled(self.target.currentData() == "canvas"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Draw", self.target)
        form.addRow("Nodes", self.range)
        form.addRow("Format", self.format)
        form.addRow("Scale", self.scale)
        form.addRow(buttons)

    def choice(self) -> dict:
        canvas = self.target.currentData() == "canvas"
        return {"target": self.target.currentData(),
                "selection": bool(canvas and self.range.currentData()),
                "fmt": self.format.currentData(), "scale": float(self.scale.value())}


__all__ = ["ExportImageDialog"]
