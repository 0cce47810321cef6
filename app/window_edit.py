"""The main window's Edit and View glue: clipboard slots (copy, cut, paste, duplicate), zoom
and fit, auto layout, the add-node popup and the canvas context menu. Each slot turns a menu or
canvas intent into one command pushed through MainWindow.push."""
from __future__ import annotations

import weakref

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QMenu

from . import clipboard
from . import commands as C

BUILD_PROGRESS_NODES = 2000  # canvases this large are built (and laid out) with a progress bar


class EditActionsMixin:
    """Part of MainWindow: Edit and View actions, the add-node popup, the context menu."""

    def delete_selection(self):
        self.scene.request_delete()

    def select_all(self):
        self.scene.select_nodes(list(self._doc.nodes))

    def copy(self) -> bool:
        ids = self.scene.selected_node_ids()
        if not ids:
            self.status("Nothing selected to copy", 2000)
            return False
        clipboard.put(clipboard.fragment(self._doc, ids))
        self._paste_count = 0
        self.status(f"Copied {len(ids)} node(s)", 2000)
        return True

    def cut(self):
        ids = self.scene.selected_node_ids()
        if ids and self.copy():
            cmd = C.RemoveNodes(self._doc, ids)
            cmd.setText("Cut")
            self.push(cmd)

    def paste(self) -> list[str]:
        frag = clipboard.get()
        if not frag or not frag["nodes"]:
            self.status("Nothing to paste", 2000)
            return []
        self._paste_count += 1
        d = clipboard.PASTE_OFFSET * self._paste_count
        return self._paste(frag, (d, d), "Paste")

    def duplicate(self) -> list[str]:
        ids = self.scene.selected_node_ids()
        if not ids:
            return []
        off = clipboard.PASTE_OFFSET
        return self._paste(clipboard.fragment(self._doc, ids), (off, off), "Duplicate")

    def _paste(self, frag, offset, text) -> list[str]:
        cmd = C.Paste(self._doc, frag, offset, text)
        if not self.push(cmd):
            return []
        self.scene.select_nodes(cmd.new_ids)
        return cmd.new_ids

    def fit(self):
        self.view.fit()

    def zoom_in(self):
        self.view.zoom_step(1.25)

    def zoom_out(self):
        self.view.zoom_step(0.8)

    def auto_layout(self):
        n = len(self._doc.nodes)
        if n >= BUILD_PROGRESS_NODES and not self.progress.is_running():
            # a large graph: laid out in the background with progress; Cancel moves nothing
            from . import background
            ok, positions = background.run(self, f"Laying out {n:,} nodes…",
                                           self._doc.layered_layout)
            if not ok:
                self.status("Auto layout cancelled", 3000)
                return
        else:
            positions = self._doc.layered_layout()
        moves = {nid: (self._doc.nodes[nid].pos, tuple(p)) for nid, p in positions.items()
                 if nid in self._doc.nodes and tuple(self._doc.nodes[nid].pos) != tuple(p)}
        if moves:
            self.push(C.MoveNodes(self._doc, moves, "Auto layout"))
        self.fit()

    def show_add_popup(self, scene_pos: QPointF | None = None, connect_from: str | None = None):
        if scene_pos is None:
            scene_pos = self.view.cursor_scene_pos()
        self._pending_popup = (QPointF(scene_pos), connect_from)
        screen = self.view.viewport().mapToGlobal(self.view.mapFromScene(scene_pos))
        filt = None
        if connect_from is not None:
            def filt(spec):  # ops that can take the dropped wire: any op with an input
                return bool(getattr(spec, "inputs", ()))
        self.popup.popup(screen, filt)

    def _popup_chosen(self, op_key: str):
        pos, src = self._pending_popup or (self.view.cursor_scene_pos(), None)
        self._pending_popup = None
        if src is not None and src not in self._doc.nodes:
            src = None
        self.add_node(op_key, pos, connect_from=src)

    def on_wire_dropped(self, src_node_id: str, scene_pos: QPointF):
        self.show_add_popup(scene_pos, connect_from=src_node_id)

    def on_context_menu(self, node_id: str, screen_pos) -> None:
        menu = QMenu(self)
        a = self.acts
        node = self._doc.nodes.get(node_id) if node_id else None
        if node is not None:
            menu.addAction(a["copy"])
            menu.addAction(a["cut"])
            menu.addAction(a["duplicate"])
            menu.addAction(a["delete"])
            if self.context_menu_hooks:
                menu.addSeparator()
            for hook in self.context_menu_hooks:
                hook(menu, node_id)
        else:
            menu.addAction(a["add_node"])
            menu.addAction(a["paste"])
            menu.addSeparator()
            menu.addAction(a["fit"])
            menu.addAction(a["layout"])
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._context_menu = weakref.ref(menu)
        menu.popup(screen_pos)
