"""NaN / Inf anomalies: the node that first produced one in forward, the grad_fn that first
returned one in backward, with torch's detect_anomaly text."""
from __future__ import annotations

import warnings

import numpy as np

from engine.document import Document
from engine.document.anomaly import (
    BackwardMonitor,
    backward_anomaly,
    backward_message,
    forward_anomalies,
    forward_anomaly,
)
from engine.document.execution import Executor
from engine.document.stepthrough import record_backward

from .test_model import tutorial


def log_zero():
    """x = zeros(3, requires_grad=True); y = log(x); z = y * 0; s = z.sum(): the forward
    gives -inf then nan; backward's LogBackward0 computes 0 / 0."""
    d = Document()
    x = d.add_node("zeros", "x", {"shape": [3]}, requires_grad=True)
    y = d.add_node("log", "y")
    z = d.add_node("mul", "z", {"scalar": 0})
    s = d.add_node("sum", "s")
    d.connect(x.id, y.id, "input")
    d.connect(y.id, z.id, "input")
    d.connect(z.id, s.id, "input")
    d.set_setting("root", s.id)
    return d, {"x": x.id, "y": y.id, "z": z.id, "s": s.id}


def torch_anomaly_text(torch, d):
    """torch's own detect_anomaly error for the same document (run in torch)."""
    tex = Executor(d, torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly():
            tex.forward()
            return tex.backward()


def test_forward_marks_the_producing_node():
    d, ids = log_zero()
    res = Executor(d).forward()
    a = forward_anomaly(d, res)
    assert (a.phase, a.node_id, a.kind) == ("forward", ids["y"], "inf")
    assert a.message == "Function 'log' returned inf values in its output (node 'y')."
    # z holds nan too, but from an input that was already bad: y produced the anomaly
    assert [x.node_id for x in forward_anomalies(d, res)] == [ids["y"]]
    t, _ = tutorial()
    assert forward_anomaly(t, Executor(t).forward()) is None


def test_forward_nan_leaf_and_independent_producers():
    d = Document()
    a = d.add_node("tensor", "a", {"value": [1.0, float("nan")]})
    b = d.add_node("tensor", "b", {"value": [-1.0, 4.0]})
    r = d.add_node("sqrt", "r")
    d.connect(b.id, r.id, "input")
    found = forward_anomalies(d, Executor(d).forward())
    assert [(x.node_id, x.kind) for x in found] == [(a.id, "nan"), (r.id, "nan")]
    assert found[0].message == "Leaf 'a' contains nan values."


def test_backward_anomaly_has_torchs_text(torch):
    d, ids = log_zero()
    expected = torch_anomaly_text(torch, d)
    assert expected == "Function 'LogBackward0' returned nan values in its 0th output."
    ex = Executor(d)
    ex.forward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with BackwardMonitor(ex) as mon:
            assert ex.backward() is None  # the engine does not stop; we report
    a = mon.anomaly
    assert a.message == expected
    assert (a.phase, a.node_id, a.grad_fn, a.output, a.kind) == (
        "backward", ids["y"], "LogBackward0", 0, "nan")
    assert a.step == 2  # SumBackward0, MulBackward0, LogBackward0
    # the same from a step-through recording
    ex2 = Executor(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = backward_anomaly(record_backward(ex2))
    assert b == a


def test_backward_inf_is_reported_too(torch):
    """sqrt at 0: an infinite gradient (torch's detect_anomaly only checks nan)."""
    d = Document()
    x = d.add_node("tensor", "x", {"value": [0.0, 1.0]}, requires_grad=True)
    r = d.add_node("sqrt", "r")
    s = d.add_node("sum", "s")
    d.connect(x.id, r.id, "input")
    d.connect(r.id, s.id, "input")
    d.set_setting("root", s.id)
    assert torch_anomaly_text(torch, d) is None
    ex = Executor(d)
    with BackwardMonitor(ex) as mon:
        ex.forward()
        assert ex.backward() is None
    assert mon.anomaly.message == backward_message("SqrtBackward0", "inf", 0) == \
        "Function 'SqrtBackward0' returned inf values in its 0th output."
    assert mon.anomaly.node_id == r.id
    assert np.isinf(ex.grads()[x.id].numpy()[0])


def test_no_anomaly_and_monitor_is_removed():
    from engine.autograd import engine as autograd_engine
    d, _ = tutorial()
    ex = Executor(d)
    ex.forward()
    with BackwardMonitor(ex) as mon:
        assert ex.backward() is None
    assert mon.anomaly is None and mon not in autograd_engine._tracers
    assert backward_anomaly(record_backward(Executor(d))) is None
