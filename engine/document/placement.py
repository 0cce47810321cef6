"""Where a new node goes: the free spot nearest to where the user looks (issue 9 item 4).

Qt-free: rectangles are ``(x, y, width, height)`` tuples in scene units (top-left corner,
as ``Node.pos``). The existing rectangles go into a uniform spatial grid once (O(N)); each
candidate position is then checked against the few rectangles of the cells it covers, and
candidates are tried ring by ring outward from the preferred point (a square spiral on a
lattice), so a placement costs O(k) checks for the k candidates it tries, not O(N) each.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

Rect = tuple[float, float, float, float]


class SpatialGrid:
    """Rectangles bucketed by the cells they cover; ``collides`` asks only nearby ones."""

    def __init__(self, rects: Iterable[Rect] = (), cell: float = 256.0) -> None:
        self.cell = float(cell)
        self.cells: dict[tuple[int, int], list[Rect]] = {}
        self.checks = 0  # rectangle tests made (tests count these, not seconds)
        for r in rects:
            self.add(r)

    def _span(self, r: Rect):
        c = self.cell
        x0, y0 = math.floor(r[0] / c), math.floor(r[1] / c)
        x1, y1 = math.floor((r[0] + r[2]) / c), math.floor((r[1] + r[3]) / c)
        for i in range(x0, x1 + 1):
            for j in range(y0, y1 + 1):
                yield (i, j)

    def add(self, r: Rect) -> None:
        r = tuple(float(v) for v in r)
        for key in self._span(r):
            self.cells.setdefault(key, []).append(r)

    def collides(self, r: Rect, gap: float = 0.0) -> bool:
        """Whether ``r``, grown by ``gap`` on every side, overlaps a stored rectangle."""
        g = (r[0] - gap, r[1] - gap, r[2] + 2 * gap, r[3] + 2 * gap)
        seen = set()
        for key in self._span(g):
            for o in self.cells.get(key, ()):
                if id(o) in seen:
                    continue
                seen.add(id(o))
                self.checks += 1
                if overlaps(g, o):
                    return True
        return False


def overlaps(a: Rect, b: Rect) -> bool:
    """Open rectangles intersect (touching edges do not count)."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and \
        b[1] < a[1] + a[3]


def _inside(r: Rect, bounds: Rect | None) -> bool:
    if bounds is None:
        return True
    return r[0] >= bounds[0] and r[1] >= bounds[1] and \
        r[0] + r[2] <= bounds[0] + bounds[2] and r[1] + r[3] <= bounds[1] + bounds[3]


def _ring(k: int):
    """The lattice offsets at Chebyshev distance k, nearest (Euclidean) first."""
    if k == 0:
        return [(0, 0)]
    pts = [(i, j) for i in range(-k, k + 1) for j in (-k, k)]
    pts += [(i, j) for j in range(-k + 1, k) for i in (-k, k)]
    pts.sort(key=lambda p: (p[0] * p[0] + p[1] * p[1], -p[0], p[1]))  # ties: right, then up
    return pts


def free_spot(rects: Iterable[Rect] | SpatialGrid, preferred: tuple[float, float],
              size: tuple[float, float], *, gap: float = 16.0, step: float = 20.0,
              bounds: Rect | None = None, max_rings: int = 80) -> tuple[float, float]:
    """The top-left corner nearest ``preferred`` where a ``size`` rectangle overlaps none of
    ``rects`` (keeping ``gap`` between them), on a ``step`` lattice. With ``bounds`` (the
    visible area), spots inside it win; when none is free there, the nearest free spot
    anywhere. Falls back to ``preferred`` if nothing is free within ``max_rings``."""
    grid = rects if isinstance(rects, SpatialGrid) else SpatialGrid(rects, max(256.0,
                                                                             *size))
    w, h = float(size[0]), float(size[1])
    px, py = float(preferred[0]), float(preferred[1])
    if bounds is not None and bounds[2] >= w and bounds[3] >= h:  # start inside the view
        px = min(max(px, bounds[0]), bounds[0] + bounds[2] - w)
        py = min(max(py, bounds[1]), bounds[1] + bounds[3] - h)
        if not grid.collides((px, py, w, h), gap):
            return (px, py)  # free where asked: exactly there (a drop lands at the cursor)
        # the lattice starts at the view's corner, so nodes can pack against its edges
        px = bounds[0] + math.floor((px - bounds[0]) / step) * step
        py = bounds[1] + math.floor((py - bounds[1]) / step) * step
    else:
        bounds = None
        if not grid.collides((px, py, w, h), gap):
            return (px, py)
    outside = None
    for k in range(max_rings + 1):
        for i, j in _ring(k):
            r = (px + i * step, py + j * step, w, h)
            if grid.collides(r, gap):
                continue
            if _inside(r, bounds):
                return (r[0], r[1])
            if outside is None:
                outside = (r[0], r[1])
        if outside is not None and bounds is not None and k * step > max(bounds[2],
                                                                         bounds[3]):
            break  # the whole view is taken: the nearest spot outside it
    return outside if outside is not None else (px, py)


__all__ = ["Rect", "SpatialGrid", "free_spot", "overlaps"]
