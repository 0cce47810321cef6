"""The autograd undo commands under random sequences with undo and redo: at every stack
position the document is exactly the one that position stands for."""
from __future__ import annotations

from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from PySide6.QtGui import QUndoStack

from app import autograd_commands as AC
from app import commands as C
from engine.document import fileformat
from engine.document.model import DocumentError

TUTORIAL = Path(__file__).resolve().parents[2] / "resources" / "examples" / "tutorial.json"


class AutogradCommands(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.doc = fileformat.load(TUTORIAL)
        self.stack = QUndoStack()
        self.states = [self.doc.to_dict()]  # states[i]: the document at stack index i

    def push(self, cmd) -> None:
        try:
            C.execute(self.stack, cmd)
        except DocumentError:
            return  # refused: nothing changed, nothing pushed
        i = self.stack.index()
        self.states[i:] = [self.doc.to_dict()]

    def nodes(self, data, min_size=1):
        ids = sorted(self.doc.nodes)
        return data.draw(st.lists(st.sampled_from(ids), min_size=min_size, max_size=3,
                                  unique=True))

    @rule(data=st.data(), frozen=st.booleans())
    def freeze(self, data, frozen):
        self.push(AC.freeze(self.doc, self.nodes(data), frozen))

    @rule(data=st.data(), on=st.booleans())
    def retain_grad(self, data, on):
        ids = [n for n in self.nodes(data) if not self.doc.nodes[n].spec.is_source]
        if ids:
            self.push(AC.retain_grad(self.doc, ids, on))

    @rule(data=st.data())
    def detach(self, data):
        self.push(AC.InsertDetach(self.doc, self.nodes(data)[0]))

    @rule(data=st.data())
    def frame(self, data):
        self.push(AC.no_grad_frame(self.doc, self.nodes(data)))

    @precondition(lambda self: self.doc.regions)
    @rule(data=st.data())
    def members(self, data):
        rid = data.draw(st.sampled_from(sorted(self.doc.regions)))
        old = set(self.doc.regions[rid].members)
        self.push(AC.SetRegionMembers(self.doc, rid, old, set(self.nodes(data, 0))))

    @precondition(lambda self: self.doc.regions)
    @rule(data=st.data(), rect=st.none() | st.tuples(*[st.integers(0, 500)] * 2,
                                                       *[st.integers(1, 500)] * 2))
    def resize(self, data, rect):
        rid = data.draw(st.sampled_from(sorted(self.doc.regions)))
        self.push(AC.SetRegionRect(self.doc, rid, self.doc.regions[rid].rect, rect))

    @precondition(lambda self: self.doc.regions)
    @rule(data=st.data())
    def remove_frame(self, data):
        self.push(AC.remove_frame(self.doc, data.draw(st.sampled_from(sorted(self.doc.regions)))))

    @rule(name=st.sampled_from(["retain_graph", "grad_enabled"]), on=st.booleans())
    def flag_setting(self, name, on):
        self.push(AC.setting(self.doc, name, on))

    @rule(seed=st.sampled_from(["ones", None, [1.0], [[1.0, 2.0, 3.0]]]))
    def seed(self, seed):
        self.push(AC.setting(self.doc, "seed", seed))

    @rule(data=st.data())
    def root(self, data):
        self.push(AC.set_root(self.doc, data.draw(st.none() | st.sampled_from(
            sorted(self.doc.nodes)))))

    @precondition(lambda self: self.stack.canUndo())
    @rule()
    def undo(self):
        self.stack.undo()

    @precondition(lambda self: self.stack.canRedo())
    @rule()
    def redo(self):
        self.stack.redo()

    @invariant()
    def document_is_the_one_of_this_stack_position(self):
        assert self.doc.to_dict() == self.states[self.stack.index()]
        assert all(w.src in self.doc.nodes and w.dst in self.doc.nodes for w in self.doc.wires)

    def teardown(self):
        while self.stack.canUndo():
            self.stack.undo()
        assert self.doc.to_dict() == self.states[0]
        while self.stack.canRedo():
            self.stack.redo()
        assert self.doc.to_dict() == self.states[-1]


@pytest.fixture(autouse=True)
def _qapp(qapp):
    return qapp


TestAutogradCommands = AutogradCommands.TestCase
TestAutogradCommands.settings = settings(max_examples=40, stateful_step_count=20,
                                         deadline=None)
