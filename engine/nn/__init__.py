"""engine.nn: torch.nn on the engine — Module, Parameter, layers, losses, init, utils and the
functional API (``engine.nn.functional``)."""
from . import (
    functional,  # noqa: F401
    init,  # noqa: F401
    utils,  # noqa: F401,E402
)
from .modules import *  # noqa: F401,F403
from .modules import __dict__ as _mods
from .parameter import Buffer, Parameter, UninitializedParameter  # noqa: F401

__all__ = [k for k, v in _mods.items() if isinstance(v, type)] + [
    "Parameter", "Buffer", "UninitializedParameter", "functional", "init", "utils"]
del _mods
