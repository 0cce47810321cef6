"""engine.nn.functional: activations and losses, torch.nn.functional's names and semantics."""
from __future__ import annotations

__all__ = ["relu", "sigmoid", "tanh", "leaky_relu", "gelu", "softmax", "log_softmax", "linear",
           "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "nll_loss"]

from ..ops import nn_ops
from ..ops.nn_ops import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    gelu,
    leaky_relu,
    linear,
    mse_loss,
    nll_loss,
)
from ..ops.pointwise import relu as _relu
from ..ops.pointwise import sigmoid, tanh

softmax = nn_ops.f_softmax
log_softmax = nn_ops.f_log_softmax


def relu(input, inplace=False):
    return _relu(input)
