"""Keyword forms torch's argument parser accepts on every op: NumPy's ``axis=``/``keepdims=``
for ``dim=``/``keepdim=``, and ``out=`` on the functions that have an out variant.

The ops themselves take only torch's canonical names; one thin wrapper per function adds these,
so an op module stays one definition per op. The wrapper's fast path (no keywords) is one
test; measured in benchmarks/bench_engine.py.
"""
from __future__ import annotations

import functools
import inspect
import warnings

import numpy as np

from .._tensor import _SCALAR_NAMES, Tensor, _can_cast
from ._util import grad_enabled

# functions with torch's ``out=`` (single-tensor results only)
OUT_FUNCTIONS = frozenset((
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "neg", "negative", "pow", "matmul", "mm", "bmm", "mv", "dot", "sum", "mean", "prod", "exp",
    "log", "log1p", "sqrt", "rsqrt", "abs", "sign", "sin", "cos", "tanh", "sigmoid", "square",
    "reciprocal", "floor", "ceil", "round", "trunc", "clamp", "clip", "clamp_min", "clamp_max",
    "maximum", "minimum", "where", "eq", "ne", "lt", "le", "gt", "ge", "logical_not",
    "logical_and", "logical_or", "logical_xor", "amax", "amin", "logsumexp", "cat", "concat",
    "concatenate", "stack", "cumsum", "cumprod", "norm", "erf", "var", "std", "argmax",
    "argmin", "flip", "nan_to_num", "addmm",
))
_OUT_NAMES = {"subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div",
              "negative": "neg", "concat": "cat", "concatenate": "cat", "clip": "clamp"}
RESIZE_WARNING = (
    "An output with one or more elements was resized since it had shape [{}], which does not "
    "match the required output shape [{}]. This behavior is deprecated, and in a future "
    "PyTorch release outputs will not be resized unless they have zero elements. You can "
    "explicitly reuse an out tensor t by resizing it, inplace, to zero elements with "
    "t.resize_(0). (Triggered internally at "
    "/__w/pytorch/pytorch/aten/src/ATen/native/Resize.cpp:30.)")


def _translate(fname, kw) -> None:
    if "axis" in kw:
        if "dim" in kw:
            raise TypeError(f"{fname}() got multiple values for argument 'dim'")
        kw["dim"] = kw.pop("axis")
    if "keepdims" in kw:
        if "keepdim" in kw:
            raise TypeError(f"{fname}() got multiple values for argument 'keepdim'")
        kw["keepdim"] = kw.pop("keepdims")


def _requires_grad(args, kw) -> bool:
    for a in (*args, *kw.values()):
        if isinstance(a, Tensor):
            if a._requires_grad:
                return True
        elif isinstance(a, (list, tuple)):
            if any(isinstance(t, Tensor) and t._requires_grad for t in a):
                return True
    return False


def _into(name, out, fn, args, kw):
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if grad_enabled[0] and (out._requires_grad or _requires_grad(args, kw)):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad.")
    d = fn(*args, **kw)._data
    od = out._data
    if d.dtype != od.dtype and not _can_cast(d.dtype, od.dtype):
        raise RuntimeError(f"result type {_SCALAR_NAMES[d.dtype.name]} can't be cast to the "
                           f"desired output type {_SCALAR_NAMES[od.dtype.name]}")
    if od.shape != d.shape:
        if od.size:
            warnings.warn(RESIZE_WARNING.format(", ".join(map(str, od.shape)),
                                                ", ".join(map(str, d.shape))),
                          UserWarning, stacklevel=3)
        out._data = np.empty(d.shape, od.dtype)
    out._data[...] = d
    out._bump()
    return out


def _has_dim(fn) -> bool:
    try:
        return "dim" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def wrap_function(name, fn):
    """``fn`` with the aliases (if it takes ``dim``) and ``out=`` (if torch has it)."""
    has_out = name in OUT_FUNCTIONS
    aliases = _has_dim(fn)
    if not (has_out or aliases):
        return fn
    shown = _OUT_NAMES.get(name, name)
    if not has_out:
        @functools.wraps(fn)
        def op(*args, **kw):
            if kw and ("axis" in kw or "keepdims" in kw):
                _translate(name, kw)
            return fn(*args, **kw)
        return op

    @functools.wraps(fn)
    def op_out(*args, out=None, **kw):
        if kw and ("axis" in kw or "keepdims" in kw):
            _translate(name, kw)
        if out is None:
            return fn(*args, **kw)
        return _into(shown, out, fn, args, kw)
    return op_out


def wrap_method(name, fn):
    """Methods take the aliases only (torch has no ``out=`` on methods)."""
    if not _has_dim(fn):
        return fn

    @functools.wraps(fn)
    def method(*args, **kw):
        if kw and ("axis" in kw or "keepdims" in kw):
            _translate(name, kw)
        return fn(*args, **kw)
    return method
