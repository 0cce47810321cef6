"""``jacobian``, ``hessian`` and ``vjp``: torch.autograd.functional, reverse mode, one
``autograd.grad`` call per output element (no vectorization)."""
from __future__ import annotations

import numpy as np

from .grad_mode import enable_grad

__all__ = ["jacobian", "hessian", "vjp"]


def _as_tuple(x, name: str, fn: str):
    from .._tensor import Tensor
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            kind = "tuple of Tensors or a Tensor" if is_tuple else "Tensor or a tuple of Tensors"
            raise TypeError(f"The {name} given to {fn} must be either a {kind} but the value at "
                            f"index {i} has type {type(t)}." if is_tuple else
                            f"The {name} given to {fn} must be either a {kind} but the given "
                            f"{name} has type {type(t)}.")
    return is_tuple, items


def _prepare(inputs, create_graph):
    # torch's _grad_preprocess: fresh leaves, or views that keep the graph under create_graph
    return tuple(t.view_as(t) if create_graph and t.requires_grad
                 else t.detach().requires_grad_(True) for t in inputs)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    from .._tensor import Tensor
    from . import grad
    is_in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        outputs = func(*inputs)
        is_out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                          "jacobian")
        result = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]
            n = out.numel()
            for k in range(n):
                if out.requires_grad:
                    unit = np.zeros(n, dtype=out._data.dtype)
                    unit[k] = 1
                    grads = grad(out, inputs, Tensor._make(unit.reshape(out._data.shape)),
                                 retain_graph=True, create_graph=create_graph,
                                 allow_unused=True)
                else:
                    grads = (None,) * len(inputs)
                for j, g in enumerate(grads):
                    if g is None and strict:
                        raise RuntimeError(
                            f"Output {i} of the user-provided function is independent of input "
                            f"{j}. This is not allowed in strict mode.")
                    rows[j].append(g)
            per_input = []
            for j, inp in enumerate(inputs):
                shape = tuple(out.shape) + tuple(inp.shape)
                if create_graph and any(g is not None for g in rows[j]):
                    from .. import stack, zeros_like
                    gs = [g if g is not None else zeros_like(inp) for g in rows[j]]
                    per_input.append(stack(gs).reshape(shape) if gs else
                                     Tensor._make(np.zeros(shape, inp._data.dtype)))
                else:
                    arr = np.zeros((n,) + tuple(inp.shape), dtype=inp._data.dtype)
                    for k, g in enumerate(rows[j]):
                        if g is not None:
                            arr[k] = g._data
                    per_input.append(Tensor._make(arr.reshape(shape)))
            result.append(tuple(per_input) if is_in_tuple else per_input[0])
    if is_out_tuple:
        return tuple(result)
    return result[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    is_in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def jac_func(*inp):
        out = func(*inp)
        if isinstance(out, tuple):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return jacobian(lambda *x: func(*x).reshape(()), inp, create_graph=True,
                        strict=strict)

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict)
    return res if is_in_tuple else res[0][0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    from .._tensor import Tensor
    from . import grad
    is_in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        outputs = func(*inputs)
        is_out_tuple, outs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        if v is None:
            if len(outs) != 1 or outs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the user-provided function "
                                   "returns a single Tensor with a single element.")
            vs = (None,)
        else:
            vs = v if isinstance(v, tuple) else (v,)
        grads = grad(list(outs), inputs, list(vs), create_graph=create_graph,
                     allow_unused=True)
    res = tuple(g if g is not None else Tensor._make(np.zeros_like(i._data))
                for g, i in zip(grads, inputs))
    if not create_graph:
        res = tuple(g.detach() for g in res)
        outputs = tuple(o.detach() for o in outs) if is_out_tuple else outs[0].detach()
    return outputs, (res if is_in_tuple else res[0])
