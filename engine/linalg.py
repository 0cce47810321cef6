"""torch.linalg: the norms (vector_norm, matrix_norm, norm). Decompositions are not implemented."""
from __future__ import annotations

from .ops.linalg import linalg_norm as norm
from .ops.linalg import matrix_norm, vector_norm

__all__ = ["norm", "vector_norm", "matrix_norm"]
