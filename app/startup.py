"""Start-up: the application object and its theme, the first window (a file or the tutorial),
crash recovery, the GUI's event loop."""
from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from engine.document.errors import DocumentError
from widgets import theme

from . import actions as _actions
from . import autosave, errors
from .files import TUTORIAL, app_settings

STYLES = Path(__file__).resolve().parent.parent / "resources" / "styles"
_windows: set = set()  # open windows (Python owns them; WA_DeleteOnClose frees the C++ side)


def _stylesheet(name: str) -> str:
    """resources/styles/<name>.qss with its @tokens replaced by widgets/theme.py colors."""
    colors = theme.THEMES[name]
    text = (STYLES / f"{name}.qss").read_text("utf-8")

    def color(m):
        value = colors.get(m.group(1))
        if value is None:
            return m.group(0)
        c = theme.hex_color(value)
        return f"rgba({c.red()}, {c.green()}, {c.blue()}, {c.alpha()})" if len(value) == 9 \
            else value
    return re.sub(r"@([a-z_]+)", color, text)


def apply_theme(name: str) -> None:
    """Theme the whole application: palette, stylesheet, canvas colors, icons."""
    app = QApplication.instance()
    theme.set_theme(name)
    app.setPalette(theme.qpalette(name))
    app.setStyleSheet(_stylesheet(name))
    for w in list(_windows):
        w._theme_changed()


def create_application(argv=None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        # crisp on fractional high-DPI scales: no rounding of the device pixel ratio
        QApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(list(argv or ["gradcanvas"]))
    app.setApplicationName("GradCanvas")
    app.setOrganizationName("GradCanvas")
    app.setApplicationDisplayName("GradCanvas")
    app.setStyle("Fusion")
    app.setWindowIcon(_actions.app_icon())
    errors.install()
    name = str(app_settings().value("theme", "dark"))
    apply_theme(name if name in theme.THEMES else "dark")
    return app


def _window_class():
    from .main_window import MainWindow  # here, not at import: main_window re-exports us
    return MainWindow


def offer_recovery(parent=None) -> list:
    """After a crash: offer the orphaned recovery files; a window for each one recovered."""
    orphans = autosave.find_orphans()
    if not orphans:
        return []
    when = time.strftime("%H:%M:%S", time.localtime(orphans[0].saved_at))
    names = ", ".join(o.title for o in orphans[:5])
    answer = QMessageBox.question(
        parent, "Recover unsaved work?",
        f"GradCanvas did not close properly. Unsaved work was autosaved "
        f"({names}; last at {when}).\n\nRecover it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.Yes)
    windows = []
    for o in orphans:
        if answer == QMessageBox.StandardButton.Yes:
            try:
                doc = o.load()
            except DocumentError as e:
                print(f"gradcanvas: cannot recover {o.json_path}: {e}", file=sys.stderr)
                continue
            w = _window_class()()
            path = o.source_path if o.source_path and os.path.exists(o.source_path) else None
            w.set_document(doc, path, name=None if path else f"{o.title} (recovered)",
                           modified=True)
            w.log("info", f"Recovered unsaved work from {time.ctime(o.saved_at)}")
            if w.autosaver is not None:  # our own session holds it now: safe to drop the old
                w.autosaver.save_now()
            windows.append(w)
        o.discard()
    return windows


def startup_window(path: str | None = None) -> object:
    """The first window: the file given, else the tutorial example."""
    w = _window_class()()
    target = path or (str(TUTORIAL) if TUTORIAL.exists() else None)
    if target is not None:
        from .background import BACKGROUND_BYTES
        try:
            large = os.path.getsize(target) >= BACKGROUND_BYTES
        except OSError:
            large = False
        if large:  # the window first: the file then opens with its progress bar
            w.show()
        w.files.load(target)
    return w


def run_gui(argv=None) -> int:
    """``gradcanvas [FILE]``: the main window with FILE or the tutorial example."""
    argv = list(argv or [])
    app = create_application(["gradcanvas"])
    windows = offer_recovery()
    if not windows or argv:
        windows.append(startup_window(argv[0] if argv else None))
    for w in windows:
        w.show()
    _quit_on_sigint(app)
    return app.exec()


def _quit_on_sigint(app) -> None:
    """Ctrl+C in the terminal closes the windows (with the unsaved-changes prompt) instead of
    being ignored while Qt's loop runs: a short timer lets Python run its signal handler."""
    import signal
    try:
        signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, app.closeAllWindows))
    except ValueError:  # not the main thread
        return
    beat = QTimer(app)
    beat.timeout.connect(lambda: None)
    beat.start(250)


__all__ = ["apply_theme", "create_application", "offer_recovery", "startup_window", "run_gui"]
