"""torch.autograd's semantics, scenario by scenario: each scenario runs on ``engine`` and on
torch 2.13 and must produce the same record (values, flags, grad_fn names, error texts,
warnings)."""
from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine


def _name(fn):
    return None if fn is None else fn.name()


def _grad(t):
    return None if t is None else t.tolist()


def _r(values, digits=4):
    """Rounded values: float32 results may differ from torch's in the last bit."""
    return [round(v, digits) for v in values]


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the record is the exception itself
        return type(e).__name__, str(e)
    return None


def leaf_rules(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, 4.0])
    c, d, e = a * b, b * 2, (a * b).detach()
    f = lib.tensor([1.0], requires_grad=True).requires_grad_(False)
    return [(t.is_leaf, t.requires_grad, _name(t.grad_fn)) for t in (a, b, c, d, e, f)]


def grad_modes(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    rec = []
    with lib.no_grad():
        y = a * 2
        rec.append((y.requires_grad, y.is_leaf, y.grad_fn, lib.is_grad_enabled()))
        with lib.enable_grad():
            z = a * 2
            rec.append((z.requires_grad, _name(z.grad_fn), lib.is_grad_enabled()))
    with lib.set_grad_enabled(False):
        rec.append((a * 2).requires_grad)
    rec.append(lib.is_grad_enabled())
    lib.set_grad_enabled(False)
    rec.append(((a * 2).requires_grad, lib.is_grad_enabled()))
    lib.set_grad_enabled(True)
    rec.append(((a * 2).requires_grad, lib.is_grad_enabled()))

    @lib.no_grad()
    def f(x):
        return x * 2

    @lib.set_grad_enabled(False)
    def g(x):
        return x * 3

    @lib.enable_grad()
    def h(x):
        return x * 4

    rec.append((f(a).requires_grad, g(a).requires_grad, lib.is_grad_enabled()))
    with lib.no_grad():
        rec.append(h(a).requires_grad)
    with lib.inference_mode():
        rec.append(((a * 2).requires_grad, lib.is_grad_enabled(),
                    lib.is_inference_mode_enabled()))
    with lib.inference_mode(False):
        rec.append((a * 2).requires_grad)

    @lib.inference_mode()
    def k(x):
        return x * 5

    rec.append((k(a).requires_grad, lib.is_grad_enabled()))
    return rec


def accumulation(lib):
    x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
    rec = []
    for _ in range(3):
        (x * x).sum().backward()
        rec.append(x.grad.tolist())
    g = x.grad
    x.grad.zero_()
    (x * 2).sum().backward()
    rec.append((x.grad is g, x.grad.tolist()))
    x.grad = None
    (x * 3).sum().backward()
    rec.append(x.grad.tolist())
    return rec


def only_leaves_get_grad(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = y.exp()
    z.retain_grad()
    w = lib.tensor([5.0, 6.0])
    loss = (z * w).sum()
    loss.backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yg = y.grad
    return (_grad(x.grad), yg, _grad(z.grad), z.retains_grad, y.retains_grad, w.grad,
            [(c.category.__name__, str(c.message)) for c in caught])


def retain_grad_on_leaf(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    x.retain_grad()
    (x * 2).sum().backward()
    rec = [x.retains_grad, x.grad.tolist()]
    rec.append(_error(lambda: lib.tensor([1.0]).retain_grad()))
    return rec


def inputs_limit(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, 4.0], requires_grad=True)
    c = a * b
    loss = (c * c).sum()
    loss.backward(inputs=[a], retain_graph=True)
    rec = [_grad(a.grad), _grad(b.grad)]
    loss.backward(inputs=[c, b])
    rec += [_grad(a.grad), _grad(b.grad), _grad(c.grad), c.retains_grad]
    rec.append(_error(lambda: (a * 2).sum().backward(inputs=[])))
    return rec


def freed_saved_values(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    rec = [_error(y.backward)]
    s = (x + 1).sum()  # AddBackward0/SumBackward0 save no tensor: a second pass is fine
    s.backward()
    rec.append(_error(s.backward))
    e = x.exp().sum()
    e.backward(retain_graph=True)
    e.backward()
    rec.append((_r(x.grad.tolist()), _error(e.backward)))
    return rec


def root_errors(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    return [
        _error(lambda: (x * 2).backward()),
        _error(lambda: lib.tensor([1.0, 2.0]).sum().backward()),
        _error(lambda: lib.autograd.backward([x.sum(), lib.tensor(1.0)])),
        _error(lambda: (x * 2).backward(lib.ones(3))),
        _error(lambda: lib.autograd.grad((x * 2).sum(), lib.tensor([1.0]))),
    ]


def leaf_as_root(lib):
    x = lib.tensor(3.0, requires_grad=True)
    x.backward()
    v = lib.tensor([1.0, 2.0], requires_grad=True)
    v.backward(lib.tensor([0.5, 0.25]))
    (g,) = lib.autograd.grad(x, x)
    return x.grad.tolist(), v.grad.tolist(), g.tolist()


def requires_grad_rules(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    rec = [_error(lambda: y.requires_grad_(False))]
    rec.append(_error(lambda: setattr(y, "requires_grad", False)))
    rec.append(y.requires_grad_(True) is y)
    rec.append(_error(lambda: lib.tensor([1, 2], requires_grad=True)))
    rec.append(_error(lambda: lib.tensor([1, 2]).requires_grad_()))
    rec.append(_error(lambda: lib.tensor([True]).requires_grad_()))
    b = lib.tensor([1.0])
    b.requires_grad = True
    rec.append((b.requires_grad, b.is_leaf))
    rec.append(_error(lambda: lib.tensor([1.0]).register_hook(lambda g: g)))
    return rec


def hooks(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: g * 10)
    y = x * 3
    y.register_hook(lambda g: seen.append(g.tolist()))
    h = y.register_hook(lambda g: g + 1)
    (y * y).sum().backward()
    rec = [seen, x.grad.tolist()]
    h.remove()
    x.grad = None
    y = x * 3
    (y * 1).sum().backward()
    rec.append(x.grad.tolist())
    return rec


def node_hooks(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = (y * 2).sum()
    log = []
    y.grad_fn.register_prehook(lambda go: log.append(("pre", [g.tolist() for g in go])))
    y.grad_fn.register_hook(
        lambda gi, go: log.append(("post", [_r(g.tolist()) for g in gi],
                                   [g.tolist() for g in go])))
    z.grad_fn.register_prehook(lambda go: (go[0] * 2,))
    z.backward()
    return log, [round(v, 4) for v in x.grad.tolist()]


def autograd_grad(lib):
    x = lib.tensor([0.5, -1.0], dtype=lib.float64, requires_grad=True)
    u = lib.tensor([2.0], dtype=lib.float64, requires_grad=True)
    y = (x ** 3).sum()
    rec = [_error(lambda: lib.autograd.grad(y, [x, u], retain_graph=True))]
    gx, gu = lib.autograd.grad(y, [x, u], retain_graph=True, allow_unused=True)
    rec.append((gx.tolist(), gu, x.grad))
    (d1,) = lib.autograd.grad(y, x, create_graph=True)
    rec.append((d1.tolist(), d1.requires_grad, _name(d1.grad_fn)))
    (d2,) = lib.autograd.grad(d1.sum(), x)
    rec.append(d2.tolist())
    t = lib.tanh(lib.tanh(x * 2))
    (g1,) = lib.autograd.grad(t, x, grad_outputs=lib.ones_like(t), create_graph=True)
    (g2,) = lib.autograd.grad(g1, x, grad_outputs=lib.tensor([1.0, 0.5], dtype=lib.float64))
    rec.append(([round(v, 12) for v in g1.tolist()], [round(v, 12) for v in g2.tolist()]))
    z = x * 2
    (gz,) = lib.autograd.grad((z * z).sum(), z)
    rec.append(gz.tolist())
    y2 = x * u
    (gx2,) = lib.autograd.grad(y2, x, grad_outputs=lib.tensor([1.0, 3.0], dtype=lib.float64))
    rec.append((gx2.tolist(), x.grad, u.grad))
    return rec


def backward_create_graph(lib):
    x = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns once per process: not comparable
        (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    rec = [g.tolist(), g.requires_grad, _name(g.grad_fn)]
    x.grad = None
    g.sum().backward()
    rec.append(x.grad.tolist())
    return rec


def accumulate_grad_nodes(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y, z = x * 2, x * 3
    acc = y.grad_fn.next_functions[0][0]
    w = lib.tensor([1.0, 2.0])
    m = x * w
    return (type(acc).__name__, acc.name(), acc.variable is x,
            acc is z.grad_fn.next_functions[0][0], acc.next_functions,
            [(_name(n), i) for n, i in m.grad_fn.next_functions],
            [(_name(n), i) for n, i in (y + z).grad_fn.next_functions],
            [(_name(n), i) for n, i in (y + 1).grad_fn.next_functions])


def version_counter(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    rec = []
    y = x * x
    with lib.no_grad():
        x.mul_(2)
    rec.append((x._version, _error(lambda: y.sum().backward())))
    w = x.exp()
    w.mul_(2)
    rec.append((_name(w.grad_fn), w._version, _error(lambda: w.sum().backward())))
    a = x * 1
    b = a * a
    a.add_(1)
    rec.append(_error(lambda: b.sum().backward()))
    rec.append(_error(lambda: x.add_(1)))
    t = lib.ones(3, dtype=lib.long)
    rec.append(_error(lambda: t.add_(1.5)))
    return rec


def inplace_rebase(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = lib.tensor([2.0, 2.0, 4.0], requires_grad=True)
    rec = []
    for op in ("zero_()", "fill_(2.0)", "add_(z, alpha=2)", "sub_(z)", "sub_(1)", "mul_(3)",
               "div_(z)", "mul_(z)", "copy_(z)"):
        a = x * 1
        eval("a." + op)
        rec.append((op, a.grad_fn.name(), a.is_leaf, a._version,
                    [(_name(n), i) for n, i in a.grad_fn.next_functions]))
        x.grad = z.grad = None
        (a * a).sum().backward()
        rec.append((a.tolist(), _grad(x.grad), _grad(z.grad)))
    b = lib.ones(3)
    b.mul_(z)
    rec.append((_name(b.grad_fn), b.requires_grad, b.is_leaf))
    return rec


def detach_and_data(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    rec = [(d.requires_grad, d.is_leaf, d.grad_fn)]
    d.zero_()
    rec.append(y.tolist())  # detach shares storage
    e = x.exp()
    e.detach().mul_(2)  # ... and the version counter
    rec.append((e._version, _error(lambda: e.sum().backward())))
    m = x * x
    x.detach().add_(1)
    rec.append((x._version, _error(lambda: m.sum().backward())))
    y2 = x * 2
    y2.detach_()
    rec.append((y2.requires_grad, y2.is_leaf, y2.grad_fn))
    dd = x.data
    rec.append((dd.requires_grad, dd.is_leaf))
    x.data = lib.tensor([5.0, 6.0])
    rec.append((x.tolist(), x.requires_grad))
    return rec


def control_flow(lib):
    x = lib.tensor([0.5, 1.5], requires_grad=True)
    names = []
    for step in range(3):
        h = x
        for _ in range(step + 1):
            h = h * 2 if step % 2 else h.exp()
        loss = h.sum()
        names.append(_name(loss.grad_fn.next_functions[0][0]))
        loss.backward()
    return names, [round(v, 2) for v in x.grad.tolist()]


def hook_details(lib):
    rec = []
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: g * 100)  # retain_grad sees what the tensor hooks return
    z = (y * y).sum()
    for _ in range(2):
        z.backward(retain_graph=True)
        rec.append((y.grad.tolist(), x.grad.tolist()))
    acc = y.grad_fn.next_functions[0][0]
    acc.register_hook(lambda gi, go: rec.append(("acc post", gi, [g.tolist() for g in go])))
    acc.register_prehook(lambda go: rec.append(("acc pre", [g.tolist() for g in go])))
    z.backward()
    rec.append(x.grad.tolist())
    a = lib.tensor([1.0], requires_grad=True)
    a.register_hook(lambda g: rec.append(("leaf hook", g.tolist())))  # once, summed
    (a * 2 + a * 3).sum().backward()
    b = lib.tensor([1.0, 1.0], requires_grad=True)
    c = b.exp()
    c.grad_fn.register_hook(lambda gi, go: (gi[0] * 0,))
    c.sum().backward()
    rec.append(b.grad.tolist())
    return rec


def grad_setter(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    rec = []
    for v in (lib.tensor([1.0, 2.0], dtype=lib.float64), lib.tensor([1.0]), 3.0,
              lib.tensor([1, 2]), lib.tensor([0.5, 0.25]), None):
        rec.append(_error(lambda v=v: setattr(x, "grad", v)))
        rec.append(_grad(x.grad))
    return rec


# views torch returns (a view made under no_grad of a tensor requiring grad is a leaf that
# requires grad, with no grad accumulator) and non-view results, for the check below
_VIEW_OPS = {
    "t": lambda a: a.t(), "T": lambda a: a.T, "mT": lambda a: a.mT,
    "transpose": lambda a: a.transpose(0, 1), "permute": lambda a: a.permute(1, 0),
    "view": lambda a: a.view(6), "reshape": lambda a: a.reshape(3, 2),
    "reshape_copy": lambda a: a.t().reshape(6), "flatten": lambda a: a.flatten(),
    "squeeze": lambda a: a.unsqueeze(0).squeeze(0), "unsqueeze": lambda a: a.unsqueeze(0),
    "expand": lambda a: a.unsqueeze(0).expand(4, 2, 3), "expand_as": lambda a: a.expand_as(a),
    "select": lambda a: a[0], "slice": lambda a: a[:, 1:], "ellipsis": lambda a: a[...],
    "none": lambda a: a[None], "advanced": lambda a: a[[0, 1]], "mask": lambda a: a[a > 0],
    "split": lambda a: a.split(1)[1], "chunk": lambda a: a.chunk(2, 1)[0],
    "detach": lambda a: a.detach(), "data": lambda a: a.data, "clone": lambda a: a.clone(),
    "contiguous": lambda a: a.contiguous(), "contiguous_copy": lambda a: a.t().contiguous(),
    "to_same": lambda a: a.to(a.dtype), "double": lambda a: a.double(),
    "view_as": lambda a: a.view_as(a), "swapaxes": lambda a: a.swapaxes(0, 1),
    "sum": lambda a: a.sum(), "mul": lambda a: a * 2, "sum_to_size": lambda a: a.sum_to_size(2, 3),
}


def no_grad_views(lib):
    x = lib.ones(2, 3, requires_grad=True)
    rec = []
    for base in (x, x * 1):
        for name, f in _VIEW_OPS.items():
            with lib.no_grad():
                v = f(base)
            rec.append((name, v.requires_grad, v.is_leaf, _name(v.grad_fn), v is base))
    with lib.inference_mode():
        rec.append(x.t().requires_grad)
    with lib.no_grad():
        v, s, n = x.t(), x[0, 0], lib.ones(2).t()
    rec.append(n.requires_grad)
    # uses of the view record (None, 0) edges: backward runs but reaches no leaf
    z = (v * 2).sum()
    mul = z.grad_fn.next_functions[0][0]
    rec.append((z.requires_grad, _name(mul), mul.next_functions))
    rec.append(v.t().grad_fn.next_functions)
    z.backward(retain_graph=True)
    rec.append((_grad(v.grad), _grad(x.grad), v.retains_grad))
    v.retain_grad()
    rec.append(v.retains_grad)
    rec.append(_error(lambda: torch_grad(lib, z, v)))
    rec.append(lib.autograd.grad(z, v, allow_unused=True, retain_graph=True))
    z.backward(inputs=[v])
    rec.append(_grad(v.grad))
    rec.append(_error(s.backward))
    v.register_hook(lambda g: g * 100)
    (v * 3).sum().backward()
    rec.append((_grad(v.grad), _grad(x.grad)))
    # requires_grad follows the base: no error, no change
    v.requires_grad_(False)
    v.requires_grad = False
    rec.append(v.requires_grad)
    with lib.no_grad():
        vv = v.t()
        p = x[0]
    rec.append((vv.requires_grad, vv.is_leaf))
    rec.append(_error(lambda: p.numpy()))
    # in place: allowed under no_grad, forbidden with grad mode on
    with lib.no_grad():
        p.mul_(1)
    # each on a fresh view: torch words it differently once the base was written
    for fn in (lambda p: p.zero_(), lambda p: p.add_(1), lambda p: p.mul_(2),
               lambda p: p.copy_(lib.ones(3)), lambda p: p.fill_(1.0), lambda p: p.normal_(),
               lambda p: p.__setitem__(0, 5.0), lambda p: p.__setitem__(slice(0, 1), 5.0),
               lambda p: p.__setitem__(Ellipsis, 5.0), lambda p: p.__setitem__(slice(None), 5.0),
               lambda p: p.__setitem__([0], 5.0), lambda p: p.__setitem__(p > 0, 5.0),
               lambda p: p.__setitem__(None, 5.0), lambda p: p.__setitem__((0,), 5.0)):
        with lib.no_grad():
            p = lib.ones(2, 3, requires_grad=True)[0]
        rec.append(_error(lambda fn=fn, p=p: fn(p)))
    with lib.no_grad():
        w = lib.ones(2, 3, requires_grad=True).t()
    rec.append(_error(lambda: w.__setitem__((slice(None), 1), 5.0)))
    return rec


def torch_grad(lib, z, v):
    return lib.autograd.grad(z, v, retain_graph=True)


SCENARIOS = [no_grad_views, hook_details, grad_setter, leaf_rules, grad_modes, accumulation, only_leaves_get_grad, retain_grad_on_leaf,
             inputs_limit, freed_saved_values, root_errors, leaf_as_root, requires_grad_rules,
             hooks, node_hooks, autograd_grad, backward_create_graph, accumulate_grad_nodes,
             version_counter, inplace_rebase, detach_and_data, control_flow]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_matches_torch(torch, scenario):
    expected = scenario(torch)
    got = scenario(engine)
    assert got == expected
    assert engine.is_grad_enabled()


def _diamond(lib, log):
    x = lib.tensor([0.5, 1.5], requires_grad=True)
    w = lib.tensor([2.0, 3.0], requires_grad=True)
    a = x * w
    b = a.exp()
    c = a.tanh()
    d = b * c
    e = (d + a).sigmoid()
    loss = (e * b).sum()
    seen, stack = set(), [loss.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        n.register_prehook(lambda go, n=n: log.append(n.name()))
        stack.extend(m for m, _ in n.next_functions)
    return loss


def test_execution_order_matches_torch(torch):
    orders = []
    for lib in (engine, torch):
        log = []
        _diamond(lib, log).backward()
        orders.append(log)
    assert orders[0] == orders[1]
    assert len(orders[0]) == 10


def _random_graph(lib, plan, log):
    """Build the same DAG from ``plan`` (op index, operand picks) and hook every node."""
    vals = [lib.tensor([0.3, -0.4], requires_grad=True),
            lib.tensor([0.2, 0.1], requires_grad=True), lib.tensor([1.0, 2.0])]
    ops = [lambda a, b: a * b, lambda a, b: a + b, lambda a, b: lib.tanh(a),
           lambda a, b: a.exp() * 0.5, lambda a, b: a.sin() - b]
    for op, i, j in plan:
        vals.append(ops[op](vals[i % len(vals)], vals[j % len(vals)]))
    loss = sum((v.sum() for v in vals[3:] if v.requires_grad), lib.tensor(0.0))
    seen, stack = set(), [loss.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        n.register_prehook(lambda go, n=n: log.append(n.name()))
        stack.extend(m for m, _ in n.next_functions)
    return loss


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 30), st.integers(0, 30)),
                min_size=1, max_size=12))
def test_execution_order_matches_torch_on_random_graphs(torch, plan):
    orders = []
    for lib in (engine, torch):
        log = []
        loss = _random_graph(lib, plan, log)
        if loss.grad_fn is None:
            return
        loss.backward()
        orders.append(log)
    assert orders[0] == orders[1]


def test_create_graph_warning_matches_torch():
    """torch warns once per process: compare in a fresh interpreter."""
    code = (
        "import warnings, engine, torch\n"
        "for lib in (engine, torch):\n"
        "    x = lib.tensor([1.0], requires_grad=True)\n"
        "    with warnings.catch_warnings(record=True) as w:\n"
        "        warnings.simplefilter('always')\n"
        "        (x * x).sum().backward(create_graph=True)\n"
        "        (x * x).sum().backward(create_graph=True)\n"
        "    print(repr([(m.category.__name__, str(m.message)) for m in w]))\n")
    pytest.importorskip("torch")
    res = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2],
                         capture_output=True, text=True, timeout=120, check=True)
    ours, theirs = res.stdout.splitlines()
    assert ours == theirs and "create_graph=True" in ours


def _leaf_order(lib, n, twice):
    """The order AccumulateGrad nodes run in (they all share one sequence number: torch's
    std::priority_queue decides); leaves seen through tensor hooks."""
    leaves = [lib.ones(2, requires_grad=True) for _ in range(n)]
    order = []
    for i, leaf in enumerate(leaves):
        leaf.register_hook(lambda g, i=i: order.append(i))
    parts = leaves + leaves[::2] if twice else leaves
    (lib.cat(parts) * lib.cat(parts)).sum().backward()
    return order


@pytest.mark.parametrize("n", range(1, 12))
@pytest.mark.parametrize("twice", [False, True])
def test_leaf_accumulation_order_matches_torch(torch, n, twice):
    assert _leaf_order(engine, n, twice) == _leaf_order(torch, n, twice)
