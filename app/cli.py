"""The headless command line: ``gradcanvas run|export|check FILE`` (no Qt imported).

Exit status: 0 ok, 1 graph error (a node failed, backward failed), 2 usage or file error.
An error is one line on stderr: ``gradcanvas: error: ...``. See docs/cli.md.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings

PROG = "gradcanvas"
SUBCOMMANDS = ("run", "export", "check", "import", "train")
EXIT_OK, EXIT_GRAPH, EXIT_USAGE = 0, 1, 2
JSON_FORMAT = "gradcanvas-run"
JSON_VERSION = 1


class CliError(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints usage + error; we want one line
        raise CliError(f"{message} (see '{PROG} --help')", EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description=(
        "Build tensor/op graphs and watch PyTorch-style autograd. Without a subcommand (or "
        "with just a FILE) the GUI opens."))
    p.add_argument("--version", action="version", version=f"{PROG} 0.1.0")
    sub = p.add_subparsers(dest="command", metavar="{run,export,check,import,train}",
                           parser_class=_Parser)
    r = sub.add_parser("run", help="run a graph: every node's value, grad_fn, requires_grad")
    r.add_argument("file")
    r.add_argument("--backward", nargs="?", const="", metavar="NODE", default=None,
                   help="then call NODE.backward() (a node name or id; the document's root "
                        "when NODE is omitted) and print every leaf's grad")
    r.add_argument("--json", action="store_true", help="JSON output (schema: docs/cli.md)")
    e = sub.add_parser("export", help="export a graph as a PyTorch/engine script, DOT, or a "
                                      "PNG/SVG picture")
    e.add_argument("file")
    e.add_argument("--to", choices=("torch", "engine", "dot", "png", "svg"), default="torch")
    e.add_argument("--scale", type=float, default=2.0,
                   help="with --to png: pixels per canvas unit (default 2)")
    e.add_argument("--literal-values", action="store_true",
                   help="embed leaf values as literals (reproduces the app's numbers)")
    e.add_argument("--backward-graph", action="store_true",
                   help="with --to dot: the recorded backward graph instead of the forward one")
    e.add_argument("-o", "--output", metavar="OUT", help="write here instead of stdout")
    e.add_argument("--train", action="store_true",
                   help="the document's training loop (what `train` runs) instead of one pass")
    c = sub.add_parser("check", help="validate a file and run its forward pass")
    c.add_argument("file")
    from app.cli_import import add_parser  # the importer's subcommand lives in its own module
    add_parser(sub)
    from app import cli_train  # the train subcommand lives in its own module
    cli_train.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in SUBCOMMANDS and not argv[0].startswith("-")):
        return launch_gui(argv[0] if argv else None, argv[1:])
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as e:  # --help / --version printed their text
            return int(e.code or 0)
        if args.command is None:
            return launch_gui(None, [])
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            # numpy's floating-point notes ("invalid value encountered in log") are the
            # engine's internals: torch prints nothing for log(-1)
            warnings.filterwarnings("ignore", message=".*encountered in", category=RuntimeWarning)
            from app.cli_import import cmd_import
            from app.cli_train import cmd_train
            return {"run": cmd_run, "export": cmd_export, "check": cmd_check,
                    "import": cmd_import, "train": cmd_train}[args.command](args)
    except CliError as e:
        _error(str(e))
        return e.code
    except BrokenPipeError:  # `gradcanvas run f | head`
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug, not the user's fault: still one line, not a traceback
        _error(f"internal error: {type(e).__name__}: {e}")
        return EXIT_GRAPH


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """torch's warnings (``var(): degrees of freedom is <= 0 ...``) as one line each, without
    the engine's source location."""
    text = " ".join(str(message).split())
    print(f"{PROG}: warning: {text}", file=sys.stderr)


def _error(message: str) -> None:
    line = " ".join(str(message).split())  # one line, whatever the message held
    print(f"{PROG}: error: {line}", file=sys.stderr)


def launch_gui(path: str | None, rest: list[str]) -> int:
    if rest:
        _error(f"unexpected arguments after the file: {' '.join(rest)} (see '{PROG} --help')")
        return EXIT_USAGE
    if path is not None and not os.path.exists(path):
        if not path.endswith(".json") and os.sep not in path:  # `gradcanvas runn f.json`
            _error(f"unknown command {path!r}: choose run, export, check, import or train, or "
                   f"give a FILE to open (see '{PROG} --help')")
        else:
            _error(f"{path}: no such file")
        return EXIT_USAGE
    try:
        from app.main_window import run_gui  # Qt is imported only here
    except ImportError as e:
        _error(f"the GUI is not available ({e}); the subcommands run, export and check work "
               "without it")
        return EXIT_USAGE
    return int(run_gui([path] if path else []) or 0)


# -- shared ------------------------------------------------------------------------------------
def load(path: str):
    from engine.document import fileformat
    try:
        return fileformat.load(path)
    except fileformat.FileFormatError as e:
        if e.message.startswith(f"cannot read {path}:"):  # names the file already
            raise CliError(e.message, EXIT_USAGE) from None
        where = f" {e.path}:" if e.path else ""
        raise CliError(f"{path}:{where} {e.message}", EXIT_USAGE) from None


def execute(document):
    from engine.document.execution import Executor
    ex = Executor(document)
    ex.forward()
    return ex


def first_error(document, results, order=None) -> str | None:
    """The first failing node's error in topological order (its text names the node:
    "z: mat1 and mat2 shapes cannot be multiplied (...)")."""
    for nid in order if order is not None else document.topological_order():
        r = results.get(nid)
        if r is not None and r.error is not None:
            return r.error
    return None


def find_node(document, ref: str) -> str:
    from engine.document import UnknownNodeError
    try:  # names first: a node may be *named* "n3"
        return document.node_by_name(ref).id
    except UnknownNodeError:
        pass
    if ref in document.nodes:
        return ref
    raise CliError(f"no node named '{ref}' in the document", EXIT_USAGE)


def run_backward(document, ex, ref: str) -> tuple[str, str | None]:
    """Backward from ``ref`` (or the document's root when empty); (root id, error text)."""
    if ref:
        root = find_node(document, ref)
    elif document.settings.root is not None:
        root = document.settings.root
    else:
        raise CliError("--backward needs a NODE: the document has no backward root", EXIT_USAGE)
    try:
        out = ex.backward(root)
    except Exception as e:  # torch's error text, e.g. "element 0 of tensors does not require grad"
        return root, f"{type(e).__name__}: {e}"
    return root, out if isinstance(out, str) else None


# -- run ---------------------------------------------------------------------------------------
def cmd_run(args) -> int:
    doc = load(args.file)
    ex = execute(doc)
    results = ex.results
    error = first_error(doc, results)
    root = backward_error = None
    if args.backward is not None:  # even after an error elsewhere: the root may be fine
        root, backward_error = run_backward(doc, ex, args.backward)
        results = ex.results
    if args.json:
        from engine.document.fileformat import pretty
        data = run_json(doc, results, root, backward_error, args.file)
        json.dumps(data, allow_nan=False)  # strict JSON: non-finite values are strings
        print(pretty(data))
    else:
        print_run(doc, results, root, backward_error)
    if error is None and backward_error is not None:
        error = f"backward from '{doc.nodes[root].name}': {backward_error}"
    if error is not None:
        _error(error)
        return EXIT_GRAPH
    return EXIT_OK


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _grad_fn(r) -> str:
    return f"<{r.grad_fn}>" if r.grad_fn else "None"


def print_run(doc, results, root, backward_error) -> None:
    for nid in doc.topological_order():
        name, r = doc.nodes[nid].name, results.get(nid)
        if r is None:
            continue
        if r.error is not None:
            print(f"{name}: error: {r.error}")
        elif r.blocked_by is not None:
            print(f"{name}: blocked by '{doc.nodes[r.blocked_by].name}'")
        else:
            print(f"{name} = {_indent(repr(r.value), len(name) + 3)}")
            print(f"    requires_grad={r.requires_grad} is_leaf={r.is_leaf} "
                  f"grad_fn={_grad_fn(r)}")
    if root is None:
        return
    from engine.document.export import backward_call
    print()  # the call as the exported script writes it (seed, retain_graph)
    print(backward_call(_rooted(doc, root), results))
    if backward_error is not None:
        print(f"error: {backward_error}")
        return
    for nid in doc.topological_order():  # every leaf (None too: frozen...), retain_grad nodes
        r, node = results.get(nid), doc.nodes[nid]
        if r is not None and r.value is not None and (r.is_leaf or node.retain_grad):
            print(f"{node.name}.grad = {_indent(repr(r.grad), len(node.name) + 8)}")


def _rooted(doc, root):
    """``doc`` with ``root`` as its backward root (the CLI's --backward NODE)."""
    if doc.settings.root == root:
        return doc
    other = doc.copy()
    other.settings.root = root
    return other


def _indent(text: str, n: int) -> str:
    return text.replace("\n", "\n" + " " * n)


def _json_values(a):
    """Nested lists; non-finite floats as the strings "nan", "inf", "-inf" (strict JSON)."""
    if isinstance(a, list):
        return [_json_values(v) for v in a]
    if isinstance(a, float) and not math.isfinite(a):
        return "nan" if a != a else ("inf" if a > 0 else "-inf")
    return a


def _tensor_json(t):
    return None if t is None else _json_values(t.tolist())


def run_json(doc, results, root, backward_error, file) -> dict:
    nodes = []
    for nid in doc.topological_order():
        node, r = doc.nodes[nid], results.get(nid)
        nodes.append({
            "id": nid, "name": node.name, "op": node.op,
            "value": _tensor_json(r.value) if r else None,
            "repr": repr(r.value) if r and r.value is not None else None,
            "shape": list(r.shape) if r and r.shape is not None else None,
            "dtype": r.dtype if r else None,
            "requires_grad": bool(r.requires_grad) if r else False,
            "is_leaf": bool(r.is_leaf) if r else False,
            "grad_fn": r.grad_fn if r else None,
            "grad": _tensor_json(r.grad) if r else None,
            "grad_repr": repr(r.grad) if r and r.grad is not None else None,
            "error": r.error if r else None,
            "blocked_by": r.blocked_by if r else None,
        })
    backward = None
    if root is not None:
        backward = {"root": root, "root_name": doc.nodes[root].name, "error": backward_error}
    ok = backward_error is None and all(n["error"] is None and n["blocked_by"] is None
                                        for n in nodes)
    return {"format": JSON_FORMAT, "version": JSON_VERSION, "file": file, "ok": ok,
            "nodes": nodes, "backward": backward}


# -- export ------------------------------------------------------------------------------------
def cmd_export(args) -> int:
    if args.to in ("png", "svg"):  # pictures: rendered with Qt, offscreen (app/cli_image.py)
        from .cli_image import cmd_export_image
        return cmd_export_image(args, load, CliError, (EXIT_OK, EXIT_GRAPH, EXIT_USAGE))
    doc = load(args.file)
    if args.backward_graph and args.to != "dot":
        raise CliError("--backward-graph only applies to --to dot", EXIT_USAGE)
    if args.literal_values and args.to == "dot":
        raise CliError("--literal-values only applies to --to torch or --to engine", EXIT_USAGE)
    from engine.document import export

    try:
        if args.train:
            if args.to == "dot":
                raise CliError("--train applies to --to torch or --to engine", EXIT_USAGE)
            from engine.document.training.export_train import to_training_script
            text = to_training_script(doc, module=args.to, literal_values=args.literal_values,
                                      base_dir=os.path.dirname(os.path.abspath(args.file)))
        elif args.to == "dot":
            text = export.to_dot(doc, backward=args.backward_graph)
        else:
            text = export.to_script(doc, module=args.to, literal_values=args.literal_values)
    except export.ExportError as e:
        raise CliError(str(e), EXIT_GRAPH) from None
    if args.output:
        from engine.document.fileformat import atomic_write
        try:
            atomic_write(args.output, text)
        except OSError as e:
            raise CliError(f"cannot write {args.output}: {e.strerror or e}", EXIT_USAGE) \
                from None
    else:
        sys.stdout.write(text)
    return EXIT_OK


# -- check -------------------------------------------------------------------------------------
def cmd_check(args) -> int:
    doc = load(args.file)
    ex = execute(doc)
    error = first_error(doc, ex.results, ex.order())
    if error is not None:
        _error(error)
        return EXIT_GRAPH
    counts = ", ".join(_plural(len(items), what) for items, what in (
        (doc.nodes, "node"), (doc.wires, "wire"), (doc.regions, "region")))
    print(f"{args.file}: ok ({counts})")
    return EXIT_OK
