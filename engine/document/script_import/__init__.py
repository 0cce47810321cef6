"""Import a PyTorch script: run it in a child process, record one backward call's graph.

``import_script(path)`` runs ``python -m engine.document.script_import.child SCRIPT`` -- a
fresh interpreter, never a fork of the caller -- in which ``import torch`` resolves to the
engine, with a time limit and a memory limit, and returns the ``ImportResult`` (the document,
the script's output). Anything it cannot place raises ``ScriptImportError`` (one line, the
script's line when known). Opening a document never runs anything; this is the only place a
script runs, and only when a person asks for it.

Protocol (child -> parent, one JSON object per line on the child's stdout), also handed to
``on_event`` as it arrives, so a GUI can show progress:

- ``{"event": "started", "script": path}``
- ``{"event": "output", "stream": "stdout"|"stderr", "text": ...}`` -- the script's prints
- ``{"event": "backward", "index": n, "line": l}`` -- the script's n-th backward call
- ``{"event": "document", "data": {...file...}, "call": n, "line": l, "nodes": k, "ops": m}``
- ``{"event": "error", "message": ..., "line": l, "kind": ...}`` (see ScriptImportError)
"""
from __future__ import annotations

from .errors import ScriptImportError
from .runner import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, ImportResult, import_script

__all__ = ["import_script", "ImportResult", "ScriptImportError", "DEFAULT_TIMEOUT",
           "DEFAULT_MEMORY_MB"]
