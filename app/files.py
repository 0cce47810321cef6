"""Files: New, Open, Save, Save As, recent files, examples, dropped files, the close prompt.

Settings (recent files, theme) live in QSettings; ``$GRADCANVAS_SETTINGS_DIR`` puts them in an
INI file there instead (tests, portable installs).
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine.document.errors import DocumentError
from engine.document.safe_io import (  # noqa: F401 (re-exported for the app and tests)
    FileRefusedError,
    ReadOnlyFileError,
    check_readable,
    is_read_only,
    save_document,
    save_target,
    with_suffix_if_none,
)

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
EXAMPLES = RESOURCES / "examples"
TUTORIAL = EXAMPLES / "tutorial.json"
FILE_FILTER = "GradCanvas graphs (*.json *.gradcanvas);;All files (*)"
MAX_RECENT = 10


def app_settings() -> QSettings:
    folder = os.environ.get("GRADCANVAS_SETTINGS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return QSettings(str(Path(folder) / "gradcanvas.ini"), QSettings.Format.IniFormat)
    return QSettings("GradCanvas", "GradCanvas")


# -- recent files ---------------------------------------------------------------------------
def recent_files() -> list[str]:
    value = app_settings().value("recentFiles", [])
    if isinstance(value, str):  # QSettings returns a bare string for a one-item list
        value = [value]
    return [str(v) for v in (value or []) if v]


def add_recent(path) -> None:
    path = str(Path(path).resolve())
    files = [path] + [f for f in recent_files() if f != path]
    s = app_settings()
    s.setValue("recentFiles", files[:MAX_RECENT])
    s.sync()


def remove_recent(path) -> None:
    s = app_settings()
    s.setValue("recentFiles", [f for f in recent_files() if f != str(path)])
    s.sync()


def clear_recent() -> None:
    s = app_settings()
    s.setValue("recentFiles", [])
    s.sync()


def examples() -> list[Path]:
    """The example graphs, the tutorial first."""
    found = sorted(EXAMPLES.glob("*.json"))
    return sorted(found, key=lambda p: (p.stem != "tutorial", p.stem))


def example_title(path: Path) -> str:
    return path.stem.replace("_", " ").capitalize()


def is_example(path) -> bool:
    try:
        return Path(path).resolve().parent == EXAMPLES.resolve()
    except OSError:
        return False


def is_graph_file(path) -> bool:
    return Path(path).suffix.lower() in (".json", ".gradcanvas")


# -- what may be read and written: engine.document.safe_io (Qt-free, the CLI may use it too)


# -- the controller -----------------------------------------------------------------------
class FileController:
    """File operations of one MainWindow (``window``)."""

    def __init__(self, window):
        self.w = window

    def _dir(self) -> str:
        cur = self.w.current_path()
        if cur:
            return str(Path(cur).parent)
        recent = recent_files()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def load(self, path) -> bool:
        """Load ``path`` into the window (no prompt); errors go to a message box and the log."""
        from . import background
        try:  # a large file: in the background, with progress and Cancel (issue 10)
            check_readable(path)  # a FIFO or device never reaches open(): it would block
            loaded = background.open_document(self.w, path)
        except DocumentError as e:
            self.w.log("error", f"Cannot open {path}: {e}")
            QMessageBox.critical(self.w, "Cannot open file", f"Cannot open {path}:\n\n{e}")
            self._dialog_closed()
            if not Path(path).exists():
                remove_recent(path)
            return False
        if loaded is None:  # cancelled: the window still shows the previous document
            return False
        doc, view = loaded
        if is_example(path):  # an example opens as an untitled copy: Save never overwrites it
            self.w.set_document(doc, None, name=f"{example_title(Path(path))} (example)",
                                view=view)
        else:
            self.w.set_document(doc, os.path.abspath(path), view=view)  # a link stays a link
            add_recent(path)
        self._document_shown()
        self.w.log("info", f"Opened {path}")
        return True

    def _document_shown(self) -> None:
        """A new or opened document starts with an unfiltered palette."""
        palette = getattr(self.w, "palette", None)
        if palette is not None and hasattr(palette, "reset"):
            palette.reset()

    def _dialog_closed(self) -> None:
        """Give the keyboard back to the canvas: after a file dialog, focus is nowhere in the
        window and its shortcuts (Delete, F, Tab) would be ignored until a click."""
        self.w.activateWindow()
        view = getattr(self.w, "view", None)
        if view is not None:
            view.setFocus()

    def new(self) -> bool:
        if not self.maybe_save():
            return False
        from engine.document.model import Document
        self.w.set_document(Document(), None)
        self._document_shown()
        return True

    def open(self, path=None) -> bool:
        if not self.maybe_save():
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.w, "Open graph", self._dir(), FILE_FILTER)
            self._dialog_closed()
            if not path:
                return False
        return self.load(path)

    def open_dropped(self, paths) -> bool:
        graphs = [p for p in paths if is_graph_file(p)]
        scripts = [p for p in paths if Path(p).suffix.lower() == ".py"]
        if scripts and not graphs:  # a script runs only after the import dialog's Run
            importer = getattr(self.w, "importer", None)
            if importer is not None:
                return importer.import_file(scripts[0])
        if not graphs:
            self.w.status("Not a GradCanvas graph: " + ", ".join(map(str, paths)))
            return False
        ok = self.open(graphs[0])
        for extra in graphs[1:]:  # more files: one window each
            self.w.new_window(path=extra)
        return ok

    def save(self) -> bool:
        path = self.w.current_path()
        if not path:
            return self.save_as()
        return self._write(path)

    def save_as(self) -> bool:
        suggested = self.w.current_path() or str(Path(self._dir()) / self._suggested_name())
        path, _ = QFileDialog.getSaveFileName(self.w, "Save graph as", suggested, FILE_FILTER)
        self._dialog_closed()
        if not path:
            return False
        return self._write(with_suffix_if_none(path))

    def _suggested_name(self) -> str:
        name = self.w.display_name().replace(" (example)", "").strip().lower()
        return (name.replace(" ", "_") or "untitled") + ".json"

    def _write(self, path) -> bool:
        doc, view = self.w.document(), self.w.view_state()
        try:
            try:
                save_document(doc, path, view)
            except ReadOnlyFileError:
                if not self._ask_replace_read_only(path):
                    self.w.status(f"Not saved: {path} is read-only", 3000)
                    return False
                save_document(doc, path, view, replace_read_only=True)
        except (OSError, DocumentError, ValueError) as e:
            self.w.log("error", f"Cannot save {path}: {e}")
            QMessageBox.critical(self.w, "Cannot save file", f"Cannot save {path}:\n\n{e}")
            self._dialog_closed()
            return False
        # the path the user named (a symlink stays the document's path; its target was written)
        self.w.saved_as(os.path.abspath(path))
        add_recent(path)
        self.w.log("info", f"Saved {path}")
        self.w.status(f"Saved {path}", 3000)
        return True

    def _ask_replace_read_only(self, path) -> bool:
        answer = QMessageBox.question(
            self.w, "Replace read-only file?",
            f"{path} is read-only.\nReplace it anyway? (it stays read-only)",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        self._dialog_closed()
        return answer == QMessageBox.StandardButton.Yes

    def maybe_save(self) -> bool:
        """Before the document is dropped: True to go on (saved or discarded), False to stop."""
        if not self.w.is_modified():
            return True
        answer = QMessageBox.warning(
            self.w, "Unsaved changes",
            f"“{self.w.display_name()}” has unsaved changes.\nSave them before closing it?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        self._dialog_closed()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard
