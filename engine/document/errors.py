"""Typed errors raised by the document model (the GUI shows their message; tests match type)."""
from __future__ import annotations


class DocumentError(Exception):
    """Base of every document error. ``path`` locates the offending field in ``to_dict`` data
    (e.g. ``"nodes[2].params.shape"``) when the error comes from ``Document.from_dict``."""

    def __init__(self, message: str, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def at(self, path: str) -> DocumentError:
        """The same error, located at ``path`` (prefixing any inner path)."""
        inner = f"{path}.{self.path}" if self.path else path
        return type(self)(self.message, inner)


class CycleError(DocumentError):
    """A wire would close a cycle (the graph must stay a DAG)."""


class PortOccupiedError(DocumentError):
    """A second wire into one input port (slot)."""


class UnknownOpError(DocumentError):
    """No catalog entry for this op key."""


class DuplicateNameError(DocumentError):
    """The variable name is taken, or is not a valid Python identifier."""


class ParamError(DocumentError):
    """A parameter value, flag or setting is invalid (wrong type, out of range, too large)."""


class UnknownNodeError(DocumentError):
    """No node, wire or region with this id."""


class InvalidWireError(DocumentError):
    """The destination has no such input port, a bad slot index, or a self-loop."""


class InvalidDocumentError(DocumentError):
    """Structurally malformed document data given to ``Document.from_dict``."""
