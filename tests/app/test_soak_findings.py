"""What benchmarks/bench_soak.py found, each pinned by a test: `arange` with an infinite end
raised OverflowError out of the model; the canvas's preview images outlived their tensors
(4096 of them, ~100 MB, held by the cache after a few hundred File > Open)."""
from __future__ import annotations

import gc
import sys

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from engine.document.errors import ParamError
from engine.document.model import Document
from widgets import tensor_preview

from .test_autograd_ui import controller, nid, select, settle

pytestmark = pytest.mark.gui


@pytest.fixture
def hooked(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "excepthook", lambda t, e, tb: seen.append(e))
    return seen


def test_arange_to_infinity_is_refused_in_torchs_words(qapp):  # qapp: the teardown themes
    d = Document()
    n = d.add_node("arange")
    for end in (float("inf"), float("-inf")):
        with pytest.raises(ParamError, match=r"unsupported range: 0 -> -?inf"):
            d.set_param(n.id, "end", end)
    assert d.nodes[n.id].params["end"] == 5
    d.set_param(n.id, "step", float("inf"))  # torch: an empty tensor, not an error
    assert d.nodes[n.id].params["step"] == float("inf")


def test_typing_inf_into_arange_end_is_refused_and_records_no_step(qtbot, window, hooked):
    controller(window)
    doc = window.document()
    window.add_node("arange")
    settle(qtbot, window)
    node = next(n for n in doc.nodes.values() if n.op == "arange")
    select(qtbot, window, node.name)
    steps = window.undo_stack.count()
    box = window.inspector.editors["end"].widget
    box.setFocus()
    line = box.lineEdit() if hasattr(box, "lineEdit") else box
    line.selectAll()
    QTest.keyClicks(line, "inf")
    QTest.keyClick(line, Qt.Key.Key_Return)
    settle(qtbot, window)
    qtbot.wait(5)
    assert hooked == []
    assert doc.nodes[node.id].params["end"] == 5
    assert window.undo_stack.count() == steps
    assert "unsupported range" in window.statusBar().currentMessage()
    assert nid(window, node.name) == node.id


class _Tensor:
    """Anything with _data/_version is previewed as a tensor."""

    def __init__(self, a):
        self._data = a
        self._version = 0


def test_a_preview_goes_with_its_tensor(qapp):
    tensor_preview.clear_cache()
    kept = [_Tensor(np.arange(12.0).reshape(3, 4)) for _ in range(5)]
    dying = [_Tensor(np.ones((3, 4))) for _ in range(50)]
    for t in kept + dying:
        assert tensor_preview.preview_image(t, "value", 80, 30) is not None
    assert len(tensor_preview._cache) == 55
    del dying, t
    gc.collect()
    assert len(tensor_preview._cache) == 5
    # the byte count follows the entries, so the budget holds
    assert tensor_preview._cache_bytes == sum(img.sizeInBytes()
                                              for _, img in tensor_preview._cache.values())
    again = tensor_preview.preview_image(kept[0], "value", 80, 30)
    assert again is tensor_preview._cache[next(reversed(tensor_preview._cache))][1]
    tensor_preview.clear_cache()


def test_the_preview_cache_holds_a_byte_budget(qapp, monkeypatch):
    tensor_preview.clear_cache()
    monkeypatch.setattr(tensor_preview, "CACHE_BYTES", 200_000)
    alive = [_Tensor(np.full((4, 4), float(i))) for i in range(100)]
    for t in alive:
        tensor_preview.preview_image(t, "grad", 184, 44)
    assert 0 < tensor_preview._cache_bytes <= 200_000
    assert len(tensor_preview._cache) < 100
    tensor_preview.clear_cache()
