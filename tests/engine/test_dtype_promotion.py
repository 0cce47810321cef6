"""Type promotion: every arithmetic op over every pair of operand kinds — dimensioned tensors,
zero-dim tensors and Python scalars of each category — gives torch 2.13's result dtype, values
and errors (torch.result_type: dimensioned > zero-dim > scalar, each only when of a higher
category bool < integral < floating)."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import engine

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SCALARS = [True, False, 2, -3, 300, 2.5, -0.5]
OPERANDS = ([("dim", d) for d in DTYPES] + [("zero", d) for d in DTYPES]
            + [("scalar", v) for v in SCALARS])


def make(T, kind, what):
    if kind == "scalar":
        return what
    if what == "bool":
        vals = [[True, False], [True, True]] if kind == "dim" else True
    else:
        vals = [[1, 2], [3, 0]] if kind == "dim" else 3
    return T.tensor(vals, dtype=getattr(T, what))


OPS = {
    "add": lambda T, a, b: T.add(a, b) if not isinstance(a, (int, float)) else a + b,
    "radd": lambda T, a, b: a + b,
    "sub": lambda T, a, b: a - b,
    "mul": lambda T, a, b: a * b,
    "div": lambda T, a, b: a / b,
    "pow": lambda T, a, b: a ** b,
    "fn_sub": lambda T, a, b: T.sub(a, b),
    "fn_div": lambda T, a, b: T.div(a, b),
    "fn_mul": lambda T, a, b: T.mul(a, b),
    "add_alpha": lambda T, a, b: T.add(a, b, alpha=2),
    "sub_alpha": lambda T, a, b: T.sub(a, b, alpha=2),
    "div_floor": lambda T, a, b: T.div(a, b, rounding_mode="floor"),
    "div_trunc": lambda T, a, b: T.div(a, b, rounding_mode="trunc"),
    "floordiv": lambda T, a, b: a // b,
}


def outcome(T, op, a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = op(T, a, b)
        except Exception as e:  # noqa: BLE001 - the error is part of the contract
            return ("raises", type(e).__name__, str(e))
    return ("ok", str(r.dtype), np.asarray(r.tolist(), dtype=float))


@pytest.mark.parametrize("opname", sorted(OPS))
def test_promotion_grid(torch, opname):
    op = OPS[opname]
    bad = []
    for (ka, va), (kb, vb) in itertools.product(OPERANDS, OPERANDS):
        if ka == "scalar" and kb == "scalar" and not opname.startswith("fn_"):
            continue
        t = outcome(torch, op, make(torch, ka, va), make(torch, kb, vb))
        e = outcome(engine, op, make(engine, ka, va), make(engine, kb, vb))
        if t[0] == "ok" and e[0] == "ok":
            same = t[1] == e[1] and np.allclose(t[2], e[2], rtol=1e-3, equal_nan=True)
        else:
            same = t == e
        if not same:
            bad.append(f"{ka} {va} {opname} {kb} {vb}: torch {t[:2]} engine {e[:2]}")
    assert not bad, "\n".join(bad[:20])


def test_result_type_and_promote_types(torch):
    for a, b in itertools.product(DTYPES, DTYPES):
        ta, tb = getattr(torch, a), getattr(torch, b)
        ea, eb = getattr(engine, a), getattr(engine, b)
        assert repr(engine.promote_types(ea, eb)) == repr(torch.promote_types(ta, tb))
        assert engine.can_cast(ea, eb) == torch.can_cast(ta, tb), (a, b)
    for (ka, va), (kb, vb) in itertools.product(OPERANDS, OPERANDS):
        if ka == "scalar" and kb == "scalar":
            continue
        t = torch.result_type(make(torch, ka, va), make(torch, kb, vb))
        e = engine.result_type(make(engine, ka, va), make(engine, kb, vb))
        assert repr(e) == repr(t), (ka, va, kb, vb)


def test_float32_stays_float32():
    x = engine.ones(3)
    for y in (x + 1, x * 2.5, x / 3, x + True, 2 / x, x ** 2, 2 ** x, x * np.float64(2),
              x + engine.tensor(1.0, dtype=engine.float64), x * engine.tensor([1, 2, 3])):
        assert y.dtype is engine.float32
        assert y._data.dtype == np.float32
