"""Undo commands: every document change the editor makes is one of these.

Each ``redo()`` / ``undo()`` is just calls on the Qt-free document model (as in Orange's
``AddNodeCommand.redo`` = ``scheme.add_node(node)``); the model emits events and the views follow.

The first execution happens in :func:`execute` *before* the command reaches the QUndoStack, so a
model refusal (``DocumentError``: a cycle, an occupied port, a bad parameter) raises there, the
partial work is rolled back, and the stack never holds a command that failed.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence

from PySide6.QtGui import QUndoCommand, QUndoStack

from engine.document.model import Document, DocumentError, Wire

# ids for QUndoCommand.mergeWith (-1 = never merge)
SET_PARAM_ID = 1001
RENAME_ID = 1002


class DocCommand(QUndoCommand):
    """Base: a command on one document. Subclasses implement ``_redo`` and ``_undo``."""

    def __init__(self, doc: Document, text: str):
        super().__init__(text)
        self.doc = doc
        self._skip_redo = False

    def redo(self):
        if self._skip_redo:
            self._skip_redo = False
        else:
            self._redo()

    def undo(self):
        self._undo()

    def first_redo(self):
        """Run once before the push; the stack's own redo() call on push is then skipped."""
        self._redo()
        self._skip_redo = True

    def _redo(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _undo(self):  # pragma: no cover - abstract
        raise NotImplementedError


def execute(stack: QUndoStack, cmd: DocCommand) -> DocCommand:
    """Run ``cmd`` once (raising DocumentError with nothing changed on refusal), then push it."""
    cmd.first_redo()
    stack.push(cmd)
    return cmd


def _snapshot(node):
    return copy.deepcopy(node)


def _restore_node(doc: Document, node) -> None:
    """Re-create a removed node with the same id, name, parameters and flags."""
    doc.add_node(node.op, name=node.name, params=copy.deepcopy(node.params), pos=node.pos,
                 requires_grad=node.requires_grad, node_id=node.id,
                 retain_grad=node.retain_grad, frozen_output=node.frozen_output,
                 frozen=node.frozen)


def _wire_key(w: Wire):
    return (w.dst, w.port, w.index)


class AddNode(DocCommand):
    def __init__(self, doc, op, name=None, params=None, pos=(0.0, 0.0), requires_grad=False):
        super().__init__(doc, f"Add {op}")
        self.op, self.name, self.params = op, name, params
        self.pos, self.requires_grad = tuple(pos), requires_grad
        self.node_id: str | None = None

    def _redo(self):
        if self.node_id is None:
            node = self.doc.add_node(self.op, name=self.name, params=self.params, pos=self.pos,
                                     requires_grad=self.requires_grad)
            # remember what the model chose so redo re-creates the very same node
            self.node_id, self.name = node.id, node.name
            self.params = copy.deepcopy(node.params)
            self.requires_grad = node.requires_grad
        else:
            self.doc.add_node(self.op, name=self.name, params=copy.deepcopy(self.params),
                              pos=self.pos, requires_grad=self.requires_grad,
                              node_id=self.node_id)

    def _undo(self):
        self.doc.remove_node(self.node_id)


class RemoveNodes(DocCommand):
    """Delete nodes (with every wire touching them) and/or single wires."""

    def __init__(self, doc, node_ids: Iterable[str] = (), wires: Iterable[Wire] = ()):
        ids = [n for n in dict.fromkeys(node_ids) if n in doc.nodes]
        super().__init__(doc, "Delete" if len(ids) != 1 else f"Delete {doc.nodes[ids[0]].name}")
        self.node_ids = ids
        self.extra_wires = [w for w in dict.fromkeys(wires)
                            if w.src not in ids and w.dst not in ids]
        self._removed: list = []       # model.Removed records, in removal order
        self._wires: list = []         # (wire, its position) of the single wires disconnected

    def _redo(self):
        doc = self.doc
        self._wires = [(w, doc.disconnect(w)) for w in self.extra_wires if w in doc.wires]
        self._removed = [doc.remove_node(n) for n in self.node_ids]

    def _undo(self):
        doc = self.doc
        # the reverse of _redo, each item back at its old position: an identical document
        for r in reversed(self._removed):
            doc.restore_node(r)
        for w, at in reversed(self._wires):
            doc.connect(w.src, w.dst, w.port, w.index, at=at)


class Connect(DocCommand):
    """Connect src -> dst.port[index]; a wire already on that input is replaced (the model
    decides what may connect: Document.check_connect, and which wire is there: occupant)."""

    def __init__(self, doc, src, dst, port, index=0):
        super().__init__(doc, "Connect")
        self.src, self.dst, self.port, self.index = src, dst, port, index
        self.wire: Wire | None = None
        self.replaced: Wire | None = None
        self._replaced_at: int | None = None
        try:
            self.setText(f"Connect {doc.nodes[src].name} → {doc.nodes[dst].name}.{port}")
        except KeyError:
            pass

    def _redo(self):
        doc = self.doc
        err = doc.check_connect(self.src, self.dst, self.port, self.index)
        if err is not None:
            raise err  # nothing changed
        self.replaced = doc.occupant(self.dst, self.port, self.index)
        if self.replaced is not None:
            self._replaced_at = doc.disconnect(self.replaced)
            self.setText(f"Replace {doc.nodes[self.replaced.src].name} → "
                         f"{doc.nodes[self.dst].name}.{self.port}")
        self.wire = doc.connect(self.src, self.dst, self.port, self.index)

    def _undo(self):
        self.doc.disconnect(self.wire)
        w = self.replaced
        if w is not None:  # back at its old position: an identical document
            self.doc.connect(w.src, w.dst, w.port, w.index, at=self._replaced_at)


class Disconnect(DocCommand):
    def __init__(self, doc, wire: Wire):
        super().__init__(doc, "Disconnect")
        self.wire = wire

    def _redo(self):
        self._at = self.doc.disconnect(self.wire)

    def _undo(self):
        w = self.wire
        self.wire = self.doc.connect(w.src, w.dst, w.port, w.index, at=self._at)


class Reconnect(DocCommand):
    """A wire lifted by its input end and dropped on another input: one gesture, one step.
    The wire leaves its old input and arrives at the new one (replacing what was there)."""

    def __init__(self, doc, wire: Wire, dst, port, index=0):
        super().__init__(doc, "Reconnect")
        self.disconnect = Disconnect(doc, wire)
        self.connect = Connect(doc, wire.src, dst, port, index)

    def _redo(self):
        self.disconnect._redo()
        try:
            self.connect._redo()
        except DocumentError:
            self.disconnect._undo()  # refused: the wire stays where it was
            raise

    def _undo(self):
        self.connect._undo()
        self.disconnect._undo()


class MoveNodes(DocCommand):
    """One undo step per drag (and for auto-layout): ``moves`` maps id -> (old_pos, new_pos)."""

    def __init__(self, doc, moves: dict, text="Move"):
        super().__init__(doc, text)
        self.moves = {nid: (tuple(a), tuple(b)) for nid, (a, b) in moves.items()}

    def _redo(self):
        for nid, (_old, new) in self.moves.items():
            self.doc.move_node(nid, new)

    def _undo(self):
        for nid, (old, _new) in self.moves.items():
            self.doc.move_node(nid, old)


class SetParam(DocCommand):
    """Consecutive edits of one field of one node merge into one undo step."""

    def __init__(self, doc, node_id, name, value):
        node = doc.nodes[node_id]
        super().__init__(doc, f"Set {node.name}.{name}")
        self.node_id, self.name = node_id, name
        self.old = copy.deepcopy(node.params.get(name))
        self.new = copy.deepcopy(value)

    def _redo(self):
        self.doc.set_param(self.node_id, self.name, copy.deepcopy(self.new))

    def _undo(self):
        self.doc.set_param(self.node_id, self.name, copy.deepcopy(self.old))

    def id(self):
        return SET_PARAM_ID

    def mergeWith(self, other):  # noqa: N802 (Qt override)
        if not (isinstance(other, SetParam) and other.doc is self.doc
                and other.node_id == self.node_id and other.name == self.name):
            return False
        self.new = other.new
        if _equal(self.new, self.old):
            self.setObsolete(True)  # back where it started: the step disappears
        return True


def _equal(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:  # arrays and the like: compare their text
        return repr(a) == repr(b)


class Rename(DocCommand):
    def __init__(self, doc, node_id, new_name):
        super().__init__(doc, f"Rename {doc.nodes[node_id].name} → {new_name}")
        self.node_id, self.new = node_id, new_name
        self.old = doc.nodes[node_id].name

    def _redo(self):
        self.doc.rename_node(self.node_id, self.new)

    def _undo(self):
        self.doc.rename_node(self.node_id, self.old)


class SetFlag(DocCommand):
    def __init__(self, doc, node_id, flag, value):
        super().__init__(doc, f"{flag} = {bool(value)} on {doc.nodes[node_id].name}")
        self.node_id, self.flag, self.new = node_id, flag, bool(value)
        self.old = bool(getattr(doc.nodes[node_id], flag))

    def _redo(self):
        self.doc.set_flag(self.node_id, self.flag, self.new)

    def _undo(self):
        self.doc.set_flag(self.node_id, self.flag, self.old)


class SetSetting(DocCommand):
    def __init__(self, doc, name, value):
        super().__init__(doc, f"Set {name}")
        self.name, self.new = name, copy.deepcopy(value)
        self.old = copy.deepcopy(getattr(doc.settings, name))

    def _redo(self):
        self.doc.set_setting(self.name, copy.deepcopy(self.new))

    def _undo(self):
        self.doc.set_setting(self.name, copy.deepcopy(self.old))


class AddRegion(DocCommand):
    def __init__(self, doc, title, members, rect=None):
        super().__init__(doc, f"Add {title} frame")
        self.title, self.members, self.rect = title, set(members), rect
        self.region_id = None

    def _redo(self):
        region = self.doc.add_region(self.title, set(self.members), rect=self.rect,
                                     region_id=self.region_id)
        self.region_id = region.id

    def _undo(self):
        self.doc.remove_region(self.region_id)


class RemoveRegion(DocCommand):
    def __init__(self, doc, region_id):
        super().__init__(doc, "Remove frame")
        self.region_id = region_id
        self.region = copy.deepcopy(doc.regions[region_id])

    def _redo(self):
        self._at = list(self.doc.regions).index(self.region_id)
        self.doc.remove_region(self.region_id)

    def _undo(self):
        r = self.region
        self.doc.add_region(r.title, set(r.members), rect=r.rect, region_id=r.id, at=self._at)


class Paste(DocCommand):
    """Add a fragment (nodes + the wires between them) from the clipboard format.

    New ids are always fresh; names are kept when free, else get a numeric suffix.
    """

    def __init__(self, doc, fragment: dict, offset=(0.0, 0.0), text="Paste"):
        super().__init__(doc, text)
        self.fragment = copy.deepcopy(fragment)
        self.offset = tuple(offset)
        self.added: list = []          # snapshots of the nodes created (for redo)
        self.wires: list[Wire] = []
        self.id_map: dict[str, str] = {}

    @property
    def new_ids(self) -> list[str]:
        return [n.id for n in self.added]

    def _redo(self):
        doc = self.doc
        if self.added:  # redo: re-create exactly what the first run created
            for node in self.added:
                _restore_node(doc, node)
            for w in self.wires:  # in the first run's order: the same document
                doc.connect(w.src, w.dst, w.port, w.index)
            return
        done: list[str] = []
        try:
            for item in self.fragment.get("nodes", []):
                x, y = item.get("pos", (0.0, 0.0))
                node = doc.add_node(item["op"], name=unique_name(doc, item.get("name")),
                                    params=copy.deepcopy(item.get("params") or {}),
                                    pos=(x + self.offset[0], y + self.offset[1]),
                                    requires_grad=bool(item.get("requires_grad", False)))
                done.append(node.id)
                self.id_map[item["id"]] = node.id
                for flag in ("retain_grad", "frozen_output", "frozen"):
                    if item.get(flag):
                        doc.set_flag(node.id, flag, True)
            for w in sorted(self.fragment.get("wires", []),
                            key=lambda w: (w["dst"], w["port"], w.get("index", 0))):
                if w["src"] in self.id_map and w["dst"] in self.id_map:
                    self.wires.append(doc.connect(self.id_map[w["src"]], self.id_map[w["dst"]],
                                                  w["port"], w.get("index", 0)))
        except Exception:
            for nid in reversed(done):
                doc.remove_node(nid)
            self.wires, self.id_map = [], {}
            raise
        self.added = [_snapshot(doc.nodes[n]) for n in done]

    def _undo(self):
        for node in reversed(self.added):
            self.doc.remove_node(node.id)


class Macro(DocCommand):
    """Several commands as one undo step (e.g. add a node and wire it in)."""

    def __init__(self, doc, text, commands: Sequence[DocCommand] = ()):
        super().__init__(doc, text)
        self.commands: list[DocCommand] = list(commands)

    def _redo(self):
        done = []
        try:
            for c in self.commands:
                c._redo()
                done.append(c)
        except Exception:
            for c in reversed(done):
                c._undo()
            raise

    def _undo(self):
        for c in reversed(self.commands):
            c._undo()


class AddAndConnect(Macro):
    """A node added from a wire dropped on empty canvas, wired in: one undo step."""

    def __init__(self, doc, add: AddNode, src: str, port: str):
        super().__init__(doc, f"Add {add.op}", [add])
        self.add, self.src, self.port = add, src, port

    def _redo(self):
        if len(self.commands) == 1:  # first run: the id is known only after the add
            self.add._redo()
            try:
                conn = Connect(self.doc, self.src, self.add.node_id, self.port)
                conn._redo()
            except DocumentError:
                self.add._undo()
                raise
            self.commands.append(conn)
        else:
            super()._redo()


def unique_name(doc: Document, base: str | None) -> str | None:
    """``base`` if no node has that name yet, else ``base_1``, ``base_2``, ...; None lets the
    model choose."""
    if not base:
        return None
    taken = {n.name for n in doc.nodes.values()}
    if base not in taken:
        return base
    stem = base.rstrip("0123456789").rstrip("_") or base
    i = 1
    while f"{stem}_{i}" in taken:
        i += 1
    return f"{stem}_{i}"
