"""What the canvas shows over the graph, apart from the graph itself: the highlighted
backward DAG of a root (narrowed to one leaf's paths on hover), NaN/Inf anomaly marks, the
ring around the node a hovered saved tensor came from (mark_saved_source), and
the step-through state (gradients on wires, each leaf's .grad at that step) and the
executor's results shown on the items (set_results: shape, grad_fn, which wires carry grad).

A mixin of GraphScene: it reads the scene's item maps and never touches the document.
"""
from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from engine.document import roots as _roots

from .. import theme
from .items import NodeItem, WireItem


def _reach(start, edges) -> set:
    """Nodes reachable from ``start`` along ``edges`` {node: [next, ...]} (plain dicts: no
    networkx import at start-up)."""
    seen, stack = set(), [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


class OverlayMixin:
    """Backward-DAG highlight, anomaly marks, step-through and results display of a GraphScene."""

    def _init_overlays(self) -> None:
        self.auto_dag = True  # a single selected root shows its DAG by itself
        # the base highlight (explicit or of the selected root) and the narrower one shown
        # while a leaf is hovered
        self._highlight: tuple[set, set] | None = None
        self._hl_root: str | None = None
        self._hover_leaf: str | None = None
        self._anomalies: dict[str, str] = {}
        self._step = None
        self._source_mark: tuple[str, QGraphicsPathItem] | None = None

    # ------------------------------------------------------------------ backward-DAG highlight
    def set_highlight(self, nodes, wires, root: str | None = None) -> None:
        """Draw these nodes and wires emphasised and dim the rest (a backward DAG). With
        `root`, hovering one of its leaves narrows the highlight to that leaf's paths."""
        self._highlight = (set(nodes or ()), set(wires or ()))
        changed = root != self._hl_root
        self._hl_root = root
        self._hover_leaf = None
        self._apply_highlight()
        if changed:
            self.dagHighlighted.emit(root or "")

    def clear_highlight(self) -> None:
        had_root = self._hl_root is not None
        self._highlight = None
        self._hl_root = None
        self._hover_leaf = None
        self._apply_highlight()
        if had_root:
            self.dagHighlighted.emit("")

    def highlight(self) -> tuple[set, set] | None:
        """The base highlight (nodes, wires), or None."""
        return self._highlight

    def highlight_root(self) -> str | None:
        return self._hl_root

    def show_dag(self, root: str | None) -> bool:
        """Highlight `root`'s backward DAG (document.backward_dag); False (and cleared) when
        gradient cannot flow from it."""
        if root is None or root not in self.document.nodes:
            self.clear_highlight()
            return False
        dag = self.document.backward_dag(root)
        if not dag.nodes:
            self.clear_highlight()
            return False
        self.set_highlight(dag.nodes, dag.wires, root=root)
        return True

    def can_be_root(self, node_id) -> bool:
        """The model's rule (engine/document/roots.py): backward can start there."""
        return _roots.can_be_root(self.document, node_id, self._results)

    def _selection_dag(self) -> None:
        if not self.auto_dag or self._step is not None:
            return
        items = self.selectedItems()
        one = items[0].node_id if len(items) == 1 and isinstance(items[0], NodeItem) else None
        if one is not None and self.can_be_root(one):
            self.show_dag(one)
        elif one is not None and self._highlight is not None and self._hl_root is not None \
                and one in self._highlight[0] and self.document.nodes[one].spec.is_source:
            pass  # a leaf of the shown DAG: keep it (inspect w.grad with its paths in view)
        elif self._hl_root is not None:
            self.clear_highlight()

    def _refresh_dag(self) -> None:
        if self._hl_root is not None:
            self.show_dag(self._hl_root)

    def _emphasis_sets(self) -> tuple[set, set] | None:
        base = self._highlight
        leaf = self._hover_leaf
        if leaf is None or base is None or self._hl_root is None:
            return base
        nodes, wires = base
        succ: dict = {}
        pred: dict = {}
        for w in wires:
            succ.setdefault(w.src, []).append(w.dst)
            pred.setdefault(w.dst, []).append(w.src)
        root = self._hl_root
        if leaf not in succ or root not in pred:
            return base
        on_path = (_reach(leaf, succ) & _reach(root, pred)) | {leaf, root}
        return on_path, {w for w in wires if w.src in on_path and w.dst in on_path}

    def _apply_highlight(self) -> None:
        sets = self._emphasis_sets()
        if sets is None:
            for item in self._nodes.values():
                item.set_emphasis(0)
            for item in self._wires.values():
                item.set_emphasis(0)
            for item in self._regions.values():
                item.set_emphasis(0)
            return
        nodes, wires = sets
        for nid, item in self._nodes.items():
            item.set_emphasis(1 if nid in nodes else -1)
        for w, item in self._wires.items():
            item.set_emphasis(1 if w in wires else -1)
        for item in self._regions.values():
            item.set_emphasis(1 if item.members & nodes else -1)

    def emphasised(self) -> tuple[set, set]:
        """What is drawn emphasised right now (hover narrowing included)."""
        return ({n for n, i in self._nodes.items() if i.emphasis > 0},
                {w for w, i in self._wires.items() if i.emphasis > 0})

    def hover_leaf(self, node_id: str | None) -> None:
        """Narrow the highlight to the paths from leaf `node_id` to the highlighted root
        (None restores the whole DAG). Called on mouse hover; public for the app/tests."""
        if self._highlight is None or self._hl_root is None:
            node_id = None
        elif node_id is not None:
            node = self.document.nodes.get(node_id)
            if node is None or not node.spec.is_source or node_id not in self._highlight[0]:
                node_id = None
        if node_id != self._hover_leaf:
            self._hover_leaf = node_id
            self._apply_highlight()

    # ------------------------------------------------------------------ saved-tensor source
    def mark_saved_source(self, node_id: str | None) -> None:
        """Ring the node a hovered saved tensor came from (None clears). The ring is a child
        of the node's item: it moves and goes with it, and the node's painting is untouched."""
        if self._source_mark is not None and self._source_mark[0] == node_id:
            return
        self._clear_source_mark()
        item = self._nodes.get(node_id) if node_id else None
        if item is None:
            return
        path = QPainterPath()
        path.addRoundedRect(item.body_rect().adjusted(-6, -6, 6, 6), 10, 10)
        ring = QGraphicsPathItem(path, item)
        pen = QPen(theme.color("grad_fn"), 4.0)  # saved by a grad_fn: its colour, not the DAG's
        pen.setCosmetic(True)  # readable at any zoom
        ring.setPen(pen)
        ring.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        ring.setAcceptHoverEvents(False)
        self._source_mark = (node_id, ring)

    def _clear_source_mark(self) -> None:
        mark, self._source_mark = self._source_mark, None
        if mark is not None and shiboken6.isValid(mark[1]) and mark[1].scene() is not None:
            mark[1].scene().removeItem(mark[1])

    def saved_source(self) -> str | None:
        """The node ringed as a hovered saved tensor's source, or None."""
        mark = self._source_mark
        if mark is None or not shiboken6.isValid(mark[1]) or mark[1].scene() is not self:
            return None
        return mark[0]

    # ------------------------------------------------------------------ anomalies
    def set_anomaly(self, node_id: str, message: str | None) -> None:
        """Mark the node that first produced a NaN/Inf (message shown on it); None clears."""
        if message:
            self._anomalies[node_id] = message
        else:
            self._anomalies.pop(node_id, None)
        item = self._nodes.get(node_id)
        if item is not None:
            item.set_anomaly(message)

    def clear_anomalies(self) -> None:
        for nid in list(self._anomalies):
            self.set_anomaly(nid, None)

    def anomalies(self) -> dict[str, str]:
        return dict(self._anomalies)

    # ------------------------------------------------------------------ step-through
    def show_step(self, state) -> None:
        """Show a step-through State (engine/document/stepthrough.py; None = clear_step()):
        the running grad_fn's node ringed, finished nodes marked, the gradient sent along
        each wire so far as a label with a small preview, and every leaf's .grad as it is
        at this step."""
        if state is None:
            self.clear_step()
            return
        self._step = state
        active = getattr(state, "active", None)
        done = set(getattr(state, "done", ()) or ())
        for nid, item in self._nodes.items():
            item.set_step_mark("active" if nid == active else ("done" if nid in done else None))
        wires = getattr(state, "wires", {}) or {}
        for w, item in self._wires.items():
            g = wires.get(w)
            if g is None:
                item.set_label(None)
                item.set_stepped(False)
            else:
                item.set_label(grad_label(g), g)
                item.set_stepped(True)
        grads = getattr(state, "grads", {}) or {}
        for nid, item in self._nodes.items():
            if nid in grads:
                item.set_grad_override(grads[nid])
            else:
                item.set_grad_override()

    def clear_step(self) -> None:
        self._step = None
        for item in self._nodes.values():
            item.set_step_mark(None)
            item.set_grad_override()
        for item in self._wires.values():
            item.set_label(None)
            item.set_stepped(False)

    def step_state(self):
        return self._step

    # ------------------------------------------------------------------ results / display
    def set_results(self, results: dict | None, changed=None) -> None:
        """Display-only executor data: shape, dtype, grad_fn, error/blocked per node.
        ``changed`` (node ids: what the forward recomputed, whose .grad a backward wrote)
        limits the update to those nodes and their wires: an edit costs O(changed), not
        O(N). None updates everything."""
        self._results = results
        get = results.get if results else (lambda _nid: None)
        if changed is None:
            for nid, item in self._nodes.items():
                item.set_result(get(nid))
            for item in self._wires.values():
                self._style_wire(item)
            self.groups.results_changed()
            return
        nodes = self._nodes
        wires = {}
        for nid in changed:
            item = nodes.get(nid)
            if item is None:
                continue
            item.set_result(get(nid))
            for w in item.wires_in.values():
                if w is not None:
                    wires[id(w)] = w
            for w in item.wires_out:
                wires[id(w)] = w
        for w in wires.values():
            self._style_wire(w)
        self.groups.results_changed()

    def _style_wire(self, item: WireItem) -> None:
        res = self._results
        if not res:
            item.set_carries_grad(None)
            return
        a, b = res.get(item.wire.src), res.get(item.wire.dst)
        if a is None or b is None:
            item.set_carries_grad(None)
            return
        port = item.dst.spec.port(item.wire.port) if item.dst.spec is not None else None
        diff = getattr(port, "differentiable", True)
        item.set_carries_grad(bool(a.requires_grad and b.requires_grad and diff))

    def set_emphasis(self, nodes=None, wires=None) -> None:
        """Highlight these nodes/wires and dim the rest; None clears (= set_highlight)."""
        if nodes is None and wires is None:
            self.clear_highlight()
        else:
            self.set_highlight(nodes, wires)


def grad_label(g) -> str:
    """The text of a gradient on a wire: the number, a short vector, or its shape."""
    from .previews import as_array, format_number
    a = as_array(g)
    if a.ndim == 0:
        return format_number(a.item())
    if a.size <= 3:
        return "[" + ", ".join(format_number(v) for v in a.ravel().tolist()) + "]"
    return "[" + ", ".join(str(d) for d in a.shape) + "]"
