"""engine.nn.functional: activations and losses, torch.nn.functional's names and semantics."""
from __future__ import annotations

__all__ = ["relu", "relu_", "sigmoid", "tanh", "leaky_relu", "gelu", "softmax", "log_softmax",
           "linear", "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "nll_loss", "elu", "softplus", "silu", "dropout", "l1_loss",
           "huber_loss", "smooth_l1_loss", "layer_norm", "batch_norm", "embedding", "conv2d",
           "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "bilinear"]

from ..ops import nn_ops
from ..ops.activation import (
    LeakyReluBackward1,
    apply_inplace,
    dropout,
    elu,
    huber_loss,
    l1_loss,
    silu,
    smooth_l1_loss,
    softplus,
)
from ..ops.conv import adaptive_avg_pool2d, avg_pool2d, conv2d, max_pool2d
from ..ops.nn_ops import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    gelu,
    linear,
    mse_loss,
    nll_loss,
)
from ..ops.norm import batch_norm, embedding, layer_norm
from ..ops.pointwise import relu as _relu
from ..ops.pointwise import sigmoid, tanh

softmax = nn_ops.f_softmax
log_softmax = nn_ops.f_log_softmax


def relu(input, inplace=False):
    return apply_inplace(_relu, input) if inplace else _relu(input)


def relu_(input):
    return apply_inplace(_relu, input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    if inplace:
        return apply_inplace(nn_ops.leaky_relu, input, negative_slope,
                             node_cls=LeakyReluBackward1)
    return nn_ops.leaky_relu(input, negative_slope)


def _unflatten(input, dim, sizes):
    """Tensor.unflatten's job for nn.Unflatten (torch.nn.functional has no unflatten)."""
    shape = list(input.shape)
    d = dim % len(shape) if shape else 0
    sizes = list(sizes)
    if -1 in sizes:
        known = 1
        for s in sizes:
            if s != -1:
                known *= s
        sizes[sizes.index(-1)] = shape[d] // known if known else 0
    return input.view(*shape[:d], *sizes, *shape[d + 1:])


def bilinear(input1, input2, weight, bias=None):
    """y = x1^T A x2 + b, as an einsum of engine ops (torch records it the same way)."""
    out = ((input1.unsqueeze(-2).unsqueeze(-2) @ weight).squeeze(-2)
           * input2.unsqueeze(-2)).sum(-1)
    return out + bias if bias is not None else out
