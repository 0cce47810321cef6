"""What each grad_fn saved, under torch's names: ``grad_fn._saved_self``, ``_saved_other``,
``_saved_result``, ``_saved_self_sym_sizes``, ``_saved_dim`` ...

torch generates these attributes from derivatives.yaml; here one table maps each node class to
its attributes and where the engine keeps the value (a saved input, the saved result, a node
field). They are read-only properties on the node classes, so ``dir(grad_fn)`` lists exactly
torch's names and the backward hot path is untouched. Reading a saved *tensor* after the graph
was freed raises torch's error; sizes, dims and scalars stay readable, as in torch.
"""
from __future__ import annotations

import numpy as np

from .graph import FREED_MSG

_U64 = 2**64


def _raw_int(v):
    """torch prints a saved int64 as unsigned: -1 shows as 18446744073709551615."""
    return v % _U64 if isinstance(v, int) and v < 0 else v


def wrapped_number(v):
    """A Python number saved as a tensor (torch's wrapped number: int64, double or bool)."""
    from .._tensor import Tensor
    if isinstance(v, Tensor) or v is None:
        return v
    npd = np.bool_ if isinstance(v, bool) else (np.int64 if isinstance(v, int) else np.float64)
    return Tensor._make(np.array(v, npd))


class _Saved:
    """A property reading one saved value; ``tensor`` ones raise once the graph is freed."""

    __slots__ = ("get", "tensor")

    def __init__(self, get, tensor: bool):
        self.get, self.tensor = get, tensor

    def __get__(self, node, owner=None):
        if node is None:
            return self
        if self.tensor and node._released:
            raise RuntimeError(FREED_MSG)
        return self.get(node)

    def __set__(self, node, value):
        raise AttributeError("attribute is not writable")


# -- getters -------------------------------------------------------------------------------------
def inp(i):
    def get(n):
        s = n._unpacked_saved()
        return s[i] if i < len(s) else None
    return get, True


def res():
    def get(n):
        return n._unpacked_result()
    return get, True


def field(name, conv=None, tensor=False):
    def get(n):
        v = getattr(n, name, None)
        return conv(v) if conv is not None else v
    return get, tensor


def const(v):
    return (lambda n: v), False


def sizes(name="shape"):
    return field(name, lambda s: tuple(s) if s is not None else None)


def numel(name="shape"):
    return field(name, lambda s: int(np.prod(s)) if s is not None else None)


def _as_tensor(a):
    from .._tensor import Tensor
    if a is None or isinstance(a, Tensor):
        return a
    a = np.asarray(a)
    return Tensor._make(a.astype(np.int64) if a.dtype.kind in "iu" else a)


def _dims(d):
    return None if d is None else tuple(d)


def _meta(i):
    """Sizes/strides of mm/addmm operands from ``node.meta`` (torch strides count elements)."""
    def get(n):
        m = getattr(n, "meta", None)
        if m is None:
            return None
        isz = m[2]
        return {0: tuple(m[0]), 1: tuple(s // isz for s in m[1]), 2: tuple(m[3]),
                3: tuple(s // isz for s in m[4])}[i]
    return get, False


def _scalar_other(n):
    """MulBackward0/DivBackward0 with a number: torch saves it as a wrapped-number tensor."""
    if n.scalar is not None and n.next_functions[1][0] is None:
        return wrapped_number(n.scalar)
    s = n._unpacked_saved()
    return s[1] if len(s) > 1 else None


def _scalar_self(n):
    if n.scalar is not None:
        s = n._unpacked_saved()
        return None if n.next_functions[1][0] is None or not s else s[0]
    s = n._unpacked_saved()
    return s[0] if s else None


_REDUCTION = {"none": 0, "mean": 1, "sum": 2}


def _reduction(n):
    return _REDUCTION.get(getattr(n, "reduction", "mean"), 1)


def _nll(i, tensor=False):
    def get(n):
        v = n.inputs[i] if getattr(n, "inputs", None) else None
        if i == 3:
            return _raw_int(v)
        if i == 4 and v is not None:
            return wrapped_number(float(v)).to(n.inputs[0].dtype)
        return v
    return get, tensor


def _select(what):
    def get(n):
        idx = n.index
        if what == "dim":
            return len(idx) - 1
        if what == "index":
            return idx[-1]
        raw = getattr(n, "raw", None) or idx[-1]
        v = {"start": raw.start, "end": raw.stop, "step": raw.step}[what]
        if v is None:
            v = {"start": 0, "end": 2**63 - 1, "step": 1}[what]
        return _raw_int(v)
    return get, False


def _transpose(k):
    def get(n):
        moved = [i for i, p in enumerate(n.perm) if p != i]
        if not moved:
            return 0
        return moved[k] if k < len(moved) else moved[0]
    return get, False


def _index_indices(n):
    from .._tensor import Tensor
    out = []
    for it in n.index:
        if isinstance(it, np.ndarray):
            out.append(Tensor._make(it.astype(np.int64)))
        elif it == slice(None):
            out.append(None)
        else:
            out.append(it)
    while out and out[-1] is None:
        out.pop()
    return tuple(out)


def _split_size(n):
    shapes = n.output_shapes
    return shapes[0][0][n.dim] if shapes else 0


def _split_sizes(n):
    return tuple(s[0][n.dim] for s in n.output_shapes)


def _input_sizes_from_outputs(n):
    shapes = n.output_shapes
    first = list(shapes[0][0])
    first[n.dim] = sum(s[0][n.dim] for s in shapes)
    return tuple(first)


def _pow2_exponent(n):
    if n._saved or n._packed:
        return n._unpacked_saved()[0]
    return getattr(n, "exponent_t", None)


def _raw_dims(n):
    d = n.raw[0]
    if d is None:
        return None
    return (_raw_int(d),) if isinstance(d, int) else tuple(_raw_int(x) for x in d)


def _vecnorm_dim(n):
    return n.dim


IDX = field("indices", _as_tensor, True)

S = {
    "AddBackward0": {"alpha": field("alpha")},
    "SubBackward0": {"alpha": field("alpha")},
    "RsubBackward0": {"alpha": field("alpha")},
    "RsubBackward1": {"alpha": field("alpha")},
    "MulBackward0": {"other": (_scalar_other, True), "self": (_scalar_self, True)},
    "DivBackward0": {"other": (_scalar_other, True), "self": (_scalar_self, True)},
    "PowBackward0": {"exponent": field("exponent"), "self": inp(0)},
    "PowBackward1": {"exponent": inp(1), "result": res(), "self": inp(0)},
    "PowBackward2": {"exponent": (_pow2_exponent, True), "result": res(), "self": field("base")},
    "MmBackward0": {"mat2": inp(1), "mat2_sym_sizes": _meta(2), "mat2_sym_strides": _meta(3),
                    "self": inp(0), "self_sym_sizes": _meta(0), "self_sym_strides": _meta(1)},
    "AddmmBackward0": {"alpha": field("alpha"), "beta": field("beta"), "mat1": inp(0),
                       "mat1_sym_sizes": _meta(0), "mat1_sym_strides": _meta(1),
                       "mat2": inp(1), "mat2_sym_sizes": _meta(2),
                       "mat2_sym_strides": _meta(3)},
    "MvBackward0": {"self": inp(0), "vec": inp(1)},
    "DotBackward0": {"self": inp(0), "tensor": inp(1)},
    "BmmBackward0": {"mat2": inp(1), "self": inp(0)},
    "SumBackward0": {"self_sym_sizes": sizes()},
    "SumBackward1": {"dim": field("dims", _dims), "keepdim": field("keepdim"),
                     "self_sym_sizes": sizes()},
    "MeanBackward0": {"self_sym_numel": numel(), "self_sym_sizes": sizes()},
    "MeanBackward1": {"dim": field("dims", _dims), "keepdim": field("keepdim"),
                      "self_sym_numel": numel(), "self_sym_sizes": sizes()},
    "ExpBackward0": {"result": res()},
    "SqrtBackward0": {"result": res()},
    "TanhBackward0": {"result": res()},
    "SigmoidBackward0": {"result": res()},
    "ReluBackward0": {"result": res()},
    "ReciprocalBackward0": {"result": res()},
    "RsqrtBackward0": {"result": res()},
    "LogBackward0": {"self": inp(0)},
    "Log1PBackward0": {"self": inp(0)},
    "AbsBackward0": {"self": inp(0)},
    "SinBackward0": {"self": inp(0)},
    "CosBackward0": {"self": inp(0)},
    "ErfBackward0": {"self": inp(0)},
    "NanToNumBackward0": {"self": inp(0)},
    "ClampBackward1": {"max": field("max"), "min": field("min"), "self": inp(0)},
    "ClampBackward0": {"max": inp(2), "min": inp(1), "self": inp(0)},
    "MaxBackward1": {"result": res(), "self": inp(0)},
    "MinBackward1": {"result": res(), "self": inp(0)},
    "MaxBackward0": {"dim": field("dim"), "indices": IDX,
                     "keepdim": field("keepdim"), "self_sym_sizes": sizes()},
    "MinBackward0": {"dim": field("dim"), "indices": IDX,
                     "keepdim": field("keepdim"), "self_sym_sizes": sizes()},
    "AmaxBackward0": {"dim": field("dims", _dims), "keepdim": field("keepdim"),
                      "result": res(), "self": inp(0)},
    "AminBackward0": {"dim": field("dims", _dims), "keepdim": field("keepdim"),
                      "result": res(), "self": inp(0)},
    "AsStridedBackward0": {"size": (lambda n: n.vmap.sizes(), False),
                           "storage_offset": (lambda n: n.vmap.storage_offset(), False),
                           "stride": (lambda n: n.vmap.element_strides(), False)},
    "MaskedFillBackward0": {"mask": field("mask", _as_tensor, True)},
    "MaskedFillBackward1": {"mask": field("mask", _as_tensor, True)},
    "MaximumBackward0": {"other": inp(1), "self": inp(0)},
    "MinimumBackward0": {"other": inp(1), "self": inp(0)},
    "VarBackward0": {"correction": (lambda n: n.raw[1], False), "dim": (_raw_dims, False),
                     "keepdim": field("keepdim"), "self": inp(0)},
    "StdBackward0": {"correction": (lambda n: n.raw[1], False), "dim": (_raw_dims, False),
                     "keepdim": field("keepdim"), "result": res(), "self": inp(0)},
    "LogsumexpBackward0": {"dim": field("dims", _dims), "keepdim": field("keepdim"),
                           "result": res(), "self": inp(0)},
    "ProdBackward0": {"result": res(), "self": inp(0)},
    "ProdBackward1": {"dim": field("dim"), "keepdim": field("keepdim"), "result": res(),
                      "self": inp(0)},
    "WhereBackward0": {"condition": field("cond", _as_tensor, True)},
    "CumsumBackward0": {"dim": field("dim")},
    "CumprodBackward0": {"dim": field("dim"), "result": res(), "self": inp(0)},
    "FlipBackward0": {"dims": field("dims", _dims)},
    "SortBackward0": {"dim": field("shown_dim", _raw_int), "indices": IDX,
                      "self_sym_sizes": sizes()},
    "SortBackward1": {"dim": field("shown_dim", _raw_int), "indices": IDX,
                      "self_sym_sizes": sizes()},
    "TopkBackward0": {"dim": field("shown_dim", _raw_int), "indices": IDX,
                      "self_sym_sizes": sizes()},
    "LinalgVectorNormBackward0": {"dim": (_vecnorm_dim, False), "keepdim": field("keepdim"),
                                  "ord": field("ord"), "result": res(), "self": inp(0)},
    "ViewBackward0": {"self_sym_sizes": sizes()},
    "UnsafeViewBackward0": {"self_sym_sizes": sizes()},
    "ExpandBackward0": {"self_sym_sizes": sizes()},
    "SqueezeBackward0": {"self_sym_sizes": sizes()},
    "SqueezeBackward1": {"dim": field("dim", _raw_int), "self_sym_sizes": sizes()},
    "SqueezeBackward2": {"dim": field("dim", lambda d: tuple(d) if d is not None else None),
                         "self_sym_sizes": sizes()},
    "SqueezeBackward4": {"dim": field("dim", _raw_int), "self_sym_sizes": sizes()},
    "UnsqueezeBackward0": {"dim": field("dim", _raw_int)},
    "TransposeBackward0": {"dim0": _transpose(0), "dim1": _transpose(1)},
    "PermuteBackward0": {"dims": field("inverse", lambda inv: tuple(
        int(i) for i in np.argsort(inv)))},
    "SelectBackward0": {"dim": _select("dim"), "index": _select("index"),
                        "self_sym_sizes": sizes()},
    "SliceBackward0": {"dim": _select("dim"), "end": _select("end"),
                       "self_sym_sizes": sizes(), "start": _select("start"),
                       "step": _select("step")},
    "IndexBackward0": {"indices": (_index_indices, True), "self_sym_sizes": sizes()},
    "CatBackward0": {"dim": field("dim")},
    "StackBackward0": {"dim": field("dim")},
    "SplitBackward0": {"dim": field("dim"), "self_sym_sizes": (_input_sizes_from_outputs,
                                                               False),
                       "split_size": (_split_size, False)},
    "SplitWithSizesBackward0": {"dim": field("dim"),
                                "self_sym_sizes": (_input_sizes_from_outputs, False),
                                "split_sizes": (_split_sizes, False)},
    "BinaryCrossEntropyWithLogitsBackward0": {
        "pos_weight": field("pos_weight", _as_tensor, True), "reduction": (_reduction, False),
        "self": inp(0), "target": inp(1), "weight": field("weight", _as_tensor, True)},
    "BinaryCrossEntropyBackward0": {"reduction": (_reduction, False), "self": inp(0),
                                    "target": inp(1), "weight": field("weight", _as_tensor, True)},
    "MseLossBackward0": {"reduction": (_reduction, False), "self": inp(0), "target": inp(1)},
    "NllLossBackward0": {"ignore_index": _nll(3), "reduction": (_reduction, False),
                         "self": _nll(0, True), "target": _nll(1, True),
                         "total_weight": _nll(4, True), "weight": _nll(2, True)},
    "NllLoss2DBackward0": {"ignore_index": _nll(3), "reduction": (_reduction, False),
                           "self": _nll(0, True), "target": _nll(1, True),
                           "total_weight": _nll(4, True), "weight": _nll(2, True)},
    "LogSoftmaxBackward0": {"dim": field("dim"), "result": res()},
    "SoftmaxBackward0": {"dim": field("dim"), "result": res()},
    "GeluBackward0": {"approximate": field("approximate"), "self": inp(0)},
    "LeakyReluBackward0": {"negative_slope": field("negative_slope"), "self": inp(0)},
}


def install() -> None:
    """Put the properties on the node classes (called once, after every op module loaded)."""
    from .graph import Node
    classes: dict[str, list] = {}
    stack = [Node]
    while stack:
        c = stack.pop()
        for sub in c.__subclasses__():
            classes.setdefault(sub.__name__, []).append(sub)
            stack.append(sub)
    for name, attrs in S.items():
        for cls in classes.get(name, ()):
            for attr, (get, tensor) in attrs.items():
                setattr(cls, f"_saved_{attr}", _Saved(get, tensor))
