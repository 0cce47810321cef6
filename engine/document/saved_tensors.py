"""What each grad_fn saved for backward, under torch's ``_saved_*`` names (issue 14).

The engine exposes them as torch does (engine/autograd/saved.py): ``grad_fn._saved_self``,
``_saved_other``, ``_saved_result``, ``_saved_self_sym_sizes``, ... This module lists them for
the views: per attribute its shape, dtype, a value preview and the document node the tensor
came from; per grad_fn the memory its saved tensors hold; and once a backward without
retain_graph freed them, that they are gone and torch's exact error for reading them (the one a
second backward raises). Qt-free.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .stepthrough import grad_owners


@dataclass(frozen=True)
class SavedEntry:
    name: str  # torch's attribute: "_saved_self"
    is_tensor: bool
    shape: tuple | None
    dtype: str | None
    preview: str  # the value in one line (a tensor's first elements, or the saved number)
    source: str | None  # document node the tensor is (or is the output of): its name
    nbytes: int
    freed: bool  # a tensor whose buffer backward freed (reading it raises torch's error)
    source_id: str | None = None  # that node's id (hovering the row highlights it)
    # torch's version check: the tensor's _version when saved, and now (None: not a tensor,
    # or not known). They differ once an in-place op modified the saved tensor.
    expected_version: int | None = None
    version: int | None = None

    @property
    def stale(self) -> bool:
        return self.expected_version is not None and self.version != self.expected_version


@dataclass(frozen=True)
class SavedSummary:
    grad_fn: str
    node: str | None  # the document node this grad_fn belongs to
    internal: bool
    entries: tuple[SavedEntry, ...]
    nbytes: int  # distinct saved buffers, each counted once
    freed: bool
    error: str | None  # torch's text for reading a freed saved tensor
    stale: str | None = None  # torch's text for a saved tensor modified in place since

    def lines(self) -> list[str]:
        return [text for text, _source in self.rows()]

    def rows(self) -> list[tuple[str, str | None]]:
        """(line, source node id or None): the list as the views show it, each saved tensor
        with the node it came from."""
        head = f"{self.grad_fn}" + (f" ({self.node})" if self.node else "")
        if not self.entries:
            return [(f"{head}: saves nothing", None)]
        if self.freed:
            state = "freed by backward"
        elif any(e.is_tensor for e in self.entries):
            state = f"holds {human_bytes(self.nbytes)} for backward"
        else:
            state = "saves no tensors"
        out = [(f"{head}: {state}", None)]
        for e in self.entries:
            if e.freed:
                out.append((f"  {e.name}: freed", None))
            elif e.is_tensor:
                src = f" ← {e.source}" if e.source else ""
                ver = ""
                if e.stale:
                    ver = (f" · modified in place: version {e.version}, saved at version "
                           f"{e.expected_version}")
                elif e.version:
                    ver = f" · version {e.version}"
                out.append((f"  {e.name}: {list(e.shape)} {e.dtype} {e.preview}{src}{ver}",
                            e.source_id))
            else:
                out.append((f"  {e.name} = {e.preview}", None))
        if self.freed and self.error:
            out.append((f"  reading a freed tensor: RuntimeError: {self.error}", None))
        if self.stale:
            out.append((f"  backward will fail: RuntimeError: {self.stale}", None))
        return out


def human_bytes(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


def _preview(a, limit: int = 4) -> str:
    flat = np.asarray(a).reshape(-1)
    body = ", ".join(f"{float(v):.4g}" for v in flat[:limit])
    return f"[{body}{', …' if flat.size > limit else ''}]"


def saved_names(fn) -> list[str]:
    """The ``_saved_*`` attributes of a grad_fn, as ``dir(grad_fn)`` lists them in torch."""
    return sorted(a for a in dir(type(fn)) if a.startswith("_saved_"))


def _sources(executor) -> dict:
    """id(tensor) and id(its buffer) -> (document node id, name), for every value and leaf."""
    names = {}
    doc = executor.doc
    for nid, r in executor.results.items():
        node = doc.nodes.get(nid)
        if node is None:
            continue
        for t in (r.value, r._holder):
            if t is not None:
                names.setdefault(id(t), (nid, node.name))
                names.setdefault(id(t._data), (nid, node.name))
    return names


def _source_of(t, data, sources: dict) -> tuple:
    """(node id, name) of the node a saved tensor is, or is a view of (matmul saves
    ``x.unsqueeze(0)``: a view of x's buffer); (None, None) when it is no node's."""
    found = sources.get(id(t)) or sources.get(id(data))
    base = getattr(data, "base", None)
    while found is None and base is not None:
        found = sources.get(id(base))
        base = getattr(base, "base", None)
    return found or (None, None)


def stale_error(fn) -> str | None:
    """torch's error for ``fn``'s saved tensors modified in place since it saved them (the
    text its backward will raise), or None. Asked before backward runs; never raises."""
    if getattr(fn, "_released", False):
        return None
    from engine.autograd.graph import _inplace_msg
    # as torch unpacks them: the saved inputs, then the saved result
    for t, v in zip(getattr(fn, "_saved", ()), getattr(fn, "_versions_at_save", ())):
        if t is not None and t._version != v:
            return _inplace_msg(t, v, fn)
    cell = getattr(fn, "_result_cell", None)
    if cell is not None and cell[0] != fn._result_v:  # a saved output modified in place
        try:
            fn._stale_result()
        except RuntimeError as e:  # the engine builds torch's text in one place
            return str(e)
    return None


def _versions(fn, name: str, v) -> tuple[int | None, int | None]:
    """(version at save, version now) of the saved tensor ``v`` read as ``fn.<name>``."""
    if name == "_saved_result":
        cell = getattr(fn, "_result_cell", None)
        return (None, None) if cell is None else (int(fn._result_v), int(cell[0]))
    for t, at in zip(getattr(fn, "_saved", ()), getattr(fn, "_versions_at_save", ())):
        if t is v:
            return int(at), int(t._version)
    return None, None


def summarize(fn, sources: dict | None = None, node: str | None = None,
              internal: bool = False) -> SavedSummary:
    """What ``fn`` saved. ``sources`` (id -> (node id, name), see _sources) names where each
    tensor came from."""
    from engine.autograd.graph import FREED_MSG
    sources = sources or {}
    freed = bool(getattr(fn, "_released", False))
    entries, seen, total = [], set(), 0
    for name in saved_names(fn):
        try:
            v = getattr(fn, name)
        except RuntimeError:  # a freed tensor: torch's error, the buffer is gone
            entries.append(SavedEntry(name, True, None, None, "", None, 0, True))
            continue
        data = getattr(v, "_data", None)
        if data is not None:
            key = id(data)
            if key not in seen:
                seen.add(key)
                total += int(data.nbytes)
            sid, src = _source_of(v, data, sources)
            entries.append(SavedEntry(name, True, tuple(v.shape), str(v.dtype), _preview(data),
                                      src, int(data.nbytes), False, sid,
                                      *_versions(fn, name, v)))
        else:
            entries.append(SavedEntry(name, False, None, None, repr(v), None, 0, False))
    return SavedSummary(type(fn).__name__, node, internal, tuple(entries), total, freed,
                        FREED_MSG if freed else None, stale_error(fn))


def for_node(executor, node_id) -> list[SavedSummary]:
    """The node's grad_fn and the grad_fns inside its op (matmul's MmBackward0 under its
    SqueezeBackward4), each with what it saved."""
    r = executor.results.get(node_id)
    if r is None or r.value is None or r.value.grad_fn is None:
        return []
    owner, internal, _ = grad_owners(executor)
    sources = _sources(executor)
    name = executor.doc.nodes[node_id].name
    fns = [fn for fn, nid in owner.items() if nid == node_id]
    fns.sort(key=lambda f: (internal.get(f, False), type(f).__name__))
    return [summarize(fn, sources, name, bool(internal.get(fn, False))) for fn in fns]


def _graph_state(executor) -> tuple:
    """Changes whenever what the graph holds can change: a forward that recomputed anything
    (a new graph_version) or a backward / zero_grad call (the history's call number)."""
    history = getattr(executor, "history", None)
    return (executor.graph_version, None if history is None else history.number)


def memory_held(executor) -> int:
    """Bytes all grad_fns of the current results hold for backward (each buffer once).
    Memoized per graph state: the views ask after every forward, and the walk is O(grad_fns)
    (0.15-0.3 s at 5,000 nodes)."""
    key = _graph_state(executor)
    cached = getattr(executor, "_memory_held", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    total = _memory_held(executor)
    executor._memory_held = (key, total)
    return total


def _memory_held(executor) -> int:
    owner, _, _ = grad_owners(executor)
    seen, total = set(), 0
    for fn in owner:
        if getattr(fn, "_released", False):
            continue
        for name in saved_names(fn):
            try:
                v = getattr(fn, name)
            except RuntimeError:
                continue
            data = getattr(v, "_data", None)
            if data is not None and id(data) not in seen:
                seen.add(id(data))
                total += int(data.nbytes)
    return total


def for_grad_fns(executor, fns) -> list[SavedSummary]:
    """What each of ``fns`` saved (the boxes picked in the backward-graph view), each named
    by the document node it belongs to; grad_fns that save nothing are left out."""
    owner, internal, _ = grad_owners(executor)
    sources = _sources(executor)
    nodes = executor.doc.nodes
    out = []
    for fn in fns:
        nid = owner.get(fn)
        name = nodes[nid].name if nid in nodes else None
        s = summarize(fn, sources, name, bool(internal.get(fn, False)))
        if s.entries:
            out.append(s)
    return out


def source_grad_fn(executor, node_id):
    """The grad_fn that produced node ``node_id``'s tensor (None for a leaf, which no grad_fn
    produced: its AccumulateGrad only receives its gradient)."""
    r = executor.results.get(node_id)
    return r.value.grad_fn if r is not None and r.value is not None else None


@dataclass(frozen=True)
class GraphMemory:
    held: int  # bytes the graph's grad_fns hold for backward (each buffer once)
    freed: int  # grad_fns whose saved tensors a backward without retain_graph freed
    saving: int  # grad_fns that save something (tensor or not)

    def text(self) -> str:
        if self.freed:
            return (f"saved tensors freed by backward ({self.freed} grad_fn"
                    f"{'s' if self.freed != 1 else ''}); a second backward needs "
                    f"retain_graph=True")
        if not self.saving:
            return "nothing saved for backward"
        return f"{human_bytes(self.held)} saved for backward by {self.saving} grad_fn" + \
            ("s" if self.saving != 1 else "")


def graph_memory(executor) -> GraphMemory:
    """What the current graph holds for backward, and how much of it a backward freed
    (memoized per graph state, as memory_held)."""
    key = _graph_state(executor)
    cached = getattr(executor, "_graph_memory", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    owner, _, _ = grad_owners(executor)
    freed = sum(1 for fn in owner if getattr(fn, "_released", False))
    saving = sum(1 for fn in owner if saved_names(fn))
    memory = GraphMemory(memory_held(executor), freed, saving)
    executor._graph_memory = (key, memory)
    return memory


def error_node(executor, root, error: str | None) -> str | None:
    """The node a backward error is shown on: for torch's "backward through the graph a second
    time", the first node (in the order backward runs them) whose grad_fn's buffers are gone
    -- the one that raises, as in torch; for any other error the root."""
    from engine.autograd.graph import FREED_MSG
    if error != FREED_MSG:
        return root
    owner, _, _ = grad_owners(executor)
    by_step = {(type(fn).__name__, nid): fn for fn, nid in owner.items()}
    for step in executor.backward_schedule(root):
        fn = by_step.get(step)
        if fn is not None and getattr(fn, "_released", False):
            return step[1]
    return root
