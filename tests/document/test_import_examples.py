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
    assert result.document == fileformat.load(EXAMPLES / f"{name}.json"), (
        f"regenerate: gradcanvas import resources/examples/{name}.py -o "
        f"resources/examples/{name}.json")
