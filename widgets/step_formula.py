"""The chain rule of the current step-through step (issue 14): grad_output, the grad_fn's
vector-Jacobian product from its catalog row, the operands it reads and what went down each
edge, with numbers -- ``sum_to([3])`` where broadcasting happened, the sum where paths meet,
``x.grad = old + grad`` in AccumulateGrad. A pure view of engine.document.vjp.StepMath."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QPlainTextEdit, QSizePolicy, QVBoxLayout, QWidget

from widgets.fonts import monospace_font

IDLE = ("Step through backward (toolbar) to see each grad_fn's vector-Jacobian product here:"
        " what arrived, the formula, the numbers, what it sends on.")


class StepFormulaView(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("stepFormula")
        self.title = QLabel(IDLE)
        self.title.setObjectName("stepFormulaTitle")
        # a label that changes every step must not move the docks beside it (the step panel's
        # buttons keep their place): no wrapping, width from the dock, one line high
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("stepFormulaText")
        self.text.setReadOnly(True)
        self.text.setFont(monospace_font())
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)
        self.math = None

    def show_math(self, math, index: int | None = None, count: int | None = None) -> None:
        """``math``: a StepMath (None: before the first step / no player)."""
        self.math = math
        if math is None:
            self.title.setText(IDLE if index is None else
                               "Before backward: the root's gradient is the seed.")
            self.text.setPlainText("")
            return
        where = f"step {index + 1} / {count}: " if index is not None and count else ""
        self.title.setText(f"{where}{math.grad_fn}"
                           + (f" of {math.node_name}" if math.node_name else ""))
        self.text.setPlainText(math.text)

    def plain_text(self) -> str:
        return self.text.toPlainText()


__all__ = ["StepFormulaView"]
