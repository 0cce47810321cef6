"""torch.save / torch.load for tensors and containers of tensors, in a format that never runs
code on load (the spirit of torch's ``weights_only=True``, without pickle at all).

Format (version 1), documented in docs/engine_api.md: a ZIP archive with

* ``manifest.json`` — ``{"format": "gradcanvas-tensors", "version": 1, "root": <node>}``
  where a node is JSON for ``None``/bool/int/float/str, or an object with one tag:
  ``{"tensor": i, "requires_grad": b}`` (``{"parameter": i, ...}`` for an ``nn.Parameter``),
  ``{"list": [...]}``, ``{"tuple": [...]}``, ``{"dict": [[key, value], ...]}`` (keys are
  nodes too, so int keys survive), ``{"ordered_dict": [[key, value], ...]}``,
  ``{"dtype": "float32"}``, ``{"device": "cpu"}``, ``{"float": "nan" | "inf" | "-inf"}``;
* ``tensors/<i>.npy`` — each distinct tensor's data as a NumPy ``.npy`` (read with
  ``allow_pickle=False``). A tensor reached twice is stored once, so sharing survives a round
  trip, as in torch.

Anything else (arbitrary objects, modules, functions) is refused at save time with a clear
message, rather than pickled.
"""
from __future__ import annotations

import io
import json
import math
import os
import zipfile
from collections import OrderedDict

import numpy as np

from . import _dtype
from ._device import device
from ._tensor import Tensor

FORMAT, VERSION = "gradcanvas-tensors", 1


class _Writer:
    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self.ids: dict[int, int] = {}

    def node(self, obj):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            if math.isfinite(obj):
                return obj
            return {"float": "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")}
        if isinstance(obj, np.generic):
            return self.node(obj.item())
        if isinstance(obj, Tensor):
            key = id(obj)
            if key not in self.ids:
                self.ids[key] = len(self.arrays)
                self.arrays.append(obj._data)
            tag = "parameter" if type(obj).__name__ == "Parameter" else "tensor"
            return {tag: self.ids[key], "requires_grad": bool(obj._requires_grad)}
        if isinstance(obj, _dtype.dtype):
            return {"dtype": obj.np.name}
        if isinstance(obj, device):
            return {"device": str(obj)}
        if isinstance(obj, OrderedDict):
            return {"ordered_dict": [[self.node(k), self.node(v)] for k, v in obj.items()]}
        if isinstance(obj, dict):
            return {"dict": [[self.node(k), self.node(v)] for k, v in obj.items()]}
        if isinstance(obj, list):
            return {"list": [self.node(v) for v in obj]}
        if isinstance(obj, tuple):
            return {"tuple": [self.node(v) for v in obj]}
        raise TypeError(
            f"engine.save() stores tensors, numbers, strings, None and lists, tuples and dicts "
            f"of them; it does not pickle arbitrary objects (got {type(obj).__qualname__}). "
            "Save a module's state_dict() instead of the module.")


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True):
    w = _Writer()
    manifest = {"format": FORMAT, "version": VERSION, "root": w.node(obj)}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("manifest.json", json.dumps(manifest))
        for i, a in enumerate(w.arrays):
            npy = io.BytesIO()
            np.save(npy, a, allow_pickle=False)
            z.writestr(f"tensors/{i}.npy", npy.getvalue())
    data = buf.getvalue()
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    else:
        f.write(data)


class _Reader:
    def __init__(self, z: zipfile.ZipFile) -> None:
        self.z = z
        self.tensors: dict[int, Tensor] = {}

    def tensor(self, i: int, requires_grad: bool, parameter: bool):
        key = (i, parameter)
        if key not in self.tensors:
            with self.z.open(f"tensors/{int(i)}.npy") as fh:
                a = np.load(io.BytesIO(fh.read()), allow_pickle=False)
            if parameter:
                from .nn import Parameter  # the nn package defines it
                t = Parameter(Tensor._make(a), requires_grad=requires_grad)
            else:
                t = Tensor._make(a, bool(requires_grad) and a.dtype.kind == "f")
            self.tensors[key] = t
        return self.tensors[key]

    def node(self, n):
        if not isinstance(n, dict):
            return n
        if "tensor" in n:
            return self.tensor(n["tensor"], n.get("requires_grad", False), False)
        if "parameter" in n:
            return self.tensor(n["parameter"], n.get("requires_grad", True), True)
        if "list" in n:
            return [self.node(v) for v in n["list"]]
        if "tuple" in n:
            return tuple(self.node(v) for v in n["tuple"])
        if "dict" in n:
            return {self.node(k): self.node(v) for k, v in n["dict"]}
        if "ordered_dict" in n:
            return OrderedDict((self.node(k), self.node(v)) for k, v in n["ordered_dict"])
        if "dtype" in n:
            return _dtype.from_numpy_dtype(np.dtype(n["dtype"]))
        if "device" in n:
            return device(n["device"])
        if "float" in n:
            return float(n["float"])
        raise ValueError(f"engine.load(): unknown entry in the manifest: {sorted(n)}")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    if map_location is not None:
        from ._device import check_device
        if not callable(map_location) and not isinstance(map_location, dict):
            check_device(map_location)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            data = fh.read()
    else:
        data = f.read()
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        manifest = json.loads(z.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise RuntimeError(
            "engine.load(): not a file written by engine.save() (no manifest.json). Files "
            "written by torch.save are pickles, which the engine never loads: run "
            "`torch.save({k: v.numpy() for k, v in sd.items()}, ...)` in torch and convert, or "
            "save from the engine.") from None
    if manifest.get("format") != FORMAT or manifest.get("version", 0) > VERSION:
        raise RuntimeError(f"engine.load(): unsupported format {manifest.get('format')!r} "
                           f"version {manifest.get('version')!r}")
    with z:
        return _Reader(z).node(manifest["root"])
