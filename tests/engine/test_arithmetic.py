"""Arithmetic ops (add, sub, rsub, mul, div, neg, pow, floor_divide and the operators): parity
with torch 2.13 for values, dtypes, grad_fn names, next_functions structure, gradients (nan/inf
patterns included), error texts, backward-twice behaviour and in-place operators."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine


def tree(fn) -> str:
    """grad_fn graph as text: names and the (node, index) structure of next_functions."""
    if fn is None:
        return "None"
    name = "AccumulateGrad" if hasattr(fn, "variable") else type(fn).__name__
    kids = ",".join(f"({tree(f)},{i})" for f, i in fn.next_functions)
    return f"{name}[{kids}]"


def _floats(x):
    return np.asarray(x, dtype=float)


def run(lib, src: str):
    """Execute ``src`` (which sets ``out`` and ``ins``), backward with ones; what came out."""
    env = {"T": lib, "np": np}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(src.replace(";", "\n"), env)  # noqa: S102 - test snippets only
        except Exception as e:  # noqa: BLE001
            return ("raises", type(e).__name__, str(e))
        out, ins = env["out"], env.get("ins", [])
        res = {"tree": tree(out.grad_fn), "dtype": str(out.dtype), "shape": tuple(out.shape),
               "value": _floats(out.tolist()), "leaf": out.is_leaf,
               "rg": out.requires_grad}
        if out.requires_grad:
            try:
                out.backward(lib.ones_like(out))
                res["grads"] = [None if x.grad is None else
                                (str(x.grad.dtype), _floats(x.grad.tolist())) for x in ins]
            except Exception as e:  # noqa: BLE001
                res["grads"] = ("raises", type(e).__name__, str(e))
    return res


def check(torch, src: str) -> None:
    t, e = run(torch, src), run(engine, src)
    if isinstance(t, tuple) or isinstance(e, tuple):
        assert e == t, src
        return
    for k in ("tree", "dtype", "shape", "leaf", "rg"):
        assert e[k] == t[k], (src, k, e[k], t[k])
    np.testing.assert_allclose(e["value"], t["value"], rtol=1e-6, atol=1e-7, equal_nan=True,
                               err_msg=src)
    if "grads" in t:
        tg, eg = t["grads"], e["grads"]
        if tg and tg[0] == "raises":
            assert eg == tg, src
            return
        assert len(eg) == len(tg), src
        for a, b in zip(eg, tg):
            assert (a is None) == (b is None), src
            if a is not None:
                assert a[0] == b[0], src
                np.testing.assert_allclose(a[1], b[1], rtol=1e-6, atol=1e-7, equal_nan=True,
                                           err_msg=src)
                # signs of zeros and infinities follow torch's formulas
                assert np.array_equal(np.signbit(a[1]), np.signbit(b[1])) or \
                    np.isnan(b[1]).any(), src


A = "a=T.tensor([1.,2],requires_grad=True);ins=[a];"
AB = "a=T.tensor([1.,2],requires_grad=True);b=T.tensor([[3.],[4]],requires_grad=True);ins=[a,b];"
Z = "a=T.tensor([0., 1., -1],requires_grad=True);ins=[a];"

GRAPH_CASES = [
    A + "out=a+1", A + "out=1+a", A + "out=a+1.5", A + "out=a-1", A + "out=1-a",
    A + "out=a*2", A + "out=2*a", A + "out=a/2", A + "out=2/a", A + "out=a**2", A + "out=2**a",
    A + "out=-a", A + "out=a.neg()", A + "out=T.neg(a)", A + "out=a+True", A + "out=a*True",
    A + "out=a/True", A + "out=a+np.float64(2)", A + "out=a*np.float32(2)",
    A + "out=np.float64(2)*a", A + "out=a/np.int64(2)", A + "out=a**np.float64(2)",
    A + "out=np.float64(2)**a", A + "out=2.**a",
    # functions with the number first: torch wraps it (no edge) and keeps the order
    A + "out=T.add(2, a)", A + "out=T.add(2, a, alpha=3)", A + "out=T.mul(2, a)",
    A + "out=T.sub(2, a)", A + "out=T.sub(1, a, alpha=2)", A + "out=T.div(2, a)",
    A + "out=T.pow(2, a)", A + "out=T.add(2.5, a)",
    A + "out=T.add(a, 2, alpha=3)", A + "out=T.sub(a, 2, alpha=3)", A + "out=a.sub(1, alpha=2)",
    A + "out=T.rsub(a, 1, alpha=2)", A + "out=T.rsub(a, 2)",
    A + "b=T.tensor([3.,5]);out=T.rsub(a, b, alpha=2)",
    A + "b=T.tensor([3.,5],requires_grad=True);ins=[a,b];out=T.rsub(a, b)",
    A + "out=a.add(T.tensor([1.,2]), alpha=0)", A + "out=T.tensor([1.,2]).add(a, alpha=0)",
    A + "out=a.mul(0)", A + "out=a*T.tensor(2.)", A + "out=a*T.tensor(2)",
    A + "out=T.true_divide(a, 2)", A + "out=T.multiply(a, a)", A + "out=T.subtract(a, 1)",
    A + "out=T.negative(a)", A + "out=T.divide(a, 2, rounding_mode='trunc')",
    A + "out=a.pow(2)", A + "out=a.pow(T.tensor(2))", A + "out=a.div(2, rounding_mode='floor')",
    A + "out=a*a", A + "out=a+a", A + "out=a-a", A + "out=a/a", A + "out=a**a",
    # broadcasting: gradients summed back to each input's shape
    AB + "out=a+b", AB + "out=T.add(a,b,alpha=2)", AB + "out=T.sub(a,b,alpha=2)", AB + "out=a*b",
    AB + "out=a/b", AB + "out=a**b", AB + "out=b-a", AB + "out=T.rsub(a, b, alpha=3)",
    "a=T.tensor([1.,2],requires_grad=True);b=T.tensor([[3.],[4]]);ins=[a];out=a**b",
    "a=T.tensor([1.,2]);b=T.tensor([[3.],[4]],requires_grad=True);ins=[b];out=a**b",
    "a=T.tensor([1.,2]);b=T.tensor([[3.],[4]],requires_grad=True);ins=[b];out=a-b",
    "a=T.tensor([1.,2]);b=T.tensor([[3.],[4]],requires_grad=True);ins=[b];out=a/b",
    "a=T.tensor([1.,2],requires_grad=True);b=T.tensor(3.,requires_grad=True);ins=[a,b];out=a*b",
    "a=T.tensor([1.,2],requires_grad=True);b=T.tensor(3.,requires_grad=True);ins=[a,b];out=b-a",
    "a=T.tensor([[1.5, 2.5]],requires_grad=True);ins=[a];out=T.ones(3,1)-a",
    "a=T.tensor([[1.5, 2.5]],requires_grad=True);ins=[a];out=T.ones(3,1)/a",
    "a=T.tensor([[1.5, 2.5]],requires_grad=True);ins=[a];out=T.ones(3,1)**a",
    "a=T.tensor(1.5,requires_grad=True);ins=[a];out=a*2",
    # mixed dtypes
    A + "b=T.tensor([1, 2]);out=a*b", A + "b=T.tensor([1, 2]);out=b/a",
    A + "b=T.tensor([1, 2]);out=b-a", A + "b=T.tensor([True, False]);out=a*b",
    A + "b=T.tensor([1, 2]);out=a**b", A + "b=T.tensor([1, 2]);out=b**a",
    "a=T.tensor([1.,2],requires_grad=True,dtype=T.float64);b=T.tensor([1., 2]);ins=[a];out=a*b",
    "a=T.tensor([1.,2],requires_grad=True);b=T.tensor(2.,dtype=T.float64,requires_grad=True);"
    "ins=[a,b];out=a*b",
    "a=T.tensor([1.,2],requires_grad=True);b=T.tensor(2.,dtype=T.float64,requires_grad=True);"
    "ins=[a,b];out=a/b",
    "a=T.tensor([1.,2],requires_grad=True,dtype=T.float16);ins=[a];out=a*2.5",
    # pow at 0 and with special exponents: nan/inf patterns as torch
    Z + "out=a**0", Z + "out=a**0.0", Z + "out=a**1", Z + "out=a**2", Z + "out=a**3",
    Z + "out=a**-1", Z + "out=a**-2", Z + "out=a**0.5", Z + "out=a**1.5", Z + "out=a**-0.5",
    Z + "out=a**True", Z + "out=a**T.tensor(0.)",
    "a=T.tensor([0., 1., -1],requires_grad=True);b=T.tensor([0.,0.,0.],requires_grad=True);"
    "ins=[a,b];out=a**b",
    "a=T.tensor([0., 0., 0.,0.],requires_grad=True);b=T.tensor([0.,1.,2.,-1],requires_grad=True);"
    "ins=[a,b];out=a**b",
    "a=T.tensor([0., 0., 0.,0.],requires_grad=True);b=T.tensor([0.5,1.5,-0.5,3.],"
    "requires_grad=True);ins=[a,b];out=a**b",
    "a=T.tensor([-1., -2., 2.,1.],requires_grad=True);b=T.tensor([0.5,2.,-0.5,3.],"
    "requires_grad=True);ins=[a,b];out=a**b",
    "b=T.tensor([0.,1.,-1.,0.5],requires_grad=True);ins=[b];out=0**b",
    "b=T.tensor([0.,1.,-1.,0.5],requires_grad=True);ins=[b];out=0.0**b",
    "b=T.tensor([0.,1.,-1.,0.5],requires_grad=True);ins=[b];out=(-2)**b",
    "b=T.tensor([0.,1.,-1.,0.5],requires_grad=True);ins=[b];out=1**b",
    "b=T.tensor([0.,1.,-1.,0.5],requires_grad=True);ins=[b];out=T.pow(3, b)",
    Z + "out=a/0", Z + "out=0/a", Z + "out=1/a",
    "a=T.tensor([0., 1., -1],requires_grad=True);b=T.tensor([0.,0,0],requires_grad=True);"
    "ins=[a,b];out=a/b",
    # rounding division: zero gradients; floor_divide has no derivative
    "a=T.tensor([1.5, -2.5],requires_grad=True);ins=[a];out=T.div(a, 2, rounding_mode='floor')",
    "a=T.tensor([1.5, -2.5],requires_grad=True);b=T.tensor([1.5, 2],requires_grad=True);"
    "ins=[a,b];out=T.div(a, b, rounding_mode='trunc')",
    "a=T.tensor([1.5, -2.5],requires_grad=True);ins=[a];out=T.div(3, a, rounding_mode='trunc')",
    "a=T.tensor([1.5, -2.5],requires_grad=True);ins=[a];out=a//2",
    "a=T.tensor([1.5, -2.5],requires_grad=True);ins=[a];out=2//a",
    "a=T.tensor([1.5, -2.5],requires_grad=True);b=T.tensor([1.5, 2],requires_grad=True);"
    "ins=[a,b];out=a//b",
    # no grad: leaves, integer results
    "a=T.tensor([1, 2]);ins=[];out=T.add(2.5, a)", "a=T.tensor([1, 2]);ins=[];out=T.mul(2.5, a)",
    "a=T.tensor([1, 2]);ins=[];out=T.sub(2.5, a)", "a=T.tensor([1, 2]);ins=[];out=T.div(3, a)",
    "a=T.tensor([1, 2]);ins=[];out=3 / a", "a=T.tensor([1, 2]);ins=[];out=3.5 / a",
    "a=T.tensor([True, False]);ins=[];out=3 / a",
    "a=T.tensor([1, 2],dtype=T.int8);ins=[];out=T.add(300, a)",
    "a=T.tensor([1, 2],dtype=T.int8);ins=[];out=300 * a",
    "ins=[];out=T.add(2, 3)", "ins=[];out=T.mul(1.5, 2)", "ins=[];out=T.div(1, 2)",
    "ins=[];out=T.sub(1, 2)", "ins=[];out=T.add(True, 2)",
    A + "with T.no_grad(): out=a*2+1", A + "with T.no_grad(): out=2/a",
]


@pytest.mark.parametrize("src", GRAPH_CASES)
def test_graph_values_grads(torch, src):
    check(torch, src)


VALUE_CASES = [
    "T.tensor([1.,2]) + np.array([1., 2.])", "T.tensor([1.]) * np.array([2.])",
    "T.tensor([1.]) - np.array([2.])", "T.tensor([1.]) ** np.array([2.])",
    "T.tensor([1.]) / np.array([2])", "T.tensor([1.], dtype=T.float64) * np.array([2.], "
    "dtype=np.float32)", "T.tensor([1.,2]) + np.float64(2)", "np.float64(2) + T.tensor([1.,2])",
    "T.tensor([1,2]) * np.float64(2)", "T.tensor([1,2]) + np.int32(2)",
    "T.tensor([1,2], dtype=T.int8) + np.int64(200)", "T.tensor([1,2], dtype=T.int32) * 2**40",
    "T.tensor([1,-2, 0]) / 0", "T.tensor([1., -1, 0]) / 0", "T.tensor([1,2]) / T.tensor([2, 0])",
    "T.tensor([7, -7]) // 2", "T.tensor([7., -7]) // 2", "7 // T.tensor([2, -2])",
    "T.div(T.tensor([7, -7]), 2, rounding_mode='trunc')",
    "T.div(T.tensor([7, -7]), 2, rounding_mode='floor')",
    "T.div(T.tensor([7., -7]), 2, rounding_mode='trunc')",
    "T.div(T.tensor([7., -7, 0]), 0, rounding_mode='floor')",
    "T.div(T.tensor([7., -7, 0]), 0, rounding_mode='trunc')",
    "T.div(T.tensor([7, -7]), 2.5, rounding_mode='floor')", "T.div(T.tensor([7, -7]), 0)",
    "T.div(7, T.tensor([2, -2]), rounding_mode='floor')",
    "T.div(T.tensor([-7.5, 7.5]), T.tensor([2., -2.]), rounding_mode='floor')",
    "T.div(T.tensor([5.]), T.tensor([0.1]), rounding_mode='floor')",
    "T.div(T.tensor([-0.5]), 1.0, rounding_mode='floor')",
    "T.div(T.tensor([-0.5]), 1.0, rounding_mode='trunc')",
    "T.div(T.tensor([-7], dtype=T.int8), T.tensor([2], dtype=T.int8), rounding_mode='trunc')",
    "T.div(T.tensor([-128], dtype=T.int8), -1, rounding_mode='trunc')",
    "T.tensor([1,2,3]) ** 2", "T.tensor([1,2,3]) ** 2.5", "T.tensor([1,2,3]) ** -1.0",
    "T.tensor([1,2,3]) ** T.tensor(2.)", "T.tensor([1,2,3]) ** T.tensor(-1)",
    "T.tensor([1,2,3]) ** T.tensor([-1, 0, 1])", "T.tensor([-1,-1,0]) ** T.tensor([-1, -2, -1])",
    "2 ** T.tensor([1,2,3])", "2.5 ** T.tensor([1,2,3])", "(-2) ** T.tensor([1.,0.5])",
    "0 ** T.tensor([0., 1., -1.])", "0 ** T.tensor([0, 1, 2])",
    "T.tensor([0., 0.]) ** T.tensor([0., -1.])", "T.tensor([-8.]) ** (1/3)",
    "T.tensor([2]) ** True", "T.tensor([2]) ** 0", "T.tensor([2.]) ** 0",
    "T.pow(T.tensor(2), T.tensor([1, 2], dtype=T.int8))", "T.pow(T.tensor([2], dtype=T.int8), 9)",
    "T.tensor([2.], dtype=T.float16) ** 20", "T.tensor([-1.5]) ** 0.5",
    "T.tensor([True, False]) ** True", "T.tensor([True, False]) ** False",
    "T.tensor([2, 3]) * True", "T.tensor([True, False]) * True",
    "T.tensor([True, False]) * T.tensor([True, True])",
    "T.tensor([True, False]) + T.tensor([True, True])",
    "T.tensor([True, False]) / T.tensor([True, True])", "T.tensor([True, False]) + 1.5",
    "T.add(T.tensor([True]), T.tensor([True]), alpha=2)", "T.add(T.tensor([1.]), 2, alpha=0.5)",
    "T.add(T.tensor([1, 2], dtype=T.uint8), -3)", "T.sub(T.tensor([1, 2], dtype=T.uint8), 3)",
    "T.tensor(3, dtype=T.int32) * T.tensor([1, 2], dtype=T.int8)",
    "T.tensor(3.) * T.tensor([1, 2], dtype=T.int8)", "T.tensor([1.]) * 1e200",
    "T.tensor([1.], dtype=T.float16) * 1e10", "-T.tensor([1, 2], dtype=T.int8)",
    "T.neg(T.tensor([1, 2], dtype=T.uint8))", "T.tensor([1.]).add(other=2, alpha=2)",
    "T.add(input=T.tensor([1.]), other=T.tensor([2.]))", "T.pow(T.tensor([1.]), exponent=2)",
    # errors
    "T.add(T.tensor([1,2]), T.tensor([1,2]), alpha=2.5)", "T.add(T.tensor([1,2]), 1, alpha=2.5)",
    "T.add(T.tensor([1.]), T.tensor([True]), alpha=True)",
    "T.add(T.tensor([1]), T.tensor([True]), alpha=True)",
    "T.sub(T.tensor([1,2]), T.tensor([1,2]), alpha=2.5)", "T.add(T.tensor([1.]), 2, alpha=None)",
    "T.add(T.tensor([1.]), T.tensor([1.]), alpha='a')",
    "T.add(T.tensor([1.]), 'a')", "T.add(T.tensor([1.]), [1.])", "T.add(T.tensor([1.]), "
    "np.array([1.]))", "T.add(np.array([1.]), T.tensor([1.]))", "T.add([1.], T.tensor([1.]))",
    "T.mul(T.tensor([1.]), None)", "T.sub(T.tensor([1.]), [1.])", "T.div(T.tensor([1.]), [1.])",
    "T.tensor([1.]).add([1.])", "T.tensor([1.]).add('a')", "T.tensor([1.]).mul(None)",
    "T.tensor([1.]) + 'a'", "'a' - T.tensor([1.])", "T.tensor([1.]) / 'a'",
    "'a' / T.tensor([1.])", "T.tensor([1.]) ** 'a'", "'a' ** T.tensor([1.])",
    "None * T.tensor([1.])", "T.tensor([1.]) + None", "T.tensor([1.]) + [1, 2]",
    "[1, 2] + T.tensor([1.])", "T.neg(2)", "T.neg(np.array([1.]))",
    "T.pow(T.tensor([1.]), [1.])", "T.pow(T.tensor([1.]), 'a')", "T.pow(2, 3)",
    "T.ones(2,3) + T.ones(4)", "T.ones(2,3) * T.ones(3,2)", "T.ones(2,3) - T.ones(2)",
    "T.ones(2,3) / T.ones(4,1)", "T.ones(2,3) ** T.ones(4,1)",
    "T.tensor(True) - T.tensor(True)", "-T.tensor([True])", "1 - T.tensor([True])",
    "True - T.tensor([1.])", "T.tensor([1.]) - True", "T.tensor([1]) - T.tensor([True])",
    "T.sub(T.tensor([True]), 1)", "T.rsub(T.tensor([True]), 1)",
    "T.tensor([1,2,3]) ** -1", "T.tensor([True]) ** T.tensor([True])",
    "T.tensor([True]) ** 2", "True ** T.tensor([True])",
    "T.pow(T.tensor([2], dtype=T.int8), 2**40)", "T.tensor([1,2]) * 2**70",
    "T.tensor([1.]) + 2**70", "T.div(T.tensor([7, -7]), 0, rounding_mode='floor')",
    "T.div(T.tensor([7, -7]), 0, rounding_mode='trunc')",
    "T.div(T.tensor([7, -7]), 2, rounding_mode='round')",
    "T.div(T.tensor([True]), T.tensor([True]), rounding_mode='floor')",
    "T.div(T.tensor([True]), True, rounding_mode='trunc')",
    "T.tensor([1.], requires_grad=True) * np.array([2.])",
]


def _outcome(lib, src):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = eval(src, {"T": lib, "np": np})  # noqa: S307 - test expressions only
        except Exception as e:  # noqa: BLE001
            return ("raises", type(e).__name__, str(e))
    return ("tensor", str(r.dtype), tuple(r.shape), _floats(r.tolist()), r.requires_grad)


@pytest.mark.parametrize("src", VALUE_CASES)
def test_values_and_errors(torch, src):
    t, e = _outcome(torch, src), _outcome(engine, src)
    if t[0] == "raises" or e[0] == "raises":
        if t[1] == "TypeError" and t[2].startswith("pow() received an invalid combination"):
            assert e[:2] == t[:2] and t[2].startswith(e[2].split(", but")[0]), src
            return
        assert e == t, src
        return
    assert e[1:3] == t[1:3] and e[4] == t[4], src
    np.testing.assert_allclose(e[3], t[3], rtol=1e-6, atol=0, equal_nan=True, err_msg=src)


TWICE = ["a*2", "2*a", "a/2", "a**2", "2/a", "a*b", "2**a", "a-2", "1-a", "-a", "a+2", "a/b",
         "a**b", "T.div(a, 2, rounding_mode='floor')", "T.mul(2, a)", "T.div(2, a)",
         "a*b.detach()", "a.detach()*b", "a/b.detach()", "a.detach()/b", "a**b.detach()",
         "a.detach()**b", "a*True", "a**0", "a**1", "a*T.tensor(2.)", "a+b",
         "T.add(a, b, alpha=2)", "T.rsub(a, b)", "T.sub(2, a)", "0**a"]


@pytest.mark.parametrize("src", TWICE)
def test_backward_twice(torch, src):
    """Nodes that saved a tensor (a scalar operand counts, as in torch) fail a second time."""
    res = []
    for T in (torch, engine):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0, 4.0], requires_grad=True)
        y = eval(src, {"T": T, "a": a, "b": b}).sum()  # noqa: S307
        y.backward()
        try:
            y.backward()
            res.append("ok")
        except RuntimeError as ex:
            res.append(str(ex))
    assert res[1] == res[0]


INPLACE_CASES = [
    A + "b=a*1;b+=1;out=b", A + "b=a*1;b-=1;out=b", A + "b=a*1;b*=2;out=b", A + "b=a*1;b/=2;out=b",
    A + "b=a*1;b+=a;out=b", A + "b=a*1;b*=a;out=b", A + "b=a*1;b/=a;out=b", A + "b=a*1;b**=2;out=b",
    A + "b=a*1;b-=a;out=b", A + "b=T.ones(2);b+=a;out=b", A + "b=T.ones(2);b*=a;out=b",
    A + "b=T.ones(2);b-=a;out=b", A + "b=T.ones(2);b/=a;out=b", A + "a+=1;out=a",
    A + "a*=2;out=a", A + "b=a*1;c=b*b;b+=1;out=c", A + "b=a*1;b2=b;b+=1;out=b2",
    A + "b=a*1;c=b.sin();b*=2;out=c", A + "b=a*2;b+=1;b*=3;out=b",
    A + "with T.no_grad(): a+=1\nout=a*1", A + "b=a*2\nwith T.no_grad(): b+=1\nout=b",
    "x=T.ones(2);x+=T.ones(2,2);ins=[];out=x", "x=T.ones(2,dtype=T.int64);x+=1.5;ins=[];out=x",
    "x=T.ones(2,dtype=T.int64);x/=2;ins=[];out=x", "x=T.ones(2,dtype=T.bool);x+=1;ins=[];out=x",
    "x=T.ones(2,dtype=T.uint8);x-=3;ins=[];out=x",
    "x=T.ones(2,dtype=T.int8);x*=T.tensor(3, dtype=T.int64);ins=[];out=x",
    "x=T.ones(2,dtype=T.int8);x*=T.tensor([3], dtype=T.int64);ins=[];out=x",
    "x=T.ones(2,dtype=T.float16);x*=T.tensor([3], dtype=T.float64);ins=[];out=x",
    "x=T.ones(2,2);x+=T.ones(2);ins=[];out=x", "x=T.ones(2);x+=2;x/=4;x**=2;ins=[];out=x",
    "x=T.ones(2);x+='a';ins=[];out=x",
]


@pytest.mark.parametrize("src", INPLACE_CASES)
def test_inplace_operators(torch, src):
    check(torch, src)


def test_inplace_versions_and_identity(torch):
    for T in (torch, engine):
        x = T.ones(2)
        y = x
        v = x._version
        x += 1
        x *= 3
        assert y is x and x._version == v + 2 and x.tolist() == [6.0, 6.0]
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.ones(2)
        b += a
        assert b.grad_fn.name() == "AddBackward0" and not b.is_leaf and b._version == 1
    a = np.zeros(3)
    t = engine.from_numpy(a)
    t -= 2
    assert a.tolist() == [-2.0, -2.0, -2.0]


def test_fast_path_keeps_float32_and_records(torch):
    for T in (torch, engine):
        x = T.ones(16, requires_grad=True)
        h = x
        for _ in range(3):
            h = T.tanh(h * 1.01 + 0.1)
        assert h.dtype == T.float32
        h.sum().backward()
    e = engine.ones(4, requires_grad=True)
    y = e * 3 + 2
    assert y.grad_fn.name() == "AddBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "MulBackward0"
    assert y.grad_fn.next_functions[1] == (None, 0)
    assert (e * 2**62).dtype is engine.float32
    with pytest.raises(OverflowError, match="int too big to convert"):
        e * 2**64


def test_second_order_records(torch):
    """create_graph=True records the backward formulas with torch's node names."""
    for src in ("x*x*x", "x**3", "1/x", "x/y", "x**y", "2**x", "y-x*3", "T.div(2, x)"):
        names = []
        for T in (torch, engine):
            x = T.tensor([1.5, 2.0], requires_grad=True)
            y = T.tensor([0.5, 3.0], requires_grad=True)
            out = eval(src, {"T": T, "x": x, "y": y}).sum()  # noqa: S307
            (g,) = T.autograd.grad(out, x, create_graph=True)
            gg = g.sum()
            if gg.requires_grad:
                (g2,) = T.autograd.grad(gg, x, allow_unused=True)
                names.append((g.grad_fn.name(),
                              None if g2 is None else np.round(g2.tolist(), 5).tolist()))
            else:
                names.append((None, None))
        assert names[1] == names[0], src


def test_pow_of_bool_tensors_checks_broadcasting_before_the_dtype(torch):
    """torch reports shapes that do not broadcast before it refuses bool pow."""
    for lib in (engine, torch):
        a = lib.tensor(np.array([[False], [True], [True]]))
        b = lib.tensor(np.array([[False, True], [True, True]]))
        with pytest.raises(RuntimeError, match=r"^The size of tensor a \(3\) must match the size "
                                               r"of tensor b \(2\) at non-singleton dimension 0$"):
            a ** b
        with pytest.raises(NotImplementedError, match="^\"pow\" not implemented for 'Bool'$"):
            a ** a
