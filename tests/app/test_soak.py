"""Issue 9's long session, short: a seeded random user drives the real window for 300 actions
(benchmarks/bench_soak.py: palette, Tab search, wires dragged, clicks, typing in the inspector,
undo/redo, backward, zero grads, grad mode, themes, New, Open...). Counts, not times: no
exception, widgets and the inspector's objects bounded, undo back to the start."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

pytestmark = pytest.mark.gui
BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_soak.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_soak", BENCH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_soak"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def bench(dialogs):
    """The benchmark's module; the app tests' `dialogs` answers the message boxes (Discard,
    No) and the open dialog gets the example the session picked."""
    mod = load_bench()
    mod._answers.install = lambda: None  # the fixture's patches answer instead
    return mod


@pytest.fixture
def soak_window(bench, dialogs, qtbot, monkeypatch):
    from PySide6.QtWidgets import QFileDialog
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (bench._answers.open_path, "")))
    w = bench.make_window((1440, 900))
    qtbot.waitExposed(w)
    yield w
    bench.close_window(w)


@pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")  # torch warns the same
def test_a_300_action_session_keeps_its_counts_flat(bench, soak_window):
    session = bench.Session(soak_window, seed=9)
    samples = {}
    report = session.run(300, every=100, on_sample=lambda s: samples.setdefault(s.actions, s))
    # every exception is a failure: raised by an action or sent to sys.excepthook by Qt
    assert report.exceptions == [], report.exceptions[0][2]
    # the session did what a user does, not a few idle clicks
    for name in ("add_from_palette", "wire", "select", "edit_param", "undo", "backward"):
        assert report.counts.get(name, 0) >= 3, (name, report.counts)
    assert sum(report.counts.values()) == 300
    s100, s300 = samples[100], samples[300]
    # bounded: what is alive after 300 actions is what was alive after 100 (give or take
    # the widgets of what happens to be shown: a literal's table, a frame, a long param list)
    assert s300.inspector_children <= s100.inspector_children + 60, (s100, s300)
    assert s300.widgets <= s100.widgets + 80, (s100, s300)
    assert s300.qobjects <= s100.qobjects + 120, (s100, s300)
    # the undo stack is whole: undoing every step gives back the document it started from
    assert session.undo_all_restores_base()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


def test_the_same_seed_makes_the_same_session(bench, soak_window):
    """Reproducible: a finding is re-run with its seed."""
    a = bench.Session(soak_window, seed=3)
    b = bench.Session(soak_window, seed=3)
    names = [a.rng.choices(a.actions, weights=a._weights)[0][1] for _ in range(50)]
    again = [b.rng.choices(b.actions, weights=b._weights)[0][1] for _ in range(50)]
    assert names == again and len(set(names)) > 10


def test_the_slope_and_the_table(bench, capsys):
    assert bench.slope([0, 1, 2, 3], [1.0, 3.0, 5.0, 7.0]) == pytest.approx(2.0)
    report = bench.Report(samples=[bench.Sample(i * 100, 100.0 + i, 1, 1, 1, 0, 0, 0.01)
                                   for i in range(10)])
    assert report.rss_slope(500) == pytest.approx(10.0)  # 1 MB per 100 actions
    bench.print_table(report)
    assert capsys.readouterr().out.count("\n") == 11
