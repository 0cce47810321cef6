"""Text measurement shared by every node item (issue 10: 10,000 nodes open in a second).

A node lays its text out once per change, but 10,000 nodes measuring the same op titles,
shapes and grad_fn names (`QFontMetricsF.horizontalAdvance` / `elidedText`, ~5 µs each through
PySide) cost a second on opening. The answers depend only on (font, text, width), so they are
memoized here, per style (a theme change builds new fonts and drops the memo). ASCII text that
fits even at the font's widest glyph needs no elision and no measurement at all.
"""
from __future__ import annotations

from PySide6.QtCore import Qt

from .style import style

_MAX = 50_000  # entries before a memo starts over (names are unique: bound the growth)
_ELIDE_RIGHT = Qt.TextElideMode.ElideRight


class _Memo:
    style = None
    advance: dict = {}
    elide: dict = {}
    line: dict = {}
    max_width: dict = {}
    measured = 0  # font-metrics calls made (tests count them)


def _fresh():
    s = style()
    if _Memo.style is not s:
        _Memo.style = s
        _Memo.advance, _Memo.elide, _Memo.line, _Memo.max_width = {}, {}, {}, {}
    return s


def _widest(fm) -> float:
    k = id(fm)
    w = _Memo.max_width.get(k)
    if w is None:
        w = _Memo.max_width[k] = fm.maxWidth()
    return w


def advance(fm, text: str) -> float:
    """`fm.horizontalAdvance(text)`, memoized."""
    _fresh()
    key = (id(fm), text)
    a = _Memo.advance.get(key)
    if a is None:
        if len(_Memo.advance) > _MAX:
            _Memo.advance.clear()
        _Memo.measured += 1
        a = _Memo.advance[key] = fm.horizontalAdvance(text)
    return a


def bound(fm, text: str) -> float | None:
    """An upper bound of `text`'s advance without measuring it (ASCII only), else None."""
    return len(text) * _widest(fm) if text.isascii() else None


def fits(fm, text: str, width: float) -> bool:
    """True when `text` surely fits in `width` without measuring it."""
    return text.isascii() and len(text) * _widest(fm) <= width


def elide(fm, text: str, width: float, mode=_ELIDE_RIGHT) -> str:
    """`fm.elidedText(text, mode, width)`, memoized; short ASCII text unmeasured."""
    _fresh()
    if fits(fm, text, width):
        return text
    key = (id(fm), text, width, mode)
    e = _Memo.elide.get(key)
    if e is None:
        if len(_Memo.elide) > _MAX:
            _Memo.elide.clear()
        _Memo.measured += 1
        e = _Memo.elide[key] = fm.elidedText(text, mode, width)
    return e


def line(fm, text: str, width: float) -> tuple[str, float]:
    """(shown text, x-scale) of one info line: long grad_fn names are squeezed a little
    (down to 72 %) before they are elided."""
    _fresh()
    key = (id(fm), text, width)
    hit = _Memo.line.get(key)
    if hit is None:
        if len(_Memo.line) > _MAX:
            _Memo.line.clear()
        sx = 1.0
        if not fits(fm, text, width):
            adv = advance(fm, text)
            if adv > width:
                sx = max(width / adv, 0.72)
        # (+1: a squeezed advance equals the width; rounding must not elide it)
        hit = _Memo.line[key] = (elide(fm, text, width / sx + (1 if sx < 1 else 0)), sx)
    return hit


def measured() -> int:
    return _Memo.measured
