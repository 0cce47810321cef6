"""An edit whose value the inspector once could not show (OverflowError in a QSpinBox, inside
the model's notification) lost its undo step: the next undo removed the node instead."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("value", [-2**63, 2**40, -(2**31)])
def test_a_huge_int_param_edit_is_one_undo_step(window, value):
    window.palette.opActivated.emit("transpose")
    nid = window.inspector.node_id
    doc = window.document()
    before = window.undo_stack.count()
    box = window.inspector.editors["dim0"].widget
    box.setFocus()
    box.lineEdit().selectAll()
    QTest.keyClicks(box, str(value))
    QTest.keyClick(box, Qt.Key.Key_Return)  # what typing it in the inspector does
    held = doc.nodes[nid].params["dim0"]
    if held == value:  # accepted: one undo step, and the editor shows the model's value
        assert window.undo_stack.count() == before + 1
        assert window.inspector.editors["dim0"].widget.text() == str(value)
        window.undo_stack.undo()
        assert nid in doc.nodes and doc.nodes[nid].params["dim0"] != value
    else:  # refused by the model with its message: nothing changed, no step
        assert window.undo_stack.count() == before
    assert nid in doc.nodes  # undo never removed the node instead
