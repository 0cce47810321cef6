"""The engine's own reproducible random generator (``manual_seed``, ``Generator``).

Values differ from torch's (a different bit generator, PCG64); reproducibility within the engine
is what matters: the same seed gives the same tensors. Seeds follow torch's rules (any int in
[-2**63, 2**64), negatives wrap modulo 2**64; a fresh generator's seed is torch's default).
"""
from __future__ import annotations

import numpy as np

DEFAULT_SEED = 67280421310721  # torch's default_rng_seed_val


def _seed_value(seed) -> int:
    seed = int(seed)
    if not -(2**63) <= seed < 2**64:
        raise ValueError("Overflow when unpacking long long")
    return seed % 2**64


class Generator:
    def __init__(self, device="cpu") -> None:
        if str(device) != "cpu":
            raise RuntimeError(f"this engine runs on the CPU only, not on {device!r}")
        self.device = "cpu"
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed) -> Generator:
        self._seed = _seed_value(seed)
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        """A fresh non-deterministic seed, set and returned (torch.Generator.seed)."""
        s = int(np.random.SeedSequence().entropy % 2**64)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state) -> Generator:
        self._rng.bit_generator.state = state
        return self

    def normal(self, shape, dtype) -> np.ndarray:
        return self._rng.standard_normal(shape, dtype=np.float64).astype(dtype, copy=False)

    def uniform(self, shape, low=0.0, high=1.0, dtype=np.float32) -> np.ndarray:
        return self._rng.uniform(low, high, shape).astype(dtype, copy=False)

    def integers(self, low, high, shape) -> np.ndarray:
        return self._rng.integers(low, high, shape, dtype=np.int64)


default_generator = Generator()


def manual_seed(seed) -> Generator:
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)
