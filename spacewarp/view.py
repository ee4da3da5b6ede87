"""Display coordinates per stage and morph paths between stages. Arrays only, no drawing.

Wider stages than 3-D are shown through a fixed PCA projection to 3-D; a morph
between stages of different dimension embeds both ends in the larger dimension by
zero padding, so a 2-D plane visibly lifts into 3-D and flattens back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .trace import Trace

MAX_DISPLAY_DIM = 3


def display_coords(points: np.ndarray) -> np.ndarray:
    """(n, d) -> (n, min(d, 3)): the points themselves up to 3-D, else their top-3 PCA scores."""
    if points.shape[1] <= MAX_DISPLAY_DIM:
        return points
    centred = points - points.mean(axis=0)
    # right singular vectors of the centred cloud: (d, d); keep the first three directions
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:MAX_DISPLAY_DIM].T  # (n, 3)


def pad(points: np.ndarray, dim: int) -> np.ndarray:
    """(n, d) -> (n, dim) with zeros in the new coordinates (d <= dim)."""
    n, d = points.shape
    if d == dim:
        return points
    out = np.zeros((n, dim), dtype=points.dtype)
    out[:, :d] = points
    return out


@dataclass(frozen=True)
class Morph:
    """A straight path from one stage to the next, in a shared display dimension.

    ``at(0)`` is exactly ``start`` and ``at(1)`` exactly ``end``. For a linear stage
    this is ``(1 - t) x + t (W x + b)``, for an activation ``(1 - t) x + t f(x)``.
    """

    start: np.ndarray  # (n, D) float64
    end: np.ndarray  # (n, D) float64
    from_stage: int
    to_stage: int
    title: str

    def at(self, t: float) -> np.ndarray:
        """(n, D) points at time t in [0, 1]; the ends are returned exactly."""
        if t <= 0.0:
            return self.start
        if t >= 1.0:
            return self.end
        return self.start + t * (self.end - self.start)

    @property
    def dim(self) -> int:
        return int(self.start.shape[1])


def morphs(trace: Trace) -> tuple[Morph, ...]:
    """One morph per stage transition, between display coordinates."""
    shown = [display_coords(s.points) for s in trace.stages]
    out = []
    for k in range(1, len(shown)):
        dim = max(shown[k - 1].shape[1], shown[k].shape[1])
        out.append(Morph(pad(shown[k - 1], dim), pad(shown[k], dim), k - 1, k,
                         trace.stages[k].title))
    return tuple(out)


def lattice_lines(points: np.ndarray, grid_shape: tuple[int, int]) -> np.ndarray:
    """Polylines along the lattice rows and columns, NaN-separated, for one line artist/trace.

    ``points`` (rows*cols, D) in lattice order -> (rows*(cols+1) + cols*(rows+1), D): every
    row of the lattice, then every column, each followed by a NaN row. Neighbours joined
    are the same lattice neighbours in every stage and frame.
    """
    rows, cols = grid_shape
    d = points.shape[1]
    lattice = points.reshape(rows, cols, d)
    gap_r = np.full((rows, 1, d), np.nan)
    gap_c = np.full((cols, 1, d), np.nan)
    along_rows = np.concatenate([lattice, gap_r], axis=1).reshape(-1, d)  # (rows*(cols+1), D)
    along_cols = np.concatenate([lattice.transpose(1, 0, 2), gap_c], axis=1).reshape(-1, d)
    return np.concatenate([along_rows, along_cols])
