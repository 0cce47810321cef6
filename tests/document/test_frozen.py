"""Frozen as PyTorch means it (issue 9 item 2): a parameter whose tracking the user switched
off (``w.requires_grad_(False)``), not any leaf without requires_grad."""
from __future__ import annotations

import json

import pytest

from engine.document import Document, Executor, ParamError, fileformat
from engine.document.export import to_script
from tests.document.test_model import record, tutorial


def test_a_fresh_randn_is_just_a_tensor_not_frozen():
    d = Document()
    x = d.add_node("randn")
    assert not d.is_frozen(x.id)
    d.set_flag(x.id, "frozen", True)  # nothing tracked to switch off: still just a tensor
    assert not d.is_frozen(x.id)


def test_freezing_a_parameter_switches_tracking_off_and_undo_is_exact():
    d, ids = tutorial()
    before = d.to_dict()
    events = record(d)
    d.set_flag(ids["w"], "frozen", True)
    assert d.is_frozen(ids["w"]) and d.nodes[ids["w"]].requires_grad  # still a parameter
    assert events[-1].detail == {"what": "flag", "name": "frozen", "old": False, "new": True}
    assert not d.requires_grad_map()[ids["w"]]
    ex = Executor(d)
    res = ex.forward()
    assert not res[ids["w"]].requires_grad and res[ids["loss"]].requires_grad
    assert ex.backward() is None
    assert res[ids["w"]].grad is None and res[ids["b"]].grad is not None
    d.set_flag(ids["w"], "frozen", False)
    assert d.to_dict() == before


def test_frozen_is_for_leaves_only():
    d, ids = tutorial()
    with pytest.raises(ParamError, match="frozen applies to leaves .* frozen_output"):
        d.set_flag(ids["z"], "frozen", True)


def test_export_writes_requires_grad_false_after_the_factory():
    d, ids = tutorial()
    d.set_flag(ids["w"], "frozen", True)
    script = to_script(d)
    assert ("w = torch.randn(5, 3, generator=torch.Generator().manual_seed(0), "
            "requires_grad=True)\nw.requires_grad_(False)  # frozen\n") in script
    ns: dict = {}
    exec(compile(to_script(d, module="engine", prints=False), "<export>", "exec"), ns)
    assert ns["w"].grad is None and not ns["w"].requires_grad and ns["b"].grad is not None


def test_frozen_is_saved_and_a_schema_1_file_has_nothing_frozen(tmp_path):
    d, ids = tutorial()
    d.set_flag(ids["w"], "frozen", True)
    d.set_flag(ids["b"], "requires_grad", False)
    data = fileformat.to_data(d)
    assert data["schema_version"] == 3
    again = fileformat.from_data(json.loads(json.dumps(data)))
    assert again.is_frozen(ids["w"]) and again == d
    # schema 1 had no flag: its randn leaves without requires_grad are just tensors
    old = fileformat.to_data(tutorial()[0])
    old["schema_version"] = 1
    for n in old["document"]["nodes"]:
        n["requires_grad"] = False
    loaded = fileformat.from_data(old)
    assert not any(loaded.is_frozen(n) for n in loaded.nodes)
    bad = fileformat.to_data(d)
    bad["document"]["nodes"][0]["frozen"] = "yes"
    with pytest.raises(fileformat.FileFormatError) as e:
        fileformat.from_data(bad)
    assert e.value.path == "document.nodes[0].frozen"


def test_removing_and_restoring_a_frozen_node_keeps_the_flag():
    d, ids = tutorial()
    d.set_flag(ids["w"], "frozen", True)
    before = d.to_dict()
    d.restore_node(d.remove_node(ids["w"]))
    assert d.to_dict() == before
