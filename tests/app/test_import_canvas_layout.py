"""An imported script's module groups on the canvas: every group's box holds its members and
nothing else (an input such as X is not drawn inside the model's box), sibling boxes never
overlap, nested ones nest -- measured on the real canvas items after a real import."""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def _boxes(w):
    layer = w.scene.groups
    doc = w.document()
    return [(doc.regions[rid].title, set(doc.regions[rid].members), item.sceneBoundingRect())
            for rid, item in layer.items.items() if item.isVisible()]


@pytest.mark.parametrize("name", ["nn_mlp_script", "fine_tuning_script"])
def test_imported_group_boxes_hold_their_members_only_and_never_overlap(
        make_window, qtbot, name):
    w = make_window(tutorial=False)
    with qtbot.waitSignal(w.importer.done, timeout=60000):
        w.importer.start(str(EXAMPLES / f"{name}.py"))
    boxes = _boxes(w)
    assert len(boxes) >= 2
    for (ta, ma, ra), (tb, mb, rb) in itertools.combinations(boxes, 2):
        if ma < mb:
            assert rb.contains(ra), (ta, tb)
        elif mb < ma:
            assert ra.contains(rb), (tb, ta)
        else:
            assert not ra.intersects(rb), (ta, tb)
    for item in w.scene.node_items():
        r = item.sceneBoundingRect()
        for title, members, rect in boxes:
            if item.node_id in members:
                assert rect.contains(r), (item.name, title)
            else:
                assert not rect.intersects(r), (item.name, title)
