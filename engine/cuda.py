"""torch.cuda on a CPU-only build: nothing is available, seeding is a no-op, and anything that
needs a GPU raises torch's ``AssertionError``."""
from __future__ import annotations

from ._device import NO_CUDA


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed) -> None:  # torch queues the seed lazily; with no GPU it never applies
    return None


manual_seed_all = seed = seed_all = manual_seed


def synchronize(device=None) -> None:
    raise AssertionError(NO_CUDA)


def current_device() -> int:
    raise AssertionError(NO_CUDA)


def get_device_name(device=None) -> str:
    raise AssertionError(NO_CUDA)


def empty_cache() -> None:
    return None
