"""engine.utils: torch.utils's data loading (``engine.utils.data``)."""
from . import data  # noqa: F401
