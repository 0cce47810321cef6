"""``gradcanvas train`` and ``export --train``: the output format, errors, and the exported
loop trained by real torch printing the same lines within float32 noise."""
from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from app.__main__ import main
from engine.document import fileformat
from engine.document.training.export_train import to_training_script
from engine.document.training.loop import Trainer

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"
LINE = re.compile(r"^step (\d+): loss = (-?\d+\.\d{6}|nan|inf)$")


def call(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_train_prints_one_line_per_step_then_the_parameters(capsys):
    code, out, err = call(capsys, "train", EXAMPLES / "linear_regression.json", "--steps", "4")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert [LINE.match(x).group(1) for x in lines[:4]] == ["1", "2", "3", "4"]
    assert lines[4] == ""
    assert lines[5].startswith("w = tensor([[") and lines[5].endswith("]], requires_grad=True)")
    assert lines[6].startswith("b = tensor([") and len(lines) == 7


def test_train_json(capsys):
    code, out, _ = call(capsys, "train", EXAMPLES / "two_moons.json", "--steps", "3", "--json")
    assert code == 0
    d = json.loads(out)
    assert [s["step"] for s in d["steps"]] == [1, 2, 3]
    s = d["steps"][0]
    assert set(s) == {"step", "loss", "lr", "accuracy", "grad_norm", "value"}
    assert s["lr"] == 0.02 and 0 <= s["accuracy"] <= 1
    assert set(s["grad_norm"]) == {"w1", "b1", "w2", "b2", "w3", "b3"}
    assert np.array(d["parameters"]["w1"]).shape == (16, 2)
    assert d["stopped"] is None and d["setup"]["optimizer"] == "Adam"


def test_train_errors_are_one_line(capsys, tmp_path):
    doc = fileformat.load(EXAMPLES / "linear_regression.json")
    s = dict(doc.settings.training)
    s["data"] = {**s["data"], "source": "csv", "path": "bad.csv"}
    for k in ("n", "noise", "coeffs"):
        s["data"].pop(k)
    doc.set_setting("training", s)
    fileformat.save(doc, tmp_path / "g.json")
    (tmp_path / "bad.csv").write_text("x,y\n1,2\n2,oops\n")
    code, out, err = call(capsys, "train", tmp_path / "g.json")
    assert code == 1 and out == ""
    assert err.strip().endswith("bad.csv line 3: not a number: 'oops'")
    assert err.count("\n") == 1
    doc.set_setting("root", None)
    extra = doc.add_node("neg", "other").id
    doc.connect(doc.node_by_name("w").id, extra, "input")
    fileformat.save(doc, tmp_path / "g.json")
    code, _, err = call(capsys, "train", tmp_path / "g.json")
    assert code == 1 and "No backward root: 2 outputs require grad" in err
    code, _, err = call(capsys, "export", EXAMPLES / "two_moons.json", "--train", "--to", "dot")
    assert code == 2 and "--train applies to --to torch" in err


def test_train_nan_exits_1_with_the_node(capsys, tmp_path):
    doc = fileformat.load(EXAMPLES / "linear_regression.json")
    doc.set_setting("training", {**doc.settings.training, "lr": 1e6})
    fileformat.save(doc, tmp_path / "div.json")
    code, out, err = call(capsys, "train", tmp_path / "div.json", "--steps", "100")
    assert code == 1
    assert "returned inf values" in err or "returned nan values" in err or "contains" in err
    assert "loss is" in err
    n = len([x for x in out.splitlines() if LINE.match(x)])
    assert 0 < n < 100


# -- export --train against real torch ---------------------------------------------------------
def run_script(text: str) -> tuple[list[str], dict]:
    ns: dict = {"__name__": "__main__"}
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(text, "<export --train>", "exec"), ns)  # noqa: S102 - our own export
    return buf.getvalue().splitlines(), ns


def losses(lines):
    return [float(LINE.match(x).group(2)) for x in lines if LINE.match(x)]


VARIANTS = {
    "sgd_nesterov_wd": {"optimizer": "SGD", "lr": 0.05,
                        "options": {"momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}},
    "adam": {"optimizer": "Adam", "lr": 0.02},
    "adamw_cosine": {"optimizer": "AdamW", "lr": 0.02,
                     "scheduler": {"type": "CosineAnnealingLR", "T_max": 50}},
    "rmsprop_step": {"optimizer": "RMSprop", "lr": 0.005, "options": {"momentum": 0.5},
                     "scheduler": {"type": "StepLR", "step_size": 10, "gamma": 0.5}},
    "sgd_no_zero_grad": {"optimizer": "SGD", "lr": 0.001, "zero_grad": False,
                         "scheduler": {"type": "ExponentialLR", "gamma": 0.95}},
}


def check_parity(doc, steps, literal=False):
    text = to_training_script(doc, literal_values=literal, steps=steps)
    lines, ns = run_script(text)
    tr = Trainer(doc)
    recs = tr.run(steps)
    assert tr.stopped is None
    got = losses(lines)
    assert len(got) == len(recs) == steps
    np.testing.assert_allclose(got, [r.loss for r in recs], rtol=2e-4, atol=2e-6)
    for nid, value in tr.parameters().items():
        np.testing.assert_allclose(ns[doc.nodes[nid].name].detach().numpy(), value,
                                   rtol=1e-3, atol=1e-4)
    return lines


@pytest.mark.parity
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_exported_moons_loop_trains_identically_in_torch(torch, variant):
    doc = fileformat.load(EXAMPLES / "two_moons.json")
    doc.set_setting("training", {**VARIANTS[variant], "data": doc.settings.training["data"]})
    check_parity(doc, 50)


@pytest.mark.parity
@pytest.mark.parametrize("name", ["linear_regression", "fine_tuning", "two_moons"])
def test_exported_examples_print_what_train_prints(torch, capsys, name):
    doc = fileformat.load(EXAMPLES / f"{name}.json")
    lines = check_parity(doc, 50, literal=name == "fine_tuning")
    code, out, _ = call(capsys, "train", EXAMPLES / f"{name}.json", "--steps", "50")
    assert code == 0
    mine = out.splitlines()
    assert len(mine) == len(lines)
    for a, b in zip(mine, lines):  # same text, numbers within float32 noise
        assert re.sub(r"-?\d+\.\d+", "#", a) == re.sub(r"-?\d+\.\d+", "#", b)


@pytest.mark.parity
def test_the_frozen_body_stays_frozen_in_torch(torch):
    doc = fileformat.load(EXAMPLES / "fine_tuning.json")
    text = to_training_script(doc, steps=5)
    assert "w1.requires_grad_(False)  # frozen" in text
    assert "params = [w2, b2]" in text
    _, ns = run_script(text)
    tr = Trainer(doc)
    assert np.array_equal(ns["w1"].detach().numpy(), tr.ex.leaf(
        doc.node_by_name("w1").id).detach().numpy())
