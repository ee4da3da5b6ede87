"""Display coordinates of one stage: the points themselves up to 3-D, else a PCA projection.

Wider stages than 3-D are shown through a fixed PCA projection to 3-D (one per stage,
signs made deterministic); ``pad`` embeds lower-dimensional points in a larger display
dimension by zero padding, so a 2-D plane visibly lifts into 3-D and flattens back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_DISPLAY_DIM = 3


@dataclass(frozen=True)
class Projection:
    """An affine map from a stage's space to its display space: ``(x - mean) @ axes.T``.

    For stages of at most 3-D it is the identity (``axes`` is None).
    """

    mean: np.ndarray | None = None  # (d,)
    axes: np.ndarray | None = None  # (3, d): the top principal directions, one per row

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """(m, d) -> (m, min(d, 3))."""
        if self.axes is None or self.mean is None:
            return points
        return (points - self.mean) @ self.axes.T


def projection(points: np.ndarray) -> Projection:
    """The display projection of a stage's points (n, d): identity up to 3-D, else PCA."""
    if points.shape[1] <= MAX_DISPLAY_DIM:
        return Projection()
    mean = points.mean(axis=0)
    # right singular vectors of the centred cloud: (d, d); keep the first three directions
    _, _, vt = np.linalg.svd(points - mean, full_matrices=False)
    axes = vt[:MAX_DISPLAY_DIM].copy()
    # deterministic signs: the largest loading of every direction is positive
    biggest = np.abs(axes).argmax(axis=1)
    axes *= np.sign(axes[np.arange(len(axes)), biggest])[:, None]
    return Projection(mean, axes)


def display_coords(points: np.ndarray) -> np.ndarray:
    """(n, d) -> (n, min(d, 3)): the points themselves up to 3-D, else their top-3 PCA scores."""
    return projection(points)(points)


def pad(points: np.ndarray, dim: int) -> np.ndarray:
    """(n, d) -> (n, dim) with zeros in the new coordinates (d <= dim)."""
    n, d = points.shape
    if d == dim:
        return points
    out = np.zeros((n, dim), dtype=points.dtype)
    out[:, :d] = points
    return out
