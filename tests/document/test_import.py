"""Importing scripts in the style of PyTorch's beginner tutorials: the document's structure,
names and flags, and (parity) every leaf gradient against torch running the same script."""
from __future__ import annotations

import numpy as np
import pytest

from engine.document import fileformat

from .importing import assert_same_grads, doc_grads, imported, torch_backward_grads

TUTORIAL = """
import torch
x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(z.grad_fn)      # <AddBackward0 object at 0x...>
print(loss.grad_fn)   # <BinaryCrossEntropyWithLogitsBackward0 object at 0x...>
loss.backward()
print(w.grad, b.grad) # 5x3 (five equal rows) and 3
with torch.no_grad():
    z = torch.matmul(x, w) + b   # z.requires_grad is False
z_det = z.detach()               # z_det.requires_grad is False
"""

MLP = """
import torch
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(8, 4)
target = torch.tensor([0, 2, 1, 1, 0, 2, 1, 0])
w1 = torch.randn(16, 4, requires_grad=True)
b1 = torch.zeros(16, requires_grad=True)
w2 = torch.randn(3, 16, requires_grad=True)
b2 = torch.zeros(3, requires_grad=True)

h = F.relu(F.linear(x, w1, b1))
logits = h @ w2.t() + b2
probs = logits.softmax(dim=1)
loss = F.cross_entropy(logits, target) + 0.01 * (w1 ** 2).sum()
loss.backward()
"""

RETAIN = """
import torch
a = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
h = a * 2 - 1
h.retain_grad()
out = (h ** 2).mean()
out.backward()
"""

NO_GRAD_DETACH = """
import torch
torch.manual_seed(3)
w = torch.randn(3, requires_grad=True)
x = torch.linspace(-1, 1, 3)
with torch.no_grad():
    scale = (w * 2).sum()
y = w * scale + x
y_det = y.detach()
loss = (y * y_det).sum() + (1 - w).pow(2).mean()
loss.backward()
"""

ACCUMULATE = """
import torch
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nSecond call\\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nCall after zeroing gradients\\n{inp.grad}")
"""

TRAINING = """
import torch
import torch.nn.functional as F

torch.manual_seed(1)
x = torch.randn(10, 3)
y = torch.randn(10)
w = torch.randn(3, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD([w, b], lr=0.1)
for step in range(5):
    optimizer.zero_grad()
    pred = x @ w + b
    loss = F.mse_loss(pred, y)
    loss.backward()
    optimizer.step()
"""


def names(doc) -> dict:
    return {n.name: n for n in doc.nodes.values()}


def test_the_autograd_tutorial(tmp_path):
    r = imported(tmp_path, TUTORIAL)
    doc = r.document
    n = names(doc)
    assert set(n) == {"x", "y", "w", "b", "matmul", "z", "loss"}
    assert [n[k].op for k in ("x", "y", "w", "b")] == ["tensor"] * 4
    assert (n["matmul"].op, n["z"].op, n["loss"].op) == (
        "matmul", "add", "F.binary_cross_entropy_with_logits")
    assert n["w"].requires_grad and n["b"].requires_grad and not n["x"].requires_grad
    assert n["x"].params == {"value": [1.0] * 5, "dtype": "float32"}
    assert doc.settings.root == n["loss"].id and doc.settings.seed is None
    assert not doc.settings.retain_graph and not doc.regions
    assert (r.call, r.line) == (1, 10)
    printed = "".join(text for _, text in r.output)
    assert "<AddBackward0 object at" in printed and "BinaryCrossEntropyWithLogits" in printed
    # the layered layout reads left to right along the wires
    for w in doc.wires:
        assert doc.nodes[w.src].pos[0] < doc.nodes[w.dst].pos[0]
    # a document stands on its own: it survives a save and a load
    path = tmp_path / "out.json"
    fileformat.save(doc, path)
    assert fileformat.load(path) == doc


def test_the_recorded_values_are_the_scripts(tmp_path):
    r = imported(tmp_path, TUTORIAL)
    w = np.array(names(r.document)["w"].params["value"], dtype=np.float32)
    grads = doc_grads(r.document)
    # BCE-with-logits against zeros: d/dz = sigmoid(z) / 3, and x is ones: five equal rows
    z = w.sum(axis=0) + np.array(names(r.document)["b"].params["value"], dtype=np.float32)
    np.testing.assert_allclose(grads["b"], 1 / (1 + np.exp(-z)) / 3, rtol=1e-5)
    np.testing.assert_allclose(grads["w"], np.tile(grads["b"], (5, 1)), rtol=1e-6)


def test_mlp_with_cross_entropy(tmp_path):
    doc = imported(tmp_path, MLP).document
    n = names(doc)
    assert n["h"].op == "F.relu" and n["logits"].op == "add" and n["loss"].op == "add"
    assert "probs" not in n  # softmax is not on the way to the loss
    assert {k for k, v in n.items() if v.requires_grad} == {"w1", "b1", "w2", "b2"}
    assert not n["target"].requires_grad and n["target"].params["dtype"] == "int64"
    ops = sorted(v.op for v in n.values() if not v.spec.is_source)
    assert ops == sorted(["F.linear", "F.relu", "t", "matmul", "add", "F.cross_entropy",
                          "pow", "sum", "mul", "add"])
    mul = next(v for v in n.values() if v.op == "mul")  # 0.01 * (...): the scalar is a param
    assert mul.params == {"scalar": 0.01}


def test_retain_grad(tmp_path):
    doc = imported(tmp_path, RETAIN).document
    n = names(doc)
    assert n["h"].retain_grad and n["h"].op == "sub"
    assert not n["a"].retain_grad and n["a"].requires_grad
    g = doc_grads(doc)
    np.testing.assert_allclose(g["h"], 2 * np.array([1.0, -5.0, 5.0]) / 3, rtol=1e-6)


def test_no_grad_and_detach(tmp_path):
    doc = imported(tmp_path, NO_GRAD_DETACH).document
    n = names(doc)
    assert n["scale"].op == "sum" and n["y_det"].op == "detach"
    (region,) = doc.regions.values()
    assert region.kind == "no_grad" and region.title == "torch.no_grad() (line 5)"
    inside = {doc.nodes[m].name for m in region.members}
    assert inside == {"scale", "mul"}
    # 1 - w: the scalar where a tensor must go becomes a 0-dim literal of its own type
    assert n["c1"].op == "tensor" and n["c1"].params == {"value": 1, "dtype": "int64"}


def test_the_nth_backward_call(tmp_path):
    first = imported(tmp_path, ACCUMULATE).document
    third = imported(tmp_path, ACCUMULATE, call=3)
    assert third.call == 3 and third.line == 9
    doc = third.document
    assert doc.settings.retain_graph and doc.settings.seed == "ones"
    assert doc == first  # one graph, retained, backward three times
    g = doc_grads(doc)  # what one call adds (the script's third .grad, after zero_())
    np.testing.assert_allclose(g["inp"], 2 * (np.eye(4, 5) + 1))
    # the script runs until the recorded call returns: its last print never runs
    printed = "".join(t for _, t in third.output)
    assert "Second call" in printed and "Call after zeroing" not in printed


def test_a_training_loop_records_the_weights_of_that_step(tmp_path):
    second = imported(tmp_path, TRAINING, call=2).document
    last = imported(tmp_path, TRAINING, call="last")
    assert last.call == 5
    w2 = names(second)["w"].params["value"]
    w5 = names(last.document)["w"].params["value"]
    assert w2 != w5  # the optimizer moved w between the calls
    assert names(last.document)["pred"].op == "add"


# -- parity: torch runs the same script ----------------------------------------------------
SCRIPTS = {"tutorial": (TUTORIAL, 1, ["w", "b"]), "mlp": (MLP, 1, ["w1", "b1", "w2", "b2"]),
           "retain_grad": (RETAIN, 1, ["a", "h"]), "no_grad_detach": (NO_GRAD_DETACH, 1, ["w"]),
           "accumulate_3rd": (ACCUMULATE, 3, ["inp"]),
           "training_4th": (TRAINING, 4, ["w", "b"]), "training_last": (TRAINING, "last",
                                                                        ["w", "b"])}


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_every_leaf_gradient_is_torchs(name, tmp_path, torch, monkeypatch):
    source, call, leaves = SCRIPTS[name]
    doc = imported(tmp_path, source, call=call).document
    calls = torch_backward_grads(torch, monkeypatch, source)
    want = calls[-1] if call == "last" else calls[call - 1]
    got = doc_grads(doc)
    assert_same_grads(got, want, leaves)
    # and nothing else gets a gradient in the document that torch does not give
    assert {k for k in got} <= {k for k, v in want.items() if v is not None}


def test_a_deep_chain_imports_whole(tmp_path):
    """2,000 ops in one chain: the walk is iterative (no recursion limit), every op placed."""
    r = imported(tmp_path, """
        import torch
        w = torch.full((4,), 0.5, requires_grad=True)
        h = torch.ones(4)
        for layer in range(1000):
            h = torch.tanh(h * w)
        h.sum().backward()
    """)
    ops = [n for n in r.document.nodes.values() if not n.spec.is_source]
    assert len(ops) == 2001 and sum(n.op == "tanh" for n in ops) == 1000
    # h is the ones leaf; each reassignment of h takes the next free name
    assert {n.name for n in ops if n.op == "tanh"} == {f"h{i}" for i in range(1, 1001)}


def test_the_script_runs_in_a_limited_child_where_torch_is_the_engine(tmp_path):
    import os
    r = imported(tmp_path, """
        import os, resource, sys
        import torch
        import torch.nn.functional as F
        from torch import nn, optim
        print(torch.__name__, F.__name__, optim.__name__, sys.argv[0] == __file__)
        print(resource.getrlimit(resource.RLIMIT_AS)[0] // 2**20, os.getpid())
        w = torch.ones(2, requires_grad=True)
        w.sum().backward()
    """, memory_mb=3000)
    lines = "".join(t for _, t in r.output).splitlines()
    assert lines[0] == "engine engine.nn.functional engine.optim True"
    limit, pid = lines[1].split()
    assert int(limit) == 3000 and int(pid) != os.getpid()
