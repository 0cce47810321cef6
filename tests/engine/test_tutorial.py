"""The PyTorch tutorial "Automatic Differentiation with torch.autograd" runs verbatim on
``import engine as torch`` and prints what torch prints (up to random values and object
addresses)."""
from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pytest

import engine

# The official tutorial's code (beginner_source/basics/autogradqs_tutorial.py), verbatim.
OFFICIAL = '''\
import torch

x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w)+b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)

print(f"Gradient function for z = {z.grad_fn}")
print(f"Gradient function for loss = {loss.grad_fn}")

loss.backward()
print(w.grad)
print(b.grad)

z = torch.matmul(x, w)+b
print(z.requires_grad)

with torch.no_grad():
    z = torch.matmul(x, w)+b
print(z.requires_grad)

z = torch.matmul(x, w)+b
z_det = z.detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp+1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nSecond call\\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nCall after zeroing gradients\\n{inp.grad}")
'''

# The product brief's version of it.
BRIEF = '''\
import torch
x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(z.grad_fn)      # <AddBackward0 object at 0x…>
print(loss.grad_fn)   # <BinaryCrossEntropyWithLogitsBackward0 object at 0x…>
loss.backward()
print(w.grad, b.grad) # 5x3 (five equal rows) and 3
with torch.no_grad():
    z = torch.matmul(x, w) + b   # z.requires_grad is False
print(z.requires_grad)
z_det = z.detach()               # z_det.requires_grad is False
print(z_det.requires_grad)
print(loss, z, z_det)
'''

W = np.random.default_rng(7).standard_normal((5, 3)).astype(np.float32)
B = np.random.default_rng(8).standard_normal(3).astype(np.float32)
ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
NUMBER = re.compile(r" *-?\d+\.\d*(e[+-]?\d+)?")  # with its alignment padding


def _run(source: str, module, fixed: bool) -> str:
    """Execute ``source`` with ``import torch`` bound to ``module``; return its stdout."""
    if module is engine:
        assert source.count("import torch\n") == 1
        source = source.replace("import torch\n", "import engine as torch\n")
    if fixed:  # the same weights on both sides, so every printed number can be compared
        source = source.replace("torch.randn(5, 3, requires_grad=True)",
                                "torch.tensor(W_FIXED, requires_grad=True)")
        source = source.replace("torch.randn(3, requires_grad=True)",
                                "torch.tensor(B_FIXED, requires_grad=True)")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<tutorial>", "exec"),  # noqa: S102 - the test's point
             {"__name__": "__tutorial__", "W_FIXED": W.tolist(), "B_FIXED": B.tolist()})
    return ADDRESS.sub("0x…", out.getvalue())


@pytest.mark.parametrize("source", [OFFICIAL, BRIEF], ids=["official", "brief"])
def test_prints_what_torch_prints(torch, source):
    expected = _run(source, torch, fixed=True)
    got = _run(source, engine, fixed=True)
    assert got == expected


@pytest.mark.parametrize("source", [OFFICIAL, BRIEF], ids=["official", "brief"])
def test_verbatim_with_random_weights(torch, source):
    """randn itself: the same structure, numbers aside."""
    torch.manual_seed(0)
    engine.manual_seed(0)
    expected = NUMBER.sub("#", _run(source, torch, fixed=False))
    got = NUMBER.sub("#", _run(source, engine, fixed=False))
    assert got == expected


def test_jacobian_section_values():
    out = _run(OFFICIAL, engine, fixed=True)
    first, second, third = out.split("First call\n")[1].split("\n\n")
    assert first.startswith("tensor([[4., 2., 2., 2., 2.],")
    assert second.startswith("Second call\ntensor([[8., 4., 4., 4., 4.],")  # accumulated
    assert third.startswith("Call after zeroing gradients\ntensor([[4., 2., 2., 2., 2.],")
