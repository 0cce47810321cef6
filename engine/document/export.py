"""Exports of a document: a runnable PyTorch script (or the same for ``import engine as
torch``) and Graphviz DOT text.

Every op is written by its catalog entry's ``code`` (the one op table); this module only adds
the script around it: variable names, ``requires_grad=True``, ``with torch.no_grad():`` blocks
for regions, ``.detach()`` for frozen outputs, ``.retain_grad()``, the backward call and prints.
With ``literal_values=True`` every source node is written as ``torch.tensor(<its values>)``
with enough digits to give back the exact same numbers, so torch reproduces the app's run
(the engine's seeded generators do not produce torch's random streams).
"""
from __future__ import annotations

import ast
import math

import numpy as np

from . import catalog, dot
from .errors import DocumentError

HEADERS = {"torch": "import torch", "engine": "import engine as torch"}
_WRAP = 96  # soft limit for literal lines


class ExportError(DocumentError):
    """The document cannot be exported as asked."""


# -- literals ----------------------------------------------------------------------------------
def float_literal(value, dtype: np.dtype) -> str:
    """Python source for one float element that converts back to exactly ``value`` in
    ``dtype`` (shortest form when it round-trips, else the exact double)."""
    v = float(value)
    if math.isnan(v):  # the script imports math ("math" is a reserved node name)
        return "math.nan"
    if math.isinf(v):
        return "math.inf" if v > 0 else "-math.inf"
    if dtype != np.float64:
        short = str(dtype.type(value))  # numpy's shortest repr for float32/float16
        try:
            if np.array(float(short), dtype=np.float64).astype(dtype) == dtype.type(value) \
                    and math.copysign(1.0, float(short)) == math.copysign(1.0, v):
                return short if any(c in short for c in ".en") else short + ".0"
        except ValueError:
            pass
    return repr(v)  # a float32/float16 value is exactly representable as a double


def tensor_literal(array: np.ndarray, requires_grad: bool = False, indent: int = 0) -> str:
    """``torch.tensor([...], dtype=torch.<dtype>)`` reproducing ``array`` exactly;
    continuation lines are aligned for a literal starting at column ``indent``."""
    array = np.asarray(array)
    dt = array.dtype
    rg = ", requires_grad=True" if requires_grad else ""
    if array.size == 0:
        size = ", ".join(str(s) for s in array.shape)
        return f"torch.zeros({size or '()'}, dtype=torch.{dt.name}{rg})"
    if dt.kind == "f":
        def fmt(x):
            return float_literal(x, dt)
    elif dt.kind == "b":
        def fmt(x):
            return "True" if x else "False"
    else:
        def fmt(x):
            return str(int(x))

    def render(a, indent: int) -> str:
        if a.ndim == 0:
            return fmt(a[()])
        if a.ndim == 1:
            items = [fmt(x) for x in a]
            lines, cur = [], ""
            for it in items:
                if cur and len(cur) + len(it) + 2 + indent > _WRAP:
                    lines.append(cur + ",")
                    cur = it
                else:
                    cur = f"{cur}, {it}" if cur else it
            lines.append(cur)
            return "[" + ("\n" + " " * (indent + 1)).join(lines) + "]"
        inner = [render(sub, indent + 1) for sub in a]
        return "[" + (",\n" + " " * (indent + 1)).join(inner) + "]"

    body = render(array, indent + len("torch.tensor("))
    return f"torch.tensor({body}, dtype=torch.{dt.name}{rg})"


def _py_list(value) -> str:
    """A nested list of numbers as Python source (non-finite floats via ``math``)."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_py_list(v) for v in value) + "]"
    if isinstance(value, float):
        return float_literal(value, np.dtype(np.float64))
    return repr(value)


# -- scripts -----------------------------------------------------------------------------------
def _is_atom(expr: str) -> bool:
    try:
        node = ast.parse(expr, mode="eval").body
    except SyntaxError:
        return False
    return isinstance(node, ast.Call | ast.Name | ast.Attribute | ast.Subscript)


def _inputs(document) -> dict[str, dict[str, list]]:
    """node id -> port name -> [(index, src id)] sorted."""
    out: dict[str, dict[str, list]] = {}
    for w in document.wires:
        out.setdefault(w.dst, {}).setdefault(w.port, []).append((w.index, w.src))
    for ports in out.values():
        for lst in ports.values():
            lst.sort()
    return out


def _args(spec, node, ins, names) -> list:
    args: list = []
    ports = ins.get(node.id, {})
    for port in spec.inputs:
        wired = ports.get(port.name, [])
        if port.variadic:
            args.append([names[src] for _, src in wired])
        else:
            args.append(names[wired[0][1]] if wired else None)
    return args


def _region_of(document) -> dict[str, object]:
    region_of = {}
    for region in document.regions.values():
        for m in region.members:
            region_of[m] = region
    return region_of


def _order(document, region_of) -> list[str]:
    """A topological order that keeps each region's members together when it can, so each
    region becomes as few ``with`` blocks as possible (ties: document order)."""
    rank = {nid: i for i, nid in enumerate(document.nodes)}
    preds: dict[str, set] = {nid: set() for nid in document.nodes}
    succs: dict[str, set] = {nid: set() for nid in document.nodes}
    for w in document.wires:
        if w.src in preds and w.dst in preds:
            preds[w.dst].add(w.src)
            succs[w.src].add(w.dst)
    remaining = {nid: len(p) for nid, p in preds.items()}
    ready = sorted((nid for nid, n in remaining.items() if n == 0), key=rank.__getitem__)
    order, current = [], None
    while ready:
        same = [n for n in ready if region_of.get(n) is current] if current else []
        pick = same[0] if same else ready[0]
        ready.remove(pick)
        order.append(pick)
        current = region_of.get(pick)
        for s in succs[pick]:
            remaining[s] -= 1
            if remaining[s] == 0:
                ready.append(s)
        ready.sort(key=rank.__getitem__)
    if len(order) != len(document.nodes):  # the model forbids cycles; be safe anyway
        raise ExportError("the graph has a cycle")
    return order


def _run(document):
    from .execution import Executor
    ex = Executor(document)
    try:
        ex.forward()
    finally:
        ex.close()  # a one-off run: don't leave a subscriber on the document
    return ex.results


def to_script(document, module: str = "torch", literal_values: bool = False,
              results=None, prints: bool = True, backward: bool = True) -> str:
    """A runnable script equivalent to ``document``.

    ``module``: "torch" (``import torch``) or "engine" (``import engine as torch``).
    ``literal_values``: write source nodes as literal tensors holding the values the app
    computed (``results`` from an Executor, else the document is run once).
    """
    if module not in HEADERS:
        raise ExportError(f"unknown export target {module!r} (expected torch or engine)")
    if results is None:  # values for literals, the root's shape for the backward call
        results = _run(document)
    names = {nid: n.name for nid, n in document.nodes.items()}
    ins = _inputs(document)
    region_of = _region_of(document)
    settings = document.settings
    lines = ["# Generated by GradCanvas from a graph document.", HEADERS[module], ""]
    taken = set(names.values())
    pr = "print"
    if pr in taken:  # a node named "print" shadows the builtin: call it through builtins
        alias = "builtins"
        while alias in taken:
            alias += "_"
        lines.insert(2, f"import builtins as {alias}" if alias != "builtins" else
                     "import builtins")
        pr = f"{alias}.print"
    if not settings.grad_enabled:
        lines += ["torch.set_grad_enabled(False)  # the document's global grad mode", ""]
    current = None
    for nid in _order(document, region_of):
        node = document.nodes[nid]
        spec = catalog.get(node.op)
        region = region_of.get(nid)
        if region is not current:
            if region is not None:
                if lines[-1] != "":
                    lines.append("")
                title = " ".join(region.title.split())  # a comment stays one line
                lines.append(f"with torch.{region.kind}():" + (f"  # {title}" if title else ""))
            elif current is not None:
                lines.append("")
            current = region
        pad = "    " if region is not None else ""
        params = catalog.validate_params(spec, node.params)
        rg = bool(node.requires_grad) and spec.is_source
        res = results.get(nid) if results is not None else None
        if spec.is_source and literal_values and res is not None and res.value is not None:
            expr = tensor_literal(res.value.detach().numpy(), requires_grad=rg,
                                  indent=len(f"{node.name} = "))
        elif spec.is_source:
            expr = spec.code([], params, requires_grad=rg)
        else:
            args = _args(spec, node, ins, names)
            for port, arg in zip(spec.inputs, args):
                if arg is None and not port.optional:
                    raise ExportError(f"{node.name}: input {port.name!r} of {spec.title} is "
                                      "not connected")
            expr = spec.code(args, params)
        if node.frozen_output:
            expr = (expr if _is_atom(expr) else f"({expr})") + ".detach()"
        lines.append(f"{pad}{node.name} = {expr}".replace("\n", "\n" + pad))
        if node.retain_grad:
            lines.append(f"{pad}{node.name}.retain_grad()")
    if current is not None:
        lines.append("")
    if lines[-1] != "":
        lines.append("")
    order = _order(document, region_of)
    if prints:
        lines.append("# forward: value, grad_fn and requires_grad of every node")
        for nid in order:
            n = names[nid]
            lines.append(f'{pr}("{n} =", {n})')
            lines.append(f'{pr}("  requires_grad:", {n}.requires_grad, '
                         f'" grad_fn:", {n}.grad_fn)')
        lines.append("")
    root = settings.root
    if backward and root is not None and root in document.nodes:
        r = names[root]
        kwargs = []
        seed = settings.seed
        root_res = results.get(root) if results is not None else None
        # the executor's rule: the implicit gradient for one-element roots, else ones
        single = root_res is not None and root_res.shape is not None and \
            math.prod(root_res.shape) == 1
        if isinstance(seed, list):
            kwargs.append(f"torch.tensor({_py_list(seed)}, dtype={r}.dtype)")
        elif seed == "ones" and not single:
            kwargs.append(f"torch.ones_like({r})")
        if settings.retain_graph:
            kwargs.append("retain_graph=True")
        if not settings.grad_enabled:
            lines.append("torch.set_grad_enabled(True)")
        lines.append(f"# backward from the root '{r}'")
        lines.append(f"{r}.backward({', '.join(kwargs)})")
        if prints:
            for nid in order:
                node = document.nodes[nid]
                spec = catalog.get(node.op)
                if (spec.is_source and node.requires_grad) or node.retain_grad:
                    lines.append(f'{pr}("{node.name}.grad =", {node.name}.grad)')
        lines.append("")
    text = "\n".join(lines).rstrip("\n") + "\n"
    if "math.nan" in text or "math.inf" in text:  # non-finite literal values
        text = text.replace(HEADERS[module] + "\n", "import math\n\n" + HEADERS[module] + "\n", 1)
    return text


def to_dot(document, backward: bool = False, results=None) -> str:
    """Graphviz DOT: the forward graph (nodes, wires, regions), or with ``backward=True`` the
    recorded backward graph of the document's root (torchviz style)."""
    if results is None:
        results = _run(document)
    if backward:
        return dot.document_backward_dot(document, results)
    return dot.forward_dot(document, results)
