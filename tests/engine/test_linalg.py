"""mm / mv / dot / bmm / matmul against torch 2.13: torch's grad_fn chain for every rank
combination (including which operands require grad), values, grads, dtypes, error texts."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from tests.engine.test_shape_ops import numeric_check, parity, second_order

PAIRS = [((3,), (3, 4)), ((3, 4), (4,)), ((3,), (3,)), ((3, 4), (4, 5)), ((2, 3, 4), (4, 5)),
         ((4,), (2, 4, 5)), ((2, 3, 4), (4,)), ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (1, 4, 5)),
         ((1, 3, 4), (1, 4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
         ((4,), (2, 3, 4, 5)), ((2, 3, 4), (1, 1, 4, 5)), ((2, 2, 3, 4), (1, 4, 5)),
         ((2, 3, 4, 5), (5,))]
BAD_PAIRS = [((2, 3, 4), (5,)), ((3,), (4, 5)), ((3, 4), (5,)), ((3,), (4,)), ((2, 3, 4), (3, 5)),
             ((2, 3, 4), (3, 4, 5)), ((3, 4), (3, 5)), ((2, 3, 4), (2, 5, 6)), ((3, 4), (2, 5, 6))]
RG = [(True, True), (False, True), (True, False)]


@pytest.mark.parametrize("rg", RG)
@pytest.mark.parametrize("shapes", PAIRS, ids=str)
def test_matmul_chain_values_grads(torch, shapes, rg):
    parity(torch, list(shapes), lambda L, a, b: a @ b, rg=list(rg), dtype=np.float32)


@pytest.mark.parametrize("shapes", PAIRS + BAD_PAIRS, ids=str)
def test_matmul_float64_and_errors(torch, shapes):
    parity(torch, list(shapes), lambda L, a, b: L.matmul(a, b))


def test_matmul_of_views(torch):
    parity(torch, [(2, 4, 3), (4, 5)], lambda L, a, b: a.mT @ b, rg=[True, False])
    parity(torch, [(3, 4), (5, 4)], lambda L, a, b: a @ b.t())


FUNCS = {
    "mm": ([(3, 4), (4, 5)], lambda L, a, b: a.mm(b)),
    "mm_fn": ([(3, 4), (4, 5)], lambda L, a, b: L.mm(a, b)),
    "mm_bad": ([(3, 4), (3, 5)], lambda L, a, b: a.mm(b)),
    "mm_self_1d": ([(3,), (3, 3)], lambda L, a, b: a.mm(b)),
    "mm_mat2_1d": ([(3, 3), (3,)], lambda L, a, b: a.mm(b)),
    "mm_dtype": ([(3, 3), (3, 3)], lambda L, a, b: a.mm(b.double() if a.dtype == L.float32
                                                          else b.float())),
    "mv": ([(3, 4), (4,)], lambda L, a, b: a.mv(b)),
    "mv_fn": ([(3, 4), (4,)], lambda L, a, b: L.mv(a, b)),
    "mv_bad": ([(3, 4), (5,)], lambda L, a, b: a.mv(b)),
    "mv_bad_rank": ([(3,), (3,)], lambda L, a, b: a.mv(b)),
    "mv_bad_rank2": ([(3, 4), (4, 1)], lambda L, a, b: a.mv(b)),
    "dot": ([(4,), (4,)], lambda L, a, b: a.dot(b)),
    "dot_fn": ([(4,), (4,)], lambda L, a, b: L.dot(a, b)),
    "dot_bad": ([(3,), (4,)], lambda L, a, b: a.dot(b)),
    "dot_bad_rank": ([(3, 1), (3,)], lambda L, a, b: a.dot(b)),
    "dot_dtype": ([(3,), (3,)], lambda L, a, b: a.dot(b.double() if a.dtype == L.float32
                                                      else b.float())),
    "bmm": ([(2, 3, 4), (2, 4, 5)], lambda L, a, b: L.bmm(a, b)),
    "bmm_bad": ([(2, 3, 4), (3, 4, 5)], lambda L, a, b: L.bmm(a, b)),
    "bmm_bad_rank": ([(3, 4), (3, 4, 5)], lambda L, a, b: L.bmm(a, b)),
    "matmul_dtype": ([(3, 3), (3, 3)], lambda L, a, b: a @ b.double() if a.dtype == L.float32
                     else a @ b.float()),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_linalg_functions(torch, name, dtype):
    shapes, f = FUNCS[name]
    parity(torch, shapes, f, dtype=dtype)


def test_integer_matmul_keeps_dtype(torch):
    a = np.arange(6).reshape(2, 3)
    got = engine.tensor(a) @ engine.tensor(a.T)
    want = torch.tensor(a) @ torch.tensor(a.T)
    assert str(got.dtype) == str(want.dtype) and got.tolist() == want.tolist()


def test_mm_float32_end_to_end():
    a = engine.randn(8, 8, requires_grad=True)
    b = engine.randn(8, 8, requires_grad=True)
    (a @ b).sum().backward()
    assert a.grad.dtype == b.grad.dtype == engine.float32


_dim = st.integers(1, 3)


@settings(max_examples=40, deadline=None)
@given(batch=st.lists(_dim, max_size=2), n=_dim, k=_dim, m=_dim,
       r1=st.booleans(), r2=st.booleans())
def test_numeric_matmul(batch, n, k, m, r1, r2):
    rng = np.random.default_rng(0)
    s1 = (k,) if r1 else (*batch, n, k)
    s2 = (k,) if r2 else (k, m)
    numeric_check(lambda a, b: (a @ b).reshape(-1), [rng.standard_normal(s1),
                                                      rng.standard_normal(s2)])
    numeric_check(lambda a, b: (b.mT @ a.mT if a.dim() > 1 and b.dim() > 1 else a @ b)
                  .reshape(-1), [rng.standard_normal(s1), rng.standard_normal(s2)])


SECOND = {
    "mm": ([(3, 4), (4, 5)], lambda L, a, b: a @ b),
    "fold": ([(2, 3, 4), (4, 5)], lambda L, a, b: a @ b),
    "bmm": ([(2, 3, 4), (2, 4, 5)], lambda L, a, b: a @ b),
    "vec_mat": ([(4,), (4, 5)], lambda L, a, b: a @ b),
    "mv": ([(3, 4), (4,)], lambda L, a, b: a.mv(b)),
    "dot": ([(4,), (4,)], lambda L, a, b: a.dot(b) * a),
    "mat_batch": ([(3, 4), (2, 4, 5)], lambda L, a, b: a @ b),
}


@pytest.mark.parametrize("name", sorted(SECOND))
def test_second_order(torch, name):
    shapes, f = SECOND[name]
    second_order(torch, shapes, f)


_batch = st.lists(st.integers(1, 3), max_size=3)


def _layout(shape, how):
    """(stored shape, view to apply): contiguous, transposed last two, or batch-swapped."""
    if how == 1 and len(shape) >= 2:
        return (*shape[:-2], shape[-1], shape[-2]), lambda t: t.mT
    if how == 2 and len(shape) >= 4:
        return (shape[1], shape[0], *shape[2:]), lambda t: t.transpose(0, 1)
    return shape, lambda t: t


@settings(max_examples=int(__import__("os").environ.get("MATMUL_EXAMPLES", 40)), deadline=None)
@given(b1=_batch, b2=_batch, n=_dim, k=_dim, m=_dim, v1=st.booleans(), v2=st.booleans(),
       rg=st.sampled_from(RG), lay1=st.integers(0, 2), lay2=st.integers(0, 2))
def test_matmul_chain_random_shapes(torch, b1, b2, n, k, m, v1, v2, rg, lay1, lay2):
    """Any rank combination (broadcastable or not), operands possibly non-contiguous views:
    the fold / squeeze / bmm choice and so the grad_fn chain must be torch's."""
    s1, f1 = _layout((k,) if v1 else (*b1, n, k), lay1)
    s2, f2 = _layout((k,) if v2 else (*b2, k, m), lay2)
    parity(torch, [s1, s2], lambda L, a, b: f1(a) @ f2(b), rg=list(rg))


@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (2, 4, 5)),
                                    ((3, 4), (4, 2))], ids=str)
def test_backward_twice_like_torch(torch, shapes):
    def run(L):
        a, b = (L.ones(*s, requires_grad=True) for s in shapes)
        y = (a @ b).sum()
        y.backward(retain_graph=True)
        y.backward()
        try:
            y.backward()
            return "ok"
        except RuntimeError as e:
            return str(e)
    assert run(engine) == run(torch)
