"""Random sequences of editor commands with undo and redo, through the main window's intent
handlers (what the canvas, inspector and menus call), checking the invariants after each step:
the graph stays acyclic, no wire dangles, the canvas mirrors the model; undo-all gives the
first document back and redo-all the last one."""
from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from PySide6.QtCore import QPointF

from engine.document import fileformat
from engine.document.model import Wire

pytestmark = pytest.mark.gui
OPS = ["ones", "randn", "exp", "relu", "add", "mul", "matmul", "sum", "cat", "tanh", "detach"]
NAMES = ["a", "b", "h", "out", "x", "loss"]


def canon(doc) -> dict:
    return doc.to_dict()  # exact: undo puts nodes and wires back at their old positions


class EditorMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        from app.files import TUTORIAL
        from app.main_window import MainWindow
        self.w = MainWindow(autosave_enabled=False)
        self.w.set_document(fileformat.load(TUTORIAL), None)
        self.doc = self.w.document()
        self.states = {0: canon(self.doc)}  # undo-stack index -> the document at that index

    def teardown(self):
        w, stack = self.w, self.w.undo_stack
        try:
            while stack.canUndo():
                stack.undo()
            assert canon(self.doc) == self.states[0]  # undo-all: the first document
            self._check_views()
            while stack.canRedo():
                stack.redo()
            assert canon(self.doc) == self.states[stack.count()]  # redo-all: the last one
            self._check_views()
        finally:
            stack.setClean()
            w.close()

    # -- helpers --------------------------------------------------------------------------
    def _ids(self):
        return sorted(self.doc.nodes)

    def _pick(self, data, seq):
        return data.draw(st.sampled_from(seq)) if seq else None

    def _check_views(self):
        scene = self.w.scene
        assert {i.node_id for i in scene.node_items()} == set(self.doc.nodes)
        assert {i.wire for i in scene.wire_items()} == set(self.doc.wires)
        self.w.refresh_results()
        assert set(self.w.results()) == set(self.doc.nodes)

    # -- rules: the intents the window turns into commands --------------------------------
    @initialize()
    def start(self):
        assert self.w.undo_stack.count() == 0

    @rule(op=st.sampled_from(OPS), x=st.integers(-400, 1200), y=st.integers(-300, 900))
    def add_node(self, op, x, y):
        n = len(self.doc.nodes)
        nid = self.w.add_node(op, QPointF(x, y))
        assert nid in self.doc.nodes and len(self.doc.nodes) == n + 1

    @rule(data=st.data())
    def connect(self, data):
        ids = self._ids()
        if len(ids) < 2:
            return
        src, dst = self._pick(data, ids), self._pick(data, ids)
        spec = self.doc.nodes[dst].spec
        if not spec.inputs:
            return
        port = self._pick(data, list(spec.inputs))
        index = data.draw(st.integers(0, 2)) if port.variadic else 0
        steps = self.w.undo_stack.count()
        self.w.on_connect_requested(src, dst, port.name, index)  # may be refused: fine
        if Wire(src, dst, port.name, index) not in self.doc.wires:
            assert self.w.undo_stack.count() == steps  # a refusal leaves no step behind

    @rule(data=st.data())
    def disconnect(self, data):
        if self.doc.wires:
            self.w.on_disconnect_requested(self._pick(data, list(self.doc.wires)))

    @rule(data=st.data())
    def delete(self, data):
        ids = self._ids()
        if not ids:
            return
        chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        wires = [w for w in self.doc.wires if data.draw(st.booleans())][:2]
        self.w.on_delete_requested(chosen, wires)
        assert not set(chosen) & set(self.doc.nodes)

    @rule(data=st.data(), dx=st.integers(-200, 200), dy=st.integers(-200, 200))
    def move(self, data, dx, dy):
        ids = self._ids()
        if not ids:
            return
        chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        moves = {}
        for nid in chosen:
            x, y = self.doc.nodes[nid].pos
            moves[nid] = ((x, y), (x + dx, y + dy))
        self.w.on_nodes_moved(moves)

    @rule(data=st.data(), size=st.integers(1, 6))
    def set_param(self, data, size):
        cands = [n for n in self._ids() if "shape" in self.doc.nodes[n].params
                 or "scalar" in self.doc.nodes[n].params]
        if not cands:
            return
        nid = self._pick(data, cands)
        if "shape" in self.doc.nodes[nid].params:
            self.w.set_param(nid, "shape", (size,))
        else:
            self.w.set_param(nid, "scalar", size)

    @rule(data=st.data(), name=st.sampled_from(NAMES))
    def rename(self, data, name):
        ids = self._ids()
        if ids:
            self.w.rename_node(self._pick(data, ids), name)  # a taken name is refused

    @rule(data=st.data())
    def duplicate(self, data):
        ids = self._ids()
        if not ids:
            return
        chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        self.w.scene.select_nodes(chosen)
        new = self.w.duplicate()
        assert len(new) == len(chosen)

    @rule(data=st.data())
    def flag(self, data):
        ids = self._ids()
        if ids:
            nid = self._pick(data, ids)
            flag = data.draw(st.sampled_from(["requires_grad", "retain_grad", "frozen_output"]))
            self.w.set_flag(nid, flag, not getattr(self.doc.nodes[nid], flag))

    @rule(n=st.integers(1, 4))
    def undo(self, n):
        stack = self.w.undo_stack
        for _ in range(n):
            stack.undo()
            assert canon(self.doc) == self.states[stack.index()]
        self._undoing = True

    @rule(n=st.integers(1, 4))
    def redo(self, n):
        stack = self.w.undo_stack
        for _ in range(n):
            stack.redo()
            assert canon(self.doc) == self.states[stack.index()]
        self._undoing = True

    # -- invariants -------------------------------------------------------------------------
    @invariant()
    def history_is_consistent(self):
        """Every stack index maps to one document; an edit forgets the redo branch."""
        stack = self.w.undo_stack
        if getattr(self, "_undoing", False):
            self._undoing = False
            return
        i = stack.index()
        if i < stack.count():  # nothing was pushed (refused or a no-op): nothing changed
            assert canon(self.doc) == self.states[i]
            return
        self.states = {k: v for k, v in self.states.items() if k < i}
        self.states[i] = canon(self.doc)  # (a merged SetParam updates its own step)

    @invariant()
    def acyclic_and_no_dangling_wires(self):
        doc = self.doc
        assert nx.is_directed_acyclic_graph(doc.graph())
        for w in doc.wires:
            assert w.src in doc.nodes and w.dst in doc.nodes
        slots = [(w.dst, w.port, w.index) for w in doc.wires]
        assert len(slots) == len(set(slots))
        names = [n.name for n in doc.nodes.values()]
        assert len(names) == len(set(names))

    @invariant()
    def canvas_mirrors_the_model(self):
        scene = self.w.scene
        assert {i.node_id for i in scene.node_items()} == set(self.doc.nodes)
        assert {i.wire for i in scene.wire_items()} == set(self.doc.wires)

    @invariant()
    def modified_mark_follows_the_stack(self):
        assert self.w.isWindowModified() == (not self.w.undo_stack.isClean())


def test_random_editing_sessions_with_undo_and_redo(qtbot):
    from app.main_window import create_application
    create_application()
    run_state_machine_as_test(
        EditorMachine,
        settings=settings(max_examples=20, stateful_step_count=25, deadline=None,
                          suppress_health_check=list(HealthCheck)))
