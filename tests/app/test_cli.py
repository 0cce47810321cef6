"""The headless CLI: run / export / check, exit codes, one-line errors, no Qt imported."""
from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from app import cli
from app.__main__ import main
from engine.document import fileformat
from engine.document.execution import Executor
from engine.document.model import Document

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "resources" / "examples"
TUTORIAL = str(EXAMPLES / "tutorial.json")
BAD = ROOT / "tests" / "document" / "bad_files"


def call(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("gradcanvas: error: ")
    return err


@pytest.fixture
def broken(tmp_path):
    """A graph whose matmul fails (torch's shape message) and a node it blocks."""
    d = Document()
    a = d.add_node("ones", "a", {"shape": [2, 3]})
    b = d.add_node("ones", "b", {"shape": [2, 3]}, requires_grad=True)
    m = d.add_node("matmul", "m")
    d.connect(a.id, m.id, "input")
    d.connect(b.id, m.id, "other")
    s = d.add_node("sum", "s")
    d.connect(m.id, s.id, "input")
    path = tmp_path / "broken.json"
    fileformat.save(d, path)
    return str(path)


# -- run ---------------------------------------------------------------------------------------
def test_run_prints_values_grad_fns_and_requires_grad(capsys):
    code, out, err = call(capsys, "run", TUTORIAL)
    assert code == 0 and err == ""
    assert "x = tensor([1., 1., 1., 1., 1.])\n    requires_grad=False is_leaf=True " \
        "grad_fn=None\n" in out
    assert "grad_fn=<AddBackward0>)\n    requires_grad=True is_leaf=False " \
        "grad_fn=<AddBackward0>\n" in out
    assert "loss = tensor(" in out and ".grad" not in out


def test_run_backward_prints_leaf_grads_as_torch_does(capsys):
    code, out, _ = call(capsys, "run", TUTORIAL, "--backward", "loss")
    assert code == 0
    doc = fileformat.load(TUTORIAL)
    ex = Executor(doc)
    ex.forward()
    assert ex.backward(doc.node_by_name("loss").id) is None
    w = ex.results[doc.node_by_name("w").id].grad
    assert "\nloss.backward()\n" in out
    assert "w.grad = " + repr(w).replace("\n", "\n" + " " * 9) + "\n" in out
    assert "b.grad = tensor(" in out and "\nx.grad = None\n" in out and "z.grad" not in out
    # without NODE: the document's root
    assert call(capsys, "run", TUTORIAL, "--backward")[1] == out


def test_run_json_schema(capsys):
    code, out, _ = call(capsys, "run", TUTORIAL, "--backward", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["format"] == "gradcanvas-run" and data["version"] == 1
    assert data["ok"] is True and data["file"] == TUTORIAL
    assert data["backward"] == {"root": "n7", "root_name": "loss", "error": None}
    nodes = {n["name"]: n for n in data["nodes"]}
    assert list(nodes) == ["x", "y", "w", "b", "xw", "z", "loss"]
    keys = {"id", "name", "op", "value", "repr", "shape", "dtype", "requires_grad", "is_leaf",
            "grad_fn", "grad", "grad_repr", "error", "blocked_by"}
    assert all(set(n) == keys for n in data["nodes"])
    assert nodes["z"]["grad_fn"] == "AddBackward0" and nodes["z"]["shape"] == [3]
    assert nodes["z"]["dtype"] == "torch.float32"
    assert nodes["x"]["value"] == [1.0] * 5 and nodes["x"]["grad"] is None
    w = np.array(nodes["w"]["grad"], dtype=np.float32)
    assert w.shape == (5, 3) and np.all(w == w[0])
    assert nodes["loss"]["repr"].startswith("tensor(") and nodes["loss"]["is_leaf"] is False


def test_run_json_spells_non_finite_values_as_strings(tmp_path, capsys):
    d = Document()
    d.add_node("tensor", "t", {"value": [float("nan"), float("inf"), -float("inf"), 1.0]})
    fileformat.save(d, tmp_path / "nan.json")
    code, out, _ = call(capsys, "run", str(tmp_path / "nan.json"), "--json")
    assert code == 0
    assert json.loads(out)["nodes"][0]["value"] == ["nan", "inf", "-inf", 1.0]
    assert "NaN" not in out and "Infinity" not in out  # strict JSON


def test_graph_error_exits_1_with_torchs_message(broken, capsys):
    code, out, err = call(capsys, "run", broken)
    assert code == 1
    assert one_line_error(err) == ("gradcanvas: error: m: mat1 and mat2 shapes cannot be "
                                   "multiplied (2x3 and 2x3)\n")
    assert "m: error: m: mat1 and mat2" in out and "s: blocked by 'm'" in out
    data = json.loads(call(capsys, "run", broken, "--json")[1])
    nodes = {n["name"]: n for n in data["nodes"]}
    assert data["ok"] is False and nodes["s"]["blocked_by"] == nodes["m"]["id"]
    assert call(capsys, "check", broken)[0] == 1


def test_backward_error_exits_1(tmp_path, capsys):
    d = Document()
    d.add_node("ones", "x", {"shape": [2]})
    fileformat.save(d, tmp_path / "g.json")
    code, out, err = call(capsys, "run", str(tmp_path / "g.json"), "--backward", "x")
    assert code == 1
    assert one_line_error(err) == ("gradcanvas: error: backward from 'x': element 0 of tensors "
                                   "does not require grad and does not have a grad_fn\n")


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_every_example_runs_checks_and_exports(name, capsys):
    path = str(EXAMPLES / name)
    code, out, err = call(capsys, "run", path, "--backward")
    if name == "inplace_error.json":  # the point of it: torch's in-place error, exit 1
        assert code == 1 and "is at version 1; expected version 0 instead" in err
    else:
        assert code == 0 and err == "" and ".grad = tensor(" in out
    assert call(capsys, "check", path)[0] == 0
    for to in ("torch", "engine", "dot"):
        assert call(capsys, "export", path, "--to", to)[0] == 0


def test_unknown_backward_node_is_a_usage_error(capsys):
    code, _, err = call(capsys, "run", TUTORIAL, "--backward", "nope")
    assert code == 2
    assert one_line_error(err) == "gradcanvas: error: no node named 'nope' in the document\n"


def test_backward_without_root(tmp_path, capsys):
    d = Document()
    d.add_node("ones", "x", {"shape": [2]})
    fileformat.save(d, tmp_path / "g.json")
    code, _, err = call(capsys, "run", str(tmp_path / "g.json"), "--backward")
    assert code == 2 and "no backward root" in one_line_error(err)


# -- export ------------------------------------------------------------------------------------
def test_export_torch_engine_and_dot(tmp_path, capsys):
    code, out, _ = call(capsys, "export", TUTORIAL)
    assert code == 0 and "\nimport torch\n" in out and "loss.backward()" in out
    code, out, _ = call(capsys, "export", TUTORIAL, "--to", "engine", "--literal-values")
    assert code == 0 and "import engine as torch" in out and "dtype=torch.float32" in out
    code, out, _ = call(capsys, "export", TUTORIAL, "--to", "dot")
    assert code == 0 and out.startswith("digraph forward {")
    code, out, _ = call(capsys, "export", TUTORIAL, "--to", "dot", "--backward-graph")
    assert code == 0 and "BinaryCrossEntropyWithLogitsBackward0" in out
    target = tmp_path / "out.py"
    code, out, _ = call(capsys, "export", TUTORIAL, "--to", "engine", "-o", str(target))
    assert code == 0 and out == ""
    ns: dict = {}
    exec(compile(target.read_text(), str(target), "exec"), ns)
    capsys.readouterr()
    assert ns["z"].grad_fn.name() == "AddBackward0"


def test_export_usage_errors(tmp_path, capsys):
    code, _, err = call(capsys, "export", TUTORIAL, "--backward-graph")
    assert code == 2 and "--backward-graph only applies to --to dot" in one_line_error(err)
    code, _, err = call(capsys, "export", TUTORIAL, "--to", "pdf")
    assert code == 2 and "invalid choice" in one_line_error(err)
    code, _, err = call(capsys, "export", TUTORIAL, "-o", str(tmp_path / "no" / "dir.py"))
    assert code == 2 and "cannot write" in one_line_error(err)


def test_export_of_an_unconnected_input_exits_1(tmp_path, capsys):
    d = Document()
    x = d.add_node("ones", "x", {"shape": [2]})
    m = d.add_node("mul", "m")
    d.connect(x.id, m.id, "other")  # "input" stays unconnected
    fileformat.save(d, tmp_path / "g.json")
    code, _, err = call(capsys, "export", str(tmp_path / "g.json"))
    assert code == 1 and "input 'input' of mul is not connected" in one_line_error(err)


# -- check, files ------------------------------------------------------------------------------
def test_check_ok(capsys):
    code, out, err = call(capsys, "check", TUTORIAL)
    assert code == 0 and err == ""
    assert out == f"{TUTORIAL}: ok (7 nodes, 6 wires, 0 regions)\n"


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.iterdir()))
@pytest.mark.parametrize("command", ["check", "run", "export"])
def test_bad_files_exit_2_with_one_line(name, command, capsys):
    code, out, err = call(capsys, command, str(BAD / name))
    assert code == 2 and out == ""
    one_line_error(err)
    assert str(BAD / name) in err
    assert "EXECUTED" not in err


def test_file_error_names_the_json_path(capsys):
    _, _, err = call(capsys, "check", str(BAD / "shape_wrong_type.json"))
    assert f"{BAD / 'shape_wrong_type.json'}: document.nodes[2].params.shape: " in err


def test_huge_file_exits_2(tmp_path, capsys):
    big = tmp_path / "huge.json"
    with open(big, "wb") as f:
        f.truncate(fileformat.MAX_FILE_BYTES + 1)  # sparse
    code, _, err = call(capsys, "run", str(big))
    assert code == 2 and "file too large" in one_line_error(err)


def test_missing_file(tmp_path, capsys):
    code, _, err = call(capsys, "run", str(tmp_path / "nope.json"))
    assert code == 2 and "cannot read" in one_line_error(err)


# -- usage, GUI launch --------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [["run"], ["run", TUTORIAL, "--bogus"], ["frobnicate"],
                                  ["--bogus"], ["export", TUTORIAL, "--to"]])
def test_usage_errors_exit_2_with_one_line(argv, capsys):
    code, out, err = call(capsys, *argv)
    assert code == 2 and out == ""
    one_line_error(err)


def test_help_and_version(capsys):
    code, out, _ = call(capsys, "--help")
    assert code == 0 and "run" in out and "export" in out and "check" in out
    code, out, _ = call(capsys, "--version")
    assert code == 0 and out == "gradcanvas 0.1.0\n"


def test_no_subcommand_or_a_file_launches_the_gui(monkeypatch):
    calls = []
    fake = types.ModuleType("app.main_window")
    fake.run_gui = lambda argv=None: calls.append(argv) or 0
    monkeypatch.setitem(sys.modules, "app.main_window", fake)
    assert main([]) == 0
    assert main([TUTORIAL]) == 0
    assert calls == [[], [TUTORIAL]]


def test_missing_gui_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "app.main_window", None)  # import raises ImportError
    code, _, err = call(capsys)
    assert code == 2 and "the GUI is not available" in one_line_error(err)


def test_subcommands_import_no_qt(tmp_path):
    script = (
        "import sys\n"
        "from app.__main__ import main\n"
        f"codes = [main(['check', {TUTORIAL!r}]), main(['run', {TUTORIAL!r}, '--backward',"
        " '--json']),\n"
        f"         main(['export', {TUTORIAL!r}, '--to', 'dot', '--backward-graph'])]\n"
        "assert codes == [0, 0, 0], codes\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide', 'PyQt', 'shiboken',"
        " 'pyqtgraph')))\n"
        "assert not qt, qt\n")
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_python_dash_m_app(tmp_path):
    r = subprocess.run([sys.executable, "-m", "app", "check", TUTORIAL], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.endswith("ok (7 nodes, 6 wires, 0 regions)\n")
    r = subprocess.run([sys.executable, "-m", "app", "check", str(BAD / "cycle.json")],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "cycle" in r.stderr


def test_json_output_constants():
    assert cli.JSON_FORMAT == "gradcanvas-run" and cli.JSON_VERSION == 1
