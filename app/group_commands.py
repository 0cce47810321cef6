"""Module groups in the editor: undo commands (collapse, freeze, group, ungroup, rename) and
the window glue (Edit > Group / Ungroup, the group items' intents).

A group is a ``Region(kind="module")`` of the document: an imported ``nn.Module`` call, or
nodes grouped by hand (Ctrl+G). Collapsing changes only how it is drawn (a saved flag);
freezing sets the model's ``frozen`` flag on the group's parameter leaves -- what
``module.requires_grad_(False)`` does in fine-tuning -- in one undo step.
"""
from __future__ import annotations

import copy

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu

from .commands import DocCommand, Macro, SetFlag


def parameters(doc, region_id) -> list[str]:
    """The group's parameter leaves (requires_grad leaves), in document order."""
    members = doc.regions[region_id].members
    return [nid for nid in doc.nodes if nid in members and doc.nodes[nid].requires_grad
            and not doc.inputs_of(nid)]


class SetCollapsed(DocCommand):
    def __init__(self, doc, region_id, collapsed: bool):
        super().__init__(doc, f"{'Collapse' if collapsed else 'Expand'} "
                              f"{doc.regions[region_id].title.split(' · ')[0]}")
        self.region_id, self.new = region_id, bool(collapsed)
        self.old = bool(doc.regions[region_id].collapsed)

    def _redo(self):
        self.doc.set_region_collapsed(self.region_id, self.new)

    def _undo(self):
        self.doc.set_region_collapsed(self.region_id, self.old)


def freeze_module(doc, region_id, frozen: bool) -> Macro:
    """Freeze (or unfreeze) every parameter of a group: one undo step."""
    name = doc.regions[region_id].title.split(" · ")[0]
    cmds = [SetFlag(doc, nid, "frozen", frozen) for nid in parameters(doc, region_id)
            if doc.nodes[nid].frozen != bool(frozen)]
    return Macro(doc, f"{name}.requires_grad_({not frozen})", cmds)


class AddGroup(DocCommand):
    def __init__(self, doc, title, members):
        super().__init__(doc, f"Group {title}")
        self.title, self.members = title, set(members)
        self.region_id = None

    def _redo(self):
        self.region_id = self.doc.add_region(self.title, set(self.members), kind="module",
                                             region_id=self.region_id).id

    def _undo(self):
        self.doc.remove_region(self.region_id)


class RemoveGroup(DocCommand):
    def __init__(self, doc, region_id):
        super().__init__(doc, f"Ungroup {doc.regions[region_id].title.split(' · ')[0]}")
        self.region = copy.deepcopy(doc.regions[region_id])
        self._at = list(doc.regions).index(region_id)

    def _redo(self):
        self.doc.remove_region(self.region.id)

    def _undo(self):
        r = self.region
        self.doc.add_region(r.title, set(r.members), rect=r.rect, region_id=r.id, at=self._at,
                            kind=r.kind, collapsed=r.collapsed)


class SetGroupTitle(DocCommand):
    def __init__(self, doc, region_id, title):
        super().__init__(doc, f"Rename group {title}")
        self.region_id, self.new = region_id, title
        self.old = doc.regions[region_id].title

    def _redo(self):
        self.doc.set_region_title(self.region_id, self.new)

    def _undo(self):
        self.doc.set_region_title(self.region_id, self.old)


def innermost_group(doc, node_ids) -> str | None:
    """The smallest module group holding every one of ``node_ids``."""
    ids = set(node_ids)
    best = None
    for rid, r in doc.regions.items():
        if r.kind == "module" and ids and ids <= r.members:
            if best is None or len(r.members) <= len(doc.regions[best].members):
                best = rid
    return best


class GroupActions:
    """Edit > Group (Ctrl+G), Ungroup (Ctrl+Shift+G), Rename Group; the canvas's group
    intents (collapse, lock) become commands."""

    def __init__(self, window):
        self.w = window
        self.group_action = self._action("&Group", "action_group", "Ctrl+G",
                                         "Group the selected nodes (a named box)", self.group)
        self.ungroup_action = self._action("&Ungroup", "action_ungroup", "Ctrl+U",
                                           "Remove the innermost group around the selection",
                                           self.ungroup)
        self.rename_action = self._action("Re&name Group…", "action_rename_group", None,
                                          "Rename the innermost group around the selection",
                                          self.rename)
        menu = next((m for m in window.menuBar().findChildren(QMenu)
                     if m.objectName() == "menu_edit"), None)
        if menu is not None:
            menu.addSeparator()
            menu.addActions([self.group_action, self.ungroup_action, self.rename_action])
        sig = window.scene.groups.signals
        sig.collapseRequested.connect(self.set_collapsed)
        sig.freezeRequested.connect(self.set_frozen)

    def _action(self, text, name, key, tip, slot) -> QAction:
        a = QAction(text, self.w)
        a.setObjectName(name)
        if key:
            a.setShortcut(key)
        a.setStatusTip(tip)
        a.triggered.connect(lambda _=False: slot())
        self.w.addAction(a)
        return a

    def set_collapsed(self, region_id, collapsed) -> bool:
        doc = self.w.document()
        if region_id not in doc.regions:
            return False
        return self.w.push(SetCollapsed(doc, region_id, bool(collapsed)))

    def set_frozen(self, region_id, frozen) -> bool:
        doc = self.w.document()
        if region_id not in doc.regions or not parameters(doc, region_id):
            return False
        ok = self.w.push(freeze_module(doc, region_id, bool(frozen)))
        if ok:
            name = doc.regions[region_id].title.split(" · ")[0]
            self.w.status(f"{name}.requires_grad_({not frozen})", 4000)
        return ok

    def group(self, title: str | None = None) -> str | None:
        ids = self.w.selected_node_ids()
        if not ids:
            self.w.status("Select the nodes to group first", 3000)
            return None
        if title is None:
            title, ok = QInputDialog.getText(self.w, "Group", "Name of the group:",
                                             QLineEdit.EchoMode.Normal, "group")
            self.w.files._dialog_closed()  # the canvas keeps the keyboard
            if not ok:
                return None
        title = title.strip() or "group"
        cmd = AddGroup(self.w.document(), title, ids)
        return cmd.region_id if self.w.push(cmd) else None

    def ungroup(self) -> bool:
        rid = innermost_group(self.w.document(), self.w.selected_node_ids())
        if rid is None:
            self.w.status("The selection is in no group", 3000)
            return False
        return self.w.push(RemoveGroup(self.w.document(), rid))

    def rename(self, title: str | None = None) -> bool:
        doc = self.w.document()
        rid = innermost_group(doc, self.w.selected_node_ids())
        if rid is None:
            self.w.status("The selection is in no group", 3000)
            return False
        if title is None:
            title, ok = QInputDialog.getText(self.w, "Rename group", "Name of the group:",
                                             QLineEdit.EchoMode.Normal, doc.regions[rid].title)
            self.w.files._dialog_closed()
            if not ok:
                return False
        return self.w.push(SetGroupTitle(doc, rid, title.strip() or "group"))


def install(window) -> GroupActions:
    return GroupActions(window)
