"""ForwardAnomalies (issue 10): the same anomalies as forward_anomalies after every edit,
re-checking only the nodes the forward recomputed."""
from __future__ import annotations

from engine.document.anomaly import ForwardAnomalies, forward_anomalies
from engine.document.execution import Executor
from engine.document.model import Document


def test_incremental_anomalies_match_the_full_scan():
    d = Document()
    d.add_node("randn", "x", {"shape": (4,), "seed": 0}, node_id="x")
    d.add_node("log", "y", None, node_id="y")          # NaN where x < 0
    d.add_node("tanh", "z", None, node_id="z")         # inherits it
    d.add_node("randn", "k", {"shape": (4,), "seed": 5}, node_id="k")
    d.add_node("tanh", "m", None, node_id="m")
    for i in range(40):                                 # a clean branch nobody edits
        d.add_node("tanh", f"c{i}", None, node_id=f"c{i}")
        d.connect("k" if i == 0 else f"c{i - 1}", f"c{i}", "input")
    d.connect("x", "y", "input")
    d.connect("y", "z", "input")
    d.connect("k", "m", "input")
    ex = Executor(d)
    track = ForwardAnomalies()
    got = track.update(d, ex.forward())
    assert got == forward_anomalies(d, ex.results)
    assert [a.node_id for a in got] == ["y"]
    for seed in range(1, 12):
        before = track.checked
        d.set_param("x", "seed", seed)
        got = track.update(d, ex.forward(), ex.last_recomputed)
        assert got == forward_anomalies(d, ex.results)
        assert track.checked - before == 3  # x, y, z: not the 42 other nodes
    d.remove_node("y")
    assert track.update(d, ex.forward(), ex.last_recomputed) == forward_anomalies(d, ex.results)
