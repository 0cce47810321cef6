"""Fixtures for the app-shell tests: isolated settings/recovery folders, no blocking dialogs,
a main window that is closed (and checked closable) after each test."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox


@pytest.fixture(autouse=True)
def isolated_app_dirs(tmp_path, monkeypatch):
    """Recent files, theme and autosave files go to this test's folder, never the user's."""
    rec = tmp_path / "recovery"
    monkeypatch.setenv("GRADCANVAS_RECOVERY_DIR", str(rec))
    monkeypatch.setenv("GRADCANVAS_SETTINGS_DIR", str(tmp_path / "settings"))
    return rec


@pytest.fixture(autouse=True)
def restore_app_globals():
    """The app themes the shared QApplication and hooks sys.excepthook: put both back so
    later tests (other packages) find the process as they would alone."""
    import sys
    import threading
    app = QApplication.instance()
    saved = None
    if app is not None:
        saved = (app.styleSheet(), app.palette(), app.style().name())
    hooks = (sys.excepthook, threading.excepthook)
    yield
    sys.excepthook, threading.excepthook = hooks
    app = QApplication.instance()
    if saved is not None and app is not None:
        sheet, palette, style = saved
        app.setStyleSheet(sheet)
        app.setPalette(palette)
        app.setStyle(style)
    if app is None:  # a test that made no QApplication (the CLI's) themed nothing;
        return       # measuring fonts without one aborts Qt
    from widgets import theme
    theme.set_theme("dark")
    from widgets.canvas import style as canvas_style
    canvas_style.rebuild()  # the canvas style follows the app font: not the themed one now


class Dialogs:
    """Stands in for modal QMessageBox/QFileDialog calls: records them, answers as told."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []
        self.answers = {"warning": QMessageBox.StandardButton.Discard,
                        "question": QMessageBox.StandardButton.No}
        self.save_path = ""
        self.open_path = ""

    def box(self, kind):
        def show(parent, title, text, *args, **kw):
            self.calls.append((kind, text))
            return self.answers.get(kind, QMessageBox.StandardButton.Ok)
        return show

    def kinds(self) -> list[str]:
        return [k for k, _ in self.calls]


@pytest.fixture(autouse=True)
def dialogs(monkeypatch):
    d = Dialogs()
    for kind in ("warning", "question", "critical", "information", "about"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(d.box(kind)))
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (d.save_path, "")))
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (d.open_path, "")))
    return d


def flush_deletes():
    app = QApplication.instance()
    for _ in range(3):
        app.processEvents()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def make_window(qtbot):
    """Factory of shown MainWindows; every one still open is closed without a prompt after."""
    from app.main_window import MainWindow, create_application
    create_application()
    made = []

    def make(path=None, tutorial=True, **kw):
        from app.main_window import startup_window
        w = startup_window(path) if (path or tutorial) else MainWindow(**kw)
        w.show()
        qtbot.waitExposed(w)
        made.append(w)
        return w

    yield make
    import shiboken6
    for w in made:
        if shiboken6.isValid(w) and w.isVisible():
            w.undo_stack.setClean()
            w.close()
    flush_deletes()


@pytest.fixture
def window(make_window):
    return make_window()


# -- real input events (QTest.mouseMove cannot hold a button) -------------------------------
def send_mouse(view, kind, pos, button=None, buttons=None):
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    button = Qt.MouseButton.LeftButton if button is None else button
    if buttons is None:
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    glob = QPointF(view.viewport().mapToGlobal(pos.toPoint()))
    ev = QMouseEvent(kind, pos, glob,
                     Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else button,
                     buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), ev)


def drag_scene(view, start, end, steps=6):
    """Press at scene point `start`, move with the left button held, release at `end`."""
    from PySide6.QtCore import QPointF, Qt
    a, b = QPointF(view.mapFromScene(start)), QPointF(view.mapFromScene(end))
    send_mouse(view, QEvent.Type.MouseButtonPress, a)
    for i in range(1, steps + 1):
        send_mouse(view, QEvent.Type.MouseMove, a + (b - a) * (i / steps),
                   buttons=Qt.MouseButton.LeftButton)
    send_mouse(view, QEvent.Type.MouseButtonRelease, b)


def click_scene(view, pos):
    from PySide6.QtCore import QPointF
    p = QPointF(view.mapFromScene(pos))
    send_mouse(view, QEvent.Type.MouseButtonPress, p)
    send_mouse(view, QEvent.Type.MouseButtonRelease, p)


def drop_on(widget, pos, mime):
    """A drag entering, moving over and dropping on `widget` at `pos` (widget coordinates)."""
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, QDragEnterEvent(pos.toPoint(), *args))
    move = QDragMoveEvent(pos.toPoint(), *args)
    QApplication.sendEvent(widget, move)
    drop = QDropEvent(QPointF(pos), *args)
    QApplication.sendEvent(widget, drop)
    return drop.isAccepted()
