"""engine.nn: the functional API (``engine.nn.functional``)."""
from . import functional  # noqa: F401
