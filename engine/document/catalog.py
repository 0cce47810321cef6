"""The op catalog: every node type a person can place, declared once.

Palette, inspector, validation, execution and code export all read ``CATALOG``; adding an op is
adding one row in ``catalog_ops.py``. ``call`` runs the op on a torch-like module (``engine``,
or the real ``torch`` in parity tests); ``code`` writes it as a PyTorch expression over
variable names.
"""
from __future__ import annotations

import keyword
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import repeat

from .errors import ParamError, UnknownOpError

MAX_ELEMENTS = 10**8  # sources refuse to allocate more than this (randn(10**6, 10**6) ...)
FLOAT_DTYPES = ("float32", "float64", "float16")
DTYPES = FLOAT_DTYPES + ("int64", "int32", "int16", "int8", "uint8", "bool")
REDUCTIONS = ("mean", "sum", "none")
CATEGORIES = ("Sources", "Arithmetic", "Pointwise", "Comparison", "Reductions", "Shape",
              "Linear algebra", "Activations", "Losses", "Neural network", "In-place",
              "Autograd")
KINDS = ("int", "float", "number", "bool", "choice", "shape", "dims", "dtype", "str", "literal")


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # one of KINDS
    default: object
    choices: tuple = ()
    minimum: float | None = None  # for "shape": the smallest entry (-1 lets reshape infer)
    maximum: float | None = None
    optional: bool = False  # None allowed (e.g. dim=None)
    doc: str = ""


@dataclass(frozen=True)
class Port:
    name: str
    optional: bool = False
    variadic: bool = False  # cat/stack: any number of wires, ordered by Wire.index
    differentiable: bool = True  # False: torch never sends gradient here (where's condition)


@dataclass(frozen=True)
class OpSpec:
    key: str
    category: str
    title: str
    inputs: tuple[Port, ...]
    params: tuple[Param, ...]
    doc: str
    call: Callable  # call(module, inputs, params) -> Tensor
    code: Callable  # code(args, params, **kw) -> str; sources accept requires_grad=bool
    is_source: bool = False
    differentiable: bool = True
    numel: Callable | None = None  # sources: elements the params would allocate
    # op-specific behaviour as data, so no other module asks "if op == ...":
    name_prefix: str | None = None  # new nodes are named <prefix>1, <prefix>2 (None: the key)
    float_source: Callable | None = None  # sources without a dtype param: params -> float?
    result_numel: Callable | None = None  # (input shapes, params) -> result elements, for
    #   ops whose result can dwarf their inputs (broadcasting, products); checked pre-alloc
    formula: str | None = None  # the vector-Jacobian product as text (shown on edges)
    # in-place ops (issue 14): the input port whose tensor the op modifies and returns
    # (torch's ``self``); the model orders and checks writers by it (inplace.py)
    inplace: str | None = None
    view_of: str | None = None  # view ops: the input whose storage the output shares

    @property
    def prefix(self) -> str:
        return self.name_prefix or self.key.rsplit(".", 1)[-1]

    def makes_float(self, params: dict) -> bool:
        """Whether a source's dtype is floating (torch refuses requires_grad otherwise)."""
        dtype = params.get("dtype")
        if dtype is not None:
            return dtype in FLOAT_DTYPES
        return True if self.float_source is None else bool(self.float_source(params))

    def port(self, name: str) -> Port | None:
        for p in self.inputs:
            if p.name == name:
                return p
        return None

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None


CATALOG: dict[str, OpSpec] = {}


def get(key: str) -> OpSpec:
    try:
        return CATALOG[key]
    except (KeyError, TypeError):
        raise UnknownOpError(f"unknown op {key!r}") from None


def categories() -> dict[str, list[OpSpec]]:
    out: dict[str, list[OpSpec]] = {c: [] for c in CATEGORIES}
    for spec in CATALOG.values():
        out.setdefault(spec.category, []).append(spec)
    return out


# -- parameter validation -----------------------------------------------------------------
def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _literal_shape(value, where: str) -> tuple:
    """Shape of a nested-list literal; raises ParamError unless rectangular numbers/bools."""
    if isinstance(value, (list, tuple)):
        if all(map(isinstance, value, repeat((bool, int, float)))):
            return (len(value),)  # a row of numbers (most of a literal): checked in C
        shapes = {_literal_shape(v, where) for v in value}
        if len(shapes) > 1:
            raise ParamError(f"{where}: expected sequence of equal length lists")
        return (len(value),) + (shapes.pop() if shapes else ())
    if isinstance(value, (bool, int, float)):
        return ()
    raise ParamError(f"{where}: a tensor literal holds numbers or booleans, got "
                     f"{type(value).__name__}")


def _as_list(value):
    return [_as_list(v) for v in value] if isinstance(value, (list, tuple)) else value


# Every int a param holds fits a C int (what Qt's spin boxes hold): a file or an editor
# cannot hand the inspector -2**63. Dims, seeds, sizes in use are far smaller anyway.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def _int_range(p: Param) -> tuple[int, int]:
    lo = INT_MIN if p.minimum is None else max(INT_MIN, int(p.minimum))
    hi = INT_MAX if p.maximum is None else min(INT_MAX, int(p.maximum))
    return lo, hi


def _v_int(p, where, value):
    if not _is_int(value):
        raise ParamError(f"{where}: expected an int, got {value!r}")
    lo, hi = _int_range(p)
    if not INT_MIN <= value <= INT_MAX:
        raise ParamError(f"{where}: {value} is out of range: expected an int in "
                         f"[{lo}, {hi}]")
    return value


def _v_number(p, where, value):
    if not _is_number(value) or (isinstance(value, float) and math.isnan(value)):
        raise ParamError(f"{where}: expected a number, got {value!r}")
    return float(value) if p.kind == "float" else value


def _v_bool(p, where, value):
    if not isinstance(value, bool):
        raise ParamError(f"{where}: expected true or false, got {value!r}")
    return value


def _v_choice(p, where, value):
    if value not in p.choices:
        raise ParamError(f"{where}: expected one of {', '.join(map(str, p.choices))}, "
                         f"got {value!r}")
    return value


def _v_str(p, where, value):
    if not isinstance(value, str):
        raise ParamError(f"{where}: expected a string, got {value!r}")
    return value


def _v_shape(p, where, value):
    if _is_int(value):
        value = (value,)
    if not isinstance(value, (list, tuple)) or not all(_is_int(v) for v in value):
        raise ParamError(f"{where}: expected a shape (a list of ints), got {value!r}")
    value = tuple(value)
    lo = 0 if p.minimum is None else p.minimum
    if any(v < lo for v in value):
        raise ParamError(f"{where}: sizes must be >= {lo}, got {list(value)}")
    if any(v > INT_MAX for v in value):
        raise ParamError(f"{where}: sizes must be <= {INT_MAX}, got {list(value)}")
    if len(value) > 8:
        raise ParamError(f"{where}: at most 8 dimensions, got {len(value)}")
    return value


def _v_dims(p, where, value):
    many = isinstance(value, (list, tuple))
    items = value if many else (value,)
    if not all(_is_int(v) for v in items):
        raise ParamError(f"{where}: expected an int or a list of ints, got {value!r}")
    if not all(INT_MIN <= v <= INT_MAX for v in items):
        raise ParamError(f"{where}: {value!r} is out of range: expected ints in "
                         f"[{INT_MIN}, {INT_MAX}]")
    return tuple(value) if many else value


def _v_literal(p, where, value):
    shape = _literal_shape(value, where)
    if math.prod(shape) > MAX_ELEMENTS:
        raise ParamError(f"{where}: literal too large")
    return _as_list(value)


_VALIDATORS = {"int": _v_int, "float": _v_number, "number": _v_number, "bool": _v_bool,
               "choice": _v_choice, "dtype": _v_choice, "str": _v_str, "shape": _v_shape,
               "dims": _v_dims, "literal": _v_literal}


def validate_param(spec: OpSpec, name: str, value):
    """One parameter's normalized value (tuples for shapes/dims); raises ParamError."""
    p = spec.param(name)
    if p is None:
        raise ParamError(f"{spec.key}: unknown parameter {name!r}")
    where = f"{spec.key}.{name}"
    if value is None:
        if p.optional:
            return None
        raise ParamError(f"{where}: a value is required")
    check = _VALIDATORS.get(p.kind)
    if check is None:  # pragma: no cover - catalog bug
        raise ParamError(f"{where}: unknown parameter kind {p.kind!r}")
    value = check(p, where, value)
    if p.kind == "dims":  # conv/pool sizes: an int or one int per spatial dim, all bounded
        for v in value if isinstance(value, tuple) else (value,):
            if p.minimum is not None and v < p.minimum:
                raise ParamError(f"{where}: must be >= {p.minimum}, got {_r(value)}")
            if p.maximum is not None and v > p.maximum:
                raise ParamError(f"{where}: must be <= {p.maximum}, got {_r(value)}")
    if _is_number(value) and p.kind in ("int", "float", "number"):
        if p.minimum is not None and value < p.minimum:
            raise ParamError(f"{where}: must be >= {p.minimum}, got {value!r}")
        if p.maximum is not None and value > p.maximum:
            raise ParamError(f"{where}: must be <= {p.maximum}, got {value!r}")
    return value


def validate_params(spec: OpSpec, params: dict | None) -> dict:
    """All of ``spec``'s params in declaration order, defaults filled; raises ParamError."""
    params = dict(params or {})
    for name in params:
        if spec.param(name) is None:
            raise ParamError(f"{spec.key}: unknown parameter {name!r}")
    out = {p.name: validate_param(spec, p.name, params.get(p.name, p.default))
           for p in spec.params}
    check_size(spec, out)
    return out


def check_size(spec: OpSpec, params: dict) -> None:
    """Refuse sources that would allocate absurd tensors, before any allocation."""
    if spec.numel is None:
        return
    n = spec.numel(params)
    if n > MAX_ELEMENTS:
        raise ParamError(f"{spec.key}: refusing to allocate {n:,} elements (limit "
                         f"{MAX_ELEMENTS:,}); choose a smaller size")


def is_valid_name(name) -> bool:
    return (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)
            and name not in RESERVED_NAMES)


# Names the exported scripts need for themselves.
RESERVED_NAMES = frozenset({"torch", "F", "engine", "np", "numpy", "math"})


# -- code helpers ---------------------------------------------------------------------------
def _r(v) -> str:
    """A param value as Python source."""
    if isinstance(v, tuple):
        return "(" + ", ".join(_r(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    return repr(v)


def _kw(params: dict, names, skip=None) -> str:
    """``, name=value`` for each param whose value differs from ``skip[name]``."""
    skip = skip or {}
    parts = []
    for n in names:
        v = params.get(n)
        if n in skip and v == skip[n]:
            continue
        if n == "dtype" and v is not None:
            parts.append(f", dtype=torch.{v}")
        else:
            parts.append(f", {n}={_r(v)}")
    return "".join(parts)


def _dtype(m, name):
    return None if name is None else getattr(m, name)


_FN_CACHE: dict = {}


def _fn(m, path: str):
    """``m.nn.functional.relu`` from ``(m, "nn.functional.relu")``, cached: calls are hot."""
    try:
        return _FN_CACHE[m, path]
    except (KeyError, TypeError):
        f = m
        for part in path.split("."):
            f = getattr(f, part)
        try:
            _FN_CACHE[m, path] = f
        except TypeError:  # pragma: no cover - unhashable module stand-in
            pass
        return f


_ELEMENTWISE = ("Arithmetic", "Pointwise", "Comparison")


def _broadcast_numel(shapes, params) -> int:
    return math.prod(_broadcast_shapes(*shapes))


def _broadcast_shapes(*shapes) -> tuple:
    """numpy.broadcast_shapes without importing numpy here (ValueError if incompatible)."""
    out: list = []
    for shape in shapes:
        shape = tuple(shape)
        n = max(len(out), len(shape))
        a, b = [1] * (n - len(out)) + out, [1] * (n - len(shape)) + list(shape)
        if any(x != y and 1 not in (x, y) for x, y in zip(a, b)):
            raise ValueError(f"shapes {shapes} cannot be broadcast")
        out = [y if x == 1 else x for x, y in zip(a, b)]
    return tuple(out)


def _product_numel(shapes, params) -> int:
    """matmul/mm/bmm (and addmm's mat1 @ mat2): batch dims broadcast, rows x columns."""
    a, b = shapes[-2:] if len(shapes) == 3 else shapes[:2]
    cols = b[-1] if len(b) >= 2 else 1
    rows = a[-2] if len(a) >= 2 else 1
    return math.prod(_broadcast_shapes(a[:-2], b[:-2])) * rows * cols


def _linear_numel(shapes, params) -> int:
    a, w = shapes[:2]
    return math.prod(a[:-1]) * (w[0] if len(w) >= 2 else 1)


def _add(spec: OpSpec) -> OpSpec:
    assert spec.key not in CATALOG, spec.key
    assert spec.category in CATEGORIES, spec.category
    if spec.result_numel is None and spec.category in _ELEMENTWISE and len(spec.inputs) >= 2:
        spec = replace(spec, result_numel=_broadcast_numel)  # broadcasting can grow it
    CATALOG[spec.key] = spec
    return spec


def _size_args(shape) -> str:
    return ", ".join(map(str, shape)) if shape else "()"


def _rg(requires_grad: bool) -> str:
    return ", requires_grad=True" if requires_grad else ""


def _generator(seed) -> str:
    return "" if seed is None else f", generator=torch.Generator().manual_seed({seed})"


def _gen(m, seed):
    return None if seed is None else m.Generator().manual_seed(seed)


# The rows themselves (after everything they use is defined).
from . import catalog_inplace as _inplace_rows  # noqa: E402,F401
from . import catalog_nn as _nn_rows  # noqa: E402,F401
from . import catalog_ops as _rows  # noqa: E402,F401
from .catalog_ops import NOT_NODES  # noqa: E402,F401
