"""All engine ops. Importing this package binds the method forms and operators on Tensor.

Each op module declares ``METHODS`` (Tensor method name -> function) and ``__all__`` (the
functions exported as ``engine.<name>``); this package merges them, so adding an op touches
only its own module.
"""
from __future__ import annotations

import importlib

from .._tensor import Tensor
from . import _aliases
from ._util import operand

MODULES = ("arithmetic", "creation", "pointwise", "reduction", "linalg", "shape", "indexing",
           "nn_ops",
           "cumulative", "sorting", "comparison", "inplace")  # tensorapi (issue 11 B)

FUNCTIONS: dict = {}


def bind_methods(methods: dict, aliases: bool = False) -> None:
    for name, fn in methods.items():
        setattr(Tensor, name, _aliases.wrap_method(name, fn) if aliases else fn)


for _name in MODULES:
    try:
        _mod = importlib.import_module(f".{_name}", __name__)
    except ModuleNotFoundError as _e:  # a module not written yet
        if _e.name != f"{__name__}.{_name}":
            raise
        continue
    bind_methods(getattr(_mod, "METHODS", {}), aliases=True)
    for _fn in getattr(_mod, "__all__", ()):
        FUNCTIONS[_fn] = _aliases.wrap_function(_fn, getattr(_mod, _fn))

from . import arithmetic, linalg  # noqa: E402


# -- operators ---------------------------------------------------------------------------------
def _matmul(self, other):
    return linalg.matmul(self, operand(other))


def _rmatmul(self, other):
    return linalg.matmul(operand(other), self)


def _pos(self):
    if self._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return self


from ..autograd import saved as _saved_attrs  # noqa: E402

_saved_attrs.install()  # torch's grad_fn._saved_* names, once every node class exists

bind_methods({
    **arithmetic.OPERATORS,  # + - * / ** and unary -, with torch's operand rules
    "__matmul__": _matmul, "__rmatmul__": _rmatmul,
    "__pos__": _pos,
})
