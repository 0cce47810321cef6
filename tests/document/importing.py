"""Helpers for the import tests: write a script, import it, run the same script in torch."""
from __future__ import annotations

import contextlib
import io
import sys
import textwrap

import numpy as np

import engine
from engine.document.execution import Executor
from engine.document.script_import import import_script


def write(tmp_path, source: str, name="script.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return path


def imported(tmp_path, source: str, **kw):
    return import_script(write(tmp_path, source), **kw)


def doc_grads(doc) -> dict:
    """Run the document and its root's backward on the engine: node name -> grad array."""
    ex = Executor(doc)
    ex.forward()
    assert ex.backward() is None
    return {doc.nodes[nid].name: g.numpy().copy() for nid, g in ex.grads().items()}


def torch_backward_grads(torch, monkeypatch, source: str) -> list[dict]:
    """Run ``source`` in real torch, its random numbers drawn from the engine's generator (so
    the values match the import's), and return for every backward call what it added to the
    .grad of each leaf / retain_grad tensor bound to a name: [{name: array or None}, ...]."""
    gen = engine.Generator()

    def from_engine(t, dtype, requires_grad):
        out = torch.tensor(t.numpy(), dtype=dtype or torch.float32)
        return out.requires_grad_(requires_grad)

    def randn(*size, generator=None, dtype=None, requires_grad=False, **kw):
        return from_engine(engine.randn(*size, generator=gen), dtype, requires_grad)

    def rand(*size, generator=None, dtype=None, requires_grad=False, **kw):
        return from_engine(engine.rand(*size, generator=gen), dtype, requires_grad)

    monkeypatch.setattr(torch, "randn", randn)
    monkeypatch.setattr(torch, "rand", rand)
    monkeypatch.setattr(torch, "manual_seed", lambda s: gen.manual_seed(s))
    calls: list[dict] = []
    original = torch.autograd.backward

    def backward(tensors, *args, **kwargs):
        f = sys._getframe(1)
        while f is not None and f.f_code.co_filename != "<script>":
            f = f.f_back
        if f is None:  # not the script's call (an exported script run in the same test)
            return original(tensors, *args, **kwargs)
        names = {**f.f_globals, **f.f_locals}
        held = {}
        for n, m in names.items():  # parameters, by the importer's names: model_0_weight
            if isinstance(m, torch.nn.Module):
                for path, p in m.named_parameters():
                    held[f"{n}.{path}".replace(".", "_")] = p
        seen = {id(t) for t in held.values()}
        held.update({n: t for n, t in names.items() if isinstance(t, torch.Tensor)
                     and (t.is_leaf and t.requires_grad or t.retains_grad)
                     and id(t) not in seen})
        before = {n: None if t.grad is None else t.grad.clone() for n, t in held.items()}
        original(tensors, *args, **kwargs)
        calls.append({n: None if t.grad is None else
                      (t.grad - before[n] if before[n] is not None else t.grad).numpy().copy()
                      for n, t in held.items()})

    monkeypatch.setattr(torch.autograd, "backward", backward)
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(textwrap.dedent(source), "<script>", "exec"), {"__name__": "__main__"})
    return calls


def assert_same_grads(got: dict, want: dict, names) -> None:
    for n in names:
        assert n in got, f"{n} has no grad in the document"
        assert want[n] is not None, n
        np.testing.assert_allclose(got[n], want[n], rtol=1e-5, atol=1e-6, err_msg=n)
