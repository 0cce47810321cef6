"""The Tensor: an ndarray plus autograd metadata, with torch's API and semantics. Its version
counter, views and the in-place machinery (_check_inplace, _rebase) are here; the in-place
methods themselves (zero_, add_, exp_ ...) are in ops/inplace.py, their nodes in _inplace.py."""
from __future__ import annotations

import re
import warnings
import weakref

import numpy as np

from . import _dtype
from ._device import CPU, check_device
from ._inplace import (
    _META_NAMES,
    _SCALAR_NAMES,
    _VIEW_NODES,
    _can_cast,
    _views_a_leaf,
)
from .autograd.grad_mode import _enabled
from .autograd.graph import AccumulateGrad, RemovableHandle
from .autograd.views import MULTI_VIEW, rebase_view, refresh_views, writable

NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information. (Triggered "
    "internally at /__w/pytorch/pytorch/build/aten/src/ATen/core/TensorBody.h:493.)"
)
# torch words this three ways: factories, the requires_grad setter, requires_grad_()
ONLY_FLOAT_GRAD = "Only Tensors of floating point and complex dtype can require gradients"
_ONLY_FLOAT_SET = "only Tensors of floating point and complex dtype can require gradients"
_ONLY_FLOAT_METHOD = "only Tensors of floating point dtype can require gradients"
NON_LEAF_REQUIRES_GRAD = (
    "you can only change requires_grad flags of leaf variables. If you want to use a "
    "computed variable in a subgraph that doesn't require differentiation use "
    "var_no_grad = var.detach()."
)
NO_GRAD_VIEW_INPLACE = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled. "
    "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify "
    "your code by moving both the view and the inplace either both inside the no_grad block "
    "(if you don't want the inplace to be tracked) or both outside (if you want the inplace "
    "to be tracked)."
)


class Size(tuple):
    """torch.Size: a tuple that prints as ``torch.Size([5, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def __add__(self, other):  # torch.Size + tuple is a torch.Size
        return Size(tuple.__add__(self, other))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r


def _type_name(t) -> str:
    return {
        "float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
        "float16": "torch.HalfTensor", "int64": "torch.LongTensor", "int32": "torch.IntTensor",
        "int16": "torch.ShortTensor", "int8": "torch.CharTensor", "uint8": "torch.ByteTensor",
        "bool": "torch.BoolTensor",
    }[t.dtype.name]


class Tensor:
    # _data, _requires_grad and grad_fn are set on every tensor; the rest are class defaults
    # overwritten only where they change (tensor creation is on every op's path).
    __slots__ = ("_data", "_requires_grad", "grad_fn", "__weakref__", "__dict__")
    _grad = None
    _output_nr = 0
    _accumulator = None
    _retains_grad = False
    _hooks = None
    # torch's VersionCounter: one cell ([version]) shared by a base, all its views and the
    # tensors detach()ed from them. Made on first need (a bump, a detach, a saved result); a
    # view keeps only its base (``_view_of``, the root of its view chain) and reads the
    # base's cell, so making a view allocates no counter.
    _vc = None
    _view_of = None
    _views = None  # on a base: weak references to its views (autograd/views.py)
    _multi_view = False  # an output of split/chunk (or a view of one): no in-place under grad
    # a view made under no_grad of a tensor requiring grad: torch makes it a leaf that
    # requires grad but has no grad accumulator (its uses get (None, 0) edges)
    _nograd_view = False
    _name = None

    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operator

    def __new__(cls, *args, **kwargs):
        """The legacy constructor ``torch.Tensor(...)`` (sizes, data or a tensor)."""
        from ._legacy import construct
        return construct(cls, None, args, kwargs)

    def __init__(self, *args, **kwargs):  # the work is in __new__ (torch's tensor_new)
        pass

    @classmethod
    def _make(cls, data, requires_grad=False, grad_fn=None, output_nr=0):
        """Fast constructor; ``data`` must already be an ndarray of a supported dtype."""
        t = object.__new__(cls)
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        t._data = data
        t._requires_grad = requires_grad
        t.grad_fn = grad_fn
        if output_nr:
            t._output_nr = output_nr
        return t

    # -- metadata ---------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(
                f"size(): argument 'dim' (position 1) must be int, not {type(dim).__name__}")
        if self._data.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[self._wrap_dim(dim)]

    def _wrap_dim(self, dim: int) -> int:
        n = self._data.ndim
        lo, hi = (-n, n - 1) if n else (-1, 0)
        if not lo <= dim <= hi:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
        return dim % n if n else 0

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return CPU

    is_cuda = False
    is_mps = False

    def cpu(self, memory_format=None) -> Tensor:
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None) -> Tensor:
        check_device("cuda")

    def get_device(self) -> int:
        return -1

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # -- autograd metadata ------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._nograd_view:  # torch: requires_grad follows the base; no error, no change
            return
        if self.grad_fn is not None:  # torch: the short text when setting True
            raise RuntimeError(NON_LEAF_REQUIRES_GRAD if not value else
                               NON_LEAF_REQUIRES_GRAD.split(" If you")[0])
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(_ONLY_FLOAT_SET)
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self._nograd_view:
            return self
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(NON_LEAF_REQUIRES_GRAD)
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(_ONLY_FLOAT_METHOD)
        if self.grad_fn is None:
            self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype "
                    f"'{_META_NAMES[value._data.dtype.name]}' to a tensor with grad_dtype "
                    f"'{_SCALAR_NAMES[self._data.dtype.name]}'. The gradient must match the "
                    "tensor's grad_dtype (defaults to the tensor's dtype). You can set the "
                    "tensor's grad_dtype attribute with a specific dtype, or None to allow any "
                    "dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and "
                    "its gradient may break downstream systems that assume they match.")
            if value._data.shape != self._data.shape:
                got = ", ".join(map(str, value._data.shape))
                want = ", ".join(map(str, self._data.shape))
                raise RuntimeError(
                    f"attempting to assign a gradient of size '[{got}]' to a tensor of size "
                    f"'[{want}]'. Please ensure that the gradient and the tensor are the same "
                    "size")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        fn = self.grad_fn
        if fn._retained is None:
            fn._retained = {}
        fn._special = True
        fn._retained[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    def _grad_accumulator(self) -> AccumulateGrad:
        acc = self._accumulator
        if acc is None:
            if self._nograd_view:
                return None
            acc = self._accumulator = AccumulateGrad(self)
        return acc

    def register_hook(self, hook) -> RemovableHandle:
        if not self._requires_grad:
            raise RuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient")
        node = self.grad_fn if self.grad_fn is not None else self._grad_accumulator()
        if node is None:  # a no_grad view: torch accepts the hook, which never runs
            return RemovableHandle({})
        if node._tensor_pre_hooks is None:
            node._tensor_pre_hooks = {}
        node._special = True
        hooks = node._tensor_pre_hooks.setdefault(self._output_nr, {})
        h = RemovableHandle(hooks)
        hooks[h._key] = hook
        return h

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        t = Tensor._make(self._data)
        # shares memory and (as in torch) the version counter: an in-place change of the
        # detached tensor invalidates what the graph saved of this one. Not a view (_base None)
        t._vc = self._counter()
        return t

    # -- version counter and views --------------------------------------------------------------
    def _counter(self) -> list:
        """The shared version cell, made on first need (on the root base for a view)."""
        vc = self._vc
        if vc is None:
            owner = self._view_of
            if owner is None:
                owner = self
            vc = owner._vc
            if vc is None:
                vc = owner._vc = [0]
        return vc

    @property
    def _version(self) -> int:
        vc = self._vc
        if vc is None:
            base = self._view_of
            if base is None or base._vc is None:
                return 0
            vc = base._vc
        return vc[0]

    @_version.setter
    def _version(self, value: int) -> None:
        self._counter()[0] = value

    @property
    def _base(self):
        """The tensor this one is a view of (the root of a chain of views), or None."""
        return self._view_of

    def _is_view(self) -> bool:
        return self._view_of is not None

    def _viewed_as(self, out: Tensor) -> Tensor:
        """Mark ``out`` (sharing this tensor's memory) a view of it: the same base, hence the
        same version counter, as torch's view ops."""
        base = self._view_of
        if base is None:
            base = self
        out._view_of = base
        if self._multi_view:
            out._multi_view = True
        if base.grad_fn is not None:  # a base in a graph lists its views (autograd/views.py)
            views = base._views
            if views is None:
                base._views = [weakref.ref(out)]
            else:
                views.append(weakref.ref(out))
                n = len(views)
                if n >= 16 and not n & (n - 1):  # at 16, 32, 64...: drop the dead (amortized)
                    views[:] = [r for r in views if r() is not None]
        return out

    def detach_(self) -> Tensor:
        if self._view_of is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        if self.grad_fn is not None:
            self.grad_fn = None
            self._output_nr = 0
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data

    # -- conversion ---------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self._data
        return a if dtype is None else a.astype(dtype)

    def tolist(self):
        return self._data.tolist()

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def __float__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            what = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")
        return bool(self._data.reshape(()).item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __repr__(self) -> str:
        from ._formatting import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:  # torch: a 0-d tensor formats as its Python number
            return self.item().__format__(spec)
        return object.__format__(self, spec) if spec else repr(self)

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment.  If you were attempting to deepcopy a module, "
                "this may be because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001")
        t = Tensor._make(self._data.copy(), self._requires_grad)
        if self._grad is not None:
            t._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = t
        return t

    # -- in-place -------------------------------------------------------------------------
    # As in torch, an in-place op on a tensor that is part of a graph (or that receives a
    # value requiring grad) records the op and "rebases" the tensor: it keeps its identity and
    # memory, takes the new value and the new grad_fn, and its version moves on.
    def _check_inplace(self) -> None:
        if _enabled[0] and self._requires_grad:
            fn = self.grad_fn
            if fn is None:
                if self._nograd_view:
                    raise RuntimeError(NO_GRAD_VIEW_INPLACE)
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place "
                    "operation.")
            base = self._view_of
            if base is not None:
                if base.grad_fn is None and base._requires_grad:
                    raise RuntimeError("a view of a leaf Variable that requires grad is being "
                                       "used in an in-place operation.")
                if self._multi_view:
                    short = re.sub(r"Backwards?(\d*)$", lambda m: m.group(1).lstrip("0"),
                                   fn.name())
                    raise RuntimeError(f"Output {self._output_nr} of {short} is a view and is "
                                       f"being modified inplace. {MULTI_VIEW}")
            elif type(fn).__name__ in _VIEW_NODES and _views_a_leaf(fn):
                raise RuntimeError("a view of a leaf Variable that requires grad is being "
                                   "used in an in-place operation.")

    def _bump(self) -> None:
        """The data changed in place: the shared version counter moves on, so what any node
        saved of this tensor, its base, views or detached aliases fails torch's check."""
        self._counter()[0] += 1
        self._refresh_views()

    def _refresh_views(self) -> None:
        base = self._view_of
        if base is None:
            base = self
        if base._views is not None and base._requires_grad:
            refresh_views(base, self)

    def _rebase(self, out: Tensor) -> Tensor:
        d = out._data
        if d.shape != self._data.shape:  # torch checks the shape before the dtype
            raise RuntimeError(
                f"output with shape [{', '.join(map(str, self._data.shape))}] doesn't match "
                f"the broadcast shape [{', '.join(map(str, d.shape))}]")
        if d.dtype != self._data.dtype and not _can_cast(d.dtype, self._data.dtype):
            raise RuntimeError(
                f"result type {_SCALAR_NAMES[d.dtype.name]} can't be cast to the desired "
                f"output type {_SCALAR_NAMES[self._data.dtype.name]}")
        dst = self._data
        (dst if dst.flags.writeable else writable(self))[...] = d
        vc = self._counter()
        vc[0] += 1
        fn = out.grad_fn
        if fn is not None:
            if fn._result is d:  # the saved result is self now, at its new version
                fn._result = self._data
                fn._result_cell = vc
                fn._result_v = vc[0]
            if self._view_of is not None:  # the base's history takes the op (CopySlices)
                rebase_view(self, fn)
                if fn._result is self._data:  # torch's check names the view's node (weakly)
                    fn._result_fn = (weakref.ref(self.grad_fn), weakref.ref(self))
            else:
                self.grad_fn = fn
                self._output_nr = out._output_nr
                self._requires_grad = True
        self._refresh_views()
        return self

    def _records_inplace(self, *others) -> bool:
        if not _enabled[0]:
            return False
        if self._requires_grad:
            self._check_inplace()
            return True
        if any(isinstance(o, Tensor) and o._requires_grad for o in others):
            if self._multi_view:
                raise RuntimeError(NO_GRAD_VIEW_INPLACE.split(" Given")[0] + " " + MULTI_VIEW)
            return True
        return False

    def _snapshot(self) -> Tensor:
        """self before the in-place op, with self's history (the new node's input)."""
        return Tensor._make(self._data.copy(), self._requires_grad, self.grad_fn,
                            self._output_nr)


def no_grad_view(out: Tensor) -> Tensor:
    """``out``, a view made while grad mode is off of a tensor that requires grad, becomes what
    torch makes of it: a leaf with requires_grad=True and no grad accumulator."""
    out._requires_grad = True
    out._nograd_view = True
    return out


def _bind_autograd() -> None:
    """The autograd modules are imported before Tensor exists; give them the class once
    (a function-level import would cost on every backward call)."""
    from . import autograd
    from .autograd import engine as autograd_engine
    from .autograd import graph
    for mod in (autograd, autograd_engine, graph):
        mod.Tensor = Tensor


_bind_autograd()
