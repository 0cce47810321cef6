"""The inspector's parameter editors: number boxes that hold any value the model does (ints
past 32 bits, inf/nan, None for optional params), the literal-tensor table, and the text
parsers they share. Split from widgets/inspector.py, which builds pages from them."""


from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def parse_number(text: str):
    """'3' -> 3, '3.0' -> 3.0, '1e-3' -> 0.001 (ints stay ints: dtype inference needs it)."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return float(text)


def parse_ints(text: str) -> tuple[int, ...]:
    """'5, 3' / '(5, 3)' / '[5 3]' -> (5, 3); '' -> ()."""
    text = text.strip().strip("()[]")
    parts = [p for p in text.replace(",", " ").split() if p]
    return tuple(int(p) for p in parts)


def format_ints(value) -> str:
    return ", ".join(str(v) for v in value)


def parse_cell(text: str):
    t = text.strip()
    if t in ("True", "true"):
        return True
    if t in ("False", "false"):
        return False
    return parse_number(t)


def _literal_dims(value) -> int:
    d = 0
    while isinstance(value, list):
        d += 1
        value = value[0] if value else None
    return d


class _Editor:
    """One param editor: the widget and how to show a value without emitting."""

    def __init__(self, widget, setter) -> None:
        self.widget = widget
        self.setter = setter

    def set(self, value) -> None:
        self.widget.blockSignals(True)
        try:
            self.setter(value)
        finally:
            self.widget.blockSignals(False)


class LiteralEditor(QWidget):
    """A table for a 0-, 1- or 2-D tensor literal, with row/column buttons; text for more."""

    edited = Signal(object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(self)
        self.table.horizontalHeader().setDefaultSectionSize(56)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.text = QLineEdit(self)
        self.dims = 1
        buttons = QHBoxLayout()
        self.buttons = {}
        for label in ("+row", "-row", "+col", "-col"):
            b = QPushButton(label, self)
            b.setObjectName(f"literal_{label}")
            b.clicked.connect(lambda _=False, op=label: self._resize(op))
            buttons.addWidget(b)
            self.buttons[label] = b
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        self.table.itemChanged.connect(self._cell_changed)
        self.text.editingFinished.connect(self._text_done)
        self._value = [0.0]

    def set_value(self, value) -> None:
        if value == self._value and self.table.rowCount():
            return  # the echo of our own edit: rebuilding would delete the emitting item
        self._value = value
        self.dims = _literal_dims(value)
        table_ok = self.dims <= 2
        self.table.setVisible(table_ok)
        for b in self.buttons.values():
            b.setVisible(table_ok)
        self.text.setVisible(not table_ok)
        self.text.setText(repr(value))
        if not table_ok:
            return
        rows = self._as_rows(value)
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        self.table.setColumnCount(max((len(r) for r in rows), default=0))
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                self.table.setItem(i, j, QTableWidgetItem(repr(v)))
        self.table.blockSignals(False)
        self.buttons["+row"].setEnabled(self.dims == 2)
        self.buttons["-row"].setEnabled(self.dims == 2 and len(rows) > 1)
        self.buttons["+col"].setEnabled(self.dims >= 1)
        self.buttons["-col"].setEnabled(self.dims >= 1 and self.table.columnCount() > 1)
        h = 24 + 22 * min(len(rows), 6)
        self.table.setFixedHeight(h)

    def _as_rows(self, value) -> list[list]:
        if self.dims == 0:
            return [[value]]
        if self.dims == 1:
            return [list(value)]
        return [list(r) for r in value]

    def value(self):
        return self._value

    def _read_table(self):
        rows = []
        for i in range(self.table.rowCount()):
            row = []
            for j in range(self.table.columnCount()):
                item = self.table.item(i, j)
                row.append(parse_cell(item.text() if item else "0"))
            rows.append(row)
        if self.dims == 0:
            return rows[0][0]
        if self.dims == 1:
            return rows[0]
        return rows

    def _cell_changed(self, item) -> None:
        try:
            value = self._read_table()
        except ValueError:
            self.table.blockSignals(True)
            self.set_value(self._value)  # put the last good value back
            self.table.blockSignals(False)
            return
        self._value = value
        self.edited.emit(value)

    def _text_done(self) -> None:
        import ast
        try:
            value = ast.literal_eval(self.text.text())
        except (ValueError, SyntaxError):
            return
        if value != self._value:
            self._value = value
            self.edited.emit(value)

    def _resize(self, op: str) -> None:
        value = self._value
        zero = 0.0 if self._any_float(value) else 0
        if self.dims == 1:
            value = list(value) + [zero] if op == "+col" else list(value)[:-1]
        elif self.dims == 2:
            rows = [list(r) for r in value]
            ncol = len(rows[0]) if rows else 1
            if op == "+row":
                rows.append([zero] * ncol)
            elif op == "-row":
                rows = rows[:-1]
            elif op == "+col":
                rows = [r + [zero] for r in rows]
            else:
                rows = [r[:-1] for r in rows]
            value = rows
        else:
            return
        self.set_value(value)
        self.edited.emit(value)

    @staticmethod
    def _any_float(v) -> bool:
        if isinstance(v, list):
            return any(LiteralEditor._any_float(x) for x in v)
        return isinstance(v, float)


class NumberBox(QAbstractSpinBox):
    """A spin box over Python ints or floats: unbounded unless the catalog bounds the param,
    inf/nan for floats, and None (shown as "None", typed as an empty field) when the param is
    optional. Arrow keys step; typing submits on Enter or focus-out. It never raises: text it
    cannot read is marked invalid and the last value stays."""

    valueChanged = Signal(object)  # noqa: N815 (Qt naming)

    def __init__(self, cast=int, optional: bool = False, minimum=None, maximum=None,
                 parent=None) -> None:
        super().__init__(parent)
        self.cast = cast
        self.optional = optional
        self._min = None if minimum is None else cast(minimum)
        self._max = None if maximum is None else cast(maximum)
        self.step = 1 if cast is int else 0.1
        self._value = None if optional else cast(0)
        self.setKeyboardTracking(False)
        self.editingFinished.connect(self._commit_text)
        self._show()

    def value(self):
        return self._value

    def sizeHint(self):  # noqa: N802 - as wide as a line edit, not as the empty base class
        hint = super().sizeHint()
        hint.setWidth(max(hint.width(), self.fontMetrics().horizontalAdvance("0" * 17)))
        return hint

    def minimum(self):
        return self._min

    def maximum(self):
        return self._max

    def setValue(self, value) -> None:  # noqa: N802 (Qt naming)
        """Show ``value`` (whatever the model holds); emit valueChanged when it changed."""
        value = self._coerce(value)
        changed = not _same_number(value, self._value)
        self._value = value
        self._show()
        if changed:
            self.valueChanged.emit(value)

    def text_from_value(self, value) -> str:
        if value is None:
            return "None"
        return str(value) if self.cast is int else repr(float(value))

    def _coerce(self, value):
        if value is None:
            return None if self.optional else self._value
        try:
            return self.cast(value)
        except (TypeError, ValueError, OverflowError):  # e.g. int(nan): keep the last value
            return self._value

    def _show(self) -> None:
        self.lineEdit().setText(self.text_from_value(self._value))
        _mark_invalid(self, None)

    def _commit_text(self) -> None:
        text = self.lineEdit().text().strip()
        if self.optional and text.lower() in ("", "none"):
            self.setValue(None)
            return
        try:
            value = int(text) if self.cast is int else float(text)
        except ValueError:
            kind = "an int" if self.cast is int else "a float"
            _mark_invalid(self, f"cannot read {text!r} as {kind}")
            return
        self.setValue(value)

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt naming)
        start = self._min if self._min is not None else self.cast(0)
        if self._value is None:  # None steps up to the smallest value, never down
            value = start if steps > 0 else None
        elif self._value != self._value:  # nan
            value = start
        else:
            value = self._value + steps * self.step
            if self.cast is float:
                value = round(value, 12)
            if self._min is not None and value < self._min:
                value = None if self.optional else self._min
            elif self._max is not None and value > self._max:
                value = self._max
        self.setValue(value)

    def stepEnabled(self):  # noqa: N802 (Qt naming)
        flags = QAbstractSpinBox.StepEnabledFlag
        up = self._max is None or self._value is None or self._value < self._max
        down = self._value is not None and (
            self._min is None or self._value > self._min or self.optional)
        return (flags.StepUpEnabled if up else flags.StepNone) | (
            flags.StepDownEnabled if down else flags.StepNone)


def _same_number(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if a != a and b != b:  # nan == nan for "did it change"
        return True
    return a == b and type(a) is type(b)

def _mark_invalid(w, reason: str | None) -> None:
    """Flag an unreadable entry; the QSS styles QLineEdit[invalid="true"]."""
    if bool(w.property("invalid")) == (reason is not None):
        return
    w.setProperty("invalid", reason is not None)
    w.setToolTip(reason or "")
    w.style().unpolish(w)
    w.style().polish(w)
