"""Small helpers the modules share."""
from __future__ import annotations

import numpy as np

from ... import _dtype
from ..._tensor import Tensor


def empty(*shape, dtype=None) -> Tensor:
    """torch.empty's role in module constructors: the initialiser fills it right after."""
    d = (dtype or _dtype.get_default_dtype()).np
    return Tensor._make(np.zeros(shape, dtype=d))


def ones(*shape, dtype=None) -> Tensor:
    d = (dtype or _dtype.get_default_dtype()).np
    return Tensor._make(np.ones(shape, dtype=d))
