"""Writes the training examples in resources/examples/ (run from the repository root).

Each example is an ordinary document built through the model's API, with its training setup
in ``settings.training``; re-running this script rewrites them identically."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.getcwd())

from engine.document import Document, fileformat  # noqa: E402

OUT = os.path.join("resources", "examples")


def mlp(doc, x, sizes, seed, act="F.tanh", x_pos=40.0):
    """Linear layers ``sizes[0] -> ... -> sizes[-1]`` with ``act`` between them."""
    h = x
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:]), 1):
        w = doc.add_node("randn", f"w{i}", {"shape": [fan_out, fan_in], "seed": seed + i},
                         pos=(x_pos, 240.0 * i), requires_grad=True).id
        b = doc.add_node("zeros", f"b{i}", {"shape": [fan_out]}, pos=(x_pos, 240.0 * i + 120),
                         requires_grad=True).id
        lin = doc.add_node("F.linear", f"z{i}", pos=(x_pos + 260.0 * i, 40.0)).id
        doc.connect(h, lin, "input")
        doc.connect(w, lin, "weight")
        doc.connect(b, lin, "bias")
        h = lin
        if i < len(sizes) - 1:
            a = doc.add_node(act, f"h{i}", pos=(x_pos + 260.0 * i + 130, 40.0)).id
            doc.connect(lin, a, "input")
            h = a
    return h


def two_moons() -> Document:
    doc = Document()
    x = doc.add_node("zeros", "x", {"shape": [32, 2]}, pos=(40.0, 40.0)).id
    y = doc.add_node("zeros", "y", {"shape": [32, 1]}, pos=(40.0, 140.0)).id
    logits = mlp(doc, x, [2, 16, 16, 1], seed=100)
    loss = doc.add_node("F.binary_cross_entropy_with_logits", "loss", pos=(1200.0, 40.0)).id
    doc.connect(logits, loss, "input")
    doc.connect(y, loss, "target")
    doc.set_setting("root", loss)
    doc.set_setting("training", {
        "optimizer": "Adam", "lr": 0.02, "steps": 500,
        "data": {"source": "moons", "n": 200, "noise": 0.1, "seed": 0, "batch_size": 32,
                 "shuffle": True, "inputs": x, "targets": y}})
    return doc


def linear_regression() -> Document:
    doc = Document()
    x = doc.add_node("zeros", "x", {"shape": [100, 1]}, pos=(40.0, 40.0)).id
    y = doc.add_node("zeros", "y", {"shape": [100, 1]}, pos=(40.0, 160.0)).id
    w = doc.add_node("zeros", "w", {"shape": [1, 1]}, pos=(40.0, 280.0), requires_grad=True).id
    b = doc.add_node("zeros", "b", {"shape": [1]}, pos=(40.0, 400.0), requires_grad=True).id
    pred = doc.add_node("F.linear", "pred", pos=(300.0, 40.0)).id
    doc.connect(x, pred, "input")
    doc.connect(w, pred, "weight")
    doc.connect(b, pred, "bias")
    loss = doc.add_node("F.mse_loss", "loss", pos=(560.0, 40.0)).id
    doc.connect(pred, loss, "input")
    doc.connect(y, loss, "target")
    doc.set_setting("root", loss)
    doc.set_setting("training", {
        "optimizer": "SGD", "lr": 0.1, "options": {"momentum": 0.9}, "steps": 100,
        "data": {"source": "polynomial", "n": 100, "noise": 0.3, "coeffs": [0.5, 2.0],
                 "seed": 1, "inputs": x, "targets": y}})
    return doc


if __name__ == "__main__":
    from engine.document.layout import layered_layout
    for name, build in (("two_moons", two_moons), ("linear_regression", linear_regression)):
        doc = build()
        for nid, (x, y) in layered_layout(doc, dx=260.0, dy=220.0).items():
            doc.move_node(nid, (x, y))  # columns by depth: no node on top of another
        fileformat.save(doc, os.path.join(OUT, f"{name}.json"))
        print("wrote", os.path.join(OUT, f"{name}.json"))
