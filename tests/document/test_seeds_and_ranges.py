"""Issue 9: each new random node its own seed; int params range-checked in the model; the
forward pass prints no NumPy warnings."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from engine.document import Document, Executor, ParamError, catalog, fileformat
from engine.document.export import to_script


def test_each_new_random_node_gets_its_own_seed_saved_and_reproducible():
    d = Document()
    w = d.add_node("randn", "w", {"shape": [5, 3]}, requires_grad=True)
    b = d.add_node("randn", "b", {"shape": [3]}, requires_grad=True)
    r = d.add_node("rand", "r")
    k = d.add_node("randint", "k")
    assert [n.params["seed"] for n in (w, b, r, k)] == [0, 1, 2, 3]
    res = Executor(d).forward()
    assert not np.array_equal(res[b.id].value.detach().numpy(),
                              res[w.id].value.detach().numpy()[0])
    explicit = d.add_node("randn", "e", {"seed": 1})  # an explicit seed is kept
    assert explicit.params["seed"] == 1
    assert d.add_node("randn", "g", {"seed": None}).params["seed"] is None  # global generator
    assert "manual_seed(1)" in to_script(d).split("\nb = ")[1].splitlines()[0]
    again = fileformat.loads(fileformat.dumps(d))
    assert [again.nodes[n.id].params["seed"] for n in (w, b, r, k)] == [0, 1, 2, 3]
    assert again.add_node("randn").params["seed"] == 4  # next unused, after the file's


def test_a_freed_seed_is_offered_again():
    d = Document()
    a = d.add_node("randn")
    d.add_node("randn")
    d.remove_node(a.id)
    assert d.add_node("randn").params["seed"] == 0
    d.set_param(d.add_node("rand").id, "seed", 7)
    assert d.add_node("randn").params["seed"] == 2  # 0, 1 taken; 7 as well


@pytest.mark.parametrize("op, name, value, text", [
    ("transpose", "dim0", -2**63, "transpose.dim0: -9223372036854775808 is out of range: "
                                   "expected an int in [-2147483648, 2147483647]"),
    ("randn", "seed", 2**40, "randn.seed: 1099511627776 is out of range: expected an int "
                             "in [0, 2147483647]"),
    ("sum", "dim", [0, 2**31], "out of range: expected ints in [-2147483648, 2147483647]"),
    ("reshape", "shape", [2**31, 1], "sizes must be <= 2147483647"),
])
def test_int_params_are_range_checked_with_the_valid_range(op, name, value, text):
    d = Document()
    n = d.add_node(op)
    before = d.to_dict()
    with pytest.raises(ParamError) as e:
        d.set_param(n.id, name, value)
    assert text in str(e.value)
    assert d.to_dict() == before
    lo, hi = catalog.INT_MIN, catalog.INT_MAX
    assert (lo, hi) == (-2**31, 2**31 - 1)


def test_a_file_with_a_huge_int_is_refused_at_its_json_path():
    d = Document()
    d.add_node("transpose", "t1")
    data = fileformat.to_data(d)
    data["document"]["nodes"][0]["params"]["dim0"] = -2**63
    with pytest.raises(fileformat.FileFormatError) as e:
        fileformat.loads(json.dumps(data))
    assert e.value.path == "document.nodes[0].params.dim0"
    assert "expected an int in [-2147483648, 2147483647]" in e.value.message


def test_forward_and_backward_print_no_numpy_warnings():
    d = Document()
    x = d.add_node("tensor", "x", {"value": [float("inf"), 0.0, float("nan")]},
                   requires_grad=True)
    m = d.add_node("mul", "m", {"scalar": 0.0})
    lg = d.add_node("log", "lg")
    s = d.add_node("sum", "s")
    d.connect(x.id, m.id, "input")
    d.connect(m.id, lg.id, "input")
    d.connect(lg.id, s.id, "input")
    ex = Executor(d)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning fails the test
        res = ex.forward()
        assert ex.backward(s.id) is None
    assert np.isnan(res[m.id].value.detach().numpy()[0])
