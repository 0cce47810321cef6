"""One rule for the backward root (issue 9 item 1), Qt-free."""
from __future__ import annotations

from engine.document import Executor
from engine.document.roots import RootChoice, can_be_root, resolve_root
from tests.document.test_model import tutorial


def test_the_single_sink_is_the_root_when_nothing_is_selected_or_set():
    d, ids = tutorial()
    d.set_setting("root", None)
    assert resolve_root(d, [], None) == RootChoice(
        ids["loss"], "loss, the only output that requires grad")
    res = Executor(d).forward()
    assert resolve_root(d, [], res).node_id == ids["loss"]


def test_selection_wins_even_without_grad_so_backward_gives_torchs_error():
    d, ids = tutorial()
    d.set_setting("grad_enabled", False)
    ex = Executor(d)
    res = ex.forward()
    assert not can_be_root(d, ids["loss"], res)
    choice = resolve_root(d, [ids["loss"]], res)
    assert choice.node_id == ids["loss"] and "selected" in choice.reason
    assert ex.backward(choice.node_id) == (
        "element 0 of tensors does not require grad and does not have a grad_fn")


def test_a_selected_leaf_or_several_nodes_fall_back_to_the_set_root():
    d, ids = tutorial()
    res = Executor(d).forward()
    d.set_setting("root", ids["z"])
    assert resolve_root(d, [ids["w"]], res).node_id == ids["z"]
    assert resolve_root(d, [ids["z"], ids["loss"]], res).node_id == ids["z"]
    assert resolve_root(d, [ids["xw"]], res).node_id == ids["xw"]


def test_no_root_says_why():
    d, ids = tutorial()
    d.set_setting("root", None)
    extra = d.add_node("neg")
    d.connect(ids["z"], extra.id, "input")
    two = resolve_root(d, [], None)
    assert two.node_id is None and "2 outputs require grad (loss, neg1)" in two.reason
    d.set_flag(ids["w"], "requires_grad", False)
    d.set_flag(ids["b"], "requires_grad", False)
    none = resolve_root(d, [], Executor(d).forward())
    assert none.node_id is None and "no output requires grad" in none.reason
    d.clear()
    assert "no operation yet" in resolve_root(d, [], {}).reason


def test_can_be_root_needs_an_op_node_that_ran_ok_and_requires_grad():
    d, ids = tutorial()
    res = Executor(d).forward()
    assert can_be_root(d, ids["loss"], res) and can_be_root(d, ids["z"], None)
    assert not can_be_root(d, ids["w"], res)  # leaves are inputs, not roots
    assert not can_be_root(d, "n99", res)
    d.set_param(ids["w"], "shape", [4, 3])  # matmul fails: no result to start from
    res = Executor(d).forward()
    assert not res[ids["xw"]].ok and not can_be_root(d, ids["loss"], res)
