"""Keeping big documents fast: helpers shared by loading and execution (issue 10)."""
from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while building many objects at once (a file's
    nodes and wires, a forward's tensors). Each collection walks every live object, so with
    a 100,000-node document they cost more than the work itself; reference counting still
    frees what is dropped, and the collector runs as usual afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
