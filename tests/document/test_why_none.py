"""Why is .grad None (issue 14): one test per reason, on real documents and a real executor."""
from __future__ import annotations

import numpy as np
import pytest

from engine._tensor import NON_LEAF_GRAD_WARNING
from engine.document import Document, Executor
from engine.document.why_none import INTEGER_ERROR, explain
from tests.document.test_model import tutorial


def why(d, ex, name):
    return explain(d, d.node_by_name(name).id, ex.results, ex.history)


def run(d, backward=True):
    ex = Executor(d)
    ex.forward()
    if backward:
        assert ex.backward() is None
    return ex


def test_a_node_with_a_grad_has_no_explanation():
    d, _ = tutorial()
    ex = run(d)
    assert why(d, ex, "w") is None


def test_non_leaf_without_retain_grad_gives_torchs_warning():
    d, ids = tutorial()
    ex = run(d)
    e = why(d, ex, "z")
    assert e.reason == "non_leaf" and NON_LEAF_GRAD_WARNING in e.sentence
    assert "AddBackward0" in e.sentence and "retain_grad()" in e.fix
    d.set_flag(ids["z"], "retain_grad", True)
    ex2 = run(d)
    assert why(d, ex2, "z") is None  # the fix works


def test_requires_grad_false_leaf_and_what_it_feeds():
    d, ids = tutorial()
    ex = run(d)
    e = why(d, ex, "x")
    assert e.reason == "requires_grad" and "x has requires_grad=False" in e.sentence
    assert "requires_grad" in e.fix
    # an op computed only from such leaves names the leaf
    d2 = Document()
    a = d2.add_node("randn", "a", {"shape": [3]})
    s = d2.add_node("sin", "s")
    d2.connect(a.id, s.id, "input")
    ex2 = run(d2, backward=False)
    e2 = why(d2, ex2, "s")
    assert e2.reason == "requires_grad" and e2.culprit == a.id and "a has" in e2.sentence


def test_inside_a_no_grad_region():
    d, ids = tutorial()
    d.add_region("no_grad", [ids["xw"]])
    ex = run(d)
    e = why(d, ex, "xw")
    assert e.reason == "no_grad" and "torch.no_grad()" in e.sentence
    assert e.culprit == ids["xw"]


def test_global_grad_mode_off():
    d, ids = tutorial()
    d.set_setting("grad_enabled", False)
    ex = Executor(d)
    ex.forward()
    e = why(d, ex, "z")
    assert e.reason == "grad_mode" and "set_grad_enabled(False)" in e.sentence


def test_cut_by_detach_downstream_names_the_detach():
    d, ids = tutorial()
    d.set_flag(ids["xw"], "frozen_output", True)
    ex = run(d)
    e = why(d, ex, "xw")
    assert e.reason == "detach" and ".detach()" in e.sentence
    # w itself is a leaf that requires grad, but the only path from the root is cut
    e_w = why(d, ex, "w")
    assert e_w.reason == "not_on_path" and "loss" in e_w.sentence


def test_detach_node_upstream():
    d = Document()
    w = d.add_node("randn", "w", {"shape": [3]}, requires_grad=True)
    det = d.add_node("detach", "w_det")
    s = d.add_node("sin", "s")
    d.connect(w.id, det.id, "input")
    d.connect(det.id, s.id, "input")
    ex = run(d, backward=False)
    e = why(d, ex, "s")
    assert e.reason == "detach" and e.culprit == det.id and "w_det" in e.sentence


def test_frozen_parameter():
    d, ids = tutorial()
    d.set_flag(ids["w"], "frozen", True)
    ex = run(d)
    e = why(d, ex, "w")
    assert e.reason == "frozen" and "requires_grad_(False)" in e.sentence
    assert "unfreeze" in e.fix.lower()


def test_not_on_any_path_from_the_root():
    d, ids = tutorial()
    c = d.add_node("randn", "c", {"shape": [3]}, requires_grad=True)
    other = d.add_node("sum", "other")
    d.connect(c.id, other.id, "input")
    ex = run(d)  # backward from loss
    e = why(d, ex, "c")
    assert e.reason == "not_on_path" and "c is not on any path from loss" in e.sentence


def test_integer_dtype():
    d = Document()
    n = d.add_node("arange", "n", {"end": 4})
    ex = run(d, backward=False)
    assert str(ex.results[n.id].value.dtype) == "torch.int64"
    e = why(d, ex, "n")
    assert e.reason == "integer" and "torch.int64" in e.sentence
    assert INTEGER_ERROR.lower() in e.sentence and ".float()" in e.fix


def test_backward_not_run_yet_then_run_then_set_to_none():
    d, ids = tutorial()
    ex = run(d, backward=False)
    e = why(d, ex, "w")
    assert e.reason == "not_run" and "backward" in e.fix.lower()
    assert ex.backward() is None
    assert why(d, ex, "w") is None
    ex.zero_grad(set_to_none=True)
    assert why(d, ex, "w").reason == "set_to_none"


def test_history_records_calls_and_leaf_receipts():
    d, ids = tutorial()
    d.set_setting("retain_graph", True)
    ex = run(d, backward=False)
    assert ex.backward() is None and ex.backward() is None
    ex.zero_grad()
    assert ex.backward() is None
    h = ex.history
    assert [c.kind for c in h.calls] == ["backward", "backward", "zero_grad", "backward"]
    g = h.calls[0].grads[ids["w"]]
    np.testing.assert_allclose(h.calls[1].grads[ids["w"]], 2 * g)
    np.testing.assert_allclose(h.calls[1].received[ids["w"]], g)
    np.testing.assert_allclose(h.calls[3].grads[ids["w"]], g)
    n = float(np.linalg.norm(g))
    assert [v for _, v in h.series(ids["w"])] == pytest.approx([n, 2 * n, 0.0, n])
    assert all(c.retain_graph for c in h.backward_calls())


def test_history_records_the_error_of_a_second_backward():
    d, ids = tutorial()
    ex = run(d)
    err = ex.backward()
    assert "Trying to backward through the graph a second time" in err
    last = ex.history.calls[-1]
    assert last.error == err and last.received == {}
    np.testing.assert_array_equal(last.grads[ids["w"]], ex.history.calls[0].grads[ids["w"]])


def test_history_memory_is_bounded_and_summaries_stay():
    from engine.document.backward_history import BackwardHistory
    d, ids = tutorial()
    d.set_setting("retain_graph", True)
    ex = run(d, backward=False)
    ex.history = BackwardHistory(max_calls=5, max_bytes=200)  # w.grad alone is 60 bytes
    for _ in range(8):
        assert ex.backward() is None
    h = ex.history
    assert len(h.calls) == 5 and [c.number for c in h.calls] == [4, 5, 6, 7, 8]
    assert h.nbytes <= 200 and h.nbytes == sum(c.nbytes for c in h.calls)
    assert h.calls[0].dropped and not h.calls[-1].dropped
    n = float(np.linalg.norm(h.calls[-1].grads[ids["w"]])) / 8
    assert [v for _, v in h.series(ids["w"])] == pytest.approx([4 * n, 5 * n, 6 * n, 7 * n,
                                                                8 * n])
    assert ids["w"] in h.calls[0].reached


def test_a_no_grad_frame_is_not_blamed_when_nothing_upstream_requires_grad():
    d = Document()
    a = d.add_node("randn", "a", {"shape": [3]})
    s = d.add_node("sin", "s")
    d.connect(a.id, s.id, "input")
    d.add_region("no_grad", [s.id])
    ex = run(d, backward=False)
    e = why(d, ex, "s")
    assert e.reason == "requires_grad" and e.culprit == a.id
