"""GradCanvas files: JSON, validated field by field, saved atomically.

A file is ``{"format": "gradcanvas", "schema_version": 1, "generator": "...", "document":
{...}, "view": {...}}`` where ``document`` is ``Document.to_dict()`` (literal values inline)
and the optional ``view`` holds JSON-only view state for the GUI. Loading parses with ``json``
only (never ``pickle``, ``eval`` or imports named by the file), migrates older schemas, refuses
newer ones, and validates every field; every problem is a ``FileFormatError`` whose ``path``
is the JSON path of the offending field (``document.nodes[3].params.shape``).
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from . import catalog, migrations, rules
from .errors import (
    DocumentError,
    DuplicateNameError,
    InvalidDocumentError,
    ParamError,
    UnknownNodeError,
    UnknownOpError,
)
from .perf import gc_paused

FORMAT = "gradcanvas"
GENERATOR = "gradcanvas 0.1.0"
MAX_FILE_BYTES = 64 * 1024 * 1024  # far above any hand-built graph; refuses before reading
_ENVELOPE_KEYS = {"format", "schema_version", "generator", "document", "view"}


class FileFormatError(DocumentError):
    """A file that cannot be read as a GradCanvas document; ``path`` is the JSON path."""

    def __init__(self, message: str, path: str | None = None, file: str | None = None):
        super().__init__(message, path)
        self.file = file

    def at(self, path: str) -> FileFormatError:
        inner = f"{path}.{self.path}" if self.path else path
        return type(self)(self.message, inner, self.file)


# -- reading -----------------------------------------------------------------------------------
def parse(text: str | bytes) -> object:
    """Plain JSON data from text, or ``FileFormatError`` (never anything but ``json``)."""
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise _too_big(len(text))
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise FileFormatError(
                f"not a GradCanvas file: not UTF-8 text (byte {e.start})") from None
    elif len(text) > MAX_FILE_BYTES:
        raise _too_big(len(text))
    try:
        return json.loads(text)  # NaN/Infinity allowed: tensor literals may hold them
    except json.JSONDecodeError as e:
        raise FileFormatError(
            f"not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    except RecursionError:
        raise FileFormatError("not valid JSON: nested too deeply") from None
    except ValueError as e:  # e.g. integers with too many digits
        raise FileFormatError(f"not valid JSON: {e}") from None


def _too_big(size: int) -> FileFormatError:
    return FileFormatError(
        f"file too large: {size} bytes (the limit is {MAX_FILE_BYTES} bytes)")


def _type_name(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number", type(None): "null"}.get(type(value),
                                                                         type(value).__name__)


def check_envelope(data) -> dict:
    """Validate the envelope and migrate it to the current schema; returns the data."""
    if not isinstance(data, dict):
        raise FileFormatError(f"expected a JSON object, got {_type_name(data)}", "$")
    fmt = data.get("format")
    if fmt != FORMAT:
        if "format" not in data:
            raise FileFormatError(f'missing; not a GradCanvas file (expected "{FORMAT}")',
                                  "format")
        raise FileFormatError(f'expected "{FORMAT}", got {json.dumps(fmt)[:60]}', "format")
    version = data.get("schema_version")
    if type(version) is not int:
        raise FileFormatError(f"expected an integer, got {_type_name(version)}",
                              "schema_version")
    current = migrations.SCHEMA_VERSION
    if version > current:
        raise FileFormatError(
            f"this file uses schema version {version}, newer than this GradCanvas supports "
            f"({current}); update GradCanvas to open it", "schema_version")
    if version < 1:
        raise FileFormatError(f"expected a version >= 1, got {version}", "schema_version")
    if version < current:
        try:
            data = migrations.migrate(data, version, current)
        except migrations.MissingMigrationError as e:
            raise FileFormatError(str(e), "schema_version") from None
        except Exception as e:  # a migration choking on malformed old data
            raise FileFormatError(
                _one_line(f"cannot migrate from schema version {version}: {e}"),
                "schema_version") from None
        if not isinstance(data, dict):
            raise FileFormatError("a migration did not return an object", "schema_version")
    # the rest is validated against the current schema, after migration
    unknown = sorted(set(data) - _ENVELOPE_KEYS)
    if unknown:
        raise FileFormatError("unknown field", _one_line(unknown[0]))
    if "generator" in data and not isinstance(data["generator"], str):
        raise FileFormatError(f"expected a string, got {_type_name(data['generator'])}",
                              "generator")
    if "view" in data and not isinstance(data["view"], dict):
        raise FileFormatError(f"expected an object, got {_type_name(data['view'])}", "view")
    if "document" not in data:
        raise FileFormatError("missing", "document")
    if not isinstance(data["document"], dict):
        raise FileFormatError(f"expected an object, got {_type_name(data['document'])}",
                              "document")
    return data


def from_data(data):
    """The Document in already-parsed file data (validated, migrated)."""
    from .model import Document

    data = check_envelope(data)
    try:
        check_document(data["document"])
        return Document.from_dict(data["document"], checked=True)
    except FileFormatError:
        raise
    except DocumentError as e:
        path = f"document.{e.path}" if e.path else "document"
        message = _named(data["document"], e.path or "", e.message)
        raise FileFormatError(_one_line(message), _one_line(path)) from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError,
            OverflowError) as e:
        # check_document is meant to catch everything; a gap must still be a clean error.
        raise FileFormatError(f"invalid document: {type(e).__name__}: {e}", "document") \
            from None


_ITEM = re.compile(r"(nodes|wires)\[(\d+)\](\.(\w+))?")


def _named(doc: dict, path: str, message: str) -> str:
    """``message`` prefixed with the node it is about (``node 'w': randn.shape: ...``), so
    a reader finds it on the canvas, not only by its JSON path. Best effort on raw data."""
    m = _ITEM.match(path)
    if m is None or m.group(4) in ("id", "name"):
        return message
    try:
        item = doc[m.group(1)][int(m.group(2))]
        if m.group(1) == "wires":
            names = {n.get("id"): n.get("name") for n in doc["nodes"] if isinstance(n, dict)}
            name, what = names.get(item.get("dst")), "wire into"
        else:
            name, what = item.get("name"), "node"
    except (KeyError, IndexError, TypeError, AttributeError):
        return message
    if not isinstance(name, str) or re.search(rf"\b{re.escape(name)}\b", message):
        return message  # unknown, or already named (wiring loss -> xw would ...)
    return f"{what} {name!r}: {message}"


def _one_line(text: str) -> str:
    """Control characters (a newline in a key...) escaped: an error stays one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def loads(text: str | bytes):
    """Document from the text of a file."""
    with gc_paused():
        return from_data(parse(text))


def read_bytes(path) -> bytes:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _too_big(size)
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except FileFormatError as e:
        e.file = str(path)
        raise
    except OSError as e:
        raise FileFormatError(f"cannot read {path}: {e.strerror or e}", file=str(path)) from None
    if len(raw) > MAX_FILE_BYTES:  # grew while reading
        raise FileFormatError(_too_big(len(raw)).message, file=str(path))
    return raw


def load(path):
    """The Document stored at ``path``; ``FileFormatError`` (with ``.file``) otherwise."""
    return load_with_view(path)[0]


def load_with_view(path):
    """``(document, view)``: the document and the file's view state (``{}`` if none)."""
    raw = read_bytes(path)
    try:
        with gc_paused():  # a big file builds ~10 objects per node at once
            data = parse(raw)
            doc = from_data(data)
    except FileFormatError as e:
        e.file = str(path)
        raise
    return doc, dict(data.get("view", {}))


# -- writing -----------------------------------------------------------------------------------
def to_data(document, view: dict | None = None) -> dict:
    data = {"format": FORMAT, "schema_version": migrations.SCHEMA_VERSION,
            "generator": GENERATOR, "document": document.to_dict()}
    if view:
        data["view"] = view
    return data


def dumps(document, view: dict | None = None) -> str:
    return _pretty(to_data(document, view), 0) + "\n"


def pretty(value) -> str:
    """JSON text in the files' layout (one short object/list per line)."""
    return _pretty(value, 0)


def _pretty(value, level: int, width: int = 96) -> str:
    """JSON with one short object/list per line (diff-friendly, still compact).

    NaN/Infinity are written as Python's json writes them: tensor literals may hold them.
    """
    flat = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if len(flat) + 2 * level <= width or not isinstance(value, dict | list) or not value:
        return flat
    pad = "  " * (level + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {_pretty(v, level + 1, width)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * level + "}"
    items = [pad + _pretty(v, level + 1, width) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + "  " * level + "]"


def atomic_write(path, text: str | bytes) -> None:
    """Write ``text`` to ``path`` so that a crash leaves either the old or the new file:
    a temporary file in the same folder, flushed and fsynced, then ``os.replace``."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:  # keep the old file's permissions; mkstemp creates 0600
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    # Make the rename itself durable (POSIX); not possible on every platform/filesystem.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save(document, path, view: dict | None = None) -> None:
    """Save ``document`` (and optional JSON view state) atomically at ``path``."""
    atomic_write(path, dumps(document, view))


# -- validating the document part ---------------------------------------------------------------
_NODE_KEYS = {"id", "op", "name", "params", "pos", "requires_grad", "retain_grad",
              "frozen_output", "frozen"}
_WIRE_KEYS = ("src", "dst", "port", "index")
_REGION_KEYS = ("id", "title", "kind", "members", "rect", "collapsed")
_DOC_KEYS = ("nodes", "wires", "regions", "settings")


def check_document(d) -> None:
    """Validate ``Document.to_dict`` data field by field, with the model's own rules
    (``rules.py``, ``catalog.validate_param``); raise the model's typed error located at the
    offending field's JSON path (``nodes[3].params.shape``). ``Document.from_dict`` then only
    builds. One pass over nodes and wires, plus one topological sort for cycles: O(N + W)."""
    _expect(d, dict, "")
    for key in d:
        if key not in _DOC_KEYS:
            raise InvalidDocumentError(f"unknown field {key!r}")
    nodes = _check_nodes(_expect(d.get("nodes", []), list, "nodes"))
    _check_wires(_expect(d.get("wires", []), list, "wires"), nodes)
    for i, rd in enumerate(_expect(d.get("regions", []), list, "regions")):
        _check_region(rd, f"regions[{i}]", nodes, d["regions"][:i])
    for key, value in _expect(d.get("settings", {}), dict, "settings").items():
        try:
            value = rules.setting_value(key, value)
            if key == "root" and value is not None and value not in nodes:
                raise UnknownNodeError(f"no node with id {value!r}")
            if key == "training":
                from .training.setup import references
                for field, nid in references(value):
                    if nid not in nodes:
                        raise UnknownNodeError(f"data.{field}: no node with id {nid!r}")
        except DocumentError as e:
            raise e.at(f"settings.{key}") from None


def _check_nodes(items: list) -> dict:
    """node id -> (spec, name), each node checked in file order."""
    nodes: dict = {}
    names: set = set()
    for i, nd in enumerate(items):
        path = f"nodes[{i}]"
        _expect(nd, dict, path)
        for key in nd:
            if key not in _NODE_KEYS:
                raise InvalidDocumentError(f"unknown field {key!r}", path)
        for key in ("id", "op", "name"):
            if key not in nd:
                raise InvalidDocumentError(f"missing field {key!r}", path)
            _expect(nd[key], str, f"{path}.{key}")
        params = _expect(nd.get("params", {}), dict, f"{path}.params")
        pos = _expect(nd.get("pos", [0.0, 0.0]), list, f"{path}.pos")
        if len(pos) != 2 or not all(catalog._is_number(v) for v in pos):
            raise InvalidDocumentError("expected [x, y] numbers", f"{path}.pos")
        flags = {f: _expect(nd.get(f, False), bool, f"{path}.{f}") for f in rules.FLAGS}
        try:
            spec = catalog.get(nd["op"])
        except UnknownOpError as e:
            raise e.at(f"{path}.op") from None
        try:
            catalog.validate_params(spec, params)  # one pass; on failure, find the field
        except ParamError as e:
            _locate_param_error(spec, params, path)
            raise e.at(path) from None
        try:
            name, nid = nd["name"], nd["id"]
            if not catalog.is_valid_name(name):
                raise DuplicateNameError(f"{name!r} is not a valid variable name").at(
                    f"{path}.name")
            if name in names:
                raise DuplicateNameError(f"the name {name!r} is already used").at(
                    f"{path}.name")
            if not nid:
                raise InvalidDocumentError(f"invalid node id {nid!r}")
            if nid in nodes:
                raise DuplicateNameError(f"node id {nid!r} already exists").at(f"{path}.id")
            for flag, value in flags.items():
                rules.check_flag(spec, flag, value)
        except DocumentError as e:
            raise (e if e.path else e.at(path)) from None
        names.add(name)
        nodes[nid] = (spec, name)
    return nodes


def _locate_param_error(spec, params: dict, path: str) -> None:
    """Raise the first bad parameter's error at its own path (``nodes[3].params.shape``);
    returns when no single parameter is at fault (a size over the limit: the caller raises
    that at the node)."""
    for pname, value in params.items():
        if spec.param(pname) is None:
            raise ParamError(f"unknown parameter {pname!r} of {spec.key}",
                             f"{path}.params.{pname}")
        try:
            catalog.validate_param(spec, pname, value)
        except ParamError as e:
            raise ParamError(e.message, f"{path}.params.{pname}") from None


def _check_wires(items: list, nodes: dict) -> None:
    slots: dict = {}  # (dst, port, index) -> src
    for i, wd in enumerate(items):
        path = f"wires[{i}]"
        _expect(wd, dict, path)
        for key in wd:
            if key not in _WIRE_KEYS:
                raise InvalidDocumentError(f"unknown field {key!r}", path)
        for key in ("src", "dst", "port"):
            if key not in wd:
                raise InvalidDocumentError(f"missing field {key!r}", path)
            _expect(wd[key], str, f"{path}.{key}")
        index = wd.get("index", 0)
        if not catalog._is_int(index):
            raise InvalidDocumentError(f"expected an int, got {index!r}", f"{path}.index")
        src, dst, port = wd["src"], wd["dst"], wd["port"]
        for end in (src, dst):
            if end not in nodes:
                raise UnknownNodeError(f"no node with id {end!r}", path)
        err = rules.port_refusal(nodes[dst][0], port, index)
        if err is None and src == dst:
            err = rules.self_loop()
        if err is None and (dst, port, index) in slots:
            err = rules.occupied(port, nodes[dst][1], nodes[slots[dst, port, index]][1])
        if err is not None:
            raise err.at(path)
        slots[dst, port, index] = src
    _check_acyclic(items, nodes)
    if any(spec.inplace for spec, _ in nodes.values()):
        _check_inplace(items, nodes)


def _check_inplace(items: list, nodes: dict) -> None:
    """The in-place rule (inplace.py: one writer per value, readers before it), as wiring
    the file's wires one by one would apply it; only for files with in-place nodes."""
    from .model import Document, Node
    doc = Document()
    for nid, (spec, name) in nodes.items():
        doc.nodes[nid] = Node(nid, spec.key, name, {})
    for i, w in enumerate(items):
        src, dst, port, index = w["src"], w["dst"], w["port"], w.get("index", 0)
        err = doc.check_connect(src, dst, port, index)
        if err is not None:
            raise err.at(f"wires[{i}]")
        doc.connect(src, dst, port, index)


def _check_acyclic(items: list, nodes: dict) -> None:
    """One topological sort; only when it finds a cycle, replay the wires to name the first
    one that closes it (as connecting them one by one would)."""
    from .adjacency import Adjacency
    from .model import Wire

    succ: dict = {nid: [] for nid in nodes}
    indeg = dict.fromkeys(nodes, 0)
    for w in items:
        succ[w["src"]].append(w["dst"])
        indeg[w["dst"]] += 1
    ready = [nid for nid, d in indeg.items() if d == 0]
    seen = 0
    while ready:  # Kahn: every node gets ready iff there is no cycle
        seen += 1
        for nxt in succ[ready.pop()]:
            indeg[nxt] -= 1
            if indeg[nxt] == 0:
                ready.append(nxt)
    if seen == len(nodes):
        return
    wires = [Wire(w["src"], w["dst"], w["port"], w.get("index", 0)) for w in items]
    g = Adjacency(nodes, ())
    for i, w in enumerate(wires):
        if g.has_path(w.dst, w.src):
            raise rules.cycle(nodes[w.src][1], nodes[w.dst][1]).at(f"wires[{i}]")
        g.add_wire(w)


def _check_region(rd, path: str, nodes: dict, before: list) -> None:
    _expect(rd, dict, path)
    for key in rd:
        if key not in _REGION_KEYS:
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
    _expect(rd.get("title", ""), str, f"{path}.title")
    kind = _expect(rd.get("kind", "no_grad"), str, f"{path}.kind")
    for m in members:
        if m not in nodes:
            raise UnknownNodeError(f"no node with id {m!r}", path)
    if kind not in ("no_grad", "module"):
        raise ParamError(f"unknown region kind {kind!r} (expected 'no_grad' or 'module')", path)
    _expect(rd.get("collapsed", False), bool, f"{path}.collapsed")
    if any(isinstance(r, dict) and r.get("id") == rid for r in before):
        raise DuplicateNameError(f"region id {rid!r} already exists", path)


def _expect(value, typ, path):
    ok = isinstance(value, typ) and not (typ is not bool and isinstance(value, bool))
    if not ok:
        names = {dict: "an object", list: "a list", str: "a string", bool: "true or false"}
        raise InvalidDocumentError(f"expected {names.get(typ, typ.__name__)}, got "
                                   f"{type(value).__name__}", path or None)
    return value
