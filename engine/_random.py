"""The engine's own reproducible random generator (``manual_seed``).

Values differ from torch's (a different bit generator); reproducibility within the engine is
what matters: the same seed gives the same tensors.
"""
from __future__ import annotations

import numpy as np


class Generator:
    def __init__(self, seed: int = 0) -> None:
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state) -> None:
        self._rng.bit_generator.state = state

    def normal(self, shape, dtype) -> np.ndarray:
        return self._rng.standard_normal(shape, dtype=np.float64).astype(dtype, copy=False)

    def uniform(self, shape, low=0.0, high=1.0, dtype=np.float32) -> np.ndarray:
        return self._rng.uniform(low, high, shape).astype(dtype, copy=False)

    def integers(self, low, high, shape) -> np.ndarray:
        return self._rng.integers(low, high, shape, dtype=np.int64)


default_generator = Generator(0)


def manual_seed(seed: int) -> Generator:
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    return default_generator.initial_seed()
