"""Opening a large file: a progress bar in the status bar, Cancel keeps the old document, and
a document over the canvas's limit is refused with the limit named (issue 10)."""
from __future__ import annotations

import json
import threading

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from app import background
from engine.document import fileformat, migrations

pytestmark = pytest.mark.gui


def layered(n: int) -> dict:
    """n nodes: a column of leaves feeding tanh ops (as benchmarks/bench_canvas.py makes)."""
    nodes, wires = [], []
    n_src = max(n // 5, 1)
    for i in range(n):
        nid = f"n{i + 1}"
        if i < n_src:
            nodes.append({"id": nid, "op": "randn", "name": f"w{i}",
                          "params": {"shape": [3], "seed": i}, "pos": [0.0, i * 130.0],
                          "requires_grad": True})
        else:
            nodes.append({"id": nid, "op": "tanh", "name": f"v{i}", "params": {},
                          "pos": [260.0 * (i // 25), 130.0 * (i % 25)]})
            wires.append({"src": f"n{(i * 7) % n_src + 1}", "dst": nid, "port": "input"})
    return {"nodes": nodes, "wires": wires}


def write(tmp_path, n: int, separators=None):
    path = tmp_path / f"big{n}.json"
    env = {"format": fileformat.FORMAT, "schema_version": migrations.SCHEMA_VERSION,
           "document": layered(n)}
    path.write_text(json.dumps(env, separators=separators))
    return path


@pytest.fixture
def big_file(tmp_path):
    path = write(tmp_path, 4000)
    assert path.stat().st_size >= background.BACKGROUND_BYTES  # takes the background path
    return path


def test_large_file_opens_with_progress(window, big_file):
    ind = window.progress
    seen = []
    ind.started.connect(lambda text: seen.append((text, ind.isVisible(),
                                                  ind.bar.maximum())))
    assert not ind.isVisible()
    assert window.files.open(str(big_file))
    assert len(window.document().nodes) == 4000
    assert len(window.scene.node_items()) == 4000
    texts = [t for t, _, _ in seen]
    assert texts[0].startswith(f"Opening {big_file.name}")
    assert any(t.startswith("Building the canvas (4,000 nodes)") for t in texts)
    assert all(visible for _, visible, _ in seen)
    assert [m for t, _, m in seen if t.startswith("Building")] == [4000]  # a real bar
    assert not ind.isVisible()  # gone when done


def test_cancel_keeps_the_previous_document(window, big_file, monkeypatch):
    before = window.document().to_dict()
    title = window.windowTitle()
    gate = threading.Event()
    real = background.load

    def held_load(path, limit=None):  # the real loader, started only after the click
        gate.wait(30)
        return real(path, limit)
    monkeypatch.setattr(background, "load", held_load)
    ind = window.progress
    clicks = []

    def click_cancel():
        clicks.append(ind.cancel_button.isVisible())
        QTest.mouseClick(ind.cancel_button, Qt.MouseButton.LeftButton)
        gate.set()
    ind.started.connect(lambda _t: QTimer.singleShot(0, click_cancel))
    assert window.files.open(str(big_file)) is False
    assert clicks == [True]
    assert ind.was_cancelled and not ind.isVisible()
    assert window.document().to_dict() == before  # the old document, untouched
    assert window.windowTitle() == title
    assert len(window.scene.node_items()) == len(before["nodes"])
    assert "cancelled" in window.statusBar().currentMessage()


@pytest.mark.parametrize("separators", [None, (", ", " : ")])  # counted before / after parsing
def test_over_the_limit_is_refused_naming_it(window, tmp_path, dialogs, separators):
    n = background.MAX_CANVAS_NODES + 1
    path = write(tmp_path, n, separators)
    before = window.document().to_dict()
    assert window.files.open(str(path)) is False
    (kind, text), = dialogs.calls
    assert kind == "critical"
    assert f"{n:,} nodes" in text and f"{background.MAX_CANVAS_NODES:,} nodes" in text
    assert "MAX_CANVAS_NODES" in text
    assert window.document().to_dict() == before


def test_large_auto_layout_runs_with_progress_and_cancels(window, monkeypatch):
    from engine.document.model import Document
    window.set_document(Document.from_dict(layered(2500)), None, name="big")
    ind = window.progress
    seen = []
    ind.started.connect(lambda text: seen.append(text))
    before = {nid: tuple(n.pos) for nid, n in window.document().nodes.items()}
    window.auto_layout()
    assert seen == ["Laying out 2,500 nodes…"]
    after = {nid: tuple(n.pos) for nid, n in window.document().nodes.items()}
    assert after != before and window.undo_stack.count() == 1  # one undoable move

    gate = threading.Event()
    real = Document.layered_layout

    def held(doc, *a, **k):
        gate.wait(30)
        return real(doc, *a, **k)
    monkeypatch.setattr(Document, "layered_layout", held)

    def click_cancel():
        QTest.mouseClick(ind.cancel_button, Qt.MouseButton.LeftButton)
        gate.set()
    ind.started.connect(lambda _t: QTimer.singleShot(0, click_cancel))
    window.document().move_node("n1", (5000.0, 5000.0))
    moved = {nid: tuple(n.pos) for nid, n in window.document().nodes.items()}
    window.auto_layout()
    assert ind.was_cancelled
    assert {nid: tuple(n.pos) for nid, n in window.document().nodes.items()} == moved
