""""See what autograd sees" (issue 14) in a window: why a .grad is None (the inspector's
"why?"), and the timeline of backward calls (a dock). Installed by the controller with one
line; the answers come from the model (engine/document/why_none.py, backward_history.py)."""
from __future__ import annotations

from PySide6.QtCore import QObject

from engine.document import why_none as _why


class Insight(QObject):
    def __init__(self, host, controller) -> None:
        super().__init__(controller)
        self.host = host
        self.controller = controller
        # the inspector is the window's (not part of the Host protocol): optional here
        inspector = getattr(host, "inspector", None)
        if inspector is not None and hasattr(inspector, "set_why_provider"):
            inspector.set_why_provider(self.why_none)

    def why_none(self, node_id) -> _why.Explanation | None:
        ex = self.controller.executor()
        doc = self.controller.doc
        if ex is None or node_id not in doc.nodes:
            return None
        return _why.explain(doc, node_id, ex.results, ex.history)


__all__ = ["Insight"]
