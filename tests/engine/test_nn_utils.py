"""nn.init, nn.utils (clip_grad, parameters/vector) and torch.utils.data against torch 2.13."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import engine
from engine import nn as enn
from engine.utils import data as edata

pytestmark = pytest.mark.parity


@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",),
                                  ("leaky_relu",), ("leaky_relu", 0.2), ("selu",)])
def test_calculate_gain(torch, args):
    assert enn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)


def test_init_errors_match_torch(torch):
    for name, args in [("calculate_gain", ("foo",)), ("calculate_gain", ("leaky_relu", "x")),
                       ("kaiming_uniform_", (None,)), ("xavier_normal_", (None,))]:
        with pytest.raises(Exception) as te:
            a = [torch.ones(3) if x is None else x for x in args]
            getattr(torch.nn.init, name)(*a)
        with pytest.raises(Exception) as ee:
            a = [engine.ones(3) if x is None else x for x in args]
            getattr(enn.init, name)(*a)
        assert type(ee.value) is type(te.value) and str(ee.value) == str(te.value)
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        enn.init.kaiming_normal_(engine.ones(2, 2), mode="fan_avg")


@pytest.mark.parametrize("shape", [(30, 20), (8, 4, 3, 3)])
def test_initialisers_draw_in_torch_bounds_and_scales(shape):
    engine.manual_seed(0)
    w = enn.Parameter(engine.empty(*shape))
    fan_in = shape[1] * int(np.prod(shape[2:]))
    fan_out = shape[0] * int(np.prod(shape[2:]))
    bound = math.sqrt(3.0) * math.sqrt(2.0 / (1 + 5)) / math.sqrt(fan_in)
    enn.init.kaiming_uniform_(w, a=math.sqrt(5))
    v = w.detach().numpy()
    assert np.abs(v).max() <= bound and np.abs(v).max() > 0.8 * bound
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    enn.init.xavier_uniform_(w, gain=2.0)
    a = 2.0 * math.sqrt(6.0 / (fan_in + fan_out))
    assert np.abs(w.detach().numpy()).max() <= a
    engine.manual_seed(1)
    big = enn.Parameter(engine.empty(400, 300))
    enn.init.kaiming_normal_(big, nonlinearity="relu")
    assert abs(big.detach().numpy().std() - math.sqrt(2 / 300)) < 0.003
    enn.init.xavier_normal_(big)
    assert abs(big.detach().numpy().std() - math.sqrt(2 / 700)) < 0.002
    enn.init.normal_(big, 3.0, 0.5)
    assert abs(big.detach().numpy().mean() - 3.0) < 0.01
    enn.init.uniform_(big, -2, -1)
    assert big.detach().numpy().min() >= -2 and big.detach().numpy().max() <= -1
    enn.init.constant_(big, 0.25)
    assert np.all(big.detach().numpy() == 0.25)
    enn.init.zeros_(big), enn.init.ones_(w)
    assert big.detach().numpy().sum() == 0 and np.all(w.detach().numpy() == 1)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        enn.init.kaiming_uniform_(engine.empty(0, 3))
    assert "Initializing zero-element tensors is a no-op" in str(rec[0].message)


def test_same_seed_same_modules():
    engine.manual_seed(5)
    a = enn.Sequential(enn.Linear(3, 4), enn.Linear(4, 2))
    engine.manual_seed(5)
    b = enn.Sequential(enn.Linear(3, 4), enn.Linear(4, 2))
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and np.array_equal(va.numpy(), vb.numpy())


def test_linear_init_draws_weight_then_bias_through_uniform_(monkeypatch):
    calls = []
    orig = engine.Tensor.uniform_

    def spy(self, a=0.0, b=1.0):
        calls.append((tuple(self.shape), round(a, 6), round(b, 6)))
        return orig(self, a, b)
    monkeypatch.setattr(engine.Tensor, "uniform_", spy)
    enn.Linear(4, 3)
    w_bound = math.sqrt(3.0) * math.sqrt(2.0 / 6) / 2
    assert calls == [((3, 4), round(-w_bound, 6), round(w_bound, 6)), ((3,), -0.5, 0.5)]


def _params(lib, nn, seed_arrays):
    ps = [nn.Parameter(lib.tensor(a)) for a in seed_arrays]
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_matches_torch(torch, norm_type):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (5,)]]
    grads = [rng.standard_normal(a.shape).astype(np.float32) * 3 for a in arrays]
    res = []
    for lib, nn in ((torch, torch.nn), (engine, enn)):
        ps = _params(lib, nn, arrays)
        for p, g in zip(ps, grads):
            p.grad = lib.tensor(g)
        total = nn.utils.clip_grad_norm_(ps, max_norm=1.0, norm_type=norm_type)
        res.append((float(total), [p.grad.numpy().copy() for p in ps]))
    assert res[1][0] == pytest.approx(res[0][0], rel=1e-5)
    for a, b in zip(res[1][1], res[0][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def test_clip_grad_value_and_vector_round_trip(torch):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(2, 3), (4,)]]
    out = []
    for lib, nn in ((torch, torch.nn), (engine, enn)):
        ps = _params(lib, nn, arrays)
        for p in ps:
            p.grad = lib.ones_like(p) * 2
        nn.utils.clip_grad_value_(ps, 0.5)
        vec = nn.utils.parameters_to_vector(ps)
        nn.utils.vector_to_parameters(vec * 2, ps)
        out.append((vec.detach().numpy(), vec.grad_fn.name(), [p.grad.numpy() for p in ps],
                    [p.detach().numpy() for p in ps]))
    np.testing.assert_allclose(out[1][0], out[0][0])
    assert out[1][1] == out[0][1] == "CatBackward0"
    for a, b in zip(out[1][2] + out[1][3], out[0][2] + out[0][3]):
        np.testing.assert_allclose(a, b)


# -- torch.utils.data ----------------------------------------------------------------------------
def test_tensor_dataset_and_loader_batches(torch):
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    for drop_last, sizes in ((False, [4, 4, 2]), (True, [4, 4])):
        batches = []
        for lib, data in ((torch, torch.utils.data), (engine, edata)):
            ds = data.TensorDataset(lib.tensor(x), lib.tensor(y))
            dl = data.DataLoader(ds, batch_size=4, drop_last=drop_last)
            assert len(dl) == len(sizes) and len(ds) == 10
            batches.append([(xb.numpy(), yb.numpy(), str(xb.dtype), str(yb.dtype), type(b))
                            for b in dl for xb, yb in [b]])
        assert [b[0].shape[0] for b in batches[1]] == sizes
        for a, b in zip(*batches):
            np.testing.assert_array_equal(a[0], b[0])
            np.testing.assert_array_equal(a[1], b[1])
            assert a[2:4] == b[2:4] and a[4] is list and b[4] is list


def test_shuffle_covers_every_sample_once_and_is_seeded():
    ds = edata.TensorDataset(engine.arange(12))
    engine.manual_seed(0)
    first = [int(v) for (b,) in edata.DataLoader(ds, batch_size=5, shuffle=True) for v in b]
    engine.manual_seed(0)
    second = [int(v) for (b,) in edata.DataLoader(ds, batch_size=5, shuffle=True) for v in b]
    assert sorted(first) == list(range(12)) and first == second and first != list(range(12))


def test_default_collate_matches_torch(torch):
    def describe(x):
        if isinstance(x, dict):
            return {k: describe(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [describe(v) for v in x]
        return (x.tolist(), str(x.dtype))
    cases = [lambda lib: [{"a": 1, "b": lib.ones(2)}, {"a": 2, "b": lib.zeros(2)}],
             lambda lib: [(1.5, 2), (2.5, 3)], lambda lib: [lib.tensor([1, 2]), lib.tensor([3, 4])],
             lambda lib: [True, False]]
    for case in cases:
        assert describe(edata.default_collate(case(engine))) == describe(
            torch.utils.data.default_collate(case(torch)))


def test_random_split_and_subset(torch):
    parts = edata.random_split(range(10), [0.3, 0.7])
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    parts = edata.random_split(range(10), [5, 5])
    assert isinstance(parts[0], edata.Subset) and len(parts[1]) == 5
    assert parts[0][0] == parts[0].indices[0]
    for data in (torch.utils.data, edata):
        with pytest.raises(ValueError) as e:
            data.random_split(range(10), [4, 4])
        assert str(e.value) == "Sum of input lengths does not equal the length of the input dataset!"


def test_custom_dataset_subclass_with_loader():
    class Squares(edata.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": engine.tensor([float(i)]), "y": i * i}
    batches = list(edata.DataLoader(Squares(), batch_size=2))
    assert [b["y"].tolist() for b in batches] == [[0, 1], [4, 9], [16]]
    assert batches[0]["x"].shape == (2, 1)


def test_module_importable_as_torch_paths():
    import engine.nn.functional as F  # noqa: N812
    assert engine.utils.data.DataLoader is edata.DataLoader
    assert engine.nn.functional is F and F.conv2d and engine.nn.init.kaiming_uniform_
    assert engine.nn.utils.clip_grad_norm_


def test_functional_names_resolve(torch):
    import engine.nn.functional as F  # noqa: N812
    for name in F.__all__:
        assert callable(getattr(F, name)) and callable(getattr(torch.nn.functional, name))
