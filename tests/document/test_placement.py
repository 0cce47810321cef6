"""engine/document/placement.py: the nearest free spot, with a spatial grid (Qt-free)."""
from __future__ import annotations

import random

from engine.document.placement import SpatialGrid, free_spot, overlaps

SIZE = (200.0, 150.0)


def test_an_empty_canvas_takes_the_preferred_point():
    assert free_spot([], (37.0, 41.0), SIZE) == (37.0, 41.0)


def test_a_taken_spot_moves_to_the_nearest_free_one():
    taken = [(0.0, 0.0, 200.0, 150.0)]
    x, y = free_spot(taken, (0.0, 0.0), SIZE, gap=16)
    assert not overlaps((x - 16, y - 16, 232, 182), taken[0])
    # nearest: one step beyond the gap on one side, not far away
    assert min(abs(x), abs(y)) == 0 and max(abs(x), abs(y)) <= 200 + 16 + 20


def test_repeated_placements_never_overlap_and_stay_in_bounds():
    bounds = (0.0, 0.0, 1200.0, 800.0)
    rects = []
    for _ in range(10):
        x, y = free_spot(rects, (500.0, 325.0), SIZE, bounds=bounds)
        r = (x, y, *SIZE)
        assert all(not overlaps((x - 15, y - 15, 230, 180), o) for o in rects)  # the gap too
        assert 0 <= x and x + SIZE[0] <= 1200 and 0 <= y and y + SIZE[1] <= 800
        rects.append(r)
    # the first ones are the nearest to the preferred point
    assert rects[0] == (500.0, 325.0, *SIZE)


def test_a_full_view_spills_to_the_nearest_spot_outside_it():
    bounds = (0.0, 0.0, 400.0, 300.0)
    rects = [(0.0, 0.0, 400.0, 300.0)]
    x, y = free_spot(rects, (100.0, 100.0), SIZE, bounds=bounds)
    assert not overlaps((x, y, *SIZE), rects[0])


def test_the_grid_checks_only_nearby_rectangles():
    """O(k): 10,000 nodes far away cost no more checks than none."""
    rng = random.Random(0)
    far = [(5000 + rng.uniform(0, 50000), 5000 + rng.uniform(0, 50000), 200, 150)
           for _ in range(10_000)]
    near = [(0.0, 0.0, 200.0, 150.0), (220.0, 0.0, 200.0, 150.0)]
    small, big = SpatialGrid(near), SpatialGrid(near + far)
    a = free_spot(small, (0.0, 0.0), SIZE)
    b = free_spot(big, (0.0, 0.0), SIZE)
    assert a == b
    assert big.checks == small.checks < 1000


def test_the_preferred_point_is_clamped_into_the_bounds():
    x, y = free_spot([], (950.0, 650.0), SIZE, bounds=(0.0, 0.0, 1000.0, 700.0))
    assert x + SIZE[0] <= 1000.0 and y + SIZE[1] <= 700.0
    assert x + SIZE[0] > 1000.0 - 20 and y + SIZE[1] > 700.0 - 20
