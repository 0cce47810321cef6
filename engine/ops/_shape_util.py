"""Dim and size helpers the shape ops share (a dim wrapped into range with torch's IndexError,
varargs sizes, torch's shape text), so shape.py and joining.py need not import each other.
"""
from __future__ import annotations


def _dim(dim: int, ndim: int) -> int:
    """One dim wrapped into range, with torch's IndexError text."""
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not lo <= dim <= hi:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim % ndim if ndim else 0


def _sizes(args) -> tuple:
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(Size)`` all mean the shape (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return tuple(int(s) for s in args)


def _fmt(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"
