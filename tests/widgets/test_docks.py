"""Palette, Tab search popup and inspector driven with real events, offscreen."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.document import catalog
from engine.document.model import Document
from widgets.canvas import OP_MIME
from widgets.inspector import InspectorWidget, parse_ints, parse_number
from widgets.palette import PaletteWidget
from widgets.search_popup import OpSearchPopup

from .conftest import result

pytestmark = pytest.mark.gui


# -- palette ---------------------------------------------------------------------------------
@pytest.fixture
def palette(qtbot):
    w = PaletteWidget(catalog)
    qtbot.addWidget(w)
    w.resize(260, 700)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_palette_lists_every_op_by_category(palette):
    assert set(palette.visible_op_keys()) == set(catalog.CATALOG)
    tops = [palette.tree.topLevelItem(i).text(0) for i in range(palette.tree.topLevelItemCount())]
    assert tops == [c for c, specs in catalog.categories().items() if specs]


def test_palette_search_filters(palette):
    QTest.keyClicks(palette.search, "tanh")
    keys = palette.visible_op_keys()
    assert "tanh" in keys and "F.tanh" in keys and "matmul" not in keys
    hidden = [palette.tree.topLevelItem(i) for i in range(palette.tree.topLevelItemCount())]
    assert any(t.isHidden() for t in hidden)  # categories without a match collapse away
    palette.search.clear()
    assert len(palette.visible_op_keys()) == len(catalog.CATALOG)


def test_palette_double_click_emits(palette, qtbot):
    item = palette.op_item("matmul")
    palette.tree.scrollToItem(item)
    rect = palette.tree.visualItemRect(item)
    with qtbot.waitSignal(palette.opActivated) as sig:
        # a real double-click: press/release, then the double-click event (item views check
        # the double-click lands on the index that was pressed)
        QTest.mouseClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        QTest.mouseDClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert sig.args == ["matmul"]


def test_palette_enter_in_search_places_first_match(palette, qtbot):
    QTest.keyClicks(palette.search, "binary_cross_entropy_with")
    with qtbot.waitSignal(palette.opActivated) as sig:
        QTest.keyClick(palette.search, Qt.Key.Key_Return)
    assert sig.args == ["F.binary_cross_entropy_with_logits"]


def test_palette_drag_mime(palette):
    mime = palette.tree.mimeData([palette.op_item("randn")])
    assert bytes(mime.data(OP_MIME)) == b"randn"


# -- Tab popup -------------------------------------------------------------------------------
def test_popup_filters_and_enter_chooses(qtbot):
    popup = OpSearchPopup(catalog)
    qtbot.addWidget(popup)
    popup.popup(QPoint(100, 100))
    qtbot.waitExposed(popup)
    assert len(popup.visible_op_keys()) == len(catalog.CATALOG)
    QTest.keyClicks(popup.edit, "sigmo")
    keys = popup.visible_op_keys()
    assert keys[0] in ("sigmoid", "F.sigmoid") and "matmul" not in keys
    QTest.keyClick(popup.edit, Qt.Key.Key_Down)
    second = keys[1]
    with qtbot.waitSignal(popup.opChosen) as sig:
        QTest.keyClick(popup.edit, Qt.Key.Key_Return)
    assert sig.args == [second]
    assert not popup.isVisible()


def test_popup_filter_fn_and_escape(qtbot):
    popup = OpSearchPopup(catalog)
    qtbot.addWidget(popup)
    popup.popup(QPoint(50, 50), filter_fn=lambda s: bool(s.inputs))  # ops that take a wire
    keys = popup.visible_op_keys()
    assert "matmul" in keys and "randn" not in keys and "ones" not in keys
    QTest.keyClick(popup.edit, Qt.Key.Key_Escape)
    assert not popup.isVisible()


def test_popup_prefix_ranks_first(qtbot):
    popup = OpSearchPopup(catalog)
    qtbot.addWidget(popup)
    popup.popup(QPoint(0, 0))
    QTest.keyClicks(popup.edit, "mm")
    assert popup.visible_op_keys()[0] == "mm"


# -- inspector -------------------------------------------------------------------------------
@pytest.fixture
def inspector(qtbot):
    d = Document()
    d.add_node("randn", "w", {"shape": (5, 3)}, requires_grad=True, node_id="n1")
    d.add_node("sum", "s", None, node_id="n2")
    d.add_node("tensor", "t", {"value": [[1.0, 2.0], [3.0, 4.0]]}, node_id="n3")
    d.add_node("F.binary_cross_entropy_with_logits", "loss", node_id="n4")
    d.add_node("arange", "r", node_id="n5")
    w = InspectorWidget()
    qtbot.addWidget(w)
    w.resize(320, 700)
    w.show()
    events = []
    w.paramEdited.connect(lambda *a: events.append(("param", *a)))
    w.renamed.connect(lambda *a: events.append(("rename", *a)))
    w.flagEdited.connect(lambda *a: events.append(("flag", *a)))
    yield w, d, events
    w.detach()


def _type(qtbot, widget, text):
    widget.setFocus()
    widget.selectAll()
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def test_inspector_shape_seed_dtype_flags(inspector, qtbot):
    w, d, events = inspector
    w.set_node(d, "n1", result((5, 3), requires_grad=True))
    shape = w.editors["shape"].widget
    assert shape.text() == "5, 3"
    _type(qtbot, shape, "4, 2")
    assert events[-1] == ("param", "n1", "shape", (4, 2))
    seed = w.editors["seed"].widget
    seed.setFocus()
    QTest.keyClick(seed, Qt.Key.Key_Up)
    QTest.keyClick(seed, Qt.Key.Key_Up)  # each step is an edit the app merges into one
    assert events[-2:] == [("param", "n1", "seed", 1), ("param", "n1", "seed", 2)]
    QTest.keyClick(seed, Qt.Key.Key_Down)
    QTest.keyClick(seed, Qt.Key.Key_Down)
    QTest.keyClick(seed, Qt.Key.Key_Down)  # below the minimum: the optional seed's "None"
    assert seed.text() == "None" and events[-1] == ("param", "n1", "seed", None)
    dtype = w.editors["dtype"].widget
    dtype.setCurrentIndex(dtype.findText("float64"))
    assert events[-1] == ("param", "n1", "dtype", "float64")
    box = w.flag_boxes["requires_grad"]
    QTest.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert events[-1] == ("flag", "n1", "requires_grad", False)
    _type(qtbot, w.name_edit, "weight")
    assert events[-1] == ("rename", "n1", "weight")
    assert d.nodes["n1"].name == "w" and d.nodes["n1"].params["shape"] == (5, 3)  # no writes


def test_inspector_optional_dims_choice_number(inspector, qtbot):
    w, d, events = inspector
    w.set_node(d, "n2")
    assert "requires_grad" not in w.flag_boxes  # only leaves may set it
    dim = w.editors["dim"].widget
    assert dim.text() == "" and dim.placeholderText() == "None"
    _type(qtbot, dim, "0, 1")
    assert events[-1] == ("param", "n2", "dim", (0, 1))
    _type(qtbot, dim, "1")
    assert events[-1] == ("param", "n2", "dim", 1)
    w.set_node(d, "n4")
    red = w.editors["reduction"].widget
    red.setCurrentIndex(red.findText("sum"))
    assert events[-1] == ("param", "n4", "reduction", "sum")
    w.set_node(d, "n5")
    _type(qtbot, w.editors["end"].widget, "7.5")
    assert events[-1] == ("param", "n5", "end", 7.5)
    _type(qtbot, w.editors["step"].widget, "2")
    assert events[-1] == ("param", "n5", "step", 2) and isinstance(events[-1][3], int)
    n = len(events)
    _type(qtbot, w.editors["step"].widget, "two")  # unreadable: no intent
    assert len(events) == n


def test_inspector_literal_table(inspector, qtbot):
    w, d, events = inspector
    w.set_node(d, "n3")
    editor = w.editors["value"].widget
    table = editor.table
    assert (table.rowCount(), table.columnCount()) == (2, 2)
    table.item(1, 0).setText("9.5")
    assert events[-1] == ("param", "n3", "value", [[1.0, 2.0], [9.5, 4.0]])
    QTest.mouseClick(editor.buttons["+col"], Qt.MouseButton.LeftButton)
    assert events[-1] == ("param", "n3", "value", [[1.0, 2.0, 0.0], [9.5, 4.0, 0.0]])


def test_inspector_edits_round_trip_through_the_model(inspector, qtbot):
    """The app applies each intent; the model's event comes back to the same editor."""
    w, d, _ = inspector
    w.paramEdited.connect(lambda nid, name, v: d.set_param(nid, name, v))
    w.flagEdited.connect(lambda nid, flag, v: d.set_flag(nid, flag, v))
    w.set_node(d, "n3")
    table = w.editors["value"].widget.table
    table.item(0, 1).setText("5.0")
    table.item(1, 1).setText("6.0")
    assert d.nodes["n3"].params["value"] == [[1.0, 5.0], [3.0, 6.0]]
    assert table.item(1, 1).text() == "6.0"
    QTest.mouseClick(w.editors["value"].widget.buttons["+row"], Qt.MouseButton.LeftButton)
    assert d.nodes["n3"].params["value"] == [[1.0, 5.0], [3.0, 6.0], [0.0, 0.0]]
    assert table.rowCount() == 3
    w.set_node(d, "n1")
    _type(qtbot, w.editors["shape"].widget, "2, 2")
    assert d.nodes["n1"].params["shape"] == (2, 2)
    w.flag_boxes["retain_grad"].setChecked(True)
    assert d.nodes["n1"].retain_grad is True


def test_inspector_follows_document_and_undo(inspector):
    w, d, events = inspector
    w.set_node(d, "n1")
    d.set_param("n1", "shape", (7,))  # e.g. an undo applied by the app
    assert w.editors["shape"].widget.text() == "7"
    d.rename_node("n1", "w2")
    assert w.name_edit.text() == "w2"
    d.set_flag("n1", "retain_grad", True)
    assert w.flag_boxes["retain_grad"].isChecked()
    assert events == []  # refreshing editors emits nothing
    d.remove_node("n1")
    assert w.node_id is None and w.editors == {}


def test_inspector_shows_value_and_error(inspector):
    import engine
    w, d, _ = inspector
    t = engine.ones(2)
    w.set_node(d, "n1", result((2,), value=t))
    assert w.value_text.toPlainText() == repr(t)
    assert w.grad_text.toPlainText() == "None"
    w.set_result(result(None, None, error="boom: shapes differ"))
    assert "boom" in w.result_label.text()


def test_inspector_unsubscribes(inspector):
    w, d, _ = inspector
    w.set_node(d, "n1")
    assert w.is_attached() and len(d._subscribers) == 1
    w.set_node(None, None)
    assert d._subscribers == []
    w.set_node(d, "n1")
    w.close()
    QApplication.processEvents()
    assert d._subscribers == []


def test_parsers():
    assert parse_ints("(5, 3)") == (5, 3) and parse_ints("[2 4]") == (2, 4)
    assert parse_ints("") == ()
    assert parse_number("3") == 3 and isinstance(parse_number("3"), int)
    assert parse_number("1e-3") == 0.001
    with pytest.raises(ValueError):
        parse_number("x")
