"""The inspector: the selected node's name, flags and parameters, and its value and gradient.

Editors are built from the op's catalog Params. The inspector never writes the model: every edit
is an intent (paramEdited / renamed / flagEdited) that the app turns into an undoable command;
it emits on every change so the app can merge consecutive edits of one field into one step.
"""
from __future__ import annotations

import re
import sys

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from engine._tensor import NON_LEAF_GRAD_WARNING
from widgets.fonts import monospace_font
from widgets.param_editors import (  # noqa: F401 (re-exported: tests and the app import them here)
    LiteralEditor,
    NumberBox,
    _Editor,
    _literal_dims,
    _mark_invalid,
    _same_number,
    format_ints,
    parse_cell,
    parse_ints,
    parse_number,
)
from widgets.subscription import follow

FLAG_LABELS = (("requires_grad", "requires_grad"), ("retain_grad", "retain_grad"),
               ("frozen_output", "freeze output (detach)"))


class InspectorWidget(QWidget):
    paramEdited = Signal(str, str, object)  # noqa: N815
    renamed = Signal(str, str)
    flagEdited = Signal(str, str, bool)  # noqa: N815

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.document = None
        self.node_id: str | None = None
        self.result = None
        self.editors: dict[str, _Editor] = {}
        self.flag_boxes: dict[str, QCheckBox] = {}
        self._unsubscribe = None
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)
        self.mono = monospace_font()
        self.why_provider = None  # node id -> why_none.Explanation (set_why_provider)
        self.why_row = None
        self.saved_provider = None  # node id -> saved_tensors.SavedSummary list
        self.saved_hover = None  # callable(node id, "" on leave): a saved tensor's row hovered
        self.saved_box = None
        self._build_empty()

    # ------------------------------------------------------------------ public
    def set_node(self, document, node_id, result=None) -> None:
        """Show `node_id` of `document` (None: nothing selected)."""
        if document is not self.document:
            self._detach()
            self.document = document
            if document is not None:
                self._attach(document)
        self.node_id = node_id
        self.result = result
        if document is None or node_id is None or node_id not in document.nodes:
            self.node_id = None
            self._build_empty()
        else:
            self._build()

    def set_why_provider(self, provider) -> None:
        """``provider(node_id)`` explains a None .grad (the autograd controls set it)."""
        self.why_provider = provider
        if self.why_row is not None and shiboken6.isValid(self.why_row):
            self.why_row.provider = provider

    def set_saved_provider(self, provider, hovered=None) -> None:
        """``provider(node_id)`` lists what the node's grad_fns saved (autograd controls);
        ``hovered(node_id)`` is told which saved tensor's source is under the pointer."""
        self.saved_provider = provider
        self.saved_hover = hovered
        if self.saved_box is not None and shiboken6.isValid(self.saved_box):
            self.saved_box.provider = provider
            if hovered is not None:
                self.saved_box.sourceHovered.connect(hovered)

    def set_result(self, result) -> None:
        self.result = result
        if self.node_id is not None:
            self._show_result()

    def detach(self) -> None:
        self._detach()
        self.document = None
        self.node_id = None

    def closeEvent(self, event) -> None:  # noqa: N802
        self._detach()
        super().closeEvent(event)

    # ------------------------------------------------------------------ document events
    def _attach(self, document) -> None:
        self._unsubscribe = follow(document, self)

    def _detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def is_attached(self) -> bool:
        return self._unsubscribe is not None

    def _on_event(self, ev) -> None:
        """A document event. Runs inside the model's notification, before the app records the
        undo step: an exception here would escape into the model's caller and lose that step,
        so it is reported (the log shows it) and never raised."""
        try:
            self._follow_event(ev)
        except Exception:  # noqa: BLE001
            _report_exception()

    def _follow_event(self, ev) -> None:
        if self.node_id is None:
            return
        if ev.kind == "reset" or (ev.kind == "node_removed" and ev.node_id == self.node_id):
            if self.node_id in self.document.nodes:
                self._build()
            else:
                self.node_id = None
                self._build_empty()
        elif ev.kind == "node_changed" and ev.node_id == self.node_id:
            self._refresh_values()
        elif ev.kind in ("wire_added", "wire_removed") and ev.node_id == self.node_id:
            self._show_wiring()

    def _show_wiring(self) -> None:
        """Grey the params a wired input replaces (add's scalar once other is wired)."""
        from engine.document import catalog
        node = self.document.nodes[self.node_id]
        spec = catalog.get(node.op)
        replaced = wired_params(spec, self.document.inputs_of(self.node_id))
        for param in spec.params:
            editor = self.editors.get(param.name)
            if editor is None:
                continue
            port = replaced.get(param.name)
            editor.widget.setEnabled(port is None)
            editor.widget.setToolTip(f"not used: {port} is wired" if port else param.doc)

    def _refresh_values(self) -> None:
        node = self.document.nodes[self.node_id]
        self.name_edit.blockSignals(True)
        self.name_edit.setText(node.name)
        self.name_edit.blockSignals(False)
        for flag, box in self.flag_boxes.items():
            box.blockSignals(True)
            box.setChecked(bool(getattr(node, flag)))
            box.blockSignals(False)
        for name, editor in self.editors.items():
            if name in node.params:
                editor.set(node.params[name])

    # ------------------------------------------------------------------ building
    def _new_page(self) -> tuple[QWidget, QVBoxLayout]:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        old = self.scroll.takeWidget()
        for view in (getattr(self, "value_view", None), getattr(self, "grad_view", None)):
            if view is not None and shiboken6.isValid(view):
                view.hide()
                view.setParent(self)  # keep the panels: the old page is deleted below
        if old is not None:
            # a dying page must not send edits (a focus-out editingFinished) for the next node
            for child in old.findChildren(QWidget):
                child.blockSignals(True)
            old.deleteLater()
        self.scroll.setWidget(page)
        return page, layout

    def _build_empty(self) -> None:
        self.editors = {}
        self.flag_boxes = {}
        _, layout = self._new_page()
        label = QLabel("Select a node to see its parameters.")
        label.setObjectName("inspectorEmpty")
        label.setWordWrap(True)
        layout.addWidget(label)
        layout.addStretch(1)

    def _build(self) -> None:
        from engine.document import catalog
        node = self.document.nodes[self.node_id]
        spec = catalog.get(node.op)
        self.spec = spec
        self.editors = {}
        self.flag_boxes = {}
        page, layout = self._new_page()
        title = QLabel(f"<b>{spec.title}</b>  <span style='color:gray'>{spec.category}</span>")
        title.setObjectName("inspectorTitle")
        layout.addWidget(title)
        if spec.doc:
            doc = QLabel(spec.doc)
            doc.setWordWrap(True)
            doc.setObjectName("inspectorDoc")
            layout.addWidget(doc)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(form)

        self.name_edit = QLineEdit(node.name)
        self.name_edit.setObjectName("name")
        self.name_edit.editingFinished.connect(self._name_done)
        form.addRow("name", self.name_edit)

        for flag, label in FLAG_LABELS:
            if flag == "requires_grad" and not spec.is_source:
                continue  # only leaves may set requires_grad (torch's rule)
            box = QCheckBox(label)
            box.setObjectName(flag)
            box.setChecked(bool(getattr(node, flag)))
            box.toggled.connect(lambda v, f=flag: self.flagEdited.emit(self.node_id, f, bool(v)))
            self.flag_boxes[flag] = box
            form.addRow("", box)

        for param in spec.params:
            value = node.params.get(param.name, param.default)
            try:
                editor = self._make_editor(param)
                editor.set(value)
            except Exception:  # noqa: BLE001 - one odd value must not leave a half-built page
                _report_exception()
                editor = _read_only_editor()
                editor.set(value)
            editor.widget.setObjectName(param.name)
            if param.doc:
                editor.widget.setToolTip(param.doc)
            self.editors[param.name] = editor
            form.addRow(param.name, editor.widget)
        self._show_wiring()

        self.result_label = QLabel()
        self.result_label.setObjectName("resultSummary")
        self.result_label.setWordWrap(True)
        layout.addWidget(self.result_label)
        self._tensor_views()
        for view in (self.value_view, self.grad_view):
            layout.addWidget(view, 1)
            view.show()
        # torch's UserWarning for .grad of a non-leaf (TensorView shows it itself)
        # parented to the page even when the rich views show the warning themselves and the
        # label stays out of the layout: a parentless label would be a stray top-level widget
        self.grad_warning = QLabel(page)
        self.grad_warning.hide()
        self.grad_warning.setObjectName("gradWarning")
        self.grad_warning.setWordWrap(True)
        self.grad_warning.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if not self._rich_views:
            layout.addWidget(self.grad_warning)
        from widgets.why_grad import WhyGradRow
        opened = self.why_row is not None and shiboken6.isValid(self.why_row) and \
            self.why_row.opened
        self.why_row = WhyGradRow(self.why_provider, page, opened)
        layout.addWidget(self.why_row)
        from widgets.saved_view import SavedTensorsBox
        self.saved_box = SavedTensorsBox(self.saved_provider, page)
        if self.saved_hover is not None:
            self.saved_box.sourceHovered.connect(self.saved_hover)
        layout.addWidget(self.saved_box)
        layout.addStretch(0 if self._rich_views else 1)
        self._show_result()

    def _tensor_views(self) -> None:
        """The value and .grad panels: widgets.tensor_view.TensorView (torch-printed text and
        a heatmap) when it is available, plain text otherwise. Built once and moved from page
        to page: pyqtgraph plots are too costly to rebuild on every selection."""
        if getattr(self, "value_view", None) is not None:
            return
        try:
            from widgets.tensor_view import TensorView
        except ImportError:  # pragma: no cover - pyqtgraph missing: text only
            TensorView = None  # noqa: N806
        self._rich_views = TensorView is not None
        if self._rich_views:
            before = {id(w) for w in QApplication.topLevelWidgets()}
            self.value_view, self.grad_view = TensorView(), TensorView()
            # pyqtgraph builds its context menus without a parent: left alone they outlive
            # the window as top-level widgets. Owned by the inspector, they go with it.
            for w in QApplication.topLevelWidgets():
                if id(w) not in before and isinstance(w, QMenu) and w.parent() is None:
                    w.setParent(self, w.windowFlags())
            self.value_text = self.value_view.text_view
            self.grad_text = self.grad_view.text_view
        else:
            self.value_view, self.grad_view = QPlainTextEdit(), QPlainTextEdit()
            for v in (self.value_view, self.grad_view):
                v.setReadOnly(True)
                v.setFont(self.mono)
                v.setMaximumHeight(140)
            self.value_text, self.grad_text = self.value_view, self.grad_view
        self.value_view.setObjectName("valueView")
        self.grad_view.setObjectName("gradView")
        self.value_text.setObjectName("valueText")
        self.grad_text.setObjectName("gradText")

    def _show_result(self) -> None:
        r = self.result
        if r is None:
            self.result_label.setText("")
            self._show_tensors(None)
            self.value_text.setPlainText("")
            self.grad_text.setPlainText("")
            return
        if getattr(r, "error", None):
            self.result_label.setText(f"<span style='color:#ef5b5b'>{_esc(r.error)}</span>")
        elif getattr(r, "blocked_by", None):
            self.result_label.setText(f"blocked: upstream node {_esc(r.blocked_by)} failed")
        else:
            leaf_note = " (AccumulateGrad fills its .grad)" if r.requires_grad and r.is_leaf \
                else ""
            self.result_label.setText(
                f"shape {list(r.shape) if r.shape is not None else '?'} · {r.dtype} · "
                f"requires_grad={r.requires_grad} · is_leaf={r.is_leaf} · "
                f"grad_fn={r.grad_fn}{leaf_note}")
        self._show_tensors(r)

    def _show_tensors(self, r) -> None:
        name = self.document.nodes[self.node_id].name if self.document is not None and \
            self.node_id in self.document.nodes else ""
        node = self.document.nodes.get(self.node_id) if self.document is not None else None
        value = getattr(r, "value", None) if r is not None else None
        grad = getattr(r, "grad", None) if r is not None else None
        # torch warns (and returns None) for .grad of a non-leaf that does not retain it
        warn = None
        if value is not None and grad is None and not r.is_leaf and \
                not (node is not None and node.retain_grad):
            warn = NON_LEAF_GRAD_WARNING
        self.grad_warning.setText(f"UserWarning: {warn}" if warn else "")
        if self.why_row is not None and shiboken6.isValid(self.why_row):
            self.why_row.show_for(self.node_id, value is not None and grad is None)
        if self.saved_box is not None and shiboken6.isValid(self.saved_box):
            self.saved_box.show_for(self.node_id if value is not None else None)
        if not self._rich_views:
            self.grad_warning.setVisible(bool(warn))
        if self._rich_views:
            self.value_view.set_tensor(value, "value", name)
            self.grad_view.set_tensor(grad, "grad", f"{name}.grad" if name else ".grad",
                                      warning=warn)
            return
        self.value_text.setPlainText("" if value is None else repr(value))
        self.grad_text.setPlainText("None" if grad is None else repr(grad))

    def _name_done(self) -> None:
        text = self.name_edit.text().strip()
        node = self.document.nodes.get(self.node_id) if self.document else None
        if node is not None and text and text != node.name:
            self.renamed.emit(self.node_id, text)

    def _emit(self, name: str, value) -> None:
        if self.node_id is not None:
            self.paramEdited.emit(self.node_id, name, value)

    # ------------------------------------------------------------------ editors per kind
    def _make_editor(self, p) -> _Editor:
        kind = p.kind
        name = p.name
        if kind in ("int", "float"):
            # a spin box of Python numbers: any int the model holds (-2**63 and beyond, where
            # QSpinBox stops at 2**31), inf/nan for floats, and None for optional params
            w = NumberBox(int if kind == "int" else float, optional=p.optional,
                          minimum=p.minimum, maximum=p.maximum)
            w.valueChanged.connect(lambda v: self._emit(name, v))
            return _Editor(w, w.setValue)
        if kind == "bool":
            w = QCheckBox()
            w.toggled.connect(lambda v: self._emit(name, bool(v)))
            return _Editor(w, lambda v: w.setChecked(bool(v)))
        if kind in ("choice", "dtype"):
            w = QComboBox()
            values = list(p.choices)
            if p.optional:
                values = [None] + values
            for v in values:
                w.addItem("None (inferred)" if v is None else str(v), v)
            w.currentIndexChanged.connect(lambda i: self._emit(name, w.itemData(i)))
            return _Editor(w, lambda v: w.setCurrentIndex(max(0, values.index(v))
                                                          if v in values else 0))
        if kind in ("shape", "dims", "number", "str"):
            w = QLineEdit()
            if p.optional:
                w.setPlaceholderText("None")
            parse = {"shape": parse_ints, "dims": self._parse_dims, "number": parse_number,
                     "str": str}[kind]

            def done(w=w, parse=parse):
                text = w.text()
                if p.optional and not text.strip():
                    value = None
                else:
                    try:
                        value = parse(text)
                    except ValueError:
                        _mark_invalid(w, f"cannot read {text!r} as a {kind}")
                        return
                _mark_invalid(w, None)
                if w.property("shown") != repr(value):
                    w.setProperty("shown", repr(value))
                    self._emit(name, value)

            def show(v, w=w):
                w.setProperty("shown", repr(v))
                if v is None:
                    w.setText("")
                elif kind == "shape":
                    w.setText(format_ints(v))
                elif kind == "dims":
                    w.setText(format_ints(v) if isinstance(v, (tuple, list)) else str(v))
                else:
                    w.setText(str(v))

            w.editingFinished.connect(done)
            return _Editor(w, show)
        if kind == "literal":
            w = LiteralEditor()
            w.edited.connect(lambda v: self._emit(name, v))
            return _Editor(w, w.set_value)
        return _read_only_editor()  # unknown kind: show it read-only rather than fail

    @staticmethod
    def _parse_dims(text: str):
        ints = parse_ints(text)
        if len(ints) == 1 and "," not in text and "(" not in text and "[" not in text:
            return ints[0]
        return ints


def _read_only_editor() -> _Editor:
    w = QLineEdit()
    w.setReadOnly(True)
    return _Editor(w, lambda v: w.setText(repr(v)))


def wired_params(spec, wires) -> dict[str, str]:
    """``{param: port}`` for the params a wired input replaces. The catalog says it in the
    param's doc ("used when other is not wired"): add's ``scalar`` when ``other`` is wired."""
    wired = {w.port for w in wires}
    found = {}
    for p in spec.params:
        m = _REPLACED_BY.search(p.doc or "")
        if m and m.group(1) in wired:
            found[p.name] = m.group(1)
    return found


_REPLACED_BY = re.compile(r"used when (\w+) is not wired")


def _report_exception() -> None:
    """An exception in a view's slot: to sys.excepthook (the app's log and stderr), not up."""
    sys.excepthook(*sys.exc_info())



def _esc(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

