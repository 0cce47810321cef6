"""QA of the headless CLI as a user drives it: the ``--json`` output against the schema that
docs/cli.md documents, exported scripts printing exactly what ``gradcanvas run`` prints,
the backward call shown as it is made, and errors that name the node."""
from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from app import cli
from app.__main__ import main
from engine.document import Document, export, fileformat
from engine.document.execution import Executor

from .test_export import documents as random_documents

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "resources" / "examples"
NAMES = sorted(p.stem for p in EXAMPLES.glob("*.json"))


def call(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def documented_schema() -> dict:
    """The ``--json`` example of docs/cli.md, its ``//`` comments stripped."""
    text = (ROOT / "docs" / "cli.md").read_text()
    block = re.search(r"```json\n(.*?)```", text, re.S).group(1)
    comments = {}
    lines = []
    for line in block.splitlines():
        code, _, comment = line.partition("//")
        key = re.search(r'"(\w+)":', code)
        if key and comment:
            comments[key.group(1)] = comment
        lines.append(code)
    data = json.loads("\n".join(lines))
    return {"data": data, "comments": comments}


def _allowed(example, comment: str) -> set:
    """JSON types a field may hold: the documented example's, null where the doc says so,
    numbers and booleans for tensor values."""
    types = {type(example)}
    if "null" in comment or example is None:
        types.add(type(None))
    if isinstance(example, list) or example is None:  # tensor data: nested lists / a number
        types |= {list, float, int, bool, str}
    if example is None:
        types |= {str, dict}
    return types


def check_against_doc(data: dict) -> None:
    doc = documented_schema()
    want, comments = doc["data"], doc["comments"]
    assert list(data) == list(want)
    assert data["format"] == want["format"] and data["version"] == want["version"]
    for key in ("file", "ok"):
        assert type(data[key]) is type(want[key]), key
    node_keys = list(want["nodes"][0])
    for node in data["nodes"]:
        assert list(node) == node_keys
        for k in node_keys:
            assert type(node[k]) in _allowed(want["nodes"][0][k], comments.get(k, "")), (k, node)
        if node["error"] is not None or node["blocked_by"] is not None:
            assert node["value"] is None and node["shape"] is None and node["dtype"] is None
            assert node["repr"] is None and node["grad"] is None and node["grad_repr"] is None
            assert node["requires_grad"] is False and node["is_leaf"] is False
        else:
            assert isinstance(node["repr"], str) and node["repr"].startswith("tensor(")
            assert np.shape(node["value"]) == tuple(node["shape"])
    if data["backward"] is not None:
        assert list(data["backward"]) == list(want["backward"])
        assert isinstance(data["backward"]["root"], str)
        assert data["backward"]["error"] is None or isinstance(data["backward"]["error"], str)
    json.dumps(data, allow_nan=False)


@pytest.mark.parametrize("name", NAMES)
def test_run_json_matches_the_documented_schema(name, capsys):
    path = EXAMPLES / f"{name}.json"
    for argv in (["run", path, "--json"], ["run", path, "--json", "--backward"]):
        code, out, err = call(capsys, *argv)
        fails = name == "inplace_error" and "--backward" in argv  # torch's in-place error
        assert code == (1 if fails else 0) and (err == "") is not fails
        data = json.loads(out)
        check_against_doc(data)
        assert (data["backward"] is None) == ("--backward" not in argv)
        assert data["ok"] is not fails
        if fails:
            assert "is at version 1; expected version 0 instead" in data["backward"]["error"]


def test_run_json_schema_with_errors_odd_dtypes_and_0d(tmp_path, capsys):
    d = Document()
    a = d.add_node("ones", "a", {"shape": [2, 3]})
    b = d.add_node("ones", "b", {"shape": [2, 3]}, requires_grad=True)
    m = d.add_node("matmul", "m")
    d.connect(a.id, m.id, "input")
    d.connect(b.id, m.id, "other")
    s = d.add_node("sum", "s")
    d.connect(m.id, s.id, "input")
    d.add_node("tensor", "mask", {"value": [True, False], "dtype": "bool"})
    d.add_node("tensor", "idx", {"value": [[1, 2]], "dtype": "int64"})
    d.add_node("randn", "scalar", {"shape": []})
    d.add_node("tensor", "nan", {"value": [float("nan")]})
    fileformat.save(d, tmp_path / "g.json")
    code, out, err = call(capsys, "run", tmp_path / "g.json", "--json", "--backward", "b")
    assert code == 1 and err.count("\n") == 1
    data = json.loads(out)
    check_against_doc(data)
    nodes = {n["name"]: n for n in data["nodes"]}
    assert data["ok"] is False
    assert nodes["s"]["blocked_by"] == m.id and nodes["m"]["error"].startswith("m: mat1")
    assert nodes["mask"]["value"] == [True, False] and nodes["mask"]["dtype"] == "torch.bool"
    assert nodes["idx"]["value"] == [[1, 2]] and nodes["idx"]["dtype"] == "torch.int64"
    assert isinstance(nodes["scalar"]["value"], float) and nodes["scalar"]["shape"] == []
    assert nodes["nan"]["value"] == ["nan"]
    assert data["backward"]["root_name"] == "b" and "does not have a grad_fn" not in str(
        data["backward"]["error"])


def exec_output(script: str) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(script, "<export>", "exec"), {"__name__": "__export__"})
    return buf.getvalue()


@pytest.mark.parametrize("name", NAMES)
def test_exported_scripts_print_what_run_prints(name, capsys, torch):
    """`diff <(gradcanvas run g --backward) <(python3 out.py)` is empty: the engine script,
    and torch's on the app's literal values (same numbers to the printed digits)."""
    path = EXAMPLES / f"{name}.json"
    code, run_out, _ = call(capsys, "run", path, "--backward")
    fails = name == "inplace_error"  # backward raises torch's in-place error in both
    assert code == (1 if fails else 0)
    for module, literal in (("engine", False), ("engine", True), ("torch", True)):
        code, script, _ = call(capsys, "export", path, "--to", module,
                               *(["--literal-values"] if literal else []))
        assert code == 0
        if not fails:
            assert exec_output(script) == run_out, (module, literal)
            continue
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), pytest.raises(RuntimeError) as info:
            exec(compile(script, "<export>", "exec"), {"__name__": "__export__"})
        assert buf.getvalue() + f"error: {info.value}\n" == run_out, (module, literal)


def test_run_shows_the_backward_call_it_makes(capsys):
    code, out, _ = call(capsys, "run", EXAMPLES / "jacobian.json", "--backward")
    assert code == 0
    assert "\nout.backward(torch.ones_like(out), retain_graph=True)\ninp.grad = " in out
    code, out, _ = call(capsys, "run", EXAMPLES / "tutorial.json", "--backward", "z")
    assert "\nz.backward(torch.ones_like(z))\n" in out


def test_literal_seed_and_odd_names_print_the_same(tmp_path, capsys, torch):
    """A non-scalar root with a literal seed; nodes named like the script's helpers and the
    builtins they call."""
    d = Document()
    a = d.add_node("randn", "len", {"shape": [2, 2], "seed": 3}, requires_grad=True)
    b = d.add_node("exp", "show")
    d.connect(a.id, b.id, "input")
    c = d.add_node("mul", "print", retain_grad=True)
    d.connect(b.id, c.id, "input")
    d.connect(a.id, c.id, "other")
    e = d.add_node("tanh", "show_grad")
    d.connect(c.id, e.id, "input")
    d.set_setting("root", e.id)
    d.set_setting("seed", [[1.0, -2.0], [0.5, 0.0]])
    fileformat.save(d, tmp_path / "g.json")
    code, run_out, _ = call(capsys, "run", tmp_path / "g.json", "--backward")
    assert code == 0 and "print.grad = tensor(" in run_out
    assert "show_grad.backward(torch.tensor([[1.0, -2.0], [0.5, 0.0]], " \
        "dtype=show_grad.dtype))" in run_out
    for module in ("engine", "torch"):
        script = export.to_script(d, module, literal_values=True)
        assert exec_output(script) == run_out, module


def test_file_errors_name_the_node(capsys):
    bad = ROOT / "tests" / "document" / "bad_files"
    _, _, err = call(capsys, "check", bad / "shape_wrong_type.json")
    assert ": document.nodes[2].params.shape: node 'w': randn.shape: expected a shape" in err
    _, _, err = call(capsys, "check", bad / "bad_port.json")
    assert ": document.wires[0]: wire into 'xw': matmul has no input 'weight'" in err
    _, _, err = call(capsys, "check", bad / "cycle.json")  # names its nodes already
    assert "wire into" not in err and "wiring loss -> xw would create a cycle" in err
    _, _, err = call(capsys, "check", bad / "bad_name.json")  # the name is the problem
    assert "node '" not in err


def test_an_op_that_returns_its_input_keeps_the_grad(torch):
    """torch.flatten(x, 1) of a 2-d x *is* x (a leaf): its .grad is x's, as in torch."""
    d = Document()
    x = d.add_node("randn", "x", {"shape": [3, 4]}, requires_grad=True)
    y = d.add_node("flatten", "y", {"start_dim": 1})
    d.connect(x.id, y.id, "input")
    s = d.add_node("sum", "s")
    d.connect(y.id, s.id, "input")
    d.set_setting("root", s.id)
    results = {}
    for lib in ("engine", torch):
        ex = Executor(d) if lib == "engine" else Executor(
            d, torch, leaf_values={x.id: results["engine"].leaf(x.id).detach().numpy()})
        ex.forward()
        assert ex.results[y.id].is_leaf and ex.results[y.id].requires_grad
        assert ex.backward() is None
        assert ex.results[y.id].grad is not None
        np.testing.assert_array_equal(ex.results[y.id].grad.numpy(), np.ones((3, 4)))
        results["engine" if lib == "engine" else "torch"] = ex
    dot = export.to_dot(d, backward=True)
    assert 'label="x\\n (3, 4)", fillcolor=lightblue' in dot


def test_unreadable_paths_are_named_once(tmp_path, capsys):
    code, _, err = call(capsys, "run", tmp_path)
    assert code == 2
    assert err == f"gradcanvas: error: cannot read {tmp_path}: Is a directory\n"
    code, _, err = call(capsys, "check", tmp_path / "nope.json")
    assert code == 2 and err.count(str(tmp_path / "nope.json")) == 1


@pytest.mark.parametrize("argv,code", [
    (["run", EXAMPLES / "tutorial.json", "--backward", "nope"], 2),  # usage
    (["export", EXAMPLES / "tutorial.json", "--to", "gif"], 2),
    (["run", ROOT / "tests" / "document" / "bad_files" / "future_version.json"], 2),  # file
    (["export", ROOT / "tests" / "document" / "bad_files" / "truncated.json"], 2),
    (["run", EXAMPLES / "tutorial.json", "--backward", "x"], 1),  # backward: graph error
])
def test_exit_codes_and_one_line_errors(argv, code, capsys):
    got, out, err = call(capsys, *argv)
    assert got == code and err.startswith("gradcanvas: error: ") and err.count("\n") == 1


def test_options_that_do_not_apply_are_refused(capsys):
    code, out, err = call(capsys, "export", EXAMPLES / "tutorial.json", "--to", "dot",
                          "--literal-values")
    assert code == 2 and out == ""
    assert err == ("gradcanvas: error: --literal-values only applies to --to torch or "
                   "--to engine\n")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=random_documents())
def test_random_engine_exports_print_what_run_prints(doc):
    """Regions, frozen outputs, retain_grad, scalar seeds: the engine script's output is
    `gradcanvas run --backward`'s text, character for character."""
    ex = Executor(doc)
    ex.forward()
    script = export.to_script(doc, module="engine", results=ex.results)
    err = ex.backward()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        cli.print_run(doc, ex.results, doc.settings.root, err)
    if err is not None:  # the script raises torch's error where run prints it
        with pytest.raises(RuntimeError, match=re.escape(err)):
            exec_output(script)
        return
    assert exec_output(script) == buf.getvalue()


def test_backward_node_is_looked_up_by_name_before_id(tmp_path, capsys):
    d = Document()
    a = d.add_node("ones", "n2", {"shape": [2]}, requires_grad=True)  # named like an id
    b = d.add_node("exp", "e")
    assert b.id == "n2" and a.id != "n2"
    d.connect(a.id, b.id, "input")
    fileformat.save(d, tmp_path / "g.json")
    code, out, _ = call(capsys, "run", tmp_path / "g.json", "--json", "--backward", "n2")
    assert json.loads(out)["backward"]["root"] == a.id
    code, out, _ = call(capsys, "run", tmp_path / "g.json", "--json", "--backward", "e")
    assert json.loads(out)["backward"]["root"] == b.id


def test_warnings_are_one_line_and_numpy_notes_are_silent(tmp_path, capsys):
    d = Document()
    a = d.add_node("tensor", "a", {"value": [-1.0, float("inf"), 1.0]}, requires_grad=True)
    v = d.add_node("var", "v", {"dim": [0], "correction": 5})  # torch warns: dof <= 0
    d.connect(a.id, v.id, "input")
    m = d.add_node("mul", "m", {"scalar": 0})  # inf * 0: numpy would note it, torch doesn't
    d.connect(a.id, m.id, "input")
    fileformat.save(d, tmp_path / "g.json")
    code, _, err = call(capsys, "run", tmp_path / "g.json")
    assert code == 0
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "gradcanvas: warning: var(): degrees of freedom is <= 0.")


def test_check_counts_read_as_english(capsys):
    code, out, _ = call(capsys, "check", EXAMPLES / "no_grad_detach.json")
    assert code == 0 and out.endswith(": ok (10 nodes, 11 wires, 1 region)\n")


def test_engine_export_prints_in_runs_order_when_a_region_groups_the_code():
    """The code writes a no_grad region's members together; its prints still follow `run`'s
    topological order (hypothesis found u1 printed before u0)."""
    d = Document()
    s0 = d.add_node("randn", "s0", {"shape": []}, requires_grad=True)
    u0 = d.add_node("exp", "u0")
    u1 = d.add_node("exp", "u1")
    out = d.add_node("sum", "out")
    for n in (u0, u1):
        d.connect(s0.id, n.id, "input")
    d.connect(u0.id, out.id, "input")
    d.add_region("r", members=[s0.id, u1.id])
    d.settings.root = out.id
    ex = Executor(d)
    ex.forward()
    script = export.to_script(d, module="engine", results=ex.results)
    err = ex.backward()
    assert err is None
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        cli.print_run(d, ex.results, d.settings.root, err)
    assert script.index("u1 = ") < script.index("u0 = ")  # the case: region code first
    assert exec_output(script) == buf.getvalue()
