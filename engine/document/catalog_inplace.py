"""Catalog rows for torch's in-place ops (issue 14): ``x.add_(y)``, ``x.relu_()``,
``x[i] = v``, ...

Each row modifies the tensor wired into its ``self`` port (``OpSpec.inplace = "self"``) and
returns it, as torch does: the node's output *is* that tensor, at its next version. What an
in-place node means for the order nodes run in, for wiring and for re-running forward is the
model's rule (``inplace.py``); these rows only say how to call and write each op.
"""
from __future__ import annotations

from .catalog import OpSpec, Param, Port, _add, _kw, _r
from .catalog_ops import VJP

CAT = "In-place"
SELF = Port("self")  # torch's name for the tensor a method modifies
_NONE2 = {"min": None, "max": None}
_CLAMP = (Param("min", "number", 0.0, optional=True), Param("max", "number", None, optional=True))


def _inplace(key, doc, inputs=(), params=(), call=None, code=None, formula=None,
             differentiable=True, prefix=None, title=None):
    _add(OpSpec(key, CAT, title or key, (SELF, *inputs), tuple(params), doc, call=call, code=code,
                formula=formula, differentiable=differentiable, inplace="self",
                name_prefix=prefix or key.rstrip("_").rsplit(".", 1)[-1] + "_"))


def _binary_(key, doc, formula, second="other", default=1):
    """``self.<key>(other)``: the second operand is a wire, or the ``scalar`` param."""
    def call(m, i, p):
        return getattr(i[0], key)(p["scalar"] if i[1] is None else i[1])

    def code(a, p):
        return f"{a[0]}.{key}({a[1] if a[1] is not None else _r(p['scalar'])})"

    _inplace(key, doc, (Port(second, optional=True),),
             (Param("scalar", "number", default, doc=f"used when {second} is not wired"),),
             call, code, formula)


_binary_("add_", "self += other, in place.", "AddBackward0: grad_self = grad; grad_other = grad")
_binary_("sub_", "self -= other, in place.",
         "SubBackward0: grad_self = grad; grad_other = -grad")
_binary_("mul_", "self *= other, in place.",
         "MulBackward0: grad_self = grad * other; grad_other = grad * self", default=2)
_binary_("div_", "self /= other, in place.",
         "DivBackward0: grad_self = grad / other; grad_other = -grad * self / other^2\n"
         "DivBackward1: grad_self = grad / other", default=2)
_binary_("pow_", "self **= exponent, in place.",
         "PowBackward0: grad_self = grad * exponent * self^(exponent-1)\n"
         "PowBackward1: grad_self = grad * exponent * self^(exponent-1); "
         "grad_exponent = grad * result * log(self)", second="exponent", default=2)


def _unary_(key, doc, formula):
    _inplace(key, doc, call=lambda m, i, p: getattr(i[0], key)(),
             code=lambda a, p: f"{a[0]}.{key}()", formula=formula)


for _k, _d in [("relu_", "max(self, 0), in place."), ("sigmoid_", "1 / (1 + exp(-self)), in "
               "place."), ("tanh_", "Hyperbolic tangent, in place."),
               ("exp_", "e ** self, in place.")]:
    _unary_(_k, _d, VJP[_k[:-1]])

_inplace("F.relu_", "torch.nn.functional.relu_: max(self, 0), in place.",
         call=lambda m, i, p: m.nn.functional.relu_(i[0]),
         code=lambda a, p: f"torch.nn.functional.relu_({a[0]})", formula=VJP["relu"],
         prefix="relu_", title="relu_ (F)")
_inplace("clamp_", "Limits self to [min, max], in place.", params=_CLAMP,
         call=lambda m, i, p: i[0].clamp_(min=p["min"], max=p["max"]),
         code=lambda a, p: f"{a[0]}.clamp_({_kw(p, ['min', 'max'], _NONE2)[2:]})",
         formula="ClampBackward1: grad_self = grad * ((self >= min) & (self <= max))")
_inplace("zero_", "Fills self with zeros.", call=lambda m, i, p: i[0].zero_(),
         code=lambda a, p: f"{a[0]}.zero_()",
         formula="ZeroBackward0: grad_self = zeros_like(grad)")
_inplace("fill_", "Fills self with value.", params=(Param("value", "number", 0.0),),
         call=lambda m, i, p: i[0].fill_(p["value"]),
         code=lambda a, p: f"{a[0]}.fill_({_r(p['value'])})",
         formula="FillBackward2: grad_self = zeros_like(grad)")
_inplace("copy_", "Copies src's values into self (broadcasting, casting to self's dtype).",
         (Port("src"),), call=lambda m, i, p: i[0].copy_(i[1]),
         code=lambda a, p: f"{a[0]}.copy_({a[1]})",
         formula="torch::autograd::CopyBackwards: grad_self = zeros_like(grad); "
                 "grad_src = grad.sum_to(src.shape)")
_inplace("masked_fill_", "value where mask is True, self elsewhere, in place.",
         (Port("mask", differentiable=False),), (Param("value", "number", 0.0),),
         call=lambda m, i, p: i[0].masked_fill_(i[1], p["value"]),
         code=lambda a, p: f"{a[0]}.masked_fill_({a[1]}, {_r(p['value'])})",
         formula="MaskedFillBackward0: grad_self = grad.masked_fill(mask, 0)")


# -- x[index] = value ---------------------------------------------------------------------
def parse_index(text: str) -> tuple:
    """A basic index written as in Python (``0``, ``1:``, ``:, 0``, ``..., ::2``, ``None``)
    as a tuple of ints, slices, Ellipsis and None. Never evaluates code; ValueError in plain
    words for anything else."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("index: write an index as in Python, e.g. 0, 1:, :, 0 or ..., -1")
    parts = []
    for raw in text.split(","):
        s = raw.strip()
        if s == "...":
            parts.append(Ellipsis)
        elif s == "None":
            parts.append(None)
        elif ":" in s:
            bits = s.split(":")
            if len(bits) > 3:
                raise ValueError(f"index: {s!r} is not a slice (start:stop:step)")
            parts.append(slice(*(_int(b, s) if b.strip() else None for b in bits)))
        else:
            parts.append(_int(s, s))
    return tuple(parts)


def _int(b: str, part: str) -> int:
    try:
        return int(b.strip())
    except ValueError:
        raise ValueError(f"index: {part!r} is not an int, a slice, ... or None (basic "
                         "indexing only)") from None


def index_source(parts: tuple) -> str:
    """The index as Python source, rebuilt from the parsed parts (only numbers reach the
    exported script)."""
    def one(p):
        if p is Ellipsis:
            return "..."
        if isinstance(p, slice):
            s = f"{'' if p.start is None else p.start}:{'' if p.stop is None else p.stop}"
            return s + (f":{p.step}" if p.step is not None else "")
        return repr(p)
    return ", ".join(one(p) for p in parts)


def _index(p):
    parts = parse_index(p["index"])
    return parts[0] if len(parts) == 1 else parts


def _setitem(m, i, p):
    self = i[0]
    self[_index(p)] = p["scalar"] if i[1] is None else i[1]
    return self


_inplace("__setitem__", "self[index] = value (basic indexing: ints, slices, ..., None); "
         "its grad_fn is CopySlices.", (Port("value", optional=True),),
         (Param("index", "str", "0", doc="as in Python: 0, 1:, :, 0, ..., -1"),
          Param("scalar", "number", 0.0, doc="used when value is not wired")),
         call=_setitem,
         code=lambda a, p: (f"{a[0]}[{index_source(parse_index(p['index']))}] = "
                            f"{a[1] if a[1] is not None else _r(p['scalar'])}"),
         formula="torch::autograd::CopySlices: grad_self = grad with grad[index] = 0; "
                 "grad_value = grad[index].sum_to(value.shape)",
         prefix="put", title="x[i] = v")
