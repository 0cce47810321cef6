"""The examples teach what their names say, checked against torch running the tutorial."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.document import fileformat
from engine.document.execution import Executor

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"


def test_jacobian_example_gives_the_tutorials_numbers(torch):
    """The tutorial: backward twice with retain_graph (4/2, then accumulated 8/4), then
    ``inp.grad.zero_()`` and once more (4/2 again)."""
    doc = fileformat.load(EXAMPLES / "jacobian.json")
    assert doc.settings.retain_graph and doc.settings.seed == "ones"
    ex = Executor(doc)
    ex.forward()
    nid = doc.node_by_name("inp").id
    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    seen = []
    for step in ("first", "second", "zeroed"):
        if step == "zeroed":
            ex.zero_grad(nid)
            inp.grad.zero_()
        assert ex.backward() is None
        out.backward(torch.ones_like(out), retain_graph=True)
        got = ex.results[nid].grad.numpy()
        np.testing.assert_array_equal(got, inp.grad.numpy())
        seen.append(got.copy())
    first, second, zeroed = seen
    assert set(np.unique(first)) == {2.0, 4.0} and np.all(np.diag(first) == 4)
    np.testing.assert_array_equal(second, 2 * first)
    np.testing.assert_array_equal(zeroed, first)


def test_fine_tuning_only_the_head_learns():
    doc = fileformat.load(EXAMPLES / "fine_tuning.json")
    ex = Executor(doc)
    ex.forward()
    assert ex.backward() is None
    leaves = {n.name: n for n in doc.nodes.values() if n.spec.is_source}
    trainable = {k for k, n in leaves.items() if n.requires_grad and not n.frozen}
    assert trainable == {"w2", "b2"}  # the head
    # the first layer's parameters are frozen; the data x and target are just tensors
    assert {k for k, n in leaves.items() if doc.is_frozen(n.id)} == {"w1", "b1"}
    grads = {k for k, n in leaves.items() if ex.results[n.id].grad is not None}
    assert grads == trainable
    # the frozen first layer records nothing: its output is a leaf without grad_fn
    assert ex.results[doc.node_by_name("h").id].grad_fn is None


def test_no_grad_detach_shows_both():
    doc = fileformat.load(EXAMPLES / "no_grad_detach.json")
    ex = Executor(doc)
    r = {doc.nodes[k].name: v for k, v in ex.forward().items()}
    region = next(iter(doc.regions.values()))
    assert {doc.nodes[m].name for m in region.members} == {"xw_eval", "z_eval"}
    assert not r["z_eval"].requires_grad and r["z"].requires_grad
    assert doc.node_by_name("z_det").op == "detach" and not r["z_det"].requires_grad
    np.testing.assert_array_equal(r["z_det"].value.numpy(), r["z"].value.detach().numpy())
    np.testing.assert_array_equal(r["z_eval"].value.numpy(), r["z"].value.detach().numpy())
