"""Compiled loops for the signs of a layer's neurons over many map rows: which neurons'
lines cross the bounding box of some row's polygons (``graph_walk.crossing_neurons``),
which are positive at each polygon's centroid (``layer_split.active``), and the regions'
patterns gathered from every layer's bits (``patterns``).

In numpy both gathered each row's whole map, (rows, d0, n) a block at a time, to read two
or four values per neuron; on the trained digits slice's second ReLU (55,420 rows of 256
neurons) that was 0.35 of 2.4 CPU s. Here each row is read in place, blocks of ``BLOCK``
rows on numba's threads (``prange``; each block writes only its own rows), with the same
arithmetic in the same order as the numpy it replaces (the products over d0 summed from
0, then the offset), so the signs are the same. numba (``cache=True``), imported only
where regions are cut. The patterns (128,689 x 1,536 bools on the digits slice) were
numpy gathers and a concatenation: 0.08 to 0.5 CPU s as its temporaries' pages were
found or not; written in place, row slices on the threads, 0.05 to 0.08. An MLP's
(37,357 x 512 on 2,256,256,1) stay numpy's: one thread, numpy's copy is as fast.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .first_compile import note_first_compile

note_first_compile(__file__)  # before the first call compiles: say why it waits

BLOCK = 256  # map rows (polygons) per task on the threads (here and in max_loops)
THREADS_FROM = 1 << 22  # numbers a loop reads or writes before it goes to the threads


@njit(cache=True)
def row_boxes(verts, count, row, n_rows):
    """The bounding box of each map row's polygons: lo, hi (n_rows, d0), +-inf for a row
    with no polygon; polygon q (``count[q]`` corners of ``verts`` (P, M, d0)) is row
    ``row[q]``'s."""
    d0 = verts.shape[2]
    lo = np.full((n_rows, d0), np.inf)
    hi = np.full((n_rows, d0), -np.inf)
    for q in range(len(count)):
        r = row[q]
        for k in range(count[q]):
            for d in range(d0):
                lo[r, d] = min(lo[r, d], verts[q, k, d])
                hi[r, d] = max(hi[r, d], verts[q, k, d])
    return lo, hi


def box_crossing(lo: np.ndarray, hi: np.ndarray, used: np.ndarray, at: np.ndarray,
                 c: np.ndarray) -> np.ndarray:
    """(n,) bool: neuron j's value ``x . at[r, :, j] + c[r, j]`` is positive at one corner
    and negative at another of the box lo, hi (U, d0) of row ``used[k]`` (U,), for some
    k; ``at`` (N, d0, n), c (N, n). d0 is 1 or 2."""
    n_used, n = len(used), at.shape[2]
    if not on_threads(n_used * n):
        hit = np.zeros((1, n), dtype=bool)
        _box_crossing_rows(lo, hi, used, at, c, 0, n_used, hit[0])
    else:
        hit = _box_crossing_threads(lo, hi, used, at, c)
    return np.asarray(hit.any(axis=0))


@njit(cache=True, parallel=True)
def _box_crossing_threads(lo, hi, used, at, c):
    """``box_crossing`` by blocks of rows on the threads: (blocks, n), each block's own."""
    blocks = (len(used) + BLOCK - 1) // BLOCK
    hit = np.zeros((blocks, at.shape[2]), dtype=np.bool_)
    for b in prange(blocks):
        _box_crossing_rows(lo, hi, used, at, c, b * BLOCK, min(len(used), (b + 1) * BLOCK),
                           hit[b])
    return hit


@njit(cache=True)
def _box_crossing_rows(lo, hi, used, at, c, first, last, hit):
    """``box_crossing`` of rows ``used[first:last]``, or-ed into hit (n,)."""
    d0, n = at.shape[1], at.shape[2]
    for k in range(first, last):
        r = used[k]
        for j in range(n):
            pos, neg = False, False
            for corner in range(1 << d0):  # bit d: hi (else lo) along axis d
                s = 0.0
                for d in range(d0):
                    x = hi[k, d] if (corner >> d) & 1 else lo[k, d]
                    s += x * at[r, d, j]
                s += c[r, j]
                pos |= s > 0
                neg |= s < 0
            hit[j] |= pos and neg


def centre_signs(centre: np.ndarray, row: np.ndarray, at: np.ndarray, c: np.ndarray
                 ) -> np.ndarray:
    """(P, n) bool: ``centre[q] . at[row[q], :, j] + c[row[q], j] > 0``, centre (P, d0),
    row (P,), at (N, d0, n), c (N, n)."""
    on = np.empty((len(row), at.shape[2]), dtype=bool)
    if on_threads(on.size):
        _centre_signs_threads(centre, row, at, c, on)
    else:
        _centre_signs_rows(centre, row, at, c, 0, len(row), on)
    return on


@njit(cache=True, parallel=True)
def _centre_signs_threads(centre, row, at, c, on):
    for b in prange((len(row) + BLOCK - 1) // BLOCK):
        _centre_signs_rows(centre, row, at, c, b * BLOCK, min(len(row), (b + 1) * BLOCK), on)


@njit(cache=True)
def _centre_signs_rows(centre, row, at, c, first, last, on):
    """``centre_signs`` of polygons first to last, into on."""
    d0, n = at.shape[1], at.shape[2]
    s = np.empty(n)
    for q in range(first, last):
        r = row[q]
        s[:] = 0.0
        for d in range(d0):  # d outermost: each row of at[r] read in order
            x = centre[q, d]
            for j in range(n):
                s[j] += x * at[r, d, j]
        for j in range(n):
            on[q, j] = s[j] + c[r, j] > 0


def patterns(n: int, bits: list[np.ndarray], rows: list[np.ndarray]) -> np.ndarray:
    """(n, sum of widths) bool: region q's bits of each layer, ``bits[k][rows[k][q]]``
    side by side (``bits[k]`` (N_k, width_k) bool, ``rows[k]`` (n,)). Small ones (an
    MLP's) by numpy's gathers, large ones written in place by the threads."""
    width = sum(b.shape[1] for b in bits)
    if not bits:
        return np.zeros((n, 0), dtype=bool)
    if not on_threads(n * width // 8):  # bytes, copied 8 at a time
        return np.concatenate([b[r] for b, r in zip(bits, rows, strict=True)], axis=1)
    out = np.empty((n, width), dtype=bool)
    start = 0
    for b, r in zip(bits, rows, strict=True):
        _gather_threads(out, start, np.ascontiguousarray(b, dtype=bool),
                        np.ascontiguousarray(r, dtype=np.int64))
        start += b.shape[1]
    return out


@njit(cache=True, parallel=True)
def _gather_threads(out, start, bits, rows):
    for b in prange((len(rows) + BLOCK - 1) // BLOCK):
        _gather_rows(out, start, bits, rows, b * BLOCK, min(len(rows), (b + 1) * BLOCK))


@njit(cache=True)
def _gather_rows(out, start, bits, rows, first, last):
    """out[q, start:start + width] = bits[rows[q]] for q from first to last."""
    width = bits.shape[1]
    for q in range(first, last):
        out[q, start:start + width] = bits[rows[q]]


def on_threads(values: int) -> bool:
    """Whether a loop over ``values`` numbers runs on numba's threads: below
    ``THREADS_FROM`` a launch costs more CPU than it saves (the idle thread spins a while
    after it; the MLPs of bench_measure paid 30% more CPU s for their few small calls)."""
    return values >= THREADS_FROM
