"""PyTorch's "Learning PyTorch with Examples" (nn, optim, custom nn Module, dynamic net),
"Build the Neural Network" and d2l's builders' guide, run with torch and with the engine
(``torch`` resolving to ``engine`` in ``sys.modules``, so ``from torch import nn`` works
unchanged). Both runs draw their random numbers from the same NumPy stream: the preamble
replaces ``Tensor.uniform_``/``normal_`` (what ``nn.init`` calls) and ``torch.rand``/``randn``
in both libraries, so identical prints need torch's order of draws in every module's
initialisation. The printed output must match: text exactly, numbers to float32 round-off.

The snippets are short excerpts of pytorch/tutorials (beginner_source/examples_nn/*.py,
beginner_source/basics/buildmodel_tutorial.py) and d2l-ai/d2l-en (chapter_builders-guide),
with a notebook cell's last expression wrapped in print() and FashionMNIST left out.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import engine

pytestmark = pytest.mark.parity

PREAMBLE = '''
import random, sys
import numpy as np
if {engine!r}:
    import engine, engine.nn, engine.nn.functional, engine.nn.init, engine.utils.data
    import engine.optim
    for _name in list(sys.modules):
        if _name == "engine" or _name.startswith("engine."):
            sys.modules["torch" + _name[len("engine"):]] = sys.modules[_name]
import torch
random.seed(0)
_rng = np.random.default_rng(0)

def _fill(self, values):
    with torch.no_grad():
        self.copy_(torch.tensor(values, dtype=self.dtype))
    return self

torch.Tensor.uniform_ = lambda self, a=0.0, b=1.0, generator=None: _fill(
    self, _rng.uniform(a, b, tuple(self.shape)))
torch.Tensor.normal_ = lambda self, mean=0.0, std=1.0, generator=None: _fill(
    self, _rng.normal(mean, std, tuple(self.shape)))

def _factory(draw):
    def f(*size, size_=None, requires_grad=False, dtype=None, device=None, **kw):
        size = kw.pop("size", size)
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        t = torch.tensor(draw(tuple(size)), dtype=dtype or torch.float32)
        return t.requires_grad_() if requires_grad else t
    return f

torch.rand = _factory(lambda s: _rng.random(s))
torch.randn = _factory(lambda s: _rng.standard_normal(s))
'''


def run(code: str, use_engine: bool) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = "1"  # torch's thread pool only contends on a shared machine
    src = PREAMBLE.format(engine=use_engine) + textwrap.dedent(code)
    res = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True, env=env,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return res.stdout


NUM = re.compile(r"-?(?:\d+\.\d*(?:e[+-]?\d+)?|\d+e[+-]?\d+)")


def normalise(out: str) -> str:
    out = re.sub(r"0x[0-9a-f]+", "0x?", out)
    return out.replace("<class 'engine.", "<class 'torch.")


def assert_same_output(code: str, rtol=1e-3, atol=1e-5) -> str:
    want = normalise(run(code, False))
    got = normalise(run(code, True))
    assert NUM.split(got) == NUM.split(want), f"--- engine:\n{got}\n--- torch:\n{want}"
    a = np.array([float(v) for v in NUM.findall(got)])
    b = np.array([float(v) for v in NUM.findall(want)])
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    return got


def test_examples_nn_polynomial():
    out = assert_same_output('''
        import math
        x = torch.linspace(-math.pi, math.pi, 2000)
        y = torch.sin(x)
        p = torch.tensor([1, 2, 3])
        xx = x.unsqueeze(-1).pow(p)
        model = torch.nn.Sequential(
            torch.nn.Linear(3, 1),
            torch.nn.Flatten(0, 1)
        )
        print(model)
        loss_fn = torch.nn.MSELoss(reduction='sum')
        learning_rate = 1e-6
        for t in range(2000):
            y_pred = model(xx)
            loss = loss_fn(y_pred, y)
            if t % 100 == 99:
                print(t, loss.item())
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for param in model.parameters():
                    param -= learning_rate * param.grad
        linear_layer = model[0]
        print(f'Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + {linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3')
    ''')
    assert out.count("\n") == 25 and "Flatten(start_dim=0, end_dim=1)" in out


def test_examples_nn_optim():
    assert_same_output('''
        import math
        x = torch.linspace(-math.pi, math.pi, 2000)
        y = torch.sin(x)
        p = torch.tensor([1, 2, 3])
        xx = x.unsqueeze(-1).pow(p)
        model = torch.nn.Sequential(
            torch.nn.Linear(3, 1),
            torch.nn.Flatten(0, 1)
        )
        loss_fn = torch.nn.MSELoss(reduction='sum')
        learning_rate = 1e-6
        optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
        for t in range(2000):
            y_pred = model(xx)
            loss = loss_fn(y_pred, y)
            if t % 100 == 99:
                print(t, loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        linear_layer = model[0]
        print(f'Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + {linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3')
    ''')


def test_examples_nn_custom_module():
    assert_same_output('''
        import math
        class Polynomial3(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = torch.nn.Parameter(torch.randn(()))
                self.b = torch.nn.Parameter(torch.randn(()))
                self.c = torch.nn.Parameter(torch.randn(()))
                self.d = torch.nn.Parameter(torch.randn(()))

            def forward(self, x):
                return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

            def string(self):
                return f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3'

        x = torch.linspace(-math.pi, math.pi, 2000)
        y = torch.sin(x)
        model = Polynomial3()
        print(model)
        criterion = torch.nn.MSELoss(reduction='sum')
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
        for t in range(2000):
            y_pred = model(x)
            loss = criterion(y_pred, y)
            if t % 100 == 99:
                print(t, loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f'Result: {model.string()}')
        print(list(model.state_dict()))
    ''')


def test_examples_nn_dynamic_net():
    # 3000 of the tutorial's 30000 steps: the same code path, a tenth of the time
    assert_same_output('''
        import math
        class DynamicNet(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = torch.nn.Parameter(torch.randn(()))
                self.b = torch.nn.Parameter(torch.randn(()))
                self.c = torch.nn.Parameter(torch.randn(()))
                self.d = torch.nn.Parameter(torch.randn(()))
                self.e = torch.nn.Parameter(torch.randn(()))

            def forward(self, x):
                y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
                for exp in range(4, random.randint(4, 6)):
                    y = y + self.e * x ** exp
                return y

            def string(self):
                return f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3 + {self.e.item()} x^4 ? + {self.e.item()} x^5 ?'

        x = torch.linspace(-math.pi, math.pi, 2000)
        y = torch.sin(x)
        model = DynamicNet()
        criterion = torch.nn.MSELoss(reduction='sum')
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
        for t in range(3000):
            y_pred = model(x)
            loss = criterion(y_pred, y)
            if t % 500 == 499:
                print(t, loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f'Result: {model.string()}')
    ''', rtol=2e-3)


BUILD_MODEL = '''
    from torch import nn
    from torch.utils.data import DataLoader
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    print('Using {} device'.format(device))

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super(NeuralNetwork, self).__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28*28, 512),
                nn.ReLU(),
                nn.Linear(512, 512),
                nn.ReLU(),
                nn.Linear(512, 10),
            )

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    model = NeuralNetwork().to(device)
    print(model)
    X = torch.rand(1, 28, 28, device=device)
    logits = model(X)
    pred_probab = nn.Softmax(dim=1)(logits)
    y_pred = pred_probab.argmax(1)
    print(f"Predicted class: {y_pred}")
    input_image = torch.rand(3,28,28)
    print(input_image.size())
    flatten = nn.Flatten()
    flat_image = flatten(input_image)
    print(flat_image.size())
    layer1 = nn.Linear(in_features=28*28, out_features=20)
    hidden1 = layer1(flat_image)
    print(hidden1.size())
    print(f"Before ReLU: {hidden1}\\n\\n")
    hidden1 = nn.ReLU()(hidden1)
    print(f"After ReLU: {hidden1}")
    seq_modules = nn.Sequential(
        flatten,
        layer1,
        nn.ReLU(),
        nn.Linear(20, 10)
    )
    input_image = torch.rand(3,28,28)
    logits = seq_modules(input_image)
    softmax = nn.Softmax(dim=1)
    pred_probab = softmax(logits)
    print(pred_probab)
    print(f"Model structure: {model}\\n\\n")
    for name, param in model.named_parameters():
        print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \\n")
'''


def test_build_the_neural_network():
    code = BUILD_MODEL
    if not hasattr(engine, "cuda"):  # torch.cuda is the tensor-API helper's (issue 11 B)
        code = code.replace("'cuda' if torch.cuda.is_available() else 'cpu'", "'cpu'")
    out = assert_same_output(code, rtol=1e-4)
    assert "Predicted class: tensor([" in out and "grad_fn=<ReluBackward0>" in out
    assert "Layer: linear_relu_stack.4.bias | Size: torch.Size([10])" in out


def test_d2l_model_construction():
    assert_same_output('''
        from torch import nn
        from torch.nn import functional as F
        net = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
        X = torch.rand(2, 20)
        print(net(X).shape)
        print(net)

        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = nn.LazyLinear(256)
                self.out = nn.LazyLinear(10)

            def forward(self, X):
                return self.out(F.relu(self.hidden(X)))

        net = MLP()
        print(net(X).shape)

        class MySequential(nn.Module):
            def __init__(self, *args):
                super().__init__()
                for idx, module in enumerate(args):
                    self.add_module(str(idx), module)

            def forward(self, X):
                for module in self.children():
                    X = module(X)
                return X

        net = MySequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
        print(net(X).shape)
        print(net)

        class FixedHiddenMLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.rand_weight = torch.rand((20, 20))
                self.linear = nn.LazyLinear(20)

            def forward(self, X):
                X = self.linear(X)
                X = F.relu(X @ self.rand_weight + 1)
                X = self.linear(X)
                while X.abs().sum() > 1:
                    X /= 2
                return X.sum()

        net = FixedHiddenMLP()
        print(net(X))

        class NestMLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.LazyLinear(64), nn.ReLU(),
                                         nn.LazyLinear(32), nn.ReLU())
                self.linear = nn.LazyLinear(16)

            def forward(self, X):
                return self.linear(self.net(X))

        chimera = nn.Sequential(NestMLP(), nn.LazyLinear(20), FixedHiddenMLP())
        print(chimera(X))
        print(chimera)
    ''', rtol=1e-4)


def test_d2l_parameters():
    assert_same_output('''
        from torch import nn
        net = nn.Sequential(nn.LazyLinear(8),
                            nn.ReLU(),
                            nn.LazyLinear(1))
        X = torch.rand(size=(2, 4))
        print(net(X).shape)
        print(net[2].state_dict())
        print((type(net[2].bias), net[2].bias.data))
        print(net[2].weight.grad == None)
        print([(name, param.shape) for name, param in net.named_parameters()])
        shared = nn.LazyLinear(8)
        net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(),
                            shared, nn.ReLU(),
                            shared, nn.ReLU(),
                            nn.LazyLinear(1))
        net(X)
        print(net[2].weight.data[0] == net[4].weight.data[0])
        net[2].weight.data[0, 0] = 100
        print(net[2].weight.data[0] == net[4].weight.data[0])
        print(len(list(net.parameters())))
    ''', rtol=1e-5)


def test_d2l_parameter_initialization():
    assert_same_output('''
        from torch import nn
        net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
        X = torch.rand(size=(2, 4))
        print(net(X).shape)

        def init_normal(module):
            if type(module) == nn.Linear:
                nn.init.normal_(module.weight, mean=0, std=0.01)
                nn.init.zeros_(module.bias)

        net.apply(init_normal)
        print((net[0].weight.data[0], net[0].bias.data[0]))

        def init_constant(module):
            if type(module) == nn.Linear:
                nn.init.constant_(module.weight, 1)
                nn.init.zeros_(module.bias)

        net.apply(init_constant)
        print((net[0].weight.data[0], net[0].bias.data[0]))

        def init_xavier(module):
            if type(module) == nn.Linear:
                nn.init.xavier_uniform_(module.weight)

        def init_42(module):
            if type(module) == nn.Linear:
                nn.init.constant_(module.weight, 42)

        net[0].apply(init_xavier)
        net[2].apply(init_42)
        print(net[0].weight.data[0])
        print(net[2].weight.data)

        def my_init(module):
            if type(module) == nn.Linear:
                print("Init", *[(name, param.shape)
                                for name, param in module.named_parameters()][0])
                nn.init.uniform_(module.weight, -10, 10)
                module.weight.data *= module.weight.data.abs() >= 5

        net.apply(my_init)
        print(net[0].weight[:2])
        net[0].weight.data[:] += 1
        net[0].weight.data[0, 0] = 42
        print(net[0].weight.data[0])
    ''', rtol=1e-5)


def test_d2l_custom_layers_and_lazy_init():
    assert_same_output('''
        from torch import nn
        from torch.nn import functional as F

        class CenteredLayer(nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, X):
                return X - X.mean()

        layer = CenteredLayer()
        print(layer(torch.tensor([1.0, 2, 3, 4, 5])))
        net = nn.Sequential(nn.LazyLinear(128), CenteredLayer())
        Y = net(torch.rand(4, 8))
        print(abs(Y.mean().item()) < 1e-6)

        class MyLinear(nn.Module):
            def __init__(self, in_units, units):
                super().__init__()
                self.weight = nn.Parameter(torch.randn(in_units, units))
                self.bias = nn.Parameter(torch.randn(units,))

            def forward(self, X):
                linear = torch.matmul(X, self.weight.data) + self.bias.data
                return F.relu(linear)

        linear = MyLinear(5, 3)
        print(linear.weight)
        print(linear(torch.rand(2, 5)))
        net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1))
        print(net(torch.rand(2, 64)))

        net = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
        print(net[0].weight)
        X = torch.rand(2, 20)
        net(X)
        print(net[0].weight.shape)
        print(net)
    ''', rtol=1e-5)


def test_optimizing_model_parameters():
    # FashionMNIST replaced by 640 + 128 random 28x28 images whose label is a fixed function
    # of the pixels; 2 epochs, a loss line every 4 batches (the tutorial: every 100)
    assert_same_output('''
        from torch import nn
        from torch.utils.data import DataLoader, TensorDataset

        def synthetic(n):
            X = torch.rand(n, 1, 28, 28)
            return TensorDataset(X, X.flatten(1)[:, :10].argmax(1))

        training_data, test_data = synthetic(640), synthetic(128)
        train_dataloader = DataLoader(training_data, batch_size=64)
        test_dataloader = DataLoader(test_data, batch_size=64)

        class NeuralNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                self.linear_relu_stack = nn.Sequential(
                    nn.Linear(28*28, 512),
                    nn.ReLU(),
                    nn.Linear(512, 512),
                    nn.ReLU(),
                    nn.Linear(512, 10),
                )

            def forward(self, x):
                x = self.flatten(x)
                logits = self.linear_relu_stack(x)
                return logits

        model = NeuralNetwork()
        learning_rate = 1e-1
        batch_size = 64

        def train_loop(dataloader, model, loss_fn, optimizer):
            size = len(dataloader.dataset)
            model.train()
            for batch, (X, y) in enumerate(dataloader):
                pred = model(X)
                loss = loss_fn(pred, y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if batch % 4 == 0:
                    loss, current = loss.item(), batch * batch_size + len(X)
                    print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")

        def test_loop(dataloader, model, loss_fn):
            model.eval()
            size = len(dataloader.dataset)
            num_batches = len(dataloader)
            test_loss, correct = 0, 0
            with torch.no_grad():
                for X, y in dataloader:
                    pred = model(X)
                    test_loss += loss_fn(pred, y).item()
                    correct += (pred.argmax(1) == y).type(torch.float).sum().item()
            test_loss /= num_batches
            correct /= size
            print(f"Test Error: \\n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \\n")

        loss_fn = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
        epochs = 2
        for t in range(epochs):
            print(f"Epoch {t+1}\\n-------------------------------")
            train_loop(train_dataloader, model, loss_fn, optimizer)
            test_loop(test_dataloader, model, loss_fn)
        print("Done!")
    ''', rtol=1e-4)
