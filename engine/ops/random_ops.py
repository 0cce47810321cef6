"""Random factories: rand, randn, randint and their *_like forms, drawn from a Generator
(default_generator unless one is passed). Split out of creation.py, which re-exports them.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._device import check_device
from .._random import default_generator
from .._tensor import Tensor
from ._creation_util import (
    _check_dtype,
    _finish,
    _float_only,
    _int_like,
    _like,
    _size,
    _sizes_arg,
    _tname,
)

# -- random ----------------------------------------------------------------------------------------

def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    check_device(device)
    shape = _sizes_arg(size, kw.pop("size", None), "rand")
    d = _check_dtype(dtype, "rand") or _dtype.get_default_dtype()
    _float_only(d, "check_uniform_bounds")
    g = generator or default_generator
    return _finish(g.uniform(shape, 0.0, 1.0, d.np), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    check_device(device)
    shape = _sizes_arg(size, kw.pop("size", None), "randn")
    d = _check_dtype(dtype, "randn") or _dtype.get_default_dtype()
    _float_only(d, "normal_kernel_cpu")
    g = generator or default_generator
    return _finish(g.normal(shape, d.np), requires_grad)


def _randint_values(low, high, shape, d, g) -> np.ndarray:
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    if d is _dtype.bool and (low < 0 or high - 1 > 1):
        raise RuntimeError("to - 1 is out of bounds for bool")
    return g.integers(low, high, shape).astype(d.np, copy=False)


def randint(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False,
            low=None, high=None) -> Tensor:
    check_device(device)
    """randint(high, size) or randint(low, high, size), torch's signatures."""
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    elif size is None and len(args) >= 2:
        raise TypeError(f"randint(): argument 'size' (position {len(args)}) must be tuple of "
                        f"ints, not {_tname(args[-1])}")
    if high is None and args:
        high = args.pop()
    if low is None:
        low = args.pop() if args else 0
    if args or size is None or high is None:
        got = ", ".join(_tname(a) for a in (*args, low, high) if a is not None)
        raise TypeError(f"randint() received an invalid combination of arguments - got ({got})")
    for name, v, pos in (("low", low, 1), ("high", high, 2 if low else 1)):
        if not _int_like(v):
            raise TypeError(f"randint(): argument '{name}' (position {pos}) must be int, not "
                            f"{_tname(v)}")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position 2) must be tuple of ints, not "
                        f"{_tname(size)}")
    shape = _size((size,), "randint")
    d = _check_dtype(dtype, "randint") or _dtype.int64
    data = _randint_values(int(low), int(high), shape, d, generator or default_generator)
    return _finish(data, requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    check_device(device)
    shape, d = _like("randn_like", input, dtype)
    _float_only(d, "normal_kernel_cpu")
    return _finish((generator or default_generator).normal(shape, d.np), requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    check_device(device)
    shape, d = _like("rand_like", input, dtype)
    _float_only(d, "check_uniform_bounds")
    return _finish((generator or default_generator).uniform(shape, 0.0, 1.0, d.np),
                   requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False,
                 generator=None) -> Tensor:
    check_device(device)
    shape, d = _like("randint_like", input, dtype)
    if high is None:
        low, high = 0, low
    data = _randint_values(int(low), int(high), shape, d, generator or default_generator)
    return _finish(data, requires_grad)
