"""The PyTorch tutorial "Automatic Differentiation with torch.autograd", verbatim.

tutorial_script.json is this script imported: gradcanvas import tutorial_script.py -o
tutorial_script.json (the graph of its loss.backward() call, with the values it had).
"""

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
