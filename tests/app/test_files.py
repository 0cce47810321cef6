"""Bad files and saving as careful editors do: real FIFOs, symlinks, devices, read-only files;
the palette and the keyboard after New/Open/Save As."""
from __future__ import annotations

import contextlib
import os
import signal
import stat

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from app import files
from engine.document import fileformat

pytestmark = pytest.mark.gui


@contextlib.contextmanager
def no_longer_than(seconds: int):
    """Fail (instead of hanging the suite) when the body blocks, e.g. on a FIFO's open()."""
    def expired(*_):
        raise TimeoutError(f"blocked for {seconds} s")
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _tutorial_file(tmp_path, name="graph.json"):
    path = tmp_path / name
    fileformat.save(fileformat.load(files.TUTORIAL), path)
    return path


def test_opening_a_fifo_without_a_writer_is_refused_at_once(window, dialogs, tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    before = set(window.document().nodes)
    with no_longer_than(10):
        assert window.files.open(str(fifo)) is False
    assert set(window.document().nodes) == before  # nothing lost
    kind, text = dialogs.calls[-1]
    assert kind == "critical" and "named pipe (FIFO)" in text and "not a graph file" in text
    with no_longer_than(10):  # a folder and a device too
        assert window.files.load(str(tmp_path)) is False
        assert window.files.load("/dev/zero") is False
    assert "a folder" in dialogs.calls[-2][1] and "character device" in dialogs.calls[-1][1]


def test_save_onto_a_symlink_writes_through_to_its_target(window, dialogs, tmp_path):
    target = _tutorial_file(tmp_path, "real.json")
    os.chmod(target, 0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target.name)
    assert window.files.load(str(link))
    window.document().rename_node(window.document().node_by_name("z").id, "z2")
    assert window.files.save()
    assert link.is_symlink() and os.readlink(link) == "real.json"  # still a link
    assert fileformat.load(target).node_by_name("z2") is not None  # the target was written
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert window.current_path() == str(link)


@pytest.mark.parametrize("special", ["fifo", "chardev"])
def test_save_never_replaces_a_special_file(window, dialogs, tmp_path, special):
    path = tmp_path / "special"
    if special == "fifo":
        os.mkfifo(path)
    else:
        try:  # a /dev/null twin in our own folder (root may make device nodes)
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except (PermissionError, OSError):
            pytest.skip("cannot create a device node here")
    dialogs.save_path = str(path)  # Save As names it, without a suffix
    with no_longer_than(10):
        assert window.files.save_as() is False
    mode = os.lstat(path).st_mode
    assert (stat.S_ISFIFO(mode) if special == "fifo" else stat.S_ISCHR(mode))
    assert not (tmp_path / "special.json").exists()  # no ".json" added to what exists
    assert dialogs.calls[-1][0] == "critical" and "refusing to replace it" in dialogs.calls[-1][1]


def test_save_as_appends_json_only_without_a_suffix(window, dialogs, tmp_path):
    dialogs.save_path = str(tmp_path / "mine")
    assert window.files.save_as()
    assert (tmp_path / "mine.json").is_file() and not (tmp_path / "mine").exists()
    dialogs.save_path = str(tmp_path / "mine.graph")
    assert window.files.save_as()
    assert (tmp_path / "mine.graph").is_file()


def test_saving_over_a_read_only_file_asks_first(window, dialogs, tmp_path):
    path = _tutorial_file(tmp_path)
    assert window.files.load(str(path))
    os.chmod(path, 0o444)  # root ignores it when writing: the mode bits are what count
    original = path.read_bytes()
    window.document().rename_node(window.document().node_by_name("z").id, "z2")
    dialogs.answers["question"] = QMessageBox.StandardButton.No
    assert window.files.save() is False
    assert path.read_bytes() == original and dialogs.kinds()[-1] == "question"
    assert "read-only" in dialogs.calls[-1][1]
    dialogs.answers["question"] = QMessageBox.StandardButton.Yes
    assert window.files.save()
    assert fileformat.load(path).node_by_name("z2") is not None
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444  # still read-only


def test_headless_save_refuses_read_only_and_special_files(tmp_path):
    path = _tutorial_file(tmp_path)
    os.chmod(path, 0o444)
    doc = fileformat.load(path)
    with pytest.raises(files.ReadOnlyFileError, match="read-only"):
        files.save_document(doc, path)
    with pytest.raises(files.FileRefusedError, match="character device"):
        files.save_document(doc, "/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_new_document_clears_the_palette_filter(window, dialogs):
    QTest.keyClicks(window.palette.search, "tanh")
    assert "matmul" not in window.palette.visible_op_keys()
    window.undo_stack.setClean()
    assert window.files.new()
    assert window.palette.search.text() == ""
    assert "matmul" in window.palette.visible_op_keys()
    QTest.keyClicks(window.palette.search, "relu")
    assert window.files.load(str(files.TUTORIAL))
    assert window.palette.search.text() == ""


def test_keyboard_shortcuts_work_right_after_a_file_dialog(qtbot, window, dialogs, tmp_path):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    window.palette.search.setFocus()  # the dialog took focus away from the canvas
    dialogs.save_path = str(tmp_path / "g.json")
    assert window.files.save_as()
    qtbot.waitUntil(window.view.hasFocus, timeout=2000)
    z = window.document().node_by_name("z").id
    window.scene.select_nodes([z])
    QTest.keySequence(QApplication.focusWidget(), QKeySequence(Qt.Key.Key_Delete))
    assert z not in window.document().nodes  # Delete reached the canvas
    window.palette.search.setFocus()
    dialogs.open_path = ""  # a cancelled Open gives the focus back too
    window.undo_stack.setClean()
    assert window.files.open() is False
    assert window.view.hasFocus()


def test_safe_io_is_qt_free_for_headless_callers():
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    code = ("import sys, engine.document.safe_io; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'PyQt5', 'PyQt6', 'shiboken6')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(root)}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
