"""Devices as a CPU-only build of torch has them.

``torch.device('cuda')`` is a valid object in a CPU-only torch; *using* it (creating a tensor
there, ``.to('cuda')``, ``.cuda()``) raises torch's ``AssertionError("Torch not compiled with
CUDA enabled")``. The engine behaves the same, so scripts that pick a device with
``'cuda' if torch.cuda.is_available() else 'cpu'`` run unchanged.
"""
from __future__ import annotations

import re

NO_CUDA = "Torch not compiled with CUDA enabled"
_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
          "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
          "privateuseone")
_DEVICE_RE = re.compile(r"^([a-z]+)(?::(\d+))?$")


class device:  # noqa: N801 - torch's name
    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):  # noqa: A002 - torch's parameter name
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError("Cannot access accelerator device when none is available.")
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({builtins_type(type).__name__})")
        m = _DEVICE_RE.match(type)
        if m is None:
            head = re.match(r"^[a-z]*", type).group(0)
            if head in _TYPES:
                raise RuntimeError(f"Invalid device string: '{type}'")
            raise RuntimeError(
                f"Expected one of {', '.join(_TYPES)} device type at start of device string: "
                f"{type}")
        kind, idx = m.group(1), m.group(2)
        if kind not in _TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_TYPES)} device type at start of device string: "
                f"{type}")
        if idx is not None and index is not None:
            raise RuntimeError(
                f"type (string) must not include an index because index was passed explicitly: "
                f"{type}")
        self.type = kind
        self.index = int(idx) if idx is not None else index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:  # torch: a device never equals a string
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


builtins_type = type
CPU = device("cpu")


def check_device(dev) -> None:
    """Raise torch's CPU-only error for a tensor requested on any device but the CPU."""
    if dev is None:
        return
    if not isinstance(dev, device):
        dev = device(dev)
    if dev.type == "cpu":
        return
    if dev.type == "cuda":
        raise AssertionError(NO_CUDA)
    raise RuntimeError(f"PyTorch is not linked with support for {dev.type} devices")


_default_device = [CPU]


def set_default_device(dev) -> None:
    if dev is not None:
        check_device(dev)  # torch itself only fails later, at the first factory call


def get_default_device() -> device:
    return CPU
