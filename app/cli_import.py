"""``gradcanvas import SCRIPT.py -o OUT.json [--call N|last] [--timeout S]`` (no Qt).

Runs the script in a child process with the engine standing in for torch (see
engine/document/script_import) and writes the graph of one backward call as a document. The
script's own output passes through to stdout, as ``python SCRIPT.py`` would print it; the
summary and any error go to stderr. Exit 0: written; 1: the script could not be imported
whole (one line says which line and why); 2: usage or file error.
"""
from __future__ import annotations

import sys


def add_parser(sub) -> None:
    from engine.document.script_import import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
    p = sub.add_parser(
        "import", help="run a PyTorch script on the engine and save one backward call's graph",
        description="Runs SCRIPT (Python code: it can do anything python SCRIPT would) in a "
                    "child process where `import torch` is GradCanvas's engine, and writes the "
                    "graph of its backward() call as a document. A document never runs code.")
    p.add_argument("script", metavar="SCRIPT.py")
    p.add_argument("-o", "--output", metavar="OUT.json", required=True)
    p.add_argument("--call", default="1", metavar="N|last",
                   help="which backward() call to record: 1 (default) is the first")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                   help=f"seconds the script may run (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--memory-limit", type=int, default=DEFAULT_MEMORY_MB, metavar="MB",
                   help=f"address space of the child in MB (default {DEFAULT_MEMORY_MB})")
    p.add_argument("-q", "--quiet", action="store_true", help="hide the script's own output")


def cmd_import(args) -> int:
    from app.cli import EXIT_GRAPH, EXIT_OK, EXIT_USAGE, PROG, CliError
    from engine.document import fileformat
    from engine.document.script_import import ScriptImportError, import_script

    def on_event(msg):
        if msg.get("event") == "output" and not args.quiet:
            stream = sys.stderr if msg.get("stream") == "stderr" else sys.stdout
            stream.write(msg.get("text") or "")
            stream.flush()

    try:
        result = import_script(args.script, call=args.call, timeout=args.timeout,
                               memory_mb=args.memory_limit, on_event=on_event)
    except ScriptImportError as e:
        code = EXIT_USAGE if e.kind == "usage" or "no such file" in e.message else EXIT_GRAPH
        raise CliError(str(e), code) from None
    try:
        fileformat.save(result.document, args.output)
    except OSError as e:
        raise CliError(f"cannot write {args.output}: {e.strerror or e}", EXIT_USAGE) from None
    doc = result.document
    ops = sum(1 for n in doc.nodes.values() if not n.spec.is_source)
    where = f" (line {result.line})" if result.line else ""
    print(f"{PROG}: imported backward call {result.call}{where}: {len(doc.nodes)} nodes, "
          f"{ops} ops -> {args.output}", file=sys.stderr)
    return EXIT_OK
