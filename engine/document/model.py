"""The graph document: nodes, wires, no_grad regions and settings, Qt-free.

Every mutation validates first (raising a ``DocumentError`` subclass, leaving the document
unchanged) and then emits exactly one ``DocumentEvent`` to subscribers, so views never poll.
"""
from __future__ import annotations

import copy as _copy
import itertools
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from . import catalog, inplace, rules
from .adjacency import Adjacency
from .errors import (
    DocumentError,
    DuplicateNameError,
    InvalidDocumentError,
    UnknownNodeError,
)
from .queries import BackwardDag, DocumentQueries
from .regions import REGION_KINDS, Region, RegionsMixin
from .rules import FLAGS


@dataclass
class Node:
    id: str
    op: str
    name: str
    params: dict
    pos: tuple[float, float] = (0.0, 0.0)
    requires_grad: bool = False  # source leaves only; off on a trainable leaf = frozen
    retain_grad: bool = False
    frozen_output: bool = False  # "freeze this node's output" == .detach()
    # a parameter the user froze: made with requires_grad=True, then w.requires_grad_(False)
    # (fine-tuning). requires_grad keeps saying "a parameter"; frozen switches tracking off
    frozen: bool = False

    @property
    def tracks_grad(self) -> bool:
        """A source leaf's own requires_grad as torch sees it (frozen turns it off)."""
        return self.requires_grad and not self.frozen

    @property
    def spec(self) -> catalog.OpSpec:
        return catalog.CATALOG[self.op]


@dataclass(frozen=True)
class Wire:
    src: str
    dst: str
    port: str
    index: int = 0  # slot within a variadic port


@dataclass
class Settings:
    grad_enabled: bool = True
    root: str | None = None
    seed: object = "ones"  # "ones", None (implicit: scalar roots only) or a literal list
    retain_graph: bool = False
    training: dict | None = None  # the training setup (training/setup.py), None: none


@dataclass(frozen=True)
class DocumentEvent:
    kind: str  # node_added node_removed node_changed wire_added wire_removed region_changed
    #            settings_changed reset
    node_id: str | None = None
    wire: Wire | None = None
    region_id: str | None = None
    detail: object = None  # dict: what changed (see each mutation)

    @property
    def layout_only(self) -> bool:
        """Only where something is drawn changed (a node moved, a frame resized): no value,
        no graph, no forward (a spent graph stays spent). The one definition of it."""
        d = self.detail
        return isinstance(d, dict) and (self.kind, d.get("what")) in LAYOUT_ONLY


# (event kind, detail["what"]) pairs that change only the layout; see DocumentEvent.layout_only
LAYOUT_ONLY = frozenset({("node_changed", "pos"), ("region_changed", "rect")})


class Removed(NamedTuple):
    """What ``remove_node`` took away, enough for ``restore_node`` (undo)."""
    node: Node
    wires: list[Wire]
    region_ids: list[str]
    was_root: bool
    index: int | None = None  # the node's position in ``nodes`` (undo puts it back there)
    wire_positions: tuple = ()  # each wire's position in ``wires`` before the removal


_ID_RE = re.compile(r"^[a-z]+(\d+)$")


class Document(RegionsMixin, DocumentQueries):
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.wires: list[Wire] = []
        self._g: Adjacency | None = None  # wiring index, kept in step by mutations
        self._writers: set[str] | None = None  # in-place node ids (inplace.writers, lazy)
        self._names: dict[str, str] = {}  # name -> node id: a name check is O(1)
        self._name_hint: dict[str, int] = {}  # base -> first suffix unique_name tries
        self._seeds: dict[int, int] | None = None  # seed -> random nodes using it (lazy)
        self._seed_hint = 0
        self.regions: dict[str, Region] = {}
        self.settings = Settings()
        self._subscribers: list[Callable] = []
        self._next_id = 1  # auto ids only grow: an id is never reused in one document
        self._next_region = 1
        # +1 on every "reset" (load/clear): a view can tell, whatever order the subscribers
        # are called in, that what it shows belongs to a replaced document
        self.generation = 0

    # -- events ---------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[DocumentEvent], None]) -> Callable[[], None]:
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)
        return unsubscribe

    def _emit(self, kind: str, **kw) -> None:
        ev = DocumentEvent(kind, **kw)
        for cb in list(self._subscribers):
            try:
                cb(ev)
            except Exception:
                # The mutation has happened: a raising view must neither stop the other
                # subscribers nor reach the command that made it (which would then record no
                # undo step for a change that stands). The hook shows it in the app's log.
                sys.excepthook(*sys.exc_info())

    # -- lookups --------------------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except (KeyError, TypeError):
            raise UnknownNodeError(f"no node with id {node_id!r}") from None

    def node_by_name(self, name: str) -> Node:
        nid = self._name_index().get(name) if isinstance(name, str) else None
        if nid is None:
            raise UnknownNodeError(f"no node named {name!r}")
        return self.nodes[nid]

    def _name_index(self) -> dict[str, str]:
        if len(self._names) != len(self.nodes):  # nodes replaced wholesale (load, copy)
            self._names = {n.name: nid for nid, n in self.nodes.items()}
        return self._names

    def _new_id(self) -> str:
        while f"n{self._next_id}" in self.nodes:
            self._next_id += 1
        return f"n{self._next_id}"

    def unique_name(self, base: str) -> str:
        """``base1``, ``base2``, ...: the first free one. A hint per base remembers where
        the search stopped, so naming the N-th node of a kind costs O(1), not O(N)."""
        taken = self._name_index()
        base = base if catalog.is_valid_name(base) else "v"
        for i in itertools.count(self._name_hint.get(base, 1)):
            name = f"{base}{i}"
            if name not in taken and catalog.is_valid_name(name):
                self._name_hint[base] = i
                return name
        raise AssertionError  # pragma: no cover

    def _free_name(self, name: str) -> None:
        """``name`` is no longer used: let unique_name offer it again."""
        self._names.pop(name, None)
        hint = self._name_hint
        for cut in range(len(name) - 1, 0, -1):  # x11 frees x1 #1 and x #11
            if not name[cut].isdigit():
                break
            base, i = name[:cut], int(name[cut:])
            if base in hint and i < hint[base]:
                hint[base] = i

    def _check_name(self, name, node_id=None) -> None:
        if not catalog.is_valid_name(name):
            raise DuplicateNameError(f"{name!r} is not a valid variable name")
        owner = self._name_index().get(name)
        if owner is not None and owner != node_id:
            raise DuplicateNameError(f"the name {name!r} is already used")

    def _seed_index(self) -> dict[int, int]:
        if self._seeds is None:
            self._seeds = {}
            for n in self.nodes.values():
                seed = n.params.get("seed")
                if isinstance(seed, int):
                    self._seeds[seed] = self._seeds.get(seed, 0) + 1
        return self._seeds

    def _count_seed(self, seed, delta: int) -> None:
        if self._seeds is None or not isinstance(seed, int) or isinstance(seed, bool):
            return  # not built yet (it is counted when built) / no seed
        n = self._seeds.get(seed, 0) + delta
        if n > 0:
            self._seeds[seed] = n
        else:
            self._seeds.pop(seed, None)
            self._seed_hint = min(self._seed_hint, seed)

    def _next_seed(self) -> int:
        """The smallest seed no node uses (from a hint: O(1) amortized per add)."""
        used = self._seed_index()
        seed = self._seed_hint
        while seed in used:
            seed += 1
        self._seed_hint = seed
        return seed

    def _bump_ids(self, node_id: str) -> None:
        """Keep auto ids ahead of explicit ones so an id is never reused."""
        m = _ID_RE.match(node_id)
        if m and node_id.startswith("n"):
            self._next_id = max(self._next_id, int(m.group(1)) + 1)

    # -- node mutations -------------------------------------------------------------------
    def add_node(self, op, name=None, params=None, pos=(0.0, 0.0), requires_grad=False,
                 node_id=None, retain_grad=False, frozen_output=False, at=None,
                 frozen=False) -> Node:
        """``at``: position in ``nodes`` (default: the end), for undo."""
        spec = catalog.get(op)
        if spec.param("seed") is not None and "seed" not in (params or {}):
            # each new random node its own stream: the tutorial's b is not w's first row
            params = {**(params or {}), "seed": self._next_seed()}
        params = catalog.validate_params(spec, params)
        if name is None:
            name = self.unique_name(spec.prefix)
        self._check_name(name)
        if node_id is None:
            node_id = self._new_id()
        elif not isinstance(node_id, str) or not node_id:
            raise InvalidDocumentError(f"invalid node id {node_id!r}")
        elif node_id in self.nodes:
            raise DuplicateNameError(f"node id {node_id!r} already exists")
        for flag, value in (("requires_grad", requires_grad), ("retain_grad", retain_grad),
                            ("frozen_output", frozen_output), ("frozen", frozen)):
            rules.check_flag(spec, flag, value)
        node = Node(node_id, op, name, params, rules.pos(pos), bool(requires_grad),
                    bool(retain_grad), bool(frozen_output), bool(frozen))
        self._bump_ids(node_id)
        self._name_index()[name] = node_id
        self._count_seed(params.get("seed"), +1)
        if at is None or at >= len(self.nodes):
            self.nodes[node_id] = node
        else:  # re-insert in place, keeping the dict object (views hold it)
            items = list(self.nodes.items())
            items.insert(max(0, at), (node_id, node))
            self.nodes.clear()
            self.nodes.update(items)
        if self._g is not None:
            self._g.add_node(node_id)
        if self._writers is not None and spec.inplace:
            self._writers.add(node_id)
        self._emit("node_added", node_id=node_id)
        return node

    def remove_node(self, node_id) -> Removed:
        node = self.node(node_id)
        index = list(self.nodes).index(node_id)  # C-speed key scan; undo puts it back here
        g = self._graph()
        wires = g.wires_of(node_id)
        positions = [g.position(w, self.wires) for w in wires]
        if len(wires) > 64:  # many wires: one pass beats many list deletions
            gone = set(positions)
            self.wires[:] = [w for i, w in enumerate(self.wires) if i not in gone]
        else:
            for i in reversed(positions):
                del self.wires[i]
        for w in wires:
            g.remove_wire(w)
        changed = []  # (region, members before)
        for r in self.regions.values():
            if node_id in r.members:
                changed.append((r, set(r.members)))
                r.members.discard(node_id)
        region_ids = [r.id for r, _ in changed]
        was_root = self.settings.root == node_id
        if was_root:
            self.settings.root = None
        del self.nodes[node_id]
        self._free_name(node.name)
        self._count_seed(node.params.get("seed"), -1)
        g.remove_node(node_id)
        if self._writers is not None:
            self._writers.discard(node_id)
        self._emit("node_removed", node_id=node_id,
                   detail={"wires": wires, "region_ids": region_ids, "was_root": was_root})
        # then what the removal changed besides (the document is final at every event)
        for r, old in changed:
            self._emit("region_changed", region_id=r.id,
                       detail={"what": "members", "old": old, "new": set(r.members)})
        if was_root:
            self._emit("settings_changed", detail={"name": "root", "old": node_id, "new": None})
        return Removed(node, wires, region_ids, was_root, index, tuple(positions))

    def restore_node(self, removed: Removed) -> None:
        """Undo of ``remove_node``: the node, its wires, region memberships and root role,
        each back at its old position (so undo gives back an identical ``to_dict()``).
        Undo several removals in reverse order."""
        n = removed.node
        self.add_node(n.op, n.name, _copy.deepcopy(n.params), n.pos, n.requires_grad, n.id,
                      n.retain_grad, n.frozen_output, at=removed.index, frozen=n.frozen)
        positions = removed.wire_positions or (None,) * len(removed.wires)
        for w, at in sorted(zip(removed.wires, positions),
                            key=lambda p: -1 if p[1] is None else p[1]):
            self.connect(w.src, w.dst, w.port, w.index, at=at)
        for rid in removed.region_ids:
            if rid in self.regions:
                self.set_region_members(rid, self.regions[rid].members | {n.id})
        if removed.was_root:
            self.set_setting("root", n.id)

    def rename_node(self, node_id, new_name) -> None:
        node = self.node(node_id)
        self._check_name(new_name, node_id)
        old, node.name = node.name, new_name
        if old != new_name:
            self._free_name(old)
            self._names[new_name] = node_id
        self._emit("node_changed", node_id=node_id,
                   detail={"what": "name", "old": old, "new": new_name})

    def set_param(self, node_id, name, value) -> None:
        node = self.node(node_id)
        spec = node.spec
        value = catalog.validate_param(spec, name, value)
        params = dict(node.params)
        params[name] = value
        catalog.check_size(spec, params)
        old = node.params.get(name)
        node.params = params
        if name == "seed":
            self._count_seed(old, -1)
            self._count_seed(value, +1)
        self._emit("node_changed", node_id=node_id,
                   detail={"what": "param", "name": name, "old": old, "new": value})

    def set_flag(self, node_id, flag, value) -> None:
        node = self.node(node_id)
        rules.check_flag(node.spec, flag, value)
        old = getattr(node, flag)
        setattr(node, flag, value)
        self._emit("node_changed", node_id=node_id,
                   detail={"what": "flag", "name": flag, "old": old, "new": value})

    def move_node(self, node_id, pos) -> None:
        node = self.node(node_id)
        old, node.pos = node.pos, rules.pos(pos)
        self._emit("node_changed", node_id=node_id,
                   detail={"what": "pos", "old": old, "new": node.pos})

    # -- wires ----------------------------------------------------------------------------
    def check_connect(self, src, dst, port, index=0) -> DocumentError | None:
        """Why ``connect(src, dst, port, index)`` would be refused (the typed error it would
        raise), or None. The one connection rule (as Orange's ``Scheme.check_connect``): the
        canvas asks it while a wire is dragged. An occupied single input is not a refusal:
        dropping there replaces the wire (see ``occupant`` and ``connect(replace=True)``)."""
        if src not in self.nodes:
            return UnknownNodeError(f"no node with id {src!r}")
        if dst not in self.nodes:
            return UnknownNodeError(f"no node with id {dst!r}")
        err = rules.port_refusal(self.nodes[dst].spec, port, index)
        if err is not None:
            return err
        if src == dst:
            return rules.self_loop()
        if self._graph().has_path(dst, src):
            return rules.cycle(self.nodes[src].name, self.nodes[dst].name)
        if self.nodes[dst].spec.inplace or inplace.writers(self):
            return inplace.refusal(self, src, dst, port, index)
        return None

    def connect(self, src, dst, port, index=0, at=None, *, replace=False) -> Wire:
        """``at``: position in ``wires`` (default: the end), for undo. An occupied input
        raises ``PortOccupiedError`` unless ``replace``: then the occupant is disconnected
        first (``wire_removed``, then ``wire_added``)."""
        err = self.check_connect(src, dst, port, index)
        if err is not None:
            raise err
        old = self.occupant(dst, port, index)
        if old is not None:
            if not replace:
                raise rules.occupied(port, self.nodes[dst].name, self.nodes[old.src].name)
            self.disconnect(old)
        g = self._graph()
        wire = Wire(src, dst, port, index)
        if at is not None and at < len(self.wires):
            self.wires.insert(max(0, at), wire)
            g.insert_wire(wire, self.wires, max(0, at))
        else:
            self.wires.append(wire)
            g.add_wire(wire)
        self._emit("wire_added", wire=wire, node_id=dst)
        return wire

    def disconnect(self, wire: Wire) -> int:
        """Returns the wire's position in ``wires`` (``connect(..., at=)`` puts it back)."""
        g = self._graph()
        if wire not in g.key:
            raise UnknownNodeError(f"no such wire {wire!r}")
        at = g.position(wire, self.wires)
        del self.wires[at]
        g.remove_wire(wire)
        self._emit("wire_removed", wire=wire, node_id=wire.dst)
        return at

    # -- settings -------------------------------------------------------------------------
    def set_setting(self, name, value) -> None:
        value = rules.setting_value(name, value)
        if name == "root" and value is not None:
            self.node(value)
        if name == "training":
            from .training.setup import references
            for _, nid in references(value):
                self.node(nid)
        old = getattr(self.settings, name)
        setattr(self.settings, name, value)
        self._emit("settings_changed", detail={"name": name, "old": old, "new": value})

    # -- plain data -----------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "nodes": [{"id": n.id, "op": n.op, "name": n.name,
                       "params": {k: _plain(v) for k, v in n.params.items()},
                       "pos": [float(n.pos[0]), float(n.pos[1])],
                       "requires_grad": n.requires_grad, "retain_grad": n.retain_grad,
                       "frozen_output": n.frozen_output, **({"frozen": True} if n.frozen else {})}
                      for n in self.nodes.values()],
            "wires": [{"src": w.src, "dst": w.dst, "port": w.port, "index": w.index}
                      for w in self.wires],
            "regions": [{"id": r.id, "title": r.title, "kind": r.kind,
                         "members": sorted(r.members, key=_id_key),
                         "rect": None if r.rect is None else [float(v) for v in r.rect],
                         **({"collapsed": r.collapsed} if r.kind == "module" else {})}
                        for r in self.regions.values()],
            "settings": {"grad_enabled": self.settings.grad_enabled,
                         "root": self.settings.root, "seed": _plain(self.settings.seed),
                         "retain_graph": self.settings.retain_graph,
                         **({"training": _copy.deepcopy(self.settings.training)}
                            if self.settings.training is not None else {})},
        }

    @classmethod
    def from_dict(cls, d, *, checked: bool = False) -> Document:
        """The document ``to_dict`` data describes. The data is validated first (by
        ``fileformat.check_document``: errors carry the JSON path, ``nodes[3].params.shape``)
        unless ``checked`` says that was done; building then emits no events and wires the
        graph once, so opening costs O(N + W)."""
        if not checked:
            from .fileformat import check_document
            check_document(d)
        doc = cls()
        nodes, names = doc.nodes, doc._names
        for nd in d.get("nodes", ()):
            spec = catalog.CATALOG[nd["op"]]
            nid = nd["id"]
            nodes[nid] = Node(nid, nd["op"], nd["name"],
                              catalog.validate_params(spec, nd.get("params")),
                              rules.pos(nd.get("pos", (0.0, 0.0))),
                              *(nd.get(f, False) for f in FLAGS))
            names[nd["name"]] = nid
            doc._bump_ids(nid)
        doc.wires = [Wire(w["src"], w["dst"], w["port"], w.get("index", 0))
                     for w in d.get("wires", ())]
        for rd in d.get("regions", ()):
            doc.regions[rd["id"]] = Region(rd["id"], rd.get("title", ""), set(rd.get(
                "members", ())), rules.rect(rd.get("rect")), rd.get("kind", "no_grad"),
                rd.get("collapsed", False))
        for key, value in d.get("settings", {}).items():
            setattr(doc.settings, key, rules.setting_value(key, value))
        return doc

    def copy(self) -> Document:
        new = Document()
        new.nodes = {k: _copy.deepcopy(v) for k, v in self.nodes.items()}
        new.wires = list(self.wires)
        new.regions = {k: _copy.deepcopy(v) for k, v in self.regions.items()}
        new.settings = _copy.deepcopy(self.settings)
        new._next_id, new._next_region = self._next_id, self._next_region
        new._name_hint = dict(self._name_hint)
        return new

    def __eq__(self, other) -> bool:
        if not isinstance(other, Document):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None

    def clear(self) -> None:
        self.nodes.clear()
        self.wires.clear()
        self._g = None
        self._writers = None
        self._names, self._name_hint = {}, {}
        self._seeds, self._seed_hint = None, 0
        self.regions.clear()
        self.settings = Settings()
        self.generation += 1
        self._emit("reset")

    def load(self, other: Document, *, take: bool = False) -> None:
        """Replace the content with ``other``'s (subscribers stay); one "reset" event.
        ``take``: ``other`` was made for this (a file just read) and is not used again, so
        its nodes are taken as they are instead of copied (deep-copying 10k nodes' params
        was ~1.5 s of opening)."""
        if take:
            self.nodes = dict(other.nodes)
        else:
            self.nodes = {k: _copy.deepcopy(v) for k, v in other.nodes.items()}
        self.wires = list(other.wires)
        self._g = None
        self._writers = None
        self._names, self._name_hint = {}, {}
        self._seeds, self._seed_hint = None, 0
        if take:  # the regions too: a 5,000-module import deep-copied 2,500 member sets
            self.regions = dict(other.regions)
        else:
            self.regions = {k: _copy.deepcopy(v) for k, v in other.regions.items()}
        self.settings = _copy.deepcopy(other.settings)
        for nid in self.nodes:
            self._bump_ids(nid)
        self.generation += 1
        self._emit("reset")

def _plain(v):
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    return v


def _id_key(s: str):
    m = re.match(r"^([^\d]*)(\d+)$", s)
    return (m.group(1), int(m.group(2)), s) if m else (s, -1, s)


__all__ = ["Node", "Wire", "Region", "Settings", "Document", "DocumentEvent", "BackwardDag",
           "Removed", "FLAGS", "LAYOUT_ONLY", "REGION_KINDS"]
