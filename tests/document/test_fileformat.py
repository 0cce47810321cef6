"""GradCanvas files: round trip, atomic save, migrations, and the bad-files corpus."""
from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.document import catalog, fileformat, migrations
from engine.document.errors import DocumentError
from engine.document.fileformat import FileFormatError
from engine.document.model import Document

BAD = Path(__file__).parent / "bad_files"
EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"

# file -> (JSON path of the error or None for "the file itself", words the message must hold)
CORPUS = {
    "truncated.json": (None, "not valid JSON"),
    "empty.json": (None, "not valid JSON"),
    "not_a_dict.json": ("$", "expected a JSON object, got a list"),
    "deep_nesting.json": (None, "nested too deeply"),
    "binary_garbage.json": (None, "not UTF-8"),
    "pickle_payload.json": (None, "not UTF-8"),
    "pickle_payload_v0.json": (None, "not valid JSON"),
    "reduce_in_json.json": ("document.nodes[0]", "unknown field '__reduce__'"),
    "pyobject_in_json.json": ("document.nodes[2].params.shape", "expected a shape"),
    "wrong_format.json": ("format", 'expected "gradcanvas"'),
    "missing_format.json": ("format", "not a GradCanvas file"),
    "future_version.json": ("schema_version", "schema version 99, newer than"),
    "version_string.json": ("schema_version", "expected an integer"),
    "document_not_object.json": ("document", "expected an object"),
    "unknown_envelope_field.json": ("exec", "unknown field"),
    "nodes_not_list.json": ("document.nodes", "expected a list"),
    "shape_wrong_type.json": ("document.nodes[2].params.shape", "expected a shape"),
    "flag_wrong_type.json": ("document.nodes[2].requires_grad", "expected true or false"),
    "name_wrong_type.json": ("document.nodes[0].name", "expected a string"),
    "bad_name.json": ("document.nodes[0].name", "not a valid variable name"),
    "duplicate_name.json": ("document.nodes[1].name", "already used"),
    "duplicate_id.json": ("document.nodes[1].id", "already exists"),
    "pos_wrong_type.json": ("document.nodes[0].pos", "expected a list"),
    "unknown_op.json": ("document.nodes[0].op", "unknown op 'os.system'"),
    "unknown_param.json": ("document.nodes[0].params.device", "unknown parameter"),
    "absurd_shape.json": ("document.nodes[2]", "refusing to allocate"),
    "negative_shape.json": ("document.nodes[2].params.shape", "must be >= 0"),
    "dangling_wire.json": ("document.wires[0]", "no node with id 'n99'"),
    "bad_port.json": ("document.wires[0]", "no input 'weight'"),
    "port_occupied.json": ("document.wires[6]", "already connected"),
    "cycle.json": ("document.wires[5]", "cycle"),
    "self_loop.json": ("document.wires[5]", "cannot feed itself"),
    "wire_index_bool.json": ("document.wires[0].index", "expected an int"),
    "region_unknown_member.json": ("document.regions[0]", "no node with id 'n42'"),
    "region_bad_kind.json": ("document.regions[0]", "unknown region kind"),
    "settings_bad_root.json": ("document.settings.root", "no node with id 'n42'"),
    "settings_bad_seed.json": ("document.settings.seed", "expected 'ones'"),
    "dtype_unknown.json": ("document.nodes[0].params.dtype", "expected one of"),
}


def test_corpus_is_complete():
    assert sorted(p.name for p in BAD.iterdir()) == sorted(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_bad_file_gives_a_located_error(name, capsys):
    path, words = CORPUS[name]
    with pytest.raises(FileFormatError) as info:
        fileformat.load(BAD / name)
    err = info.value
    assert isinstance(err, DocumentError)
    assert err.path == path
    assert words in err.message
    assert err.file == str(BAD / name)
    assert "\n" not in str(err)
    assert "EXECUTED" not in capsys.readouterr().out  # the pickle payload never ran


CALLS: list = []


def record_call(what):
    CALLS.append(what)


class _Marker:
    def __reduce__(self):
        return (record_call, ("executed",))


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_pickle_payload_is_never_unpickled(tmp_path, protocol):
    payload = pickle.dumps({"format": "gradcanvas", "document": _Marker()}, protocol=protocol)
    pickle.loads(payload)
    assert CALLS == ["executed"]  # the payload is live
    CALLS.clear()
    (tmp_path / "evil.json").write_bytes(payload)
    with pytest.raises(FileFormatError):
        fileformat.load(tmp_path / "evil.json")
    assert CALLS == []


def test_huge_file_is_refused_before_reading(tmp_path):
    big = tmp_path / "huge.json"
    with open(big, "wb") as f:  # sparse: no disk used, but st_size is huge
        f.truncate(fileformat.MAX_FILE_BYTES + 1)
    with pytest.raises(FileFormatError, match="file too large"):
        fileformat.load(big)


def test_huge_text_is_refused(monkeypatch):
    monkeypatch.setattr(fileformat, "MAX_FILE_BYTES", 100)
    with pytest.raises(FileFormatError, match="file too large"):
        fileformat.loads(b" " * 101)


def test_missing_file_is_a_file_error(tmp_path):
    with pytest.raises(FileFormatError, match="cannot read"):
        fileformat.load(tmp_path / "nope.json")


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_examples_load_and_resave_identically(name):
    text = (EXAMPLES / name).read_text()
    doc = fileformat.loads(text)
    assert fileformat.dumps(doc) == text


def test_envelope():
    doc = Document()
    doc.add_node("ones", "x", {"shape": [2]})
    data = json.loads(fileformat.dumps(doc, view={"zoom": 1.5}))
    assert data["format"] == "gradcanvas"
    assert data["schema_version"] == migrations.SCHEMA_VERSION == 3
    assert data["document"] == doc.to_dict()
    assert data["view"] == {"zoom": 1.5}


def test_view_state_round_trips(tmp_path):
    doc = Document()
    doc.add_node("ones", "x", {"shape": [2]})
    fileformat.save(doc, tmp_path / "a.json", view={"center": [1.0, 2.0]})
    loaded, view = fileformat.load_with_view(tmp_path / "a.json")
    assert loaded == doc and view == {"center": [1.0, 2.0]}


def test_literal_nan_and_inf_round_trip(tmp_path):
    doc = Document()
    doc.add_node("tensor", "t", {"value": [float("inf"), -float("inf"), 1.5]})
    fileformat.save(doc, tmp_path / "a.json")
    assert fileformat.load(tmp_path / "a.json") == doc


# -- atomic save -------------------------------------------------------------------------------
def test_save_replaces_atomically_and_leaves_no_temp(tmp_path):
    doc = Document()
    doc.add_node("ones", "x", {"shape": [2]})
    target = tmp_path / "g.json"
    target.write_text("old content")
    os.chmod(target, 0o640)
    fileformat.save(doc, target)
    assert fileformat.load(target) == doc
    assert os.stat(target).st_mode & 0o777 == 0o640  # permissions kept
    assert [p.name for p in tmp_path.iterdir()] == ["g.json"]


def test_crash_during_save_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "g.json"
    target.write_text("old content")

    def crash(fd):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "fsync", crash)
    doc = Document()
    doc.add_node("ones", "x", {"shape": [2]})
    with pytest.raises(OSError, match="disk on fire"):
        fileformat.save(doc, target)
    assert target.read_text() == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["g.json"]


def test_save_writes_through_a_temp_file_in_the_same_folder(tmp_path, monkeypatch):
    seen = []
    real = os.replace

    def spy(src, dst):
        seen.append((Path(src).parent, Path(dst)))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    doc = Document()
    fileformat.save(doc, tmp_path / "g.json")
    assert seen == [(tmp_path, tmp_path / "g.json")]


# -- migrations --------------------------------------------------------------------------------
def test_migrations_bring_an_old_file_up_to_date(monkeypatch):
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(migrations, "MIGRATIONS", {})

    @migrations.register(1)
    def _v1_to_v2(data):  # a pretend schema 2: drops a v1-only field, changes a setting
        del data["legacy"]
        data["document"]["settings"]["retain_graph"] = True
        return data

    doc = Document()
    doc.add_node("ones", "x", {"shape": [2]})
    old = fileformat.to_data(doc)
    old["schema_version"] = 1
    old["legacy"] = "only schema 1 had this"  # validated after migration, so accepted
    loaded = fileformat.from_data(json.loads(json.dumps(old)))
    assert loaded.settings.retain_graph is True
    assert fileformat.to_data(loaded)["schema_version"] == 2
    with pytest.raises(ValueError, match="already exists"):
        migrations.register(1)(_v1_to_v2)


def test_missing_migration_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(migrations, "MIGRATIONS", {1: lambda d: d})
    data = fileformat.to_data(Document())
    data["schema_version"] = 1
    with pytest.raises(FileFormatError, match="no migration from schema version 2 to 3") as e:
        fileformat.from_data(data)
    assert e.value.path == "schema_version"


def test_a_failing_migration_is_a_file_error(monkeypatch):
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(migrations, "MIGRATIONS", {1: lambda d: d["no such"]})
    data = fileformat.to_data(Document())
    data["schema_version"] = 1
    with pytest.raises(FileFormatError, match="cannot migrate from schema version 1"):
        fileformat.from_data(data)


def test_version_zero_is_refused():
    data = fileformat.to_data(Document())
    data["schema_version"] = 0
    with pytest.raises(FileFormatError, match="expected a version >= 1"):
        fileformat.from_data(data)


# -- save then load gives an equal document (hypothesis) -----------------------------------
SOURCES = ["ones", "zeros", "randn", "rand", "eye", "tensor", "full", "arange", "linspace"]
OPS = sorted(k for k, s in catalog.CATALOG.items() if not s.is_source)
names = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(catalog.is_valid_name)
finite = st.floats(-1e6, 1e6, allow_nan=False, width=32)


@st.composite
def documents(draw):
    doc = Document()
    for _ in range(draw(st.integers(0, 7))):
        pos = (draw(finite), draw(finite))
        name = draw(names)
        if any(n.name == name for n in doc.nodes.values()):
            name = None
        if not doc.nodes or draw(st.booleans()):
            op = draw(st.sampled_from(SOURCES))
            params = {}
            if op in ("ones", "zeros", "randn", "rand"):
                params["shape"] = draw(st.lists(st.integers(0, 4), max_size=3))
            if op in ("randn", "rand"):
                params["seed"] = draw(st.none() | st.integers(0, 2**31 - 1))
            if op == "tensor":
                params["value"] = draw(st.lists(finite, min_size=1, max_size=4))
            if op == "full":
                params["fill_value"] = draw(finite)
            rg = op not in ("arange", "tensor", "full") and draw(st.booleans())
            doc.add_node(op, name, params, pos, requires_grad=rg)
        else:
            op = draw(st.sampled_from(OPS))
            node = doc.add_node(op, name, pos=pos, retain_grad=draw(st.booleans()),
                                frozen_output=draw(st.booleans()))
            ids = [nid for nid in doc.nodes if nid != node.id]
            for port in node.spec.inputs:
                for index in range(draw(st.integers(0, 2)) if port.variadic else 1):
                    if ids and draw(st.booleans()):
                        doc.connect(draw(st.sampled_from(ids)), node.id, port.name, index)
    if doc.nodes and draw(st.booleans()):
        members = draw(st.sets(st.sampled_from(sorted(doc.nodes))))
        doc.add_region(draw(st.text(max_size=10)), members,
                       draw(st.none() | st.tuples(finite, finite, finite, finite)))
    if doc.nodes and draw(st.booleans()):
        doc.set_setting("root", draw(st.sampled_from(sorted(doc.nodes))))
    doc.set_setting("seed", draw(st.sampled_from(["ones", None, [1.0, 2.0]])))
    doc.set_setting("retain_graph", draw(st.booleans()))
    doc.set_setting("grad_enabled", draw(st.booleans()))
    return doc


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.filter_too_much])
@given(doc=documents())
def test_save_then_load_gives_an_equal_document(doc, tmp_path_factory):
    path = tmp_path_factory.mktemp("rt") / "doc.json"
    fileformat.save(doc, path)
    loaded = fileformat.load(path)
    assert loaded == doc
    assert loaded.to_dict() == doc.to_dict()
    assert fileformat.dumps(loaded) == path.read_text()


# -- fuzz: any mutation of a valid file loads or gives a FileFormatError, nothing else --------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8)


def _slots(data, path=()):
    """Every (container path, key) in nested JSON data."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield path + (k,)
            yield from _slots(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield path + (i,)
            yield from _slots(v, path + (i,))


@settings(max_examples=60, deadline=None)
@given(example=st.sampled_from(sorted(p.name for p in EXAMPLES.glob("*.json"))),
       data=st.data())
def test_mutated_files_never_crash_the_loader(example, data):
    doc = json.loads((EXAMPLES / example).read_text())
    slots = list(_slots(doc))
    for _ in range(data.draw(st.integers(1, 3))):
        slot = data.draw(st.sampled_from(slots))
        parent = doc
        try:
            for k in slot[:-1]:
                parent = parent[k]
            if data.draw(st.booleans()) or not isinstance(parent, dict):
                parent[slot[-1]] = data.draw(json_values)
            else:
                del parent[slot[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this slot
    try:
        fileformat.loads(json.dumps(doc))
    except FileFormatError as e:
        assert e.message and "\n" not in str(e)
