"""Every text view of a themed window shows numbers and code in one really fixed-pitch font
(the stylesheet sets sizes, never the family)."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QFontInfo, QFontMetricsF

from widgets.fonts import monospace_font

pytestmark = pytest.mark.gui


def test_code_tensor_and_log_views_share_one_fixed_pitch_font(qtbot, window):
    window.scene.select_nodes([window.document().node_by_name("w").id])
    qtbot.waitUntil(lambda: window.inspector.node_id is not None, timeout=2000)
    views = {"code": window.code_view.editor, "value": window.inspector.value_text,
             "grad": window.inspector.grad_text, "log": window.log_widget.view}
    family = QFontInfo(monospace_font()).family()
    for name, view in views.items():
        view.ensurePolished()  # the stylesheet has been applied
        fm = QFontMetricsF(view.font())
        assert fm.horizontalAdvance("iiii") == fm.horizontalAdvance("MMMM"), name
        assert QFontInfo(view.font()).family() == family, name
