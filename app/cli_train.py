"""``gradcanvas train FILE [--steps N] [--json]``: the document's training loop, headless.

Prints ``step 1: loss = 0.693147`` per step, a blank line, then every trained parameter as
torch prints it -- the very text the script of ``gradcanvas export FILE --to torch --train``
prints. A NaN/Inf loss stops the run (exit 1) with detect_anomaly's words on stderr."""
from __future__ import annotations

import json
import os
import sys


def add_parser(sub) -> None:
    t = sub.add_parser("train", help="run the document's training setup and print the loss")
    t.add_argument("file")
    t.add_argument("--steps", type=int, metavar="N",
                   help="number of optimizer steps (default: the setup's)")
    t.add_argument("--json", action="store_true", help="JSON output (schema: docs/cli.md)")


def cmd_train(args) -> int:
    from app.cli import EXIT_GRAPH, EXIT_OK, EXIT_USAGE, CliError, load
    from engine.document.training.datasets import DatasetError
    from engine.document.training.loop import Trainer, TrainingError

    if args.steps is not None and args.steps < 0:
        raise CliError(f"--steps: expected a number >= 0, got {args.steps}", EXIT_USAGE)
    doc = load(args.file)
    try:
        tr = Trainer(doc, base_dir=os.path.dirname(os.path.abspath(args.file)))
    except (TrainingError, DatasetError) as e:
        raise CliError(f"{args.file}: {e}", EXIT_GRAPH) from None
    steps = tr.setup["steps"] if args.steps is None else args.steps
    records = []
    for _ in range(steps):
        rec = tr.step()
        if rec is None:
            break
        records.append(rec)
        if not args.json:
            print(f"step {rec.step}: loss = {rec.loss:.6f}")
    names = {nid: doc.nodes[nid].name for nid in tr.params}
    if args.json:
        json.dump({
            "setup": tr.setup,
            "steps": [{"step": r.step, "loss": r.loss, "lr": r.lr, "accuracy": r.accuracy,
                       "grad_norm": {names[k]: v for k, v in r.grad_norms.items()},
                       "value": {names[k]: v for k, v in r.values.items()}}
                      for r in records],
            "parameters": {names[nid]: t.detach().numpy().tolist()
                           for nid, t in zip(tr.params, tr.tensors)},
            "stopped": None if tr.stopped is None else {
                "message": tr.stopped.message,
                "node": None if tr.stopped.node_id is None else doc.nodes[tr.stopped.node_id].name},
        }, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print()
        for nid, t in zip(tr.params, tr.tensors):
            name = names[nid]
            print(f"{name} =", repr(t).replace("\n", "\n" + " " * (len(name) + 3)))
    tr.close()
    if tr.stopped is not None:
        if not args.json:
            print(f"gradcanvas: error: {tr.stopped.message}", file=sys.stderr)
        return EXIT_GRAPH
    return EXIT_OK
