"""engine.nn.functional: activations and losses, torch.nn.functional's names and semantics."""
from __future__ import annotations
