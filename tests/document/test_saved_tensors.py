"""What each grad_fn saved (issue 14): torch's _saved_* names, shapes, sources, memory held,
and freed after a backward without retain_graph -- with torch's error text."""
from __future__ import annotations

import pytest

from engine.autograd.graph import FREED_MSG
from engine.document import Executor
from engine.document.saved_tensors import for_node, memory_held, saved_names
from tests.document.test_model import tutorial


def run():
    d, ids = tutorial()
    ex = Executor(d)
    ex.forward()
    return d, ids, ex


def test_loss_saved_self_and_target_from_their_nodes():
    d, ids, ex = run()
    (s,) = for_node(ex, ids["loss"])
    assert s.grad_fn == "BinaryCrossEntropyWithLogitsBackward0" and not s.freed
    by = {e.name: e for e in s.entries}
    assert by["_saved_self"].source == "z" and by["_saved_self"].shape == (3,)
    assert by["_saved_target"].source == "y" and by["_saved_target"].dtype == "torch.float32"
    assert s.nbytes == 24  # two float32 [3] buffers
    assert "holds 24 bytes for backward" in s.lines()[0]


def test_matmul_lists_its_internal_grad_fns():
    d, ids, ex = run()
    names = [s.grad_fn for s in for_node(ex, ids["xw"])]
    assert names == ["SqueezeBackward4", "MmBackward0"]
    mm = for_node(ex, ids["xw"])[1]
    assert mm.internal and "_saved_self" in {e.name for e in mm.entries}


def test_backward_without_retain_graph_frees_the_buffers():
    d, ids, ex = run()
    held = memory_held(ex)
    assert held > 0
    assert ex.backward() is None
    (s,) = for_node(ex, ids["loss"])
    assert s.freed and s.error == FREED_MSG
    assert all(e.freed for e in s.entries if e.name in ("_saved_self", "_saved_target"))
    assert memory_held(ex) == 0
    assert f"RuntimeError: {FREED_MSG}" in "\n".join(s.lines())
    # the second backward fails with the very text the freed buffers show
    assert ex.backward() == FREED_MSG


def test_retain_graph_keeps_them():
    d, ids, ex = run()
    d.set_setting("retain_graph", True)
    assert ex.backward() is None
    (s,) = for_node(ex, ids["loss"])
    assert not s.freed and s.nbytes == 24


@pytest.mark.parity
def test_names_are_torchs():
    torch = pytest.importorskip("torch")
    d, ids, ex = run()
    x, y = torch.ones(5), torch.zeros(3)
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    for key, t in (("loss", loss), ("z", z)):
        ours = saved_names(ex.results[ids[key]].value.grad_fn)
        theirs = sorted(a for a in dir(t.grad_fn) if a.startswith("_saved_"))
        assert ours == theirs, key
