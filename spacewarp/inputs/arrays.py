"""Read-only arrays: how every immutable result (a ``Trace``'s stages, a training run's data
set, probe, parameters and curves) holds its arrays, so no step edits another's."""

from __future__ import annotations

from typing import Any

import numpy as np


def frozen(a: Any, dtype: Any = None) -> np.ndarray:
    """``a`` as a C-contiguous array (a copy only when it must be one; converted to
    ``dtype`` when given) that cannot be written to."""
    out = np.ascontiguousarray(a, dtype=dtype)
    out.setflags(write=False)
    return out
