"""The backward-graph dock beside the canvas (torchviz-like), its selection synced with the
canvas; redrawn coalesced and only while shown (walking and laying out a 1,000-node graph
takes a few hundred ms). Above the view, how much the graph holds for backward (or that a
backward freed it); below it, what the selected grad_fns saved (issue 14), whose rows, hovered,
ring the tensor's source here and on the canvas."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget

from engine.document import roots as _roots
from engine.document import saved_tensors as _saved

from .actions import AREA_RIGHT

UPDATE_DELAY_MS = 150
FIRST_BUILD_DELAY_MS = 600
FIRST_BUILD_LATE_NODES = 2000


class BackwardGraphDock(QObject):
    def __init__(self, host, parent=None) -> None:
        super().__init__(parent)
        from widgets.backward_view import BackwardView
        from widgets.saved_view import BackwardSourceMark, SavedTensorsBox
        self.host = host
        self.doc = host.document()
        panel = QWidget(host.widget())
        panel.setObjectName("backwardPanel")
        view = BackwardView(panel)
        view.setObjectName("backwardView")
        # the graph's memory for backward: the dock's header
        self.memory_label = QLabel(panel)
        self.memory_label.setObjectName("backwardMemory")
        self.memory_label.setWordWrap(True)
        self.memory_label.setContentsMargins(6, 2, 6, 2)
        # what the selected grad_fns saved, under the view
        self.saved_box = SavedTensorsBox(None, caption="saved for backward (hover a tensor: "
                                         "where it came from)")
        self.saved_box.setContentsMargins(6, 2, 6, 2)
        self.saved_scroll = QScrollArea()
        self.saved_scroll.setObjectName("backwardSavedScroll")
        self.saved_scroll.setWidgetResizable(True)
        self.saved_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # the rows wrap to the dock's width
        self.saved_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.saved_scroll.setWidget(self.saved_box)
        self.saved_scroll.hide()
        split = QSplitter(Qt.Orientation.Vertical, panel)
        split.setChildrenCollapsible(False)
        split.addWidget(view)
        split.addWidget(self.saved_scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        self.split = split
        lay = QVBoxLayout(panel)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.memory_label)
        lay.addWidget(split, 1)
        self.panel = panel
        self.source_mark = BackwardSourceMark(view)
        self.dock = host.show_dock("Backward graph", panel, AREA_RIGHT, below_inspector=True)
        self.dock.setObjectName("dock_backward_graph")
        view.nodeSelected.connect(self._view_selected)
        view.scene().selectionChanged.connect(self._show_saved)
        view.scene().saved_provider = self._saved_of  # the boxes' tooltips name the sources
        self.dock.visibilityChanged.connect(lambda on: on and self.results_arrived())
        self.view = view
        self.syncing = False
        # (document generation, graph_version, root) the view shows. The generation is the
        # document's own (+1 on every load/clear): the canvas rebuilds a replaced document
        # with progress, pumping events -- this dock's timer may fire before the "reset"
        # event reaches it, and must still know that the picture is of another document
        self._key = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(UPDATE_DELAY_MS)
        self._timer.timeout.connect(self.update_now)
        self.on_selected = None  # callable(doc_id) after the view selected a node
        # a tab beside the inspector: drawn when its tab (or the window) is shown
        view.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is self.view and event.type() == QEvent.Type.Show:
            self.results_arrived()
        return False

    def shown(self) -> bool:
        return self.dock.isVisible()

    def _wanted_key(self):
        ex = self.host.executor()
        return (self.doc.generation, ex.graph_version if ex is not None else None,
                self._root())

    def _first(self) -> bool:
        """The view shows nothing of the current document yet (just opened or replaced)."""
        return self._key is None or self._key[0] != self.doc.generation

    def _large(self) -> bool:
        return len(self.doc.nodes) >= FIRST_BUILD_LATE_NODES

    def document_replaced(self) -> None:
        """New/Open/Recover: whatever the view shows belongs to the old document."""
        if not self._first():
            return  # already drawn for the new document (its timer fired while building)
        self._timer.stop()
        self.syncing = True
        try:  # cleared now; the forward that follows the load redraws (results_arrived)
            self.view.set_graph({}, {}, None)
            self.view.set_waiting(bool(self.doc.nodes))
        finally:
            self.syncing = False

    def results_arrived(self) -> None:
        """The window has put a forward's results on its views. The first results of a
        document are drawn at once (a small one) -- never a "no result requires grad"
        placeholder for a graph that has one -- or once the canvas has shown its first
        frame (a large one: the open must not wait for the backward graph)."""
        if self._first() and self.shown() and not self._large():
            self.update_now()
        else:
            self.update_soon()

    def _root(self):
        """The model's rule without a selection: the document's root, else the only output
        that requires grad (engine/document/roots.py)."""
        return _roots.resolve_root(self.doc, (), self.host.results()).node_id

    def update_soon(self) -> None:
        if self.shown():  # a backward frees buffers without a new graph: say so now
            self.show_memory()
            if self.saved_box.isVisible():
                self._show_saved()
        if self.shown() and self._key != self._wanted_key():
            # the first build of a large graph (a document just opened: ~0.35 s at 10,000
            # nodes) waits until the canvas has shown its first frame; later updates are
            # incremental and follow an edit within 150 ms
            first = self._first() and self._large()
            self._timer.start(FIRST_BUILD_DELAY_MS if first else UPDATE_DELAY_MS)

    def update_now_even_hidden(self) -> None:
        """Draw the current graph even in a hidden tab (Export Image needs it)."""
        self.update_now(force=True)

    def update_now(self, force: bool = False) -> None:
        self._timer.stop()
        if not force and not self.shown():
            return
        if not force and self._first() and self._large() and \
                getattr(self.host.scene, "build_progress", None) is not None:
            self.update_soon()  # the canvas is still being built (this fired from its pump)
            return
        key = self._wanted_key()
        # module groups (issue 12): clusters around their members' grad_fns
        self.view.clusters.set_groups([(r.title, r.members) for r in self.doc.regions.values()
                                       if r.kind == "module"])
        self.show_memory()
        if key == self._key:
            return
        self._key = key
        self.source_mark.clear()  # its boxes may be replaced
        doc = self.doc
        values = {nid: r.value for nid, r in self.host.results().items() if nid in doc.nodes}
        names = {nid: n.name for nid, n in doc.nodes.items()}
        root = key[2]
        self.syncing = True
        try:
            self.view.set_waiting(False)
            self.view.set_graph(values, names, root)
            self.select(self._selected_one())
        finally:
            self.syncing = False

    # -- what the graph saved for backward (issue 14) ------------------------------------
    def show_memory(self) -> None:
        """The header: bytes the graph holds for backward, or that a backward freed them."""
        ex = self.host.executor()
        self.memory_label.setText("" if ex is None else
                                  "Graph: " + _saved.graph_memory(ex).text())

    def _show_saved(self) -> None:
        """What the grad_fns selected in the view saved (a canvas selection selects all the
        boxes of its node: its grad_fn and the ones inside its op)."""
        ex = self.host.executor()
        items = [it for it in self.view.graph_items() if it.isSelected() and it.fn is not None]
        fns = [it.fn for it in items]
        summaries = _saved.for_grad_fns(ex, fns) if ex is not None and fns else []
        self.saved_box.show_summaries(summaries)
        if bool(summaries) != self.saved_scroll.isVisible():
            self.saved_scroll.setVisible(bool(summaries))
            if summaries:  # the list gets room to read (the splitter resizes it after)
                total = sum(self.split.sizes())
                self.split.setSizes([total * 3 // 5, total - total * 3 // 5])

    def _saved_of(self, fn):
        ex = self.host.executor()
        return _saved.for_grad_fns(ex, [fn])[0] if ex is not None and \
            _saved.saved_names(fn) else None

    def mark_source(self, node_id: str | None) -> None:
        """Ring, in the view, the grad_fn that produced node ``node_id``'s tensor (its leaf
        box for a leaf); None clears."""
        ex = self.host.executor()
        if node_id is None or ex is None:
            self.source_mark.clear()
            return
        self.source_mark.mark(_saved.source_grad_fn(ex, node_id), node_id)

    def _selected_one(self):
        ids = [n for n in self.host.selected_node_ids() if n in self.doc.nodes]
        return ids[0] if len(ids) == 1 else None

    def select(self, node_id) -> None:
        self.view.select_doc_node(node_id)

    def follow_selection(self) -> None:
        if not self.syncing and self.shown():
            self.select(self._selected_one())

    def _view_selected(self, doc_id: str) -> None:
        if self.syncing:
            return
        self.syncing = True
        try:
            self.host.select_nodes([doc_id] if doc_id in self.doc.nodes else [])
        finally:
            self.syncing = False
        if self.on_selected is not None:
            self.on_selected(doc_id)

    def show_step(self, state, player) -> None:
        """Ring the grad_fn a step-through state runs and those before it."""
        if not self.shown():
            return
        self.update_now()
        view = self.view
        if state is None or player is None:
            view.highlight_step(None)
        else:
            fns = [view.find_fn(s.name, s.node_id) for s in player.steps[:state.index + 1]]
            view.highlight_step(fns[-1] if fns else None, [f for f in fns if f is not None])


__all__ = ["BackwardGraphDock"]
