"""Script import at scale (issue 12): a script whose graph has ~5,000 nodes, imported from the
script (child process, the CLI's and the GUI worker's path) and opened in a window.

    python3 benchmarks/bench_import.py [--script chain|mlp] [--steps N] [--collapse] [--no-gui]
    python3 benchmarks/bench_import.py --compare /work/main [--repeat 3] [...]

``chain`` (default): 1,250 x ``h = tanh(h @ w * 0.3 + b)`` -- 5,004 nodes, no module.
``mlp``: ``nn.Sequential`` of 1,250 x (``Linear(8, 8)``, ``Tanh()``) -- 5,002 nodes, 2,501 module
groups; ``--collapse`` opens it with the outer ``model`` group collapsed (the collapsed view).

Prints, for one run in this process: the import (running the script in the child, recording,
building the document, laying it out), writing the JSON, reading it back, opening it in a
MainWindow (set_document, the forward, the first paint) and, after that, the backward-graph
dock's first build (``dock_s``: the longest single draw, which runs after the first frame).
Target: import + open under 3 s.

``--compare DIR`` runs the same measurement on the code tree DIR (e.g. /work/main) and on this
one, alternately in fresh processes, ``--repeat`` times each, and prints both medians and their
ratio: the machines are shared, so only figures measured back to back compare.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _code_root(argv) -> Path:
    """The code tree to measure: ``--code DIR`` (set before anything is imported)."""
    if "--code" in argv:
        return Path(argv[argv.index("--code") + 1]).resolve()
    return ROOT


if __name__ == "__main__":
    CODE = _code_root(sys.argv)
    sys.path.insert(0, str(CODE))
    os.environ["PYTHONPATH"] = str(CODE)  # the importer's child imports the same tree
else:
    CODE = ROOT

SCRIPT = """\
import torch
torch.manual_seed(0)
w = torch.randn(8, 8, requires_grad=True)
b = torch.randn(8, requires_grad=True)
h = torch.randn(4, 8)
for _ in range({steps}):
    h = torch.tanh(h @ w * 0.3 + b)
loss = h.sum()
loss.backward()
"""

MLP = """\
import torch
from torch import nn
torch.manual_seed(0)
layers = []
for _ in range({steps}):
    layers += [nn.Linear(8, 8), nn.Tanh()]
model = nn.Sequential(*layers)
x = torch.randn(4, 8)
loss = model(x).sum()
loss.backward()
"""


def write_script(folder, steps: int = 1250, kind: str = "chain") -> Path:
    path = Path(folder) / f"{kind}_{steps}.py"
    path.write_text((MLP if kind == "mlp" else SCRIPT).format(steps=steps))
    return path


def _collapse_outer(doc) -> int:
    """Collapse the outermost module groups (the model); returns how many."""
    n = 0
    for r in list(doc.regions.values()):
        if r.kind == "module" and r.title.startswith("model · "):
            doc.set_region_collapsed(r.id, True)
            n += 1
    return n


def measure(args) -> dict:
    from engine.document import fileformat
    from engine.document.script_import import import_script
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        script = write_script(tmp, args.steps, args.script)
        t0 = time.perf_counter()
        result = import_script(script)
        out["import_s"] = time.perf_counter() - t0
        out["nodes"] = len(result.document.nodes)
        out["groups"] = sum(1 for r in result.document.regions.values() if r.kind == "module")
        if args.collapse:
            out["collapsed"] = _collapse_outer(result.document)
        doc_path = Path(tmp) / "imported.json"
        t0 = time.perf_counter()
        fileformat.save(result.document, doc_path)
        out["save_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        doc, _view = fileformat.load_with_view(doc_path)
        out["load_s"] = time.perf_counter() - t0
        if not args.no_gui:
            out.update(_open(doc))
    out["import_plus_open_s"] = out["import_s"] + out.get("open_s", out["load_s"])
    return out


def _open(doc) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow, create_application
    app = create_application()
    w = MainWindow(autosave_enabled=False)
    w.resize(1440, 900)
    w.show()
    ctl = getattr(w, "autograd", None)
    if ctl is not None:
        ctl.backward_dock.raise_()
    for _ in range(3):
        app.processEvents()
    draws = []
    view = ctl.backward_view if ctl is not None else None
    if view is not None:
        real = view.set_graph

        def timed(*a, **k):
            t = time.perf_counter()
            real(*a, **k)
            draws.append((time.perf_counter() - t, len(view.graph_items())))
        view.set_graph = timed
    out = {}
    t0 = time.perf_counter()
    w.set_document(doc, None, name="imported", modified=True, take=True)
    app.processEvents()
    w.fit()
    w.view.viewport().repaint()
    out["open_s"] = time.perf_counter() - t0
    out["visible_items"] = sum(1 for it in w.scene.node_items() if it.isVisible())
    out["dock_draws_in_open"] = sum(1 for _, n in draws if n)
    if view is not None:  # the dock's first build comes after the first frame
        t1 = time.perf_counter()
        while not view.graph_items() and time.perf_counter() - t1 < 10:
            app.processEvents()
            time.sleep(0.005)
        out["dock_s"] = max((d for d, n in draws if n), default=0.0)
    w.undo_stack.setClean()
    w.close()
    QApplication.processEvents()
    return out


def compare(args, argv) -> dict:
    """Alternate runs of DIR's code and this tree's in fresh processes; medians and ratios."""
    rest, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--compare", "--repeat", "--code"):
            skip = True
            continue
        rest.append(a)
    trees = {"old": Path(args.compare).resolve(), "new": ROOT}
    runs: dict = {k: [] for k in trees}
    for _ in range(args.repeat):
        for name, tree in trees.items():
            env = dict(os.environ, PYTHONPATH=str(tree), QT_QPA_PLATFORM="offscreen")
            cmd = [sys.executable, str(Path(__file__).resolve()), "--code", str(tree),
                   "--json", *rest]
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            runs[name].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    keys = [k for k in runs["new"][0] if isinstance(runs["new"][0][k], float)]
    print(f"{'median of ' + str(args.repeat):20s} {'old':>8s} {'new':>8s} {'new/old':>8s}")
    table = {}
    for k in keys:
        old = statistics.median(r[k] for r in runs["old"])
        new = statistics.median(r[k] for r in runs["new"])
        table[k] = (old, new)
        ratio = f"{new / old:8.2f}" if old else f"{'-':>8s}"
        print(f"{k:20s} {old:8.3f} {new:8.3f} {ratio}")
    for k in runs["new"][0]:
        if k not in keys:
            print(f"{k:20s} {runs['old'][0].get(k, '-')!s:>8s} {runs['new'][0][k]!s:>8s}")
    return table


def main(argv=None) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser()
    ap.add_argument("--script", choices=("chain", "mlp"), default="chain")
    ap.add_argument("--steps", type=int, default=1250)
    ap.add_argument("--collapse", action="store_true",
                    help="open with the outer module group collapsed (mlp)")
    ap.add_argument("--no-gui", action="store_true")
    ap.add_argument("--json", action="store_true", help="one JSON line (for --compare)")
    ap.add_argument("--code", help="measure the code tree at this path")
    ap.add_argument("--compare", metavar="DIR", help="old code tree to compare with")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    if args.compare:
        return compare(args, argv)
    os.environ.setdefault("PYTHONPATH", str(CODE))
    out = measure(args)
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:20s} {v:.3f}" if isinstance(v, float) else f"{k:20s} {v}")
    return out


if __name__ == "__main__":
    main()
