"""One row per op (issue 8 item 4): op-specific behaviour lives in the catalog row, never as
``if op == ...`` in the model or the executor."""
from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from engine.document import CATALOG, Document, Executor, catalog
from engine.document.export import to_script

DOC = Path(catalog.__file__).parent
# "ones" is also the backward seed setting's value (ones_like(root)), not the op
NAMES = (set(CATALOG) | {k.rsplit(".", 1)[-1] for k in CATALOG}) - {"ones"}


def _literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)
                  and isinstance(n.value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docstrings]


@pytest.mark.parametrize("module", ["model.py", "execution.py", "adjacency.py", "roots.py"])
def test_no_op_names_outside_the_catalog(module):
    found = [(line, s) for line, s in _literals(DOC / module) if s in NAMES]
    assert found == [], f"op names in {module}: {found}"
    text = (DOC / module).read_text()
    assert ".op ==" not in text and ".op in" not in text and "op ==" not in text


def test_naming_and_dtype_come_from_the_row():
    d = Document()
    assert d.add_node("F.mse_loss").name == "loss1"
    assert d.add_node("tensor").name == "t1"
    assert d.add_node("F.linear").name == "linear1"
    assert CATALOG["tensor"].makes_float({"value": [1, 2], "dtype": None}) is False
    assert CATALOG["arange"].makes_float({"start": 0, "end": 5.0, "step": 1, "dtype": None})
    assert all(hasattr(spec, "formula") for spec in CATALOG.values())


def test_adding_an_op_is_one_row(monkeypatch):
    """A new row (here ``expm1``, built from engine functions) is named, validated, run,
    exported and sized by its row alone."""
    spec = catalog.OpSpec(
        "expm1_test", "Pointwise", "expm1", (catalog.Port("input"),), (), "exp(x) - 1.",
        call=lambda m, i, p: m.exp(i[0]) - 1, code=lambda a, p: f"torch.exp({a[0]}) - 1",
        name_prefix="e", formula="grad * exp(input)")
    monkeypatch.setitem(CATALOG, spec.key, spec)
    d = Document()
    x = d.add_node("ones", "x", {"shape": [2]}, requires_grad=True)
    e = d.add_node("expm1_test")
    assert e.name == "e1"
    d.connect(x.id, e.id, "input")
    res = Executor(d).forward()
    assert res[e.id].ok and res[e.id].requires_grad
    assert "e1 = torch.exp(x) - 1" in to_script(d)


def test_product_ops_refuse_huge_results_from_their_row():
    d = Document()
    a = d.add_node("ones", "a", {"shape": [20000, 1]})
    b = d.add_node("ones", "b", {"shape": [1, 20000]})
    for op in ("matmul", "mm", "add"):
        n = d.add_node(op)
        d.connect(a.id, n.id, "input")
        d.connect(b.id, n.id, {"matmul": "other", "mm": "mat2", "add": "other"}[op])
    lin = d.add_node("F.linear")
    d.connect(a.id, lin.id, "input")
    d.connect(a.id, lin.id, "weight")
    res = Executor(d).forward()
    for n in d.nodes.values():
        if not n.spec.is_source:
            assert "refusing to allocate a result of 400,000,000" in res[n.id].error, n.op
    assert dataclasses.fields(catalog.OpSpec)  # the row is a plain dataclass
