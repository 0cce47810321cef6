"""Errors never kill the app: an exception in any slot or event handler goes to the log dock
and to stderr, and the window keeps working.

PySide6 reports an exception raised in a Python slot or in an overridden virtual method (event
handlers, paint) through ``sys.excepthook`` and then returns to the event loop; we install a hook
that prints the traceback and emits :attr:`ErrorReporter.exceptionRaised`, which every open
window shows in its log. ``threading.excepthook`` is routed the same way.
"""
from __future__ import annotations

import sys
import threading
import traceback

from PySide6.QtCore import QObject, Signal


class ErrorReporter(QObject):
    # (one-line summary, full traceback text); AutoConnection queues it from other threads
    exceptionRaised = Signal(str, str)  # noqa: N815 (Qt signal naming)


_reporter: ErrorReporter | None = None


def reporter() -> ErrorReporter:
    global _reporter
    if _reporter is None:
        _reporter = ErrorReporter()
    return _reporter


def summary(exc_type, exc) -> str:
    text = str(exc)
    return f"{exc_type.__name__}: {text}" if text else exc_type.__name__


class _Hook:
    """sys.excepthook replacement; ``prev`` is the hook it replaced (a test harness's, say)."""

    def __init__(self, prev):
        self.prev = prev
        self._busy = False

    def __call__(self, exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            (self.prev or sys.__excepthook__)(exc_type, exc, tb)
            return
        full = "".join(traceback.format_exception(exc_type, exc, tb))
        if self.prev is None or self.prev is sys.__excepthook__:
            sys.stderr.write(full)
            sys.stderr.flush()
        else:  # keep a harness (pytest-qt) informed; it prints as well
            self.prev(exc_type, exc, tb)
        if self._busy:  # an exception while reporting one: stderr only, no loop
            return
        self._busy = True
        try:
            reporter().exceptionRaised.emit(summary(exc_type, exc), full)
        except Exception:  # noqa: BLE001 - the reporter must never raise
            traceback.print_exc()
        finally:
            self._busy = False


def install() -> None:
    """Route uncaught exceptions (GUI thread and Python threads) to the log; idempotent."""
    if not isinstance(sys.excepthook, _Hook):
        sys.excepthook = _Hook(sys.excepthook)
    if not getattr(threading.excepthook, "_gradcanvas", False):
        def thread_hook(args, _prev=threading.excepthook):
            if args.exc_type is SystemExit:
                return _prev(args)
            sys.excepthook(args.exc_type, args.exc_value, args.exc_traceback)
        thread_hook._gradcanvas = True
        threading.excepthook = thread_hook


def uninstall() -> None:
    """Put back the hooks that were there before :func:`install` (used by tests)."""
    if isinstance(sys.excepthook, _Hook):
        sys.excepthook = sys.excepthook.prev or sys.__excepthook__
    if getattr(threading.excepthook, "_gradcanvas", False):
        threading.excepthook = threading.__excepthook__
