"""The autograd controls need nothing from their window but the Host interface
(app/autograd/host.py): here they run on a small stub host with a real scene, a real engine
and a real undo stack -- no MainWindow."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QDockWidget, QMainWindow

from app import commands as C
from app.autograd import AutogradController
from app.files import TUTORIAL
from engine.document import fileformat
from engine.document.errors import DocumentError
from engine.document.execution import Executor
from widgets.canvas import GraphScene

pytestmark = pytest.mark.gui


class StubHost(QObject):
    """Implements app.autograd.host.Host and records what the controller asked for."""

    resultsChanged = Signal()  # noqa: N815

    def __init__(self, doc):
        super().__init__()
        self.win = QMainWindow()
        self.doc, self.scene = doc, GraphScene(doc)
        self.ex = Executor(doc)
        self.stack = QUndoStack()
        self.logs, self.statuses, self.actions, self.docks = [], [], {}, []
        self.shown = 0
        self._dirty = True
        doc.subscribe(lambda ev: ev.layout_only or setattr(self, "_dirty", True))
        self.request_refresh(now=True)

    def document(self):
        return self.doc

    def executor(self):
        return self.ex

    def results(self):
        return self.ex.results

    def push(self, cmd):
        try:
            C.execute(self.stack, cmd)
        except DocumentError as e:
            self.refused(str(e))
            return False
        return True

    def refused(self, reason):
        self.logs.append(("warning", reason))

    def selected_node_ids(self):
        return self.scene.selected_node_ids()

    def select_nodes(self, ids):
        self.scene.select_nodes(ids)

    def request_refresh(self, now=False):
        if self._dirty:
            self._dirty = False
            self.ex.forward()
            self.show_results()
            self.resultsChanged.emit()

    def show_results(self, results=None, changed=None):
        self.shown += 1
        self.scene.set_results(self.ex.results, changed)

    def log(self, level, text):
        self.logs.append((level, text))

    def status(self, text, ms=4000):
        self.statuses.append(text)

    def widget(self):
        return self.win

    def register_actions(self, actions, prefix):
        self.actions.update({prefix + k: a for k, a in actions.items()})

    def add_menu(self, menu, before="menu_help"):
        self.win.menuBar().addMenu(menu)

    def add_toolbar(self, title, name):
        tb = self.win.addToolBar(title)
        tb.setObjectName(name)
        return tb

    def add_status_widget(self, widget):
        self.win.statusBar().addPermanentWidget(widget)

    def show_dock(self, title, widget, area, *, below_inspector=False):
        dock = QDockWidget(title, self.win)
        dock.setWidget(widget)
        self.win.addDockWidget(area, dock)
        self.docks.append(title)
        return dock


@pytest.fixture
def host(qtbot):
    h = StubHost(fileformat.load(TUTORIAL))
    qtbot.addWidget(h.win)
    yield h
    h.scene.detach()


def test_the_controls_run_on_any_host(host):
    ctl = AutogradController(host)
    assert set(host.actions) >= {"autograd_backward", "autograd_freeze", "autograd_step"}
    assert host.docks == ["Backward graph", "Backward calls", "Chain rule"]
    doc = host.doc
    loss, w = doc.node_by_name("loss"), doc.node_by_name("w")
    host.select_nodes([loss.id])
    shown = host.shown
    host.actions["autograd_backward"].trigger()
    assert any(lv == "info" and t.startswith("loss.backward()") for lv, t in host.logs)
    assert host.ex.results[w.id].grad is not None
    assert host.shown == shown + 1  # the new .grad went to the views through the host
    host.select_nodes([w.id])
    host.actions["autograd_freeze"].trigger()  # an edit: one command on the host's stack
    assert host.stack.count() == 1 and doc.is_frozen(w.id)
    host.request_refresh(now=True)
    host.stack.undo()
    assert not doc.is_frozen(w.id)
    host.request_refresh(now=True)
    host.select_nodes([loss.id])
    player = ctl.step_through()
    assert player is not None and "Step-through backward" in host.docks
    ctl.seek_step(len(player) - 1)
    assert host.scene.step_state() is not None
    ctl.shutdown()
