"""In-place nodes in the document model (issue 14): the readers-before-writer rule, the wires it
refuses, forward that re-runs from fresh values, versions, and torch's errors on the node."""
from __future__ import annotations

import numpy as np
import pytest

from engine.document import Document, Executor, catalog, export, inplace, saved_tensors
from engine.document.errors import CycleError

INPLACE = sorted(k for k, s in catalog.CATALOG.items() if s.inplace)


def chain(doc, *steps):
    """Wire each node into the next one's first port; returns the nodes."""
    for a, b in zip(steps, steps[1:]):
        doc.connect(a.id, b.id, b.spec.inputs[0].name)
    return steps


def names(doc, ids):
    return [doc.nodes[i].name for i in ids]


def test_every_in_place_row_modifies_its_self_port():
    assert INPLACE == sorted(["add_", "sub_", "mul_", "div_", "pow_", "clamp_", "relu_",
                              "sigmoid_", "tanh_", "exp_", "zero_", "fill_", "copy_",
                              "masked_fill_", "__setitem__", "F.relu_"])
    for key in INPLACE:
        spec = catalog.CATALOG[key]
        assert spec.inplace == "self" and spec.inputs[0].name == "self", key
        assert spec.category == "In-place" and spec.formula, key


# -- the ordering rule -----------------------------------------------------------------------
def _reader_after_writer_in_document_order():
    d = Document()
    a = d.add_node("randn", "a", {"shape": [3]}, requires_grad=True)
    x = d.add_node("mul", "x")
    w = d.add_node("add_", "w")  # earlier in the document than the reader below
    y = d.add_node("mul", "y", {"scalar": 3})
    chain(d, a, x, w)
    d.connect(x.id, y.id, "input")
    return d, a, x, w, y


def test_readers_of_a_tensor_run_before_the_node_that_modifies_it():
    d, a, x, w, y = _reader_after_writer_in_document_order()
    assert names(d, d.topological_order()) == ["a", "x", "y", "w"]
    r = Executor(d).forward()
    xv = r[a.id].value.detach().numpy() * 2
    np.testing.assert_allclose(r[y.id].value.detach().numpy(), xv * 3, rtol=1e-6)  # the old x
    np.testing.assert_allclose(r[w.id].value.detach().numpy(), xv + 1, rtol=1e-6)
    assert export.to_script(d).index("y = x * 3") < export.to_script(d).index("w = x.add_(1)")


def test_views_share_the_storage_their_readers_are_ordered_by():
    d = Document()
    a = d.add_node("randn", "a", {"shape": [2, 3]})
    v = d.add_node("t", "v")
    w = d.add_node("mul_", "w")
    y = d.add_node("sum", "y")
    chain(d, a, v, w)
    d.connect(a.id, y.id, "input")  # reads a, whose storage w modifies through the view
    assert names(d, d.topological_order()) == ["a", "v", "y", "w"]
    r = Executor(d).forward()
    assert float(r[y.id].value) == pytest.approx(float(r[a.id].value.sum()), rel=1e-6)
    np.testing.assert_allclose(r[a.id].live.numpy(), 2 * r[a.id].value.numpy())  # via v
    # a view shares its base's version counter (torch's VersionCounter)
    assert (r[a.id].version, r[a.id].live_version) == (0, 1)
    assert (r[v.id].version, r[v.id].live_version, r[w.id].version) == (0, 1, 1)


def test_a_second_writer_on_the_same_value_is_refused_in_plain_english():
    d, a, x, w, y = _reader_after_writer_in_document_order()
    w2 = d.add_node("relu_", "w2")
    err = d.check_connect(x.id, w2.id, "self")
    assert isinstance(err, CycleError)
    assert str(err).startswith("x is already modified in place by w") and \
        "Chain from w's output instead (wire w -> w2.self)" in str(err)
    with pytest.raises(CycleError, match="already modified in place"):
        d.connect(x.id, w2.id, "self")
    d.connect(w.id, w2.id, "self")  # chaining is the way
    assert names(d, d.topological_order())[-2:] == ["w", "w2"]


def test_reading_before_and_after_the_writer_is_refused():
    d, a, x, w, y = _reader_after_writer_in_document_order()
    z = d.add_node("add", "z")
    d.connect(w.id, z.id, "input")
    err = d.check_connect(x.id, z.id, "other")  # z = x + w: x before and after w
    assert isinstance(err, CycleError) and str(err).startswith(
        "z would read x both before and after w modifies it in place")
    assert "read w's output instead, or clone() x before w" in str(err)
    assert d.check_connect(w.id, z.id, "other") is None


def test_two_writers_on_one_storage_are_refused():
    d = Document()
    a = d.add_node("randn", "a", {"shape": [3]})
    v = d.add_node("view", "v")
    w = d.add_node("mul_", "w")
    chain(d, a, v, w)
    w2 = d.add_node("add_", "w2")
    err = d.check_connect(a.id, w2.id, "self")
    assert isinstance(err, CycleError) and str(err).startswith(
        "w and w2 would both modify the memory of a in place")


def test_documents_without_in_place_nodes_skip_the_rule():
    d = Document()
    a = d.add_node("randn", "a", {"shape": [3]})
    b = d.add_node("exp", "b")
    chain(d, a, b)
    ex = Executor(d)
    ex.forward()
    assert ex._ip is None and inplace.analyse(d) is None and d._writers == set()


# -- forward: idempotent, fresh values -----------------------------------------------------------
def _values(ex):
    return {ex.doc.nodes[k].name: r.value.detach().numpy().copy()
            for k, r in ex.results.items() if r.value is not None}


def _same_as_a_fresh_run(ex):
    fresh = Executor(ex.doc)
    fresh.forward()
    got, want = _values(ex), _values(fresh)
    assert got.keys() == want.keys()
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)
    for k, r in fresh.results.items():
        assert (r.version, r.live_version) == (ex.results[k].version, ex.results[k].live_version)


def test_forward_after_edits_never_applies_an_in_place_op_twice():
    d, a, x, w, y = _reader_after_writer_in_document_order()
    w2 = d.add_node("mul_", "w2", {"scalar": 3})
    d.connect(w.id, w2.id, "self")
    ex = Executor(d)
    ex.forward()
    _same_as_a_fresh_run(ex)
    for node, name, value in [(y, "scalar", 5), (w, "scalar", 10), (w2, "scalar", -1)]:
        d.set_param(node.id, name, value)
        ex.forward()
        assert x.id in ex.last_recomputed  # the modified tensor starts from its fresh value
        _same_as_a_fresh_run(ex)
    assert ex.backward(w2.id) is None  # the graph is spent: forward rebuilds it, once
    ex.forward()
    _same_as_a_fresh_run(ex)
    assert ex.results[w2.id].version == 2 and ex.results[x.id].live_version == 2


def test_a_source_an_in_place_op_modifies_gets_a_fresh_copy_each_forward():
    d = Document()
    z = d.add_node("zeros", "z", {"shape": [2]})
    f = d.add_node("add_", "f", {"scalar": 1})
    chain(d, z, f)
    ex = Executor(d)
    ex.forward()
    for v in (5, 7):
        d.set_param(f.id, "scalar", v)
        ex.forward()
        np.testing.assert_array_equal(ex.results[f.id].value.numpy(), [v, v])
        np.testing.assert_array_equal(ex.results[z.id].value.numpy(), [0, 0])
        assert ex.leaf(z.id)._version == 0  # the cached leaf is never written
    assert ex.results[f.id].version == 1


def test_an_update_of_a_parameter_under_no_grad_is_applied_once_and_keeps_its_grad():
    d = Document()
    w = d.add_node("ones", "w", {"shape": [2]}, requires_grad=True)
    u = d.add_node("sub_", "u", {"scalar": 0.5})
    chain(d, w, u)
    d.add_region("no_grad", {u.id})
    loss = d.add_node("sum", "loss")
    chain(d, w, loss)
    ex = Executor(d)
    ex.forward()
    leaf = ex.leaf(w.id)
    assert ex.backward(loss.id) is None
    for _ in range(2):
        ex.invalidate()
        ex.forward()
        assert ex.leaf(w.id) is leaf  # the same parameter: its .grad accumulates
        np.testing.assert_array_equal(ex.results[u.id].value.detach().numpy(), [0.5, 0.5])
        assert ex.results[u.id].version == 1
    assert ex.backward(loss.id) is None
    np.testing.assert_array_equal(ex.results[w.id].grad.numpy(), [2.0, 2.0])


def test_counts_recompute_only_the_dirty_part_of_a_document_without_in_place():
    d = Document()
    a = d.add_node("randn", "a", {"shape": [3]})
    ops = [d.add_node("exp") for _ in range(20)]
    chain(d, a, *ops)
    side = d.add_node("neg", "side")
    chain(d, a, side)
    ex = Executor(d)
    ex.forward()
    before = ex.recompute_count
    d.set_param(a.id, "shape", [4])
    ex.forward()
    assert ex.recompute_count - before == 22
    d.set_param(side.id, "scalar", 1) if side.spec.param("scalar") else None
    ex.invalidate(side.id)
    before = ex.recompute_count
    ex.forward()
    assert ex.recompute_count - before == 1


def test_an_in_place_document_recomputes_the_modified_storage_only():
    d, a, x, w, y = _reader_after_writer_in_document_order()
    other = d.add_node("randn", "other", {"shape": [3]})
    e = d.add_node("exp", "e")
    chain(d, other, e)
    ex = Executor(d)
    ex.forward()
    d.set_param(y.id, "scalar", 4)
    ex.forward()
    assert sorted(names(d, ex.last_recomputed)) == ["w", "x", "y"]


# -- versions, snapshots, errors ---------------------------------------------------------------
def test_each_node_shows_what_its_line_produced_and_the_version_now():
    d = Document()
    a = d.add_node("tensor", "a", {"value": [-1.0, 2.0, 3.0]}, requires_grad=True)
    x = d.add_node("mul", "x", {"scalar": 1})
    p = d.add_node("add_", "p", {"scalar": 1})
    q = d.add_node("relu_", "q")
    chain(d, a, x, p, q)
    r = Executor(d).forward()
    assert [(r[n.id].version, r[n.id].live_version) for n in (x, p, q)] == [(0, 2), (1, 2),
                                                                             (2, 2)]
    assert [r[n.id].grad_fn for n in (x, p, q)] == ["MulBackward0", "AddBackward0",
                                                    "ReluBackward0"]
    np.testing.assert_array_equal(r[x.id].value.detach().numpy(), [-1, 2, 3])
    np.testing.assert_array_equal(r[p.id].value.detach().numpy(), [0, 3, 4])
    np.testing.assert_array_equal(r[q.id].value.detach().numpy(), [0, 3, 4])
    assert r[x.id].live is r[q.id].value  # one tensor, as in torch


def test_in_place_on_a_leaf_that_requires_grad_is_torch_s_error_on_the_node():
    d = Document()
    a = d.add_node("randn", "a", {"shape": [3]}, requires_grad=True)
    w = d.add_node("add_", "w")
    chain(d, a, w)
    b = d.add_node("randn", "b", {"shape": [3]}, requires_grad=True)
    v = d.add_node("view", "v")
    w2 = d.add_node("mul_", "w2")
    chain(d, b, v, w2)
    r = Executor(d).forward()
    assert r[w.id].error == ("w: a leaf Variable that requires grad is being used in an "
                             "in-place operation.")
    assert r[w2.id].error == ("w2: a view of a leaf Variable that requires grad is being used "
                              "in an in-place operation.")


def test_a_stale_saved_tensor_is_marked_before_backward_with_the_text_backward_raises():
    d = Document()
    a = d.add_node("randn", "a", {"shape": [3]}, requires_grad=True)
    s = d.add_node("sigmoid", "s")
    m = d.add_node("mul_", "m")
    loss = d.add_node("sum", "loss")
    chain(d, a, s, m, loss)
    ex = Executor(d)
    r = ex.forward()
    text = ("one of the variables needed for gradient computation has been modified by an "
            "inplace operation: [torch.FloatTensor [3]], which is output 0 of Sigmoid, is at "
            "version 1; expected version 0 instead. Hint: enable anomaly detection to find the "
            "operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True, check_nan=False).")
    assert r[s.id].stale == text
    assert [n for n, res in r.items() if res.stale] == [s.id]
    (summary,) = saved_tensors.for_node(ex, s.id)
    (entry,) = summary.entries
    assert entry.name == "_saved_result" and entry.stale
    assert (entry.expected_version, entry.version) == (0, 1)
    assert summary.stale == text and summary.lines()[-1].endswith(text)
    assert ex.backward(loss.id) == text


def test_a_saved_input_modified_later_names_its_grad_fn():
    d = Document()
    a = d.add_node("randn", "a", {"shape": [3]}, requires_grad=True)
    x = d.add_node("mul", "x", {"scalar": 1})
    y = d.add_node("mul", "y")  # x * x saves x twice
    w = d.add_node("add_", "w")
    loss = d.add_node("sum", "loss")
    chain(d, a, x, y, loss)
    d.connect(x.id, y.id, "other")
    chain(d, x, w)
    ex = Executor(d)
    r = ex.forward()
    assert r[y.id].stale is not None and "which is output 0 of MulBackward0" not in r[y.id].stale
    assert r[y.id].stale.startswith("one of the variables needed for gradient computation")
    assert ex.backward(loss.id) == r[y.id].stale
    assert r[x.id].stale is None


def test_export_writes_in_place_lines_in_the_plan_order():
    d, a, x, w, y = _reader_after_writer_in_document_order()
    put = d.add_node("__setitem__", "put", {"index": "1:, ...", "scalar": 0.5})
    chain(d, w, put)
    text = export.to_script(d, prints=False)
    body = [line for line in text.splitlines() if "=" in line or "_(" in line]
    assert body[-4:] == ["y = x * 3", "w = x.add_(1)", "w[1:, ...] = 0.5", "put = w"]


def test_setitem_index_is_parsed_never_evaluated():
    from engine.document.catalog_inplace import index_source, parse_index
    assert parse_index(" 0, 1:, ::2, ..., None, -1") == (0, slice(1, None), slice(None, None, 2),
                                                        Ellipsis, None, -1)
    assert index_source(parse_index("1:3")) == "1:3"
    for bad in ("", "__import__('os')", "1:2:3:4", "x"):
        with pytest.raises(ValueError, match="index"):
            parse_index(bad)
    d = Document()
    z = d.add_node("zeros", "z", {"shape": [3]})
    p = d.add_node("__setitem__", "p", {"index": "os.system('x')"})
    chain(d, z, p)
    assert "is not an int, a slice" in Executor(d).forward()[p.id].error


def test_a_file_breaking_the_rule_is_refused_with_the_wire_s_path(tmp_path):
    from engine.document import fileformat
    from engine.document.errors import DocumentError
    d = Document()
    x = d.add_node("randn", "x", {"shape": [3]})
    w = d.add_node("mul_", "w")
    w2 = d.add_node("add_", "w2")
    chain(d, x, w)
    data = d.to_dict()
    data["wires"].append({"src": x.id, "dst": w2.id, "port": "self", "index": 0})
    with pytest.raises(DocumentError) as info:
        Document.from_dict(data)
    assert info.value.path == "wires[1]" and "already modified in place by w" in str(info.value)
    chain(d, w, w2)
    fileformat.save(d, tmp_path / "ok.json")
    assert fileformat.load(tmp_path / "ok.json") == d


def test_a_document_without_in_place_nodes_never_analyses_the_rule(monkeypatch):
    """Counted, not timed: the hot paths (plan, forward, wire checks) of an ordinary document
    do not run the in-place analysis at all, once the writer set is known to be empty."""
    calls = []
    real = inplace.analyse
    monkeypatch.setattr(inplace, "analyse", lambda *a, **k: calls.append(1) or real(*a, **k))
    d = Document()
    nodes = [d.add_node("randn", "a", {"shape": [3]})] + [d.add_node("exp") for _ in range(50)]
    chain(d, *nodes)
    ex = Executor(d)
    ex.forward()
    extra = d.add_node("neg")
    for n in nodes:
        assert d.check_connect(n.id, extra.id, "input") is None
    d.connect(nodes[-1].id, extra.id, "input")
    ex.forward()
    assert calls == []
    w = d.add_node("relu_")  # the first in-place node: now the rule applies
    d.connect(extra.id, w.id, "self")
    ex.forward()
    assert calls and ex._ip is not None
