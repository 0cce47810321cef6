"""Training on the document, Qt-free: the setup saved in ``Settings.training`` (setup.py), the
data that feeds it (datasets.py) and the loop itself (loop.py) -- PyTorch's loop, step by step:
``optimizer.zero_grad(); loss = model(batch); loss.backward(); optimizer.step()``."""
from __future__ import annotations

from .setup import OPTIMIZERS, SCHEDULERS, SOURCES, check_setup, default_setup

__all__ = ["OPTIMIZERS", "SCHEDULERS", "SOURCES", "check_setup", "default_setup"]
