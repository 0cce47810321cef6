"""The collector pause is counted: overlapping blocks (the GUI thread's build and a worker's
import) turn collection back on only when the last one ends -- a collection in a worker
thread could finalize the GUI thread's Qt objects."""
from __future__ import annotations

import gc
import threading

from engine.document.perf import gc_paused, worker_thread


def test_overlapping_pauses_reenable_only_at_the_end():
    assert gc.isenabled()
    outer = gc_paused()
    outer.__enter__()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the inner end does not turn it back on under the outer
    outer.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_worker_thread_runs_with_the_collector_paused():
    seen, go = [], threading.Event()

    def work():
        seen.append(gc.isenabled())
        go.wait(5)

    t = worker_thread(work, "test-worker")
    t.start()
    while not seen:
        pass
    assert seen == [False] and not gc.isenabled()
    go.set()
    t.join(5)
    assert gc.isenabled()
