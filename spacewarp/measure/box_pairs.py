"""Which boxes of one set overlap which boxes of another, by a grid of cells, not all pairs.

Both sets are axis-aligned boxes in a plane, each in a group (a snapshot): a pair is a
candidate when the two are in the same group and share a cell of a ``side`` x ``side``
grid over ``bounds`` (boxes past the grid are clipped to its edge cells). Work grows with
the cells the boxes cover, not with the product of the sets: for a training's 230,000
regions against 1,200 points that is under a million pairs, not 276 million. A set's
cells are found once (``Boxes.cells``) and serve every search against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Grid:
    bounds: tuple[float, float, float, float]  # x0, x1, y0, y1
    side: int  # cells per side
    groups: int  # group indices are 0 .. groups - 1


@dataclass(frozen=True)
class Boxes:
    lo: np.ndarray  # (n, 2) low corners
    hi: np.ndarray  # (n, 2) high corners
    group: np.ndarray  # (n,) int
    grid: Grid

    @cached_property
    def cells(self) -> tuple[np.ndarray, np.ndarray]:
        """Every (box, cell) that a box covers: the box's index (K,) and the cell's key
        (K,) (the group, then the cell's row and column)."""
        g = self.grid
        origin = np.array([g.bounds[0], g.bounds[2]])
        size = np.array([g.bounds[1] - g.bounds[0], g.bounds[3] - g.bounds[2]]) / g.side
        c0 = np.clip(np.floor((self.lo - origin) / size), 0, g.side - 1).astype(np.int64)
        c1 = np.clip(np.floor((self.hi - origin) / size), 0, g.side - 1).astype(np.int64)
        nx, ny = c1[:, 0] - c0[:, 0] + 1, c1[:, 1] - c0[:, 1] + 1
        per = nx * ny  # (n,) cells per box
        box = np.repeat(np.arange(len(self.lo)), per)
        k = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)  # in the box
        cx, cy = c0[box, 0] + k % nx[box], c0[box, 1] + k // nx[box]
        return box, (self.group[box].astype(np.int64) * g.side + cy) * g.side + cx


def box_pairs(a: Boxes, b: Boxes) -> tuple[np.ndarray, np.ndarray]:
    """The (i, j) pairs (each once) of boxes ``a[i]`` and ``b[j]`` (on one grid) that
    overlap and whose groups are equal."""
    ia, key_a = a.cells
    ib, key_b = b.cells
    g = a.grid
    order = np.argsort(key_b, kind="stable")  # b's boxes listed by cell: a dense table
    per_cell = np.bincount(key_b, minlength=g.groups * g.side * g.side)
    first = np.cumsum(per_cell) - per_cell
    n, lo = per_cell[key_a], first[key_a]  # (K,) the b boxes in each of a's cells
    i = np.repeat(ia, n)
    j = ib[order[np.repeat(lo - np.cumsum(n) + n, n) + np.arange(int(n.sum()))]]
    overlap = ((a.lo[i] <= b.hi[j]) & (b.lo[j] <= a.hi[i])).all(axis=1)
    i, j = i[overlap], j[overlap]
    if len(ia) == len(a.lo) or len(ib) == len(b.lo):  # one cell each: no pair twice
        return i, j
    pair = np.unique(i.astype(np.int64) * max(1, len(b.lo)) + j)
    return pair // max(1, len(b.lo)), pair % max(1, len(b.lo))
