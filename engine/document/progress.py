"""Progress and cancellation of long work, without Qt.

Long work (opening a large file, a forward or backward over half a second, laying out a large
graph) takes an optional ``progress`` callback ``progress(done, total) -> bool``: ``done`` of
``total`` units are finished (``total`` 0 when unknown); returning False asks the work to stop.
The work calls `Ticker.tick` in its loop; the ticker calls back at most every ``every`` units
and raises `Cancelled` when the callback says stop, so the loop itself stays one line. A
widget (widgets/progress.py) or a command-line printer implements the callback.
"""
from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int], bool]


class Cancelled(Exception):  # noqa: N818 - the word the user sees: "Cancelled"
    """The progress callback returned False: the work stopped before the end."""


def no_progress(done: int, total: int) -> bool:
    return True


class Ticker:
    """Reports `done` of `total` to `progress` every `every` units (and at `finish`)."""

    __slots__ = ("progress", "total", "every", "done", "_next", "calls")

    def __init__(self, progress: Progress | None, total: int = 0, every: int = 1) -> None:
        self.progress = progress or no_progress
        self.total, self.every = max(0, int(total)), max(1, int(every))
        self.done = 0
        self._next = 0
        self.calls = 0  # callbacks made (tests count them)

    def tick(self, n: int = 1) -> None:
        """`n` more units done; raises Cancelled when the callback returns False."""
        self.done += n
        if self.done >= self._next:
            self._next = self.done + self.every
            self._report()

    def start(self) -> None:
        """Report 0 done (shows the indicator before the first unit)."""
        self._report()

    def finish(self) -> None:
        self.done = max(self.done, self.total)
        self._report()

    def _report(self) -> None:
        self.calls += 1
        if not self.progress(self.done, self.total):
            raise Cancelled(f"cancelled after {self.done} of {self.total}")
