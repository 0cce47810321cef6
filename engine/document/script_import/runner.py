"""The parent side: start the child, read its messages, enforce the deadline."""
from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ScriptImportError

DEFAULT_TIMEOUT = 30.0  # seconds of the script's wall-clock time
DEFAULT_MEMORY_MB = 4096  # address space of the child (RLIMIT_AS), numpy's reservations included
GRACE = 5.0  # the child's own timer reports the line; past this the parent kills it
_ROOT = Path(__file__).resolve().parents[3]  # the directory holding the ``engine`` package


@dataclass
class ImportResult:
    document: object  # engine.document.Document
    data: dict  # the file's JSON data (fileformat.to_data)
    call: int  # which backward call was recorded (1-based)
    line: int | None  # the script line of that call
    output: list = field(default_factory=list)  # (stream, text) the script printed
    # nn.Module calls, outermost first: {"path": "model.0", "label": "model.0 · Linear(...)",
    # "region": its module region's id, "parent": "model" or None, "members": [node ids]}
    groups: list = field(default_factory=list)
    seconds: float = 0.0


def _command(script: str, call, timeout: float, memory_mb: int) -> list[str]:
    return [sys.executable, "-m", "engine.document.script_import.child", script,
            "--call", str(call), "--timeout", str(timeout), "--memory-mb", str(memory_mb)]


def _env() -> dict:
    env = dict(os.environ)
    path = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = str(_ROOT) + (os.pathsep + path if path else "")
    env["PYTHONUNBUFFERED"] = "1"
    # one BLAS thread: the numbers do not depend on the machine's core count, and the
    # address-space limit is not spent on per-thread buffers
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = "1"
    return env


def _check_call(call) -> str:
    if call == "last":
        return call
    try:
        n = int(call)
    except (TypeError, ValueError):
        n = 0
    if n < 1 or isinstance(call, bool):
        raise ScriptImportError(f"--call expects a positive number or 'last', got {call!r}",
                                None, "usage")
    return str(n)


def import_script(path, call="1", timeout: float = DEFAULT_TIMEOUT,
                  memory_mb: int = DEFAULT_MEMORY_MB, on_event=None,
                  cancelled=None) -> ImportResult:
    """Run ``path`` in a child and return the document of its ``call``-th backward (``"last"``:
    the last). ``on_event(dict)`` sees every protocol message as it arrives; ``cancelled()``
    returning True stops the child. Raises ScriptImportError."""
    from .. import fileformat
    script = os.path.abspath(os.fspath(path))
    name = os.path.basename(script)
    call = _check_call(call)
    if not os.path.isfile(script):
        raise ScriptImportError(f"{path}: no such file", None, "script")
    if timeout <= 0:
        raise ScriptImportError(f"--timeout expects a positive number, got {timeout:g}",
                                None, "usage")
    start = time.monotonic()
    deadline = start + timeout + GRACE
    document = error = None
    output: list = []
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(_command(script, call, timeout, memory_mb),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=stderr, env=_env())
        try:
            sel = selectors.DefaultSelector()
            sel.register(proc.stdout, selectors.EVENT_READ)
            parts: list = []  # the line being received (the document is one ~6 MB line)
            killed = None
            while True:
                if cancelled is not None and cancelled():
                    killed = "cancelled"
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    killed = "timeout"
                    break
                if not sel.select(min(left, 0.1)):
                    continue
                chunk = os.read(proc.stdout.fileno(), 1 << 20)
                if not chunk:
                    break
                # split only the new bytes: appending to one buffer and splitting it all
                # again at every read was quadratic in a large document's line
                *done, rest = chunk.split(b"\n")
                lines = []
                if done:
                    lines.append(b"".join(parts) + done[0])
                    lines.extend(done[1:])
                    parts = []
                parts.append(rest)
                for raw in lines:
                    try:
                        msg = json.loads(raw)
                    except ValueError:
                        continue
                    if not isinstance(msg, dict):
                        continue
                    kind = msg.get("event")
                    if kind == "output":
                        output.append((msg.get("stream"), msg.get("text")))
                    elif kind == "document":
                        document = msg
                    elif kind == "error":
                        error = msg
                    if on_event is not None:
                        on_event(msg)
            sel.close()
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
        if killed == "cancelled":
            raise ScriptImportError("the import was cancelled", None, "cancelled", name)
        if killed == "timeout":
            raise ScriptImportError(f"timed out after {timeout:g} s (--timeout)", None,
                                    "timeout", name)
        if error is not None:
            raise ScriptImportError(error.get("message", "import failed"), error.get("line"),
                                    error.get("kind", "script"), name)
        if document is None:
            stderr.seek(0)
            tail = stderr.read().decode("utf-8", "replace").strip().splitlines()[-1:]
            rc = proc.returncode
            how = (f"was killed by signal {-rc}" if rc and rc < 0 else f"exited with status {rc}")
            hint = " (the memory limit?)" if rc == -9 else ""
            raise ScriptImportError(f"the import process {how}{hint}"
                                    f"{': ' + tail[0] if tail else ''}", None, "crash", name)
    doc = fileformat.from_data(document["data"])
    return ImportResult(doc, document["data"], document.get("call", 1), document.get("line"),
                        output, list(document.get("groups") or []), time.monotonic() - start)
