"""Per-stage numbers: what a stage did to space. Arrays in, arrays out; nothing drawn.

For now the stretch of a linear stage; folds and the linear regions of ReLU networks
belong here next.
"""

from __future__ import annotations

import numpy as np


def singular_values(weight: np.ndarray) -> np.ndarray:
    """(d_out, d_in) -> (min(d_out, d_in),): how much ``W`` stretches space along its
    principal directions, largest first."""
    return np.linalg.svd(np.asarray(weight, dtype=np.float64), compute_uv=False)
