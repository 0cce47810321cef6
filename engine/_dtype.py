"""torch-style dtype objects mapped onto NumPy dtypes.

torch prints dtypes as ``torch.float32``; code written against ``import engine as torch``
compares them with ``torch.float32``, so each dtype is a singleton with torch's repr.
"""
from __future__ import annotations

import numpy as np


class dtype:  # noqa: N801 - torch's name
    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype, is_floating_point: bool, is_signed: bool):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = is_floating_point
        self.is_signed = is_signed
        self.itemsize = self.np.itemsize

    @property
    def is_complex(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):  # dtypes pickle as their singleton
        return (_by_name, (self.name,))

    def to_complex(self):  # pragma: no cover - complex dtypes are out of scope
        raise TypeError(f"{self!r} has no complex counterpart in this engine")


float16 = half = dtype("float16", np.float16, True, True)
float32 = float = dtype("float32", np.float32, True, True)
float64 = double = dtype("float64", np.float64, True, True)
uint8 = dtype("uint8", np.uint8, False, False)
int8 = dtype("int8", np.int8, False, True)
int16 = short = dtype("int16", np.int16, False, True)
int32 = int = dtype("int32", np.int32, False, True)
int64 = long = dtype("int64", np.int64, False, True)
bool = dtype("bool", np.bool_, False, False)  # noqa: A001 - torch.bool

ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
_FROM_NP = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}
_NAMES.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64)

_default = [float32]


def _by_name(name: str) -> dtype:
    return _NAMES[name]


# torch's own list (its message names types this engine leaves out: complex, wide unsigned)
_TORCH_NP_TYPES = ("float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
                   "uint64, uint32, uint16, uint8, and bool")


def from_numpy_dtype(npd) -> dtype:
    """The engine dtype of a NumPy dtype; torch's TypeError for types torch cannot hold."""
    npd = np.dtype(npd)
    d = _FROM_NP.get(npd)
    if d is not None:
        return d
    if npd.kind in "fiub" and npd.isnative is False and npd.newbyteorder("=") in _FROM_NP:
        raise ValueError(
            "given numpy array has byte order different from the native byte order. "
            "Conversion between byte orders is currently not supported.")
    if npd.kind in "uc":  # torch has uint16/32/64 and complex; this engine does not
        raise TypeError(f"can't convert np.ndarray of type numpy.{npd.type.__name__}: this "
                        "engine supports float64, float32, float16, int64, int32, int16, "
                        "int8, uint8, and bool.")
    raise TypeError(f"can't convert np.ndarray of type numpy.{npd.type.__name__}. The only "
                    f"supported types are: {_TORCH_NP_TYPES}.")


def get_default_dtype() -> dtype:
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


# torch's names in messages such as "result type Float can't be cast to ... Long".
SCALAR_NAMES = {float16: "Half", float32: "Float", float64: "Double", uint8: "Byte",
                int8: "Char", int16: "Short", int32: "Int", int64: "Long", bool: "Bool"}


# torch's type-promotion categories: bool < integral < floating.
def category(d: dtype) -> int:
    if d is bool:
        return 0
    return 2 if d.is_floating_point else 1


def promote_types(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    ca, cb = category(a), category(b)
    if ca != cb:  # torch: the higher category wins outright (int64 + float16 -> float16)
        return a if ca > cb else b
    return _FROM_NP[np.promote_types(a.np, b.np)]


def can_cast(from_: dtype, to: dtype):
    """torch.can_cast: no casting to a lower category (float -> int, int -> bool)."""
    return category(from_) <= category(to)
