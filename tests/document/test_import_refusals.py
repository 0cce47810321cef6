"""What the importer cannot place, it refuses in one line naming the script's line."""
from __future__ import annotations

import pytest

from engine.document.script_import import ScriptImportError

from .importing import imported


def refusal(tmp_path, source, **kw) -> ScriptImportError:
    with pytest.raises(ScriptImportError) as info:
        imported(tmp_path, source, **kw)
    e = info.value
    assert "\n" not in str(e)
    return e


def test_a_script_without_backward(tmp_path):
    e = refusal(tmp_path, """
        import torch
        w = torch.randn(3, requires_grad=True)
        loss = (w * 2).sum()
    """)
    assert e.kind == "no_backward" and e.line is None
    assert str(e) == ("script.py: the script never calls backward(): there is no graph to "
                      "import")


def test_a_script_using_autograd_grad_instead(tmp_path):
    e = refusal(tmp_path, """
        import torch
        w = torch.randn(3, requires_grad=True)
        (g,) = torch.autograd.grad((w * 2).sum(), [w])
    """)
    assert (e.kind, e.line) == ("no_backward", 3)
    assert "torch.autograd.grad(); only backward() calls are imported" in str(e)


def test_asking_for_a_later_call_than_the_script_makes(tmp_path):
    e = refusal(tmp_path, """
        import torch
        w = torch.ones(2, requires_grad=True)
        w.sum().backward()
        w.sum().backward()
    """, call=3)
    assert e.kind == "no_backward"
    assert "calls backward() 2 times; --call 3 asks for a later one" in str(e)


def test_an_op_without_a_catalog_node_names_its_line(tmp_path):
    e = refusal(tmp_path, """
        import torch
        w = torch.randn(3, requires_grad=True)
        y = w.expand(2, 3)
        y.sum().backward()
    """)
    assert (e.kind, e.line) == ("unsupported", 3)
    assert str(e) == "script.py:3: Tensor.expand() has no catalog node"


def test_indexing_on_the_graph_names_its_line(tmp_path):
    e = refusal(tmp_path, """
        import torch
        w = torch.randn(3, requires_grad=True)

        loss = w[0] * 2
        loss.backward()
    """)
    assert (e.kind, e.line) == ("unsupported", 4)
    assert "the operator __getitem__ has no catalog node" in str(e)


def test_an_argument_the_node_has_no_place_for(tmp_path):
    e = refusal(tmp_path, """
        import torch
        w = torch.randn(3, requires_grad=True)
        loss = torch.add(w, w, alpha=2).sum()
        loss.backward()
    """)
    assert e.line == 3 and "torch.add: alpha=2 has no place in the catalog's add node" in str(e)


def test_an_api_the_engine_lacks(tmp_path):
    e = refusal(tmp_path, """
        import torch
        w = torch.randn(3, requires_grad=True)
        c = torch.kron(w, w)
    """)
    assert (e.kind, e.line) == ("script", 3)
    assert "torch.kron is not available in GradCanvas's engine" in str(e)


def test_a_torch_module_the_engine_lacks(tmp_path):
    e = refusal(tmp_path, """
        import torch
        import torch.distributions
    """)
    assert e.line == 2 and "torch.distributions is not available" in str(e)


def test_a_syntax_error_names_its_line(tmp_path):
    e = refusal(tmp_path, """
        import torch
        x = torch.ones(3
        y = 2
    """)
    assert e.kind == "syntax" and e.line in (2, 3)
    assert str(e).startswith(f"script.py:{e.line}: SyntaxError:")


def test_the_scripts_own_exception(tmp_path):
    e = refusal(tmp_path, """
        import torch
        a = torch.ones(2, 3)
        b = torch.ones(4, 5)
        c = a @ b
    """)
    assert (e.kind, e.line) == ("script", 4)
    assert "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)" in str(e)


def test_a_script_that_exits_non_zero(tmp_path):
    e = refusal(tmp_path, """
        import sys
        import torch
        sys.exit(3)
    """)
    assert (e.kind, e.line) == ("exit", 3)
    assert "the script exited with status 3" in str(e)


def test_a_timeout_names_the_line_it_was_running(tmp_path):
    e = refusal(tmp_path, """
        import torch
        n = 0
        while True:
            n += 1
    """, timeout=1)
    assert e.kind == "timeout" and e.line in (3, 4)
    assert "timed out after 1 s (--timeout)" in str(e)


def test_the_memory_limit(tmp_path):
    e = refusal(tmp_path, """
        import torch
        big = torch.ones(20000, 20000)  # 1.6 GB
        print(big.sum())
    """, memory_mb=1024)
    assert (e.kind, e.line) == ("memory", 2)
    assert "out of memory (the import's limit is 1024 MB" in str(e)


def test_a_custom_autograd_function_is_refused_with_its_line(tmp_path):
    e = refusal(tmp_path, """
        import torch

        class Exp(torch.autograd.Function):
            @staticmethod
            def forward(ctx, i):
                result = i.exp()
                ctx.save_for_backward(result)
                return result

            @staticmethod
            def backward(ctx, grad_output):
                (result,) = ctx.saved_tensors
                return grad_output * result

        x = torch.ones(3, requires_grad=True)
        y = Exp.apply(x)
        y.sum().backward()
    """)
    assert (e.kind, e.line) == ("refused", 16)
    assert "custom autograd.Function Exp is not imported" in str(e)


def test_an_in_place_change_of_the_graph(tmp_path):
    e = refusal(tmp_path, """
        import torch
        w = torch.ones(3, requires_grad=True)
        h = w * 2
        h.add_(1)
        h.sum().backward()
    """)
    assert (e.kind, e.line) == ("unsupported", 4)
    assert "Tensor.add_() changed a tensor of the graph in place" in str(e)


def test_backward_of_several_roots(tmp_path):
    e = refusal(tmp_path, """
        import torch
        w = torch.ones(3, requires_grad=True)
        a, b = w.sum(), (w * 2).sum()
        torch.autograd.backward([a, b])
    """)
    assert (e.kind, e.line) == ("refused", 4)


def test_bad_call_and_timeout_values(tmp_path):
    for kw, text in [({"call": 0}, "--call expects a positive number or 'last'"),
                     ({"call": "first"}, "--call expects"),
                     ({"timeout": 0}, "--timeout expects a positive number")]:
        e = refusal(tmp_path, "import torch\n", **kw)
        assert e.kind == "usage" and text in str(e)
