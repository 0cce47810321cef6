"""engine.autograd: backward, grad, grad modes, Function, gradcheck — torch.autograd's API."""
from __future__ import annotations

from . import graph
from .engine import run_backward
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                        set_grad_enabled)

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "graph", "Function", "gradcheck",
           "gradgradcheck"]


def _tensors(x):
    from .._tensor import Tensor
    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _make_grads(outputs, grad_outputs, is_grads_batched=False):
    """torch's _make_grads: implicit ones for scalars, shape and dtype checks."""
    from .._tensor import Tensor
    import numpy as np
    result = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out._requires_grad:
                if out._data.size != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if out._data.dtype.kind != "f":
                    raise RuntimeError(
                        "grad can be implicitly created only for real scalar outputs but got "
                        f"{out.dtype}")
                result.append(np.ones(out._data.shape, dtype=out._data.dtype))
            else:
                result.append(None)
        elif isinstance(g, Tensor):
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {out.shape}.")
            if (g._data.dtype.kind == "f") != (out._data.dtype.kind == "f"):
                raise TypeError(
                    f"For complex Tensors, both grad_output and output are required to have "
                    f"the same dtype. Mismatch in dtype: grad_output[{i}] has a dtype of "
                    f"{g.dtype} and output[{i}] has a dtype of {out.dtype}.")
            result.append(g)
        else:
            raise TypeError(
                "gradients can be either Tensors or None, but got " + type(g).__name__)
    return result


def _root_edges(outputs):
    edges = []
    for i, out in enumerate(outputs):
        if out.grad_fn is not None:
            edges.append((out.grad_fn, out._output_nr))
        elif out._requires_grad:
            edges.append((out._grad_accumulator(), 0))
        else:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn")
    return edges


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    from .._tensor import Tensor
    tensors = _tensors(tensors)
    if inputs is not None:
        inputs = _tensors(inputs)
        if len(inputs) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    else:
        grad_tensors = list(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(
            f"got {len(grad_tensors)} tensors and {len(tensors)} gradients")
    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_grads(tensors, grad_tensors)
    roots = _root_edges(tensors)
    only = None
    if inputs is not None:
        only = set()
        for t in inputs:
            if t.grad_fn is None:
                if not t._requires_grad:
                    raise RuntimeError("One of the differentiated Tensors does not require grad")
                only.add(t._grad_accumulator())
            else:
                # a non-leaf input accumulates into its .grad, like retain_grad
                t.retain_grad()
                only.add(t.grad_fn)
    run_backward(roots, grads, retain_graph, create_graph, accumulate_only=only)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False,
         materialize_grads=False):
    from .._tensor import Tensor
    import numpy as np
    single_input = isinstance(inputs, Tensor)
    outputs = _tensors(outputs)
    inputs = _tensors(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    else:
        grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad requires one grad_output per output: got {len(grad_outputs)} and "
            f"{len(outputs)}")
    if retain_graph is None:
        retain_graph = create_graph
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _make_grads(outputs, grad_outputs)
    roots = _root_edges(outputs)
    capture = [(t.grad_fn, t._output_nr) if t.grad_fn is not None
               else (t._grad_accumulator(), 0) for t in inputs]
    got = run_backward(roots, grads, retain_graph, create_graph, capture=capture,
                       accumulate=False)
    result = []
    for t, g in zip(inputs, got):
        if g is None:
            if materialize_grads:
                result.append(Tensor._make(np.zeros_like(t._data)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior.")
            result.append(None)
        else:
            result.append(g if type(g) is Tensor else Tensor._make(g))
    del single_input
    return tuple(result)


def __getattr__(name):
    # Function and gradcheck live in their own modules; import lazily to keep import light.
    if name == "Function":
        from .function import Function
        return Function
    if name in ("gradcheck", "gradgradcheck"):
        from . import gradcheck as _gc
        return getattr(_gc, name)
    if name == "functional":
        from . import functional
        return functional
    raise AttributeError(f"module 'engine.autograd' has no attribute {name!r}")
