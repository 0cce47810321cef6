"""Custom ops: ``engine.autograd.Function``, torch.autograd.Function's API.

As in torch, the ``ctx`` passed to ``forward``/``backward`` *is* the grad_fn node recorded for
the outputs; its class is ``<ClassName>Backward``, created once per Function subclass.
The user's ``backward`` always sees Tensors (grad mode on only under create_graph, so the
backward itself is recorded then).
"""
from __future__ import annotations

import functools

from . import backends
from .grad_mode import _enabled, no_grad
from .graph import FREED_MSG, Node, _edge, _inplace_msg

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable"]


class FunctionCtx:
    """The ctx methods (mixed into every ``<Name>Backward`` node class)."""

    __slots__ = ()

    def save_for_backward(self, *tensors) -> None:
        from .._tensor import Tensor
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    "save_for_backward can only save variables, but argument "
                    f"{tensors.index(t)} is of type {type(t).__name__}")
        self.to_save = tensors

    @property
    def saved_tensors(self) -> tuple:
        if self._released:
            raise RuntimeError(FREED_MSG)
        for t, v in zip(self._saved, self._versions_at_save):
            if t is not None and t._version != v:
                raise RuntimeError(_inplace_msg(t, v, self))
        return tuple(self._saved)

    def mark_non_differentiable(self, *args) -> None:
        self.non_differentiable = args

    def mark_dirty(self, *args) -> None:
        self.dirty_tensors = args

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class BackwardCFunction(FunctionCtx, Node):
    """Base of the generated ``<Name>Backward`` node classes."""

    __slots__ = ()
    _forward_cls = None
    _tensor_positions = ()
    _num_args = 0

    def __init__(self):
        Node.__init__(self)
        self.to_save = ()
        self.non_differentiable = ()
        self.dirty_tensors = ()
        self.materialize_grads = True
        self.needs_input_grad = ()

    def __repr__(self) -> str:
        return f"<torch.autograd.function.{type(self).__name__} object at {id(self):#x}>"

    def backward(self, F, g):
        from .._tensor import Tensor
        grads = [g] if self.num_outputs == 1 else list(g)
        grads = [x if x is None or type(x) is Tensor else Tensor._make(x) for x in grads]
        with _GradMode(F is backends.TF):
            result = self._forward_cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        name = type(self).__name__
        if len(result) != self._num_args:
            if len(result) > self._num_args and all(r is None for r in
                                                   result[self._num_args:]):
                result = result[:self._num_args]
            else:
                raise RuntimeError(
                    f"function {name} returned an incorrect number of gradients (expected "
                    f"{self._num_args}, got {len(result)})")
        outs = []
        for k, pos in enumerate(self._tensor_positions):
            r = result[pos]
            if r is None or self.next_functions[k][0] is None:
                outs.append(None)
                continue
            if not isinstance(r, Tensor):
                raise TypeError(
                    f"expected Tensor or None (got {type(r).__name__})")
            shape = self.input_shapes[k]
            if r._data.shape != shape:
                r = _fit_grad(r, shape, name, pos)
            outs.append(r if F is backends.TF else r._data)
        return tuple(outs)

    def release(self) -> None:
        # torch frees SavedVariables; a ctx that saved nothing can run again
        if self._saved:
            self._saved = ()
            self._released = True


class _GradMode:
    __slots__ = ("mode", "prev")

    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.prev = _enabled[0]
        _enabled[0] = self.mode

    def __exit__(self, *exc):
        _enabled[0] = self.prev


def _fit_grad(r, shape, name, pos):
    """torch's validate_outputs: a grad expandable to the input shape is summed down."""
    import numpy as np
    try:
        np.broadcast_shapes(shape, r._data.shape)
        ok = np.broadcast_shapes(shape, r._data.shape) == r._data.shape
    except ValueError:
        ok = False
    if not ok or len(r._data.shape) < len(shape):
        got = "[" + ", ".join(str(s) for s in r._data.shape) + "]"
        want = "[" + ", ".join(str(s) for s in shape) + "]"
        raise RuntimeError(
            f"Function {name} returned an invalid gradient at index {pos} - got {got} but "
            f"expected shape compatible with {want}")
    return r.sum_to_size(shape) if hasattr(r, "sum_to_size") else type(r)._make(
        backends.NP.sum_to(r._data, shape))


class Function:
    """Subclass with staticmethods ``forward(ctx, *args)`` and ``backward(ctx, *grads)`` (or
    ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``), then call ``.apply``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._backward_cls = type(cls.__name__ + "Backward", (BackwardCFunction,),
                                 {"__slots__": (), "_forward_cls": cls,
                                  "__module__": cls.__module__})

    def __init__(self, *args, **kwargs):
        import warnings
        warnings.warn(
            f"{type(self)} should not be instantiated. Methods on autograd functions are all "
            "static, so you should invoke them on the class itself. Instantiating an autograd "
            "function will raise an error in a future version of PyTorch.",
            DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please "
            "use new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor
        if cls is Function:
            raise RuntimeError("Function.apply is called on the base class")
        ctx = cls._backward_cls()
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        executable = _enabled[0] and any(args[i]._requires_grad for i in positions)
        ctx.needs_input_grad = tuple(
            executable and isinstance(a, Tensor) and a._requires_grad for a in args)
        custom_setup = cls.setup_context.__func__ is not Function.setup_context.__func__ \
            if hasattr(cls.setup_context, "__func__") else \
            cls.setup_context is not Function.setup_context
        with no_grad():
            if custom_setup:
                output = cls.forward(*args, **kwargs)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        if custom_setup:
            cls.setup_context(ctx, args, output)
        single = not isinstance(output, tuple)
        outs = (output,) if single else output
        input_ids = {id(args[i]) for i in positions}
        wrapped = []
        for o in outs:
            if isinstance(o, Tensor) and id(o) in input_ids and not any(
                    o is d for d in ctx.dirty_tensors):
                # an input returned as-is becomes a new tensor (torch returns a view)
                o = Tensor._make(o._data)
            wrapped.append(o)
        if executable:
            ctx.next_functions = tuple([_edge(args[i]) for i in positions])
            ctx.input_shapes = tuple([args[i]._data.shape for i in positions])
            ctx._tensor_positions = tuple(positions)
            ctx._num_args = len(args)
            ctx.num_outputs = len(wrapped)
            ctx.output_shapes = tuple(
                (o._data.shape, o._data.dtype) if isinstance(o, Tensor) else ((), None)
                for o in wrapped)
            nondiff = ctx.non_differentiable
            for nr, o in enumerate(wrapped):
                if not isinstance(o, Tensor):
                    continue
                if any(o is d for d in ctx.dirty_tensors):
                    o._version += 1
                if any(o is n for n in nondiff) or o._data.dtype.kind != "f":
                    o._requires_grad = False
                    continue
                o._requires_grad = True
                o.grad_fn = ctx
                o._output_nr = nr
            ctx.save(*[t for t in ctx.to_save])
        else:
            ctx.save(*ctx.to_save)
        ctx.to_save = ()
        return wrapped[0] if single else tuple(wrapped)


def once_differentiable(fn):
    """Runs ``backward`` with grad mode off, so its result is not differentiable again."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)

    return wrapper
