"""Datasets that feed a training run: generated sets (seeded NumPy) and CSV files of numbers.

``load(data, base_dir)`` gives ``(X, y)``: X float32 of shape (n, features), y float32 of
shape (n,) (class labels 0..k-1 for the classification sets). A CSV file is parsed with the
csv module as numbers only -- nothing in it is executed -- and a bad line is reported with its
line number. The batch order (``batches``) uses Python's ``random.Random(seed)``, so the
exported PyTorch script reproduces it with the standard library alone.
"""
from __future__ import annotations

import csv
import math
import os
import random

import numpy as np

from ..errors import ParamError

MAX_CSV_BYTES = 64 * 1024 * 1024


class DatasetError(ParamError):
    """A dataset that cannot be built (an unreadable or malformed CSV file)."""


def _moons(rng, n, noise, **_):
    a = n // 2
    t_out = np.linspace(0, math.pi, n - a)
    t_in = np.linspace(0, math.pi, a)
    x = np.concatenate([np.cos(t_out), 1 - np.cos(t_in)])
    y = np.concatenate([np.sin(t_out), 1 - np.sin(t_in) - 0.5])
    X = np.stack([x, y], 1) + rng.normal(0.0, 1.0, (n, 2)) * noise
    return X, np.concatenate([np.zeros(n - a), np.ones(a)])


def _circles(rng, n, noise, factor, **_):
    a = n // 2
    t_out = np.linspace(0, 2 * math.pi, n - a, endpoint=False)
    t_in = np.linspace(0, 2 * math.pi, a, endpoint=False)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([np.cos(t_in), np.sin(t_in)], 1) * factor])
    X = X + rng.normal(0.0, 1.0, (n, 2)) * noise
    return X, np.concatenate([np.zeros(n - a), np.ones(a)])


def _spiral(rng, n, noise, **_):
    a = n // 2
    labels = np.concatenate([np.zeros(n - a), np.ones(a)])
    r = np.concatenate([np.linspace(0.05, 1, n - a), np.linspace(0.05, 1, a)])
    t = r * 3 * math.pi + labels * math.pi
    X = np.stack([r * np.cos(t), r * np.sin(t)], 1) + rng.normal(0.0, 1.0, (n, 2)) * noise
    return X, labels


def _xor(rng, n, noise, **_):
    X = rng.uniform(-1.0, 1.0, (n, 2))
    labels = (X[:, 0] * X[:, 1] > 0).astype(np.float64)
    return X + rng.normal(0.0, 1.0, (n, 2)) * noise, labels


def _blobs(rng, n, noise, classes, **_):
    labels = np.arange(n) % classes
    angle = 2 * math.pi * labels / classes
    centers = np.stack([np.cos(angle), np.sin(angle)], 1) * 2.0
    return centers + rng.normal(0.0, 1.0, (n, 2)) * noise, labels.astype(np.float64)


def _sine(rng, n, noise, **_):
    x = np.linspace(-math.pi, math.pi, n)
    return x[:, None], np.sin(x) + rng.normal(0.0, 1.0, n) * noise


def _polynomial(rng, n, noise, coeffs, **_):
    x = np.linspace(-2.0, 2.0, n)
    y = sum(c * x ** i for i, c in enumerate(coeffs))  # coeffs[i] multiplies x**i
    return x[:, None], y + rng.normal(0.0, 1.0, n) * noise


GENERATORS = {"moons": _moons, "circles": _circles, "spiral": _spiral, "xor": _xor,
              "blobs": _blobs, "sine": _sine, "polynomial": _polynomial}


def load(data: dict, base_dir: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) for a checked ``data`` setup (``setup.check_data``)."""
    src = data["source"]
    if src == "csv":
        X, y = read_csv(_resolve(data["path"], base_dir), data.get("header"),
                        data.get("target_columns", 1))
    else:
        args = {k: v for k, v in data.items() if k not in ("source", "seed")}
        X, y = GENERATORS[src](np.random.default_rng(data["seed"]), **args)
    return np.ascontiguousarray(X, np.float32), np.ascontiguousarray(y, np.float32)


def _resolve(path: str, base_dir: str | None) -> str:
    if base_dir and not os.path.isabs(path):
        return os.path.join(base_dir, path)
    return path


def read_csv(path: str, header=None, target_columns: int = 1):
    """Numbers only: every row the same width, the last ``target_columns`` columns are the
    targets. ``header``: True/False, or None to treat a first row with a non-number as one."""
    try:
        if os.path.getsize(path) > MAX_CSV_BYTES:
            raise DatasetError(f"{path}: larger than {MAX_CSV_BYTES // 2**20} MB")
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(enumerate(csv.reader(f), 1))
    except OSError as e:
        raise DatasetError(f"cannot read {path}: {e.strerror or e}") from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise DatasetError(f"{path}: not a text CSV file ({e})") from None
    rows = [(i, r) for i, r in rows if any(c.strip() for c in r)]  # blank lines: skipped
    if rows and header is not False:
        first = rows[0][1]
        if header or not all(_is_number(c) for c in first):
            rows = rows[1:]
    if not rows:
        raise DatasetError(f"{path}: no data rows")
    width = len(rows[0][1])
    if width <= target_columns:
        raise DatasetError(f"{path} line {rows[0][0]}: expected more than {target_columns} "
                           f"column(s) (features, then targets), got {width}")
    values = []
    for lineno, row in rows:
        if len(row) != width:
            raise DatasetError(f"{path} line {lineno}: expected {width} values, got {len(row)}")
        try:
            values.append([float(c) for c in row])
        except ValueError:
            bad = next(c for c in row if not _is_number(c))
            raise DatasetError(f"{path} line {lineno}: not a number: {bad.strip()!r}") from None
    a = np.array(values, dtype=np.float64)
    y = a[:, -target_columns:]
    return a[:, :-target_columns], (y[:, 0] if target_columns == 1 else y)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def batches(n: int, batch_size: int | None, shuffle: bool, seed: int):
    """Endless batches of indices: epochs of ``ceil(n / batch_size)`` batches, the last may be
    smaller; with ``shuffle`` each epoch is ``random.Random(seed).shuffle`` of 0..n-1 (one
    generator for the whole run, as a DataLoader's sampler)."""
    bs = n if batch_size is None else min(batch_size, n)
    rng = random.Random(seed)
    while True:
        order = list(range(n))
        if shuffle:
            rng.shuffle(order)
        for start in range(0, n, bs):
            yield order[start:start + bs]
