"""One stage's affine maps from the input, kept compact: one row per polygon that made it.

A linear stage's map ``x -> A x + c`` is the same for every region that a polygon of the
stage before it splits into, so it is kept once per such polygon; a ReLU stage keeps its
pre-activation's rows and which neurons are on, not a scaled copy. Rows are expanded to
one per region only when asked for (``take``): the regions' memory grows with the regions
and the neurons, not with a copy of every map for every region. A linear step after a
ReLU stage is, after a 2-D cut, a walk along a spanning tree of neighbouring pieces (one
neuron apart; compiled, ``tree_loops``); otherwise a product with W or corrections from
one row per polygon, by a cost model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrangement import spanning_tree

CHUNK = 4096  # rows expanded at a time when a linear step is applied to a gated stage
# Costs in BLAS multiply-adds: numpy's element-wise work per value, a gathered value.
ELEMENTWISE_COST, GATHER_COST = 40, 20  # measured: docs/REGIONS.md
SPARSE_FIXED_COST = 2_000_000  # the corrections' own calls (unique, segments), in BLAS MACs
# ``_tree_linear`` is taken from this many inputs and outputs: compiled, it beats the
# product and the corrections on every shape measured (docs/REGIONS.md), so from any size
# where neighbouring pieces are known (tests raise these to reach the other two ways)
TREE_MIN_IN, TREE_MIN_OUT = 0, 0


@dataclass(frozen=True)
class StageMap:
    at: np.ndarray  # (N, d0, d_k) A^T, for a gated stage its pre-activation's rows
    c: np.ndarray  # (N, d_k)
    pre_row: np.ndarray | None = None  # gated: (G,) the row of at, c for each of its rows
    on: np.ndarray | None = None  # gated: (G, d_k) bool, the neurons that are on
    slope: float = 0.0  # gated: the slope of the neurons that are off
    # gated, optional: each row's polygon before the cut (G,), and the pairs of rows whose
    # on-bits differ in one neuron (S, 3) (layer_split.Pieces): for ``_tree_linear``
    sides: tuple[np.ndarray, np.ndarray] | None = None

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
        """The map of ``W z + b`` after this stage, on the same rows. A gated stage's rows
        that share a pre-activation row differ in a few neurons only (those whose line
        crosses that row's polygon): then each row is the first such row's map plus a
        correction per differing neuron, not a product with all of W."""
        if self.sides is not None and len(self.sides[1]) and _tree_is_cheaper(weight):
            return self._tree_linear(weight, bias)
        if self.on is not None and self.pre_row is not None:
            first, inverse, flips = self._reference()
            if _sparse_is_cheaper(len(flips[0]), self.on.shape, self.at.shape[1], weight):
                return self._sparse_linear(weight, bias, first, inverse, flips)
        return self._dense_linear(weight, bias)

    def _dense_linear(self, weight: np.ndarray, bias: np.ndarray) -> StageMap:
        n, d0, (d_out, d_in) = len(self), self.at.shape[1], weight.shape
        at = np.empty((n, d0, d_out))
        c = np.empty((n, d_out))
        for lo in range(0, n, CHUNK):  # a gated stage is never expanded whole
            ak, ck = self.take_t(np.arange(lo, min(n, lo + CHUNK)))
            at[lo:lo + CHUNK] = (ak.reshape(-1, d_in) @ weight.T).reshape(len(ak), d0, d_out)
            c[lo:lo + CHUNK] = ck @ weight.T + bias
        return StageMap(at, c)

    def _reference(self) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """For a gated stage: the first row of each pre-activation row (U,), each row's
        index into those (G,), and the (row, neuron) pairs that differ from it."""
        assert self.on is not None and self.pre_row is not None
        _, first, inverse = np.unique(self.pre_row, return_index=True, return_inverse=True)
        row, neuron = np.nonzero(self.on != self.on[first[inverse]])  # sorted by row
        return first, inverse, (row, neuron)

    def _sparse_linear(self, weight: np.ndarray, bias: np.ndarray, first: np.ndarray,
                       inverse: np.ndarray, flips: tuple[np.ndarray, np.ndarray]) -> StageMap:
        assert self.on is not None and self.pre_row is not None
        base = StageMap(self.at, self.c, self.pre_row[first], self.on[first], self.slope)
        dense = base._dense_linear(weight, bias)  # (U, d0, d_out): the reference rows
        at, c = dense.at[inverse], dense.c[inverse]  # (G, d0, d_out), (G, d_out)
        g, j = flips
        for lo, hi in _segments(g, CHUNK * 16):  # pairs of whole rows at a time
            gk, jk = g[lo:hi], j[lo:hi]
            step = np.where(self.on[gk, jk], 1.0 - self.slope, self.slope - 1.0)  # (K,)
            rows = self.pre_row[gk]
            w = weight[:, jk].T  # (K, d_out)
            dat = (self.at[rows, :, jk] * step[:, None])[:, :, None] * w[:, None, :]
            dc = (self.c[rows, jk] * step)[:, None] * w
            starts = np.flatnonzero(np.r_[True, gk[1:] != gk[:-1]])
            at[gk[starts]] += np.add.reduceat(dat, starts, axis=0)
            c[gk[starts]] += np.add.reduceat(dc, starts, axis=0)
        return StageMap(at, c)

    def _tree_linear(self, weight: np.ndarray, bias: np.ndarray) -> StageMap:
        """``then_linear`` along the tree: the rows without a parent as their gated pre-
        activation row times W, then, parents first, each row as its parent's map plus
        the change of one neuron's gain (a rank-one term): one row of W per row. Both
        are compiled loops (``tree_loops``)."""
        assert self.on is not None and self.pre_row is not None and self.sides is not None
        from . import tree_loops  # numba: paid only where regions are cut

        parent, flip, depth = spanning_tree(*self.sides)
        at = np.empty((len(self), self.at.shape[1], weight.shape[0]))
        c = np.empty((len(self), weight.shape[0]))
        # contiguous float64 / int64 inputs, all read-only (a view, no copy): one compiled
        # version for every caller (a writable array is another numba type, compiled again)
        w_t = _loop_input(weight.T, np.float64)  # (d_in, d_out)
        pre_row, on = _loop_input(self.pre_row, np.int64), _loop_input(self.on, np.bool_)
        pre_at, pre_c = _loop_input(self.at, np.float64), _loop_input(self.c, np.float64)
        tree_loops.fill_roots(at, c, np.flatnonzero(parent < 0), pre_row, on, float(self.slope),
                              pre_at, pre_c, w_t, _loop_input(bias, np.float64))
        tree_loops.fill_tree(at, c, np.argsort(depth, kind="stable"), parent, flip, pre_row,
                             on, float(self.slope), pre_at, pre_c, w_t)
        return StageMap(at, c)

    def plain(self) -> StageMap:
        """The same maps, one explicit row each."""
        return self if self.on is None else StageMap(*self.take_t(np.arange(len(self))))


def _loop_input(a: np.ndarray, dtype: type) -> np.ndarray:
    """``a`` as a C-contiguous, read-only ``dtype`` array (a view where it already is one)."""
    out: np.ndarray = np.ascontiguousarray(a, dtype).view()
    out.flags.writeable = False
    return out


def _segments(rows: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Cut sorted ``rows`` into slices of about ``size`` that never split a row's run."""
    cuts = [0]
    while cuts[-1] < len(rows):
        end = min(len(rows), cuts[-1] + size)
        if end < len(rows):  # move to the end of that row's run
            end = int(np.searchsorted(rows, rows[end - 1], side="right"))
        cuts.append(end)
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def _sparse_is_cheaper(pairs: int, gated: tuple[int, ...], d0: int,
                       weight: np.ndarray) -> bool:
    """Whether per-neuron corrections (``pairs`` of them, element-wise numpy) cost less
    than the product of every gated row with W (BLAS, after a gather): measured on 2,256,
    256,1 and 2,128,128,128,3 (docs/REGIONS.md)."""
    (rows, d_in), d_out = gated, weight.shape[0]
    sparse = pairs * (d0 * d_out + 8) * ELEMENTWISE_COST + SPARSE_FIXED_COST
    dense = rows * d0 * d_in * (d_out + GATHER_COST)
    return sparse < dense


def _tree_is_cheaper(weight: np.ndarray) -> bool:
    """Whether ``_tree_linear`` (one row of W per row, one compiled pass) is taken over
    a product of every row with W (BLAS) or the corrections: from TREE_MIN_IN inputs and
    TREE_MIN_OUT outputs (docs/REGIONS.md)."""
    d_out, d_in = weight.shape
    return d_in >= TREE_MIN_IN and d_out >= TREE_MIN_OUT
