"""Shared fixtures. GUI tests run offscreen: set before any Qt import."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def torch():
    """The real torch 2.13 as an oracle; tests using it skip cleanly without it."""
    return pytest.importorskip("torch", reason="parity test: torch==2.13.0 is not installed "
                               "(pip install -e '.[parity]')")
