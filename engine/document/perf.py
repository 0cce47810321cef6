"""Keeping big documents fast: helpers shared by loading and execution (issue 10)."""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0  # open gc_paused() blocks, in any thread
_was_enabled = True


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while building many objects at once (a file's
    nodes and wires, a forward's tensors). Each collection walks every live object, so with
    a 100,000-node document they cost more than the work itself; reference counting still
    frees what is dropped, and the collector runs as usual afterwards.

    Also what a worker thread runs under (``worker_thread``): a collection triggered by the
    worker's allocations would run there and could finalize Qt objects of the GUI thread
    (a segfault seen while an import built its document). The pause is counted, so nested
    and concurrent blocks (GUI thread and a worker) re-enable the collector only when the
    last one ends."""
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


def worker_thread(target, name: str) -> threading.Thread:
    """A daemon thread that runs ``target`` with the cyclic collector paused (see above)."""
    def run():
        with gc_paused():
            target()
    return threading.Thread(target=run, name=name, daemon=True)
