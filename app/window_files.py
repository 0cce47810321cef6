"""The main window's file glue: the File menu's slots, the recent and examples menus, and
files dropped on the window (app/files.py does the reading and writing)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from .files import example_title, examples, recent_files


class FileActionsMixin:
    """Part of MainWindow: File actions and file drops."""

    def file_new(self):
        self.files.new()

    def file_open(self):
        self.files.open()

    def file_save(self):
        self.files.save()

    def file_save_as(self):
        self.files.save_as()

    def new_window(self, path=None):
        w = type(self)()
        if path is not None:
            w.files.load(path)
        w.show()
        return w

    def quit_app(self):
        from .main_window import _windows
        for w in list(_windows):
            if not w.close():
                return
        QApplication.quit()

    # ------------------------------------------------------------------ menus
    def populate_recent_menu(self):
        m = self.recent_menu
        m.clear()
        files = recent_files()
        for i, f in enumerate(files):
            act = m.addAction(f"&{i + 1} {Path(f).name}" if i < 9 else Path(f).name)
            act.setToolTip(f)
            act.setStatusTip(f)
            act.triggered.connect(lambda _=False, p=f: self.files.open(p))
        if not files:
            m.addAction("(none)").setEnabled(False)
        m.addSeparator()
        from .files import clear_recent
        m.addAction("Clear Menu", clear_recent).setEnabled(bool(files))

    def populate_examples_menu(self):
        m = self.examples_menu
        m.clear()
        for p in examples():
            act = m.addAction(example_title(p))
            act.setStatusTip(str(p))
            act.triggered.connect(lambda _=False, path=p: self.files.open(path))

    # ------------------------------------------------------------------ drag & drop of files
    def dragEnterEvent(self, event):  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event):  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event):  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.files.open_dropped(paths))
        else:
            super().dropEvent(event)
