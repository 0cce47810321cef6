"""What Tensor's in-place methods (zero_, fill_, copy_, the random fills, +=) lean on: their
derivative nodes, the dtype cast rule and names in torch's messages, and the view-of-a-leaf check.
Split out of _tensor.py, which re-exports these names; this module never needs Tensor itself.
"""
from __future__ import annotations

import numpy as np

from . import _dtype
from .autograd.graph import AccumulateGrad, Node


def _random_top(npd) -> int:
    """random_()'s upper bound: the largest integer the dtype holds exactly, plus one."""
    if npd.kind == "f":
        return 2 ** {2: 11, 4: 24, 8: 53}[npd.itemsize] + 1
    if npd.kind == "b":
        return 2
    return int(np.iinfo(npd).max) + 1 if npd.itemsize < 8 else 2**63 - 1


_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                 "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                 "bool": "Bool"}


# the C++ type names torch prints for a dtype in some messages
_META_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
               "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
               "uint8": "unsigned char", "bool": "bool"}


# grad_fns of view ops: a tensor whose chain of these ends at a leaf's AccumulateGrad is a
# view of that leaf (torch keeps a base pointer; walking the edges gives the same answer)
_VIEW_NODES = frozenset((
    "ViewBackward0", "TransposeBackward0", "PermuteBackward0", "TBackward0",
    "UnsqueezeBackward0", "SqueezeBackward0", "SqueezeBackward1", "SqueezeBackward2",
    "ExpandBackward0", "SelectBackward0", "SliceBackward0", "AliasBackward0",
    "SplitBackward0", "SplitWithSizesBackward0", "ReshapeAliasBackward0", "UnbindBackward0"))


def _views_a_leaf(fn) -> bool:
    while type(fn).__name__ in _VIEW_NODES:
        fn = fn.next_functions[0][0]
        if type(fn) is AccumulateGrad:
            return True
    return False


_INTERNAL_OVERLAP = (
    "unsupported operation: more than one element of the written-to tensor refers to a single "
    "memory location. Please clone() the tensor before performing the operation.")
_PARTIAL_OVERLAP = (
    "unsupported operation: some elements of the input tensor and the written-to tensor refer "
    "to a single memory location. Please clone() the tensor before performing the operation.")

def _can_cast(src, dst) -> bool:
    """torch's canCast: no float -> integral/bool, no integral -> bool."""
    if dst.kind == "b":
        return src.kind == "b"
    if dst.kind in "iu":
        return src.kind in "iub"
    return True


class _ZeroGradNode(Node):
    """In-place ops whose result does not depend on the old value: self's grad is zero."""

    __slots__ = ()
    saves = False

    def backward(self, F, g):
        return (F.zeros_like(g),) + (None,) * (len(self.next_functions) - 1)


class ZeroBackward0(_ZeroGradNode):
    __slots__ = ()


class FillBackward2(_ZeroGradNode):
    __slots__ = ()


class UniformBackward0(_ZeroGradNode):
    __slots__ = ()


class NormalBackward0(_ZeroGradNode):
    __slots__ = ()


class RandomBackward0(_ZeroGradNode):
    __slots__ = ()


class BernoulliBackward2(_ZeroGradNode):
    __slots__ = ()


class ExponentialBackward0(_ZeroGradNode):
    __slots__ = ()


class FillBackward3(Node):
    __slots__ = ()
    saves = False

    def backward(self, F, g):
        return (F.zeros_like(g) if self.needs(0) else None,
                F.sum(g) if self.needs(1) else None)


class CopyBackwards(Node):
    __slots__ = ("src_meta",)
    saves = False

    def name(self) -> str:
        return "torch::autograd::CopyBackwards"

    def backward(self, F, g):
        gs = None
        if len(self.next_functions) > 1 and self.needs(1):
            shape, dtype = self.src_meta
            gs = F.sum_to(g, shape)
            if gs.dtype != dtype:
                gs = gs.astype(dtype) if not F.is_tensor else gs.to(
                    _dtype.from_numpy_dtype(dtype))
        return (F.zeros_like(g) if self.needs(0) else None,) + (
            (gs,) if len(self.next_functions) > 1 else ())
