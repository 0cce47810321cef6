"""Files: New, Open, Save, Save As, recent files, examples, dropped files, the close prompt.

Settings (recent files, theme) live in QSettings; ``$GRADCANVAS_SETTINGS_DIR`` puts them in an
INI file there instead (tests, portable installs).
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine.document import fileformat
from engine.document.errors import DocumentError

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
            loaded = background.open_document(self.w, path)
        except DocumentError as e:
            self.w.log("error", f"Cannot open {path}: {e}")
            QMessageBox.critical(self.w, "Cannot open file", f"Cannot open {path}:\n\n{e}")
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
            self.w.set_document(doc, str(Path(path).resolve()), view=view)
            add_recent(path)
        self.w.log("info", f"Opened {path}")
        return True

    def new(self) -> bool:
        if not self.maybe_save():
            return False
        from engine.document.model import Document
        self.w.set_document(Document(), None)
        return True

    def open(self, path=None) -> bool:
        if not self.maybe_save():
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.w, "Open graph", self._dir(), FILE_FILTER)
            if not path:
                return False
        return self.load(path)

    def open_dropped(self, paths) -> bool:
        graphs = [p for p in paths if is_graph_file(p)]
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
        if not path:
            return False
        if not Path(path).suffix:
            path += ".json"
        return self._write(path)

    def _suggested_name(self) -> str:
        name = self.w.display_name().replace(" (example)", "").strip().lower()
        return (name.replace(" ", "_") or "untitled") + ".json"

    def _write(self, path) -> bool:
        try:
            fileformat.save(self.w.document(), path, view=self.w.view_state())
        except (OSError, DocumentError, ValueError) as e:
            self.w.log("error", f"Cannot save {path}: {e}")
            QMessageBox.critical(self.w, "Cannot save file", f"Cannot save {path}:\n\n{e}")
            return False
        self.w.saved_as(str(Path(path).resolve()))
        add_recent(path)
        self.w.log("info", f"Saved {path}")
        self.w.status(f"Saved {path}", 3000)
        return True

    def maybe_save(self) -> bool:
        """Before the document is dropped: True to go on (saved or discarded), False to stop."""
        if not self.w.is_modified():
            return True
        answer = QMessageBox.warning(
            self.w, "Unsaved changes",
            f"“{self.w.display_name()}” has unsaved changes.\nSave them before closing it?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard
