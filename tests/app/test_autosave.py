"""Autosave and crash recovery, including a real crash: a running app killed with SIGKILL."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QMessageBox

from app import autosave
from engine.document import fileformat

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]


def test_delay_defaults_to_2_s_and_env_overrides(monkeypatch):
    monkeypatch.delenv("GRADCANVAS_AUTOSAVE_MS", raising=False)
    assert autosave.interval_ms() == 2_000
    monkeypatch.setenv("GRADCANVAS_AUTOSAVE_MS", "250")
    assert autosave.interval_ms() == 250


def test_recovery_dir_env_override(isolated_app_dirs):
    assert autosave.recovery_dir() == isolated_app_dirs
    assert isolated_app_dirs.is_dir()


def test_window_autosaves_only_when_changed_and_cleans_up(qtbot, make_window, monkeypatch,
                                                          dialogs, tmp_path):
    monkeypatch.setenv("GRADCANVAS_AUTOSAVE_MS", "60")
    w = make_window()
    saver = w.autosaver
    assert saver.timer.interval() == 60
    qtbot.wait(150)
    assert saver.saves == 0 and not saver.json_path.exists()  # nothing changed yet
    nid = w.add_node("exp", QPointF(10, 10))
    qtbot.waitUntil(saver.json_path.exists, timeout=2000)
    saved = fileformat.load(saver.json_path)
    assert nid in saved.nodes and saved == w.document()
    n = saver.saves
    qtbot.wait(200)
    assert saver.saves == n  # no change, no rewrite
    # our own live session is never offered for recovery
    assert autosave.find_orphans() == []
    # saving the file: nothing left to recover
    dialogs.save_path = str(tmp_path / "g.json")
    w.acts["save"].trigger()
    assert not saver.json_path.exists()
    # a clean close removes the lock as well
    w.close()
    assert list(autosave.recovery_dir().iterdir()) == []


def test_saves_a_delay_after_the_last_edit_and_at_most_max_wait_after_the_first(
        make_window, monkeypatch):
    """The schedule, on a fake clock: each edit restarts the 2 s delay, but continuous editing
    cannot push the save past 5 s after the first unsaved edit."""
    monkeypatch.delenv("GRADCANVAS_AUTOSAVE_MS", raising=False)
    now = [1000.0]
    monkeypatch.setattr(autosave.time, "monotonic", lambda: now[0])
    w = make_window()
    saver = w.autosaver
    assert (saver.delay, saver.max_wait) == (2000, 5000)
    assert not saver.timer.isActive()  # nothing changed: nothing scheduled
    starts = []
    for _ in range(12):  # an edit every 0.5 s for 6 s
        w.add_node("exp")
        starts.append(saver.timer.interval())
        assert saver.timer.isActive()
        now[0] += 0.5
    # 2 s after each edit until the 5 s cap after the first one comes closer
    assert starts[:7] == [2000] * 7
    assert starts[7:10] == [1500, 1000, 500] and starts[10] == 0
    saver._due()  # the timer fires
    assert saver.saves == 1 and fileformat.load(saver.json_path) == w.document()
    w.add_node("exp")  # a new unsaved edit starts a new 2 s delay
    assert saver.timer.interval() == 2000
    saver.last_save_seconds = 0.5  # a big document: 0.5 s per save
    now[0] += 4.0
    w.add_node("exp")
    assert saver.timer.interval() == 2000  # 20 x 0.5 s = 10 s cap, 4 s used


def test_a_failing_autosave_is_reported_once_and_retried(qtbot, make_window, tmp_path):
    w = make_window()
    saver = w.autosaver
    good = saver.json_path
    saver.json_path = tmp_path / "gone" / "session.json"  # its folder does not exist
    w.add_node("exp")
    assert saver.save_now() is False and saver.save_now() is False
    warnings = [t for lvl, t in w.log_widget.entries if lvl == "warning"]
    assert len(warnings) == 1 and "Autosave failed" in warnings[0]
    saver.json_path = good
    assert saver.save_now() is True and good.exists()  # still dirty: the retry writes it


def test_orphan_of_a_dead_session_is_offered_and_recovered(qtbot, dialogs, make_window):
    """A session whose lock is free (its owner is gone) is an orphan."""
    from app.main_window import MainWindow, create_application, offer_recovery
    create_application()
    w = MainWindow()
    w.add_node("sigmoid", QPointF(0, 0))
    w.autosaver.save_now()
    js = w.autosaver.json_path
    w.autosaver.timer.stop()
    w.autosaver.lock.unlock()  # as if the process had died: the lock is free
    w.autosaver.json_path = js.with_name("elsewhere.json")  # keep the orphan on close
    w.undo_stack.setClean()
    w.close()
    assert js.exists()
    orphans = autosave.find_orphans()
    assert [o.json_path for o in orphans] == [js] and orphans[0].title == "Untitled"
    dialogs.answers["question"] = QMessageBox.StandardButton.Yes
    windows = offer_recovery()
    assert len(windows) == 1 and dialogs.kinds() == ["question"]
    rw = windows[0]
    try:
        assert [n.op for n in rw.document().nodes.values()] == ["sigmoid"]
        assert rw.isWindowModified() and "(recovered)" in rw.windowTitle()
        assert not js.exists() and autosave.find_orphans() == []
    finally:
        rw.undo_stack.setClean()
        rw.close()


def test_stale_locks_of_sessions_that_saved_nothing_are_cleaned():
    from PySide6.QtCore import QLockFile
    folder = autosave.recovery_dir()
    mine = QLockFile(str(folder / "session-1-live.lock"))  # held by this (live) process
    assert mine.tryLock(0)
    try:
        # a lock left by a dead process: the same content with a pid that does not run
        text = (folder / "session-1-live.lock").read_text()
        dead = folder / "session-999999-dead.lock"
        dead.write_text("999999\n" + text.split("\n", 1)[1])
        assert autosave.find_orphans() == []
        assert not dead.exists()
        assert (folder / "session-1-live.lock").exists()
    finally:
        mine.unlock()


def test_declining_recovery_discards_the_orphans(dialogs):
    from app.main_window import create_application, offer_recovery
    create_application()
    folder = autosave.recovery_dir()
    (folder / "session-1-dead.json").write_text("{}")
    dialogs.answers["question"] = QMessageBox.StandardButton.No
    assert offer_recovery() == []
    assert list(folder.iterdir()) == []


def test_an_unreadable_recovery_file_is_skipped(dialogs, capsys):
    from app.main_window import create_application, offer_recovery
    create_application()
    (autosave.recovery_dir() / "session-2-dead.json").write_text("not json")
    dialogs.answers["question"] = QMessageBox.StandardButton.Yes
    assert offer_recovery() == []
    assert "cannot recover" in capsys.readouterr().err


# -- the real thing: edit in a running app, SIGKILL it, start again, recover ---------------
CHILD = r"""
import sys, time
from PySide6.QtCore import QTimer
from app.main_window import create_application, run_gui, _windows

app = create_application()
count = [0]

def edit():
    w = next(iter(_windows))
    i = count[0]
    count[0] += 1
    w.palette.opActivated.emit("exp")            # what a double-click in the palette does
    nid = w.inspector.node_id                    # the new node is selected in the inspector
    w.inspector.renamed.emit(nid, f"e{i}")       # what typing a name in the inspector does
    assert w.document().nodes[nid].name == f"e{i}"
    print(f"EDIT {i} {time.time():.3f}", flush=True)

timer = QTimer()
timer.timeout.connect(edit)
timer.start(100)
print("STARTED", flush=True)
sys.exit(run_gui([]))
"""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_then_recover_loses_at_most_5_s_at_the_default_delay(qtbot, dialogs,
                                                                    isolated_app_dirs):
    """The default settings, continuous editing (10 edits/s for ~7 s, so the 2 s delay after
    the last edit never comes): the 5 s cap still writes the recovery file."""
    max_wait = autosave.DEFAULT_INTERVAL_MS * autosave.MAX_WAIT_FACTOR / 1000
    env = {k: v for k, v in os.environ.items() if k != "GRADCANVAS_AUTOSAVE_MS"}
    env.update(QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    edits: list[tuple[int, float]] = []

    def reader():
        for line in proc.stdout:
            if line.startswith("EDIT"):
                _, i, t = line.split()
                edits.append((int(i), float(t)))

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    try:
        deadline = time.time() + 60
        while (not edits or time.time() < edits[0][1] + max_wait + 2) \
                and time.time() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert edits and time.time() >= edits[0][1] + max_wait + 2, \
            proc.stderr.read() if proc.poll() is not None else "slow"
        files = list(isolated_app_dirs.glob("session-*.json"))
        assert files, "the running app has written no recovery file"
        t_kill = time.time()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    th.join(5)
    assert proc.returncode == -signal.SIGKILL
    assert list(isolated_app_dirs.glob("session-*.lock"))  # it really died holding its lock

    # start again: the recovery offer, accepted
    from app.main_window import create_application, offer_recovery
    create_application()
    dialogs.answers["question"] = QMessageBox.StandardButton.Yes
    windows = offer_recovery()
    assert len(windows) == 1 and dialogs.kinds() == ["question"]
    w = windows[0]
    try:
        names = {n.name for n in w.document().nodes.values()}
        assert {"x", "y", "w", "b", "xw", "z", "loss"} <= names  # the tutorial it started from
        # every edit made longer than the longest wait (plus scheduling slack) before the kill
        must_have = [i for i, t in edits if t < t_kill - max_wait - 0.5]
        assert must_have, edits
        missing = [i for i in must_have if f"e{i}" not in names]
        assert not missing, (missing, edits, t_kill)
        lost = [t for i, t in edits if f"e{i}" not in names]
        print(f"SIGKILL after {len(edits)} edits: {len(lost)} lost, "
              f"{t_kill - min(lost, default=t_kill):.1f} s of work")
        assert w.isWindowModified()
        assert w.display_name() == "Tutorial (example) (recovered)"
    finally:
        w.undo_stack.setClean()
        w.close()
    # recovered once: the next start offers nothing
    assert autosave.find_orphans() == []
