"""Hypothesis builds random documents (DAGs of catalog ops with compatible shapes, random
no_grad regions, frozen leaves and detached outputs); the executor must agree with the same
calls written directly against the engine, and against torch from the same leaf values."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import engine
from engine.document import Document
from engine.document.execution import Executor

SHAPES = [(3,), (2, 3), (3, 4), (2, 1)]

# op -> (reference written directly against lib, arity); independent of the catalog's code.
UNARY = {
    "exp": lambda L, a, p: L.exp(a), "tanh": lambda L, a, p: L.tanh(a),
    "sigmoid": lambda L, a, p: L.sigmoid(a), "sin": lambda L, a, p: L.sin(a),
    "cos": lambda L, a, p: L.cos(a), "abs": lambda L, a, p: L.abs(a),
    "relu": lambda L, a, p: L.relu(a), "neg": lambda L, a, p: -a,
    "F.gelu": lambda L, a, p: L.nn.functional.gelu(a),
    "F.leaky_relu": lambda L, a, p: L.nn.functional.leaky_relu(a, 0.01),
    "F.sigmoid": lambda L, a, p: L.nn.functional.sigmoid(a),
    "detach": lambda L, a, p: a.detach(),
}
POSITIVE_UNARY = {"log": lambda L, a, p: L.log(a), "sqrt": lambda L, a, p: L.sqrt(a)}
BINARY = {"add": lambda L, a, b: a + b, "sub": lambda L, a, b: a - b,
          "mul": lambda L, a, b: a * b, "maximum": lambda L, a, b: L.maximum(a, b)}


def broadcastable(s, t):
    return all(x == y or 1 in (x, y) for x, y in zip(reversed(s), reversed(t)))


@st.composite
def documents(draw):
    """A document plus, per node, (ref_fn, input ids, in_region, frozen) for the reference."""
    d = Document()
    info = {}  # node id -> dict(shape, positive)
    ref = {}
    for i in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(SHAPES))
        n = d.add_node("randn", f"leaf{i}", {"shape": list(shape), "seed": i},
                       requires_grad=not draw(st.booleans()) or i == 0)
        info[n.id] = {"shape": shape, "positive": False}
    for j in range(draw(st.integers(1, 7))):
        ids = list(info)[::-1]  # shrinks towards the newest node: chains, not stars
        a = draw(st.sampled_from(ids))
        sa = info[a]["shape"]
        choice = draw(st.sampled_from(["unary", "unary", "positive", "binary", "scalar", "sum",
                                       "matmul", "t", "softmax", "cat"]))
        params, wires, out_shape, positive = {}, [(a, "input")], sa, False
        if choice == "unary":
            op = draw(st.sampled_from(sorted(UNARY)))
            fn = lambda L, x, p, op=op: UNARY[op](L, x[0], p)  # noqa: E731
        elif choice == "positive":
            op = "exp" if not info[a]["positive"] else draw(st.sampled_from(["log", "sqrt"]))
            fn = (lambda L, x, p: L.exp(x[0])) if op == "exp" else (
                lambda L, x, p, op=op: POSITIVE_UNARY[op](L, x[0], p))
            positive = op == "exp"
        elif choice == "binary":
            others = [b for b in ids if broadcastable(sa, info[b]["shape"])]
            b = draw(st.sampled_from(others))
            op = draw(st.sampled_from(sorted(BINARY)))
            wires.append((b, "other"))
            out_shape = tuple(np.broadcast_shapes(sa, info[b]["shape"]))
            fn = lambda L, x, p, op=op: BINARY[op](L, x[0], x[1])  # noqa: E731
        elif choice == "scalar":
            op = draw(st.sampled_from(["add", "mul", "pow"]))
            s = draw(st.sampled_from([2, 0.5, -1.5]))
            params = {"scalar": s}
            if op == "pow":
                s = params["scalar"] = 2
            fn = {"add": lambda L, x, p: x[0] + p["scalar"],
                  "mul": lambda L, x, p: x[0] * p["scalar"],
                  "pow": lambda L, x, p: x[0].pow(p["scalar"])}[op]
        elif choice == "sum":
            op = draw(st.sampled_from(["sum", "mean"]))
            dim = draw(st.sampled_from([None] + list(range(len(sa)))))
            keep = draw(st.booleans()) and dim is not None
            params = {"dim": dim, "keepdim": keep}
            if dim is None:
                out_shape = ()
                fn = lambda L, x, p, op=op: getattr(L, op)(x[0])  # noqa: E731
            else:
                out_shape = tuple(1 if k == dim else v for k, v in enumerate(sa)) if keep \
                    else tuple(v for k, v in enumerate(sa) if k != dim)
                fn = lambda L, x, p, op=op: getattr(L, op)(  # noqa: E731
                    x[0], dim=p["dim"], keepdim=p["keepdim"])
        elif choice == "matmul":
            others = [b for b in ids if len(sa) in (1, 2) and len(info[b]["shape"]) in (1, 2)
                      and info[b]["shape"][0] == sa[-1]]
            if not others:
                continue
            op = "matmul"
            b = draw(st.sampled_from(others))
            wires.append((b, "other"))
            sb = info[b]["shape"]
            out_shape = tuple(sa[:-1]) + tuple(sb[1:])
            fn = lambda L, x, p: L.matmul(x[0], x[1])  # noqa: E731
        elif choice == "t":
            if len(sa) > 2:
                continue
            op = "t"
            out_shape = tuple(reversed(sa))
            fn = lambda L, x, p: x[0].t()  # noqa: E731
        elif choice == "softmax":
            if not sa:
                continue
            op = draw(st.sampled_from(["softmax", "F.log_softmax"]))
            params = {"dim": len(sa) - 1}
            positive = op == "softmax"
            fn = (lambda L, x, p: L.softmax(x[0], p["dim"])) if op == "softmax" else (
                lambda L, x, p: L.nn.functional.log_softmax(x[0], dim=p["dim"]))
        else:  # cat along dim 0 of same-shaped tensors
            if not sa:
                continue
            others = [b for b in ids if info[b]["shape"] == sa]
            b = draw(st.sampled_from(others))
            op = "cat"
            wires = [(a, "tensors"), (b, "tensors")]
            out_shape = (2 * sa[0],) + tuple(sa[1:])
            fn = lambda L, x, p: L.cat([x[0], x[1]], dim=0)  # noqa: E731
        n = d.add_node(op, f"v{j}", params)
        for k, (src, port) in enumerate(wires):
            d.connect(src, n.id, port, k if port == "tensors" else 0)
        if draw(st.integers(0, 19)) == 19:
            d.set_flag(n.id, "frozen_output", True)
        # torch quirk the engine does not model yet: a view (t) made under no_grad of a
        # tensor requiring grad is a leaf that requires grad (see test_execution's xfail)
        if draw(st.integers(0, 14)) == 14 and op != "t":
            d.add_region(f"frame{j}", [n.id])
        ref[n.id] = (fn, [w[0] for w in wires])
        info[n.id] = {"shape": out_shape, "positive": positive}
    last = list(d.nodes)[-1]
    root = d.add_node("sum", "root")
    d.connect(last, root.id, "input")
    ref[root.id] = (lambda L, x, p: L.sum(x[0]), [last])
    d.set_setting("root", root.id)
    return d, ref


def reference(lib, d, ref, leaves):
    """The document's graph written directly against lib."""
    vals = {}
    for nid in d.topological_order():
        node = d.nodes[nid]
        if node.spec.is_source:
            vals[nid] = lib.tensor(leaves[nid], requires_grad=node.requires_grad)
            continue
        fn, srcs = ref[nid]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if d.in_no_grad(nid):
                with lib.no_grad():
                    out = fn(lib, [vals[s] for s in srcs], node.params)
            else:
                out = fn(lib, [vals[s] for s in srcs], node.params)
        vals[nid] = out.detach() if node.frozen_output else out
    root = vals[d.settings.root]
    try:
        root.backward()
        err = None
    except RuntimeError as e:
        err = str(e)
    return vals, err


def close(a, b):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, np.float64),
                               rtol=2e-4, atol=2e-5)


def check(d, ref, libs):
    assert Document.from_dict(d.to_dict()) == d
    ex = Executor(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ex.forward()
        err = ex.backward()
    assert all(r.ok for r in res.values()), [r.error for r in res.values()]
    rg = d.requires_grad_map()
    assert {nid: r.requires_grad for nid, r in res.items()} == rg
    leaves = {nid: ex.leaf(nid).detach().numpy() for nid in d.nodes
              if d.nodes[nid].spec.is_source}
    dag = d.backward_dag(d.settings.root)
    event("backward ran" if err is None else "root does not require grad")
    if err is None:
        assert dag.leaves == {nid for nid in leaves if res[nid].grad is not None}
    else:
        assert dag.nodes == frozenset()
    for lib in libs:
        vals, ref_err = reference(lib, d, ref, leaves)
        assert err == ref_err
        for nid, v in vals.items():
            r = res[nid]
            close(r.value.detach().numpy(), v.detach().numpy())
            assert r.requires_grad == v.requires_grad, d.nodes[nid].name
            assert r.grad_fn == (None if v.grad_fn is None else type(v.grad_fn).__name__)
            if d.nodes[nid].spec.is_source and v.grad is not None:
                close(r.grad.numpy(), v.grad.numpy())
            elif d.nodes[nid].spec.is_source:
                assert r.grad is None


FAST = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FAST
@given(documents())
def test_random_documents_match_direct_engine_calls(doc_ref):
    d, ref = doc_ref
    check(d, ref, [engine])


@pytest.mark.parity
@FAST
@given(documents())
def test_random_documents_match_torch(torch, doc_ref):
    d, ref = doc_ref
    check(d, ref, [torch])


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents(), st.data())
def test_incremental_equals_from_scratch(doc_ref, data):
    """After a random param edit, the incremental executor equals a fresh one and recomputes
    only the edited node and its descendants."""
    d, _ = doc_ref
    ex = Executor(d)
    ex.forward()
    leaf = data.draw(st.sampled_from([n for n in d.nodes if d.nodes[n].spec.is_source]))
    d.set_param(leaf, "seed", data.draw(st.integers(10, 20)))
    ex.forward()
    assert set(ex.last_recomputed) == {leaf} | d.downstream(leaf)
    fresh = Executor(d).forward()
    for nid, r in ex.results.items():
        close(r.value.detach().numpy(), fresh[nid].value.detach().numpy())
