"""Small value/gradient previews for canvas nodes: a number, bars, or a heatmap.

`preview_image(t, kind, w, h)` builds a transparent QImage (cached by the tensor's identity,
its `_version` and data buffer, so an in-place `.grad` accumulation or `zero_()` redraws it)
and `paint_preview(painter, rect, t, kind)` draws it. kind="grad" uses the diverging map centred
at 0 with symmetric limits (red = positive, blue = negative, white = 0); kind="value" the
sequential one. Pixels are computed with numpy (no per-element Python loop), so a thousand
nodes refresh in a few milliseconds once cached.
"""
from __future__ import annotations

import weakref
from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter

from . import colormaps, theme

CACHE_SIZE = 4096
CACHE_BYTES = 32 * 2 ** 20  # the images' pixels, whatever their count
_cache: OrderedDict = OrderedDict()
_cache_bytes = 0


def clear_cache() -> None:
    global _cache_bytes
    _cache.clear()
    _cache_bytes = 0


def _drop(key) -> None:
    global _cache_bytes
    hit = _cache.pop(key, None)
    if hit is not None:
        _cache_bytes -= hit[1].sizeInBytes()


def _owner_died(ref, key) -> None:
    """A tensor's previews go with it (issue 9: a long session kept 4096 images of dead
    tensors, ~100 MB). Only the entry of this very ref: its id() may serve another by now."""
    hit = _cache.get(key)
    if hit is not None and hit[0] is ref:
        _drop(key)


def _unwrap(obj):
    """(ndarray, version, owner-for-identity) of a Tensor, an ndarray or a number."""
    data = getattr(obj, "_data", None)
    if data is not None:  # an engine Tensor (or anything torch-like with _data/_version)
        return data, getattr(obj, "_version", 0), obj
    if isinstance(obj, np.ndarray):
        return obj, 0, obj
    return np.asarray(obj), 0, None


def _key(obj, kind, w, h, dpr):
    data, version, owner = _unwrap(obj)
    base = (kind, w, h, dpr, theme.current_name())
    if owner is None:  # a plain number: the value is the identity
        return (*base, "v", float(data)), data, None
    return (*base, id(owner), version, id(data), data.shape), data, owner


def preview_image(obj, kind: str = "value", width: int = 184, height: int = 44,
                  dpr: float = 1.0) -> QImage | None:
    """The preview of `obj` (engine Tensor, ndarray or number) as a transparent QImage of
    `width` x `height` logical pixels; None for None."""
    if obj is None:
        return None
    colormaps.lut(kind)  # validates kind
    key, data, owner = _key(obj, kind, int(width), int(height), float(dpr))
    hit = _cache.get(key)
    if hit is not None:
        ref, image = hit
        if ref is None or ref() is owner:  # guard against a recycled id()
            _cache.move_to_end(key)
            return image
    image = render(data, kind, int(width), int(height), dpr)
    try:
        ref = weakref.ref(owner, lambda r, k=key: _owner_died(r, k)) \
            if owner is not None else None
    except TypeError:
        ref = None
        key = None  # not weak-referenceable: don't cache on an id that may be recycled
    if key is not None:
        global _cache_bytes
        _drop(key)  # a stale entry under a recycled id
        _cache[key] = (ref, image)
        _cache_bytes += image.sizeInBytes()
        while _cache and (len(_cache) > CACHE_SIZE or _cache_bytes > CACHE_BYTES):
            _drop(next(iter(_cache)))
    return image


def paint_preview(painter: QPainter, rect: QRectF, obj, kind: str = "value") -> None:
    """Draw the preview of `obj` into `rect` (cached image at the device's pixel ratio). A
    number is drawn as text by the painter itself, so it stays crisp at every zoom (an image
    of text scaled by the view drops pixel columns: "0.4811" read as "A.4R11")."""
    if obj is None:
        return
    data = _unwrap(obj)[0]
    if getattr(data, "ndim", None) == 0:
        text, chip = scalar_parts(data, kind)
        _paint_number(painter, QRectF(rect), text, chip)
        return
    dev = painter.device()
    dpr = dev.devicePixelRatioF() if dev is not None else 1.0
    image = preview_image(obj, kind, max(1, round(rect.width())), max(1, round(rect.height())),
                          dpr)
    painter.drawImage(QRectF(rect.topLeft(), rect.size()), image)


def cell_at(obj, width: int, height: int, x: float, y: float, dpr: float = 1.0):
    """(index, value) of the element drawn at (x, y) of a `width` x `height` preview (logical
    pixels), or None: numbers on hover for the node previews. A binned vector answers the
    bin's most extreme element (the one its bar shows); a strided matrix the sampled one."""
    if obj is None:
        return None
    a = np.asarray(_unwrap(obj)[0])
    if a.size == 0 or not (0 <= x < width and 0 <= y < height):
        return None
    if a.ndim == 0:
        return (), a.item()
    pw, ph = max(1, round(width * dpr)), max(1, round(height * dpr))
    px, py = int(x * dpr), int(y * dpr)
    if a.ndim == 1:
        n = a.size
        if n <= pw:
            i = px * n // pw
        else:
            lo, hi = px * n // pw, (px + 1) * n // pw
            seg = colormaps.as_float(a[lo:hi])
            i = lo + int(np.argmax(np.where(np.isnan(seg), np.inf, np.abs(seg))))
        return (i,), a[i].item()
    prefix = (0,) * (a.ndim - 2)
    m = a[prefix] if prefix else a
    sy, sx, ch, cw, y0, x0 = _grid(m.shape, pw, ph, dpr, _slice_label(a.ndim))
    r, c = (py - y0) // ch, (px - x0) // cw
    if px < x0 or py < y0 or r * sy >= m.shape[0] or c * sx >= m.shape[1]:
        return None
    return (*prefix, r * sy, c * sx), m[r * sy, c * sx].item()


def hover_text(obj, name: str, width: int, height: int, x: float, y: float,
               dpr: float = 1.0) -> str:
    """'w.grad[1, 2] = 0.1981' for the element under (x, y); '' when there is none."""
    hit = cell_at(obj, width, height, x, y, dpr)
    if hit is None:
        return ""
    index, value = hit
    data = np.asarray(_unwrap(obj)[0])
    shown = str(value) if data.dtype.kind in "biu" else str(data.dtype.type(value))
    return f"{name}[{', '.join(map(str, index))}] = {shown}" if index else f"{name} = {shown}"


# -- rendering ------------------------------------------------------------------------------
def render(array, kind: str, width: int, height: int, dpr: float = 1.0) -> QImage:
    """Render without the cache (the builder behind `preview_image`)."""
    a = np.asarray(array)
    pw, ph = max(1, round(width * dpr)), max(1, round(height * dpr))
    if a.size == 0:
        return _text_image(pw, ph, dpr, "empty", None)
    if a.ndim == 0:
        return _scalar_image(a, kind, pw, ph, dpr)
    if a.ndim == 1:
        return _from_rgba(_bars_rgba(colormaps.as_float(a), kind, pw, ph), dpr)
    label = _slice_label(a.ndim)  # N-d: the first 2-D slice is what is shown, marked
    if a.ndim > 2:
        a = a[(0,) * (a.ndim - 2)]
    return _heatmap_image(a, kind, pw, ph, dpr, label)


def _from_rgba(rgba: np.ndarray, dpr: float) -> QImage:
    rgba = np.ascontiguousarray(rgba)
    h, w = rgba.shape[:2]
    image = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()  # own buffer
    image.setDevicePixelRatio(dpr)
    return image


def _blank(pw: int, ph: int, dpr: float) -> QImage:
    image = QImage(pw, ph, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    image.setDevicePixelRatio(dpr)
    return image


_fonts: dict = {}  # pixel size -> (QFont, QFontMetricsF): no allocation per paint


def _font(px: float) -> QFont:
    return _font_and_metrics(px)[0]


def _font_and_metrics(px: float):
    size = max(6, int(px))
    hit = _fonts.get(size)
    if hit is None:
        f = QFont("DejaVu Sans Mono")
        f.setStyleHint(QFont.StyleHint.Monospace)
        f.setPixelSize(size)
        hit = _fonts[size] = (f, QFontMetricsF(f))
    return hit


def number_font(height: float) -> QFont:
    """The font a number preview `height` logical pixels tall is written in."""
    return _font(min(16.0, height * 0.5))


def format_number(v) -> str:
    """A scalar as torch prints a 0-d tensor of it: ``0.4811``, ``2.``, ``1.0000e-05``,
    ``nan``, ``True``, ``7`` (engine._formatting is the port of torch's formatter)."""
    from engine._formatting import _Formatter
    a = np.asarray(v)
    if a.dtype.kind == "b":
        return str(bool(a))
    if a.dtype.kind not in "fiu":  # an object / python number of another kind
        a = np.asarray(float(v))
    return _Formatter(a.reshape(1)).format(a.item()).strip()


def scalar_parts(a, kind: str = "value") -> tuple[str, QColor]:
    """(text, chip color) of a 0-d preview: the number and its color in the map."""
    a = np.asarray(a)
    v = a.item()
    f = float(v)
    if kind == "grad":  # a single number: its sign is all the map can say
        m = abs(f) if np.isfinite(f) and f != 0 else 1.0
        lims = (-m, m)
    else:
        lims = (f - 1.0, f + 1.0) if np.isfinite(f) else (0.0, 1.0)
    r, g, b = colormaps.rgb_at(kind, f, lims)
    return format_number(a), QColor(r, g, b)


def _paint_number(p: QPainter, rect: QRectF, text: str, chip: QColor | None) -> None:
    """A colored chip (the number's color in the map) followed by the number, in `rect`."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    h = rect.height()
    x = rect.left() + 2.0
    if chip is not None:
        side = max(4.0, min(h - 6, 22.0))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(chip)
        p.drawRoundedRect(QRectF(x, rect.top() + (h - side) / 2, side, side), 3, 3)
        x += side + 8
    font, fm = _font_and_metrics(min(16.0, h * 0.5))
    p.setFont(font)
    p.setPen(theme.color("node_text") if chip is not None else theme.color("text_muted"))
    text = fm.elidedText(text, Qt.TextElideMode.ElideRight, rect.right() - x - 2)
    p.drawText(QPointF(x, rect.top() + (h + fm.ascent() - fm.descent()) / 2), text)
    p.restore()


def _text_image(pw, ph, dpr, text, chip: QColor | None) -> QImage:
    image = _blank(pw, ph, dpr)
    p = QPainter(image)
    _paint_number(p, QRectF(0, 0, pw / dpr, ph / dpr), text, chip)
    p.end()
    return image


def _scalar_image(a: np.ndarray, kind, pw, ph, dpr) -> QImage:
    text, chip = scalar_parts(a, kind)
    return _text_image(pw, ph, dpr, text, chip)


def _columns(v: np.ndarray, n_cols: int) -> np.ndarray:
    """One value per pixel column: nearest element, or the most extreme one of each bin."""
    n = v.size
    if n <= n_cols:
        return v[(np.arange(n_cols) * n) // n_cols]
    starts = (np.arange(n_cols) * n) // n_cols
    finite = np.where(np.isfinite(v), v, 0.0)
    hi = np.maximum.reduceat(finite, starts)
    lo = np.minimum.reduceat(finite, starts)
    out = np.where(np.abs(hi) >= np.abs(lo), hi, lo)
    # keep NaN/inf visible after binning
    bad = np.logical_or.reduceat(~np.isfinite(v), starts)
    if bad.any():
        has_nan = np.logical_or.reduceat(np.isnan(v), starts)
        out = np.where(has_nan, np.nan, np.where(bad, np.inf, out))
    return out


def _bars_rgba(v: np.ndarray, kind: str, pw: int, ph: int) -> np.ndarray:
    n = v.size
    lims = colormaps.limits(v, kind)
    lo, hi = min(lims[0], 0.0), max(lims[1], 0.0)
    if kind == "value" and hi <= lo:
        lo, hi = lo - 1, hi + 1
    cols = _columns(v, pw)
    if kind == "value":  # skip viridis' darkest fifth: a bar must stand out on a dark node
        span_v = lims[1] - lims[0]
        colors = colormaps.to_rgba(cols, kind, (lims[0] - 0.25 * span_v, lims[1]))
    else:
        colors = colormaps.to_rgba(cols, kind, lims)  # (pw, 4)
    span = ph - 1
    with np.errstate(invalid="ignore"):
        clipped = np.clip(np.nan_to_num(cols, nan=0.0, posinf=hi, neginf=lo), lo, hi)
        y_val = (hi - clipped) / (hi - lo) * span
    y_zero = (hi - 0.0) / (hi - lo) * span
    top = np.minimum(y_val, y_zero)
    bot = np.maximum(y_val, y_zero)
    nonzero = clipped != 0
    # a nonzero value is at least 2 px tall, so tiny gradients still show their sign
    bot = np.where(nonzero & (bot - top < 2) & (y_val >= y_zero), np.maximum(bot, top + 2), bot)
    top = np.where(nonzero & (bot - top < 2) & (y_val < y_zero), np.minimum(top, bot - 2), top)
    nan = np.isnan(cols)
    top = np.where(nan, 0, top)
    bot = np.where(nan, span, bot)
    rows = np.arange(ph, dtype=np.float64)[:, None]
    mask = (rows >= np.floor(top)[None, :]) & (rows <= np.ceil(bot)[None, :])
    if n * 3 <= pw:  # wide bars: a 1 px gap between neighbours
        idx = (np.arange(pw) * n) // pw
        last = np.append(idx[1:] != idx[:-1], True)
        mask &= ~last[None, :]
    # one uint32 per pixel: a quarter of the work of selecting RGBA bytes
    px = np.ascontiguousarray(colors).view(np.uint32).reshape(pw)
    out = np.where(mask, px[None, :], np.uint32(0))
    zr = int(round(y_zero))
    if 0 <= zr < ph:  # the zero line, under the bars' gaps
        c = theme.color("text_muted")
        line = np.array([c.red(), c.green(), c.blue(), 160], dtype=np.uint8).view(np.uint32)
        out[zr] = np.where(mask[zr], out[zr], line[0])
    return out.view(np.uint8).reshape(ph, pw, 4)


def _slice_label(ndim: int) -> str | None:
    return "[" + "0, " * (ndim - 2) + ":, :]" if ndim > 2 else None


def _label_font(ph: int, dpr: float) -> QFont:
    return _font(min(11.0, ph / dpr * 0.3))


def _grid(shape, pw: int, ph: int, dpr: float, label: str | None):
    """Where the heatmap's cells go: (sy, sx) strides, (ch, cw) cell size and (y0, x0) offset
    in device pixels. Shared by the renderer and `cell_at`."""
    avail = pw
    if label:  # the slice label takes the right edge; the heatmap the rest
        label_w = QFontMetricsF(_label_font(ph, dpr)).horizontalAdvance(label) + 8
        avail = max(8, pw - int(np.ceil((label_w + 4) * dpr)))
    rows, cols = shape
    # one pixel per cell at most: stride big matrices down before mapping colors
    sy, sx = -(-rows // ph), -(-cols // avail)
    rows, cols = -(-rows // sy), -(-cols // sx)
    ch = max(1, ph // rows)
    cw = max(1, min(avail // cols, 2 * ch))
    if ch > 2 * cw:  # tall thin matrices: cells at most twice as tall as wide
        ch = 2 * cw
    return sy, sx, ch, cw, (ph - rows * ch) // 2, (avail - cols * cw) // 2


def _heatmap_image(a: np.ndarray, kind, pw, ph, dpr, label) -> QImage:
    sy, sx, ch, cw, y0, x0 = _grid(a.shape, pw, ph, dpr, label)
    if sy > 1 or sx > 1:
        a = a[::sy, ::sx]
    rgba = colormaps.to_rgba(a, kind, colormaps.limits(a, kind))
    rgba = np.repeat(np.repeat(rgba, ch, axis=0), cw, axis=1)
    if min(ch, cw) >= 6:  # big cells: a hairline gap reads as a grid
        rgba[ch - 1::ch, :, 3] = 0
        rgba[:, cw - 1::cw, 3] = 0
    hh, ww = rgba.shape[:2]
    out = np.zeros((ph, pw, 4), dtype=np.uint8)
    out[y0:y0 + hh, x0:x0 + ww] = rgba
    image = _from_rgba(out, dpr)
    if label:
        image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(dpr)
        p = QPainter(image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = _label_font(ph, dpr)
        fm = QFontMetricsF(font)
        tw, th = fm.horizontalAdvance(label) + 8, fm.height() + 2
        box = QRectF(pw / dpr - tw - 1, 1, tw, th)
        bg = theme.color("node_body")
        bg.setAlpha(220)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(bg)
        p.drawRoundedRect(box, 3, 3)
        p.setFont(font)
        p.setPen(theme.color("text_muted"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        p.end()
    return image
