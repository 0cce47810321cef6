"""The imported examples: each resources/examples/NAME.py imports to the NAME.json beside it."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.document import fileformat
from engine.document.script_import import import_script

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"
SCRIPTS = sorted(p.stem for p in EXAMPLES.glob("*.py"))


def test_there_are_imported_examples():
    assert "tutorial_script" in SCRIPTS


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_example_is_its_script_imported(name):
    result = import_script(EXAMPLES / f"{name}.py")
    doc = fileformat.load(EXAMPLES / f"{name}.json")
    assert result.document == doc, (
        f"regenerate: gradcanvas import resources/examples/{name}.py -o "
        f"resources/examples/{name}.json")


def test_the_nn_examples_carry_their_module_groups():
    doc = fileformat.load(EXAMPLES / "nn_mlp_script.json")
    labels = [r.title for r in doc.regions.values() if r.kind == "module"]
    assert "model.0 · Linear(in_features=4, out_features=8, bias=True)" in labels
    assert "loss_fn · CrossEntropyLoss()" in labels
    doc = fileformat.load(EXAMPLES / "fine_tuning_script.json")
    trains = {n.name: n.tracks_grad for n in doc.nodes.values() if n.name.startswith("model_")
              and n.spec.is_source}
    assert all(doc.is_frozen(n.id) for n in doc.nodes.values()
               if n.name in ("model_0_weight", "model_0_bias"))
    assert trains == {"model_0_weight": False, "model_0_bias": False, "model_2_weight": True,
                      "model_2_bias": True}
