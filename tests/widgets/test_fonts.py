"""One monospace font for every text view, chosen by its glyphs, not by its name or flag."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QFont, QFontMetricsF

from widgets import fonts

pytestmark = pytest.mark.gui


def _equal_advances(font: QFont) -> bool:
    fm = QFontMetricsF(font)
    return fm.horizontalAdvance("iiii") == fm.horizontalAdvance("MMMM")


def test_the_chosen_font_really_is_fixed_pitch(qapp):
    f = fonts.monospace_font()
    assert _equal_advances(f)
    assert fonts.monospace_font(13.0).pointSizeF() == 13.0
    assert _equal_advances(fonts.monospace_font(13.0))


def test_the_check_tells_proportional_from_fixed(qapp):
    sans = QFont("DejaVu Sans")
    sans.setStyleHint(QFont.StyleHint.SansSerif)
    # whatever sans-serif this machine has: 'i' is narrower than 'M'
    assert not fonts.is_fixed_pitch(sans)
    assert fonts.is_fixed_pitch(fonts.monospace_font())


def test_a_name_that_is_not_monospace_is_skipped(qapp, monkeypatch):
    """A first candidate that is proportional (as Noto Sans Mono's flag misleads Qt) loses to
    the next one that passes the glyph test."""
    monkeypatch.setattr(fonts, "_chosen", None)
    sans = QFont("DejaVu Sans")
    sans.setStyleHint(QFont.StyleHint.SansSerif)
    real = list(fonts._candidates())
    monkeypatch.setattr(fonts, "_candidates", lambda: iter([sans, *real]))
    assert _equal_advances(fonts.monospace_font())
    monkeypatch.setattr(fonts, "_chosen", None)
