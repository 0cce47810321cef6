"""The child's tracing layer: every public engine function and Tensor method records its call.

Installed only in the import child (never in the app): ``install(script_path)`` wraps the
engine's public functions (``engine.add``, ``engine.nn.functional.linear`` ...) and Tensor's
methods and operators. A call made by the user's script (depth 0 -- calls the engine makes
internally are not recorded) leaves a ``Call`` on each tensor it returns: which function, its
args and kwargs (the input tensors themselves), the grad mode, and where in the script it was
made (line and the exact expression span, from the caller frame's current instruction). The
builder later walks these records back from a backward root.
"""
from __future__ import annotations

import functools
import sys

import engine
import engine.nn.functional as F
from engine import Tensor

REC = "_gc_call"  # tensor.__dict__ key: (Call, output index)
INPLACE = "_gc_inplace"  # tensor.__dict__ key: (line, api name) of an in-place change
RETAIN = "_gc_retain"

# Tensor methods that are not ops (queries, conversions, autograd plumbing) stay unwrapped.
_SKIP_METHODS = frozenset({
    "size", "dim", "numel", "nelement", "element_size", "is_floating_point", "numpy",
    "tolist", "item", "backward", "register_hook", "requires_grad_", "retain_grad",
})
_INPLACE_DUNDER = frozenset({"__iadd__", "__isub__", "__imul__", "__itruediv__", "__ipow__",
                             "__setitem__"})
_OP_DUNDER = frozenset({
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
    "__rtruediv__", "__pow__", "__rpow__", "__neg__", "__matmul__", "__rmatmul__", "__abs__",
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__getitem__", "__invert__",
    "__and__", "__or__", "__xor__", "__rand__", "__ror__", "__rxor__", "__floordiv__",
    "__rfloordiv__", "__pos__",
})


class Call:
    """One recorded call. ``api`` is the name the user called (``torch.matmul``,
    ``Tensor.__add__``, ``F.linear``); ``fn`` the original (unwrapped) callable."""

    __slots__ = ("seq", "api", "fn", "args", "kwargs", "line", "span", "grad_enabled",
                 "touches_grad", "modules")

    def __init__(self, seq, api, fn, args, kwargs, line, span, grad_enabled, touches_grad,
                 modules):
        self.seq = seq
        self.api = api
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.line = line
        self.span = span
        self.grad_enabled = grad_enabled
        self.touches_grad = touches_grad
        self.modules = modules

    def tensors(self):
        """Every tensor argument, lists (cat/stack) included."""
        for a in list(self.args) + list(self.kwargs.values()):
            if isinstance(a, Tensor):
                yield a
            elif isinstance(a, (list, tuple)):
                for x in a:
                    if isinstance(x, Tensor):
                        yield x


class Tracer:
    def __init__(self, script_path: str) -> None:
        self.script = script_path
        self.depth = 0
        self.paused = False
        self.seq = 0
        self.module_stack: list = []  # (module path, module) while nn.Module calls run
        self._positions: dict = {}

    # -- where in the script ------------------------------------------------------------------
    def where(self):
        """(line, span) of the innermost script frame on the stack; span is the exact
        (line, col, end_line, end_col) of the expression being evaluated there."""
        f = sys._getframe(2)
        while f is not None and f.f_code.co_filename != self.script:
            f = f.f_back
        if f is None:
            return None, None
        code = f.f_code
        pos = self._positions.get(code)
        if pos is None:
            pos = self._positions[code] = list(code.co_positions())
        i = f.f_lasti // 2
        span = pos[i] if 0 <= i < len(pos) else None
        return f.f_lineno, span

    # -- wrapping -----------------------------------------------------------------------------
    def wrap(self, fn, api: str, inplace: bool = False):
        tracer = self

        @functools.wraps(fn)
        def traced(*args, **kwargs):
            if tracer.depth or tracer.paused:
                return fn(*args, **kwargs)
            tracer.depth += 1
            try:
                out = fn(*args, **kwargs)
            finally:
                tracer.depth -= 1
            tracer.record(api, fn, args, kwargs, out, inplace)
            return out

        traced.__gc_original__ = fn
        return traced

    def record(self, api, fn, args, kwargs, out, inplace) -> None:
        line, span = self.where()
        if inplace:
            target = args[0] if args and isinstance(args[0], Tensor) else None
            if target is not None:
                target.__dict__[INPLACE] = (line, api)
            return
        outs = out if isinstance(out, tuple) else (out,)
        if not any(isinstance(o, Tensor) for o in outs):
            return
        self.seq += 1
        call = Call(self.seq, api, fn, args, kwargs, line, span, engine.is_grad_enabled(),
                    False, tuple(self.module_stack))
        inputs = list(call.tensors())
        # on the way from a tensor requiring grad (directly, or through no_grad ops and
        # detach): the builder may place it as an op; any other call is kept for its name
        # only, not holding its inputs alive (data preparation can be large)
        call.touches_grad = any(t.requires_grad or _touches(t) for t in inputs)
        if not call.touches_grad:
            call.args, call.kwargs = (), {}
        ids = {id(t) for t in inputs}
        for i, o in enumerate(outs):
            # an op that hands back its own input (x.contiguous(), flatten over one dim)
            # keeps that tensor's producer: re-tagging it would make a cycle
            if isinstance(o, Tensor) and id(o) not in ids:
                o.__dict__[REC] = (call, i if isinstance(out, tuple) else None)


def _touches(t) -> bool:
    rec = t.__dict__.get(REC)
    return rec is not None and rec[0].touches_grad


def _public_functions(module, names):
    for name in names:
        fn = getattr(module, name, None)
        if callable(fn) and not isinstance(fn, type):
            yield name, fn


def install(script_path: str) -> Tracer:
    """Wrap the engine's public API for this process (the import child only)."""
    tracer = Tracer(script_path)
    from engine.ops import FUNCTIONS
    for name, fn in _public_functions(engine, sorted(FUNCTIONS)):
        setattr(engine, name, tracer.wrap(fn, f"torch.{name}"))
    f_names = [n for n in dir(F) if not n.startswith("_")]
    for name, fn in _public_functions(F, f_names):
        if getattr(fn, "__module__", "").startswith("engine"):
            setattr(F, name, tracer.wrap(fn, f"F.{name}"))
    for name, fn in list(vars(Tensor).items()):
        if not callable(fn) or isinstance(fn, (type, staticmethod, classmethod, property)):
            continue
        if name in _INPLACE_DUNDER or (name.endswith("_") and not name.startswith("_")
                                       and name not in _SKIP_METHODS):
            setattr(Tensor, name, tracer.wrap(fn, f"Tensor.{name}", inplace=True))
        elif name in _OP_DUNDER or (not name.startswith("_") and name not in _SKIP_METHODS):
            setattr(Tensor, name, tracer.wrap(fn, f"Tensor.{name}"))
    _wrap_retain_grad(tracer)
    _wrap_function_apply(tracer)
    return tracer


def _wrap_retain_grad(tracer) -> None:
    original = Tensor.retain_grad

    def retain_grad(self):
        if not tracer.paused:
            self.__dict__[RETAIN] = True
        return original(self)

    Tensor.retain_grad = retain_grad


def _wrap_function_apply(tracer) -> None:
    """A custom autograd.Function's apply records as one call named after the Function:
    the ops its forward runs are inside it (depth > 0), and the builder refuses it by name."""
    from engine.autograd.function import Function
    original = Function.apply.__func__

    def apply(cls, *args, **kwargs):
        if tracer.depth or tracer.paused:
            return original(cls, *args, **kwargs)
        tracer.depth += 1
        try:
            out = original(cls, *args, **kwargs)
        finally:
            tracer.depth -= 1
        tracer.record(f"autograd.Function:{cls.__name__}", None, args, kwargs, out, False)
        return out

    Function.apply = classmethod(apply)
