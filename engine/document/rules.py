"""The document's rules as plain functions, each written once: the model applies them to
every edit, the file format (fileformat.check_document) to every field of a file, with its
JSON path. Messages are PyTorch's words or plain English."""
from __future__ import annotations

from . import catalog
from .errors import CycleError, InvalidWireError, ParamError, PortOccupiedError

FLAGS = ("requires_grad", "retain_grad", "frozen_output", "frozen")
SETTINGS = ("grad_enabled", "root", "seed", "retain_graph", "training")


def check_flag(spec, flag, value) -> None:
    if flag not in FLAGS:
        raise ParamError(f"unknown flag {flag!r} (expected one of {', '.join(FLAGS)})")
    if not isinstance(value, bool):
        raise ParamError(f"{flag}: expected true or false, got {value!r}")
    if flag == "requires_grad" and value and not spec.is_source:
        raise ParamError(
            f"requires_grad can only be set on leaves (source ops), not on {spec.key}: "
            "you can only change requires_grad flags of leaf variables")
    if flag == "frozen" and value and not spec.is_source:
        raise ParamError(
            f"frozen applies to leaves (a parameter whose tracking is switched off), not "
            f"to {spec.key}: freeze an op's output with frozen_output (acts as .detach())")


def port_refusal(spec, port, index) -> InvalidWireError | None:
    """Why input ``port`` slot ``index`` of a ``spec`` node cannot take a wire, or None."""
    p = spec.port(port) if isinstance(port, str) else None
    if p is None:
        ports = ", ".join(q.name for q in spec.inputs) or "none"
        return InvalidWireError(f"{spec.key} has no input {port!r} (inputs: {ports})")
    if not catalog._is_int(index) or index < 0 or (index and not p.variadic):
        return InvalidWireError(f"invalid slot {index!r} for input {port!r} of {spec.key}")
    return None


def self_loop() -> CycleError:
    return CycleError("a node cannot feed itself (the graph must stay acyclic)")


def cycle(src_name: str, dst_name: str) -> CycleError:
    return CycleError(f"wiring {src_name} -> {dst_name} would create a cycle")


def occupied(port: str, dst_name: str, src_name: str) -> PortOccupiedError:
    return PortOccupiedError(f"input {port!r} of {dst_name} is already connected "
                             f"(from {src_name})")


def setting_value(name, value):
    """The normalized value of setting ``name`` (``root``'s node is checked by the caller)."""
    if name in ("grad_enabled", "retain_graph"):
        if not isinstance(value, bool):
            raise ParamError(f"{name}: expected true or false, got {value!r}")
    elif name == "seed":
        if not (value is None or value == "ones"):
            try:
                catalog._literal_shape(value, "seed")
            except ParamError:
                raise ParamError(
                    f"seed: expected 'ones', null or a list of numbers, got {value!r}"
                ) from None
            value = catalog._as_list(value)
    elif name == "training":  # the training setup (training/setup.py): None or an object
        from .training.setup import check_setup
        value = check_setup(value)
    elif name != "root":
        raise ParamError(f"unknown setting {name!r}")
    return value


def pos(value) -> tuple[float, float]:
    try:
        x, y = value
        return (float(x), float(y))
    except (TypeError, ValueError):
        raise ParamError(f"expected a position (x, y), got {value!r}") from None


def rect(value):
    if value is None:
        return None
    try:
        x, y, w, h = value
        return (float(x), float(y), float(w), float(h))
    except (TypeError, ValueError):
        raise ParamError(f"expected a rectangle (x, y, w, h), got {value!r}") from None
