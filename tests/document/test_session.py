"""AutogradSession: backward / counts / zero_grad / grad mode / graph version / the DAG /
gradient-carrying wires / per-node display info, each against torch where torch can say."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from engine.document import Document, fileformat
from engine.document.execution import Executor
from engine.document.session import AutogradSession
from resources import example

from .test_model import tutorial


@pytest.fixture
def tut():
    d, ids = tutorial()
    return d, ids, AutogradSession(d)


def in_torch(torch, s):
    """The same document run in torch from the session's leaf values."""
    ex = s.executor
    values = {nid: ex.leaf(nid).detach().numpy() for nid in s.doc.nodes
              if ex.leaf(nid) is not None}
    return Executor(s.doc, torch, leaf_values=values)


def wire(d, a, b):
    return next(w for w in d.wires if (w.src, w.dst) == (a, b))


def test_backward_counts_and_zero(tut, torch):
    d, ids, s = tut
    assert s.backward() is None and s.last_error is None
    t = in_torch(torch, s)
    assert t.backward() is None
    for k in ("w", "b"):
        np.testing.assert_allclose(s.info(ids[k]).grad, t.results[ids[k]].grad.numpy(),
                                   rtol=1e-5, atol=1e-7)
    assert (s.backward_count(ids["w"]), s.backward_count(ids["b"])) == (1, 1)
    assert s.backward_count(ids["x"]) == 0
    # a second backward without retain_graph: torch's error, nothing accumulates
    err = s.backward()
    assert err == t.backward() and err.startswith("Trying to backward through the graph")
    assert s.last_error == err and s.backward_count(ids["w"]) == 1


def test_retain_graph_doubles_then_zero(tut):
    d, ids, s = tut
    assert s.backward(retain_graph=True) is None
    once = s.info(ids["w"]).grad.copy()
    assert s.backward(retain_graph=True) is None
    np.testing.assert_allclose(s.info(ids["w"]).grad, 2 * once, rtol=1e-6)
    assert s.backward_count(ids["w"]) == 2
    s.zero_grad(ids["b"])
    assert not s.info(ids["b"]).grad.any() and s.info(ids["w"]).grad.any()
    assert s.backward_count(ids["b"]) == 0 and s.backward_count(ids["w"]) == 2
    s.zero_grad()
    assert not s.info(ids["w"]).grad.any() and s.backward_count(ids["w"]) == 0
    assert s.backward(retain_graph=True) is None
    np.testing.assert_allclose(s.info(ids["w"]).grad, once, rtol=1e-6)


def test_graph_version_and_rebuild(tut):
    d, ids, s = tut
    s.forward()
    v0 = s.graph_version
    fn0 = s.results[ids["z"]].value.grad_fn
    assert s.backward() is None
    s.forward()  # the graph is rebuilt after backward, as re-running torch code does
    assert s.graph_version == v0 + 1 and s.results[ids["z"]].value.grad_fn is not fn0
    d.set_param(ids["w"], "shape", [5, 2])  # a change of shape, then backward works again
    d.set_param(ids["b"], "shape", [2])
    d.set_param(ids["y"], "shape", [2])
    assert s.backward() is None and s.info(ids["w"]).grad.shape == (5, 2)
    assert s.graph_version == v0 + 2


def test_global_grad_mode(tut, torch):
    d, ids, s = tut
    assert s.grad_enabled
    d.set_setting("grad_enabled", False)
    assert not s.grad_enabled
    z = s.info(ids["z"])
    assert not z.requires_grad and z.grad_fn is None
    err = s.backward()
    assert err == in_torch(torch, s).backward()
    assert err == "element 0 of tensors does not require grad and does not have a grad_fn"
    assert not any(s.gradient_wires().values())
    assert s.backward_dag().nodes == frozenset()


def test_no_grad_frame_and_freezing(tut, torch):
    d, ids, s = tut
    d.add_region("frame", [ids["z"]])
    z = s.info(ids["z"])
    assert not z.requires_grad and z.grad_fn is None
    assert s.backward() == in_torch(torch, s).backward()
    d.remove_region(next(iter(d.regions)))
    d.set_flag(ids["w"], "requires_grad", False)  # freeze w: only b gets a grad
    assert s.backward() is None
    assert s.info(ids["w"]).grad is None and s.info(ids["b"]).grad is not None
    assert s.info(ids["w"]).grad_fn is None and s.info(ids["b"]).grad_fn == "AccumulateGrad"


def test_dag_and_paths(tut):
    d, ids, s = tut
    dag = s.backward_dag()
    assert dag.leaves == {ids["w"], ids["b"]}
    assert dag.nodes == {ids[k] for k in ("w", "b", "xw", "z", "loss")}
    nodes, wires = s.paths_to_root(ids["b"])
    assert nodes == {ids["b"], ids["z"], ids["loss"]}
    assert set(wires) == {wire(d, ids["b"], ids["z"]), wire(d, ids["z"], ids["loss"])}
    assert s.paths_to_root(ids["x"]) == (frozenset(), ())  # not in the DAG


def test_gradient_wires(tut):
    d, ids, s = tut
    gw = s.gradient_wires()
    carries = {(d.nodes[w.src].name, d.nodes[w.dst].name) for w, c in gw.items() if c}
    assert carries == {("w", "xw"), ("xw", "z"), ("b", "z"), ("z", "loss")}
    # the integer/target-style input and x (no grad) do not
    assert not gw[wire(d, ids["y"], ids["loss"])] and not gw[wire(d, ids["x"], ids["xw"])]
    d.set_flag(ids["xw"], "frozen_output", True)  # detached: nothing flows into or out of it
    gw = s.gradient_wires()
    assert not gw[wire(d, ids["w"], ids["xw"])] and not gw[wire(d, ids["xw"], ids["z"])]
    assert gw[wire(d, ids["b"], ids["z"])]


def test_gradient_wires_follow_execution_on_examples():
    """Static styling agrees with what the executor computes on every bundled example."""
    for name in ("tutorial", "mlp", "fine_tuning", "no_grad_detach", "jacobian"):
        d = fileformat.load(example(name))
        s = AutogradSession(d)
        res = s.forward()
        for w, c in s.gradient_wires().items():
            assert c == (res[w.src].requires_grad and res[w.dst].requires_grad
                         and d.nodes[w.dst].spec.port(w.port).differentiable), (name, w)


def test_node_info_and_texts(tut, torch):
    d, ids, s = tut
    x, w, z = s.info(ids["x"]), s.info(ids["w"]), s.info(ids["z"])
    assert (z.shape, z.dtype, z.requires_grad, z.is_leaf, z.grad_fn) == (
        (3,), "torch.float32", True, False, "AddBackward0")
    assert (w.grad_fn, w.is_leaf, w.requires_grad) == ("AccumulateGrad", True, True)
    assert x.grad_fn is None and not x.requires_grad and x.grad_note is None
    assert s.info(ids["loss"]).grad_fn == "BinaryCrossEntropyWithLogitsBackward0"
    s.backward()
    t = in_torch(torch, s)
    t.backward()
    tz = t.results[ids["z"]].value
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert tz.grad is None
    assert s.info(ids["z"]).grad is None
    assert s.info(ids["z"]).grad_note == str(caught[0].message)  # torch's warning text
    assert s.grad_text(ids["b"]) == repr(t.results[ids["b"]].grad)
    assert s.value_text(ids["z"]) == repr(tz)
    assert s.grad_text(ids["z"]) is None and s.grad_text(ids["x"]) is None
    np.testing.assert_array_equal(s.info(ids["w"]).value,
                                  s.executor.leaf(ids["w"]).detach().numpy())


def test_retain_grad_node_shows_its_grad(tut, torch):
    d, ids, s = tut
    d.set_flag(ids["z"], "retain_grad", True)
    s.backward()
    info = s.info(ids["z"])
    assert info.retains_grad and info.grad_note is None
    t = in_torch(torch, s)
    t.backward()
    np.testing.assert_allclose(info.grad, t.results[ids["z"]].grad.numpy(), rtol=1e-5)
    assert s.backward_count(ids["z"]) == 1


def test_errors_in_info(tut):
    d, ids, s = tut
    d.set_param(ids["w"], "shape", [4, 3])
    info = s.info(ids["xw"])
    assert not info.ok and info.error.startswith("xw: ") and info.grad_fn is None
    assert s.info(ids["z"]).blocked_by == ids["xw"]
    assert s.backward() == "loss: blocked by the error in xw"


def test_seed_for_non_scalar_roots():
    d = fileformat.load(example("jacobian"))
    s = AutogradSession(d)
    s.forward()
    assert s.needs_seed()
    seed = s.default_seed()
    assert np.array(seed).shape == s.results[d.settings.root].shape and np.all(np.array(seed) == 1)
    t, _ = tutorial()
    ts = AutogradSession(t)
    ts.forward()
    assert not ts.needs_seed()


def test_anomalies_are_tracked():
    d = Document()
    x = d.add_node("zeros", "x", {"shape": [3]}, requires_grad=True)
    y = d.add_node("log", "y")
    r = d.add_node("sum", "r")
    d.connect(x.id, y.id, "input")
    d.connect(y.id, r.id, "input")
    d.set_setting("root", r.id)
    s = AutogradSession(d)
    s.forward()
    assert s.forward_anomaly.node_id == y.id and s.anomaly is s.forward_anomaly
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert s.backward() is None
    assert s.backward_anomaly.message == \
        "Function 'LogBackward0' returned inf values in its 0th output."
    s.zero_grad()
    assert s.backward_anomaly is None


def test_step_through_is_the_real_backward(tut):
    d, ids, s = tut
    schedule = s.backward_schedule()
    player = s.step_through()
    assert [(st.name, None if st.internal else st.node_id) for st in player.steps] == schedule
    assert s.backward_count(ids["w"]) == 1 and s.recording is player.recording
    np.testing.assert_array_equal(player.final.grads[ids["w"]], s.info(ids["w"]).grad)
