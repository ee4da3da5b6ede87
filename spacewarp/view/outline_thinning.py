"""A snapshot's region outlines made compact for a page: each vertex once, polygons as
indices into them, zero-length edges dropped.

Neighbouring regions share their vertices (a vertex of a line arrangement bounds three
or four polygons), and at a page's scale many edges of a trained network's partition are
shorter than a pixel. So the vertices are keyed by their place on a grid of
``PIXEL_LEVELS`` steps across each key column's range (a film key's display coordinates:
a step is under a quarter of a pixel of the widest panel a page draws), in every key at
once: vertices in one cell of every key are one vertex (the first of them stands for
all), and a polygon's consecutive vertices that became one are one. A polygon keeps at
least one vertex, so every region is still counted. The page sends the unique vertices
(int16 in every key, as before) and each polygon corner's index (int16 when there are
fewer than 32,768 vertices, else int32).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PIXEL_LEVELS = 8192  # grid steps across a key column's range: under 1/4 px of 2,000 px
HASH_SEED = 19  # the multipliers of the rows' hash (any fixed seed: a page is reproducible)


@dataclass(frozen=True)
class Thinned:
    count: np.ndarray  # (R,) int32 corners of each polygon after thinning
    index: np.ndarray  # (V',) int32: each corner's vertex, polygon after polygon
    keys: tuple[np.ndarray, ...]  # per key (U, d_i) float64: the unique vertices

    @property
    def nbytes(self) -> int:
        """Bytes on a page: int16 vertices in every key, the indices and the counts."""
        width = sum(k.shape[1] for k in self.keys)
        unique = len(self.keys[0]) if self.keys else 0
        return 2 * unique * width + index_bytes(unique) * len(self.index) + 4 * len(self.count)


def index_bytes(unique: int) -> int:
    return 2 if unique < 32_768 else 4


def thinned(count: np.ndarray, keys: tuple[np.ndarray, ...]) -> Thinned:
    """``count`` (R,) corners per polygon and ``keys`` [i] (V, d_i) their coordinates in
    every key -> each vertex once, each polygon as indices, zero-length edges dropped."""
    cells = np.concatenate([_cells(k) for k in keys], axis=1)  # (V, sum d_i) int64
    first, inverse = _same_rows(cells)
    order = np.argsort(first, kind="stable")  # unique vertices in order of first use
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    index = rank[inverse]  # (V,) each corner's unique vertex
    polygon = np.repeat(np.arange(len(count)), count)  # (V,)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])  # (R,)
    # a corner is kept unless it is the vertex before it (the last before the first, round
    # the polygon); a polygon whose corners are all one vertex keeps its first
    before = np.arange(len(index)) - 1
    before[start] = start + count - 1
    keep = index != index[before]
    keep[start] |= ~np.bincount(polygon, weights=keep, minlength=len(count)).astype(bool)
    kept = np.bincount(polygon[keep], minlength=len(count)).astype(np.int32)
    return Thinned(kept, index[keep].astype(np.int32),
                   tuple(np.ascontiguousarray(k[first[order]]) for k in keys))


def _cells(x: np.ndarray) -> np.ndarray:
    """(V, d) coordinates -> (V, d) int64 cells of ``PIXEL_LEVELS`` across each column,
    centred on the grid's steps (rounded, not floored: the column's own ends sit mid-cell,
    so a shared vertex computed twice at an end is not split by a cell's edge)."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    step = np.where(hi > lo, (hi - lo) / PIXEL_LEVELS, 1.0)
    return np.rint((x - lo) / step).astype(np.int64)


def _same_rows(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal rows of ``cells`` (V, d): the first row of each kind (U,) and each row's kind
    (V,). By a 64-bit hash of each row (one sort of V numbers; ``np.unique`` on rows sorts
    structured rows, ten times slower), checked row by row: a collision, never yet seen,
    falls back to ``np.unique`` on the rows."""
    mix = np.random.default_rng(HASH_SEED).integers(1, 2**62, cells.shape[1], dtype=np.int64)
    with np.errstate(over="ignore"):
        hashed = (cells * mix).sum(axis=1)  # (V,) wrapping int64
    _, first, inverse = np.unique(hashed, return_index=True, return_inverse=True)
    if not (cells == cells[first[inverse]]).all():
        _, first, inverse = np.unique(cells, axis=0, return_index=True, return_inverse=True)
    return first, inverse.ravel()
