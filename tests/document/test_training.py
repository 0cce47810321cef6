"""The training core: setup rules, datasets, the loop (zero_grad, frozen, NaN), examples."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from engine.document import Document, ParamError, fileformat
from engine.document.fileformat import FileFormatError
from engine.document.training import check_setup, datasets
from engine.document.training.loop import Trainer, TrainingError

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "resources", "examples")


def example(name):
    return fileformat.load(os.path.join(EXAMPLES, name + ".json"))


def tiny(setup=None):
    """loss = mse(x @ w.t(), y) with w a 1x2 parameter: easy to check by hand."""
    doc = Document()
    x = doc.add_node("tensor", "x", {"value": [[1.0, 2.0], [3.0, 4.0]]}).id
    y = doc.add_node("tensor", "y", {"value": [[1.0], [2.0]]}).id
    w = doc.add_node("tensor", "w", {"value": [[0.5, -0.5]]}, requires_grad=True).id
    lin = doc.add_node("F.linear", "pred").id
    doc.connect(x, lin, "input")
    doc.connect(w, lin, "weight")
    loss = doc.add_node("F.mse_loss", "loss").id
    doc.connect(lin, loss, "input")
    doc.connect(y, loss, "target")
    doc.set_setting("root", loss)
    doc.set_setting("training", setup or {"optimizer": "SGD", "lr": 0.01, "steps": 3})
    return doc


# -- setup ---------------------------------------------------------------------------------
def test_setup_defaults_are_torch_optims():
    s = check_setup({"optimizer": "Adam"})
    assert s["lr"] == 1e-3 and s["options"]["betas"] == [0.9, 0.999]
    assert s["zero_grad"] is True and s["data"] is None and s["scheduler"] is None
    assert check_setup({"optimizer": "AdamW"})["options"]["weight_decay"] == 1e-2


@pytest.mark.parametrize("setup, message", [
    ({"optimizer": "LBFGS"}, "expected one of SGD, Adam, AdamW, RMSprop"),
    ({"optimizer": "SGD", "lr": -1}, "Invalid learning rate: -1.0"),
    ({"optimizer": "SGD", "options": {"nesterov": True}},
     "Nesterov momentum requires a momentum and zero dampening"),
    ({"optimizer": "Adam", "options": {"betas": [1.0, 0.9]}},
     "Invalid beta parameter at index 0: 1.0"),
    ({"optimizer": "Adam", "options": {"momentum": 0.9}}, "unknown field 'momentum'"),
    ({"optimizer": "SGD", "scheduler": {"type": "StepLR"}}, "missing argument 'step_size'"),
    ({"optimizer": "SGD", "steps": 0}, "training.steps: expected an integer"),
    ({"optimizer": "SGD", "data": {"source": "mnist"}}, "training.data.source"),
    ({"optimizer": "SGD", "bogus": 1}, "unknown field 'bogus'"),
])
def test_bad_setups_are_refused_in_torchs_words(setup, message):
    with pytest.raises(ParamError, match=message.replace("(", r"\(").replace("[", r"\[")):
        check_setup(setup)


def test_setup_round_trips_through_a_file_and_old_files_load(tmp_path):
    doc = tiny()
    fileformat.save(doc, tmp_path / "t.json")
    raw = json.loads((tmp_path / "t.json").read_text())
    assert raw["schema_version"] == 3
    assert raw["document"]["settings"]["training"]["optimizer"] == "SGD"
    assert fileformat.load(tmp_path / "t.json") == doc
    raw["schema_version"] = 2  # a schema-2 file (no training) still loads
    del raw["document"]["settings"]["training"]
    old = fileformat.from_data(raw)
    assert old.settings.training is None


def test_a_file_whose_dataset_feeds_a_missing_node_names_the_field(tmp_path):
    doc = example("two_moons")
    data = fileformat.to_data(doc)
    data["document"]["settings"]["training"]["data"]["inputs"] = "n999"
    with pytest.raises(FileFormatError, match="no node with id 'n999'") as e:
        fileformat.from_data(data)
    assert e.value.path == "document.settings.training"


def test_set_setting_training_is_one_event_and_checks_nodes():
    doc = tiny()
    seen = []
    doc.subscribe(seen.append)
    doc.set_setting("training", {"optimizer": "Adam", "lr": 0.1})
    assert [e.kind for e in seen] == ["settings_changed"]
    assert seen[0].detail["old"]["optimizer"] == "SGD"
    with pytest.raises(Exception, match="no node with id 'n77'"):
        doc.set_setting("training", {"data": {"source": "sine", "inputs": "n77",
                                              "targets": "n1"}})
    assert doc.settings.training["optimizer"] == "Adam"  # unchanged by the refused edit


# -- datasets ------------------------------------------------------------------------------
@pytest.mark.parametrize("source", ["moons", "circles", "spiral", "xor", "blobs", "sine",
                                    "polynomial"])
def test_generated_sets_are_seeded(source):
    d = check_setup({"data": {"source": source, "seed": 3}})["data"]
    X1, y1 = datasets.load(d)
    X2, y2 = datasets.load(d)
    X3, y3 = datasets.load({**d, "seed": 4})
    assert X1.dtype == np.float32 and len(X1) == len(y1) == d["n"]
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not (np.array_equal(X1, X3) and np.array_equal(y1, y3))
    if source in ("sine", "polynomial"):
        assert X1.shape[1] == 1
    else:
        assert X1.shape[1] == 2 and set(np.unique(y1)) == {0.0, 1.0}


def test_batches_cover_each_epoch_once():
    it = datasets.batches(10, 4, True, 0)
    epoch = [next(it) for _ in range(3)]
    assert [len(b) for b in epoch] == [4, 4, 2]
    assert sorted(i for b in epoch for i in b) == list(range(10))
    assert [next(datasets.batches(10, 4, False, 0))] == [[0, 1, 2, 3]]


def test_csv_header_detected_and_bad_lines_numbered(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,b,label\n1,2,0\n\n3,4,1\n")
    X, y = datasets.read_csv(str(p))
    assert X.tolist() == [[1, 2], [3, 4]] and y.tolist() == [0, 1]
    p.write_text("1,2,0\n3,__import__('os'),1\n")
    with pytest.raises(datasets.DatasetError, match=r"line 2: not a number: \"__import__\('os'\)\""):
        datasets.read_csv(str(p))
    p.write_text("1,2,0\n3,4\n")
    with pytest.raises(datasets.DatasetError, match="line 2: expected 3 values, got 2"):
        datasets.read_csv(str(p))
    with pytest.raises(datasets.DatasetError, match="cannot read"):
        datasets.read_csv(str(tmp_path / "missing.csv"))


def test_csv_dataset_trains_relative_to_the_document(tmp_path):
    (tmp_path / "pts.csv").write_text("x,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(8)))
    doc = example("linear_regression")
    s = dict(doc.settings.training)
    s["data"] = {"source": "csv", "path": "pts.csv", "inputs": s["data"]["inputs"],
                 "targets": s["data"]["targets"]}
    s["lr"], s["steps"] = 0.01, 300
    doc.set_setting("training", s)
    tr = Trainer(doc, base_dir=str(tmp_path))
    tr.run()
    assert tr.stopped is None
    w = tr.parameters()
    assert abs(float(w[s["data"]["inputs"] and tr.params[0]].ravel()[0]) - 2.0) < 0.1


# -- the loop ------------------------------------------------------------------------------
def test_one_sgd_step_is_w_minus_lr_grad():
    doc = tiny()
    tr = Trainer(doc)
    x, y, w = np.array([[1, 2], [3, 4]], np.float32), np.array([[1], [2]], np.float32), \
        np.array([[0.5, -0.5]], np.float32)
    pred = x @ w.T
    grad = (2 * (pred - y) / pred.size).T @ x
    rec = tr.step()
    assert rec.loss == pytest.approx(float(((pred - y) ** 2).mean()))
    assert rec.grad_norms[tr.params[0]] == pytest.approx(float(np.linalg.norm(grad)))
    np.testing.assert_allclose(tr.parameters()[tr.params[0]], w - 0.01 * grad, rtol=1e-6)
    assert rec.grad_count[tr.params[0]] == 1


def test_without_zero_grad_gradients_accumulate():
    on, off = tiny(), tiny({"optimizer": "SGD", "lr": 0.0, "zero_grad": False})
    on.set_setting("training", {"optimizer": "SGD", "lr": 0.0})
    a, b = Trainer(on), Trainer(off)
    ra, rb = a.run(3), b.run(3)
    nid = a.params[0]
    assert [r.grad_count[nid] for r in ra] == [1, 1, 1]
    assert [r.grad_count[nid] for r in rb] == [1, 2, 3]  # the ×n counter
    assert rb[2].grad_norms[nid] == pytest.approx(3 * ra[2].grad_norms[nid], rel=1e-6)


def test_each_step_runs_every_op_once():
    doc = example("two_moons")
    tr = Trainer(doc)
    tr.step()
    before = tr.ex.recompute_count
    tr.run(10)
    ops = sum(1 for n in doc.nodes.values() if not n.spec.is_source)
    assert tr.ex.recompute_count - before == 10 * (ops + 2)  # + the two fed leaves


def test_scheduler_sets_the_lr_of_each_step():
    doc = tiny({"optimizer": "SGD", "lr": 0.1, "steps": 5,
                "scheduler": {"type": "StepLR", "step_size": 2, "gamma": 0.5}})
    lrs = [r.lr for r in Trainer(doc).run()]
    assert lrs == [0.1, 0.1, 0.05, 0.05, 0.025]


def test_nan_loss_stops_and_names_the_producing_node():
    doc = tiny({"optimizer": "SGD", "lr": 0.01})
    neg = doc.add_node("neg", "negloss").id  # root = log(-loss): NaN, made by the log node
    doc.connect(doc.node_by_name("loss").id, neg, "input")
    log = doc.add_node("log", "bad").id
    doc.connect(neg, log, "input")
    doc.set_setting("root", log)
    tr = Trainer(doc)
    start = tr.parameters()
    assert tr.run(5) == []
    assert tr.stopped.node_id == log
    assert "loss is nan at step 1" in tr.stopped.message
    assert "returned nan values in its output (node 'bad')" in tr.stopped.message
    assert np.array_equal(tr.parameters()[tr.params[0]], start[tr.params[0]])  # no step


def test_nothing_to_train_is_torchs_empty_list_error():
    doc = tiny()
    doc.set_flag(doc.node_by_name("w").id, "frozen", True)
    with pytest.raises(TrainingError, match="optimizer got an empty parameter list"):
        Trainer(doc)
    doc.set_flag(doc.node_by_name("w").id, "frozen", False)
    doc.set_setting("root", None)  # the only output that requires grad: still the loss
    assert Trainer(doc).root == doc.node_by_name("loss").id
    extra = doc.add_node("neg", "other").id  # two outputs require grad: no root
    doc.connect(doc.node_by_name("w").id, extra, "input")
    with pytest.raises(TrainingError, match=r"No backward root: 2 outputs require grad "
                                            r"\(loss, other\)"):
        Trainer(doc)


def test_set_parameters_resets():
    tr = Trainer(tiny())
    start = tr.parameters()
    tr.run(3)
    assert not np.array_equal(tr.parameters()[tr.params[0]], start[tr.params[0]])
    tr.set_parameters(start)
    assert np.array_equal(tr.parameters()[tr.params[0]], start[tr.params[0]])
    assert tr.step().loss == Trainer(tiny()).step().loss


# -- the examples --------------------------------------------------------------------------
def test_two_moons_mlp_reaches_95_percent_within_500_steps():
    tr = Trainer(example("two_moons"))
    tr.run(500)
    assert tr.stopped is None
    _, loss, acc = tr.evaluate()
    assert acc >= 0.95, acc


def test_linear_regression_recovers_the_line():
    doc = example("linear_regression")
    tr = Trainer(doc)
    tr.run()
    by_name = {doc.nodes[k].name: v for k, v in tr.parameters().items()}
    assert by_name["w"].ravel()[0] == pytest.approx(2.0, abs=0.15)
    assert by_name["b"].ravel()[0] == pytest.approx(0.5, abs=0.15)


def test_fine_tuning_frozen_body_is_bit_identical_after_training():
    doc = example("fine_tuning")
    tr = Trainer(doc)
    frozen = [nid for nid, n in doc.nodes.items() if n.frozen]
    assert frozen and not set(frozen) & set(tr.params)
    before = {nid: tr.ex.leaf(nid).detach().numpy().copy() for nid in frozen}
    head = tr.parameters()
    recs = tr.run()
    assert recs[-1].loss < recs[0].loss
    for nid in frozen:
        assert tr.ex.leaf(nid).detach().numpy().tobytes() == before[nid].tobytes()
        assert tr.ex.leaf(nid).grad is None
    assert any(not np.array_equal(head[k], v) for k, v in tr.parameters().items())


def test_infinite_gradient_stops_and_names_the_grad_fn():
    doc = Document()
    w = doc.add_node("tensor", "w", {"value": [0.0, 1.0]}, requires_grad=True).id
    r = doc.add_node("sqrt", "r").id
    doc.connect(w, r, "input")
    s = doc.add_node("sum", "loss").id
    doc.connect(r, s, "input")
    doc.set_setting("root", s)
    tr = Trainer(doc, {"optimizer": "SGD", "lr": 0.1})
    assert tr.step() is None
    assert tr.stopped.message == "Function 'SqrtBackward0' returned inf values in its 0th " \
                                 "output. (step 1)"
    assert tr.stopped.node_id == r


def test_a_non_scalar_root_is_refused_before_training():
    doc = example("jacobian")
    with pytest.raises(TrainingError, match=r"the loss must be a single number, but out has "
                                            r"shape \(5, 4\): grad can be implicitly created"):
        Trainer(doc)
