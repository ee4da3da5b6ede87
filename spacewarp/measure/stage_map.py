"""One stage's affine maps from the input, kept compact: one row per polygon that made it.

A linear stage's map ``x -> A x + c`` is the same for every region that a polygon of the
stage before it splits into, so it is kept once per such polygon; a ReLU stage keeps its
pre-activation's rows and which neurons are on, not a scaled copy. Rows are expanded to
one per region only when asked for (``take``): the regions' memory grows with the regions
and the neurons, not with a copy of every map for every region.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK = 4096  # rows expanded at a time when a linear step is applied to a gated stage


@dataclass(frozen=True)
class StageMap:
    at: np.ndarray  # (N, d0, d_k) A^T, for a gated stage its pre-activation's rows
    c: np.ndarray  # (N, d_k)
    pre_row: np.ndarray | None = None  # gated: (G,) the row of at, c for each of its rows
    on: np.ndarray | None = None  # gated: (G, d_k) bool, the neurons that are on
    slope: float = 0.0  # gated: the slope of the neurons that are off

    def __len__(self) -> int:
        return len(self.c) if self.on is None else len(self.on)

    def take(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The maps of ``rows`` (R,): A (R, d_k, d0), c (R, d_k)."""
        at, c = self.take_t(rows)
        return at.transpose(0, 2, 1), c

    def take_t(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The maps of ``rows`` (R,) as ``at`` (R, d0, d_k), c (R, d_k)."""
        if self.on is None or self.pre_row is None:
            return self.at[rows], self.c[rows]
        pre = self.pre_row[rows]
        gain = np.where(self.on[rows], 1.0, self.slope)  # (R, d_k)
        return self.at[pre] * gain[:, None, :], self.c[pre] * gain

    def then_linear(self, weight: np.ndarray, bias: np.ndarray) -> StageMap:
        """The map of ``W z + b`` after this stage, on the same rows (in chunks: a gated
        stage is never expanded whole)."""
        n, d0, (d_out, d_in) = len(self), self.at.shape[1], weight.shape
        at = np.empty((n, d0, d_out))
        c = np.empty((n, d_out))
        for lo in range(0, n, CHUNK):
            ak, ck = self.take_t(np.arange(lo, min(n, lo + CHUNK)))
            at[lo:lo + CHUNK] = (ak.reshape(-1, d_in) @ weight.T).reshape(len(ak), d0, d_out)
            c[lo:lo + CHUNK] = ck @ weight.T + bias
        return StageMap(at, c)

    def plain(self) -> StageMap:
        """The same maps, one explicit row each."""
        return self if self.on is None else StageMap(*self.take_t(np.arange(len(self))))
