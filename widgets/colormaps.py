"""Colormaps for tensor previews and heatmaps, as 256-entry RGBA lookup tables.

Gradients use a DIVERGING map centred at 0 (blue = negative, white = 0, red = positive, with
symmetric limits), so the sign of a gradient is readable at a glance; values use a sequential
map (viridis-like). Mapping is pure numpy (a LUT index per element), no Python loops.
"""
from __future__ import annotations

import numpy as np

# ColorBrewer RdBu reversed: the usual "signed data" map (matplotlib's RdBu_r).
_DIVERGING = ("#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
              "#fddbc7", "#f4a582", "#d6604d", "#b2182b")
# viridis anchors: perceptually ordered, readable on a dark background.
_SEQUENTIAL = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e",
               "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725")
NAN_RGBA = (255, 0, 255, 255)  # magenta: a NaN must never look like a plausible number

KINDS = ("value", "grad")


def _hex_rgb(h: str) -> tuple[int, int, int]:
    return int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)


def _build_lut(anchors) -> np.ndarray:
    rgb = np.array([_hex_rgb(h) for h in anchors], dtype=np.float64)
    xs = np.linspace(0.0, 1.0, len(anchors))
    t = np.linspace(0.0, 1.0, 256)
    lut = np.empty((256, 4), dtype=np.uint8)
    for c in range(3):
        lut[:, c] = np.round(np.interp(t, xs, rgb[:, c]))
    lut[:, 3] = 255
    return lut


DIVERGING_LUT = _build_lut(_DIVERGING)
SEQUENTIAL_LUT = _build_lut(_SEQUENTIAL)


def lut(kind: str) -> np.ndarray:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return DIVERGING_LUT if kind == "grad" else SEQUENTIAL_LUT


def as_float(array) -> np.ndarray:
    """float64 view of any real/bool array (previews never need more)."""
    a = np.asarray(array)
    if a.dtype.kind in "fc":
        return a.real if a.dtype.kind == "c" else a
    return a.astype(np.float64)


def limits(array, kind: str) -> tuple[float, float]:
    """Color limits: symmetric around 0 for gradients, min..max for values (finite only)."""
    a = as_float(array)
    finite = a[np.isfinite(a)] if a.size else a
    if finite.size == 0:
        return (-1.0, 1.0) if kind == "grad" else (0.0, 1.0)
    if kind == "grad":
        m = float(np.max(np.abs(finite)))
        m = m if m > 0 else 1.0
        return -m, m
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:  # a constant tensor: centre it in the map
        return lo - 1.0, hi + 1.0
    return lo, hi


def to_rgba(array, kind: str, lims: tuple[float, float] | None = None) -> np.ndarray:
    """(..., 4) uint8 RGBA for every element; NaN magenta, +-inf saturated."""
    a = as_float(array)
    lo, hi = limits(a, kind) if lims is None else lims
    span = hi - lo  # 0 when |values| ~ 1e16+: lo - 1 and hi + 1 round to the same float
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        t = (a - lo) * (255.0 / span if span > 0 else 0.0)
    nan = np.isnan(t)
    idx = np.clip(np.nan_to_num(t, nan=0.0, posinf=255.0, neginf=0.0), 0, 255)
    idx = (idx + 0.5).astype(np.intp)
    out = lut(kind)[idx]
    if nan.any():
        out[nan] = NAN_RGBA
    return out


def rgb_at(kind: str, value: float, lims: tuple[float, float]) -> tuple[int, int, int]:
    r, g, b, _ = to_rgba(np.array([value]), kind, lims)[0]
    return int(r), int(g), int(b)


def pg_colormap(kind: str):
    """The same map as a pyqtgraph ColorMap (imported lazily: pyqtgraph is heavy)."""
    import pyqtgraph as pg
    table = lut(kind)
    return pg.ColorMap(np.linspace(0.0, 1.0, 256), table)
