"""What finding a slice point's nearest data row needs: each row's foot on the slice and
its distance from it.

A slice's axes are orthonormal, so for a point ``x = origin + u @ axes`` of the slice and a
data row ``d`` (Pythagoras, the row split into its part along the slice and the rest):

    |x - d|^2 = |u - foot|^2 + offset^2,  foot = (d - origin) @ axes.T,
                                          offset = |d - origin - foot @ axes|

so k + 1 numbers per row answer the question for every point of the slice, whatever D is.
The page's hover uses them (``render/js/hover.js``): one pass over the rows per hover. Rows
beyond ``MAX_ROWS`` are not summarised (the page says so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_ROWS = 100_000  # data rows summarised: 1.8 MB on a page, about 1 ms per hover
CHUNK = 4096  # rows per step: (CHUNK, D) float64 at a time, not the whole (R, D)


@dataclass(frozen=True)
class NearestRows:
    """The data rows as a slice sees them."""

    feet: np.ndarray  # (R, k) float64: each row's orthogonal projection, in slice coordinates
    offsets: np.ndarray  # (R,) float64: each row's distance from the slice
    labels: np.ndarray | None  # (R,) int64, where the data have labels

    def __post_init__(self) -> None:
        for arr in (self.feet, self.offsets, self.labels):
            if arr is not None:
                arr.setflags(write=False)

    @property
    def count(self) -> int:
        return int(self.offsets.shape[0])


def nearest_rows(origin: np.ndarray, axes: np.ndarray, x: np.ndarray,
                 labels: np.ndarray | None = None) -> NearestRows | None:
    """The feet and offsets of the rows of ``x`` (R, D) from the slice ``origin`` (D,),
    ``axes`` (k, D) orthonormal; None beyond ``MAX_ROWS`` rows."""
    if len(x) > MAX_ROWS:
        return None
    feet = np.empty((len(x), len(axes)))
    offsets = np.empty(len(x))
    for start in range(0, len(x), CHUNK):
        rel = x[start:start + CHUNK] - origin  # (c, D)
        foot = rel @ axes.T  # (c, k)
        # offset^2 = |rel|^2 - |foot|^2: faster than the residual's norm (100,000 rows of
        # 784: 0.4-2 s against 1.3-6 s, 2 cores at load 7-9); a row on the slice gets
        # about sqrt(eps) |rel| (1e-6 for a digit), not 0
        square = np.einsum("ij,ij->i", rel, rel) - np.einsum("ij,ij->i", foot, foot)
        offsets[start:start + CHUNK] = np.sqrt(np.maximum(square, 0.0))
        feet[start:start + CHUNK] = foot
    lab = None if labels is None else np.asarray(labels, dtype=np.int64).copy()
    return NearestRows(feet, offsets, lab)
