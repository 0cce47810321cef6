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

    # ------------------------------------------------------------------ pictures out
    def export_image(self, path, *, target: str = "canvas", selection: bool = False,
                     scale: float = 2.0, fmt: str | None = None) -> bool:
        """The canvas (or the backward graph) as PNG/SVG (app/image_export.py); a refusal
        (nothing to draw, a bad name, a picture too large) goes to the status bar and log."""
        from . import image_export
        if target == "backward":
            ctl = getattr(self, "autograd", None)
            if ctl is None:
                self.on_refused("Export Image: there is no backward graph panel")
                return False
            ctl.graph.update_now_even_hidden()
            scene, items = ctl.backward_view.scene(), None
        else:
            scene = self.scene
            items = image_export.selection_items(scene) if selection else None
        try:
            size = image_export.render(scene, path, fmt=fmt, scale=scale, items=items,
                                       title=self.display_name())
        except image_export.ImageExportError as e:
            self.on_refused(f"Export Image: {e}")
            return False
        self.status(f"Exported {path} ({size.width()}x{size.height()})", 4000)
        what = "the backward graph" if target == "backward" else "the canvas"
        self.log("info", f"Exported {what} to {path} ({size.width()}x{size.height()})")
        return True

    def export_image_dialog(self):
        """File > Export Image...: choose what and how, then where."""
        from PySide6.QtWidgets import QDialog, QFileDialog

        from .export_image_dialog import ExportImageDialog
        dlg = ExportImageDialog(self, has_selection=bool(self.scene.selected_node_ids()),
                                has_backward=getattr(self, "autograd", None) is not None)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return False
        c = dlg.choice()
        dlg.deleteLater()
        stem = self.display_name().rsplit(".", 1)[0]
        suffix = "_backward" if c["target"] == "backward" else ""
        filt = "PNG image (*.png)" if c["fmt"] == "png" else "SVG image (*.svg)"
        path, _ = QFileDialog.getSaveFileName(self, "Export Image", f"{stem}{suffix}.{c['fmt']}",
                                              filt)
        if not path:
            return False
        if "." not in path.rsplit("/", 1)[-1]:
            path += f".{c['fmt']}"
        return self.export_image(path, target=c["target"], selection=c["selection"],
                                 scale=c["scale"], fmt=c["fmt"])

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
