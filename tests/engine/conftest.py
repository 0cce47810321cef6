"""Engine tests draw their data from a module-level ``RNG``: reseed it per test (from the
test's id), so a test sees the same numbers whichever tests ran before it (-k, -x, order)."""
from __future__ import annotations

import zlib

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _reseed_module_rng(request):
    rng = getattr(request.module, "RNG", None)
    if isinstance(rng, np.random.Generator):
        seed = zlib.crc32(request.node.nodeid.encode())
        rng.bit_generator.state = np.random.default_rng(seed).bit_generator.state
