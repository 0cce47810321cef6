"""The inspector: the selected node's name, flags and parameters, and its value and gradient.

Two panes in a vertical splitter (as Qt Creator's and napari's side panels do): the params
page scrolls on top; the value and .grad panels sit below it, sized to what they show, so
both stay in view whatever the op's param list (issue 9: at 1440x900 the .grad of `w` was
eleven wheel notches down). A splitter the user dragged keeps the user's sizes.

Editors are built from the op's catalog Params. The inspector never writes the model: every edit
is an intent (paramEdited / renamed / flagEdited) that the app turns into an undoable command;
it emits on every change so the app can merge consecutive edits of one field into one step.
"""
from __future__ import annotations

import re
import sys

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
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
    QSplitter,
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

MIN_PARAMS_HEIGHT = 140  # the params page keeps room for the title, name and a flag or two
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
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setMinimumHeight(MIN_PARAMS_HEIGHT)
        # value, .grad and the "why?" of a None .grad: built once, shown for every node
        self.tensor_pane = QWidget()
        self.tensor_pane.setObjectName("tensorPane")
        self._pane_layout = QVBoxLayout(self.tensor_pane)
        self._pane_layout.setContentsMargins(8, 4, 8, 4)
        self._pane_layout.setSpacing(4)
        self.tensor_pane.hide()
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("inspectorSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.scroll)
        self.splitter.addWidget(self.tensor_pane)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.splitterMoved.connect(self._user_split)
        self._split_by_user = False
        self._fitting = False
        self._rich_views = False
        # re-split once the layouts have settled (a page's wrapped labels, new heatmaps)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_split)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.splitter)
        self.mono = monospace_font()
        self.why_provider = None  # node id -> why_none.Explanation (set_why_provider)
        self.why_row = None
        self.saved_provider = None  # node id -> saved_tensors.SavedSummary list
        self.saved_hover = None  # callable(node id, "" on leave): a saved tensor's row hovered
        self.saved_box = None
        self.value_view = None
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
        self.tensor_pane.hide()  # nothing to show: the page gets the whole height

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
        from widgets.saved_view import SavedTensorsBox
        self.saved_box = SavedTensorsBox(self.saved_provider, page)
        if self.saved_hover is not None:
            self.saved_box.sourceHovered.connect(self.saved_hover)
        layout.addWidget(self.saved_box)
        layout.addStretch(1)
        self._tensor_views()
        self.tensor_pane.show()
        self._show_result()

    def _tensor_views(self) -> None:
        """The value and .grad panels: widgets.tensor_view.TensorView (torch-printed text and
        a heatmap) when it is available, plain text otherwise. Built once, in the lower pane:
        pyqtgraph plots are too costly to rebuild on every selection."""
        if self.value_view is not None:
            return
        try:
            from widgets.tensor_view import TensorView
        except ImportError:  # pragma: no cover - pyqtgraph missing: text only
            TensorView = None  # noqa: N806
        self._rich_views = TensorView is not None
        pane = self.tensor_pane
        if self._rich_views:
            # the wrappers themselves, held: ids of wrappers let go are reused, and a menu
            # another owner already had was taken (and later deleted under it)
            before = set(QApplication.topLevelWidgets())
            self.value_view, self.grad_view = TensorView(pane), TensorView(pane)
            # pyqtgraph builds its context menus without a parent: left alone they outlive
            # the window as top-level widgets. Owned by the inspector, they go with it.
            for w in QApplication.topLevelWidgets():
                if w not in before and isinstance(w, QMenu) and w.parent() is None:
                    w.setParent(self, w.windowFlags())
            del before
            self.value_text = self.value_view.text_view
            self.grad_text = self.grad_view.text_view
            for v in (self.value_view, self.grad_view):
                v.layout().setContentsMargins(0, 0, 0, 0)
                v.sizeChanged.connect(self._fit_later)
        else:
            self.value_view, self.grad_view = QPlainTextEdit(pane), QPlainTextEdit(pane)
            for v in (self.value_view, self.grad_view):
                v.setReadOnly(True)
                v.setFont(self.mono)
                v.setMaximumHeight(140)
            self.value_text, self.grad_text = self.value_view, self.grad_view
        self.value_view.setObjectName("valueView")
        self.grad_view.setObjectName("gradView")
        self.value_text.setObjectName("valueText")
        self.grad_text.setObjectName("gradText")
        # torch's UserWarning for .grad of a non-leaf (a TensorView shows it itself)
        self.grad_warning = QLabel(pane)
        self.grad_warning.hide()
        self.grad_warning.setObjectName("gradWarning")
        self.grad_warning.setWordWrap(True)
        self.grad_warning.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        from widgets.why_grad import WhyGradRow
        self.why_row = WhyGradRow(self.why_provider, pane)
        lay = self._pane_layout
        lay.addWidget(self.value_view)
        lay.addWidget(self.grad_view)
        lay.addWidget(self.grad_warning)
        lay.addWidget(self.why_row)
        lay.addStretch(1)

    # ------------------------------------------------------------------ the split
    def _user_split(self, *_args) -> None:
        self._split_by_user = True

    def _fit_split(self) -> None:
        """Give the tensor pane the height it asks for (what value and .grad need, compact
        heatmaps included), the params page the rest but at least MIN_PARAMS_HEIGHT. Room
        left over once the params are all in view goes to the heatmaps' rows."""
        if self._fitting or self._split_by_user or not self.tensor_pane.isVisibleTo(self):
            return
        total = self.splitter.height() - self.splitter.handleWidth()
        if total <= 0:
            return
        self._fitting = True  # resizing the heatmaps re-enters through sizeChanged
        try:
            if self._rich_views:
                self._grow_heatmaps(total)
            want = self._pane_height()
            pane = max(0, min(want, total - MIN_PARAMS_HEIGHT))
            if self.splitter.sizes() != [total - pane, pane]:
                self.splitter.setSizes([total - pane, pane])
        finally:
            self._fitting = False

    def _grow_heatmaps(self, total: int) -> None:
        from widgets.tensor_view import HEATMAP_ROW_PX
        views = (self.value_view, self.grad_view)
        for v in views:
            v.set_row_px(HEATMAP_ROW_PX)  # compact first: what the pane needs at least
        rows = sum(v.heatmap_rows() for v in views)
        params = max(MIN_PARAMS_HEIGHT, self._params_height())
        spare = total - params - self._pane_height()
        if rows and spare > 0:
            for v in views:
                v.set_row_px(HEATMAP_ROW_PX + spare // rows)

    def _pane_height(self) -> int:
        """The tensor pane's preferred height now (the layouts cache theirs until told)."""
        for v in (self.value_view, self.grad_view):
            if v is not None and v.layout() is not None:
                v.layout().invalidate()
        self._pane_layout.invalidate()
        return self.tensor_pane.sizeHint().height()

    def _params_height(self) -> int:
        """The params page's height at the scroll area's width (wrapped labels included)."""
        page = self.scroll.widget()
        if page is None:
            return 0
        lay = page.layout()
        if lay is not None and lay.hasHeightForWidth():
            return lay.totalHeightForWidth(self.scroll.viewport().width())
        return page.sizeHint().height()

    def _fit_later(self) -> None:
        self._fit_timer.start()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_split()
        self._fit_later()  # and again once the page has its new width

    def _show_result(self) -> None:
        r = self.result
        if r is None:
            self.result_label.setText("")
            self._show_tensors(None)
            self.value_text.setPlainText("")
            self.grad_text.setPlainText("")
            self._fit_later()
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
        self._fit_later()

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

