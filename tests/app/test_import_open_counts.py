"""Opening a large imported document costs what is shown, not what is in it (issue 12's
scale target), counted -- never timed:

- the members of a collapsed module group get cheap node items (ports only, no text laid
  out, no preview ever painted) until the group is expanded;
- the backward-graph dock never draws while the canvas of a large document is being built
  (it used to draw the new graph from inside the build's progress pump, then clear it again
  when the "reset" reached it), and draws it once afterwards."""
from __future__ import annotations

import textwrap

import pytest
from PySide6.QtWidgets import QApplication

from engine.document.script_import import import_script
from widgets.canvas.items import NodeItem

DEEP = """
import torch
from torch import nn
torch.manual_seed(0)
layers = []
for _ in range({n}):
    layers += [nn.Linear(3, 3), nn.Tanh()]
model = nn.Sequential(*layers)
x = torch.randn(2, 3)
loss = model(x).sum()
loss.backward()
"""


def _deep(tmp_path, n: int):
    script = tmp_path / f"deep_{n}.py"
    script.write_text(textwrap.dedent(DEEP.format(n=n)))
    return import_script(script).document


def _collapse_model(doc):
    rid = next(r.id for r in doc.regions.values() if r.title.startswith("model · "))
    doc.set_region_collapsed(rid, True)
    return rid


def _open(w, doc):
    before = NodeItem.layouts
    w.set_document(doc, None, name="deep (imported)", modified=True, take=True)
    QApplication.processEvents()
    return NodeItem.layouts - before


@pytest.mark.parametrize("n", [10, 40])
def test_members_of_a_collapsed_group_are_not_laid_out_when_opened(make_window, tmp_path, n):
    w = make_window(tutorial=False)
    doc = _deep(tmp_path, n)
    assert len(doc.nodes) == 4 * n + 2  # per layer linear, weight, bias, tanh; x, loss
    _collapse_model(doc)
    layouts = _open(w, doc)
    items = w.scene.node_items()
    shown = [it for it in items if it.isVisible()]
    assert {w.document().nodes[it.node_id].name for it in shown} == {"x", "loss"}
    assert all(it.is_lazy() for it in items if not it.isVisible())
    assert not any(it.is_lazy() for it in shown)
    # O(visible): the two shown nodes (and a root badge), whatever the depth of the model
    assert layouts <= 2 * len(shown)
    box = w.scene.groups.items[next(iter(w.scene.groups.items))]
    assert box.collapsed and box.isVisible()


def test_expanding_lays_the_members_out_once_and_their_wires_follow(make_window, tmp_path):
    from app.group_commands import SetCollapsed
    w = make_window(tutorial=False)
    doc = _deep(tmp_path, 8)
    rid = _collapse_model(doc)
    _open(w, doc)
    doc = w.document()
    before = NodeItem.layouts
    assert w.push(SetCollapsed(doc, rid, False))
    members = doc.regions[rid].members
    assert NodeItem.layouts - before <= len(members) + 4
    items = w.scene.node_items()
    assert all(it.isVisible() and not it.is_lazy() for it in items)
    for wire in w.scene.wire_items():  # paths end at the ports of the laid-out items
        assert wire.isVisible()
        src = w.scene.node_item(wire.wire.src)
        path = wire.path()
        start = path.pointAtPercent(0)
        assert (start - src.output_port_scene_pos()).manhattanLength() < 1.0


def test_the_backward_dock_does_not_draw_inside_the_canvas_build(make_window, qtbot, tmp_path):
    from benchmarks.bench_import import write_script
    w = make_window(tutorial=False)
    ctl = w.autograd
    ctl.backward_dock.raise_()
    QApplication.processEvents()
    doc = import_script(write_script(tmp_path, 520)).document  # 2,084 nodes: built with progress
    assert len(doc.nodes) >= 2000
    w.add_node("randn")  # an edit: the dock's timer is pending when the file opens
    w.refresh_results()
    assert ctl.graph._timer.isActive()
    real_rebuild = w.scene._rebuild

    def rebuild():  # the dock's timer comes due while the canvas is being built
        ctl.graph._timer.start(0)
        real_rebuild()
    w.scene._rebuild = rebuild
    view = ctl.backward_view
    created = []
    real = view._apply

    def counting(keys, hidden, progress=None):
        real(keys, hidden, progress)
        created.append((view.last_update["created"], view.last_update["removed"],
                        w.scene.build_progress is not None))
    view._apply = counting
    w.set_document(doc, None, name="chain", modified=True, take=True)
    # nothing drawn while building (the old document's graph is cleared, that is all)
    assert not any(n and building for n, _, building in created)
    assert view.graph_items() == [] and view.placeholder.text() == "Drawing the backward graph…"
    qtbot.waitUntil(lambda: len(view.graph_items()) > 0, timeout=10000)
    drawn = [c for c in created if c[0]]
    assert len(drawn) == 1  # drawn once, after the first frame; never drawn then cleared
    assert drawn[0][1] == 0
