"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

The flag lives in a one-element list read by every op on its hot path; a module attribute
lookup would cost as much and could not be shared by reference.
"""
from __future__ import annotations

import functools
import inspect

_enabled = [True]
_inference = [False]


def is_grad_enabled() -> bool:
    return _enabled[0]


def is_inference_mode_enabled() -> bool:
    return _inference[0]


class _DecoratorContextManager:
    """Context manager usable as a decorator, like torch.autograd.grad_mode's base."""

    def __call__(self, func):
        if inspect.isclass(func):
            import warnings
            warnings.warn(
                "Decorating classes is deprecated and will be disabled in future versions. You "
                "should only decorate functions or methods. To preserve the current behavior "
                "of class decoration, you can directly decorate the `__init__` method and "
                "nothing else.", FutureWarning, stacklevel=2)
            cls = func

            def func(*args, **kwargs):
                return cls(*args, **kwargs)
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                with self.clone():
                    yield from func(*args, **kwargs)
            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class _NoParamDecoratorContextManager(_DecoratorContextManager):
    """Also usable as a bare decorator (``@no_grad``), like torch's class of that name."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecoratorContextManager):  # noqa: N801 - torch's name
    def __init__(self) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = _enabled[0]
        _enabled[0] = False

    def __exit__(self, *exc) -> None:
        _enabled[0] = self.prev


class enable_grad(_NoParamDecoratorContextManager):  # noqa: N801
    def __enter__(self) -> None:
        self.prev = _enabled[0]
        _enabled[0] = True

    def __exit__(self, *exc) -> None:
        _enabled[0] = self.prev


class set_grad_enabled(_DecoratorContextManager):  # noqa: N801
    """Sets the mode at construction (so a plain call works), restores it on exit."""

    def __init__(self, mode: bool) -> None:
        self.prev = _enabled[0]
        self.mode = bool(mode)
        _enabled[0] = self.mode

    def __call__(self, func):
        _enabled[0] = self.prev
        return super().__call__(func)

    def __enter__(self) -> None:
        _enabled[0] = self.mode

    def __exit__(self, *exc) -> None:
        _enabled[0] = self.prev

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):  # noqa: N801
    """Like no_grad (tensors made inside never record history); ``mode=False`` is a no-op."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        # used as a bare decorator: @inference_mode
        return cls()(mode)

    def __enter__(self) -> None:
        self.prev = (_enabled[0], _inference[0])
        if self.mode:
            _enabled[0] = False
            _inference[0] = True

    def __exit__(self, *exc) -> None:
        _enabled[0], _inference[0] = self.prev

    def clone(self):
        return self.__class__(self.mode)
