"""Export names each module group in a comment above its ops (outer groups first) and says
when the whole module is frozen; the script still runs the same in torch."""
from __future__ import annotations

import pytest

from engine.document import export
from engine.document.model import Document


def _doc():
    doc = Document()
    w = doc.add_node("randn", name="w", params={"shape": [3], "seed": 1}, requires_grad=True)
    x = doc.add_node("ones", name="x", params={"shape": [3]})
    z = doc.add_node("mul", name="z")
    doc.connect(w.id, z.id, "input")
    doc.connect(x.id, z.id, "other")
    loss = doc.add_node("sum", name="loss")
    doc.connect(z.id, loss.id, "input")
    doc.add_region("model · Net()", [w.id, z.id], kind="module")
    doc.add_region("model.head · Scale()", [w.id, z.id], kind="module")
    doc.set_setting("root", loss.id)
    return doc, w, z


def test_module_comments_sit_above_their_ops_outer_first():
    doc, _, _ = _doc()
    lines = export.to_script(doc).splitlines()
    i = lines.index("# model · Net()")
    assert lines[i + 1] == "# model.head · Scale()"
    assert lines[i + 2].startswith("w = ")
    z = next(k for k, ln in enumerate(lines) if ln.startswith("z = "))
    assert lines[z - 1] in ("# model.head · Scale()",) or lines[z - 1].startswith("w ")


def test_a_frozen_module_is_named_frozen_and_its_parameters_requires_grad_false():
    doc, w, _ = _doc()
    doc.set_flag(w.id, "frozen", True)
    text = export.to_script(doc)
    assert "# model.head · Scale()  (frozen: model.head.requires_grad_(False))" in text
    assert "w.requires_grad_(False)  # frozen" in text


@pytest.mark.parity
def test_the_commented_script_runs_in_torch(tmp_path):
    pytest.importorskip("torch")
    import subprocess
    import sys
    doc, _, _ = _doc()
    path = tmp_path / "s.py"
    path.write_text(export.to_script(doc))
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
