"""The torch.nn rows reach the palette and the inspector from the catalog alone (offscreen,
real key events)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from engine.document import catalog
from engine.document.model import Document
from widgets.inspector import InspectorWidget
from widgets.palette import PaletteWidget

pytestmark = pytest.mark.gui

NN_KEYS = ["F.elu", "F.softplus", "F.silu", "F.dropout", "F.l1_loss", "F.huber_loss",
           "F.smooth_l1_loss", "F.layer_norm", "F.batch_norm", "F.embedding", "F.conv2d",
           "F.max_pool2d", "F.avg_pool2d", "F.adaptive_avg_pool2d", "F.bilinear"]


@pytest.fixture
def palette(qtbot):
    w = PaletteWidget(catalog)
    qtbot.addWidget(w)
    w.resize(260, 700)
    w.show()
    qtbot.waitExposed(w)
    return w


def _search(palette, text):
    palette.search.clear()
    QTest.keyClicks(palette.search, text)
    return palette.visible_op_keys()


def test_every_nn_row_is_found_by_its_name(palette):
    for key in NN_KEYS:
        assert key in _search(palette, key.removeprefix("F.")), key
    tops = {palette.tree.topLevelItem(i).text(0): palette.tree.topLevelItem(i)
            for i in range(palette.tree.topLevelItemCount())}
    nn = tops["Neural network"]
    assert {nn.child(j).data(0, Qt.ItemDataRole.UserRole) for j in range(nn.childCount())} >= {
        "F.conv2d", "F.batch_norm", "F.layer_norm", "F.embedding", "F.max_pool2d"}


def test_search_by_category_and_enter_places_the_first_match(palette, qtbot):
    keys = _search(palette, "pool2d")
    assert keys == ["F.max_pool2d", "F.avg_pool2d", "F.adaptive_avg_pool2d"]
    assert set(_search(palette, "neural network")) >= {"F.conv2d", "F.bilinear"}
    _search(palette, "conv2d")
    with qtbot.waitSignal(palette.opActivated) as sig:
        QTest.keyClick(palette.search, Qt.Key.Key_Return)
    assert sig.args == ["F.conv2d"]


def test_inspector_edits_conv2d_sizes(qtbot):
    d = Document()
    d.add_node("F.conv2d", "conv", node_id="n1")
    w = InspectorWidget()
    qtbot.addWidget(w)
    w.show()
    events = []
    w.paramEdited.connect(lambda *a: events.append(a))
    w.set_node(d, "n1")
    assert set(w.editors) == {"stride", "padding", "dilation", "groups"}
    stride = w.editors["stride"].widget
    assert stride.text() == "1"
    stride.setFocus()
    stride.selectAll()
    QTest.keyClicks(stride, "2, 1")
    QTest.keyClick(stride, Qt.Key.Key_Return)
    assert events[-1] == ("n1", "stride", (2, 1))
    w.detach()
