"""Elementwise comparisons (eq, ne, lt, ...), logical and bitwise ops: never recorded, their
results are bool or integer. Split out of pointwise.py, which re-exports them.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._util import (
    binary_data,
    broadcast_error,
    operand,
    wrap,
)


# -- comparisons and logic (no gradient) -------------------------------------------------------
def _compare(np_fn):
    def op(input, other):
        xa, xb = binary_data(input, operand(other))
        try:
            return wrap(np.asarray(np_fn(xa, xb)))
        except ValueError:
            raise broadcast_error(np.shape(xa), np.shape(xb)) from None
    return op


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)


def _dunder_eq(self, other):
    if other is None:
        return False
    return eq(self, other)


def _dunder_ne(self, other):
    if other is None:
        return True
    return ne(self, other)


def _logical(np_fn):
    name = np_fn.__name__

    def op(input, other, _pos=2):
        # torch's argument parser: both operands must be Tensors (the method's other is
        # position 1)
        for arg, what, pos in ((input, "input", 1), (other, "other", _pos)):
            if not isinstance(arg, Tensor):
                raise TypeError(f"{name}(): argument '{what}' (position {pos}) must be Tensor, "
                                f"not {type(arg).__name__}")
        try:
            return wrap(np.asarray(np_fn(input._data, other._data)))
        except ValueError:
            raise broadcast_error(input._data.shape, other._data.shape) from None
    return op


logical_and = _logical(np.logical_and)
logical_or = _logical(np.logical_or)
logical_xor = _logical(np.logical_xor)


def logical_not(input):
    return wrap(np.logical_not(input._data))


def bitwise_not(input):
    x = input._data
    if x.dtype.kind not in "iub":
        names = {"float32": "Float", "float64": "Double", "float16": "Half"}
        raise NotImplementedError(
            f'"bitwise_not_cpu" not implemented for \'{names.get(x.dtype.name, x.dtype.name)}\'')
    return wrap(np.invert(x))


def _invert(input):
    """``~t``: Python's operator has its own text in torch (the function form's differs)."""
    if input._data.dtype.kind not in "iub":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(input)


def _bitwise(np_fn, cname):
    def op(self, other):
        other = operand(other)
        xa, xb = binary_data(self, other)
        if np.asarray(xa).dtype.kind == "f":
            dt = _dtype.from_numpy_dtype(np.asarray(xa).dtype).name
            raise NotImplementedError(
                f'"{cname}_cpu" not implemented for \'{"Float" if dt == "float32" else "Double"}\'')
        return wrap(np.asarray(np_fn(xa, xb)))
    return op


_and = _bitwise(np.bitwise_and, "bitwise_and")
_or = _bitwise(np.bitwise_or, "bitwise_or")
_xor = _bitwise(np.bitwise_xor, "bitwise_xor")
