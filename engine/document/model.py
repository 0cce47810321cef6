"""The graph document: nodes, wires, no_grad regions and settings, Qt-free.

Every mutation validates first (raising a ``DocumentError`` subclass, leaving the document
unchanged) and then emits exactly one ``DocumentEvent`` to subscribers, so views never poll.
"""
from __future__ import annotations

import copy as _copy
import heapq
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # networkx costs ~0.1-0.5 s to import: only graph() loads it
    import networkx as nx

from . import catalog
from .errors import (
    CycleError,
    DocumentError,
    DuplicateNameError,
    InvalidDocumentError,
    InvalidWireError,
    ParamError,
    PortOccupiedError,
    UnknownNodeError,
    UnknownOpError,
)

FLAGS = ("requires_grad", "retain_grad", "frozen_output")


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
class Region:
    id: str
    title: str
    members: set[str]
    rect: tuple[float, float, float, float] | None = None
    kind: str = "no_grad"  # one of REGION_KINDS
    collapsed: bool = False  # a module group shown as one node (views only; no semantics)


# "no_grad": members run under torch.no_grad(); "module": an nn.Module's ops and parameters,
# a labelled group (title: "model.0 · Linear(...)") that changes nothing in execution
REGION_KINDS = ("no_grad", "module")


@dataclass
class Settings:
    grad_enabled: bool = True
    root: str | None = None
    seed: object = "ones"  # "ones", None (implicit: scalar roots only) or a literal list
    retain_graph: bool = False


@dataclass(frozen=True)
class DocumentEvent:
    kind: str  # node_added node_removed node_changed wire_added wire_removed region_changed
    #            settings_changed reset
    node_id: str | None = None
    wire: Wire | None = None
    region_id: str | None = None
    detail: object = None  # dict: what changed (see each mutation)


class Removed(NamedTuple):
    """What ``remove_node`` took away, enough for ``restore_node`` (undo)."""
    node: Node
    wires: list[Wire]
    region_ids: list[str]
    was_root: bool
    index: int | None = None  # the node's position in ``nodes`` (undo puts it back there)
    wire_positions: tuple = ()  # each wire's position in ``wires`` before the removal


@dataclass(frozen=True)
class BackwardDag:
    nodes: frozenset  # node ids gradient flows through (root included, leaves included)
    wires: tuple  # wires carrying gradient
    leaves: frozenset  # leaves whose .grad backward fills


_ID_RE = re.compile(r"^[a-z]+(\d+)$")


def _prefix(op: str) -> str:
    base = op.rsplit(".", 1)[-1]
    return {"tensor": "t", "binary_cross_entropy_with_logits": "loss",
            "binary_cross_entropy": "loss", "mse_loss": "loss", "cross_entropy": "loss",
            "nll_loss": "loss"}.get(base, base)


class Document:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.wires: list[Wire] = []
        self._g: _Adjacency | None = None  # cached structure, kept in step by mutations
        self.regions: dict[str, Region] = {}
        self.settings = Settings()
        self._subscribers: list[Callable] = []
        self._next_id = 1  # auto ids only grow: an id is never reused in one document
        self._next_region = 1

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
            cb(ev)

    # -- lookups --------------------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except (KeyError, TypeError):
            raise UnknownNodeError(f"no node with id {node_id!r}") from None

    def node_by_name(self, name: str) -> Node:
        for n in self.nodes.values():
            if n.name == name:
                return n
        raise UnknownNodeError(f"no node named {name!r}")

    def inputs_of(self, node_id: str) -> list[Wire]:
        ws = [w for wl in self._graph().pred.get(node_id, {}).values() for w in wl]
        return sorted(ws, key=self.wires.index) if len(ws) > 1 else ws

    def outputs_of(self, node_id: str) -> list[Wire]:
        ws = [w for wl in self._graph().succ.get(node_id, {}).values() for w in wl]
        return sorted(ws, key=self.wires.index) if len(ws) > 1 else ws

    def _new_id(self) -> str:
        while f"n{self._next_id}" in self.nodes:
            self._next_id += 1
        return f"n{self._next_id}"

    def unique_name(self, base: str) -> str:
        taken = {n.name for n in self.nodes.values()}
        base = base if catalog.is_valid_name(base) else "v"
        for i in itertools.count(1):
            name = f"{base}{i}"
            if name not in taken and catalog.is_valid_name(name):
                return name
        raise AssertionError  # pragma: no cover

    def _check_name(self, name, node_id=None) -> None:
        if not catalog.is_valid_name(name):
            raise DuplicateNameError(f"{name!r} is not a valid variable name")
        for n in self.nodes.values():
            if n.name == name and n.id != node_id:
                raise DuplicateNameError(f"the name {name!r} is already used")

    def _bump_ids(self, node_id: str) -> None:
        """Keep auto ids ahead of explicit ones so an id is never reused."""
        m = _ID_RE.match(node_id)
        if m and node_id.startswith("n"):
            self._next_id = max(self._next_id, int(m.group(1)) + 1)

    # -- node mutations -------------------------------------------------------------------
    def add_node(self, op, name=None, params=None, pos=(0.0, 0.0), requires_grad=False,
                 node_id=None, retain_grad=False, frozen_output=False, at=None) -> Node:
        """``at``: position in ``nodes`` (default: the end), for undo."""
        spec = catalog.get(op)
        params = catalog.validate_params(spec, params)
        if name is None:
            name = self.unique_name(_prefix(op))
        self._check_name(name)
        if node_id is None:
            node_id = self._new_id()
        elif not isinstance(node_id, str) or not node_id:
            raise InvalidDocumentError(f"invalid node id {node_id!r}")
        elif node_id in self.nodes:
            raise DuplicateNameError(f"node id {node_id!r} already exists")
        for flag, value in (("requires_grad", requires_grad), ("retain_grad", retain_grad),
                            ("frozen_output", frozen_output)):
            self._check_flag(spec, flag, value)
        node = Node(node_id, op, name, params, _pos(pos), bool(requires_grad),
                    bool(retain_grad), bool(frozen_output))
        self._bump_ids(node_id)
        if at is None or at >= len(self.nodes):
            self.nodes[node_id] = node
        else:  # re-insert in place, keeping the dict object (views hold it)
            items = list(self.nodes.items())
            items.insert(max(0, at), (node_id, node))
            self.nodes.clear()
            self.nodes.update(items)
        if self._g is not None:
            self._g.add_node(node_id)
        self._emit("node_added", node_id=node_id)
        return node

    def remove_node(self, node_id) -> Removed:
        node = self.node(node_id)
        index = list(self.nodes).index(node_id)
        positions = [i for i, w in enumerate(self.wires) if w.src == node_id or w.dst == node_id]
        wires = [self.wires[i] for i in positions]
        self.wires = [w for w in self.wires if w.src != node_id and w.dst != node_id]
        region_ids = []
        for r in self.regions.values():
            if node_id in r.members:
                r.members.discard(node_id)
                region_ids.append(r.id)
        was_root = self.settings.root == node_id
        if was_root:
            self.settings.root = None
        del self.nodes[node_id]
        if self._g is not None:
            self._g.remove_node(node_id)
        self._emit("node_removed", node_id=node_id,
                   detail={"wires": wires, "region_ids": region_ids, "was_root": was_root})
        return Removed(node, wires, region_ids, was_root, index, tuple(positions))

    def restore_node(self, removed: Removed) -> None:
        """Undo of ``remove_node``: the node, its wires, region memberships and root role,
        each back at its old position (so undo gives back an identical ``to_dict()``).
        Undo several removals in reverse order."""
        n = removed.node
        self.add_node(n.op, n.name, _copy.deepcopy(n.params), n.pos, n.requires_grad, n.id,
                      n.retain_grad, n.frozen_output, at=removed.index)
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
        self._emit("node_changed", node_id=node_id,
                   detail={"what": "param", "name": name, "old": old, "new": value})

    def _check_flag(self, spec, flag, value) -> None:
        if flag not in FLAGS:
            raise ParamError(f"unknown flag {flag!r} (expected one of {', '.join(FLAGS)})")
        if not isinstance(value, bool):
            raise ParamError(f"{flag}: expected true or false, got {value!r}")
        if flag == "requires_grad" and value and not spec.is_source:
            raise ParamError(
                f"requires_grad can only be set on leaves (source ops), not on {spec.key}: "
                "you can only change requires_grad flags of leaf variables")

    def set_flag(self, node_id, flag, value) -> None:
        node = self.node(node_id)
        self._check_flag(node.spec, flag, value)
        old = getattr(node, flag)
        setattr(node, flag, value)
        self._emit("node_changed", node_id=node_id,
                   detail={"what": "flag", "name": flag, "old": old, "new": value})

    def move_node(self, node_id, pos) -> None:
        node = self.node(node_id)
        old, node.pos = node.pos, _pos(pos)
        self._emit("node_changed", node_id=node_id,
                   detail={"what": "pos", "old": old, "new": node.pos})

    # -- wires ----------------------------------------------------------------------------
    def connect(self, src, dst, port, index=0, at=None) -> Wire:
        """``at``: position in ``wires`` (default: the end), for undo."""
        self.node(src)
        spec = self.node(dst).spec
        p = spec.port(port)
        if p is None:
            ports = ", ".join(q.name for q in spec.inputs) or "none"
            raise InvalidWireError(f"{spec.key} has no input {port!r} (inputs: {ports})")
        if not isinstance(index, int) or isinstance(index, bool) or index < 0 or (
                index and not p.variadic):
            raise InvalidWireError(f"invalid slot {index!r} for input {port!r} of {spec.key}")
        if src == dst:
            raise CycleError("a node cannot feed itself (the graph must stay acyclic)")
        g = self._graph()
        if g.has_path(dst, src):
            raise CycleError(f"wiring {self.nodes[src].name} -> {self.nodes[dst].name} would "
                             "create a cycle")
        for w in self.inputs_of(dst):
            if w.port == port and w.index == index:
                raise PortOccupiedError(
                    f"input {port!r} of {self.nodes[dst].name} is already connected "
                    f"(from {self.nodes[w.src].name})")
        wire = Wire(src, dst, port, index)
        if at is not None and at < len(self.wires):
            self.wires.insert(max(0, at), wire)
        else:
            self.wires.append(wire)
        if at is not None and dst in g.succ[src]:
            self._g = None  # the edge's wire list follows ``wires`` order: rebuild lazily
        else:
            g.add_wire(wire)
        self._emit("wire_added", wire=wire, node_id=dst)
        return wire

    def disconnect(self, wire: Wire) -> int:
        """Returns the wire's position in ``wires`` (``connect(..., at=)`` puts it back)."""
        if wire not in self.wires:
            raise UnknownNodeError(f"no such wire {wire!r}")
        at = self.wires.index(wire)
        del self.wires[at]
        self._g = None
        self._emit("wire_removed", wire=wire, node_id=wire.dst)
        return at

    # -- regions --------------------------------------------------------------------------
    def _check_members(self, members) -> set[str]:
        if isinstance(members, str):
            raise ParamError("region members must be a collection of node ids")
        members = set(members)
        for m in members:
            self.node(m)
        return members

    def add_region(self, title, members=(), rect=None, region_id=None, kind="no_grad",
                   at=None, collapsed=False) -> Region:
        """``at``: position in ``regions`` (default: the end), for undo."""
        members = self._check_members(members)
        if kind not in REGION_KINDS:
            raise ParamError(f"unknown region kind {kind!r} (expected 'no_grad' or 'module')")
        if not isinstance(collapsed, bool):
            raise ParamError(f"collapsed: expected true or false, got {collapsed!r}")
        if not isinstance(title, str):
            raise ParamError(f"region title must be a string, got {title!r}")
        if region_id is None:
            while f"r{self._next_region}" in self.regions:
                self._next_region += 1
            region_id = f"r{self._next_region}"
        elif region_id in self.regions:
            raise DuplicateNameError(f"region id {region_id!r} already exists")
        region = Region(region_id, title, members, _rect(rect), kind, collapsed)
        if at is None or at >= len(self.regions):
            self.regions[region_id] = region
        else:
            items = list(self.regions.items())
            items.insert(max(0, at), (region_id, region))
            self.regions.clear()
            self.regions.update(items)
        self._emit("region_changed", region_id=region_id,
                   detail={"what": "added", "old": set(), "new": set(members)})
        return region

    def region(self, region_id) -> Region:
        try:
            return self.regions[region_id]
        except (KeyError, TypeError):
            raise UnknownNodeError(f"no region with id {region_id!r}") from None

    def remove_region(self, region_id) -> Region:
        region = self.region(region_id)
        del self.regions[region_id]
        self._emit("region_changed", region_id=region_id,
                   detail={"what": "removed", "old": set(region.members), "new": set()})
        return region

    def set_region_members(self, region_id, members) -> None:
        region = self.region(region_id)
        members = self._check_members(members)
        old, region.members = region.members, members
        self._emit("region_changed", region_id=region_id,
                   detail={"what": "members", "old": set(old), "new": set(members)})

    def set_region_rect(self, region_id, rect) -> None:
        region = self.region(region_id)
        region.rect = _rect(rect)
        self._emit("region_changed", region_id=region_id, detail={"what": "rect"})

    def set_region_title(self, region_id, title) -> None:
        region = self.region(region_id)
        if not isinstance(title, str):
            raise ParamError(f"region title must be a string, got {title!r}")
        region.title = title
        self._emit("region_changed", region_id=region_id, detail={"what": "title"})

    def set_region_collapsed(self, region_id, collapsed) -> None:
        region = self.region(region_id)
        if not isinstance(collapsed, bool):
            raise ParamError(f"collapsed: expected true or false, got {collapsed!r}")
        region.collapsed = collapsed
        self._emit("region_changed", region_id=region_id, detail={"what": "collapsed"})

    def in_no_grad(self, node_id) -> bool:
        return any(node_id in r.members for r in self.regions.values() if r.kind == "no_grad")

    # -- settings -------------------------------------------------------------------------
    def set_setting(self, name, value) -> None:
        if name in ("grad_enabled", "retain_graph"):
            if not isinstance(value, bool):
                raise ParamError(f"{name}: expected true or false, got {value!r}")
        elif name == "root":
            if value is not None:
                self.node(value)
        elif name == "seed":
            if not (value is None or value == "ones"):
                try:
                    catalog._literal_shape(value, "seed")
                except ParamError:
                    raise ParamError(
                        f"seed: expected 'ones', null or a list of numbers, got {value!r}"
                    ) from None
                value = catalog._as_list(value)
        else:
            raise ParamError(f"unknown setting {name!r}")
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
                       "frozen_output": n.frozen_output} for n in self.nodes.values()],
            "wires": [{"src": w.src, "dst": w.dst, "port": w.port, "index": w.index}
                      for w in self.wires],
            "regions": [{"id": r.id, "title": r.title, "kind": r.kind,
                         "members": sorted(r.members, key=_id_key),
                         "rect": None if r.rect is None else [float(v) for v in r.rect],
                         **({"collapsed": r.collapsed} if r.kind == "module" else {})}
                        for r in self.regions.values()],
            "settings": {"grad_enabled": self.settings.grad_enabled,
                         "root": self.settings.root, "seed": _plain(self.settings.seed),
                         "retain_graph": self.settings.retain_graph},
        }

    @classmethod
    def from_dict(cls, d) -> Document:
        """Validates everything; errors carry the JSON path (``nodes[3].params.shape``)."""
        doc = cls()
        _expect(d, dict, "")
        for key in d:
            if key not in ("nodes", "wires", "regions", "settings"):
                raise InvalidDocumentError(f"unknown field {key!r}")
        for i, nd in enumerate(_expect(d.get("nodes", []), list, "nodes")):
            path = f"nodes[{i}]"
            _expect(nd, dict, path)
            allowed = {"id", "op", "name", "params", "pos", "requires_grad", "retain_grad",
                       "frozen_output"}
            for key in nd:
                if key not in allowed:
                    raise InvalidDocumentError(f"unknown field {key!r}", path)
            for key in ("id", "op", "name"):
                if key not in nd:
                    raise InvalidDocumentError(f"missing field {key!r}", path)
                _expect(nd[key], str, f"{path}.{key}")
            params = _expect(nd.get("params", {}), dict, f"{path}.params")
            pos = _expect(nd.get("pos", [0.0, 0.0]), list, f"{path}.pos")
            if len(pos) != 2 or not all(catalog._is_number(v) for v in pos):
                raise InvalidDocumentError("expected [x, y] numbers", f"{path}.pos")
            flags = {}
            for f in FLAGS:
                flags[f] = _expect(nd.get(f, False), bool, f"{path}.{f}")
            try:
                spec = catalog.get(nd["op"])
            except UnknownOpError as e:
                raise e.at(f"{path}.op") from None
            for pname in params:
                if spec.param(pname) is None:
                    raise ParamError(f"unknown parameter {pname!r} of {spec.key}",
                                     f"{path}.params.{pname}")
            for pname, value in params.items():
                try:
                    catalog.validate_param(spec, pname, value)
                except ParamError as e:
                    raise ParamError(e.message, f"{path}.params.{pname}") from None
            try:
                doc.add_node(nd["op"], nd["name"], params, tuple(pos), node_id=nd["id"],
                             **flags)
            except DuplicateNameError as e:
                raise e.at(f"{path}.name" if "name" in e.message else f"{path}.id") from None
            except DocumentError as e:
                raise e.at(path) from None
        for i, wd in enumerate(_expect(d.get("wires", []), list, "wires")):
            path = f"wires[{i}]"
            _expect(wd, dict, path)
            for key in wd:
                if key not in ("src", "dst", "port", "index"):
                    raise InvalidDocumentError(f"unknown field {key!r}", path)
            for key in ("src", "dst", "port"):
                if key not in wd:
                    raise InvalidDocumentError(f"missing field {key!r}", path)
                _expect(wd[key], str, f"{path}.{key}")
            index = wd.get("index", 0)
            if not catalog._is_int(index):
                raise InvalidDocumentError(f"expected an int, got {index!r}", f"{path}.index")
            try:
                doc.connect(wd["src"], wd["dst"], wd["port"], index)
            except DocumentError as e:
                raise e.at(path) from None
        for i, rd in enumerate(_expect(d.get("regions", []), list, "regions")):
            path = f"regions[{i}]"
            _expect(rd, dict, path)
            for key in rd:
                if key not in ("id", "title", "kind", "members", "rect", "collapsed"):
                    raise InvalidDocumentError(f"unknown field {key!r}", path)
            rid = _expect(rd.get("id"), str, f"{path}.id")
            members = _expect(rd.get("members", []), list, f"{path}.members")
            for j, m in enumerate(members):
                _expect(m, str, f"{path}.members[{j}]")
            rect = rd.get("rect")
            if rect is not None:
                _expect(rect, list, f"{path}.rect")
                if len(rect) != 4 or not all(catalog._is_number(v) for v in rect):
                    raise InvalidDocumentError("expected [x, y, w, h] numbers", f"{path}.rect")
            try:
                doc.add_region(_expect(rd.get("title", ""), str, f"{path}.title"), members,
                               rect, rid, _expect(rd.get("kind", "no_grad"), str,
                                                  f"{path}.kind"),
                               collapsed=_expect(rd.get("collapsed", False), bool,
                                                 f"{path}.collapsed"))
            except DocumentError as e:
                raise e.at(path) from None
        sd = _expect(d.get("settings", {}), dict, "settings")
        for key, value in sd.items():
            try:
                doc.set_setting(key, value)
            except DocumentError as e:
                raise e.at(f"settings.{key}") from None
        return doc

    def copy(self) -> Document:
        new = Document()
        new.nodes = {k: _copy.deepcopy(v) for k, v in self.nodes.items()}
        new.wires = list(self.wires)
        new.regions = {k: _copy.deepcopy(v) for k, v in self.regions.items()}
        new.settings = _copy.copy(self.settings)
        new._next_id, new._next_region = self._next_id, self._next_region
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
        self.regions.clear()
        self.settings = Settings()
        self._emit("reset")

    def load(self, other: Document) -> None:
        """Replace the content with ``other``'s (subscribers stay); one "reset" event."""
        self.nodes = {k: _copy.deepcopy(v) for k, v in other.nodes.items()}
        self.wires = list(other.wires)
        self._g = None
        self.regions = {k: _copy.deepcopy(v) for k, v in other.regions.items()}
        self.settings = _copy.copy(other.settings)
        for nid in self.nodes:
            self._bump_ids(nid)
        self._emit("reset")

    # -- queries --------------------------------------------------------------------------
    def graph(self) -> nx.DiGraph:
        """A new networkx graph: nodes are ids (attribute ``node``); an edge's ``wires``
        lists its wires."""
        import networkx as nx
        g = nx.DiGraph()
        for nid, n in self.nodes.items():
            g.add_node(nid, node=n)
        for src, outs in self._graph().succ.items():
            for dst, wires in outs.items():
                g.add_edge(src, dst, wires=list(wires))
        return g

    def _graph(self) -> _Adjacency:
        if self._g is None:
            self._g = _Adjacency(self.nodes, self.wires)
        return self._g

    def topological_order(self) -> list[str]:
        """Kahn's algorithm taking the earliest node in document order first (networkx's
        lexicographical_topological_sort keyed by position)."""
        rank = {nid: i for i, nid in enumerate(self.nodes)}
        g = self._graph()
        indeg = {nid: len(g.pred[nid]) for nid in self.nodes}
        heap = [(rank[nid], nid) for nid, d in indeg.items() if d == 0]
        heapq.heapify(heap)
        order = []
        while heap:
            _, nid = heapq.heappop(heap)
            order.append(nid)
            for s in g.succ[nid]:
                indeg[s] -= 1
                if indeg[s] == 0:
                    heapq.heappush(heap, (rank[s], s))
        if len(order) != len(self.nodes):  # the model forbids cycles
            raise CycleError("the graph has a cycle")
        return order

    def upstream(self, node_id) -> set[str]:
        self.node(node_id)
        g = self._graph()
        return g.reachable(node_id, g.pred)

    def downstream(self, node_id) -> set[str]:
        self.node(node_id)
        g = self._graph()
        return g.reachable(node_id, g.succ)

    def requires_grad_map(self) -> dict[str, bool]:
        """Which node outputs will require grad, decided statically as torch would: a source
        leaf with the flag and a floating dtype; an op that runs with grad enabled (global
        mode on, outside no_grad regions), is differentiable, and has a differentiable input
        that requires grad; ``frozen_output`` (detach) turns it off."""
        rg: dict[str, bool] = {}
        ins: dict[str, list[Wire]] = {nid: [] for nid in self.nodes}
        for w in self.wires:
            ins[w.dst].append(w)
        for nid in self.topological_order():
            n = self.nodes[nid]
            spec = n.spec
            if spec.is_source:
                r = n.requires_grad and _float_source(n)
            else:
                r = (self.settings.grad_enabled and spec.differentiable
                     and not self.in_no_grad(nid)
                     and any(rg[w.src] and spec.port(w.port).differentiable
                             for w in ins[nid]))
            rg[nid] = bool(r and not n.frozen_output)
        return rg

    def backward_dag(self, root_id) -> BackwardDag:
        """The nodes and wires gradient flows through from ``root_id``, and the leaves whose
        ``.grad`` it reaches. Empty when the root does not require grad."""
        self.node(root_id)
        rg = self.requires_grad_map()
        if not rg[root_id]:
            return BackwardDag(frozenset(), (), frozenset())
        nodes, wires, stack = {root_id}, [], [root_id]
        while stack:
            nid = stack.pop()
            if self.nodes[nid].spec.is_source:
                continue
            spec = self.nodes[nid].spec
            for w in self.inputs_of(nid):
                if rg[w.src] and spec.port(w.port).differentiable:
                    wires.append(w)
                    if w.src not in nodes:
                        nodes.add(w.src)
                        stack.append(w.src)
        leaves = frozenset(n for n in nodes if self.nodes[n].spec.is_source)
        position = {w: i for i, w in enumerate(self.wires)}
        wires.sort(key=position.__getitem__)
        return BackwardDag(frozenset(nodes), tuple(wires), leaves)

    def layered_layout(self, dx: float = 240.0, dy: float = 200.0) -> dict:
        from .layout import layered_layout
        return layered_layout(self, dx, dy)


class _Adjacency:
    """The wiring as plain dicts (node id -> neighbour id -> wires): the structure queries
    need, without importing networkx at start-up."""

    __slots__ = ("succ", "pred")

    def __init__(self, nodes, wires) -> None:
        self.succ: dict[str, dict[str, list[Wire]]] = {nid: {} for nid in nodes}
        self.pred: dict[str, dict[str, list[Wire]]] = {nid: {} for nid in nodes}
        for w in wires:
            self.add_wire(w)

    def add_node(self, nid: str) -> None:
        self.succ.setdefault(nid, {})
        self.pred.setdefault(nid, {})

    def remove_node(self, nid: str) -> None:
        for s in self.succ.pop(nid, {}):
            self.pred[s].pop(nid, None)
        for p in self.pred.pop(nid, {}):
            self.succ[p].pop(nid, None)

    def add_wire(self, w: Wire) -> None:
        self.succ[w.src].setdefault(w.dst, []).append(w)
        self.pred[w.dst].setdefault(w.src, []).append(w)

    def has_path(self, a: str, b: str) -> bool:
        """Is ``b`` reachable from ``a`` (a depth-first search that stops at ``b``)?"""
        if a == b:
            return True
        succ, seen, stack = self.succ, {a}, [a]
        while stack:
            for nxt in succ.get(stack.pop(), ()):
                if nxt == b:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    @staticmethod
    def reachable(start: str, adj: dict) -> set[str]:
        """Every node reachable from ``start`` along ``adj`` (``start`` excluded)."""
        seen: set[str] = set()
        stack = [start]
        while stack:
            for nxt in adj.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen


def _float_source(n: Node) -> bool:
    """Whether a source's dtype is floating (torch refuses requires_grad otherwise)."""
    dtype = n.params.get("dtype")
    if dtype is not None:
        return dtype in catalog.FLOAT_DTYPES
    if n.op == "tensor":
        return _any_float(n.params["value"])
    if n.op in ("arange", "full"):
        return any(isinstance(n.params[k], float) for k in ("start", "end", "step", "fill_value")
                   if k in n.params)
    return True


def _any_float(v) -> bool:
    if isinstance(v, list):
        return any(_any_float(x) for x in v)
    return isinstance(v, float)


def _plain(v):
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    return v


def _id_key(s: str):
    m = re.match(r"^([^\d]*)(\d+)$", s)
    return (m.group(1), int(m.group(2)), s) if m else (s, -1, s)


def _pos(pos) -> tuple[float, float]:
    try:
        x, y = pos
        return (float(x), float(y))
    except (TypeError, ValueError):
        raise ParamError(f"expected a position (x, y), got {pos!r}") from None


def _rect(rect):
    if rect is None:
        return None
    try:
        x, y, w, h = rect
        return (float(x), float(y), float(w), float(h))
    except (TypeError, ValueError):
        raise ParamError(f"expected a rectangle (x, y, w, h), got {rect!r}") from None


def _expect(value, typ, path):
    ok = isinstance(value, typ) and not (typ is not bool and isinstance(value, bool))
    if not ok:
        names = {dict: "an object", list: "a list", str: "a string", bool: "true or false"}
        raise InvalidDocumentError(f"expected {names.get(typ, typ.__name__)}, got "
                                   f"{type(value).__name__}", path or None)
    return value


__all__ = ["Node", "Wire", "Region", "Settings", "Document", "DocumentEvent", "BackwardDag",
           "Removed", "FLAGS"]
