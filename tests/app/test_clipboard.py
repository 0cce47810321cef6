"""Copy/Cut/Paste carry what files carry: non-finite floats typed into the inspector too."""
from __future__ import annotations

import math

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app import clipboard
from engine.document import fileformat

pytestmark = pytest.mark.gui


def _type(widget, text):
    widget.setFocus()
    widget.lineEdit().selectAll() if hasattr(widget, "lineEdit") else widget.selectAll()
    QTest.keyClick(widget, Qt.Key.Key_Delete)
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def _activate(qtbot, w):
    w.activateWindow()
    w.raise_()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=2000)


def test_copy_cut_paste_non_finite_params_typed_in_the_inspector(qtbot, make_window):
    w = make_window(tutorial=False)
    w.log_widget.entries.clear()
    w.palette.opActivated.emit("nan_to_num")  # what a double-click in the palette does
    nid = w.inspector.node_id
    assert nid is not None and w.document().nodes[nid].op == "nan_to_num"
    _type(w.inspector.editors["neginf"].widget, "-inf")
    _type(w.inspector.editors["posinf"].widget, "inf")
    w.palette.opActivated.emit("tensor")
    add = w.inspector.node_id
    w.inspector.editors["value"].widget.table.item(0, 0).setText("nan")  # a literal cell
    params = w.document().nodes[nid].params
    assert (params["neginf"], params["posinf"]) == (-math.inf, math.inf)
    assert math.isnan(w.document().nodes[add].params["value"][0])

    w.scene.select_nodes([nid, add])
    _activate(qtbot, w)
    QTest.keySequence(w, QKeySequence("Ctrl+C"))
    frag = clipboard.get()
    assert frag is not None and len(frag["nodes"]) == 2
    # the clipboard's text is the files' JSON
    assert fileformat.parse(QApplication.clipboard().text()) == fileformat.parse(
        fileformat.pretty(frag))
    QTest.keySequence(w, QKeySequence("Ctrl+X"))
    assert nid not in w.document().nodes and add not in w.document().nodes
    QTest.keySequence(w, QKeySequence("Ctrl+V"))
    nodes = {n.op: n for n in w.document().nodes.values()}
    assert nodes["nan_to_num"].params["neginf"] == -math.inf
    assert nodes["nan_to_num"].params["posinf"] == math.inf
    assert math.isnan(nodes["tensor"].params["value"][0])
    assert not [e for e in w.log_widget.entries if e[0] == "error"]
