"""Undo commands of the autograd controls (issue 5): document changes only.

Backward, zero_grad and step-through change runtime state (``.grad``), not the document, so
they are not commands -- as re-running a script does not edit it. Everything that edits the
graph or its settings is here: each ``_redo``/``_undo`` is calls on the document model.
"""
from __future__ import annotations

import copy

from engine.document.model import DocumentError

from . import commands as C


def setting(doc, name: str, value, text: str | None = None) -> C.SetSetting:
    """``settings.<name> = value`` as one undo step with a readable text."""
    cmd = C.SetSetting(doc, name, value)
    if text is None:
        text = {"retain_graph": f"retain_graph={bool(value)}",
                "grad_enabled": "torch.enable_grad()" if value else "torch.no_grad()",
                "seed": f"backward seed = {value!r}"}.get(name, f"Set {name}")
    cmd.setText(text)
    return cmd


def set_root(doc, node_id: str | None) -> C.SetSetting:
    name = doc.nodes[node_id].name if node_id in doc.nodes else None
    return setting(doc, "root", node_id,
                   f"Set {name} as backward root" if name else "Clear backward root")


class SetFlags(C.DocCommand):
    """One flag on several nodes, one undo step (freeze the selected leaves, ...)."""

    def __init__(self, doc, node_ids, flag: str, value: bool, text: str):
        super().__init__(doc, text)
        self.flag, self.new = flag, bool(value)
        self.old = {nid: bool(getattr(doc.nodes[nid], flag)) for nid in node_ids}

    def _redo(self):
        done = []
        try:
            for nid in self.old:
                self.doc.set_flag(nid, self.flag, self.new)
                done.append(nid)
        except DocumentError:
            for nid in reversed(done):
                self.doc.set_flag(nid, self.flag, self.old[nid])
            raise

    def _undo(self):
        for nid, old in self.old.items():
            self.doc.set_flag(nid, self.flag, old)


def freeze(doc, node_ids, frozen: bool) -> SetFlags:
    """Freeze leaves (the model's ``frozen`` flag: ``w.requires_grad_(False)`` on a parameter,
    as in fine-tuning) and the outputs of op nodes (``frozen_output``: acts as
    ``.detach()``); unfreeze undoes either."""
    leaves = [n for n in node_ids if doc.nodes[n].spec.is_source]
    ops = [n for n in node_ids if not doc.nodes[n].spec.is_source]
    names = ", ".join(doc.nodes[n].name for n in node_ids)
    word = "Freeze" if frozen else "Unfreeze"
    parts = []
    if leaves:
        parts.append(SetFlags(doc, leaves, "frozen", frozen, ""))
    if ops:
        parts.append(SetFlags(doc, ops, "frozen_output", frozen, ""))
    cmd = parts[0] if len(parts) == 1 else C.Macro(doc, "", parts)
    cmd.setText(f"{word} {names}")
    return cmd


def retain_grad(doc, node_ids, on: bool) -> SetFlags:
    names = ", ".join(doc.nodes[n].name for n in node_ids)
    return SetFlags(doc, node_ids, "retain_grad", on,
                    f"{names}.retain_grad()" if on else f"retain_grad off on {names}")


def no_grad_frame(doc, node_ids) -> C.AddRegion:
    """``with torch.no_grad():`` around the selected nodes (the frame fits its members)."""
    cmd = C.AddRegion(doc, "no_grad", set(node_ids))
    cmd.setText("Create no_grad frame around " + ", ".join(doc.nodes[n].name for n in node_ids))
    return cmd


class SetRegionMembers(C.DocCommand):
    """Nodes dragged into / out of a no_grad frame (or a resize that took them in)."""

    def __init__(self, doc, region_id: str, old, new):
        super().__init__(doc, "Change no_grad frame members")
        self.region_id, self.old, self.new = region_id, set(old), set(new)
        gone = {n for n in self.new if n not in doc.nodes}
        self.new -= gone
        added = sorted(doc.nodes[n].name for n in self.new - self.old)
        removed = sorted(doc.nodes[n].name for n in self.old - self.new if n in doc.nodes)
        if added and not removed:
            self.setText(f"Move {', '.join(added)} into no_grad frame")
        elif removed and not added:
            self.setText(f"Move {', '.join(removed)} out of no_grad frame")

    def _redo(self):
        self.doc.set_region_members(self.region_id, set(self.new))

    def _undo(self):
        self.doc.set_region_members(self.region_id, set(self.old))


class SetRegionRect(C.DocCommand):
    def __init__(self, doc, region_id: str, old, new):
        super().__init__(doc, "Resize no_grad frame")
        self.region_id = region_id
        self.old = None if old is None else tuple(old)
        self.new = None if new is None else tuple(new)

    def _redo(self):
        self.doc.set_region_rect(self.region_id, self.new)

    def _undo(self):
        self.doc.set_region_rect(self.region_id, self.old)


def move_regrouped(doc, moves: dict, changes) -> C.Macro:
    """Nodes dragged into or out of frames: the membership changes and the move, built when
    the gesture ends, as one undo step."""
    members = [SetRegionMembers(doc, rid, old, new) for rid, old, new in changes
               if rid in doc.regions and set(old) != set(new)]
    text = members[0].text() if len(members) == 1 else "Move nodes between no_grad frames"
    return C.Macro(doc, text, [*members, C.MoveNodes(doc, moves)])


def resize_frame(doc, region_id: str, old, new) -> C.Macro:
    """A frame's corner dragged: its new rect and the nodes now inside, one undo step.
    ``old`` and ``new`` are (rect, members)."""
    (old_rect, old_members), (new_rect, new_members) = old, new
    parts = [SetRegionRect(doc, region_id, old_rect, new_rect)]
    if set(old_members) != set(new_members):
        parts.append(SetRegionMembers(doc, region_id, old_members, new_members))
    return C.Macro(doc, "Resize no_grad frame", parts)


def remove_frame(doc, region_id: str) -> C.RemoveRegion:
    cmd = C.RemoveRegion(doc, region_id)
    cmd.setText("Remove no_grad frame")
    return cmd


class InsertDetach(C.DocCommand):
    """``z_det = z.detach()``: a detach node fed by ``z`` that takes over z's consumers, so
    downstream reads the detached tensor (no gradient flows back into z) while z itself keeps
    its grad_fn -- exactly the tutorial's two lines. Without consumers it just adds z_det."""

    def __init__(self, doc, node_id: str, pos=None):
        node = doc.nodes[node_id]
        super().__init__(doc, f"Detach {node.name}")
        self.src = node_id
        self.name = C.unique_name(doc, f"{node.name}_det")
        outs = doc.outputs_of(node_id)
        if pos is None:
            x, y = node.pos
            if outs:  # halfway to the first consumer, a little below the wire
                cx, cy = doc.nodes[outs[0].dst].pos
                pos = ((x + cx) / 2, max(y, cy) + 110)
            else:
                pos = (x + 230, y)
        self.pos = (float(pos[0]), float(pos[1]))
        self.node_id: str | None = None
        self.moved: list = []
        self.before: list = []

    def _redo(self):
        doc = self.doc
        outs = list(doc.outputs_of(self.src))
        self.before = list(doc.wires)
        node = doc.add_node("detach", name=self.name, pos=self.pos, node_id=self.node_id)
        self.node_id = node.id
        done = []
        try:
            doc.connect(self.src, self.node_id, "input")
            for w in outs:
                doc.disconnect(w)
                done.append(w)
                doc.connect(self.node_id, w.dst, w.port, w.index)
        except DocumentError:
            doc.remove_node(self.node_id)
            for w in done:
                doc.connect(w.src, w.dst, w.port, w.index)
            raise
        self.moved = outs

    def _undo(self):
        doc = self.doc
        doc.remove_node(self.node_id)  # and every wire touching it
        # re-wire in the original list order (files and equality see the order): the tail
        # from the first moved wire on is disconnected and connected again in order
        if self.moved:
            k = min(self.before.index(w) for w in self.moved)
            tail = self.before[k:]
            for w in tail:
                if w in doc.wires:
                    doc.disconnect(w)
            for w in tail:
                doc.connect(w.src, w.dst, w.port, w.index)


def seed_value(text: str):
    """The seed setting typed in the dialog: ``ones`` / ``implicit`` / a literal list."""
    import ast
    t = text.strip()
    if t in ("ones", "ones_like", "torch.ones_like(root)", ""):
        return "ones"
    if t in ("None", "implicit", "none"):
        return None
    value = ast.literal_eval(t)
    return copy.deepcopy(list(value) if isinstance(value, tuple) else value)
