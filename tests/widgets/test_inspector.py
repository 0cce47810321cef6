"""The inspector against what random use found: optional (None) params, ints beyond 32 bits,
non-finite floats, a subscriber exception, params a wire replaces, pages that pile up."""
from __future__ import annotations

import math
import sys

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.document import catalog
from engine.document.catalog import INT_MAX, INT_MIN
from engine.document.errors import DocumentError
from engine.document.model import Document
from widgets.inspector import InspectorWidget

from .conftest import tutorial_doc

pytestmark = pytest.mark.gui


@pytest.fixture
def hooked(monkeypatch):
    """Exceptions that reach sys.excepthook (where Qt sends a slot's exception)."""
    seen = []
    monkeypatch.setattr(sys, "excepthook", lambda t, e, tb: seen.append(e))
    return seen


@pytest.fixture
def inspector(qtbot):
    w = InspectorWidget()
    qtbot.addWidget(w)
    w.resize(360, 800)
    w.show()
    events = []
    w.paramEdited.connect(lambda *a: events.append(a))
    yield w, events
    w.detach()


def _type(widget, text):
    widget.setFocus()
    widget.lineEdit().selectAll() if hasattr(widget, "lineEdit") else widget.selectAll()
    QTest.keyClick(widget, Qt.Key.Key_Delete)
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def test_nan_to_num_optional_float_params_show_and_submit_none(inspector, hooked):
    w, events = inspector
    d = Document()
    nid = d.add_node("nan_to_num").id
    w.set_node(d, nid)
    assert hooked == []
    assert w.result_label.objectName() == "resultSummary"  # the page is whole
    posinf = w.editors["posinf"].widget
    assert posinf.text() == "None" and w.editors["nan"].widget.text() == "0.0"
    _type(posinf, "1e4")
    assert events[-1] == (nid, "posinf", 10000.0)
    _type(posinf, "")  # an empty field is None again
    assert events[-1] == (nid, "posinf", None) and posinf.text() == "None"
    _type(w.editors["neginf"].widget, "-inf")
    assert events[-1][:2] == (nid, "neginf") and events[-1][2] == -math.inf
    n = len(events)
    _type(w.editors["nan"].widget, "lots")  # unreadable: marked, no intent, no exception
    assert len(events) == n and w.editors["nan"].widget.property("invalid")
    assert hooked == []


def test_every_op_builds_its_page_with_the_catalog_defaults(inspector, hooked):
    w, _ = inspector
    d = Document()
    for key in catalog.CATALOG:
        nid = d.add_node(key).id
        w.set_node(d, nid)
        assert set(w.editors) == {p.name for p in catalog.get(key).params}, key
        w.set_result(None)
    assert hooked == []


def test_int_editor_holds_the_models_whole_range(inspector, hooked):
    w, events = inspector
    d = Document()
    nid = d.add_node("randint").id
    w.set_node(d, nid)
    d.set_param(nid, "low", INT_MIN)  # the model's whole range: beyond QSpinBox's defaults
    d.set_param(nid, "high", INT_MAX)
    assert w.editors["low"].widget.text() == str(INT_MIN)
    assert w.editors["high"].widget.text() == str(INT_MAX)
    _type(w.editors["high"].widget, str(INT_MAX - 5))
    assert events[-1] == (nid, "high", INT_MAX - 5)
    QTest.keyClick(w.editors["high"].widget, Qt.Key.Key_Up)
    assert events[-1] == (nid, "high", INT_MAX - 4)
    t = d.add_node("transpose").id
    w.set_node(d, t)
    try:  # the model may refuse it with its own message; then it keeps the old value
        d.set_param(t, "dim0", -2**63)
    except DocumentError:
        pass
    assert w.editors["dim0"].widget.text() == str(d.nodes[t].params["dim0"])
    assert hooked == []


def test_an_exception_in_the_inspector_never_escapes_into_the_model(inspector, hooked,
                                                                    monkeypatch):
    """The model notifies subscribers inside set_param, before the app records the undo step:
    a raising subscriber would lose the step (the next undo then removes a node instead)."""
    w, _ = inspector
    d = Document()
    nid = d.add_node("transpose").id
    w.set_node(d, nid)

    def boom():
        raise OverflowError("Python int too large to convert to C int")
    monkeypatch.setattr(w, "_refresh_values", boom)
    d.set_param(nid, "dim0", 1)  # does not raise
    assert d.nodes[nid].params["dim0"] == 1
    assert [type(e) for e in hooked] == [OverflowError]  # reported (the app's log shows it)


def test_a_wired_input_greys_the_param_it_replaces(inspector):
    w, _ = inspector
    d = tutorial_doc()  # n6 = add(xw, b): other is wired
    w.set_node(d, "n6")
    scalar = w.editors["scalar"].widget
    assert not scalar.isEnabled() and "other is wired" in scalar.toolTip()
    d.disconnect(next(x for x in d.inputs_of("n6") if x.port == "other"))
    assert scalar.isEnabled() and "not wired" in scalar.toolTip()
    d.connect("n4", "n6", "other")
    assert not scalar.isEnabled()


def _counts(w):
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)  # as the loop does
    return len(w.findChildren(QObject)), len(QApplication.allWidgets())


def test_300_selections_keep_the_widget_count_flat(inspector, hooked):
    w, _ = inspector
    d = tutorial_doc()
    ids = list(d.nodes)

    def select(n):
        for i in range(n):
            w.set_node(d, ids[i % len(ids)] if i % 5 else None)
            QApplication.processEvents()
        w.set_node(d, ids[0])
        return _counts(w)
    before = select(30)  # first use builds the value/grad panels once
    assert select(300) == before
    assert hooked == []
