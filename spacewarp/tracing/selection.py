"""Points picked by index (the notebook widget's ``selected``): their input coordinates,
every stage's coordinates and their labels, as NumPy arrays (``Trace.select``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import SpacewarpError


@dataclass(frozen=True)
class Selection:
    """m picked points of a trace of n points (copies, in the order given)."""

    indices: np.ndarray  # (m,) int64 positions among the trace's points
    points: np.ndarray  # (m, d_0) float64 input coordinates (stage 0)
    stages: tuple[np.ndarray, ...]  # [k] (m, d_k) float64: stage k's coordinates
    labels: np.ndarray | None  # (m,) int64 labels, None when the input has none

    def __len__(self) -> int:
        return len(self.indices)


def picked_rows(indices: Sequence[int] | np.ndarray, n: int) -> np.ndarray:
    """Indices (ints, or a boolean mask of length n) -> (m,) int64 in [0, n); a mistake
    says what was given and what would be right."""
    a = np.asarray(indices)
    if a.dtype == bool:
        if a.shape != (n,):
            raise SpacewarpError(f"a boolean selection must have one entry per point ({n}); "
                                 f"got shape {a.shape}", field="selected")
        return np.flatnonzero(a).astype(np.int64)
    if a.size == 0:
        return np.zeros(0, np.int64)
    if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
        raise SpacewarpError(f"select takes a list of point indices (integers) or a boolean "
                             f"mask; got {a.dtype} of shape {a.shape}", field="selected")
    bad = a[(a < 0) | (a >= n)]
    if bad.size:
        raise SpacewarpError(f"point index {int(bad[0])} is out of range; the trace has "
                             f"{n} points (0 to {n - 1})", field="selected")
    return a.astype(np.int64)


def select(stages: Sequence[np.ndarray], labels: np.ndarray | None,
           indices: Sequence[int] | np.ndarray) -> Selection:
    """The rows ``indices`` of every stage's (n, d_k) points and of the (n,) labels."""
    rows = picked_rows(indices, len(stages[0]))
    return Selection(indices=rows, points=stages[0][rows].copy(),
                     stages=tuple(s[rows].copy() for s in stages),
                     labels=None if labels is None else labels[rows].copy())
