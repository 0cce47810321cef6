"""Reductions: sum, mean, ... and their derivatives."""
from __future__ import annotations

__all__ = ["sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std",
           "logsumexp", "prod"]

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.backends import NP
from ..autograd.graph import Node
from ._util import attach, grad_enabled, normalize_dims, quiet, wrap


class SumBackward0(Node):
    """sum over everything"""
    __slots__ = ("shape",)
    saves = False

    def backward(self, F, g):
        if F is NP and g.ndim == 0:
            # a fresh filled array: cheaper than np.broadcast_to (~2 us), and writeable, so
            # AccumulateGrad can keep it without a copy
            out = np.empty(self.shape, g.dtype)
            out.fill(g)
            return (out,)
        return (F.expand(g, self.shape),)


class SumBackward1(Node):
    """sum over dims"""
    __slots__ = ("shape", "dims", "keepdim")
    saves = False

    def backward(self, F, g):
        if not self.keepdim:
            for d in sorted(self.dims):
                g = F.unsqueeze(g, d)
        return (F.expand(g, self.shape),)


def _dims(dim, ndim):
    """torch reduces over every dim for dim=() or [] as well as None."""
    if dim is None or (not isinstance(dim, int) and len(dim) == 0):
        return tuple(range(ndim))
    dims = normalize_dims(dim, ndim)
    return dims if ndim else ()  # a 0-d tensor accepts dim 0 / -1 and reduces nothing


_add_reduce = np.add.reduce  # skips ndarray.sum's Python wrapper on the hot path
_NODIM = object()  # torch records Sum/MeanBackward1 even for an explicit dim=None


def _sum_np(x, dims, keepdim, npd):
    return x.sum(axis=dims, keepdims=keepdim, dtype=npd)


def _sum_dtype(x):
    # torch sums bool and integer tensors as int64
    return np.int64 if x.dtype.kind in "iub" else None


def sum(input, dim=_NODIM, keepdim=False, *, dtype=None):  # noqa: A001 - torch's name
    x = input._data
    npd = dtype.np if dtype is not None else _sum_dtype(x)
    if dim is _NODIM and not keepdim:  # an explicit dim=None records SumBackward1, as torch
        out = wrap(np.asarray(quiet(_add_reduce, x, None, npd)))
        if grad_enabled[0] and input._requires_grad:
            node = SumBackward0((input,))
            node.shape = x.shape
            attach(out, node)
        return out
    dims = _dims(None if dim is _NODIM else dim, x.ndim)
    out = wrap(np.asarray(quiet(_sum_np, x, dims, keepdim, npd)))
    if grad_enabled[0] and input._requires_grad:
        node = SumBackward1((input,))
        node.shape, node.dims, node.keepdim = x.shape, dims, keepdim
        attach(out, node)
    return out



def _unsqueeze_dims(F, g, dims, keepdim):
    """Put reduced dims back (size 1) so ``g`` broadcasts against the input."""
    if not keepdim:
        for d in sorted(dims):
            g = F.unsqueeze(g, d)
    return g


def _count(shape, dims) -> int:
    n = 1
    for d in dims:
        n *= shape[d]
    return n


# -- mean ---------------------------------------------------------------------------------------
class MeanBackward0(Node):
    __slots__ = ("shape", "numel")
    saves = False

    def backward(self, F, g):
        return (F.expand(g / self.numel, self.shape),)


class MeanBackward1(Node):
    __slots__ = ("shape", "dims", "keepdim", "numel")
    saves = False

    def backward(self, F, g):
        g = _unsqueeze_dims(F, g, self.dims, self.keepdim)
        return (F.expand(g / self.numel, self.shape),)


def _mean_dtype_check(name, x, dtype):
    if dtype is None and x.dtype.kind not in "fc":
        raise RuntimeError(
            f"{name}(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {_dtype_title(x.dtype)}")


def _dtype_title(npdt) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}[np.dtype(npdt).name]




def mean(input, dim=_NODIM, keepdim=False, *, dtype=None):
    x = input._data
    _mean_dtype_check("mean", x, dtype)
    if dtype is not None:
        x = x.astype(dtype.np)
    if dim is _NODIM and not keepdim:
        n = x.size
        out = wrap(np.asarray(_add_reduce(x, None, None) / n if n else np.nan, dtype=x.dtype))
        if grad_enabled[0] and input._requires_grad:
            node = MeanBackward0((input,))
            node.shape, node.numel = x.shape, x.size
            attach(out, node)
        return out
    dims = _dims(None if dim is _NODIM else dim, x.ndim)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = wrap(np.asarray(x.mean(axis=dims, keepdims=keepdim), dtype=x.dtype))
    if grad_enabled[0] and input._requires_grad:
        node = MeanBackward1((input,))
        node.shape, node.dims, node.keepdim = x.shape, dims, keepdim
        node.numel = _count(x.shape, dims)
        attach(out, node)
    return out


# -- max / min ----------------------------------------------------------------------------------
class _ReturnType(tuple):
    """torch.return_types.max / min: a (values, indices) structseq."""
    __slots__ = ()
    _name = ""

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self) -> str:
        return (f"torch.return_types.{self._name}(\nvalues={self[0]!r},\n"
                f"indices={self[1]!r})")

    __str__ = __repr__


def _return_type(name):
    cls = type(name, (_ReturnType,), {"__slots__": (), "_name": name})
    cls.__module__ = "torch.return_types"
    cls.__qualname__ = name
    return cls


return_types = {n: _return_type(n) for n in ("max", "min")}


class MaxBackward1(Node):
    """Whole-tensor max/min (and amax/amin): ties share the gradient evenly, as torch."""
    __slots__ = ("dims", "keepdim")

    def backward(self, F, g):
        (x,) = self.saved(F)
        x = F.data(x)
        y = F.data(self.result(F))
        dims = self.dims
        if dims is None:
            mask = x == y
            w = mask / np.count_nonzero(mask)
        else:
            if not self.keepdim:
                y = np.expand_dims(y, dims)
            mask = x == y
            w = mask / np.count_nonzero(mask, axis=dims, keepdims=True)
            g = _unsqueeze_dims(F, g, dims, self.keepdim)
        return (g * F.const(w.astype(x.dtype)),)


class MinBackward1(MaxBackward1):
    __slots__ = ()


class AmaxBackward0(MaxBackward1):
    __slots__ = ()


class AminBackward0(MaxBackward1):
    __slots__ = ()


class MaxBackward0(Node):
    """max/min along a dim: the gradient goes to the selected index."""
    __slots__ = ("shape", "dim", "keepdim", "indices")
    saves = False

    def backward(self, F, g):
        if not self.shape:  # a 0-d input: its one value was selected
            return (g,)
        onehot = np.zeros(self.shape, dtype=bool)
        idx = self.indices if self.keepdim else np.expand_dims(self.indices, self.dim)
        np.put_along_axis(onehot, idx, True, axis=self.dim)
        if not self.keepdim:
            g = F.unsqueeze(g, self.dim)
        # torch scatters: a nan gradient reaches the selected index only
        return (F.where(onehot, F.expand(g, self.shape), 0.0),)


class MinBackward0(MaxBackward0):
    __slots__ = ()


def _minmax_all(input, name, np_fn, node_cls, dims=None, keepdim=False):
    x = input._data
    if x.size == 0 and dims is None:
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
            "the reduction dim with the 'dim' argument.")
    out = wrap(np.asarray(np_fn(x, axis=dims, keepdims=keepdim)))
    if grad_enabled[0] and input._requires_grad:
        node = node_cls((input,))
        node.dims, node.keepdim = dims, keepdim
        node.save(input)
        node.save_result(out)
        attach(out, node)
    return out


def _minmax_dim(input, dim, keepdim, name, arg_fn, node_cls):
    x = input._data
    (d,) = normalize_dims(dim, x.ndim)
    if x.ndim == 0:
        vals, idx = x.copy(), np.zeros((), dtype=np.int64)
    else:
        if x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        idx = arg_fn(x, axis=d, keepdims=True)
        if x.dtype.kind == "f":  # torch's max/min propagate NaN and point at it
            nan = np.isnan(x)
            has = nan.any(axis=d, keepdims=True)
            if has.any():
                idx = np.where(has, np.argmax(nan, axis=d, keepdims=True), idx)
        vals = np.take_along_axis(x, idx, axis=d)
        if not keepdim:
            vals, idx = np.squeeze(vals, d), np.squeeze(idx, d)
    values = wrap(vals)
    if grad_enabled[0] and input._requires_grad:
        node = node_cls((input,))
        node.shape, node.dim, node.keepdim, node.indices = x.shape, d, keepdim or not x.ndim, idx
        attach(values, node)
    return return_types[name](values, wrap(idx.astype(np.int64)))


def _check_keepdim(name, keepdim):
    if not isinstance(keepdim, bool):
        raise TypeError(f"{name}(): argument 'keepdim' (position 2) must be bool, not "
                        f"{type(keepdim).__name__}")


def max(input, dim=None, keepdim=False):  # noqa: A001 - torch's name
    if isinstance(dim, Tensor):
        from .pointwise import maximum
        return maximum(input, dim)
    if dim is None:
        return _minmax_all(input, "max", np.max, MaxBackward1)
    _check_keepdim("max", keepdim)
    return _minmax_dim(input, dim, keepdim, "max", np.argmax, MaxBackward0)


def min(input, dim=None, keepdim=False):  # noqa: A001 - torch's name
    if isinstance(dim, Tensor):
        from .pointwise import minimum
        return minimum(input, dim)
    if dim is None:
        return _minmax_all(input, "min", np.min, MinBackward1)
    _check_keepdim("min", keepdim)
    return _minmax_dim(input, dim, keepdim, "min", np.argmin, MinBackward0)


def _nonempty_dims(name, x, dims, dim):
    if x.size == 0 and (dim is None or (not isinstance(dim, int) and len(dim) == 0)):
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
            "the reduction dim with the 'dim' argument.")
    for d in dims:
        if x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def amax(input, dim=(), keepdim=False):
    dims = _dims(dim, input._data.ndim)
    _nonempty_dims("amax", input._data, dims, dim)
    return _minmax_all(input, "amax", np.max, AmaxBackward0, dims, keepdim)


def amin(input, dim=(), keepdim=False):
    dims = _dims(dim, input._data.ndim)
    _nonempty_dims("amin", input._data, dims, dim)
    return _minmax_all(input, "amin", np.min, AminBackward0, dims, keepdim)


def _arg(name, np_fn):
    def op(input, dim=None, keepdim=False):
        x = input._data
        if x.dtype.kind == "b":
            raise RuntimeError(f"{name}(): does not support bool input")
        if dim is None:
            if x.size == 0:
                raise IndexError(
                    f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
            r = np_fn(x.reshape(-1))
            if x.dtype.kind == "f" and np.isnan(x).any():
                r = np.argmax(np.isnan(x.reshape(-1)))
            r = np.asarray(r, dtype=np.int64)
            return wrap(r.reshape((1,) * x.ndim) if keepdim else r)
        (d,) = normalize_dims(dim, x.ndim)
        if x.ndim == 0:
            return wrap(np.zeros((), dtype=np.int64))
        if x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        r = np_fn(x, axis=d, keepdims=keepdim)
        if x.dtype.kind == "f":
            nan = np.isnan(x)
            has = nan.any(axis=d, keepdims=keepdim)
            if has.any():
                r = np.where(has, np.argmax(nan, axis=d, keepdims=keepdim), r)
        return wrap(np.asarray(r, dtype=np.int64))
    op.__name__ = name
    return op


argmax = _arg("argmax", np.argmax)
argmin = _arg("argmin", np.argmin)


# -- var / std ----------------------------------------------------------------------------------
class VarBackward0(Node):
    __slots__ = ("dims", "keepdim", "dof", "full")

    def backward(self, F, g):
        (x,) = self.saved(F)
        return (self._var_grad(F, x, _unsqueeze_dims(F, g, self.dims, self.keepdim)),)

    def _var_grad(self, F, x, g):
        """torch's var_backward, degenerate degrees of freedom included."""
        dims, dof = self.dims, self.dof
        centered = x - F.sum(x, dims, True) / _count(x.shape, dims)
        if dof > 0 or (dof < 0 and not self.full):
            return g * centered * (2.0 / dof)
        if self.full:  # 2 / 0 = inf, and nan where x equals its mean (inf * 0)
            c = F.data(centered)
            return g * F.const(np.where(c == 0, np.nan, np.inf).astype(c.dtype))
        return g * centered * np.inf


class StdBackward0(VarBackward0):
    __slots__ = ()

    def backward(self, F, g):
        (x,) = self.saved(F)
        y = _unsqueeze_dims(F, self.result(F), self.dims, self.keepdim)
        g = _unsqueeze_dims(F, g, self.dims, self.keepdim)
        # torch: var_backward(grad / (2 std)), zero where the std is 0
        zero = F.data(y) == 0
        if zero.any():
            g = F.where(zero, 0.0, g)
            y = F.where(zero, 1.0, y)
        return (self._var_grad(F, x, g / (y * 2.0)),)


def _var_args(name, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # var(unbiased) overload
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction, keepdim


def _var_std(name, node_cls, input, dim, unbiased, keepdim, correction):
    x = input._data
    if correction is not None:  # torch's _saved_correction: as given, 1 with a dim, else None
        corr = correction
    elif unbiased is not None or isinstance(dim, bool):
        corr = int(unbiased if unbiased is not None else dim)
    else:
        corr = None if dim is None else 1
    raw = (None if isinstance(dim, bool) else dim, corr)
    if x.dtype.kind not in "fc":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    dim, correction, keepdim = _var_args(name, dim, unbiased, keepdim, correction)
    dims = _dims(dim, x.ndim)
    n = _count(x.shape, dims)
    dof = n - correction
    if dof <= 0:
        import warnings
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than "
            "the reduction factor (input numel divided by output numel). (Triggered internally "
            "at /__w/pytorch/pytorch/aten/src/ATen/native/ReduceOps.cpp:1861.)",
            UserWarning, stacklevel=3)
    import warnings
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        if x.size == 0:  # NumPy's "Mean of empty slice": torch only warns about the dof
            warnings.simplefilter("ignore", RuntimeWarning)
        if dof > 0:
            r = np.var(x, axis=dims, ddof=correction, keepdims=keepdim)
        else:  # torch divides by max(0, dof): inf, or nan where every value is the mean
            r = np.sum((x - x.mean(axis=dims, keepdims=True)) ** 2, axis=dims,
                       keepdims=keepdim) / x.dtype.type(0)
        if node_cls is StdBackward0:
            r = np.sqrt(r)
    out = wrap(np.asarray(r, dtype=x.dtype))
    if grad_enabled[0] and input._requires_grad:
        node = node_cls((input,))
        node.dims, node.keepdim, node.dof = dims, keepdim, dof
        node.full = dim is None or x.ndim == 0
        node.raw = raw  # torch's _saved_dim / _saved_correction, as given
        node.save(input)
        if node_cls is StdBackward0:
            node.save_result(out)
        attach(out, node)
    return out


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var_std("var", VarBackward0, input, dim, unbiased, keepdim, correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var_std("std", StdBackward0, input, dim, unbiased, keepdim, correction)


# -- logsumexp ----------------------------------------------------------------------------------
class LogsumexpBackward0(Node):
    __slots__ = ("dims", "keepdim")

    def backward(self, F, g):
        (x,) = self.saved(F)
        dims, keepdim = self.dims, self.keepdim
        y = _unsqueeze_dims(F, self.result(F), dims, keepdim)
        g = _unsqueeze_dims(F, g, dims, keepdim)
        return (g * F.exp(x - y),)


def _np_logsumexp(x, dims, keepdim):
    m = np.max(x, axis=dims, keepdims=True) if x.size else np.zeros((1,) * x.ndim, x.dtype)
    m = np.where(np.isfinite(m), m, 0)  # all -inf (or inf) slices: no shift
    with np.errstate(divide="ignore"):
        r = np.log(np.sum(np.exp(x - m), axis=dims, keepdims=True)) + m
    return r if keepdim else np.squeeze(r, dims)


def logsumexp(input, dim, keepdim=False):
    x = input._data
    if x.dtype.kind in "iub":
        x = x.astype(_dtype.get_default_dtype().np)
    dims = _dims(dim, x.ndim)
    out = wrap(np.asarray(_np_logsumexp(x, dims, keepdim), dtype=x.dtype))
    if grad_enabled[0] and input._requires_grad:
        node = LogsumexpBackward0((input,))
        node.dims, node.keepdim = dims, keepdim
        node.save(input)
        node.save_result(out)
        attach(out, node)
    return out


# -- prod ---------------------------------------------------------------------------------------
class ProdBackward0(Node):
    __slots__ = ("dim", "keepdim")

    def backward(self, F, g):
        (x,) = self.saved(F)
        d = self.dim
        if d is not None and not self.keepdim:
            g = F.unsqueeze(g, d)
        xd = F.data(x)
        if not (xd == 0).any():
            y = self.result(F)
            if d is not None and not self.keepdim:
                y = F.unsqueeze(y, d)
            return (g * y / x,)
        # zeros present: product of the others via exclusive cumulative products
        flat = xd.reshape(-1) if d is None else xd
        ax = 0 if d is None else d
        ones = np.ones_like(np.take(flat, [0], axis=ax))
        left = np.cumprod(np.concatenate([ones, flat], axis=ax), axis=ax)
        left = np.delete(left, -1, axis=ax)
        rev = np.flip(flat, axis=ax)
        right = np.cumprod(np.concatenate([ones, rev], axis=ax), axis=ax)
        right = np.flip(np.delete(right, -1, axis=ax), axis=ax)
        others = (left * right).reshape(xd.shape)
        return (g * F.const(others),)


class ProdBackward1(ProdBackward0):
    __slots__ = ()


def prod(input, dim=None, keepdim=False, *, dtype=None):
    x = input._data
    npd = dtype.np if dtype is not None else _sum_dtype(x)
    if dim is None:
        out = wrap(np.asarray(np.prod(x, dtype=npd)))
        node_cls, d = ProdBackward0, None
    else:
        (d,) = normalize_dims(dim, x.ndim)
        out = wrap(np.asarray(np.prod(x, axis=d if x.ndim else None, keepdims=keepdim,
                                      dtype=npd)))
        node_cls = ProdBackward1
        if not x.ndim:
            d = None
    if grad_enabled[0] and input._requires_grad:
        node = node_cls((input,))
        node.dim, node.keepdim = d, keepdim
        node.save(input)
        node.save_result(out)
        attach(out, node)
    return out


METHODS = {name: globals()[name] for name in __all__}
