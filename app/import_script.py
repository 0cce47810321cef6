"""File > Import PyTorch Script… and a dropped ``.py``: confirm, run in a worker thread, open.

Importing runs the script's own Python code (in a child process, with ``torch`` resolving to
the engine: engine.document.script_import), so the window says so before it runs and the
person chooses. The child is driven from a Python worker thread -- ``import_script`` blocks --
and its protocol messages reach the window through a queued signal, so the window repaints,
the log fills with the script's prints, and Cancel (polled by the runner every 0.1 s) kills
the child. A finished import opens as a new untitled document; opening a document file never
runs anything (app/files.py reads JSON only).
"""
from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
)

from engine.document.perf import worker_thread
from engine.document.script_import import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
    ScriptImportError,
    import_script,
)
from widgets.progress import ProgressIndicator

SCRIPT_FILTER = "Python scripts (*.py);;All files (*)"


def is_script(path) -> bool:
    return Path(path).suffix.lower() == ".py"


def _memory_text(mb: int) -> str:
    return f"{mb / 1024:g} GB" if mb >= 1024 else f"{mb} MB"


class ImportDialog(QDialog):
    """Says what import runs, and which backward call to record; Run or Cancel."""

    def __init__(self, script, parent=None, *, timeout=DEFAULT_TIMEOUT,
                 memory_mb=DEFAULT_MEMORY_MB):
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.setWindowTitle("Import PyTorch Script")
        name = Path(script).name
        self.message = QLabel(
            f"This runs {name}'s Python code in a child process, with torch standing in as "
            f"GradCanvas's engine (time limit {timeout:g} s, memory limit "
            f"{_memory_text(memory_mb)}).\n\nIt records the graph of one backward() call.",
            self)
        self.message.setObjectName("importMessage")
        self.message.setWordWrap(True)
        self.first = QRadioButton("&First backward call", self)
        self.nth = QRadioButton("&Nth call:", self)
        self.last = QRadioButton("&Last call", self)
        for b, key in ((self.first, "first"), (self.nth, "nth"), (self.last, "last")):
            b.setObjectName(f"importCall_{key}")
        self.first.setChecked(True)
        self.group = QButtonGroup(self)
        for b in (self.first, self.nth, self.last):
            self.group.addButton(b)
        self.n = QSpinBox(self)
        self.n.setObjectName("importCallN")
        self.n.setRange(1, 1_000_000)
        self.n.setValue(2)
        self.n.valueChanged.connect(lambda _v: self.nth.setChecked(True))
        buttons = QDialogButtonBox(self)
        self.run_button = buttons.addButton("&Run", QDialogButtonBox.ButtonRole.AcceptRole)
        self.run_button.setObjectName("importRun")
        self.run_button.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.message)
        row = QHBoxLayout()
        row.addWidget(self.nth)
        row.addWidget(self.n)
        row.addStretch(1)
        lay.addWidget(self.first)
        lay.addLayout(row)
        lay.addWidget(self.last)
        lay.addWidget(buttons)

    def call(self) -> str:
        """The --call value: "1", "N" or "last"."""
        if self.last.isChecked():
            return "last"
        if self.nth.isChecked():
            return str(self.n.value())
        return "1"


class _Bridge(QObject):
    """Carries the worker thread's messages to the GUI thread (queued connections)."""
    event = Signal(dict)
    finished = Signal(object, object)  # ImportResult | None, ScriptImportError | None


class ScriptImporter(QObject):
    """The import action of one window: dialog, worker thread, progress, opening the result.

    ``running`` is True while a child runs; ``done`` is emitted with the window that shows the
    imported document (or None after an error / Cancel)."""

    done = Signal(object)

    def __init__(self, window, *, timeout=DEFAULT_TIMEOUT, memory_mb=DEFAULT_MEMORY_MB):
        super().__init__(window)
        self.w = window
        self.timeout, self.memory_mb = timeout, memory_mb
        self.progress = ProgressIndicator(window)
        self.progress.setObjectName("importProgress")
        self.progress.canceled.connect(self.cancel)
        window.add_status_widget(self.progress)
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._script: str | None = None
        self._bridge = _Bridge(self)
        self._bridge.event.connect(self._on_event)
        self._bridge.finished.connect(self._on_finished)
        self.last_error: ScriptImportError | None = None
        self.action = QAction("&Import PyTorch Script…", window)
        self.action.setObjectName("action_import_script")
        self.action.setShortcut("Ctrl+I")
        self.action.setStatusTip("Run a PyTorch script and open the graph of its backward call")
        self.action.triggered.connect(lambda _=False: self.import_file())
        self._add_to_file_menu()
        if hasattr(window, "closing"):
            window.closing.connect(self.shutdown)

    def _add_to_file_menu(self) -> None:
        """File > Open, Open Recent, Examples, then Import PyTorch Script…"""
        self.w.addAction(self.action)
        menu = next((m for m in self.w.menuBar().findChildren(QMenu)
                     if m.objectName() == "menu_file"), None)
        if menu is None:
            return
        acts = menu.actions()
        examples = getattr(self.w, "examples_menu", None)
        anchor = examples.menuAction() if examples is not None else None
        i = acts.index(anchor) + 1 if anchor in acts else len(acts)
        if i < len(acts):
            menu.insertAction(acts[i], self.action)
        else:
            menu.addAction(self.action)

    @property
    def running(self) -> bool:
        return self._thread is not None

    # -- the steps ------------------------------------------------------------------------
    def import_file(self, path=None) -> bool:
        """Ask for a script (unless given), confirm, start. False if nothing started."""
        if self.running:
            self.w.status("An import is already running", 3000)
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.w, "Import PyTorch script",
                                                  self.w.files._dir(), SCRIPT_FILTER)
            self.w.files._dialog_closed()
            if not path:
                return False
        dlg = ImportDialog(path, self.w, timeout=self.timeout, memory_mb=self.memory_mb)
        accepted = dlg.exec() == QDialog.DialogCode.Accepted
        call = dlg.call()
        dlg.deleteLater()
        if not accepted:
            return False
        self.start(path, call)
        return True

    def start(self, path, call="1") -> None:
        """Run the import of ``path`` (no dialog) in a worker thread."""
        self._script = str(path)
        self._cancel.clear()
        self.last_error = None
        name = Path(path).name
        self.w.log("info", f"Importing {path} (backward call {call}): running the script")
        # the child runs on its own: the window stays usable (the result opens untitled, or in
        # a new window once this document has unsaved changes)
        self.progress.start(f"Importing {name}…", 0, withhold_input=False)
        self.action.setEnabled(False)
        bridge = self._bridge

        def work():
            result = error = None
            try:
                result = import_script(path, call, self.timeout, self.memory_mb,
                                       on_event=bridge.event.emit,
                                       cancelled=self._cancel.is_set)
            except ScriptImportError as e:
                error = e
            except Exception as e:  # a runner bug: still one line, never a dead window
                error = ScriptImportError(f"{type(e).__name__}: {e}", None, "crash", name)
            bridge.finished.emit(result, error)

        self._thread = worker_thread(work, "gradcanvas-import")  # no GC there: see perf
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout=None) -> None:
        """Block until the worker thread ends (tests, closing the window)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def shutdown(self) -> None:
        """The window closes: kill a running child and forget its result."""
        if self._thread is not None:
            self._bridge.finished.disconnect(self._on_finished)
            self._cancel.set()
            self._thread.join(10)
            self._thread = None
            self.progress.finish()

    # -- on the GUI thread ----------------------------------------------------------------
    def _on_event(self, msg: dict) -> None:
        kind = msg.get("event")
        if kind == "output":
            text = str(msg.get("text", "")).rstrip("\n")
            if text:
                self.w.log("warning" if msg.get("stream") == "stderr" else "info",
                           f"[script] {text}")
        elif kind == "backward":
            self.progress.label.setText(f"Importing {Path(self._script or '').name}: "
                                        f"backward call {msg.get('index')} "
                                        f"(line {msg.get('line')})")
        elif kind == "document":
            self.progress.label.setText(f"Opening {msg.get('nodes')} nodes…")

    def _on_finished(self, result, error) -> None:
        if self._thread is not None:
            self._thread.join()
        self._thread = None
        self.progress.finish()
        self.action.setEnabled(True)
        script, self._script = self._script, None
        name = Path(script or "").name
        if error is not None:
            self.last_error = error
            if error.kind == "cancelled":
                self.w.log("info", f"Import of {name} cancelled")
                self.w.status(f"Import of {name} cancelled", 4000)
            else:
                line = str(error)
                self.w.log("error", f"Cannot import {script}: {line}")
                self.w.status(f"Cannot import: {line}", 10000)
                QMessageBox.critical(self.w, "Cannot import script", line)
            self.done.emit(None)
            return
        window = self._open(result, Path(script).stem)
        window.log("info", f"Imported {script}: backward call {result.call} (line "
                           f"{result.line}), {len(result.document.nodes)} nodes, "
                           f"{len(result.groups)} module groups, {result.seconds:.1f} s")
        window.status(f"Imported {name}", 4000)
        self.done.emit(window)

    def _open(self, result, stem):
        """The imported document in this window, or in a new one if this one has unsaved
        changes (as File > Open would otherwise ask to drop them)."""
        w = self.w
        if w.is_modified():
            w = type(self.w)()
            w.show()
        # unsaved work (it took a run to make): closing the window asks to save it
        w.set_document(result.document, None, name=f"{stem} (imported)", modified=True,
                       take=True)
        w.files._document_shown()
        return w


def install(window) -> ScriptImporter:
    return ScriptImporter(window)
