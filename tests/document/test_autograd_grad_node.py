"""autograd.grad(create_graph=True) as a node (issue 14): its output has its own grad_fn and
can be differentiated again; an input the outputs do not use gets torch's own error."""
from __future__ import annotations

import pytest

from engine.document import Document, Executor


def doc_with(connected=True):
    d = Document()
    x = d.add_node("tensor", "x", {"value": [0.5, -1.0]}, requires_grad=True)
    c = d.add_node("tensor", "c", {"value": [1.0, 2.0]}, requires_grad=True)
    y = d.add_node("sum", "y")
    sq = d.add_node("mul", "sq")
    g = d.add_node("autograd.grad", "dy_dx")
    d.connect(x.id, sq.id, "input")
    d.connect(x.id, sq.id, "other")
    d.connect(sq.id, y.id, "input")
    d.connect(y.id, g.id, "outputs")
    d.connect((x if connected else c).id, g.id, "inputs")
    return d, g.id, x.id


def test_the_gradient_is_a_tensor_with_a_grad_fn():
    d, g, x = doc_with()
    ex = Executor(d)
    r = ex.forward()
    assert r[g].value.tolist() == [1.0, -2.0]  # d sum(x^2) / dx = 2x
    assert r[g].grad_fn == "AddBackward0" and r[g].requires_grad  # torch: the two paths summed
    d.set_setting("root", g)
    d.set_setting("seed", "ones")
    ex2 = Executor(d)
    ex2.forward()
    assert ex2.backward() is None  # d (2x) / dx = 2
    assert ex2.results[x].grad.tolist() == [2.0, 2.0]


def test_an_unused_input_is_torchs_error(torch):
    d, g, _ = doc_with(connected=False)
    r = Executor(d).forward()
    a = torch.tensor([0.5, -1.0], requires_grad=True)
    b = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError) as e:
        torch.autograd.grad((a * a).sum(), [b], create_graph=True)
    assert r[g].error == f"dy_dx: {e.value}"
