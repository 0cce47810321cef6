"""An nn.Sequential MLP with a cross-entropy loss, in the style of PyTorch's "Build the Neural
Network" and "Optimizing Model Parameters" tutorials.

nn_mlp_script.json is this script imported (gradcanvas import nn_mlp_script.py -o
nn_mlp_script.json): the graph of its first loss.backward(), parameters named by module path.
"""
import torch
from torch import nn

torch.manual_seed(1)
model = nn.Sequential(
    nn.Linear(4, 8),
    nn.ReLU(),
    nn.Linear(8, 3),
)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

X = torch.randn(6, 4)
y = torch.tensor([0, 2, 1, 1, 0, 2])
for step in range(3):
    pred = model(X)
    loss = loss_fn(pred, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.4f}")
