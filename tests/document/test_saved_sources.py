"""The model's answers behind the saved-tensor hover and the second-backward mark (issue 14):
each saved tensor's source node id (a view of a node's buffer included), what the graph
holds, and the node whose freed buffers make a second backward fail."""
from __future__ import annotations

from engine.autograd.graph import FREED_MSG
from engine.document import Executor
from engine.document.model import Document
from engine.document.saved_tensors import error_node, for_grad_fns, for_node, graph_memory
from tests.document.test_model import tutorial


def square_sum():
    d = Document()
    d.add_node("randn", "x", {"shape": (3,)}, (0, 0), requires_grad=True, node_id="x")
    d.add_node("mul", "m", None, (1, 0), node_id="m")
    d.add_node("sum", "s", None, (2, 0), node_id="s")
    d.connect("x", "m", "input")
    d.connect("x", "m", "other")
    d.connect("m", "s", "input")
    ex = Executor(d)
    ex.forward()
    return d, ex


def test_sources_are_node_ids_views_included():
    d, ids = tutorial()
    ex = Executor(d)
    ex.forward()
    (bce,) = for_node(ex, ids["loss"])
    by = {e.name: e for e in bce.entries}
    assert (by["_saved_self"].source_id, by["_saved_target"].source_id) == (ids["z"], ids["y"])
    assert by["_saved_reduction"].source_id is None  # a number: no node
    mm = for_node(ex, ids["xw"])[1]
    (saved_self,) = [e for e in mm.entries if e.name == "_saved_self"]
    # matmul(x, w) saves x.unsqueeze(0): a view of x's buffer
    assert saved_self.shape == (1, 5) and saved_self.source_id == ids["x"]
    rows = dict(bce.rows())
    assert rows[f"  _saved_self: [3] torch.float32 {by['_saved_self'].preview} ← z"] == ids["z"]


def test_graph_memory_then_freed():
    d, ids = tutorial()
    ex = Executor(d)
    ex.forward()
    m = graph_memory(ex)
    assert m.freed == 0 and m.held == 44 and m.text().startswith("44 bytes saved for backward")
    assert ex.backward() is None
    m = graph_memory(ex)
    assert m.held == 0 and m.freed > 0 and m.text().startswith("saved tensors freed by backward")


def test_second_backward_error_belongs_to_the_first_freed_grad_fn():
    d, ex = square_sum()
    assert ex.backward("s") is None
    err = ex.backward("s")
    assert err == FREED_MSG
    assert error_node(ex, "s", err) == "m"  # SumBackward0 saved no tensor: MulBackward0 fails
    assert error_node(ex, "s", "some other error") == "s"


def test_for_grad_fns_names_the_owner_and_skips_what_saves_nothing():
    d, ex = square_sum()
    s_fn = ex.results["s"].value.grad_fn
    m_fn = ex.results["m"].value.grad_fn
    acc = m_fn.next_functions[0][0]  # AccumulateGrad: saves nothing
    out = for_grad_fns(ex, [s_fn, m_fn, acc])
    assert [(o.grad_fn, o.node) for o in out] == [("SumBackward0", "s"), ("MulBackward0", "m")]
    (mul,) = [o for o in out if o.grad_fn == "MulBackward0"]
    assert {e.source_id for e in mul.entries if e.is_tensor} == {"x"}


def test_graph_memory_walks_the_graph_once_per_graph_state(monkeypatch):
    """The views ask what the graph holds after every forward; at 5,000 nodes the walk took
    0.15-0.3 s. It runs once per graph state: a new forward or a backward call walks again."""
    from engine.document import saved_tensors
    walks = []
    real = saved_tensors.grad_owners
    monkeypatch.setattr(saved_tensors, "grad_owners",
                        lambda ex: walks.append(1) or real(ex))
    d, ex = square_sum()
    first = graph_memory(ex)
    assert first.held == 12 and first.freed == 0  # x saved once for mul (3 float32)
    assert saved_tensors.memory_held(ex) == 12
    n = len(walks)
    for _ in range(5):
        assert graph_memory(ex) == first and saved_tensors.memory_held(ex) == 12
    assert len(walks) == n  # nothing changed: no walk
    assert ex.backward("s") is None  # the buffers are freed: asked again, it knows
    after = graph_memory(ex)
    assert after.held == 0 and after.freed >= 1 and len(walks) > n
    d.set_param("x", "shape", (4,))  # an edit: the forward builds a new graph
    ex.forward()
    assert graph_memory(ex).held == 16
