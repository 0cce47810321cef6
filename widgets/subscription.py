"""Following a Qt-free document from a Qt object without keeping the object alive."""
from __future__ import annotations

import weakref

import shiboken6


def follow(document, qobject, method: str = "_on_event"):
    """Subscribe ``qobject.<method>(event)`` to ``document``; returns the unsubscribe call.

    The callback holds the object weakly and unsubscribes itself once the Python wrapper is
    gone or Qt has deleted the C++ object, so a closed view never leaks nor gets events.
    """
    ref = weakref.ref(qobject)

    def on_event(event):
        obj = ref()
        if obj is None or not shiboken6.isValid(obj):
            unsubscribe()
            return
        getattr(obj, method)(event)

    unsubscribe = document.subscribe(on_event)
    return unsubscribe
