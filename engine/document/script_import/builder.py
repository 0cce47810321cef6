"""Walk the recorded calls back from a backward root and write the document.

A tensor becomes an op node when the graph runs through it: it has a ``grad_fn``, or it was
made from tensors requiring grad without recording one (under no_grad, by ``detach``), or an
nn.Module computed it (a frozen body stays visible). Every other tensor is a leaf: a literal
``tensor`` node holding its value at this moment, marked requires_grad when the script's
tensor is. Nothing is dropped: a tensor on the path that the
catalog cannot place stops the import with the line that made it.
"""
from __future__ import annotations

import numpy as np

from engine import Tensor

from .. import catalog
from ..model import Document
from .binding import Bound, bind, display
from .errors import ScriptImportError
from .tracer import INPLACE, MODULE_OUT, REC, RETAIN

_TUPLE_OUTPUT_OK = frozenset({"max", "min"})  # (values, indices): values is the node


class Built:
    """The document plus, per node id, the script's tensor it stands for."""

    def __init__(self, doc, tensors, leaves, retained, root_id) -> None:
        self.doc = doc
        self.tensors = tensors  # node id -> the script's tensor
        self.leaves = leaves  # node ids of leaves requiring grad
        self.retained = retained  # node ids of retain_grad non-leaves
        self.root_id = root_id
        self.values: dict = {}  # node id -> (dtype, array) at the moment of backward
        self.groups: list = []  # {"path", "label", "region", "parent", "members"} per module


def _dtype_name(t: Tensor) -> str:
    name = str(t.dtype).removeprefix("torch.")
    if name not in catalog.DTYPES:
        raise ScriptImportError(f"a tensor of dtype {t.dtype} has no literal node", None,
                                "unsupported")
    return name


def _expands(t: Tensor, rec) -> bool:
    """An op node, not a literal: on the graph, or made from tensors requiring grad (no_grad,
    detach), or computed by an nn.Module (a frozen body stays visible as ops)."""
    if t.grad_fn is not None:
        return True
    return rec is not None and (rec[0].touches_grad or bool(rec[0].modules)) \
        and not t.requires_grad


class Builder:
    def __init__(self, source_info, param_names=None, module_labels=None) -> None:
        self.source = source_info
        self.param_names = param_names or {}  # id(tensor) -> module path (``model.0.weight``)
        self.module_labels = module_labels or {}  # module path -> ``Linear(in_features=...)``

    def build(self, root: Tensor, gradient, retain_graph) -> Built:
        plan: dict[int, tuple] = {}
        order: list[int] = []
        stack: list[tuple[Tensor, bool]] = [(root, False)]
        while stack:
            t, done = stack.pop()
            k = id(t)
            if done:
                order.append(k)
                continue
            if k in plan:
                continue
            rec = t.__dict__.get(REC)
            if not _expands(t, rec):
                plan[k] = ("leaf", t, rec, None)
                order.append(k)
                continue
            if rec is None:
                raise ScriptImportError(
                    f"a tensor made by {type(t.grad_fn).__name__} came from an API the "
                    "importer does not trace (no script line recorded)", None, "unsupported")
            call, index = rec
            changed = t.__dict__.get(INPLACE)
            if changed is not None:
                line, api = changed
                raise ScriptImportError(f"{display(api)} changed a tensor of the graph in "
                                        "place: in-place ops have no catalog node", line,
                                        "unsupported")
            bound = bind(call)
            if index is not None and (index != 0 or bound.key not in _TUPLE_OUTPUT_OK):
                raise ScriptImportError(f"{display(call.api)} returns several tensors: a "
                                        "node has one output", call.line, "unsupported")
            plan[k] = ("op", t, rec, bound)
            stack.append((t, True))
            for v in reversed(list(_inputs(bound))):
                if isinstance(v, Tensor) and id(v) not in plan:
                    stack.append((v, False))
        return self._document(plan, order, root, gradient, retain_graph)

    # -- writing ------------------------------------------------------------------------------
    def _document(self, plan, order, root, gradient, retain_graph) -> Built:
        doc = Document()
        ids: dict[int, str] = {}
        tensors, leaves, retained = {}, [], []
        regions: dict[object, set] = {}

        def seq(k):
            rec = plan[k][2]
            return rec[0].seq if rec is not None else 0

        names = _Names()
        groups: dict[str, list] = {}  # module path -> node ids, in the order modules ran
        for k in sorted(order, key=seq):  # creation order: inputs come before outputs
            kind, t, rec, bound = plan[k]
            name = names.unique(
                self._name(t, rec, "t" if kind == "leaf" else bound.key.rsplit(".", 1)[-1]))
            if kind == "leaf":
                # a module's parameter with tracking switched off is a frozen parameter
                # (model.body.requires_grad_(False)); a plain tensor is just data
                frozen = id(t) in self.param_names and not t.requires_grad
                node = doc.add_node("tensor", name, _literal(t),
                                    requires_grad=bool(t.requires_grad) or frozen,
                                    frozen=frozen)
                if t.requires_grad:
                    leaves.append(node.id)
            else:
                node = doc.add_node(bound.key, name, bound.params)
                if t.__dict__.get(RETAIN):
                    doc.set_flag(node.id, "retain_grad", True)
                    retained.append(node.id)
                call = rec[0]
                if not call.grad_enabled:
                    block = self.source.no_grad_block(call.line)
                    regions.setdefault(block, set()).add(node.id)
            ids[k] = node.id
            tensors[node.id] = t
            for path in self._modules(t, rec, kind):
                groups.setdefault(path, []).append(node.id)
        for k in order:
            kind, t, _, bound = plan[k]
            if kind != "op":
                continue
            for port, v in bound.inputs.items():
                values = v if isinstance(v, list) else [v]
                for i, x in enumerate(values):
                    if x is None:
                        continue
                    src = ids[id(x)] if isinstance(x, Tensor) else \
                        self._constant(doc, names, x, t)
                    doc.connect(src, ids[k], port, i)
        for block, members in regions.items():
            title = "torch.no_grad()" if block is None else f"torch.no_grad() (line {block[0]})"
            doc.add_region(title, members)
        root_id = ids[id(root)]
        doc.set_setting("root", root_id)
        doc.set_setting("seed", _seed(gradient, root))
        doc.set_setting("retain_graph", bool(retain_graph))
        built = Built(doc, tensors, leaves, retained, root_id)
        for p, members in groups.items():  # outer modules first: a region's members nest
            label = f"{p} · {self.module_labels.get(p, '')}".rstrip(" ·")
            parent = p.rsplit(".", 1)[0] if "." in p else None
            region = doc.add_region(label, members, kind="module")
            built.groups.append({"path": p, "label": label, "region": region.id,
                                 "parent": parent if parent in groups else None,
                                 "members": members})
        # after the module regions: the layout keeps each module's nodes together
        layout = doc.layered_layout()  # columns left to right, centred on y = 0
        top = min((y for _, y in layout.values()), default=0.0)
        for nid, (x, y) in layout.items():
            doc.move_node(nid, (40.0 + x, 40.0 + y - top))
        return built

    def _modules(self, t, rec, kind) -> tuple:
        """The module paths a node belongs to: the module calls its op ran in, or for a
        parameter its module and that module's parents."""
        if kind == "leaf":
            path = self.param_names.get(id(t))
            paths = (path.rsplit(".", 1)[0],) if path and "." in path else ()
        else:
            paths = rec[0].modules if rec is not None else ()
        out: list = []
        for path in paths:  # model[0](x) runs in model.0, and so inside model
            parts = path.split(".")
            for i in range(1, len(parts) + 1):
                p = ".".join(parts[:i])
                if p not in out and (p in self.module_labels or i == len(parts)):
                    out.append(p)
        return tuple(out)

    def _name(self, t, rec, fallback) -> str:
        path = self.param_names.get(id(t))
        if path:
            return path.replace(".", "_")
        module_out = t.__dict__.get(MODULE_OUT)
        if module_out is not None:  # logits = model(x): the target of the module call
            name = self.source.name_for(module_out[1], None)
            if name:
                return name
        if rec is not None:  # z = torch.matmul(x, w) + b: the target of the expression
            name = self.source.name_for(rec[0].span, rec[1])
            if name:
                return name
        if module_out is not None:  # what model.0 returned
            return module_out[0].replace(".", "_")
        return fallback

    @staticmethod
    def _constant(doc, names, value, out: Tensor) -> str:
        """A Python number where the node needs a tensor (``2 - x``): a 0-dim literal of the
        dtype torch would give the scalar next to ``out``."""
        if isinstance(value, bool):
            dtype = "bool"
        elif isinstance(value, int):
            dtype = "int64"
        else:
            dtype = _dtype_name(out) if out.is_floating_point() else "float32"
        return doc.add_node("tensor", names.unique("c", numbered=True),
                            {"value": value, "dtype": dtype}).id


def _inputs(bound: Bound):
    for v in bound.inputs.values():
        if isinstance(v, list):
            yield from v
        else:
            yield v


class _Names:
    """Unique variable names: ``z``, then ``z1``, ``z2`` ... as Document.unique_name gives,
    with a set (a 5,000-op import must not scan every node per name)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next: dict[str, int] = {}

    def unique(self, base: str, numbered: bool = False) -> str:
        if not catalog.is_valid_name(base):
            base, numbered = "v", True
        name = base
        if numbered or name in self.taken:
            i = self.next.get(base, 1)
            while f"{base}{i}" in self.taken or not catalog.is_valid_name(f"{base}{i}"):
                i += 1
            self.next[base] = i + 1
            name = f"{base}{i}"
        self.taken.add(name)
        return name


def _literal(t: Tensor) -> dict:
    return {"value": t.detach().numpy().tolist(), "dtype": _dtype_name(t)}


def _seed(gradient, root):
    if gradient is None:
        return None
    g = gradient.detach().numpy() if isinstance(gradient, Tensor) else np.asarray(gradient)
    if g.shape == tuple(root.shape) and np.all(g == 1):
        return "ones"
    return g.tolist()
