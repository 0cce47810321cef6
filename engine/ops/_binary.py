"""What every binary arithmetic op shares: operand parsing (a Tensor or a Python number, with
torch's TypeErrors), scalar handling, recording a binary node with its gradient dtype casts, and
torch.promote_types / result_type / can_cast. Split out of arithmetic.py (which re-exports the
public names) so that add/sub/mul, division and power can share it without importing each other.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._util import (
    INT64_MAX,
    INT64_MIN,
    broadcast_error,
    quiet,
    wrap,
)
from ._util import result_dtype as _result_dtype

_make = Tensor._make
_SCALARS = (bool, int, float)


# -- operands ------------------------------------------------------------------------------------
def _tname(x) -> str:
    t = type(x)
    return f"numpy.{t.__name__}" if t.__module__ == "numpy" else t.__name__


def _arg(x, fname: str, argname: str, pos: int):
    """A function's operand: a Tensor or a number, else torch's argument TypeError."""
    if isinstance(x, Tensor):
        return x
    y = _op_arg(x)
    if y is not None:
        return y
    if isinstance(x, complex):
        raise TypeError("complex numbers are not supported by this engine")
    raise TypeError(
        f"{fname}(): argument '{argname}' (position {pos}) must be Tensor, not {_tname(x)}")


def _op_arg(x):
    """An operator's other operand as a Python number, or None when it is not a number."""
    if isinstance(x, np.generic):  # np.float64 subclasses float: unwrap before the check below
        return x.item() if x.dtype.kind in "biuf" else None
    if isinstance(x, _SCALARS):
        if type(x) is int and not INT64_MIN <= x <= INT64_MAX:
            raise OverflowError("int too big to convert")
        return x
    return None


def _ndarray_op(self, other, npfn, reflected: bool):
    """``tensor op ndarray``: torch hands it to NumPy (its promotion), wrapped back to a Tensor;
    anything else is left to Python (NotImplemented -> "unsupported operand type(s)")."""
    if not isinstance(other, np.ndarray):
        return NotImplemented
    mine = self.numpy()  # torch's "Can't call numpy() on Tensor that requires grad" error
    with np.errstate(all="ignore"):
        res = npfn(other, mine) if reflected else npfn(mine, other)
    return wrap(np.asarray(res))


def _scalars_only(input, other):
    """torch.add(1, 2): both numbers -> the first becomes a 0-d tensor."""
    if not _is_t(input) and not _is_t(other):
        from .creation import tensor
        return tensor(input)
    return input


def _is_t(x) -> bool:
    return type(x) is Tensor or isinstance(x, Tensor)


def _rg(x) -> bool:
    return _is_t(x) and x._requires_grad


def _shape(x):
    return x._data.shape if _is_t(x) else ()


def _edge_t(x):
    return x if _is_t(x) else None


def _run(fn, xa, xb):
    """Apply a NumPy binary function quietly (torch never warns about x / 0, inf - inf);
    broadcasting failures get torch's message."""
    try:
        return quiet(fn, xa, xb)
    except ValueError:
        raise broadcast_error(np.shape(xa), np.shape(xb)) from None


def _binary_node(cls, out, a, b):
    """Record ``out = a op b`` (grad mode on): the node, or None when nothing requires grad.
    Sets ``shapes`` and ``dtypes`` (torch casts each gradient back to its input's dtype)."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if not ((ta and a._requires_grad) or (tb and b._requires_grad)):
        return None
    node = cls((a if ta else None, b if tb else None))
    od = out._data.dtype
    da = a._data.dtype if ta else od
    db = b._data.dtype if tb else od
    node.shapes = (a._data.shape if ta else (), b._data.shape if tb else ())
    node.dtypes = None if da == od and db == od else (da, db)
    out._requires_grad = True
    out.grad_fn = node
    return node


def _casts(node, out, a, b) -> None:
    """torch casts each input's gradient back to that input's dtype (mixed-dtype operands)."""
    od = out._data.dtype
    da = a._data.dtype if _is_t(a) else od
    db = b._data.dtype if _is_t(b) else od
    node.dtypes = None if da == od and db == od else (da, db)


def _cast_grads(node, F, ga, gb):
    d = node.dtypes
    if d is None:
        return ga, gb
    if ga is not None and F.data(ga).dtype != d[0]:
        ga = F.to_dtype(ga, d[0])
    if gb is not None and F.data(gb).dtype != d[1]:
        gb = F.to_dtype(gb, d[1])
    return ga, gb


def _check_alpha(alpha, fname: str, out_dt, a=None, b=None) -> None:
    """torch's alpha checks; ``a``, ``b`` (torch's operand order): shapes that do not
    broadcast are reported before a bool alpha."""
    if not isinstance(alpha, (numbers.Number, np.generic)) or isinstance(alpha, complex):
        raise TypeError(f"{fname}(): argument 'alpha' must be Number, not {_tname(alpha)}")
    if out_dt.kind == "b":
        return
    if isinstance(alpha, (bool, np.bool_)):
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            try:
                np.broadcast_shapes(a._data.shape, b._data.shape)
            except ValueError:
                raise broadcast_error(a._data.shape, b._data.shape) from None
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if out_dt.kind in "iu" and isinstance(alpha, (float, np.floating)):
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number.")


def _scaled(xb, alpha, dt):
    """alpha * other computed in the result dtype (a bool alpha and ints cast like torch)."""
    if dt.kind == "f":
        return xb * alpha
    return xb * np.array(alpha).astype(dt)


# -- dtype helpers exported as torch.promote_types / result_type / can_cast ----------------------
def promote_types(type1, type2):
    return _dtype.promote_types(type1, type2)


def result_type(tensor1, tensor2):
    return _result_dtype(_arg(tensor1, "result_type", "tensor1", 1),
                         _arg(tensor2, "result_type", "tensor2", 2))


def can_cast(from_, to):
    return _dtype.can_cast(from_, to)
