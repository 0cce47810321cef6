"""The progress protocol (Qt-free) and the status-bar indicator, driven by real clicks."""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMainWindow, QPushButton

from engine.document.progress import Cancelled, Ticker
from widgets.progress import ProgressIndicator

pytestmark = pytest.mark.gui


def test_ticker_reports_every_n_and_raises_when_told_to_stop():
    calls = []
    t = Ticker(lambda d, n: calls.append((d, n)) or True, total=10, every=4)
    t.start()
    for _ in range(10):
        t.tick()
    t.finish()
    assert calls == [(0, 10), (1, 10), (5, 10), (9, 10), (10, 10)]
    stop = Ticker(lambda d, n: d < 3, total=10)
    with pytest.raises(Cancelled, match="cancelled after 3 of 10"):
        for _ in range(10):
            stop.tick()
    assert stop.done == 3
    quiet = Ticker(None, total=5)  # no callback: never stops
    for _ in range(5):
        quiet.tick()
    quiet.finish()


@pytest.fixture
def win(qtbot):
    w = QMainWindow()
    qtbot.addWidget(w)
    other = QPushButton("edit", w)
    w.setCentralWidget(other)
    ind = ProgressIndicator(w, interval_ms=0)
    w.statusBar().addPermanentWidget(ind)
    w.resize(600, 300)
    w.show()
    qtbot.waitExposed(w)
    return w, ind, other


def long_work(progress, n=2000):
    t = Ticker(progress, total=n, every=10)
    t.start()
    for _ in range(n):
        t.tick()
    t.finish()
    return t


def test_indicator_shows_the_work_and_hides_after(win):
    _, ind, _ = win
    assert not ind.isVisible()
    seen = []
    with ind.task("Opening big.json", total=2000) as progress:
        seen.append((ind.isVisible(), ind.label.text(), ind.bar.maximum()))
        t = long_work(progress)
        seen.append(ind.bar.value())
    assert seen == [(True, "Opening big.json", 2000), 2000]
    assert not ind.isVisible() and not ind.was_cancelled and t.calls >= 200
    # unknown total: a busy bar
    progress = ind.start("Laying out")
    progress(5, 0)
    assert ind.bar.maximum() == 0
    ind.finish()


def test_cancel_click_stops_the_work(qtbot, win):
    _, ind, _ = win
    done = []

    def click():
        QTest.mouseClick(ind.cancel_button, Qt.MouseButton.LeftButton)
    ind.started.connect(lambda _t: QTimer.singleShot(0, click))
    with qtbot.waitSignal(ind.canceled, timeout=5000):
        with ind.task("Forward", total=10**6) as progress:
            t = Ticker(progress, total=10**6, every=100)
            for _ in range(10**6):
                t.tick()
            done.append("finished")  # never reached: Cancelled ends the block
    assert done == [] and ind.was_cancelled and t.done < 10**6
    assert not ind.isVisible()


def test_input_to_other_widgets_waits_while_work_runs(qtbot, win):
    """The window stays alive (events are pumped) but cannot be edited under the work."""
    _, ind, other = win
    clicks = []
    other.clicked.connect(lambda: clicks.append(1))
    ind.started.connect(lambda _t: QTimer.singleShot(
        0, lambda: QTest.mouseClick(other, Qt.MouseButton.LeftButton)))
    with ind.task("Backward", total=3000) as progress:
        long_work(progress, 3000)
    assert clicks == []
    QTest.mouseClick(other, Qt.MouseButton.LeftButton)  # after: input flows again
    assert clicks == [1]


def test_not_cancellable_hides_the_button(win):
    _, ind, _ = win
    with ind.task("Saving", total=10, cancellable=False) as progress:
        assert not ind.cancel_button.isVisible()
        assert progress(3, 10) is True
    assert not ind.was_cancelled


def test_show_after_keeps_short_work_silent(win):
    _, ind, _ = win
    with ind.task("Forward", total=100, show_after_ms=60_000) as progress:
        long_work(progress, 100)
        assert not ind.isVisible()  # short work: no flicker in the status bar
    with ind.task("Forward", total=100, show_after_ms=1) as progress:
        time.sleep(0.01)
        progress(50, 100)
        assert ind.isVisible()  # work past the delay shows itself
    assert not ind.isVisible()
