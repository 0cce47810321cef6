"""The torch.nn.functional rows (catalog_nn.py and the loss options): a small document with each
op, run forward + backward by the Executor, gives torch's values and leaf grads, and its
``gradcanvas export --to torch --literal-values`` script prints what ``gradcanvas run`` prints."""
from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pytest

from app.__main__ import main
from engine.document import CATALOG, Document, fileformat
from engine.document.execution import Executor

RNG = np.random.default_rng(11)


def _f(*shape, positive=False):
    a = RNG.standard_normal(shape).astype(np.float32)
    return np.abs(a) + np.float32(0.5) if positive else a


def _u(*shape):
    return RNG.uniform(0.05, 0.95, shape).astype(np.float32)


# (op, {port: array}, params, torch's own call on {port: tensor}); the torch side is written
# independently of the row's code so that a wrong row cannot agree with itself.
CASES = [
    ("F.elu", {"input": _f(2, 3)}, {"alpha": 0.7}, lambda F, t: F.elu(t["input"], alpha=0.7)),
    ("F.softplus", {"input": _f(2, 3) * 4}, {"beta": 2.0, "threshold": 3.0},
     lambda F, t: F.softplus(t["input"], beta=2.0, threshold=3.0)),
    ("F.silu", {"input": _f(3, 2)}, {}, lambda F, t: F.silu(t["input"])),
    ("F.l1_loss", {"input": _f(2, 3), "target": _f(2, 3)}, {"reduction": "sum"},
     lambda F, t: F.l1_loss(t["input"], t["target"], reduction="sum")),
    ("F.huber_loss", {"input": _f(2, 3) * 2, "target": _f(2, 3)}, {"delta": 0.6},
     lambda F, t: F.huber_loss(t["input"], t["target"], delta=0.6)),
    ("F.smooth_l1_loss", {"input": _f(2, 3) * 2, "target": _f(2, 3)},
     {"beta": 0.4, "reduction": "none"},
     lambda F, t: F.smooth_l1_loss(t["input"], t["target"], beta=0.4, reduction="none")),
    ("F.dropout", {"input": _f(2, 3)}, {"training": False},
     lambda F, t: F.dropout(t["input"], training=False)),
    ("F.layer_norm", {"input": _f(2, 3, 4), "weight": _f(4), "bias": _f(4)},
     {"normalized_shape": [4], "eps": 1e-3},
     lambda F, t: F.layer_norm(t["input"], (4,), t["weight"], t["bias"], eps=1e-3)),
    ("F.layer_norm", {"input": _f(2, 3, 4), "bias": _f(3, 4)}, {"normalized_shape": [3, 4]},
     lambda F, t: F.layer_norm(t["input"], (3, 4), bias=t["bias"])),
    ("F.batch_norm", {"input": _f(4, 3, 2), "weight": _f(3), "bias": _f(3)},
     {"training": True, "eps": 1e-4},
     lambda F, t: F.batch_norm(t["input"], None, None, t["weight"], t["bias"], training=True,
                               eps=1e-4)),
    ("F.batch_norm", {"input": _f(5, 3), "running_mean": _f(3),
                      "running_var": _f(3, positive=True), "weight": _f(3)}, {},
     lambda F, t: F.batch_norm(t["input"], t["running_mean"], t["running_var"], t["weight"])),
    ("F.embedding", {"input": np.array([[0, 2, 1], [2, 2, 0]]), "weight": _f(3, 4)},
     {"padding_idx": 2},
     lambda F, t: F.embedding(t["input"], t["weight"], padding_idx=2)),
    ("F.conv2d", {"input": _f(2, 4, 6, 5), "weight": _f(6, 2, 3, 2), "bias": _f(6)},
     {"stride": [2, 1], "padding": 1, "dilation": [1, 2], "groups": 2},
     lambda F, t: F.conv2d(t["input"], t["weight"], t["bias"], stride=(2, 1), padding=1,
                           dilation=(1, 2), groups=2)),
    ("F.conv2d", {"input": _f(3, 5, 5), "weight": _f(2, 3, 3, 3)}, {},
     lambda F, t: F.conv2d(t["input"], t["weight"])),
    ("F.max_pool2d", {"input": _f(2, 3, 5, 5)}, {"kernel_size": 3, "stride": 2, "padding": 1},
     lambda F, t: F.max_pool2d(t["input"], 3, stride=2, padding=1)),
    ("F.avg_pool2d", {"input": _f(1, 2, 5, 4)},
     {"kernel_size": [2, 3], "ceil_mode": True, "count_include_pad": False},
     lambda F, t: F.avg_pool2d(t["input"], (2, 3), ceil_mode=True, count_include_pad=False)),
    ("F.adaptive_avg_pool2d", {"input": _f(2, 3, 5, 7)}, {"output_size": [2, 3]},
     lambda F, t: F.adaptive_avg_pool2d(t["input"], (2, 3))),
    ("F.bilinear", {"input1": _f(2, 3), "input2": _f(2, 4), "weight": _f(5, 3, 4),
                    "bias": _f(5)}, {},
     lambda F, t: F.bilinear(t["input1"], t["input2"], t["weight"], t["bias"])),
    # the loss options the rows gained
    ("F.cross_entropy", {"input": _f(4, 3), "target": np.array([0, 2, 1, 2]),
                         "weight": _f(3, positive=True)},
     {"ignore_index": 1, "label_smoothing": 0.2},
     lambda F, t: F.cross_entropy(t["input"], t["target"], weight=t["weight"], ignore_index=1,
                                  label_smoothing=0.2)),
    ("F.nll_loss", {"input": _f(4, 3), "target": np.array([0, 2, 1, 2]),
                    "weight": _f(3, positive=True)}, {"ignore_index": 0, "reduction": "sum"},
     lambda F, t: F.nll_loss(t["input"], t["target"], weight=t["weight"], ignore_index=0,
                             reduction="sum")),
    ("F.binary_cross_entropy", {"input": _u(2, 3), "target": _u(2, 3), "weight": _u(3)}, {},
     lambda F, t: F.binary_cross_entropy(t["input"], t["target"], weight=t["weight"])),
    ("F.binary_cross_entropy_with_logits",
     {"input": _f(2, 3), "target": _u(2, 3), "weight": _u(2, 3), "pos_weight": _u(3) * 3},
     {"reduction": "sum"},
     lambda F, t: F.binary_cross_entropy_with_logits(
         t["input"], t["target"], weight=t["weight"], pos_weight=t["pos_weight"],
         reduction="sum")),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def _grad_wanted(spec, port, array) -> bool:
    return array.dtype.kind == "f" and spec.port(port).differentiable


def build(key, arrays, params) -> tuple[Document, dict, str]:
    """Literal leaves -> the op -> (op ** 2).sum() as the root (grads that depend on values)."""
    spec = CATALOG[key]
    d = Document()
    leaves = {}
    for port, a in arrays.items():
        n = d.add_node("tensor", port, {"value": a.tolist(), "dtype": str(a.dtype)},
                       requires_grad=_grad_wanted(spec, port, a))
        leaves[port] = n.id
    op = d.add_node(key, "out", params)
    for port, nid in leaves.items():
        d.connect(nid, op.id, port)
    sq = d.add_node("pow", "sq", {"scalar": 2})
    d.connect(op.id, sq.id, "input")
    total = d.add_node("sum", "total")
    d.connect(sq.id, total.id, "input")
    d.set_setting("root", total.id)
    return d, leaves, op.id


@pytest.mark.parity
@pytest.mark.parametrize("key,arrays,params,reference", CASES, ids=IDS)
def test_document_forward_backward_match_torch(torch, key, arrays, params, reference):
    d, leaves, out_id = build(key, arrays, params)
    ex = Executor(d)
    res = ex.forward()
    assert all(r.ok for r in res.values()), {k: r.error for k, r in res.items()}
    assert ex.backward() is None
    spec = CATALOG[key]
    t = {p: torch.tensor(a, requires_grad=_grad_wanted(spec, p, a)) for p, a in arrays.items()}
    theirs = reference(torch.nn.functional, t)
    (theirs ** 2).sum().backward()
    ours = res[out_id]
    assert ours.shape == tuple(theirs.shape) and ours.dtype == str(theirs.dtype)
    assert ours.grad_fn == (None if theirs.grad_fn is None else type(theirs.grad_fn).__name__)
    np.testing.assert_allclose(ours.value.detach().numpy(), theirs.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    for port, nid in leaves.items():
        g, h = res[nid].grad, t[port].grad
        assert (g is None) == (h is None), port
        if h is not None:
            np.testing.assert_allclose(g.numpy(), h.numpy(), rtol=1e-4, atol=1e-5)


def _cli(capsys, *argv) -> str:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.mark.parity
@pytest.mark.parametrize("key,arrays,params,reference", CASES, ids=IDS)
def test_torch_export_prints_what_run_prints(torch, tmp_path, capsys, key, arrays, params,
                                             reference):
    d, _, _ = build(key, arrays, params)
    path = tmp_path / "g.json"
    fileformat.save(d, path)
    run_out = _cli(capsys, "run", path, "--backward")
    script = _cli(capsys, "export", path, "--to", "torch", "--literal-values")
    assert "torch.nn.functional." + key.removeprefix("F.") + "(" in script
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(script, "<export>", "exec"), {"__name__": "__export__"})  # noqa: S102
    assert _same_print(buf.getvalue(), run_out)


NUMBER = re.compile(r"-?(?:\d+\.\d*|\d+|nan|inf)(?:e[-+]\d+)?")


def _same_print(a: str, b: str) -> bool:
    """The same text, names and grad_fns, and the same numbers to the printed digits: conv,
    norm and pooling sum in another order than torch's kernels, so the last printed digit of a
    float32 (or the sign of a -0.0000 that is -1e-7) may differ; nothing else may."""
    if re.sub(r"\s+", "", NUMBER.sub("#", a)) != re.sub(r"\s+", "", NUMBER.sub("#", b)):
        return False
    x = np.array([float(v) for v in NUMBER.findall(a)])
    y = np.array([float(v) for v in NUMBER.findall(b)])
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-4, atol=1.5e-4,
                                                   equal_nan=True))


def test_same_print_tells_numbers_apart():
    assert _same_print("t = tensor([-0.0000,  1.5000])", "t = tensor([ 0.0000,  1.5001])")
    assert not _same_print("t = tensor([0.0000, 1.5000])", "t = tensor([0.0000, 1.5100])")
    assert not _same_print("grad_fn=<AddBackward0>", "grad_fn=<MulBackward0>")
    assert not _same_print("x.grad = None", "x.grad = tensor(1.)")


def test_training_dropout_zeroes_or_scales_and_grads_follow_the_mask():
    x = np.abs(_f(40, 50)) + np.float32(0.1)  # no zeros: a zero output means dropped
    d, leaves, out_id = build("F.dropout", {"input": x}, {"p": 0.25})
    ex = Executor(d)
    res = ex.forward()
    ex.backward()
    out = res[out_id].value.detach().numpy()
    kept = out != 0
    assert res[out_id].grad_fn == "MulBackward0"  # torch on CPU: input * mask / (1 - p)
    np.testing.assert_allclose(out[kept], x[kept] / np.float32(0.75), rtol=1e-6)
    assert 0.6 < kept.mean() < 0.9  # 2000 draws of p=0.25
    # d/dx sum((mask * x / 0.75) ** 2) = 2 * mask * x / 0.75 ** 2
    np.testing.assert_allclose(res[leaves["input"]].grad.numpy(),
                               np.where(kept, 2 * x / np.float32(0.75) ** 2, 0), rtol=1e-5)


@pytest.mark.parametrize("key,name,value,msg", [
    ("F.conv2d", "stride", 0, "must be >= 1"),
    ("F.conv2d", "padding", [1, -1], r"must be >= 0, got \(1, -1\)"),
    ("F.conv2d", "groups", 0, "must be >= 1"),
    ("F.max_pool2d", "kernel_size", "2", "expected an int or a list of ints"),
    ("F.dropout", "p", 1.5, "must be <= 1.0"),
    ("F.batch_norm", "momentum", -0.1, "must be >= 0.0"),
    ("F.layer_norm", "normalized_shape", [0], "sizes must be >= 1"),
    ("F.cross_entropy", "label_smoothing", 2.0, "must be <= 1.0"),
])
def test_nn_params_are_checked(key, name, value, msg):
    from engine.document.catalog import validate_param
    from engine.document.errors import ParamError
    with pytest.raises(ParamError, match=msg):
        validate_param(CATALOG[key], name, value)


def test_rows_name_their_nodes_and_mark_non_differentiable_inputs():
    d = Document()
    assert [d.add_node(k).name for k in ("F.conv2d", "F.conv2d", "F.batch_norm",
                                         "F.huber_loss")] == ["conv1", "conv2", "bn1", "loss1"]
    assert not CATALOG["F.embedding"].port("input").differentiable
    assert not CATALOG["F.batch_norm"].port("running_var").differentiable
    assert not CATALOG["F.cross_entropy"].port("weight").differentiable
    assert CATALOG["F.conv2d"].category == "Neural network"


@pytest.mark.parity
def test_ignored_targets_give_positive_zeros_as_torch(torch):
    """torch leaves ignored samples' loss and gradient at +0.0 (a printed -0.0000 would differ)."""
    import engine
    x = _f(3, 3)
    got = {}
    for lib in (engine, torch):
        t = lib.tensor(x, requires_grad=True)
        loss = lib.nn.functional.nll_loss(t, lib.tensor([0, 1, 2]), ignore_index=0,
                                          reduction="none")
        loss.sum().backward()
        got[lib.__name__] = (np.signbit(loss.detach().numpy()), np.signbit(t.grad.numpy()))
    for ours, theirs in zip(got["engine"], got["torch"]):
        np.testing.assert_array_equal(ours, theirs)


def test_files_saved_before_the_loss_options_load_with_torch_defaults():
    """A cross_entropy/nll_loss node saved with only ``reduction`` (files before these params
    and ports existed) loads with torch's defaults and runs as before."""
    import json
    d = Document()
    x = d.add_node("tensor", "x", {"value": _f(2, 3).tolist()}, requires_grad=True)
    t = d.add_node("tensor", "t", {"value": [0, 2], "dtype": "int64"})
    for op in ("F.cross_entropy", "F.nll_loss", "F.binary_cross_entropy_with_logits"):
        n = d.add_node(op, params={"reduction": "sum"})
        d.connect(x.id, n.id, "input")
        d.connect(t.id if op != "F.binary_cross_entropy_with_logits" else x.id, n.id, "target")
    data = json.loads(fileformat.dumps(d))
    for node in data["document"]["nodes"]:
        if node["op"].startswith("F."):
            node["params"] = {"reduction": "sum"}  # the old files' params
    doc = fileformat.loads(json.dumps(data))
    losses = [n for n in doc.nodes.values() if n.op.startswith("F.")]
    assert losses[0].params == {"reduction": "sum", "ignore_index": -100,
                                "label_smoothing": 0.0}
    assert losses[1].params == {"reduction": "sum", "ignore_index": -100}
    res = Executor(doc).forward()
    assert all(res[n.id].ok for n in losses)
