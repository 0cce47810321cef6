"""Importing scripts that use torch.nn: parameters named by module path, module calls as
groups, a frozen body, an optimizer loop; every leaf gradient against torch (parity)."""
from __future__ import annotations

import pytest

from .importing import assert_same_grads, doc_grads, imported, torch_backward_grads

# parameters set from linspace, so torch and the engine start from the same numbers whatever
# their initialisation draws; the data comes from randn (the helper shares the engine's stream)
INIT = """
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.linspace(-0.5, 0.5, p.numel()).reshape(p.shape))
torch.manual_seed(1)  # the data's draws do not depend on how many the init made
"""

SEQUENTIAL = """
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
""" + INIT + """
loss_fn = nn.CrossEntropyLoss()
x = torch.randn(6, 4)
y = torch.tensor([0, 2, 1, 1, 0, 2])
logits = model(x)
loss = loss_fn(logits, y)
loss.backward()
"""

FINE_TUNING = """
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
""" + INIT + """
model[0].requires_grad_(False)  # freeze the body: train the head only
optimizer = torch.optim.SGD(model[2].parameters(), lr=0.1)
x = torch.randn(5, 4)
y = torch.randn(5, 2)
features = model[1](model[0](x))
pred = model[2](features)
loss = nn.functional.mse_loss(pred, y)
optimizer.zero_grad()
loss.backward()
optimizer.step()
"""

CUSTOM_MODULE = """
import torch
from torch import nn


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.out = nn.Linear(4, 1)

    def forward(self, x):
        h = torch.tanh(self.hidden(x))
        return self.out(h)


model = TinyNet()
""" + INIT + """
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(8, 3)
target = torch.randn(8, 1)
for epoch in range(3):
    optimizer.zero_grad()
    out = model(x)
    loss = ((out - target) ** 2).mean()
    loss.backward()
    optimizer.step()
"""


def names(doc) -> dict:
    return {n.name: n for n in doc.nodes.values()}


def test_parameters_are_named_by_module_path_and_modules_are_groups(tmp_path):
    r = imported(tmp_path, SEQUENTIAL)
    n = names(r.document)
    assert {k for k, v in n.items() if v.requires_grad} == {
        "model_0_weight", "model_0_bias", "model_2_weight", "model_2_bias"}
    assert (n["model_0"].op, n["model_1"].op, n["logits"].op, n["loss"].op) == (
        "F.linear", "F.relu", "F.linear", "F.cross_entropy")
    groups = {g["path"]: g for g in r.groups}
    assert groups["model.0"]["label"] == "model.0 · Linear(in_features=4, out_features=8, " \
                                         "bias=True)"
    assert groups["model"]["label"] == "model · Sequential()"
    assert groups["model.0"]["parent"] == "model" and groups["model"]["parent"] is None
    members = {p: {r.document.nodes[m].name for m in g["members"]} for p, g in groups.items()}
    assert members["model.0"] == {"model_0_weight", "model_0_bias", "model_0"}
    assert members["model.1"] == {"model_1"}
    assert members["model"] == members["model.0"] | members["model.1"] | members["model.2"]
    assert members["loss_fn"] == {"loss"}
    regions = r.document.regions
    for g in r.groups:  # each group is a module region of the document
        assert regions[g["region"]].kind == "module"
        assert regions[g["region"]].title == g["label"]
        assert regions[g["region"]].members == set(g["members"])


def test_a_frozen_body_stays_visible_and_gets_no_grad(tmp_path):
    r = imported(tmp_path, FINE_TUNING)
    n = names(r.document)
    # the frozen body's parameters are frozen parameters (requires_grad_(False)), not data
    assert r.document.is_frozen(n["model_0_weight"].id)
    assert not r.document.is_frozen(n["model_2_weight"].id)
    assert not n["model_0_weight"].tracks_grad and n["model_2_weight"].tracks_grad
    assert n["model_0"].op == "F.linear" and n["features"].op == "F.relu"
    g = doc_grads(r.document)
    assert "model_0_weight" not in g and "model_2_weight" in g


def test_a_custom_module_in_a_training_loop(tmp_path):
    r = imported(tmp_path, CUSTOM_MODULE, call="last")
    n = names(r.document)
    assert n["out"].op == "F.linear" and n["h"].op == "tanh" and n["loss"].op == "mean"
    groups = {g["path"]: {r.document.nodes[m].name for m in g["members"]} for g in r.groups}
    assert groups["model.hidden"] == {"model_hidden_weight", "model_hidden_bias",
                                      "model_hidden"}
    assert "h" in groups["model"] and "out" in groups["model"]


SCRIPTS = {"sequential": (SEQUENTIAL, 1), "fine_tuning": (FINE_TUNING, 1),
           "custom_module_3rd": (CUSTOM_MODULE, 3)}


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_every_parameter_gradient_is_torchs(name, tmp_path, torch, monkeypatch):
    source, call = SCRIPTS[name]
    doc = imported(tmp_path, source, call=call).document
    want = torch_backward_grads(torch, monkeypatch, source)[call - 1]
    got = doc_grads(doc)
    trained = [k for k, v in want.items() if v is not None]
    assert trained and set(got) == set(trained)
    assert_same_grads(got, want, trained)
