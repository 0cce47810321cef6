"""From a recorded call to a catalog node: which op, which tensor goes to which port, params.

The engine's functions take torch's argument names, and the catalog's ports and params use the
same names; so a call is bound against the original function's signature and each bound
argument finds its port or param by name. Anything left over -- an argument the catalog's node
has no place for, holding a value other than the default -- is refused by name, never dropped.
"""
from __future__ import annotations

import inspect

from engine import Tensor

from .. import catalog
from ..errors import ParamError
from .errors import ScriptImportError

# api (as the tracer names it) -> catalog key, for names that differ from the key
_ALIASES = {
    "subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div",
    "negative": "neg", "clip": "clamp", "swapaxes": "transpose", "greater": "gt",
    "less": "lt", "greater_equal": "ge", "less_equal": "le", "not_equal": "ne",
    "concat": "cat", "concatenate": "cat", "clamp_min": "clamp", "clamp_max": "clamp",
    "__add__": "add", "__radd__": "add", "__sub__": "sub", "__rsub__": "sub",
    "__mul__": "mul", "__rmul__": "mul", "__truediv__": "div", "__rtruediv__": "div",
    "__pow__": "pow", "__rpow__": "pow", "__neg__": "neg", "__abs__": "abs",
    "__matmul__": "matmul", "__rmatmul__": "matmul", "__eq__": "eq", "__ne__": "ne",
    "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge",
    "__invert__": "bitwise_not", "view_as": "view", "reshape_as": "reshape",
}
# operands swapped: ``2 - x`` calls ``x.__rsub__(2)``
_REVERSED = frozenset({"__rsub__", "__rtruediv__", "__rpow__", "__rmatmul__"})
# signature parameter -> catalog name
_RENAME = {"self": "input", "tensor": "other"}


class Bound:
    """A call bound to a catalog op: ``inputs`` maps each port to a Tensor, a Python number
    (the builder makes it a literal node), a list (variadic) or None (unwired)."""

    __slots__ = ("key", "inputs", "params")

    def __init__(self, key, inputs, params):
        self.key = key
        self.inputs = inputs
        self.params = params


def display(api: str) -> str:
    """The API as the user wrote it: ``torch.matmul``, ``x.pow()``, ``x + y``."""
    if api.startswith("Tensor."):
        name = api[7:]
        return f"the operator {name}" if name.startswith("__") else f"Tensor.{name}()"
    if api.startswith("autograd.Function:"):
        return f"custom autograd.Function {api.split(':', 1)[1]}"
    return api.replace("F.", "torch.nn.functional.", 1)


def catalog_key(api: str) -> str | None:
    if api.startswith("autograd.Function:"):
        return None
    name = api.split(".", 1)[1] if "." in api else api
    if api.startswith("F."):
        key = "F." + name
    else:
        key = _ALIASES.get(name, name)
    spec = catalog.CATALOG.get(key)
    if spec is None or spec.is_source:
        return None
    return key


def _is_sentinel(v) -> bool:
    return type(v) is object  # the engine's "argument not given" markers


def _default_of(param: inspect.Parameter):
    d = param.default
    return None if d is inspect.Parameter.empty or _is_sentinel(d) else d


_SIGNATURES: dict = {}


def _signature(fn) -> inspect.Signature:
    sig = _SIGNATURES.get(fn)
    if sig is None:
        sig = _SIGNATURES[fn] = inspect.signature(fn)
    return sig


def _bind(call):
    try:
        sig = _signature(call.fn)
        ba = sig.bind(*call.args, **call.kwargs)
    except (TypeError, ValueError) as e:  # pragma: no cover - the call itself succeeded
        raise ScriptImportError(f"{display(call.api)}: cannot read its arguments ({e})",
                                call.line, "unsupported") from None
    values = {}
    defaults = {}
    for name, param in sig.parameters.items():
        cat_name = _RENAME.get(name, name)
        defaults[cat_name] = _default_of(param)
        if name in ba.arguments:
            v = ba.arguments[name]
            if param.kind is inspect.Parameter.VAR_KEYWORD:
                if v:
                    raise ScriptImportError(f"{display(call.api)}: keyword arguments "
                                            f"{', '.join(v)} have no place in the catalog's "
                                            "node", call.line, "unsupported")
                continue
            values[cat_name] = None if _is_sentinel(v) else v
        else:
            values[cat_name] = defaults[cat_name]
    return values, defaults


def bind(call) -> Bound:
    """Raises ScriptImportError naming the line and what is missing."""
    key = _catalog_key_of(call)
    spec = catalog.CATALOG[key]
    values, defaults = _bind(call)
    _rewrite_method_forms(call.api.split(".", 1)[1], values)
    _rewrite_torch_forms(key, spec, values)
    inputs = _take_inputs(call, spec, values)
    params = _take_params(call, spec, values)
    _refuse_leftovers(call, key, values, defaults)
    try:
        params = catalog.validate_params(spec, params)
    except ParamError as e:
        raise ScriptImportError(f"{display(call.api)}: {e}", call.line, "unsupported") from None
    return Bound(key, inputs, params)


def _catalog_key_of(call) -> str:
    """The catalog row for the call, or the refusal that says why there is none."""
    key = catalog_key(call.api)
    if key is not None:
        return key
    if call.api.startswith("autograd.Function:"):
        raise ScriptImportError(
            f"{display(call.api)} is not imported: a user-defined backward formula has no "
            "catalog node (write its forward with torch ops to see it on the canvas)",
            call.line, "refused")
    raise ScriptImportError(f"{display(call.api)} has no catalog node", call.line,
                            "unsupported")


def _rewrite_method_forms(name: str, values: dict) -> None:
    """Method spellings whose arguments the catalog row names differently."""
    if name in _REVERSED:  # x.__rsub__(y) is y - x
        values["input"], values["other"] = values.get("other"), values.get("input")
    if name in ("view_as", "reshape_as"):
        values["shape"] = tuple(values.pop("other").shape)
    if name in ("clamp_min", "clamp_max"):
        v = values.pop("min", None)
        if v is None:
            v = values.pop("max", None)
        values.update({"min": v, "max": None} if name == "clamp_min" else
                      {"min": None, "max": v})


def _rewrite_torch_forms(key: str, spec, values: dict) -> None:
    """torch's alternative spellings of one argument: unbiased= for correction=, varargs
    shapes, __rpow__'s operand."""
    if key in ("var", "std"):
        correction, unbiased = values.pop("correction", None), values.pop("unbiased", None)
        values["correction"] = correction if correction is not None else (
            1 if unbiased is None or unbiased else 0)
    for vararg in ("shape", "dims"):  # x.view(2, 3) and x.view((2, 3)) alike
        v = values.get(vararg)
        if isinstance(v, tuple) and len(v) == 1 and isinstance(v[0], (list, tuple)):
            values[vararg] = tuple(v[0])
    if spec.port("exponent") is not None and "other" in values and "exponent" not in values:
        values["exponent"] = values.pop("other")  # __rpow__'s operand


def _take_inputs(call, spec, values: dict) -> dict:
    """The row's input ports, popped from ``values``: tensors, numbers (a literal, or the
    row's ``scalar`` param) or None for an optional port."""
    inputs = {}
    for port in spec.inputs:
        v = values.pop(port.name, None)
        if isinstance(v, Tensor) or (port.variadic and isinstance(v, (list, tuple))):
            inputs[port.name] = list(v) if port.variadic else v
        elif v is None:
            if not port.optional:
                raise ScriptImportError(f"{display(call.api)}: input {port.name!r} is missing",
                                        call.line, "unsupported")
            inputs[port.name] = None
        elif isinstance(v, (bool, int, float)):
            if spec.param("scalar") is not None and port.optional:
                values["scalar"] = v
                inputs[port.name] = None
            else:
                inputs[port.name] = v  # the builder makes a literal 0-dim tensor
        else:
            raise ScriptImportError(f"{display(call.api)}: {port.name}={v!r} is not a tensor",
                                    call.line, "unsupported")
    return inputs


def _take_params(call, spec, values: dict) -> dict:
    """The row's params, popped from ``values`` (a tensor has no place in a param)."""
    params = {}
    for p in spec.params:
        if p.name in values:
            v = values.pop(p.name)
            if isinstance(v, Tensor):
                raise ScriptImportError(f"{display(call.api)}: a tensor as {p.name}= has no "
                                        "place in the catalog's node", call.line,
                                        "unsupported")
            if isinstance(v, tuple) and p.kind in ("shape", "dims"):
                v = tuple(int(x) for x in v)
            params[p.name] = v
    return params


def _refuse_leftovers(call, key: str, values: dict, defaults: dict) -> None:
    """Arguments the node has no place for: fine at their default, else refused."""
    for n, v in values.items():
        if n == "scalar" or v is None or v is False or _same(v, defaults.get(n)):
            continue
        if n in ("dtype", "memory_format", "out", "_stacklevel", "size_average", "reduce"):
            if v == defaults.get(n) or n == "_stacklevel":
                continue
        raise ScriptImportError(f"{display(call.api)}: {n}={v!r} has no place in the "
                                f"catalog's {key} node", call.line, "unsupported")


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False
