"""Verify with PyTorch, for a runner that is not ``subprocess`` (the app's QProcess): what to
run and how to read what came back, with no Qt and no process handling here.

``start`` returns either a ``verify.Job`` to run (its ``argv``, with ``script`` on stdin) or a
``verify.Verification`` that already says why nothing will run; ``finish`` turns the process's
exit and output into the Verification shown to the user.
"""
from __future__ import annotations

from . import export, verify

NO_ROOT = "Verify with PyTorch: set a backward root first (Autograd > Set as Backward Root)"


def needs_root(document) -> bool:
    """True when there is no backward root: the export calls ``root.backward()``."""
    return document.settings.root not in document.nodes


def start(executor, root=None) -> verify.Job | verify.Verification:
    """The job to run (backward from ``root``, default the document's), or the verdict when
    it cannot run (no torch, an unexportable graph)."""
    if not verify.torch_available():
        return verify.Verification("unavailable", verify.NO_TORCH)
    try:
        return verify.prepare(executor, root)
    except (export.ExportError, ValueError, RuntimeError) as e:
        return verify.Verification("error", str(e))


def decode(data) -> str:
    """Process output as text (bytes from a QProcess, str from subprocess)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data).decode("utf-8", "replace")
    return str(data or "")


def finish(job: verify.Job, exited_normally: bool, returncode: int, stdout,
           stderr) -> verify.Verification:
    """The comparison, or an error naming the last line torch wrote to stderr."""
    code = returncode if exited_normally else (returncode or -1)
    return job.finish(code, decode(stdout), decode(stderr))


__all__ = ["NO_ROOT", "needs_root", "start", "finish", "decode"]
