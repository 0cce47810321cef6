"""The formula on every edge (issue 14): every differentiable row has its vector-Jacobian
product, every grad_fn a recorded backward runs finds one, and a step reads as the chain rule
with numbers (sum_to for broadcasting, the sum where paths meet, accumulation across calls)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.document import Document, Executor, fileformat
from engine.document.catalog import CATALOG
from engine.document.stepthrough import StepThrough, record_backward
from engine.document.vjp import describe, formula_for, formula_lines, sum_to_note

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"


def test_every_differentiable_op_has_a_formula():
    missing = [k for k, s in CATALOG.items()
               if s.differentiable and not s.is_source and not formula_lines(s)]
    assert missing == []


def test_formulas_are_keyed_by_grad_fn_name():
    assert formula_for("MulBackward0", CATALOG["mul"]) == "grad_self = grad * other; " \
                                                          "grad_other = grad * self"
    assert formula_for("MmBackward0", CATALOG["mm"]).startswith("grad_self = grad @ mat2.T")
    assert formula_for("PowBackward0", CATALOG["pow"]) == \
        "grad_self = grad * exponent * self^(exponent-1)"
    assert "grad_exponent" in formula_for("PowBackward1", CATALOG["pow"])
    assert formula_for("AccumulateGrad") == "grad_leaf = grad_leaf + grad"
    assert formula_for("NoSuchBackward0") is None


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.json")))
def test_every_step_of_every_example_has_a_formula(name):
    doc = fileformat.load(EXAMPLES / f"{name}.json")
    ex = Executor(doc)
    ex.forward()
    rec = record_backward(ex)
    # inplace_error's backward stops at torch's in-place error (after the steps before it)
    assert (rec.error is None) == (name != "inplace_error") and rec.steps
    for st in rec.steps:
        spec = doc.nodes[st.node_id].spec if st.node_id in doc.nodes else None
        assert formula_for(st.name, spec), (name, st.name)


def broadcast_doc():
    """y = (x * w).sum() with x [2, 3] and w [3]: w is broadcast, its grad is summed back."""
    d = Document()
    x = d.add_node("tensor", "x", {"value": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]})
    w = d.add_node("tensor", "w", {"value": [0.5, -1.0, 2.0]}, requires_grad=True)
    m = d.add_node("mul", "m")
    s = d.add_node("sum", "s")
    d.connect(x.id, m.id, "input")
    d.connect(w.id, m.id, "other")
    d.connect(m.id, s.id, "input")
    d.set_setting("root", s.id)
    return d


def test_mul_step_shows_formula_numbers_and_sum_to():
    d = broadcast_doc()
    ex = Executor(d)
    ex.forward()
    player = StepThrough(record_backward(ex))
    names = [s.name for s in player.steps]
    assert names == ["SumBackward0", "MulBackward0", "AccumulateGrad"]
    i = names.index("MulBackward0")
    math = describe(player.steps[i], ex, player.state_at(i - 1))
    assert math.formula == "grad_self = grad * other; grad_other = grad * self"
    assert [o.name for o in math.operands] == ["self", "other"]
    np.testing.assert_array_equal(math.operands[1].value, [0.5, -1.0, 2.0])
    # only w requires grad: one edge, grad_other, summed back to w's shape
    (label, dst, g, note), = math.outputs
    assert (label, dst, note) == ("grad_other", "w", "sum_to([3])")
    np.testing.assert_array_equal(g, [5.0, 7.0, 9.0])  # grad * self, summed over rows
    text = math.text
    assert "MulBackward0: grad_self = grad * other" in text
    assert "→ grad_other = sum_to([3])(grad) = [5, 7, 9] → w" in text
    assert "grad = [1, 1, 1, 1, 1, 1] (shape [2, 3])" in text


def test_paths_meet_sum_and_accumulate_grad_across_calls():
    """y = a * a + a: two wires from a meet; across two calls the .grad accumulates."""
    d = Document()
    a = d.add_node("tensor", "a", {"value": [1.0, 2.0]}, requires_grad=True)
    sq = d.add_node("mul", "sq")
    y = d.add_node("add", "y")
    s = d.add_node("sum", "s")
    d.connect(a.id, sq.id, "input")
    d.connect(a.id, sq.id, "other")
    d.connect(sq.id, y.id, "input")
    d.connect(a.id, y.id, "other")
    d.connect(y.id, s.id, "input")
    d.set_setting("root", s.id)
    d.set_setting("retain_graph", True)
    ex = Executor(d)
    ex.forward()
    assert ex.backward() is None  # the first call: a.grad = 2a + 1 = [3, 5]
    player = StepThrough(record_backward(ex))
    i = [st.name for st in player.steps].index("AccumulateGrad")
    math = describe(player.steps[i], ex, player.state_at(i - 1))
    # three gradients meet in a's AccumulateGrad: a (from sq, twice) and from y
    assert len(math.incoming) == 3
    assert sorted(src for src, _ in math.incoming) == ["sq", "sq", "y"]
    np.testing.assert_array_equal(math.grad, [3.0, 5.0])
    leaf, old, new = math.accumulated
    np.testing.assert_array_equal(old, [3.0, 5.0])
    np.testing.assert_array_equal(new, [6.0, 10.0])
    assert "a.grad = [3, 5] + [3, 5] = [6, 10]" in math.text
    assert " from sq + " in math.text


def test_sum_to_only_for_broadcasting():
    assert sum_to_note((2, 3), (3,)) == "sum_to([3])"
    assert sum_to_note((2, 3), (2, 1)) == "sum_to([2, 1])"
    assert sum_to_note((1, 3), (3,)) is None  # a view: same elements
    assert sum_to_note((), (3,)) is None  # a reduction's backward expands
    assert sum_to_note((2, 4), (2, 3)) is None  # mm: shapes that do not broadcast
