"""In-place variants of pointwise ops (``pow_``, ``clamp_``, ``relu_``, ``sigmoid_``, ``tanh_``,
``exp_``, ``masked_fill_`` ...), as torch's: the out-of-place op computes the value and records
the node (its grad_fn name is the out-of-place op's, as in torch), then ``Tensor._rebase``
writes it into ``self``, which keeps its identity and memory and moves on one version.

A node that saved its *result* (``ExpBackward0``, ``SigmoidBackward0``, ``ReluBackward0``...)
saves ``self`` itself, so a later in-place change of ``self`` trips torch's version check.
"""
from __future__ import annotations

from .._tensor import _META_NAMES, Tensor, _check_overlap

__all__ = ["clamp_", "clip_", "clamp_min_", "clamp_max_", "relu_", "sigmoid_", "tanh_", "exp_"]


def _apply(self, op, *args, **kwargs) -> Tensor:
    """``op(self, *args)`` written into ``self``. The node's input is a snapshot of ``self``
    (its old value and history), as torch saves ``original_self`` for in-place formulas."""
    others = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
    for o in others:
        _check_overlap(self, o)
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
    if isinstance(mask, Tensor) and mask._data.shape != self._data.shape:
        import numpy as np
        try:
            shape = np.broadcast_shapes(mask._data.shape, self._data.shape)
        except ValueError:
            shape = None
        if shape is not None and shape != self._data.shape:
            raise RuntimeError(
                f"output with shape [{', '.join(map(str, self._data.shape))}] doesn't match "
                f"the broadcast shape [{', '.join(map(str, shape))}]")
    return _apply(self, masked_fill, mask, value)


METHODS = {"pow_": pow_, "clamp_": clamp_, "clip_": clip_, "clamp_min_": clamp_min_,
           "clamp_max_": clamp_max_, "relu_": relu_, "sigmoid_": sigmoid_, "tanh_": tanh_,
           "exp_": exp_, "masked_fill_": masked_fill_}
