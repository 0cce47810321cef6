"""conv2d and 2-D pooling by im2col: a strided window view of the (padded) input, then one
tensordot, so the work is NumPy's BLAS call. Node names are torch's (ConvolutionBackward0,
MaxPool2DWithIndicesBackward0, AvgPool2DBackward0, AdaptiveAvgPool2DBackward0)."""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..autograd.graph import Node
from ._util import attach, grad_enabled, wrap
from .norm import _numpy_only

__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"]


def _pair(v, name="kernel_size"):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return (int(v[0]),) * 2
        return (int(v[0]), int(v[1]))
    return (int(v), int(v))


def _windows(xp, k, s, d):
    """(N, C, OH, OW, kh, kw) view of xp's kernel windows (no copy)."""
    kh, kw = k
    eh, ew = d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1
    v = sliding_window_view(xp, (eh, ew), axis=(2, 3))
    return v[:, :, ::s[0], ::s[1], ::d[0], ::d[1]]


def _col2im(cols, xp_shape, k, s, d, oh, ow, dtype):
    """Adjoint of _windows: add cols (N, C, OH, OW, kh, kw) back into a padded input."""
    gx = np.zeros(xp_shape, dtype=dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            r, c = i * d[0], j * d[1]
            gx[:, :, r:r + s[0] * (oh - 1) + 1:s[0], c:c + s[1] * (ow - 1) + 1:s[1]] += \
                cols[:, :, :, :, i, j]
    return gx


def _unpad(gx, p):
    h, w = gx.shape[2], gx.shape[3]
    return gx[:, :, p[0]:h - p[0], p[1]:w - p[1]]


def _unbatched(x, name):
    if x.ndim == 3:
        return x[None], True
    if x.ndim != 4:
        raise RuntimeError(
            f"Expected 3D (unbatched) or 4D (batched) input to {name}, but got input of size: "
            f"[{', '.join(map(str, x.shape))}]")
    return x, False


# -- convolution -------------------------------------------------------------------------------
def _im2col(xp, k, s, d):
    """(N*OH*OW, C*kh*kw) matrix of the kernel windows: one copy, then every product is a
    plain 2-D GEMM (tensordot on the strided view copies more and picks slower layouts)."""
    cols = _windows(xp, k, s, d)
    n, c, oh, ow = cols.shape[:4]
    return np.ascontiguousarray(cols.transpose(0, 2, 3, 1, 4, 5)).reshape(
        n * oh * ow, c * k[0] * k[1]), oh, ow


def _grouped_mm(a, b, groups):
    """a @ b.T blockwise: group i's columns of ``a`` with group i's rows of ``b``."""
    if groups == 1:
        return a @ b.T
    ka, rb = a.shape[1] // groups, b.shape[0] // groups
    return np.concatenate([a[:, i * ka:(i + 1) * ka] @ b[i * rb:(i + 1) * rb].T
                           for i in range(groups)], axis=1)


class ConvolutionBackward0(Node):
    __slots__ = ("stride", "padding", "dilation", "groups", "xp_shape", "squeeze", "k")

    def backward(self, F, g):
        _numpy_only(F, self)
        cols, w = self.saved(F)  # cols: the forward's im2col matrix
        s, d, G = self.stride, self.dilation, self.groups
        O, Cg, kh, kw = w.shape
        n, _, oh, ow = g.shape
        gm = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).reshape(-1, O)
        wm = w.reshape(O, -1)
        gx = gw = gb = None
        if self.needs(0):
            if G == 1:
                c = gm @ wm
            else:
                Og = O // G
                c = np.concatenate([gm[:, i * Og:(i + 1) * Og] @ wm[i * Og:(i + 1) * Og]
                                    for i in range(G)], axis=1)
            c = np.ascontiguousarray(
                c.reshape(n, oh, ow, Cg * G, kh, kw).transpose(0, 3, 4, 5, 1, 2))
            gx = np.zeros(self.xp_shape, dtype=g.dtype)
            for i in range(kh):
                for j in range(kw):
                    r, q = i * d[0], j * d[1]
                    gx[:, :, r:r + s[0] * (oh - 1) + 1:s[0], q:q + s[1] * (ow - 1) + 1:s[1]] \
                        += c[:, :, i, j]
            gx = _unpad(gx, self.padding)
        if self.needs(1):
            if G == 1:
                gw = (gm.T @ cols).reshape(w.shape)
            else:
                Og, Kc = O // G, cols.shape[1] // G
                gw = np.concatenate([gm[:, i * Og:(i + 1) * Og].T @ cols[:, i * Kc:(i + 1) * Kc]
                                     for i in range(G)], axis=0).reshape(w.shape)
        if len(self.next_functions) > 2 and self.needs(2):
            gb = g.sum(axis=(0, 2, 3))
        return (gx, gw, gb)[:len(self.next_functions)]


def _conv_padding(padding, k, d, s):
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0)
        if padding == "same":
            if s != (1, 1):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            tot = (d[0] * (k[0] - 1), d[1] * (k[1] - 1))
            if tot[0] % 2 or tot[1] % 2:
                raise NotImplementedError(
                    "padding='same' with an even kernel is not supported by this engine")
            return (tot[0] // 2, tot[1] // 2)
        raise ValueError(
            f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
    return _pair(padding)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if input._data.ndim == 3:  # torch: unsqueeze, convolve, squeeze (SqueezeBackward1 on top)
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                      groups).squeeze(0)
    x, squeeze = _unbatched(input._data, "conv2d")
    w = weight._data
    s, d = _pair(stride), _pair(dilation)
    k = (w.shape[2], w.shape[3])
    p = _conv_padding(padding, k, d, s)
    if w.ndim != 4:
        raise RuntimeError("weight should have at least three dimensions")
    if x.shape[1] != w.shape[1] * groups:
        ishape = ", ".join(map(str, input._data.shape))
        raise RuntimeError(
            f"Given groups={groups}, weight of size [{', '.join(map(str, w.shape))}], expected "
            f"input[{ishape}] to have {w.shape[1] * groups} channels, but got {x.shape[1]} "
            "channels instead")
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1]))) if p != (0, 0) else x
    eh, ew = d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1
    if xp.shape[2] < eh or xp.shape[3] < ew:
        raise RuntimeError(
            f"Calculated padded input size per channel: ({xp.shape[2]} x {xp.shape[3]}). "
            f"Kernel size: ({eh} x {ew}). Kernel size can't be greater than actual input size")
    cols, oh, ow = _im2col(xp, k, s, d)
    O = w.shape[0]
    y = _grouped_mm(cols, w.reshape(O, -1), groups)  # (N*OH*OW, O)
    if bias is not None:
        y = y + bias._data
    y = np.ascontiguousarray(y.reshape(x.shape[0], oh, ow, O).transpose(0, 3, 1, 2)).astype(
        x.dtype, copy=False)
    out = wrap(y[0] if squeeze else y)
    if grad_enabled[0] and (input._requires_grad or weight._requires_grad
                            or (bias is not None and bias._requires_grad)):
        node = ConvolutionBackward0((input, weight, bias))
        node.stride, node.padding, node.dilation, node.groups = s, p, d, groups
        node.squeeze, node.xp_shape = squeeze, xp.shape
        # the im2col matrix is saved (backward's weight gradient is one GEMM with it);
        # its version check follows the input tensor
        node.save(input, weight)
        node._saved = (_Held(cols, input), weight)
        attach(out, node)
    return out


class _Held:
    """A saved array standing in for its tensor (version checks read the tensor's)."""

    __slots__ = ("_data", "_t")

    def __init__(self, data, t):
        self._data, self._t = data, t

    @property
    def _version(self):
        return self._t._version


# -- pooling -------------------------------------------------------------------------------------
def _pool_out(size, k, s, p, d, ceil_mode):
    num = size + 2 * p - d * (k - 1) - 1
    o = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1
    return o


def _pool_args(kernel_size, stride, padding, dilation=1):
    k = _pair(kernel_size)
    s = _pair(stride) if stride not in (None, [], ()) else k
    return k, s, _pair(padding), _pair(dilation)


def _pad_for(x, k, s, p, d, ceil_mode, value):
    oh = _pool_out(x.shape[2], k[0], s[0], p[0], d[0], ceil_mode)
    ow = _pool_out(x.shape[3], k[1], s[1], p[1], d[1], ceil_mode)
    need_h = (oh - 1) * s[0] + d[0] * (k[0] - 1) + 1
    need_w = (ow - 1) * s[1] + d[1] * (k[1] - 1) + 1
    extra_h = max(0, need_h - x.shape[2] - 2 * p[0])
    extra_w = max(0, need_w - x.shape[3] - 2 * p[1])
    widths = ((0, 0), (0, 0), (p[0], p[0] + extra_h), (p[1], p[1] + extra_w))
    xp = np.pad(x, widths, constant_values=value) if any(sum(w) for w in widths) else x
    return xp, oh, ow, widths


def _check_pool_padding(k, p):
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise RuntimeError("pad should be at most half of effective kernel size, but got "
                           f"pad={p[0] if p[0] > k[0] // 2 else p[1]}, kernel_size="
                           f"{k[0] if p[0] > k[0] // 2 else k[1]} and dilation=1")


class MaxPool2DWithIndicesBackward0(Node):
    __slots__ = ("flat", "xp_shape", "widths", "squeeze")

    def backward(self, F, g):
        _numpy_only(F, self)
        g4 = g[None] if self.squeeze else g
        size = int(np.prod(self.xp_shape))
        gx = np.bincount(self.flat.ravel(), weights=g4.ravel(), minlength=size)
        gx = gx.astype(g.dtype).reshape(self.xp_shape)
        (_, _), (_, _), (ph0, ph1), (pw0, pw1) = self.widths
        gx = gx[:, :, ph0:gx.shape[2] - ph1, pw0:gx.shape[3] - pw1]
        return (gx[0] if self.squeeze else gx,)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    x, squeeze = _unbatched(input._data, "max_pool2d")
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation)
    _check_pool_padding(k, p)
    xp, oh, ow, widths = _pad_for(x, k, s, p, d, ceil_mode, -np.inf)
    win = _windows(xp, k, s, d).reshape(x.shape[0], x.shape[1], oh, ow, k[0] * k[1])
    arg = win.argmax(axis=-1)
    y = np.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
    out = wrap(y[0] if squeeze else np.ascontiguousarray(y))
    if return_indices:
        raise NotImplementedError("max_pool2d(return_indices=True) is not supported by this engine")
    if grad_enabled[0] and input._requires_grad:
        # flat index into the padded input of every window's maximum
        ki, kj = np.divmod(arg, k[1])
        rows = np.arange(oh)[:, None] * s[0] + ki * d[0]
        cols = np.arange(ow)[None, :] * s[1] + kj * d[1]
        H, W = xp.shape[2], xp.shape[3]
        nc = (np.arange(x.shape[0] * x.shape[1]) * H * W).reshape(x.shape[0], x.shape[1], 1, 1)
        node = MaxPool2DWithIndicesBackward0((input,))
        node.flat = nc + rows * W + cols
        node.xp_shape, node.widths, node.squeeze = xp.shape, widths, squeeze
        attach(out, node)
    return out


class AvgPool2DBackward0(Node):
    __slots__ = ("k", "s", "xp_shape", "widths", "div", "squeeze")

    def backward(self, F, g):
        _numpy_only(F, self)
        g4 = g[None] if self.squeeze else g
        gd = g4 / self.div
        cols = np.broadcast_to(gd[..., None, None], gd.shape + self.k)
        gx = _col2im(cols, self.xp_shape, self.k, self.s, (1, 1), g4.shape[2], g4.shape[3],
                     g.dtype)
        (_, _), (_, _), (ph0, ph1), (pw0, pw1) = self.widths
        gx = gx[:, :, ph0:gx.shape[2] - ph1, pw0:gx.shape[3] - pw1]
        return (gx[0] if self.squeeze else gx,)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    x, squeeze = _unbatched(input._data, "avg_pool2d")
    k, s, p, _ = _pool_args(kernel_size, stride, padding)
    _check_pool_padding(k, p)
    xp, oh, ow, widths = _pad_for(x, k, s, p, (1, 1), ceil_mode, 0)
    win = _windows(xp, k, s, (1, 1))
    total = win.sum(axis=(-2, -1))
    if divisor_override:
        div = np.asarray(divisor_override, dtype=x.dtype)
    elif count_include_pad and not ceil_mode:
        div = np.asarray(k[0] * k[1], dtype=x.dtype)
    else:  # windows count the cells inside the input (plus padding when it is included)
        H, W = x.shape[2], x.shape[3]
        lim_h, lim_w = (H + 2 * p[0], W + 2 * p[1]) if count_include_pad else (H + p[0], W + p[1])
        lo_h, lo_w = (0, 0) if count_include_pad else p
        hs = np.arange(oh) * s[0]
        ws = np.arange(ow) * s[1]
        ch = np.minimum(hs + k[0], lim_h) - np.maximum(hs, lo_h)
        cw = np.minimum(ws + k[1], lim_w) - np.maximum(ws, lo_w)
        div = (ch[:, None] * cw[None, :]).astype(x.dtype)
    y = (total / div).astype(x.dtype, copy=False)
    out = wrap(y[0] if squeeze else y)
    if grad_enabled[0] and input._requires_grad:
        node = AvgPool2DBackward0((input,))
        node.k, node.s, node.xp_shape, node.widths = k, s, xp.shape, widths
        node.div, node.squeeze = div, squeeze
        attach(out, node)
    return out


def _adaptive_matrix(n_in, n_out, dtype):
    """Row i averages input cells [floor(i*n/o), ceil((i+1)*n/o)) (torch's windows)."""
    a = np.zeros((n_out, n_in), dtype=dtype)
    for i in range(n_out):
        lo = (i * n_in) // n_out
        hi = -(-((i + 1) * n_in) // n_out)
        a[i, lo:hi] = 1.0 / (hi - lo)
    return a


class AdaptiveAvgPool2DBackward0(Node):
    __slots__ = ("ah", "aw")

    def backward(self, F, g):
        _numpy_only(F, self)
        return (np.einsum("...ij,ih,jw->...hw", g, self.ah, self.aw),)


def adaptive_avg_pool2d(input, output_size):
    x = input._data
    if x.ndim not in (3, 4):
        raise RuntimeError(
            "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
            f"[{', '.join(map(str, x.shape))}]")
    oh, ow = _pair(output_size) if not isinstance(output_size, (tuple, list)) else (
        x.shape[-2] if output_size[0] is None else output_size[0],
        x.shape[-1] if output_size[1] is None else output_size[1])
    if (oh, ow) == (1, 1):  # torch: a mean over the last two dims (MeanBackward1)
        return input.mean((-1, -2), keepdim=True)
    ah = _adaptive_matrix(x.shape[-2], oh, x.dtype)
    aw = _adaptive_matrix(x.shape[-1], ow, x.dtype)
    out = wrap(np.einsum("...hw,ih,jw->...ij", x, ah, aw).astype(x.dtype, copy=False))
    if grad_enabled[0] and input._requires_grad:
        node = AdaptiveAvgPool2DBackward0((input,))
        node.ah, node.aw = ah, aw
        attach(out, node)
    return out
