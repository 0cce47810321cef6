"""Long work off the GUI thread, with the status bar's progress indicator and Cancel (issue 10).

Reading, parsing, checking and building a large document, or laying out a large graph, is
pure Qt-free Python over new objects: it runs in a worker thread while the GUI thread keeps
painting and shows `widgets/progress.py`'s indicator (input other than its Cancel button is
held back meanwhile, so the document cannot change under the work). Cancel returns at once:
the worker's result is dropped when it arrives and nothing of the window has changed, so the
previous document is left exactly as it was.

Opening also enforces the canvas's size limit before building anything: a document over
`MAX_CANVAS_NODES` nodes is refused with a message naming the limit (the command line,
`gradcanvas check`, still reads it).
"""
from __future__ import annotations

import time
from pathlib import Path

from engine.document import fileformat
from engine.document.errors import DocumentError
from engine.document.perf import gc_paused, worker_thread

# 10,000 nodes open in ~1.5 s and take ~350 MB; the canvas keeps every item in memory, so
# far beyond this a window would take minutes and gigabytes: refuse, and say so
MAX_CANVAS_NODES = 25_000
# files below this size open in well under half a second: no thread, no indicator
BACKGROUND_BYTES = 512 * 1024
POLL_S = 0.02


class TooLargeError(DocumentError):
    """The document has more nodes than the canvas opens."""


def run(window, text: str, fn, *, cancellable: bool = True):
    """``(True, fn())`` run in a worker thread with ``window.progress`` showing ``text``;
    ``(False, None)`` when the user cancelled. An exception of ``fn`` is raised here."""
    box: dict = {}

    def work():
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the GUI thread as is
            box["error"] = e

    worker = worker_thread(work, "gradcanvas-work")  # no GC in the worker: see perf
    indicator = window.progress
    with indicator.task(text, 0, cancellable=cancellable) as progress:
        worker.start()
        while worker.is_alive():
            worker.join(POLL_S)
            if not progress(0, 0):  # paints, delivers the Cancel click
                break
    if indicator.was_cancelled:
        return False, None  # the worker finishes on its own; its result is dropped
    if "error" in box:
        raise box["error"]
    return True, box.get("value")


def _node_count(data) -> int:
    doc = data.get("document") if isinstance(data, dict) else None
    nodes = doc.get("nodes") if isinstance(doc, dict) else None
    return len(nodes) if isinstance(nodes, list) else 0


def _too_large(path, n: int, limit: int) -> TooLargeError:
    name = Path(path).name
    return TooLargeError(f"{name} has {n:,} nodes: the canvas opens documents of up to "
                         f"{limit:,} nodes (MAX_CANVAS_NODES). `gradcanvas check {name}` "
                         "reads it from the command line.")


def load(path, limit: int | None = None):
    """``(document, view)`` of the file at ``path`` (Qt-free: the worker's job); raises
    ``TooLargeError`` above ``limit`` nodes before checking or building anything."""
    limit = MAX_CANVAS_NODES if limit is None else limit
    raw = fileformat.read_bytes(path)
    # json.loads holds the GIL (the window could not paint meanwhile): an obviously too large
    # file is refused before parsing. Only a node has an "op" key (a quote inside a string
    # value is escaped), so this counts the nodes of any file this app wrote
    n = raw.count(b'"op":')
    if n > limit:
        raise _too_large(path, n, limit)
    with gc_paused():
        try:
            data = fileformat.parse(raw)
            n = _node_count(data)
            if n > limit:
                raise _too_large(path, n, limit)
            doc = fileformat.from_data(data)
        except fileformat.FileFormatError as e:
            e.file = str(path)
            raise
    return doc, dict(data.get("view", {}))


def open_document(window, path):
    """``(document, view)`` for the window, or None when the user cancelled. Large files are
    read in the background with progress; errors (``DocumentError``) are raised."""
    try:
        size = Path(path).stat().st_size
    except OSError:
        size = 0
    if size < BACKGROUND_BYTES or getattr(window, "progress", None) is None:
        return load(path)
    t0 = time.perf_counter()
    ok, loaded = run(window, f"Opening {Path(path).name}…", lambda: load(path))
    if not ok:
        window.status(f"Opening {Path(path).name} cancelled: the document is unchanged", 5000)
        window.log("info", f"Opening {path} cancelled after {time.perf_counter() - t0:.1f} s")
        return None
    return loaded
