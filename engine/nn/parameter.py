"""nn.Parameter: a Tensor subclass a Module registers as a parameter (torch's class name)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor


class Parameter(Tensor):
    """``Parameter(data=None, requires_grad=True)``: shares ``data``'s memory, as torch."""

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            arr = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            raise TypeError(
                f"Parameter.__new__(): argument 'data' (position 1) must be Tensor, not "
                f"{type(data).__name__}")
        p = object.__new__(cls)
        p._data = arr
        p._requires_grad = False
        p.grad_fn = None
        if requires_grad:
            p.requires_grad = True  # torch's check: only floating point can require grad
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(Tensor._make(self._data.copy()), self._requires_grad)
        if self._grad is not None:
            p._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = p
        return p

    def __reduce_ex__(self, proto):
        return (_rebuild, (self._data, self._requires_grad))


def _rebuild(data, requires_grad):
    return Parameter(Tensor._make(data), requires_grad)


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (lazy modules fill it on the first call)."""

    __slots__ = ()
    cls_to_become = Parameter

    def __repr__(self) -> str:
        return "<UninitializedParameter>"

    __str__ = __repr__

    def materialize(self, shape, device=None, dtype=None) -> None:
        from .. import _dtype
        np_dtype = (dtype or _dtype.get_default_dtype()).np
        self._data = np.empty(tuple(shape), dtype=np_dtype)
        self.__class__ = self.cls_to_become

    def _shape_error(self, *args, **kwargs):
        raise ValueError(
            "Can't access the shape of an uninitialized parameter or buffer. This error "
            "usually happens in `load_state_dict` when trying to load an uninitialized "
            "parameter into an initialized one. Call `forward` to initialize the parameters "
            "before accessing their attributes.")


def is_lazy(param) -> bool:
    return isinstance(param, UninitializedParameter)


class Buffer:
    """nn.Buffer: marks a tensor assigned to a module attribute as a buffer."""

    def __new__(cls, data=None, *, persistent=True):
        t = data if data is not None else Tensor._make(np.empty((0,), dtype=np.float32))
        t = Tensor._make(t._data, t._requires_grad)
        t._buffer_persistent = persistent
        return t
