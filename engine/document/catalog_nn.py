"""Catalog rows for what torch.nn's modules call: torch.nn.functional's activations, losses,
normalization, embedding, convolution and pooling (the engine's ``engine/nn``).

One row per op, as in ``catalog_ops.py``; ``_functional`` writes the common shape of these
rows: tensors as ports (required ones positional, optional ones by keyword), settings as
params passed by keyword and exported only when they differ from torch's default.
"""
from __future__ import annotations

from .catalog import REDUCTIONS, OpSpec, Param, Port, _add, _fn, _r
from .catalog_ops import F_, X, _unary

NN = "Neural network"
REDUCTION = Param("reduction", "choice", "mean", choices=REDUCTIONS)
EPS = Param("eps", "float", 1e-5, minimum=0.0, doc="added to the variance for stability")
# Sizes are an int or one int per spatial dim (torch's _pair); bounded so that padding a
# small input cannot allocate an absurd result.
STRIDE = Param("stride", "dims", 1, minimum=1, maximum=1024)
PADDING = Param("padding", "dims", 0, minimum=0, maximum=1024, doc="zeros added on each side")
DILATION = Param("dilation", "dims", 1, minimum=1, maximum=1024,
                 doc="spacing between kernel elements")
KERNEL = Param("kernel_size", "dims", 2, minimum=1, maximum=1024)
POOL_STRIDE = Param("stride", "dims", None, minimum=1, maximum=1024, optional=True,
                    doc="None: kernel_size")
CEIL = Param("ceil_mode", "bool", False, doc="ceil instead of floor for the output size")


# Each row's vector-Jacobian products (its ``formula``), keyed by the row: one line per
# grad_fn it records, as torch's derivatives.yaml writes them (x_hat = (x - mean) / sigma).
NN_VJP = {
    "elu": "EluBackward0: grad_self = grad * (1 if self > 0 else result + alpha)",
    "softplus": "SoftplusBackward0: grad_self = grad * sigmoid(beta * self)",
    "silu": "SiluBackward0: grad_self = grad * sigmoid(self) * (1 + self * (1 - "
            "sigmoid(self)))",
    "l1_loss": "SubBackward0: grad_self = grad; grad_other = -grad\n"
               "AbsBackward0: grad_self = grad * self.sgn()\n"
               "MeanBackward0: grad_self = grad.expand(self.shape) / self.numel()\n"
               "l1_loss = mean(abs(input - target))",
    "huber_loss": "HuberLossBackward0: grad_self = grad * clamp(self - target, -delta, delta) "
                  "/ N; grad_target = -grad_self",
    "smooth_l1_loss": "SmoothL1LossBackward0: grad_self = grad * ((self - target) / beta if "
                      "|self - target| < beta else sign(self - target)) / N; "
                      "grad_target = -grad_self",
    "dropout": "MulBackward0: grad_self = grad * other  (other = mask / (1 - p))\n"
               "NativeDropoutBackward0: grad_self = grad * mask / (1 - p)",
    "layer_norm": "NativeLayerNormBackward0: grad_input = (g - mean(g) - x_hat * "
                  "mean(g * x_hat)) / sigma with g = grad * weight; grad_weight = sum(grad * "
                  "x_hat); grad_bias = sum(grad)",
    "batch_norm": "NativeBatchNormBackward0: grad_input = (g - mean(g) - x_hat * "
                  "mean(g * x_hat)) / sigma with g = grad * weight (training; eval: "
                  "grad * weight / sigma); grad_weight = sum(grad * x_hat); "
                  "grad_bias = sum(grad)",
    "embedding": "EmbeddingBackward0: grad_weight = zeros_like(weight).index_add(0, "
                 "input, grad)  (row padding_idx gets none)",
    "conv2d": "ConvolutionBackward0: grad_input = conv_transpose2d(grad, weight); "
              "grad_weight = conv2d(input, grad) (per sample, correlated); "
              "grad_bias = grad.sum((0, 2, 3))",
    "max_pool2d": "MaxPool2DWithIndicesBackward0: grad_self = grad sent to the position of "
                  "each window's maximum (indices)",
    "avg_pool2d": "AvgPool2DBackward0: grad_self = each window's grad / its divisor, spread "
                  "over the window",
    "adaptive_avg_pool2d": "AdaptiveAvgPool2DBackward0: grad_self = each bin's grad / its "
                           "size, spread over the bin\n"
                           "MeanBackward1: grad_self = grad.unsqueeze(dim).expand(self.shape) "
                           "/ self.shape[dim]",
    "bilinear": "bilinear = sum_ij input1_i * weight[o, i, j] * input2_j + bias  (composite: "
                "its MulBackward0, SumBackward1, MmBackward0, views)",
}


def _functional(key, category, doc, ports, params=(), positional=(), prefix=None):
    """A ``torch.nn.functional.<key>`` row. ``positional``: params (or optional ports, e.g.
    batch_norm's running stats, written as ``None`` when unwired) torch takes by position."""
    path = F_ + key
    defaults = {p.name: p.default for p in params}
    keyword = [p.name for p in params if p.name not in positional]

    def call(m, i, p):
        args, kwargs = [], {}
        for port, v in zip(ports, i):
            if not port.optional or port.name in positional:
                args.append(v)
            elif v is not None:
                kwargs[port.name] = v
        args += [p[n] for n in positional if n in defaults]
        kwargs.update((n, p[n]) for n in keyword)
        return _fn(m, path)(*args, **kwargs)

    def code(a, p):
        args, kw = [], []
        for port, v in zip(ports, a):
            if not port.optional or port.name in positional:
                args.append("None" if v is None else v)
            elif v is not None:
                kw.append(f"{port.name}={v}")
        args += [_r(p[n]) for n in positional if n in defaults]
        kw += [f"{n}={_r(p[n])}" for n in keyword if p[n] != defaults[n]]
        return f"torch.nn.functional.{key}({', '.join(args + kw)})"

    _add(OpSpec("F." + key, category, key, tuple(ports), tuple(params), doc, call=call,
                code=code, name_prefix=prefix, formula=NN_VJP.get(key)))


# -- Activations ----------------------------------------------------------------------------
_unary("F.elu", "Activations", "input if > 0 else alpha * (exp(input) - 1).", path=F_ + "elu",
       params=(Param("alpha", "float", 1.0),), skip={"alpha": 1.0}, formula=NN_VJP["elu"])
_unary("F.softplus", "Activations", "log(1 + exp(beta * input)) / beta; linear above "
       "threshold.", path=F_ + "softplus",
       params=(Param("beta", "float", 1.0), Param("threshold", "float", 20.0)),
       skip={"beta": 1.0, "threshold": 20.0}, formula=NN_VJP["softplus"])
_unary("F.silu", "Activations", "input * sigmoid(input) (swish).", path=F_ + "silu",
       formula=NN_VJP["silu"])

# -- Losses ---------------------------------------------------------------------------------
_TARGET = Port("target")
_functional("l1_loss", "Losses", "Mean absolute error.", (X, _TARGET), (REDUCTION,),
            prefix="loss")
_functional("huber_loss", "Losses", "Squared error below delta, linear above (scaled by delta).",
            (X, _TARGET), (REDUCTION, Param("delta", "float", 1.0, minimum=0.0)),
            prefix="loss")
_functional("smooth_l1_loss", "Losses", "Squared error / beta below beta, absolute error above.",
            (X, _TARGET), (REDUCTION, Param("beta", "float", 1.0, minimum=0.0)), prefix="loss")

# -- Neural network -------------------------------------------------------------------------
_OPT_W, _OPT_B = Port("weight", optional=True), Port("bias", optional=True)
_functional("dropout", NN, "Zeroes each element with probability p and scales the rest by "
            "1 / (1 - p) while training (random: a new mask every run).", (X,),
            (Param("p", "float", 0.5, minimum=0.0, maximum=1.0),
             Param("training", "bool", True, doc="False: the identity, as in model.eval()")),
            prefix="drop")
_functional("layer_norm", NN, "Normalizes over the last dims (normalized_shape), then "
            "* weight + bias.", (X, _OPT_W, _OPT_B),
            (Param("normalized_shape", "shape", (3,), minimum=1,
                   doc="the trailing dims to normalize over"), EPS),
            positional=("normalized_shape",), prefix="ln")
_functional("batch_norm", NN, "Normalizes each channel (dim 1) by the batch statistics "
            "(training) or by running_mean / running_var (eval), then * weight + bias.",
            (X, Port("running_mean", optional=True, differentiable=False),
             Port("running_var", optional=True, differentiable=False), _OPT_W, _OPT_B),
            (Param("training", "bool", False, doc="use the batch statistics and update the "
                   "wired running_mean / running_var in place, as torch: every forward "
                   "moves them on"),
             Param("momentum", "float", 0.1, minimum=0.0, maximum=1.0), EPS),
            positional=("running_mean", "running_var"), prefix="bn")
_functional("embedding", NN, "Rows of weight picked by the integer indices in input.",
            (Port("input", differentiable=False), Port("weight")),
            (Param("padding_idx", "int", None, optional=True,
                   doc="this row gets no gradient"),), prefix="emb")
_functional("conv2d", NN, "2-D cross-correlation of (N, C, H, W) input with (C_out, C/groups, "
            "kH, kW) weight, plus bias.", (X, Port("weight"), _OPT_B),
            (STRIDE, PADDING, DILATION, Param("groups", "int", 1, minimum=1)), prefix="conv")
_functional("max_pool2d", NN, "Maximum over each kernel_size window (gradient to the max).",
            (X,), (KERNEL, POOL_STRIDE, PADDING, DILATION, CEIL),
            positional=("kernel_size",), prefix="pool")
_functional("avg_pool2d", NN, "Mean over each kernel_size window.", (X,),
            (KERNEL, POOL_STRIDE, PADDING, CEIL,
             Param("count_include_pad", "bool", True, doc="count padded zeros in the mean"),
             Param("divisor_override", "int", None, minimum=1, optional=True)),
            positional=("kernel_size",), prefix="pool")
_functional("adaptive_avg_pool2d", NN, "Mean pooling to a fixed output_size (H, W).", (X,),
            (Param("output_size", "dims", 1, minimum=1, maximum=1024),),
            positional=("output_size",), prefix="pool")
_functional("bilinear", NN, "input1^T A input2 + bias for each output feature (weight: "
            "(out, in1, in2)).", (Port("input1"), Port("input2"), Port("weight"), _OPT_B))
