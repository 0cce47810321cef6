"""Reading and saving graph files as careful editors do (Qt-free: the app and the CLI).

- Read only regular files, checked with ``os.stat`` before ``open``: opening a FIFO that has
  no writer blocks forever, a device reads without end.
- Save through a symlink to its target (the link stays a link); never replace a FIFO, device,
  socket or folder; replace a read-only file only when the caller says so (the GUI asks first,
  headless callers refuse). The write itself is ``fileformat.save`` (atomic).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from . import fileformat
from .errors import DocumentError

_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISDIR, "a folder"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


class FileRefusedError(DocumentError):
    """A path that must not be read or written as a graph file (with a plain reason)."""


class ReadOnlyFileError(FileRefusedError):
    """A read-only regular file: replaced only after the user said so."""


def check_readable(path) -> None:
    """Refuse anything but a regular file *before* opening it: opening a FIFO with no writer
    blocks forever, a device reads endlessly. A missing file is left to the reader's message."""
    try:
        st = os.stat(path)  # follows symlinks: a link to a regular file is fine
    except OSError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise FileRefusedError(f"{path} is {_kind(st.st_mode)}, not a graph file")


def is_read_only(st: os.stat_result) -> bool:
    """No write bit at all. Checked on the mode bits, not with os.access: root may write
    anything, but a file someone made read-only should still not be replaced unasked."""
    return not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def save_target(path, replace_read_only: bool = False) -> Path:
    """Where saving ``path`` writes: through a symlink to its target (the link stays a link),
    never onto a device, FIFO, socket or folder, and onto a read-only file only when
    ``replace_read_only`` (the GUI asks first; headless callers refuse). Raises FileRefusedError."""
    target = Path(os.path.realpath(path))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target  # a new file (or a dangling link's target): created by the save
    except OSError as e:
        raise FileRefusedError(f"cannot save {path}: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise FileRefusedError(f"{path} is {_kind(st.st_mode)}: refusing to replace it")
    if is_read_only(st) and not replace_read_only:
        raise ReadOnlyFileError(f"{path} is read-only: refusing to replace it")
    return target


def save_document(document, path, view: dict | None = None,
                  replace_read_only: bool = False) -> Path:
    """Save as careful editors do (see save_target); returns the file actually written."""
    target = save_target(path, replace_read_only)
    fileformat.save(document, target, view=view)
    return target


def with_suffix_if_none(path: str) -> str:
    """Append .json only when the user typed no suffix and named nothing that exists
    ("/dev/full" is that device, refused later, not a new "/dev/full.json")."""
    if Path(path).suffix or os.path.lexists(path):
        return path
    return path + ".json"


