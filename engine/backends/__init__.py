"""torch.backends on a CPU-only build: no MPS, no cuDNN (flags settable, as torch's)."""
from __future__ import annotations

from types import SimpleNamespace

mps = SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cudnn = SimpleNamespace(is_available=lambda: False, enabled=True, deterministic=False,
                        benchmark=False, version=lambda: None)
cuda = SimpleNamespace(is_built=lambda: False)
