"""GradCanvas's autograd engine: torch.autograd's semantics on NumPy.

Code written against the supported subset of torch runs unchanged with ``import engine as
torch``. This package imports no Qt (a test enforces it).
"""
from __future__ import annotations

from . import _dtype
from ._dtype import (bool, double, dtype, float, float16, float32, float64, get_default_dtype,
                     half, int, int8, int16, int32, int64, long, set_default_dtype, short, uint8)
from ._formatting import get_printoptions, set_printoptions
from ._random import Generator, default_generator, initial_seed, manual_seed
from ._device import device
from ._tensor import Size, Tensor
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,
                                 is_inference_mode_enabled, no_grad, set_grad_enabled)
from .ops import FUNCTIONS as _FUNCTIONS  # importing ops binds Tensor methods and operators

globals().update(_FUNCTIONS)  # engine.add, engine.matmul, ... (each op module's __all__)

from . import autograd, nn, optim  # noqa: E402
# -- nn helper (issue 11 part A): torch.utils.data
from . import utils  # noqa: E402

# -- tensorapi (issue 11 part B): devices, legacy constructors, save/load ---------------------
from . import backends, cuda, linalg  # noqa: E402
from ._device import get_default_device, set_default_device  # noqa: E402
from ._legacy import (BoolTensor, ByteTensor, CharTensor, DoubleTensor,  # noqa: E402
                      FloatTensor, HalfTensor, IntTensor, LongTensor, ShortTensor)
from .serialization import load, save  # noqa: E402
# -- end tensorapi ---------------------------------------------------------------------------
__version__ = "0.1.0"


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


del _dtype, _FUNCTIONS
