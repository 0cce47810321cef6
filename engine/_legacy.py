"""torch's legacy constructors: ``torch.Tensor(...)``, ``torch.FloatTensor`` & co, and
``torch.autograd.Variable``, which old tutorials still use.

As in torch, ``torch.FloatTensor([1, 2])`` builds a plain ``Tensor`` of float32 (its
``type()`` is ``torch.Tensor``), while ``isinstance(t, torch.FloatTensor)`` tests the dtype.
Sizes give uninitialised memory in torch; the engine fills it with zeros (same shape and
dtype; the values of uninitialised memory are arbitrary in torch anyway).
"""
from __future__ import annotations

import warnings

import numpy as np

from . import _dtype
from ._device import check_device


def _is_size(args) -> bool:
    from ._tensor import Size
    if len(args) == 1 and isinstance(args[0], Size):
        return True
    return len(args) > 0 and all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                                 for a in args)


def construct(cls, dt, args, kwargs):
    """torch's legacy_tensor_ctor for ``dt`` (None: the default dtype)."""
    from ._tensor import Tensor
    device = kwargs.pop("device", None)
    if "size" in kwargs and not args:
        args = (tuple(kwargs.pop("size")),)
    if kwargs:
        got = ", ".join([type(a).__name__ for a in args] +
                        [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
        raise TypeError(
            f"new() received an invalid combination of arguments - got ({got}), but expected "
            "one of:\n * (*, torch.device device = None)\n * (torch.Storage storage)\n"
            " * (Tensor other)\n * (tuple of ints size, *, torch.device device = None)\n"
            " * (object data, *, torch.device device = None)\n")
    check_device(device)
    npd = (dt or _dtype.get_default_dtype()).np
    if not args:
        t = Tensor._make(np.zeros((0,), npd))
    elif _is_size(args):
        shape = tuple(int(a) for a in (args[0] if len(args) == 1 and isinstance(args[0], tuple)
                                       else args))
        t = Tensor._make(np.zeros(shape, npd))
    elif len(args) == 1 and isinstance(args[0], Tensor):
        src = args[0]
        if src._data.dtype != npd:
            raise TypeError(f"expected {_opts(npd)} (got {_opts(src._data.dtype)})")
        t = Tensor._make(src._data)  # torch returns an alias of the same memory
    elif len(args) == 1:
        data = args[0]
        if isinstance(data, str):
            raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
        if not isinstance(data, (list, tuple, range, np.ndarray)):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        from .ops.creation import tensor
        t = tensor(data, dtype=_dtype.from_numpy_dtype(np.dtype(npd)))
    else:
        raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
    if cls is not Tensor:  # a subclass (nn.Parameter...) keeps its class
        sub = object.__new__(cls)
        sub._data, sub._requires_grad, sub.grad_fn = t._data, False, None
        return sub
    return t


_OPT_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "bool": "bool"}


def _opts(npd) -> str:
    return (f"TensorOptions(dtype={_OPT_NAMES[np.dtype(npd).name]}, device=cpu, layout=Strided, "
            "requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")


class _LegacyType(type):
    """The metaclass of torch.FloatTensor & co: calling builds a Tensor of that dtype,
    isinstance tests the dtype."""

    def __call__(cls, *args, **kwargs):
        from ._tensor import Tensor
        return construct(Tensor, cls._dtype, args, kwargs)

    def __instancecheck__(cls, obj) -> bool:
        from ._tensor import Tensor
        return isinstance(obj, Tensor) and obj._data.dtype == cls._dtype.np

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _legacy(name: str, dt) -> type:
    return _LegacyType(name, (), {"_dtype": dt, "__module__": "torch"})


FloatTensor = _legacy("FloatTensor", _dtype.float32)
DoubleTensor = _legacy("DoubleTensor", _dtype.float64)
HalfTensor = _legacy("HalfTensor", _dtype.float16)
LongTensor = _legacy("LongTensor", _dtype.int64)
IntTensor = _legacy("IntTensor", _dtype.int32)
ShortTensor = _legacy("ShortTensor", _dtype.int16)
CharTensor = _legacy("CharTensor", _dtype.int8)
ByteTensor = _legacy("ByteTensor", _dtype.uint8)
BoolTensor = _legacy("BoolTensor", _dtype.bool)
LEGACY = {c.__name__: c for c in (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor,
                                  ShortTensor, CharTensor, ByteTensor, BoolTensor)}


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        from ._tensor import Tensor
        return isinstance(obj, Tensor)

    def __call__(cls, data=None, requires_grad=False, volatile=None):
        """torch.autograd.Variable: since torch 0.4 it returns a Tensor."""
        from ._tensor import Tensor
        if volatile is not None:
            warnings.warn("volatile was removed and now has no effect. Use `with "
                          "torch.no_grad():` instead.", UserWarning, stacklevel=2)
        if data is None:
            return Tensor._make(np.zeros((0,), _dtype.get_default_dtype().np))
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        t = Tensor._make(data._data)
        if requires_grad:
            t.requires_grad_(True)
        return t


class Variable(metaclass=_VariableMeta):
    __module__ = "torch.autograd.variable"
