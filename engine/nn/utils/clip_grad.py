"""clip_grad_norm_ / clip_grad_value_ (torch's norms, scaling and messages)."""
from __future__ import annotations

import math

import numpy as np

from ..._tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p._grad for p in parameters if p._grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    grads = _grads(parameters)
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if not grads:
        return Tensor._make(np.array(0.0, dtype=np.float32))
    dtype = grads[0]._data.dtype
    if norm_type == math.inf:
        norms = [np.abs(g._data).max() if g._data.size else 0.0 for g in grads]
        total = np.max(norms)
    else:
        norms = [np.linalg.norm(g._data.ravel(), norm_type) for g in grads]
        total = np.linalg.norm(np.asarray(norms, dtype=np.float64), norm_type)
    total = np.asarray(total, dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    clip_coef = np.asarray(max_norm / (total + 1e-6), dtype=dtype)
    clamped = np.minimum(clip_coef, np.asarray(1.0, dtype=dtype))
    for g in grads:
        g._data[...] = g._data * clamped
        g._bump()
    return Tensor._make(total)


def clip_grad_value_(parameters, clip_value, foreach=None) -> None:
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        g._bump()
