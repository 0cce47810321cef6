"""The monospace font of every text view (code, tensors, log, inspector).

A family's name or Qt's fixedPitch() flag is not proof: a fresh Debian's "monospace" may resolve
to Noto Sans Mono, which Qt reports as not fixed-pitch. A font counts as monospace here when
its glyphs really have one width: "iiii" is exactly as wide as "MMMM".
"""
from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase, QFontInfo, QFontMetricsF

# tried after the system's fixed font, in order; the last resort is a style hint
FALLBACK_FAMILIES = ("DejaVu Sans Mono", "Liberation Mono", "Noto Mono", "Noto Sans Mono",
                     "Ubuntu Mono", "Cousine", "Courier New", "Courier", "monospace")

_chosen: QFont | None = None


def is_fixed_pitch(font: QFont) -> bool:
    """Narrow and wide glyphs advance equally (what monospace means for aligned numbers)."""
    fm = QFontMetricsF(font)
    return fm.horizontalAdvance("iiii") == fm.horizontalAdvance("MMMM") > 0


def _candidates():
    yield QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    for family in FALLBACK_FAMILIES:
        f = QFont(family)
        f.setStyleHint(QFont.StyleHint.TypeWriter)
        f.setFixedPitch(True)
        yield f


def monospace_font(point_size: float | None = None) -> QFont:
    """A copy of the chosen fixed-pitch font (at ``point_size`` if given). Needs a
    QGuiApplication. If no installed font passes the test, the last candidate is used."""
    global _chosen
    if _chosen is None:
        last = None
        for f in _candidates():
            last = f
            if is_fixed_pitch(f):
                # pin the family that passed, so the views do not re-resolve it differently
                pinned = QFont(QFontInfo(f).family())
                pinned.setStyleHint(QFont.StyleHint.TypeWriter)
                pinned.setFixedPitch(True)
                pinned.setPointSizeF(f.pointSizeF())
                _chosen = pinned if is_fixed_pitch(pinned) else f
                break
        else:
            _chosen = last
    font = QFont(_chosen)
    if point_size is not None:
        font.setPointSizeF(point_size)
    return font
