"""Node previews: draw a value/.grad with widgets.tensor_preview and find the cell under the
cursor (the hover tooltip) with the same geometry that module renders with.

tensor_preview caches one image per tensor identity and version, so painting a node again
costs a dictionary lookup; the geometry here mirrors its `render` (bars for 1-D, centred cells
for 2-D, the first 2-D slice of higher ranks).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF

try:  # the preview widget module (another engineer's); a minimal fallback keeps us working
    from widgets import tensor_preview as _tp
except ImportError:  # pragma: no cover - only while tensor_preview is absent
    _tp = None


def as_array(obj) -> np.ndarray | None:
    """ndarray of an engine Tensor / ndarray / number (None stays None)."""
    if obj is None:
        return None
    data = getattr(obj, "_data", None)
    if data is not None:
        return data
    if hasattr(obj, "detach") and hasattr(obj, "numpy"):  # a torch tensor
        return obj.detach().numpy()
    return np.asarray(obj)


def is_number(obj) -> bool:
    a = as_array(obj)
    return a is not None and a.ndim == 0


def format_number(v) -> str:
    if _tp is not None:
        return _tp.format_number(v)
    return f"{float(v):.4f}"


def hover_text(obj, name: str, width: float, height: float, x: float, y: float) -> str | None:
    """'w.grad[1, 2] = 0.04224682' for the element under (x, y), else None."""
    if _tp is not None and hasattr(_tp, "hover_text"):
        return _tp.hover_text(obj, name, width, height, x, y) or None
    hit = cell_at(obj, width, height, x, y)
    if hit is None:
        return None
    index, value = hit
    idx = "[" + ", ".join(str(i) for i in index) + "]" if index else ""
    return f"{name}{idx} = {format_number(value)}"


def paint(painter, rect: QRectF, obj, kind: str) -> None:
    if obj is None:
        return
    if _tp is not None:
        _tp.paint_preview(painter, rect, obj, kind)
        return
    painter.drawText(rect, 0, format_number(np.ravel(as_array(obj))[0]))  # pragma: no cover


def cell_at(obj, width: float, height: float, x: float, y: float, kind: str = "value"):
    """(index tuple, value) of the element drawn at (x, y) inside a width x height preview,
    or None (between cells, outside, nothing shown)."""
    if _tp is not None and hasattr(_tp, "cell_at"):  # the renderer's own geometry
        return _tp.cell_at(obj, width, height, x, y)
    a = as_array(obj)
    if a is None or a.size == 0 or x < 0 or y < 0 or x >= width or y >= height:
        return None
    pw, ph = max(1, round(width)), max(1, round(height))
    if a.ndim == 0:
        return (), a.item()
    if a.ndim == 1:  # bars: one column per pixel, element (c * n) // pw
        n = a.size
        i = min(n - 1, (int(x) * n) // pw)
        return (i,), a[i].item()
    prefix = (0,) * (a.ndim - 2)
    m = a[prefix]
    rows, cols = m.shape
    sy, sx = -(-rows // ph), -(-cols // pw)
    r2, c2 = -(-rows // sy), -(-cols // sx)
    ch = max(1, ph // r2)
    cw = max(1, min(pw // c2, 2 * ch))
    if ch > 2 * cw:
        ch = 2 * cw
    hh, ww = r2 * ch, c2 * cw
    y0, x0 = (ph - hh) // 2, (pw - ww) // 2
    if a.ndim > 2:  # tensor_preview leaves the right edge to the slice label
        x0 = max(0, min(x0, pw - ww - int(pw * 0.4)))
    i, j = int((y - y0) // ch), int((x - x0) // cw)
    if not (0 <= i < r2 and 0 <= j < c2) or y < y0 or x < x0:
        return None
    i, j = i * sy, j * sx
    return (*prefix, i, j), m[i, j].item()
