"""Canvas scale benchmark: the real MainWindow, offscreen, on 1k / 5k / 10k-node documents.

    QT_QPA_PLATFORM=offscreen python3 benchmarks/bench_canvas.py [--nodes 1000 5000 10000]
        [--nodes N ...] [--wire-ratio 1.2] [--local] [--profile DIR] [--check]

For each size it builds a layered DAG document (sources feeding tanh/add ops; `--local` for
tidy wiring, else long crossing wires: the stress case), opens it in a MainWindow and prints
(issue 10's figures and targets):

  open          Document.from_dict + MainWindow + shown + first frame painted     (<= 1500 ms)
  edit          set one leaf's seed -> forward -> the canvas repainted (median)    (<= 100 ms)
  bwview        the backward-graph dock's own update after that edit (median)
  backward      backward from the last node -> canvas repainted                   (<= 300 ms)
  forward       a full forward re-run (every node invalidated) -> repainted
  repaint       one full repaint of the fitted view (median)                      (<= 30 ms)
  drag          one frame of dragging a node with its wires, real mouse events    (<= 16 ms)
  rss           resident memory of the process after all of the above (VmRSS)     (<= 500 MB)

Each time is the CPU time of this process (time.process_time: what the GUI thread spends,
robust when other jobs share the machine; Qt offscreen paints on this thread too) with the
wall-clock time beside it. With two or more sizes it prints the growth exponents
log(t_big / t_small) / log(big / small) of the two largest (1 = linear, 2 = quadratic).
`--profile DIR` runs cProfile around every figure of the largest size and writes
DIR/<figure>.prof plus the top functions by cumulative time to stdout.
Code under test: this checkout, or with PYTHONPATH set, whatever that points at (so the same
script measures /work/main: `PYTHONPATH=/work/main python3 benchmarks/bench_canvas.py`).
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if not os.environ.get("PYTHONPATH"):  # else measure the code PYTHONPATH names
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEvent, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

ROWS = 25
TARGETS = {"open": 1500, "edit": 100, "backward": 300, "repaint": 30, "drag": 16, "rss": 500}
FIGURES = ("open", "edit", "bwview", "backward", "forward", "repaint", "drag", "rss")


def make_data(n_nodes: int, n_wires: int, seed: int = 0, local: bool = False) -> dict:
    """A layered DAG in plain document data: sources on the left, ops feeding forward.
    Inputs come from any row of the three previous columns (long crossing wires: the stress
    case), or with `local` from nearby rows of the previous column (a tidy graph)."""
    rng = random.Random(seed)
    n_src = min(max(n_nodes // 5, ROWS), n_nodes)  # a full first column feeds the rest
    n_ops = n_nodes - n_src
    n_binary = max(0, min(n_ops, n_wires - n_ops))  # each op has >= 1 wire; binaries 2
    nodes, wires = [], []
    for i in range(n_nodes):
        col, row = divmod(i, ROWS)
        pos = [col * 260.0, row * 130.0]
        nid = f"n{i + 1}"
        if i < n_src:
            nodes.append({"id": nid, "op": "randn", "name": f"w{i}",
                          "params": {"shape": [3], "seed": i}, "pos": pos,
                          "requires_grad": True})
            continue
        binary = (i - n_src) < n_binary
        nodes.append({"id": nid, "op": "add" if binary else "tanh", "name": f"v{i}",
                      "params": {}, "pos": pos})
        col_start = i - i % ROWS  # inputs from the three columns before this one
        if local:
            row = i % ROWS
            prev = col_start - ROWS
            pool = range(prev + max(0, row - 2), prev + min(ROWS, row + 3))
        else:
            pool = range(max(0, col_start - 3 * ROWS), col_start)
        srcs = rng.sample(pool, 2 if binary else 1)
        for port, s in zip(("input", "other"), srcs):
            wires.append({"src": f"n{s + 1}", "dst": nid, "port": port})
    return {"nodes": nodes, "wires": wires}


def mouse(view, kind, pos, buttons):
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else \
        Qt.MouseButton.LeftButton
    ev = QMouseEvent(kind, pos, QPointF(view.viewport().mapToGlobal(pos.toPoint())), button,
                     buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), ev)


def rss_mb() -> float:
    """Resident memory now (VmRSS), in MB; the peak (ru_maxrss) where /proc is missing."""
    try:
        for ln in Path("/proc/self/status").read_text().splitlines():
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Clock:
    """CPU and wall milliseconds of a block; under a profiler when one is given."""

    def __init__(self, prof: cProfile.Profile | None = None):
        self.prof = prof

    def __enter__(self):
        self.c, self.w = time.process_time(), time.perf_counter()
        if self.prof is not None:
            self.prof.enable()
        return self

    def __exit__(self, *exc):
        if self.prof is not None:
            self.prof.disable()
        self.cpu = (time.process_time() - self.c) * 1000
        self.wall = (time.perf_counter() - self.w) * 1000


class Figure:
    def __init__(self, name: str, profile: bool):
        self.name = name
        self.cpu: list[float] = []
        self.wall: list[float] = []
        self.prof = cProfile.Profile() if profile else None

    def clock(self) -> Clock:
        return Clock(self.prof)

    def add(self, c: Clock) -> None:
        self.cpu.append(c.cpu)
        self.wall.append(c.wall)

    @property
    def median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")


def settle(app, win=None) -> None:
    """Run what the window has queued (the coalesced forward, deferred views)."""
    for _ in range(3):
        app.processEvents()
    if win is not None and win._refresh_timer.isActive():
        win.refresh_results()
        app.processEvents()


def measure(n: int, args, app, profile: bool) -> dict[str, Figure]:
    from app.main_window import MainWindow
    from engine.document.model import Document

    w, h = (int(v) for v in args.size.split("x"))
    figs = {k: Figure(k, profile) for k in FIGURES}
    data = make_data(n, int(n * args.wire_ratio), local=args.local)
    gc.collect()

    f = figs["open"]
    with f.clock() as c:
        doc = Document.from_dict(data)
        win = MainWindow(doc, autosave_enabled=False)
        win.resize(w, h)
        win.show()
        settle(app)  # the deferred fit, the first forward's results
        win.view.viewport().repaint()
    f.add(c)
    ctl = getattr(win, "autograd", None)
    dock = getattr(ctl, "backward_dock", None)
    if dock is not None:
        dock.show()  # the backward-graph view's cost is part of what an edit costs
    settle(app, win)
    if ctl is not None:
        ctl.update_backward_view_now()
    print(f"graph: {len(doc.nodes)} nodes, {len(doc.wires)} wires, window {w}x{h}, "
          f"load average {os.getloadavg()[0]:.1f}")

    # edit a leaf: the command, the incremental forward, the canvas repaint
    leaves = [nid for nid, node in doc.nodes.items() if node.op == "randn"]
    picks = [leaves[(k * 7) % len(leaves)] for k in range(args.repeat)]
    for k, nid in enumerate(picks):
        f = figs["edit"]
        with f.clock() as c:
            win.set_param(nid, "seed", 1000 + k)
            win.refresh_results()  # what the 0 ms coalescing timer runs next
            win.view.viewport().repaint()
        f.add(c)
        f = figs["bwview"]
        with f.clock() as c:  # what the backward dock's timer then runs on the GUI thread
            if ctl is not None:
                ctl.update_backward_view_now()
            settle(app)
        f.add(c)
    root = next(reversed(doc.nodes))
    for _ in range(max(1, args.repeat // 2)):
        f = figs["backward"]
        with f.clock() as c:
            if ctl is not None:
                err = ctl.backward(root)
                if err:
                    raise SystemExit(f"backward failed: {err}")
            settle(app)
            win.view.viewport().repaint()
        f.add(c)
        f = figs["forward"]
        with f.clock() as c:  # the spent graph: forward rebuilds every op (new grad_fns)
            win.executor().invalidate()
            win.refresh_results()
            win.view.viewport().repaint()
        f.add(c)
        if ctl is not None:
            ctl.update_backward_view_now()
        settle(app)

    view = win.view
    win.fit()
    settle(app)
    f = figs["repaint"]
    for _ in range(15):
        with f.clock() as c:
            view.viewport().repaint()
        f.add(c)

    # drag the busiest node (the most wires to re-route per frame), real mouse events
    scene = win.scene
    item = max(scene.node_items(), key=lambda i: len(i.wires_in) + len(i.wires_out))
    view.resetTransform()
    view.centerOn(item)
    settle(app)
    start = QPointF(view.mapFromScene(item.pos() + QPointF(item.WIDTH / 2, 12)))
    mouse(view, QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton)
    f = figs["drag"]
    for i in range(1, 31):
        with f.clock() as c:
            mouse(view, QEvent.Type.MouseMove, start + QPointF(i * 3.0, i * 2.0),
                  Qt.MouseButton.LeftButton)
            app.processEvents()  # the frame Qt paints: the dirty region of node and wires
        f.add(c)
    mouse(view, QEvent.Type.MouseButtonRelease, start + QPointF(90, 60),
          Qt.MouseButton.NoButton)
    settle(app, win)
    figs["rss"].cpu.append(rss_mb())
    figs["rss"].wall.append(figs["rss"].cpu[-1])

    win.undo_stack.setClean()
    win.shutdown()
    win.hide()
    win.deleteLater()  # leave no top-level widget behind (the smoke test runs in pytest)
    app.processEvents()
    return figs


def print_size(n: int, figs: dict[str, Figure]) -> None:
    print(f"{'figure':<10} {'cpu median':>11} {'max':>9} {'wall median':>12}  target")
    for k in FIGURES:
        f = figs[k]
        unit = "MB" if k == "rss" else "ms"
        tgt = f"<= {TARGETS[k]} {unit}" if k in TARGETS else ""
        print(f"{k:<10} {f.median:9.1f}{unit} {max(f.cpu):7.1f}{unit} "
              f"{statistics.median(f.wall):10.1f}{unit}  {tgt}")


def print_profile(n: int, figs: dict[str, Figure], out_dir: Path, top: int) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for k, f in figs.items():
        if f.prof is None or k == "rss":
            continue
        path = out_dir / f"{k}_{n}.prof"
        f.prof.dump_stats(str(path))
        s = io.StringIO()
        st = pstats.Stats(f.prof, stream=s)
        st.sort_stats("cumulative").print_stats(top)
        print(f"\n=== profile {k} @ {n} nodes ({len(f.cpu)} runs, {path}) ===")
        body = s.getvalue()
        print(body[body.find("   ncalls"):].rstrip())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, nargs="+", action="extend",
                    help="document sizes (repeatable; default 1000 5000 10000)")
    ap.add_argument("--wire-ratio", type=float, default=1.2, help="wires per node")
    ap.add_argument("--size", default="1600x1000", help="window size WxH")
    ap.add_argument("--repeat", type=int, default=5, help="edits per size (median)")
    ap.add_argument("--local", action="store_true",
                    help="tidy wiring (nearby rows) instead of long crossing wires")
    ap.add_argument("--profile", metavar="DIR", help="cProfile the largest size into DIR")
    ap.add_argument("--top", type=int, default=25, help="profile lines per figure")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)
    sizes = sorted(set(args.nodes or [1000, 5000, 10000]))
    app = QApplication.instance() or QApplication([])
    import engine
    print(f"code under test: {Path(engine.__file__).resolve().parents[1]}")
    measure(60, args, app, False)  # warm-up: imports and the first window's one-off costs
    results: dict[int, dict[str, Figure]] = {}
    for n in sizes:
        profile = bool(args.profile) and n == sizes[-1]
        print(f"\n--- {n} nodes{' (profiled: times include cProfile overhead)' if profile else ''}")
        results[n] = figs = measure(n, args, app, profile)
        print_size(n, figs)
        if profile:
            print_profile(n, figs, Path(args.profile), args.top)
    if len(sizes) >= 2:
        a, b = sizes[-2], sizes[-1]
        print(f"\ngrowth exponents log(t{b}/t{a}) / log({b}/{a}):")
        for k in FIGURES:
            ta, tb = results[a][k].median, results[b][k].median
            e = math.log(tb / ta) / math.log(b / a) if ta > 0 and tb > 0 else float("nan")
            print(f"  {k:<10} {e:5.2f}")
    biggest = results[sizes[-1]]
    missed = [k for k, t in TARGETS.items() if biggest[k].median > t]
    if missed:
        print(f"MISSED at {sizes[-1]} nodes:", ", ".join(missed))
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
