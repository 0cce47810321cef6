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
    ``Tensor.__add__``, ``F.linear``); ``fn`` the original (unwrapped) callable; ``span`` the
    script expression that made it (None when engine code made it, e.g. inside nn.Linear)."""

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
    def where(self, direct=False, skip=2):
        """(line, span) of the innermost script frame on the stack; span is the exact
        (line, col, end_line, end_col) of the expression being evaluated there. With
        ``direct``: (line, span, whether the script itself made the call -- not engine code
        such as nn.Linear.forward on the script's behalf)."""
        f = sys._getframe(skip)  # skip: where() itself and the wrappers above the caller
        first = f
        while f is not None and f.f_code.co_filename != self.script:
            f = f.f_back
        if f is None:
            return (None, None, False) if direct else (None, None)
        code = f.f_code
        pos = self._positions.get(code)
        if pos is None:
            pos = self._positions[code] = list(code.co_positions())
        i = f.f_lasti // 2
        span = pos[i] if 0 <= i < len(pos) else None
        return (f.f_lineno, span, f is first) if direct else (f.f_lineno, span)

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
        line, span, direct = self.where(direct=True, skip=3)
        if inplace:
            target = args[0] if args and isinstance(args[0], Tensor) else None
            if target is not None:
                target.__dict__[INPLACE] = (line, api)
            return
        outs = out if isinstance(out, tuple) else (out,)
        if not any(isinstance(o, Tensor) for o in outs):
            return
        self.seq += 1
        call = Call(self.seq, api, fn, args, kwargs, line, span if direct else None,
                    engine.is_grad_enabled(), False, tuple(self.module_stack))
        inputs = list(call.tensors())
        # on the way from a tensor requiring grad (directly, or through no_grad ops and
        # detach): the builder may place it as an op; any other call is kept for its name
        # only, not holding its inputs alive (data preparation can be large)
        call.touches_grad = any(t.requires_grad or _touches(t) for t in inputs)
        if not call.touches_grad and not call.modules:  # module calls: the model's shape
            call.args, call.kwargs = (), {}
        ids = {id(t) for t in inputs}
        for i, o in enumerate(outs):
            # an op that hands back its own input (x.contiguous(), flatten over one dim)
            # keeps that tensor's producer: re-tagging it would make a cycle
            if isinstance(o, Tensor) and id(o) not in ids:
                o.__dict__[REC] = (call, i if isinstance(out, tuple) else None)


def _touches(t) -> bool:
    """Made from tensors requiring grad, or by a module: the builder may place it as ops."""
    rec = t.__dict__.get(REC)
    return rec is not None and (rec[0].touches_grad or bool(rec[0].modules))


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
    _wrap_module_call(tracer)
    return tracer


# tensor.__dict__ key: (path, call-site span) of the module call that returned the tensor
MODULE_OUT = "_gc_module_out"


def module_label(module) -> str:
    """``Linear(in_features=3, out_features=1, bias=True)``: torch's one-line repr of a
    module (containers as ``Sequential``, without their children)."""
    extra = module.extra_repr() if hasattr(module, "extra_repr") else ""
    return f"{type(module).__name__}({extra})"


def _wrap_module_call(tracer) -> None:
    """Every nn.Module call pushes its path (``model.0``, named from the script's globals
    via named_modules) while its forward runs: the calls recorded meanwhile carry the stack,
    and the builder turns it into groups and names."""
    module_cls = getattr(engine.nn, "Module", None)
    if module_cls is None:  # an engine without nn.Module: nothing to group
        return
    original = module_cls.__call__
    tracer.module_paths = {}
    tracer.module_labels = {}

    def path_of(module) -> str:
        path = tracer.module_paths.get(id(module))
        if path is None:
            _name_modules(tracer, module_cls)
            path = tracer.module_paths.get(id(module))
            if path is None:  # not reachable from the script's globals (a local model)
                path = tracer.module_paths[id(module)] = type(module).__name__.lower()
                tracer.module_labels[path] = module_label(module)
        return path

    def call(self, *args, **kwargs):
        if tracer.paused or tracer.depth:
            return original(self, *args, **kwargs)
        path = path_of(self)
        tracer.module_stack.append(path)
        try:
            out = original(self, *args, **kwargs)
        finally:
            tracer.module_stack.pop()
        if isinstance(out, Tensor):
            _, span, direct = tracer.where(direct=True)
            # the outermost call returns last: its path (and the script's call site) wins
            out.__dict__[MODULE_OUT] = (path, span if direct else None)
        return out

    module_cls.__call__ = call


def _name_modules(tracer, module_cls) -> None:
    globs = getattr(tracer, "globals", None) or {}
    for var, obj in list(globs.items()):
        if isinstance(obj, module_cls):
            for path, sub in obj.named_modules(prefix=var):
                if id(sub) not in tracer.module_paths:
                    tracer.module_paths[id(sub)] = path
                    tracer.module_labels[path] = module_label(sub)


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
