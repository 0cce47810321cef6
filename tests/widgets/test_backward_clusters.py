"""Module clusters in the backward-graph view never overlap: sibling boxes side by side,
nested ones inside their parent, every grad_fn box inside exactly the clusters of its node.

Measured on real widgets (a MainWindow's backward dock) showing the imported examples and an
imported model whose sibling modules run in the same rows (two Linear heads added)."""
from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from widgets.backward_view import BackwardItem

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADCANVAS_RECOVERY_DIR", str(tmp_path / "recovery"))
    monkeypatch.setenv("GRADCANVAS_SETTINGS_DIR", str(tmp_path / "settings"))
    from app.main_window import MainWindow, create_application
    create_application()
    w = MainWindow(autosave_enabled=False)
    w.resize(1440, 900)
    w.show()
    qtbot.waitExposed(w)
    w.autograd.backward_dock.raise_()
    QApplication.processEvents()
    yield w
    w.undo_stack.setClean()
    w.close()


def _clusters(w):
    """[(title, members, scene rect)] of the drawn clusters, and the drawn boxes."""
    view = w.autograd.backward_view
    layer = view.clusters
    drawn = [(layer.groups[i][0], layer.groups[i][1], it.mapRectToScene(it.rect()))
             for i, it in sorted(layer.items.items())]
    boxes = [it for it in view.graph_items() if isinstance(it, BackwardItem)]
    return drawn, boxes


def _check(drawn, boxes):
    assert drawn
    for (ta, ma, ra), (tb, mb, rb) in itertools.combinations(drawn, 2):
        if ma < mb or (ma == mb and ta != tb and rb.contains(ra)):
            assert rb.contains(ra), (ta, tb)  # nested: inside its parent
        elif mb < ma:
            assert ra.contains(rb), (tb, ta)
        else:  # siblings (or unrelated): apart
            assert not ra.intersects(rb), (ta, ra, tb, rb)
    for box in boxes:
        r = box.mapRectToScene(box.boundingRect())
        for title, members, rect in drawn:
            if box.doc_id in members:
                assert rect.contains(r), (box.title, title)
            else:
                assert not rect.intersects(r), (box.title, title)


@pytest.mark.parametrize("name", ["nn_mlp_script.json", "fine_tuning_script.json"])
def test_imported_examples_draw_nested_clusters_that_never_overlap(window, name):
    window.files.open(str(EXAMPLES / name))
    drawn, boxes = _clusters(window)
    titles = [t for t, _, _ in drawn]
    assert any(t.startswith("model · Sequential") for t in titles)
    _check(drawn, boxes)


def test_the_mlp_examples_sibling_linear_and_relu_clusters_sit_apart(window):
    window.files.open(str(EXAMPLES / "nn_mlp_script.json"))
    drawn, _ = _clusters(window)
    rects = {t.split(" · ")[0]: r for t, _, r in drawn}
    assert {"model", "model.0", "model.1", "model.2", "loss_fn"} <= rects.keys()
    for a, b in itertools.combinations(["model.0", "model.1", "model.2"], 2):
        assert not rects[a].intersects(rects[b])
    assert not rects["loss_fn"].intersects(rects["model"])


TWO_HEADS = """
import torch
from torch import nn

class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 4)
        self.b = nn.Linear(3, 4)

    def forward(self, x):
        return self.a(x) + self.b(x)

torch.manual_seed(0)
model = nn.Sequential(TwoHeads(), nn.Tanh(), nn.Linear(4, 1))
x = torch.randn(5, 3)
loss = model(x).pow(2).mean()
loss.backward()
"""


def test_sibling_modules_in_the_same_rows_get_boxes_side_by_side(window, qtbot, tmp_path):
    """a and b record their grad_fns in the same generations: the plain layered layout
    interleaves them; the clusters must still come out disjoint."""
    script = tmp_path / "two_heads.py"
    script.write_text(textwrap.dedent(TWO_HEADS))
    with qtbot.waitSignal(window.importer.done, timeout=60000):
        window.importer.start(str(script))
    drawn, boxes = _clusters(window)
    rects = {t.split(" · ")[0]: r for t, _, r in drawn}
    assert {"model.0", "model.0.a", "model.0.b", "model.1", "model.2"} <= rects.keys()
    a, b = rects["model.0.a"], rects["model.0.b"]
    assert not a.intersects(b)
    assert a.top() < b.bottom() and b.top() < a.bottom()  # same rows: side by side
    _check(drawn, boxes)


def test_clusters_follow_an_ungroup_and_its_undo_with_no_overlap(window):
    """The clusters come from the document's module regions; Ungroup (an undo step) and its
    undo lay the backward graph out again."""
    from app.group_commands import RemoveGroup
    window.files.open(str(EXAMPLES / "nn_mlp_script.json"))
    doc = window.document()
    before = _clusters(window)[0]
    rid = next(r.id for r in doc.regions.values() if r.title.startswith("model.1"))
    assert window.push(RemoveGroup(doc, rid))
    window.autograd.update_backward_view_now()
    drawn, boxes = _clusters(window)
    assert len(drawn) == len(before) - 1
    _check(drawn, boxes)
    window.undo_stack.undo()
    window.autograd.update_backward_view_now()
    drawn, boxes = _clusters(window)
    assert [t for t, _, _ in drawn] == [t for t, _, _ in before]
    _check(drawn, boxes)
