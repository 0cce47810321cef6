"""Copy, cut, paste and duplicate: a fragment of the document as JSON on the clipboard.

The fragment is the selected nodes with their ``to_dict`` records and only the wires between
them; it goes on the system clipboard under its own MIME type and as plain text, so it travels
between windows (and processes) and pastes into any GradCanvas window.
"""
from __future__ import annotations

import atexit

from PySide6.QtCore import QMimeData
from PySide6.QtWidgets import QApplication

from engine.document import fileformat

MIME = "application/x-gradcanvas-fragment"
FORMAT = "gradcanvas-fragment"
PASTE_OFFSET = 40.0  # each paste of the same fragment lands a bit further down-right


def fragment(document, node_ids) -> dict:
    """The plain data of ``node_ids`` and the wires between them."""
    ids = set(node_ids)
    data = document.to_dict()
    return {"format": FORMAT, "version": 1,
            "nodes": [n for n in data["nodes"] if n["id"] in ids],
            "wires": [w for w in data["wires"] if w["src"] in ids and w["dst"] in ids]}


def to_mime(frag: dict) -> QMimeData:
    # the files' JSON: NaN/Infinity as files write them (an -inf param copies as it saves)
    text = fileformat.pretty(frag)
    mime = QMimeData()
    mime.setData(MIME, text.encode("utf-8"))
    mime.setText(text)
    return mime


def from_mime(mime: QMimeData | None) -> dict | None:
    """The fragment on the clipboard, or None if there is none (or it is not ours)."""
    if mime is None:
        return None
    if mime.hasFormat(MIME):
        text = bytes(mime.data(MIME).data()).decode("utf-8", "replace")
    elif mime.hasText():
        text = mime.text()
    else:
        return None
    return parse(text)


def parse(text: str) -> dict | None:
    try:
        data = fileformat.parse(text)  # the files' reader: NaN/Infinity, size limit, depth
    except fileformat.FileFormatError:
        return None
    if not (isinstance(data, dict) and data.get("format") == FORMAT
            and isinstance(data.get("nodes"), list) and isinstance(data.get("wires", []), list)):
        return None
    for n in data["nodes"]:
        if not (isinstance(n, dict) and isinstance(n.get("id"), str)
                and isinstance(n.get("op"), str)):
            return None
    for w in data.get("wires", []):
        if not (isinstance(w, dict) and all(isinstance(w.get(k), str)
                                             for k in ("src", "dst", "port"))):
            return None
    return data


def put(frag: dict) -> None:
    global _release_registered
    QApplication.clipboard().setMimeData(to_mime(frag))
    if not _release_registered:
        atexit.register(_release_at_exit)
        _release_registered = True


_release_registered = False


def _release_at_exit() -> None:
    """Take our fragment off the clipboard before Qt tears down.

    PySide6 crashes in interpreter shutdown (SIGSEGV, seen on the offscreen platform) when the
    clipboard still holds a QMimeData created from Python; clearing it first avoids that. Only
    our own fragment is cleared: whatever another program copied since is left alone.
    """
    app = QApplication.instance()
    if app is None:
        return
    clipboard = app.clipboard()
    mime = clipboard.mimeData()
    if mime is not None and mime.hasFormat(MIME):
        clipboard.clear()


def get() -> dict | None:
    return from_mime(QApplication.clipboard().mimeData())


def bounds_center(frag: dict) -> tuple[float, float]:
    xs = [float(n.get("pos", (0, 0))[0]) for n in frag["nodes"]] or [0.0]
    ys = [float(n.get("pos", (0, 0))[1]) for n in frag["nodes"]] or [0.0]
    return ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
