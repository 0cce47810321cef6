"""Tensor's in-place methods: the fills (zero_, fill_, copy_, the random ones), the arithmetic
ones (add_, sub_, mul_, div_) and pointwise ops in place (pow_, clamp_, relu_, sigmoid_,
tanh_, exp_, masked_fill_ ...), as torch's: the out-of-place op computes the value and records
the node (its grad_fn name is the out-of-place op's, as in torch), then ``Tensor._rebase``
writes it into ``self``, which keeps its identity and memory and moves on one version (on a
view, the base's history takes the op: autograd/views.py).

A node that saved its *result* (``ExpBackward0``, ``SigmoidBackward0``, ``ReluBackward0``...)
saves ``self`` itself, so a later in-place change of ``self`` trips torch's version check.
"""
from __future__ import annotations

import numpy as np

from .._inplace import (
    _INTERNAL_OVERLAP,
    _PARTIAL_OVERLAP,
    BernoulliBackward2,
    CopyBackwards,
    ExponentialBackward0,
    FillBackward2,
    FillBackward3,
    NormalBackward0,
    RandomBackward0,
    UniformBackward0,
    ZeroBackward0,
    _random_top,
)
from .._tensor import _META_NAMES, Tensor
from ..autograd.views import writable

__all__ = ["clamp_", "clip_", "clamp_min_", "clamp_max_", "relu_", "sigmoid_", "tanh_", "exp_"]


# -- fills, copy_, the arithmetic ones (add_ ...), random fills ----------------------------------
def zero_(self) -> Tensor:
    if self._records_inplace():
        out = Tensor._make(np.zeros_like(self._data), True, ZeroBackward0((self,)))
        return self._rebase(out)
    writable(self)[...] = 0  # torch lets zero_/fill_ write into an expanded tensor
    self._bump()
    return self


def fill_(self, value) -> Tensor:
    if self._records_inplace(value):
        if isinstance(value, Tensor):
            node = FillBackward3((self, value))
            v = value._data
        else:
            node = FillBackward2((self,))
            v = value
        out = Tensor._make(np.full_like(self._data, v), True, node)
        return self._rebase(out)
    writable(self)[...] = value._data if isinstance(value, Tensor) else value
    self._bump()
    return self


def copy_(self, src, non_blocking=False) -> Tensor:
    _check_overlap(self, src)
    if self._records_inplace(src):
        node = CopyBackwards((self, src) if isinstance(src, Tensor) else (self,))
        node.src_meta = (src._data.shape, src._data.dtype) if isinstance(src, Tensor) \
            else None
        data = src._data if isinstance(src, Tensor) else src
        out = Tensor._make(np.broadcast_to(np.asarray(data, dtype=self._data.dtype),
                                           self._data.shape), True, node)
        self._data[...] = out._data
        return self._rebase(out)
    self._data[...] = src._data if isinstance(src, Tensor) else src
    self._bump()
    return self


def _binary_(self, fn, other, **kwargs) -> Tensor:
    _check_overlap(self, other)
    if self._records_inplace(other):
        return self._rebase(fn(self._snapshot(), other, **kwargs))
    out = fn(Tensor._make(self._data), other, **kwargs)
    return self._rebase(out)


def add_(self, other, alpha=1) -> Tensor:
    from . import FUNCTIONS
    return self._binary_(FUNCTIONS["add"], other, alpha=alpha)


def sub_(self, other, alpha=1) -> Tensor:
    from . import FUNCTIONS
    return self._binary_(FUNCTIONS["sub"], other, alpha=alpha)


def mul_(self, other) -> Tensor:
    from . import FUNCTIONS
    return self._binary_(FUNCTIONS["mul"], other)


def div_(self, other) -> Tensor:
    from . import FUNCTIONS
    return self._binary_(FUNCTIONS["div"], other)


def _random_(self, node_cls, data) -> Tensor:
    _check_overlap(self, None)
    if self._records_inplace():
        return self._rebase(Tensor._make(data, True, node_cls((self,))))
    self._data[...] = data
    self._bump()
    return self


def uniform_(self, a=0.0, b=1.0) -> Tensor:
    from .._random import default_generator
    self._check_inplace()
    return self._random_(UniformBackward0, default_generator.uniform(
        self._data.shape, a, b, self._data.dtype))


def normal_(self, mean=0.0, std=1.0) -> Tensor:
    from .._random import default_generator
    self._check_inplace()
    return self._random_(NormalBackward0, default_generator.normal(
        self._data.shape, self._data.dtype) * std + mean)


def random_(self, from_=0, to=None, *, generator=None) -> Tensor:
    """Integers in [from_, to) (or [0, from_) with one argument), as torch."""
    from .._random import default_generator
    self._check_inplace()
    if to is None:
        from_, to = (0, from_) if from_ else (0, _random_top(self._data.dtype))
    g = generator or default_generator
    return self._random_(RandomBackward0, g.integers(int(from_), int(to), self._data.shape)
                         .astype(self._data.dtype))


def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
    from .._random import default_generator
    self._check_inplace()
    if not isinstance(p, Tensor) and not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    prob = p._data if isinstance(p, Tensor) else p
    g = generator or default_generator
    draw = g.uniform(self._data.shape, 0.0, 1.0, np.float64) < prob
    return self._random_(BernoulliBackward2, draw.astype(self._data.dtype))


def exponential_(self, lambd=1.0, *, generator=None) -> Tensor:
    from .._random import default_generator
    self._check_inplace()
    g = generator or default_generator
    u = g.uniform(self._data.shape, 0.0, 1.0, np.float64)
    return self._random_(ExponentialBackward0,
                         (-np.log1p(-u) / lambd).astype(self._data.dtype))


def _check_overlap(self, other, internal=True) -> None:
    """torch refuses in-place writes into an expanded tensor, and inputs that partly overlap
    the output (NumPy would buffer them silently)."""
    a = self._data
    if internal and not a.flags.writeable and any(
            st == 0 and n > 1 for st, n in zip(a.strides, a.shape)):
        raise RuntimeError(_INTERNAL_OVERLAP)
    if isinstance(other, Tensor):
        b = other._data
        if b is a or not np.may_share_memory(a, b):
            return
        same = (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
                and a.strides == b.strides and a.shape == b.shape)
        if not same and np.shares_memory(a, b):
            raise RuntimeError(_PARTIAL_OVERLAP)


# -- pointwise ops in place -----------------------------------------------------------------
def _apply(self, op, *args, expanded_ok=False, **kwargs) -> Tensor:
    """``op(self, *args)`` written into ``self``. The node's input is a snapshot of ``self``
    (its old value and history), as torch saves ``original_self`` for in-place formulas."""
    others = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
    if not expanded_ok:
        _check_overlap(self, None)
    for o in others:
        _check_overlap(self, o, not expanded_ok)
    src = self._snapshot() if self._records_inplace(*others) else Tensor._make(self._data)
    out = op(src, *args, **kwargs)
    return self._rebase(out)


def _method(name):
    return getattr(Tensor, name)


def pow_(self, exponent) -> Tensor:
    return _apply(self, _method("pow"), exponent)


def _clamp_(self, op, *bounds) -> Tensor:
    if any(isinstance(b, float) for b in bounds) and self._data.dtype.kind in "iub":
        # torch's cast check on a number-bounded clamp_ names the C++ type of self
        self._check_inplace()
        raise RuntimeError(
            "result type Float can't be cast to the desired output type "
            f"{_META_NAMES[self._data.dtype.name]}")
    if self._data.dtype.kind == "b" and any(isinstance(b, int) for b in bounds):
        self._check_inplace()
        raise RuntimeError("result type Long can't be cast to the desired output type bool")
    return _apply(self, op, *bounds)


def clamp_(self, min=None, max=None) -> Tensor:  # noqa: A002 - torch's names
    self._check_inplace()  # torch: a leaf's error comes before the argument check
    return _clamp_(self, _method("clamp"), min, max)


clip_ = clamp_


def clamp_min_(self, min) -> Tensor:  # noqa: A002
    return _clamp_(self, _method("clamp_min"), min)


def clamp_max_(self, max) -> Tensor:  # noqa: A002
    return _clamp_(self, _method("clamp_max"), max)


def relu_(self) -> Tensor:
    return _apply(self, _method("relu"))


def sigmoid_(self) -> Tensor:
    return _apply(self, _method("sigmoid"))


def tanh_(self) -> Tensor:
    return _apply(self, _method("tanh"))


def exp_(self) -> Tensor:
    return _apply(self, _method("exp"))


def masked_fill_(self, mask, value) -> Tensor:
    from .clamp import masked_fill
    a = self._data
    if any(st == 0 and n > 1 for st, n in zip(a.strides, a.shape)):
        import warnings
        warnings.warn(
            "Use of masked_fill_ on expanded tensors is deprecated. Please clone() the tensor "
            "before performing this operation. This also applies to advanced indexing e.g. "
            "tensor[mask] = scalar (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/"
            "native/TensorAdvancedIndexing.cpp:2450.)", UserWarning, stacklevel=2)
    if isinstance(mask, Tensor) and mask._data.shape != self._data.shape:
        try:
            shape = np.broadcast_shapes(mask._data.shape, self._data.shape)
        except ValueError:
            shape = None
        if shape is not None and shape != self._data.shape:
            raise RuntimeError(
                f"output with shape [{', '.join(map(str, self._data.shape))}] doesn't match "
                f"the broadcast shape [{', '.join(map(str, shape))}]")
    return _apply(self, masked_fill, mask, value, expanded_ok=True)


METHODS = {"zero_": zero_, "fill_": fill_, "copy_": copy_, "_binary_": _binary_, "add_": add_,
           "sub_": sub_, "mul_": mul_, "div_": div_, "_random_": _random_, "uniform_": uniform_,
           "normal_": normal_, "random_": random_, "bernoulli_": bernoulli_,
           "exponential_": exponential_, "pow_": pow_, "clamp_": clamp_, "clip_": clip_,
           "clamp_min_": clamp_min_, "clamp_max_": clamp_max_, "relu_": relu_,
           "sigmoid_": sigmoid_, "tanh_": tanh_, "exp_": exp_, "masked_fill_": masked_fill_}
