"""The equivalent PyTorch code of the document, in a read-only, highlighted text view.

The text is `engine.document.export.to_script` (the one exporter the CLI and "Verify with
PyTorch" use too). A document that cannot be exported (an unconnected required input) shows
the exporter's message instead of code. Updates are lazy: `refresh()` only marks the text stale
while the view is hidden (it usually shares a tabbed dock with the log), and the text is built
when it is shown (connect the dock's ``visibilityChanged`` to `set_shown`) or read (`text()`),
so editing a big graph costs nothing here.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import (
    QFont,
    QGuiApplication,
    QSyntaxHighlighter,
    QTextCharFormat,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from . import theme
from .fonts import monospace_font

# literal values for sources holding more elements than this would be megabytes of text
MAX_LITERAL_ELEMENTS = 100_000

KEYWORDS = ("and as assert break class continue def del elif else except finally for from "
            "global if import in is lambda nonlocal not or pass raise return try while with "
            "yield True False None").split()
BUILTINS = ("print", "len", "range", "float", "int", "bool", "list", "tuple", "dict")


class PythonHighlighter(QSyntaxHighlighter):
    """Minimal Python colors: keywords, builtins, `torch`, numbers, strings, comments."""

    def __init__(self, document) -> None:
        super().__init__(document)
        self._rules: list[tuple[QRegularExpression, QTextCharFormat]] = []
        self._comment = QRegularExpression(r"#[^\n]*")
        self._string = QRegularExpression(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
        self.apply_theme()

    @staticmethod
    def _format(color_key: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
        f = QTextCharFormat()
        f.setForeground(theme.color(color_key))
        if bold:
            f.setFontWeight(QFont.Weight.Bold)
        f.setFontItalic(italic)
        return f

    def apply_theme(self) -> None:
        words = "|".join(KEYWORDS)
        self._rules = [
            (QRegularExpression(r"\b(?:torch|math|builtins)\b"), self._format("accent")),
            (QRegularExpression(rf"\b(?:{'|'.join(BUILTINS)})(?=\()"), self._format("accent")),
            (QRegularExpression(rf"\b(?:{words})\b"), self._format("grad_fn", bold=True)),
            (QRegularExpression(r"(?<![\w.])[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|\.\d+)\b"),
             self._format("port_out")),
        ]
        self._string_fmt = self._format("leaf")
        self._comment_fmt = self._format("text_muted", italic=True)
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802
        for rx, fmt in self._rules:
            it = rx.globalMatch(text)
            while it.hasNext():
                m = it.next()
                self.setFormat(m.capturedStart(), m.capturedLength(), fmt)
        strings = []
        it = self._string.globalMatch(text)
        while it.hasNext():
            m = it.next()
            strings.append((m.capturedStart(), m.capturedEnd()))
            self.setFormat(m.capturedStart(), m.capturedLength(), self._string_fmt)
        it = self._comment.globalMatch(text)
        while it.hasNext():  # a '#' inside a string literal is not a comment
            m = it.next()
            if not any(a <= m.capturedStart() < b for a, b in strings):
                self.setFormat(m.capturedStart(), len(text) - m.capturedStart(),
                               self._comment_fmt)
                break


class CodeView(QWidget):
    """``set_source(fn)`` with ``fn() -> (document, results or None)``; ``refresh()`` after
    each change. ``text()`` is the shown script (or the message), ``error()`` the exporter's
    message when the document cannot be exported (else None)."""

    literalToggled = Signal(bool)  # noqa: N815
    copied = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("codeView")
        self._source: Callable | None = None
        self._stale = True
        self._error: str | None = None
        self.build_count = 0  # how many times the script was built (tests, lazy updates)

        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("codeText")
        self.editor.setReadOnly(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setTabChangesFocus(True)
        self.editor.setFont(monospace_font())
        self.highlighter = PythonHighlighter(self.editor.document())

        self.message = QLabel(self)
        self.message.setObjectName("codeMessage")
        self.message.setWordWrap(True)
        self.message.hide()

        self.copy_button = QToolButton(self)
        self.copy_button.setObjectName("codeCopy")
        self.copy_button.setText("Copy")
        self.copy_button.setToolTip("Copy the script to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        self.literal_check = QCheckBox("literal values", self)
        self.literal_check.setObjectName("codeLiteral")
        self.literal_check.setToolTip(
            "Write every source as torch.tensor(<the values the app computed>), so torch "
            "reproduces this run exactly (the app's seeded generators are not torch's)")
        self.literal_check.toggled.connect(self._literal_toggled)

        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.copy_button)
        side.addWidget(self.literal_check)
        side.addStretch(1)
        main = QVBoxLayout()
        main.setContentsMargins(0, 0, 0, 0)
        main.setSpacing(2)
        main.addWidget(self.message)
        main.addWidget(self.editor, 1)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(4)
        lay.addLayout(main, 1)
        lay.addLayout(side)
        self.apply_theme()

    # -- source ------------------------------------------------------------------------
    def set_source(self, source: Callable | None) -> None:
        self._source = source
        self.refresh()

    def refresh(self) -> None:
        """The document changed: rebuild now if shown, else when shown or read."""
        self._stale = True
        if self.is_shown():
            self._update()

    def is_shown(self) -> bool:
        """On screen: a dock tab behind another one stays "visible" to Qt, moved out of
        its parent's area, so its visible region is what tells."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def set_shown(self, shown: bool) -> None:
        """Slot for the dock's ``visibilityChanged``: a tab brought to the front."""
        if shown and self._stale:
            self._update()

    def literal_values(self) -> bool:
        return self.literal_check.isChecked()

    def set_literal_values(self, on: bool) -> None:
        self.literal_check.setChecked(bool(on))

    def _literal_toggled(self, on: bool) -> None:
        self.literalToggled.emit(on)
        self.refresh()

    def text(self) -> str:
        if self._stale:
            self._update()
        return self.editor.toPlainText()

    def error(self) -> str | None:
        if self._stale:
            self._update()
        return self._error

    def script(self) -> tuple[str | None, str | None]:
        """(code, None) or (None, message): what the exporter makes of the document now."""
        from engine.document.errors import DocumentError
        from engine.document.export import to_script
        if self._source is None:
            return "", None
        doc, results = self._source()
        if doc is None:
            return "", None
        literal = self.literal_values()
        note = ""
        if literal:
            n = _source_elements(doc, results)
            if n > MAX_LITERAL_ELEMENTS:
                literal = False
                note = (f"# literal values left out: the sources hold {n:,} elements "
                        f"(more than {MAX_LITERAL_ELEMENTS:,})\n")
        try:
            code = to_script(doc, "torch", literal_values=literal, results=results or None,
                             prints="simple")
        except DocumentError as e:
            return None, str(e)
        return note + code, None

    def _update(self) -> None:
        self._stale = False
        self.build_count += 1
        code, err = self.script()
        self._error = err
        if err is not None:
            self.message.setText(f"Cannot write the PyTorch code: {err}")
            self.message.show()
            text = f"# Cannot write the PyTorch code:\n# {err}\n"
        else:
            self.message.hide()
            text = code or ""
        self.copy_button.setEnabled(err is None and bool(text))
        if text == self.editor.toPlainText():
            return
        bars = self.editor.verticalScrollBar(), self.editor.horizontalScrollBar()
        keep = [b.value() for b in bars]  # an edit should not jump the reader to the top
        self.editor.setPlainText(text)
        for b, v in zip(bars, keep):
            b.setValue(min(v, b.maximum()))

    # -- actions -----------------------------------------------------------------------
    def copy(self) -> str:
        text = self.text()
        if self._error is not None:
            return ""
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(text)
        return text

    def apply_theme(self) -> None:
        self.highlighter.apply_theme()
        self.message.setStyleSheet(f"color: {theme.current()['error']};")

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale and self.is_shown():  # a tab behind another one is "shown" too
            self._update()


def _source_elements(doc, results) -> int:
    """Elements the literal values would write (the computed source values)."""
    from engine.document import catalog
    total = 0
    for nid, node in doc.nodes.items():
        spec = catalog.CATALOG.get(node.op)
        if spec is None or not spec.is_source:
            continue
        r = (results or {}).get(nid)
        value = getattr(r, "value", None) if r is not None else None
        if value is not None:
            total += int(value._data.size) if hasattr(value, "_data") else int(value.numel())
        elif spec.numel is not None:
            try:
                total += int(spec.numel(catalog.validate_params(spec, node.params)))
            except Exception:  # noqa: BLE001 - an invalid source just counts as nothing
                pass
    return total


__all__ = ["CodeView", "PythonHighlighter", "MAX_LITERAL_ELEMENTS"]
