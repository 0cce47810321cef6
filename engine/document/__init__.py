"""The Qt-free graph document: op catalog, document model, execution.

Imports only numpy, networkx, the standard library and ``engine``.
"""
from . import catalog
from .catalog import CATALOG, OpSpec, Param, Port
from .errors import (
    CycleError,
    DocumentError,
    DuplicateNameError,
    InvalidDocumentError,
    InvalidWireError,
    ParamError,
    PortOccupiedError,
    UnknownNodeError,
    UnknownOpError,
)
from .model import (
    LAYOUT_ONLY,
    BackwardDag,
    Document,
    DocumentEvent,
    Node,
    Region,
    Removed,
    Settings,
    Wire,
)

__all__ = ["catalog", "CATALOG", "OpSpec", "Param", "Port", "Document", "DocumentEvent",
           "Node", "Wire", "Region", "Settings", "BackwardDag", "Removed", "DocumentError",
           "CycleError", "PortOccupiedError", "UnknownOpError", "DuplicateNameError",
           "ParamError", "UnknownNodeError", "InvalidWireError", "InvalidDocumentError",
           "Executor", "NodeResult", "LAYOUT_ONLY"]


def __getattr__(name):  # execution imports the engine's ops lazily
    if name in ("Executor", "NodeResult"):
        from . import execution
        return getattr(execution, name)
    raise AttributeError(name)
