"""The training setup: plain JSON data in ``Settings.training``, checked by one function.

Shape of the data (every key but ``optimizer`` optional; ``check_setup`` fills defaults)::

    {"optimizer": "SGD", "lr": 0.1, "options": {"momentum": 0.9, "nesterov": true},
     "scheduler": {"type": "StepLR", "step_size": 10, "gamma": 0.5} | null,
     "steps": 100, "zero_grad": true,
     "data": null | {"source": "moons", "n": 200, "noise": 0.1, "seed": 0,
                     "batch_size": 32, "shuffle": true, "inputs": "n1", "targets": "n2"}}

``data: null`` trains on the tensors already in the graph. A dataset feeds the source leaves
``inputs`` and ``targets`` (node ids) one batch per step. Names and defaults are torch.optim's.
"""
from __future__ import annotations

import copy
import math

from ..errors import ParamError

# optimizer -> its options and torch's defaults (lr apart)
OPTIMIZERS = {
    "SGD": {"momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False},
    "Adam": {"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False},
    "AdamW": {"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": False},
    "RMSprop": {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0,
                "centered": False},
}
DEFAULT_LR = {"SGD": 1e-3, "Adam": 1e-3, "AdamW": 1e-3, "RMSprop": 1e-2}
# scheduler -> required/optional arguments and defaults (None: required)
SCHEDULERS = {
    "StepLR": {"step_size": None, "gamma": 0.1},
    "ExponentialLR": {"gamma": None},
    "CosineAnnealingLR": {"T_max": None, "eta_min": 0.0},
}
# dataset source -> its arguments and defaults
SOURCES = {
    "moons": {"n": 200, "noise": 0.1},
    "circles": {"n": 200, "noise": 0.05, "factor": 0.5},
    "spiral": {"n": 200, "noise": 0.1},
    "xor": {"n": 200, "noise": 0.0},
    "blobs": {"n": 200, "noise": 0.5, "classes": 2},
    "sine": {"n": 100, "noise": 0.1},
    "polynomial": {"n": 100, "noise": 0.1, "coeffs": [1.0, -2.0, 0.5]},
    "csv": {"path": None, "header": None, "target_columns": 1},
}
CLASSIFICATION = frozenset({"moons", "circles", "spiral", "xor", "blobs"})
_DATA_KEYS = {"source", "seed", "batch_size", "shuffle", "inputs", "targets"}
_KEYS = ("optimizer", "lr", "options", "scheduler", "steps", "zero_grad", "data")
MAX_STEPS = 1_000_000
MAX_SAMPLES = 1_000_000


def default_setup(optimizer: str = "SGD") -> dict:
    return check_setup({"optimizer": optimizer})


def _number(v, what, *, positive=False, nonneg=False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ParamError(f"{what}: expected a number, got {v!r}")
    if positive and not v > 0:
        raise ParamError(f"{what}: expected a value > 0, got {v!r}")
    if nonneg and v < 0:
        raise ParamError(f"{what}: expected a value >= 0, got {v!r}")
    return float(v)


def _int(v, what, lo=1, hi=None) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
        bound = f" between {lo} and {hi}" if hi is not None else f" >= {lo}"
        raise ParamError(f"{what}: expected an integer{bound}, got {v!r}")
    return v


def _bool(v, what) -> bool:
    if not isinstance(v, bool):
        raise ParamError(f"{what}: expected true or false, got {v!r}")
    return v


def _known(d, allowed, what) -> None:
    for k in d:
        if k not in allowed:
            raise ParamError(f"{what}: unknown field {k!r} (expected one of "
                             f"{', '.join(sorted(allowed))})")


def _option(name, default, value, what):
    if isinstance(default, bool):
        return _bool(value, what)
    if isinstance(default, list):
        if not (isinstance(value, (list, tuple)) and len(value) == len(default)):
            raise ParamError(f"{what}: expected {len(default)} numbers, got {value!r}")
        return [_number(x, what) for x in value]
    return _number(value, what, nonneg=True)


def check_setup(value) -> dict | None:
    """The normalized setup (a new dict, defaults filled) or ParamError in torch's words."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ParamError(f"training: expected an object, got {value!r}")
    _known(value, _KEYS, "training")
    opt = value.get("optimizer", "SGD")
    if opt not in OPTIMIZERS:
        raise ParamError(f"training.optimizer: expected one of {', '.join(OPTIMIZERS)}, "
                         f"got {opt!r}")
    lr = _number(value.get("lr", DEFAULT_LR[opt]), "training.lr")
    if lr < 0:
        raise ParamError(f"Invalid learning rate: {lr}")  # torch.optim's words
    given = value.get("options") or {}
    if not isinstance(given, dict):
        raise ParamError(f"training.options: expected an object, got {given!r}")
    _known(given, OPTIMIZERS[opt], f"training.options ({opt})")
    options = {k: _option(k, d, given.get(k, copy.deepcopy(d)), f"training.options.{k}")
               for k, d in OPTIMIZERS[opt].items()}
    if opt == "SGD" and options["nesterov"] and (options["momentum"] <= 0
                                                  or options["dampening"] != 0):
        raise ParamError("Nesterov momentum requires a momentum and zero dampening")
    if "betas" in options:
        for i, b in enumerate(options["betas"]):
            if not 0.0 <= b < 1.0:
                raise ParamError(f"Invalid beta parameter at index {i}: {b}")
    return {"optimizer": opt, "lr": lr, "options": options,
            "scheduler": _check_scheduler(value.get("scheduler")),
            "steps": _int(value.get("steps", 100), "training.steps", 1, MAX_STEPS),
            "zero_grad": _bool(value.get("zero_grad", True), "training.zero_grad"),
            "data": check_data(value.get("data"))}


def _check_scheduler(s):
    if s is None:
        return None
    if not isinstance(s, dict) or s.get("type") not in SCHEDULERS:
        raise ParamError(f"training.scheduler: expected {{\"type\": one of "
                         f"{', '.join(SCHEDULERS)}, ...}}, got {s!r}")
    spec = SCHEDULERS[s["type"]]
    _known(s, {"type", *spec}, f"training.scheduler ({s['type']})")
    out = {"type": s["type"]}
    for k, d in spec.items():
        if k not in s and d is None:
            raise ParamError(f"{s['type']}: missing argument {k!r}")
        v = s.get(k, d)
        what = f"training.scheduler.{k}"
        out[k] = _int(v, what) if k in ("step_size", "T_max") else _number(v, what)
    return out


def check_data(d):
    if d is None:
        return None
    if not isinstance(d, dict):
        raise ParamError(f"training.data: expected an object, got {d!r}")
    src = d.get("source")
    if src not in SOURCES:
        raise ParamError(f"training.data.source: expected one of {', '.join(SOURCES)}, "
                         f"got {src!r}")
    spec = SOURCES[src]
    _known(d, _DATA_KEYS | set(spec), f"training.data ({src})")
    out = {"source": src}
    for k, default in spec.items():
        v = d.get(k, copy.deepcopy(default))
        what = f"training.data.{k}"
        if k == "n":
            out[k] = _int(v, what, 1, MAX_SAMPLES)
        elif k in ("classes", "target_columns"):
            out[k] = _int(v, what, 1, 1000)
        elif k == "coeffs":
            if not isinstance(v, list) or not v:
                raise ParamError(f"{what}: expected a list of numbers, got {v!r}")
            out[k] = [_number(x, what) for x in v]
        elif k == "path":
            if not isinstance(v, str) or not v:
                raise ParamError(f"{what}: expected a file name, got {v!r}")
            out[k] = v
        elif k == "header":
            if v is not None:
                _bool(v, what)
            out[k] = v  # None: detect (a first line that is not all numbers)
        else:
            out[k] = _number(v, what, nonneg=True)
    out["seed"] = _int(d.get("seed", 0), "training.data.seed", 0, 2**63 - 1)
    bs = d.get("batch_size")
    out["batch_size"] = None if bs is None else _int(bs, "training.data.batch_size")
    out["shuffle"] = _bool(d.get("shuffle", False), "training.data.shuffle")
    for k in ("inputs", "targets"):
        v = d.get(k)
        if v is not None and not isinstance(v, str):
            raise ParamError(f"training.data.{k}: expected a node id, got {v!r}")
        out[k] = v
    return out


def references(setup) -> list[tuple[str, str]]:
    """(field, node id) pairs the setup points at, for the model's node checks."""
    data = (setup or {}).get("data") or {}
    return [(k, data[k]) for k in ("inputs", "targets") if data.get(k) is not None]
