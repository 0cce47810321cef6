"""What the executor gives each node: its output tensor, or the error / the node blocking it,
and (documents with in-place nodes) the tensor as this node left it."""
from __future__ import annotations


class NodeResult:
    """One node's outcome. ``value`` is the node's output tensor (None on error/blocked);
    metadata is read from it. ``grad`` reads the live ``.grad`` of the leaf tensor (sources)
    or of a retain_grad node's output, so it updates after backward without a new forward."""

    __slots__ = ("value", "error", "blocked_by", "grad_count", "_holder")

    def __init__(self, value=None, error=None, blocked_by=None, holder=None, grad_count=0):
        self.value = value
        self.error = error
        self.blocked_by = blocked_by
        self._holder = holder
        self.grad_count = grad_count

    @property
    def ok(self) -> bool:
        return self.value is not None

    @property
    def shape(self) -> tuple | None:
        return None if self.value is None else tuple(self.value.shape)

    @property
    def dtype(self) -> str | None:  # torch's spelling: "torch.float32"
        return None if self.value is None else str(self.value.dtype)

    @property
    def requires_grad(self) -> bool:
        return self.value is not None and bool(self.value.requires_grad)

    @property
    def is_leaf(self) -> bool:
        return self.value is not None and self.value.grad_fn is None

    @property
    def grad_fn(self) -> str | None:
        fn = None if self.value is None else self.value.grad_fn
        return None if fn is None else type(fn).__name__

    @property
    def next_functions(self) -> list:
        fn = None if self.value is None else self.value.grad_fn
        if fn is None:
            return []
        return [(None if f is None else type(f).__name__, nr) for f, nr in fn.next_functions]

    stale = None  # torch's version-check error for this node's grad_fn (InplaceResult sets it)

    @property
    def version(self) -> int | None:
        """The output's ``_version`` as this node left it (its badge: "v1")."""
        return None if self.value is None else int(self.value._version)

    @property
    def live_version(self) -> int | None:
        """The version the tensor has now (higher when an in-place node modified it later)."""
        return self.version

    @property
    def grad(self):
        t = self._holder
        if t is None:
            return None
        if t.grad_fn is not None and not t.retains_grad:
            return None
        return t.grad

    def __repr__(self) -> str:
        if self.value is None:
            return f"NodeResult(error={self.error!r}, blocked_by={self.blocked_by!r})"
        return (f"NodeResult(shape={self.shape}, dtype={self.dtype}, grad_fn={self.grad_fn}, "
                f"requires_grad={self.requires_grad})")


class InplaceResult(NodeResult):
    """A node of a document with in-place nodes whose tensor a later in-place node modified
    (``value`` is a copy of it as this node produced it: value, grad_fn, version; ``live`` the
    tensor itself), or whose grad_fn's saved tensors were modified (``stale``: torch's error
    text, before backward runs)."""

    __slots__ = ("live", "stale")

    def __init__(self, value=None, error=None, blocked_by=None, holder=None, grad_count=0,
                 live=None, stale=None):
        super().__init__(value, error, blocked_by, holder, grad_count)
        self.live = value if live is None else live
        self.stale = stale

    @property
    def live_version(self) -> int | None:
        return None if self.live is None else int(self.live._version)


__all__ = ["InplaceResult", "NodeResult"]
