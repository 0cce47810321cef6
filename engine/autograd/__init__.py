"""engine.autograd: backward, grad, grad modes, Function, gradcheck — torch.autograd's API."""
from __future__ import annotations

import numpy as np

from .._legacy import Variable  # noqa: E402
from . import graph
from .engine import run_backward
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled

Tensor = None  # set by engine._tensor once the class exists (import cycle)
__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "graph", "Function", "gradcheck",
           "gradgradcheck", "functional", "Variable"]


def _tensors(x):
    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _make_grads(outputs, grad_outputs, is_grads_batched=False):
    """torch's _make_grads: implicit ones for scalars, shape and dtype checks."""
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
            if g._data.dtype != out._data.dtype and out._requires_grad:
                # torch's engine casts a root grad to the root's dtype (validate_outputs)
                g = Tensor._make(g._data.astype(out._data.dtype), g._requires_grad, None) \
                    if not g._requires_grad else g.to(out.dtype)
            result.append(g)
        else:
            raise TypeError(
                "gradients can be either Tensors or None, but got " + type(g).__name__)
    if len(result) != len(outputs):
        # torch zips outputs with grads, then its engine compares the counts
        raise RuntimeError(f"got {len(outputs)} tensors and {len(result)} gradients")
    return result


def _root_edges(outputs):
    edges = []
    for i, out in enumerate(outputs):
        if out.grad_fn is not None:
            edges.append((out.grad_fn, out._output_nr))
        elif out._requires_grad and not out._nograd_view:  # a no_grad view has no edge
            edges.append((out._grad_accumulator(), 0))
        else:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn")
    return edges


_warned_create_graph = False


def _warn_create_graph():
    global _warned_create_graph
    import warnings
    _warned_create_graph = True  # torch warns once per process (TORCH_WARN_ONCE)
    warnings.warn(
        "Using backward() with create_graph=True will create a reference cycle between the "
        "parameter and its gradient which can cause a memory leak. We recommend using "
        "autograd.grad when creating the graph to avoid this. If you have to use this "
        "function, make sure to reset the .grad fields of your parameters to None after use "
        "to break the cycle and avoid the leak. (Triggered internally at "
        "/__w/pytorch/pytorch/torch/csrc/autograd/engine.cpp:1307.)", UserWarning,
        stacklevel=3)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    tensors = _tensors(tensors)
    if inputs is not None:
        inputs = _tensors(inputs)
        if len(inputs) == 0:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    else:
        grad_tensors = list(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_grads(tensors, grad_tensors)
    roots = _root_edges(tensors)
    if create_graph and not _warned_create_graph:
        _warn_create_graph()
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
    single_input = isinstance(inputs, Tensor)
    outputs = _tensors(outputs)
    inputs = _tensors(inputs)
    if not inputs:  # torch checks this first
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    else:
        grad_outputs = list(grad_outputs)
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
                    f"The differentiated Tensor at index {len(result)} appears to not have "
                    "been used in the graph. Set allow_unused=True if this is the desired "
                    "behavior.")
            result.append(None)
        else:
            result.append(g if type(g) is Tensor else Tensor._make(g))
    del single_input
    return tuple(result)


# after the definitions above: these modules import ``grad`` from this package
from . import functional  # noqa: E402
from .function import Function  # noqa: E402
from .gradcheck import gradcheck, gradgradcheck  # noqa: E402
