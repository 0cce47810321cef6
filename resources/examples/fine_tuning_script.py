"""Fine-tuning with a frozen body: the first layer's parameters stop requiring grad, so only
the head trains (the autograd tutorial's "frozen parameters").

fine_tuning_script.json is this script imported (gradcanvas import fine_tuning_script.py -o
fine_tuning_script.json): the body's ops are on the canvas, its weights get no .grad.
"""
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 2))
model[0].requires_grad_(False)  # freeze the body
optimizer = torch.optim.SGD(model[2].parameters(), lr=0.1)

x = torch.randn(4, 6)
target = torch.randn(4, 2)
pred = model(x)
loss = nn.functional.mse_loss(pred, target)
optimizer.zero_grad()
loss.backward()
optimizer.step()
print(model[0].weight.grad, model[2].weight.grad.shape)  # None torch.Size([2, 5])
