"""Document executor overhead: a 1,000-node document vs the same graph written on the engine;
and the model at scale (issue 10): building, opening and checking 10k/100k-node documents, a
stack fed by 4,000 wires.

    python3 benchmarks/bench_document.py [--sizes 10000,100000]

Forward + backward through ``Executor`` (full recompute each time) against the identical
sequence of engine calls, best of N interleaved runs in one process (the machines are shared:
compare the ratio, not the milliseconds). Target (issue 3): ratio within 1.5x. Also times an
incremental re-run after editing a node near the output.
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import engine  # noqa: E402
from engine.document import Document  # noqa: E402
from engine.document.execution import Executor  # noqa: E402

OPS = ("tanh", "add", "mul", "sigmoid")


def build(n: int = 1000):
    doc = Document()
    x = doc.add_node("randn", "x", {"shape": [16]}, requires_grad=True)
    prev = x
    for i in range(n - 2):
        op = OPS[i % 4]
        node = doc.add_node(op)
        doc.connect(prev.id, node.id, "input")
        if op in ("add", "mul"):
            doc.connect(x.id, node.id, "other")
        prev = node
    root = doc.add_node("sum", "loss")
    doc.connect(prev.id, root.id, "input")
    return doc, x, root, prev


def _best(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def scale(sizes) -> None:
    """Build (add_node + connect), save text, open (parse + validate + build), forward."""
    from engine.document import fileformat
    for n in sizes:
        t0 = time.perf_counter()
        doc, *_ = build(n)
        t_build = time.perf_counter() - t0
        text = fileformat.dumps(doc)
        holder = {}
        t_open = _best(lambda h=holder, t=text: h.update(doc=fileformat.loads(t)),
                       1 if n > 20000 else 3)
        ex = Executor(holder["doc"])
        t0 = time.perf_counter()
        ex.forward()
        t_fwd = time.perf_counter() - t0
        print(f"{n:>7,}-node document: build {t_build:.2f} s, open {t_open:.2f} s, "
              f"first forward {t_fwd:.2f} s (check = open + forward: {t_open + t_fwd:.2f} s)")
    doc = Document()
    st = doc.add_node("stack", "s")
    leaves = [doc.add_node("ones", params={"shape": [2]}).id for _ in range(4000)]
    t0 = time.perf_counter()
    for i, nid in enumerate(leaves):
        doc.connect(nid, st.id, "tensors", i)
    t_conn = time.perf_counter() - t0
    text = fileformat.dumps(doc)
    t_open = _best(lambda: fileformat.loads(text))
    print(f"stack fed by 4,000 wires: connect {t_conn * 1e3:.0f} ms, open {t_open * 1e3:.0f} ms "
          "(target < 1 s each)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000", help="comma-separated node counts to open")
    sizes = [int(v) for v in ap.parse_args().sizes.split(",") if v]
    doc, x, root, last = build()
    ex = Executor(doc)
    ex.forward()
    n = len(doc.nodes)

    def run_document():
        ex.invalidate()
        ex.forward()
        err = ex.backward(root.id)
        assert err is None, err

    def run_engine():
        xt = ex.leaf(x.id)
        v = xt
        for i in range(n - 2):
            op = OPS[i % 4]
            if op == "tanh":
                v = engine.tanh(v)
            elif op == "sigmoid":
                v = engine.sigmoid(v)
            elif op == "add":
                v = engine.add(v, xt)
            else:
                v = engine.mul(v, xt)
        engine.sum(v).backward()

    best = {run_document: float("inf"), run_engine: float("inf")}
    gc.disable()
    try:
        for _ in range(30):
            for fn in best:
                t0 = time.perf_counter()
                fn()
                best[fn] = min(best[fn], time.perf_counter() - t0)
    finally:
        gc.enable()
    d, e = best[run_document], best[run_engine]
    print(f"{n}-node document forward+backward: executor {d * 1e3:.2f} ms; "
          f"direct engine {e * 1e3:.2f} ms; ratio {d / e:.2f}x (target <= 1.5x)")

    # incremental: edit the node next to the output, re-run forward
    ex.forward()
    t0 = time.perf_counter()
    doc.set_param(root.id, "keepdim", True) if "keepdim" in doc.nodes[root.id].params else \
        doc.rename_node(last.id, "h_last")
    ex.forward()
    dt = time.perf_counter() - t0
    print(f"edit near the output then forward: {dt * 1e3:.2f} ms, recomputed "
          f"{len(ex.last_recomputed)} of {n} nodes")
    scale(sizes)


if __name__ == "__main__":
    main()
