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

from . import catalog, dot, inplace
from .errors import DocumentError
from .layout import _chains

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
        if region.kind != "no_grad":  # module groups write no `with` block
            continue
        for m in region.members:
            region_of[m] = region
    return region_of


def _order(document, region_of, chains=None) -> list[str]:
    """A topological order that keeps each region's members together when it can, so each
    region becomes as few ``with`` blocks as possible, then each module group's (ties:
    document order)."""
    chains = chains or {}
    rank = {nid: i for i, nid in enumerate(document.nodes)}
    preds: dict[str, set] = {nid: set() for nid in document.nodes}
    succs: dict[str, set] = {nid: set() for nid in document.nodes}
    pairs = [(w.src, w.dst) for w in document.wires]
    ip = inplace.analyse(document)  # the model's rule: readers before the in-place writer
    for src, dst in pairs + (ip.edges if ip is not None else []):
        if src in preds and dst in preds:
            preds[dst].add(src)
            succs[src].add(dst)
    remaining = {nid: len(p) for nid, p in preds.items()}
    ready = sorted((nid for nid, n in remaining.items() if n == 0), key=rank.__getitem__)
    order, current, module = [], None, ()
    while ready:
        same = [n for n in ready if region_of.get(n) is current] if current else []
        if module and (not same or len(same) > 1):
            near = [n for n in (same or ready) if chains.get(n, ())[:len(module)] == module]
            same = near or same
        pick = same[0] if same else ready[0]
        module = chains.get(pick, ())
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
    ``prints``: True prints what ``gradcanvas run`` prints; "simple" only ``print(leaf.grad)``
    after backward (what a person would write); False nothing.
    """
    if module not in HEADERS:
        raise ExportError(f"unknown export target {module!r} (expected torch or engine)")
    if results is None:  # values for literals, the root's shape for the backward call
        results = _run(document)
    w = _Writer(document, results)
    lines, builtins = _header(module, w.taken)
    if not document.settings.grad_enabled:
        lines += ["torch.set_grad_enabled(False)  # the document's global grad mode", ""]
    call = backward_call(document, results) if backward else None
    grads = [nid for nid in w.print_order if _prints_grad(document, nid, results)] if call else []
    # with in-place nodes a tensor changes after its line: each node is printed right after
    # its own line (as the app shows it), not at the end
    inline = prints is True and bool(inplace.writers(document))
    if inline:
        defs, _ = _print_helpers(w, grads, builtins)
        lines += defs[1:]
        w.show = _free("show", w.taken)
    lines += _graph_lines(w, literal_values)
    if prints == "simple":  # the GUI's code panel: plain print(w.grad) lines
        lines += _simple_backward(w, call, grads, builtins)
    elif prints:  # the very text `gradcanvas run --backward` prints: diff the two
        if not inline:
            defs, calls = _print_helpers(w, grads, builtins)
            lines += defs + calls
        lines += _backward_lines(w, call, grads, builtins, printing=True)
    else:
        lines += _backward_lines(w, call, grads, builtins, printing=False)
    text = "\n".join(lines).rstrip("\n") + "\n"
    if "math.nan" in text or "math.inf" in text:  # non-finite literal values
        text = text.replace(HEADERS[module] + "\n", "import math\n\n" + HEADERS[module] + "\n", 1)
    return text


class _Writer:
    """What every part of the script needs: names, inputs, regions, order, results."""

    def __init__(self, document, results) -> None:
        self.doc = document
        self.results = results
        self.names = {nid: n.name for nid, n in document.nodes.items()}
        self.taken = set(self.names.values())
        self.ins = _inputs(document)
        self.region_of = _region_of(document)
        self.chains = _chains(document)  # module groups: a comment above their ops
        self.order = _order(document, self.region_of, self.chains)
        # the prints follow `gradcanvas run`'s order (topological), not the code's, which
        # groups regions together: the two outputs must diff clean
        rank = {nid: i for i, nid in enumerate(document.topological_order())}
        self.print_order = sorted(self.order, key=rank.__getitem__)
        self.show = None  # the print helper's name when each node prints after its line


def _header(module: str, taken: set) -> tuple[list, tuple]:
    """The import lines, and how to call print/len when a node name shadows them."""
    lines = ["# Generated by GradCanvas from a graph document.", HEADERS[module], ""]
    pr, ln = "print", "len"
    if taken & {"print", "len"}:
        alias = _free("builtins", taken)
        lines.insert(2, f"import builtins as {alias}" if alias != "builtins" else
                     "import builtins")
        if "print" in taken:
            pr = f"{alias}.print"
        if "len" in taken:
            ln = f"{alias}.len"
    return lines, (pr, ln)


def _graph_lines(w: _Writer, literal_values: bool) -> list:
    """One assignment per node in order; a region's members inside ``with torch.no_grad():``."""
    lines: list = []
    current, module = None, ()
    for nid in w.order:
        region = w.region_of.get(nid)
        chain = w.chains.get(nid, ())
        if region is not current:
            if region is not None:
                if lines and lines[-1] != "":
                    lines.append("")
                title = " ".join(region.title.split())  # a comment stays one line
                lines.append(f"with torch.{region.kind}():" + (f"  # {title}" if title else ""))
            elif current is not None:
                lines.append("")
            current = region
        pad = "    " if region is not None else ""
        if chain != module:  # entering module groups: name each one, outer first
            shared = 0
            while shared < min(len(chain), len(module)) and chain[shared] == module[shared]:
                shared += 1
            for rid in chain[shared:]:
                title = " ".join(w.doc.regions[rid].title.split())
                if _module_frozen(w.doc, rid):  # fine-tuning: the whole module is frozen
                    title += f"  (frozen: {title.split(' · ')[0]}.requires_grad_(False))"
                lines.append(f"{pad}# {title}")
            module = chain
        lines += _node_lines(w, nid, pad, literal_values)
    if current is not None:
        lines.append("")
    if lines and lines[-1] != "":
        lines.append("")
    return lines


def _module_frozen(doc, region_id) -> bool:
    params = [n for n in doc.regions[region_id].members
              if doc.nodes[n].requires_grad and not doc.inputs_of(n)]
    return bool(params) and all(doc.nodes[n].frozen for n in params)


def _node_lines(w: _Writer, nid: str, pad: str, literal_values: bool) -> list:
    node = w.doc.nodes[nid]
    spec = catalog.get(node.op)
    params = catalog.validate_params(spec, node.params)
    rg = bool(node.requires_grad) and spec.is_source
    res = w.results.get(nid) if w.results is not None else None
    if spec.is_source and literal_values and res is not None and res.value is not None:
        expr = tensor_literal(res.value.detach().numpy(), requires_grad=rg,
                              indent=len(f"{node.name} = "))
    elif spec.is_source:
        expr = spec.code([], params, requires_grad=rg)
    else:
        args = _args(spec, node, w.ins, w.names)
        for port, arg in zip(spec.inputs, args):
            if arg is None and not port.optional:
                raise ExportError(f"{node.name}: input {port.name!r} of {spec.title} is "
                                  "not connected")
        expr = spec.code(args, params)
    lines = []
    if spec.inplace and not _is_expression(expr):  # x[0] = v: a statement, then x is it
        lines.append(f"{pad}{expr}")
        expr = args[[p.name for p in spec.inputs].index(spec.inplace)]
    if node.frozen_output:
        expr = (expr if _is_atom(expr) else f"({expr})") + ".detach()"
    lines.append(f"{pad}{node.name} = {expr}".replace("\n", "\n" + pad))
    if spec.is_source and node.frozen and rg:  # a parameter, then frozen (fine-tuning)
        lines.append(f"{pad}{node.name}.requires_grad_(False)  # frozen")
    if node.retain_grad:
        lines.append(f"{pad}{node.name}.retain_grad()")
    if w.show is not None:
        lines.append(f'{pad}{w.show}("{node.name}", {node.name})')
    return lines


def _is_expression(code: str) -> bool:
    try:
        ast.parse(code, mode="eval")
    except SyntaxError:
        return False
    return True


def _print_helpers(w: _Writer, grads: list, builtins: tuple) -> tuple[list, list]:
    """``show(name, t)`` (and ``show_grad``), and a call for every node."""
    pr, ln = builtins
    show, show_grad = _free("show", w.taken), _free("show_grad", w.taken)
    lines = [
        "",
        "# prints: every node's value, requires_grad, is_leaf and grad_fn, then grads",
        f"def {show}(name, t):",
        f'    {pr}(f"{{name}} =", f"{{t!r}}".replace("\\n", "\\n" + " " * ({ln}(name) + 3)))',
        '    fn = t.grad_fn and f"<{type(t.grad_fn).__name__}>"',
        f'    {pr}(f"    requires_grad={{t.requires_grad}} is_leaf={{t.is_leaf}} '
        'grad_fn={fn}")', ""]
    if grads:
        lines += [
            "",
            f"def {show_grad}(name, t):",
            f'    {pr}(f"{{name}}.grad =", f"{{t.grad!r}}".replace("\\n", "\\n" + " " * '
            f'({ln}(name) + 8)))', ""]
    return lines, [""] + [f'{show}("{w.names[nid]}", {w.names[nid]})'
                          for nid in w.print_order] \
        + [""]


def _backward_open(w: _Writer, call) -> list:
    lines = []
    if not w.doc.settings.grad_enabled:
        lines.append("torch.set_grad_enabled(True)")
    lines.append(f"# backward from the root '{w.names[w.doc.settings.root]}'")
    return lines


def _backward_lines(w: _Writer, call, grads: list, builtins: tuple, printing: bool) -> list:
    if call is None:
        return []
    lines = _backward_open(w, call)
    if printing:
        lines.append(f"{builtins[0]}({chr(10) + call!r})")
    lines.append(call)
    if printing:
        show_grad = _free("show_grad", w.taken)
        lines += [f'{show_grad}("{w.names[nid]}", {w.names[nid]})' for nid in grads]
    return lines + [""]


def _simple_backward(w: _Writer, call, grads: list, builtins: tuple) -> list:
    """``loss.backward()`` then ``print(w.grad)`` for the tensors that get a .grad: leaves
    requiring grad and retain_grad nodes."""
    if call is None:
        return []
    lines = _backward_open(w, call) + [call]
    res = w.results
    lines += [f"{builtins[0]}({w.names[nid]}.grad)" for nid in grads
              if w.doc.nodes[nid].retain_grad
              or (res.get(nid) is not None and res[nid].requires_grad)]
    return lines + [""]


def _free(name: str, taken: set) -> str:
    while name in taken:
        name += "_"
    return name


def backward_call(document, results=None) -> str | None:
    """``root.backward(...)`` as the executor runs it (None without a root): the implicit
    gradient for one-element roots, else ``ones_like`` or the document's literal seed."""
    settings = document.settings
    root = settings.root
    if root is None or root not in document.nodes:
        return None
    r = document.nodes[root].name
    kwargs = []
    seed = settings.seed
    res = results.get(root) if results is not None else None
    single = res is not None and res.shape is not None and math.prod(res.shape) == 1
    if isinstance(seed, list):
        kwargs.append(f"torch.tensor({_py_list(seed)}, dtype={r}.dtype)")
    elif seed == "ones" and not single:
        kwargs.append(f"torch.ones_like({r})")
    if settings.retain_graph:
        kwargs.append("retain_graph=True")
    return f"{r}.backward({', '.join(kwargs)})"


def _prints_grad(document, nid, results) -> bool:
    """`gradcanvas run` prints the .grad of every leaf and of retain_grad nodes."""
    node = document.nodes[nid]
    if node.retain_grad:
        return True
    res = results.get(nid) if results is not None else None
    if res is not None and res.value is not None:
        return res.is_leaf
    return node.spec.is_source  # no result to ask: sources are the leaves


def to_dot(document, backward: bool = False, results=None) -> str:
    """Graphviz DOT: the forward graph (nodes, wires, regions), or with ``backward=True`` the
    recorded backward graph of the document's root (torchviz style)."""
    if results is None:
        results = _run(document)
    if backward:
        return dot.document_backward_dot(document, results)
    return dot.forward_dot(document, results)
