"""Shape ops: views (reshape, transpose, permute, squeeze, expand...), clone and dtype
conversion. Forward results are NumPy views wherever torch returns a view. cat/stack/split/chunk
live in joining.py (re-exported here), the dim and size helpers in _shape_util.py."""
from __future__ import annotations

__all__ = ["reshape", "transpose", "t", "permute", "unsqueeze", "squeeze", "cat", "concat",
           "concatenate", "stack", "split", "chunk", "flatten", "clone", "swapaxes"]

import warnings

import numpy as np

from .. import _dtype
from .._tensor import Tensor, no_grad_view
from ..autograd.graph import Node
from ._shape_util import (
    _dim,
    _fmt,
    _sizes,
)
from ._util import attach, grad_enabled, normalize_dims, quiet
from .joining import (
    CatBackward0,  # noqa: F401 - re-exported
    SplitBackward0,  # noqa: F401 - re-exported
    SplitWithSizesBackward0,  # noqa: F401 - re-exported
    StackBackward0,  # noqa: F401 - re-exported
    cat,
    chunk,
    concat,
    concatenate,
    split,
    stack,
)

_make = Tensor._make


def _infer(shape: tuple, numel: int) -> tuple:
    """Resolve one -1 in ``shape`` (torch's infer_size), with torch's errors."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{_fmt(shape)}' is invalid for input of size {numel}")
        shape = shape[:neg[0]] + (numel // known,) + shape[neg[0] + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '{_fmt(shape)}' is invalid for input of size {numel}")
    return shape


# -- nodes whose gradient is a reshape back to the input's shape -------------------------------
class _ReshapeBack(Node):
    __slots__ = ("shape",)
    saves = False

    def backward(self, F, g):
        return (F.reshape(g, self.shape),)


class ViewBackward0(_ReshapeBack):
    __slots__ = ()


class UnsafeViewBackward0(_ReshapeBack):
    __slots__ = ()


class ReshapeAliasBackward0(_ReshapeBack):
    """a reshape of a non-contiguous tensor that still is a view"""
    __slots__ = ()


class UnsqueezeBackward0(_ReshapeBack):
    __slots__ = ()


class SqueezeBackward0(_ReshapeBack):
    __slots__ = ()


class SqueezeBackward1(_ReshapeBack):
    __slots__ = ()


class SqueezeBackward2(_ReshapeBack):
    __slots__ = ()


class SqueezeBackward4(_ReshapeBack):
    """in-place squeeze_(dim) (used by matmul for 1-D @ 2-D)"""
    __slots__ = ()


class _Identity(Node):
    __slots__ = ()
    saves = False

    def backward(self, F, g):
        return (g,)


class CloneBackward0(_Identity):
    __slots__ = ()


class AliasBackward0(_Identity):
    __slots__ = ()


def _record(out: Tensor, input: Tensor, cls, shape=None) -> Tensor:
    """Record the view ``out`` of ``input`` (under no_grad: torch's no_grad view leaf)."""
    if input._requires_grad:
        if grad_enabled[0]:
            node = cls((input,))
            if shape is not None:
                node.shape = shape
            attach(out, node)
        else:
            no_grad_view(out)
    return out


def _reshape_back(out, input, cls):
    return _record(out, input, cls, input._data.shape)


_RESHAPE_HAS_COPY = np.lib.NumpyVersion(np.__version__) >= "2.1.0"


def _view_data(x: np.ndarray, shape: tuple):
    """``x`` reshaped without copying, or None when the strides do not allow it."""
    if _RESHAPE_HAS_COPY:
        try:
            return x.reshape(shape, copy=False)
        except ValueError:
            return None
    v = x.reshape(shape)  # NumPy 2.0: no copy=False; a copy never overlaps its source
    return v if x.size == 0 or np.may_share_memory(v, x) else None


def reshape(input, *shape):
    x = input._data
    shape = _infer(_sizes(shape), x.size)
    v = _view_data(x, shape)
    if v is not None:
        return _reshape_back(input._viewed_as(_make(v)), input,
                             ViewBackward0 if x.flags.c_contiguous else ReshapeAliasBackward0)
    # torch: a reshape that cannot be a view is clone() followed by _unsafe_view
    c = clone(input)
    return _reshape_back(_make(c._data.reshape(shape)), c, UnsafeViewBackward0)


def view(input, *shape):
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        raise NotImplementedError("Tensor.view(dtype) is not supported by this engine")
    x = input._data
    shape = _infer(_sizes(shape), x.size)
    v = _view_data(x, shape)
    if v is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    return _reshape_back(input._viewed_as(_make(v)), input, ViewBackward0)


def view_as(input, other):
    return view(input, other._data.shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


def _unsafe_view(input, shape):
    """torch's _unsafe_view: a reshape recorded as UnsafeViewBackward0 (matmul uses it)."""
    return _reshape_back(_make(np.reshape(input._data, shape)), input, UnsafeViewBackward0)


def flatten(input, start_dim=0, end_dim=-1):
    x = input._data
    if x.ndim == 0:
        return reshape(input, 1)
    s, e = _dim(start_dim, x.ndim), _dim(end_dim, x.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    return reshape(input, x.shape[:s] + (-1,) + x.shape[e + 1:])


def contiguous(input, memory_format=None):
    if input._data.flags.c_contiguous:
        return input
    return clone(input)


def clone(input, *, memory_format=None):
    out = _make(np.array(input._data, order="C"))
    if grad_enabled[0] and input._requires_grad:
        attach(out, CloneBackward0((input,)))
    return out


class TransposeBackward0(Node):
    __slots__ = ("perm",)
    saves = False

    def backward(self, F, g):
        return (F.permute(g, self.perm),)


def _swap_perm(ndim, d0, d1):
    perm = list(range(ndim))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return tuple(perm)


def transpose(input, dim0, dim1):
    x = input._data
    n = x.ndim
    d0, d1 = _dim(dim0, n), _dim(dim1, n)
    out = input._viewed_as(_make(np.swapaxes(x, d0, d1) if n else x.view()))
    if input._requires_grad:
        if not grad_enabled[0]:
            return no_grad_view(out)
        node = TransposeBackward0((input,))
        node.perm = _swap_perm(n, d0, d1) if n else ()
        attach(out, node)
    return out


swapaxes = transpose


class TBackward0(Node):
    __slots__ = ()
    saves = False

    def backward(self, F, g):
        return (F.permute(g, (1, 0)) if len(g.shape) == 2 else g,)


def t(input):
    x = input._data
    if x.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return _record(input._viewed_as(_make(x.T)), input, TBackward0)


class PermuteBackward0(Node):
    __slots__ = ("inverse",)
    saves = False

    def backward(self, F, g):
        return (F.permute(g, self.inverse),)


def permute(input, *dims):
    x = input._data
    dims = _sizes(dims)
    if len(dims) != x.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            "length of the desired ordering of dimensions i.e. input.dim() = "
            f"{x.ndim} is not equal to len(dims) = {len(dims)}")
    dims = tuple(_dim(d, x.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    out = input._viewed_as(_make(np.transpose(x, dims)))
    if input._requires_grad:
        if not grad_enabled[0]:
            return no_grad_view(out)
        node = PermuteBackward0((input,))
        node.inverse = tuple(np.argsort(dims).tolist())
        attach(out, node)
    return out


def _T(input):  # noqa: N802 - torch's property name
    n = input._data.ndim
    if n == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in "
                      "these cases.", UserWarning, stacklevel=2)
    elif n > 2:
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` "
            "to reverse the dimensions of a tensor.", UserWarning, stacklevel=2)
    return permute(input, tuple(range(n - 1, -1, -1)))


def _mT(input):  # noqa: N802
    n = input._data.ndim
    if n == 0:  # torch: deprecated, and the identity (the very same tensor)
        warnings.warn("Tensor.mT is deprecated on 0-D tensors. This function is the identity "
                      "in these cases.", UserWarning, stacklevel=2)
        return input
    if n < 2:
        raise RuntimeError(
            "tensor.mT is only supported on matrices or batches of matrices. Got "
            f"{n}-D tensor.")
    return transpose(input, -2, -1)


def unsqueeze(input, dim):
    x = input._data
    d = _dim(dim, x.ndim + 1)
    s = x.shape
    out = _reshape_back(input._viewed_as(_make(x.reshape(s[:d] + (1,) + s[d:]))), input,
                        UnsqueezeBackward0)
    if out.grad_fn is not None and out.grad_fn is not input.grad_fn:
        out.grad_fn.dim = dim  # torch's _saved_dim (as given)
    return out


def squeeze(input, dim=None):
    x = input._data
    if dim is None:
        return _reshape_back(input._viewed_as(_make(x.reshape([s for s in x.shape if s != 1]))),
                             input, SqueezeBackward0)
    if isinstance(dim, (tuple, list)):
        dims, cls = normalize_dims(dim, x.ndim), SqueezeBackward2
    else:
        dims, cls = (_dim(dim, x.ndim),), SqueezeBackward1
    shape = [s for i, s in enumerate(x.shape) if not (i in dims and s == 1)]
    out = _reshape_back(input._viewed_as(_make(x.reshape(shape))), input, cls)
    if out.grad_fn is not None and out.grad_fn is not input.grad_fn:
        out.grad_fn.dim = dim  # torch's _saved_dim (as given)
    return out


# -- expand / sum_to_size ------------------------------------------------------------------------
class ExpandBackward0(Node):
    __slots__ = ("shape",)
    saves = False

    def backward(self, F, g):
        return (F.sum_to(g, self.shape),)


def expand(input, *sizes):
    if not sizes:
        raise TypeError('expand() missing 1 required positional arguments: "size"')
    x = input._data
    sizes = _sizes(sizes)
    n = len(sizes)
    if n < x.ndim:
        raise RuntimeError(
            f"expand({_type_name(input)}{{{_fmt(x.shape)}}}, size={_fmt(sizes)}): the number "
            f"of sizes provided ({n}) must be greater or equal to the number of dimensions in "
            f"the tensor ({x.ndim})")
    lead = n - x.ndim
    target = [0] * n
    for i in range(n - 1, -1, -1):  # torch checks from the last dim
        s = sizes[i]
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                    f"non-existing dimension {i}")
            target[i] = s
            continue
        have = x.shape[i - lead]
        if s == -1:
            s = have
        elif have != 1 and s != have:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({have}) "
                f"at non-singleton dimension {i}.  Target sizes: {_fmt(sizes)}.  Tensor sizes: "
                f"{_fmt(x.shape)}")
        target[i] = s
    target = tuple(target)
    if target == x.shape:  # nothing expanded: a plain (writable) view, as torch's
        arr = x.view()
    elif target[lead:] == x.shape and all(s == 1 for s in target[:lead]):
        arr = x[(None,) * lead]
    else:
        arr = np.broadcast_to(x, target)
    out = input._viewed_as(_make(arr))
    return _record(out, input, ExpandBackward0, x.shape)


def expand_as(input, other):
    return expand(input, other._data.shape)


def sum_to_size(input, *size):
    x = input._data
    shape = _sizes(size)
    lead = x.ndim - len(shape)
    ok = lead >= 0 and all(s == 1 or s == x.shape[i + lead] for i, s in enumerate(shape))
    if not ok:
        raise RuntimeError(f"size {{{_fmt(shape)}}} is not expandable to size "
                           f"{{{_fmt(x.shape)}}}.")
    dims = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)
    if not dims:
        return input
    out = input.sum(dims, keepdim=True)  # torch: sum(keepdim=True), then a view if needed
    return view(out, shape) if lead else out


# -- dtype conversion ---------------------------------------------------------------------------
class ToCopyBackward0(Node):
    __slots__ = ("np_dtype",)
    saves = False

    def backward(self, F, g):
        return (F.to_dtype(g, self.np_dtype),)


def _type_name(t):
    from .._tensor import _type_name as tn
    return tn(t)


_TYPE_NAMES = {"torch.FloatTensor": _dtype.float32, "torch.DoubleTensor": _dtype.float64,
               "torch.HalfTensor": _dtype.float16, "torch.LongTensor": _dtype.int64,
               "torch.IntTensor": _dtype.int32, "torch.ShortTensor": _dtype.int16,
               "torch.CharTensor": _dtype.int8, "torch.ByteTensor": _dtype.uint8,
               "torch.BoolTensor": _dtype.bool}


def _to_dtype(input, dt, copy=False):
    x = input._data
    if dt.np == x.dtype and not copy:
        return input
    out = _make(quiet(x.astype, dt.np))  # torch casts inf/nan/overflow without a warning
    if grad_enabled[0] and input._requires_grad and dt.is_floating_point:
        node = ToCopyBackward0((input,))
        node.np_dtype = x.dtype
        attach(out, node)
    return out


def to(input, *args, dtype=None, device=None, non_blocking=False, copy=False,
       memory_format=None):
    from .._device import check_device
    from .._device import device as _device
    for a in args:
        if isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (str, _device, int)) and not isinstance(a, bool):
            check_device(a)  # only the CPU exists; torch's CPU-only errors for the rest
        elif a is not None:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    check_device(device)
    if dtype is None:
        return clone(input) if copy else input
    return _to_dtype(input, dtype, copy)


def type_(input, dtype=None, non_blocking=False, **kwargs):
    if dtype is None:
        return _type_name(input)
    if isinstance(dtype, str):
        if dtype not in _TYPE_NAMES:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = _TYPE_NAMES[dtype]
    return _to_dtype(input, dtype)


def _conv(dt):
    def f(input, memory_format=None):
        return _to_dtype(input, dt)
    f.__name__ = dt.name
    return f


METHODS = {
    "reshape": reshape, "view": view, "view_as": view_as, "reshape_as": reshape_as,
    "transpose": transpose, "swapaxes": transpose, "t": t, "permute": permute,
    "unsqueeze": unsqueeze, "squeeze": squeeze, "expand": expand, "expand_as": expand_as,
    "sum_to_size": sum_to_size, "flatten": flatten, "contiguous": contiguous, "split": split,
    "chunk": chunk, "clone": clone, "to": to, "type": type_,
    "float": _conv(_dtype.float32), "double": _conv(_dtype.float64),
    "half": _conv(_dtype.float16), "long": _conv(_dtype.int64), "int": _conv(_dtype.int32),
    "short": _conv(_dtype.int16), "bool": _conv(_dtype.bool),
}

Tensor.T = property(_T)
Tensor.mT = property(_mT)
