"""Splitting every polygon by every neuron of a layer: the one expensive step of the regions.

A layer's neurons are lines ``A_j x + c_j = 0`` that differ per polygon (each polygon
carries its own map). Most lines miss most polygons, so each polygon first lists the
neurons that can cross it: a bound from its enclosing circle (centre o, radius r: the line
misses it when ``|A_j o + c_j| > r |A_j|``), then the exact test on its vertices. In 2-D,
``arrangement`` then cuts every polygon by all of its lines at once. Intervals, and
polygons that the arrangement finds degenerate, are cut in rounds: every polygon with
neurons left is cut by its next one, all polygons at once; finished pieces leave the
batch; every ``RELIST_EVERY`` rounds the pieces list their remaining neurons again from
their own (smaller) circles. Work grows with the pieces and the lines that cross them,
not with polygons x neurons x vertices (docs/REGIONS.md has the measurements).

The region cap lives here too: an estimate before each layer's cuts, and a hard count
while cutting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import LimitError
from . import arrangement
from . import polygons as pg

MAX_REGIONS = 1_000_000  # regions at any time: about 0.5 GB of vertices and maps
RELIST_EVERY = 6  # rounds between a piece's re-listing of the neurons that may cross it
BLOCK = 1 << 18  # (polygon, neuron) values per block when listing: bounds the memory
# Two random lines that both cross a convex region cross each other inside it with a
# probability of 2 pi area / perimeter^2 (Crofton): 0.39 for a square, 0.5 for a disc.
PAIR_CROSS = 0.4


@dataclass(frozen=True)
class Pieces:
    """A layer's cuts: the pieces, which of the layer's neurons are on in each, and the
    pairs of pieces whose maps differ by one neuron (``arrangement.Faces.sides``)."""

    verts: np.ndarray  # (Q, M', d0) padded
    count: np.ndarray  # (Q,)
    src: np.ndarray  # (Q,) the polygon each came from
    on: np.ndarray  # (Q, n) bool
    sides: np.ndarray  # (S, 3) pieces either side of one neuron's line, and the neuron


def split_layer(verts: np.ndarray, count: np.ndarray, at: np.ndarray, c: np.ndarray,
                row: np.ndarray | None = None, cap: int = MAX_REGIONS
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Polygons (P, M, d0), padded, and their neurons' maps ``z = A x + c`` given as A^T,
    ``at`` (N, d0, n), and c (N, n), polygon p's being row ``row[p]`` (default: row p)
    -> the pieces cut by every line: verts (Q, M', d0), count (Q,), src (Q,) their
    polygons."""
    a_row = np.arange(len(count)) if row is None else row
    cut = _split(verts, count, at, c, a_row, cap, with_on=False)
    return cut.verts, cut.count, cut.src


def split_active(verts: np.ndarray, count: np.ndarray, at: np.ndarray, c: np.ndarray,
                 row: np.ndarray | None = None, cap: int = MAX_REGIONS) -> Pieces:
    """``split_layer``, with ``active`` of its pieces (Q, n): in 2-D each polygon's signs
    at its centroid, with the lines that cross it read per face (``arrangement.faces``);
    for intervals and the degenerate polygons' pieces, at each piece's centroid."""
    a_row = np.arange(len(count)) if row is None else row
    cut = _split(verts, count, at, c, a_row, cap, with_on=True)
    on = active(cut.verts, cut.count, at, c, a_row[cut.src]) if cut.on is None else cut.on
    return Pieces(cut.verts, cut.count, cut.src, on, cut.sides)


@dataclass(frozen=True)
class _Cut:
    verts: np.ndarray
    count: np.ndarray
    src: np.ndarray
    sides: np.ndarray  # (S, 3) as Pieces
    on: np.ndarray | None  # (Q, n) ``active`` of the pieces, in 2-D when asked for


def _split(verts: np.ndarray, count: np.ndarray, at: np.ndarray, c: np.ndarray,
           a_row: np.ndarray, cap: int, with_on: bool) -> _Cut:
    """``split_layer``: each polygon's arrangement in 2-D, rounds for intervals and for
    the polygons that ``arrangement.faces`` finds degenerate; ``with_on``: the pieces'
    on-bits too (2-D)."""
    no_sides = np.zeros((0, 3), dtype=np.int64)
    if verts.shape[2] != 2:  # intervals: cut in rounds
        norms = _norms(at)
        listing = _listing(verts, count, a_row, at, c, norms, np.full(len(count), -1))
        ptr, end, _ = listing
        check_cap(estimate(end - ptr, count), cap, "by an estimate before a layer's cuts")
        v, m, src = _rounds(verts, count, a_row, at, c, norms, cap, listing)
        return _Cut(v, m, src, no_sides, None)
    lines, on = arrangement.layer_chords(verts, count, a_row, at, c)
    crossing = np.bincount(lines.poly, minlength=len(count))  # (P,)
    check_cap(estimate(crossing, count), cap, "by an estimate before a layer's cuts")
    f = arrangement.faces(verts, count, lines, on if with_on else None)
    whole = np.flatnonzero(crossing == 0)
    check_cap(len(whole) + len(f.count), cap)
    redo = np.flatnonzero(f.degenerate)  # cut one line at a time, with snapping
    rv, rm, rsrc = _rounds(verts[redo], count[redo], a_row[redo], at, c,
                           _norms(at) if len(redo) else np.zeros((0, 0)),
                           cap - len(whole) - len(f.count))
    v, m, src = _joined([(verts[whole], count[whole], whole), (f.verts, f.count, f.src),
                         (rv, rm, redo[rsrc])])
    sides = f.sides + np.array([len(whole), len(whole), 0])  # the faces come after whole
    if not with_on:
        return _Cut(v, m, src, sides, None)
    redo_on = active(rv, rm, at, c, a_row[redo[rsrc]])
    return _Cut(v, m, src, sides, np.concatenate([on[whole], f.on, redo_on]))


def _norms(at: np.ndarray) -> np.ndarray:
    """(N, n) each line's |A_j|, from the maps ``at`` (N, d0, n)."""
    return np.sqrt(np.einsum("ndk,ndk->nk", at, at))


def _rounds(verts: np.ndarray, count: np.ndarray, a_row: np.ndarray, at: np.ndarray,
            c: np.ndarray, norms: np.ndarray, cap: int,
            listing: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``split_layer`` one line per round: in rounds, every polygon with neurons left is
    cut by its next one, all polygons at once; finished pieces leave the batch. Every
    RELIST_EVERY rounds the pieces list their remaining neurons again."""
    if len(count) == 0:
        return verts, count, np.arange(0)
    src = np.arange(len(count))  # (Q,) each piece's polygon
    ptr, end, neuron = listing or _listing(verts, count, a_row, at, c, norms,
                                           np.full(len(count), -1))
    done: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    finished, rounds = 0, 0
    while True:
        left = ptr < end
        if not left.all():  # pieces with no neuron left are final
            done.append((verts[~left], count[~left], src[~left]))
            finished += int((~left).sum())
            verts, count, src, ptr, end = (x[left] for x in (verts, count, src, ptr, end))
        if len(count) == 0:
            break
        j, r = neuron[ptr], a_row[src]  # (Q,) each piece's next neuron and its map's row
        s = pg.dot(verts, at[r, :, j][:, None]) + c[r, j][:, None]
        if verts.shape[2] == 2:
            verts, count, piece = pg.cut(verts, count, s)  # zeros past count
        else:
            verts, count, piece, _ = pg.split_interval(verts, count, s)
        src, ptr, end = src[piece], ptr[piece] + 1, end[piece]
        check_cap(finished + len(count), cap)
        rounds += 1
        if rounds % RELIST_EVERY == 0:
            last = neuron[ptr - 1]  # the pieces' neurons up to here are done
            ptr, end, neuron = _listing(verts, count, a_row[src], at, c, norms, last)
    return _gather(done, verts.shape[2])


def _listing(verts: np.ndarray, count: np.ndarray, row: np.ndarray, at: np.ndarray,
             c: np.ndarray, norms: np.ndarray, after: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each polygon's neurons past ``after`` (Q,) that cross it, as one flat sorted list
    ``neuron`` with the polygon's slice ``ptr:end`` of it."""
    rows, cols = [], []
    step = max(1, BLOCK // max(1, at.shape[2]))
    for lo in range(0, len(count), step):
        q = slice(lo, lo + step)
        r, j = _crossing(verts[q], count[q], row[q], at, c, norms, after[q])
        rows.append(r + lo)
        cols.append(j)
    row, neuron = np.concatenate(rows), np.concatenate(cols)
    ptr = np.searchsorted(row, np.arange(len(count)))
    end = np.searchsorted(row, np.arange(len(count)), side="right")
    return ptr, end, neuron


def _crossing(verts: np.ndarray, count: np.ndarray, row: np.ndarray, at: np.ndarray,
              c: np.ndarray, norms: np.ndarray, after: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """(polygon, neuron) pairs, sorted, where the neuron's line cuts the polygon in two:
    those its enclosing circle does not rule out, tested on its vertices."""
    valid = np.arange(verts.shape[1])[None, :] < count[:, None]  # (q, M)
    centre = pg.centroids(verts, count)  # (q, d0)
    d = verts - centre[:, None]  # (q, M, d0)
    radius = np.sqrt(pg.row_max(np.where(valid, pg.dot(d, d), 0.0)))
    value = np.einsum("qd,qdn->qn", centre, at[row]) + c[row]  # (q, n) at the centre
    near = np.abs(value) <= radius[:, None] * norms[row] * (1 + 1e-9)
    near &= np.arange(at.shape[2])[None, :] > after[:, None]
    r, j = np.nonzero(near)
    s = pg.dot(verts[r], at[row[r], :, j][:, None]) + c[row[r], j][:, None]
    s = np.where(valid[r], pg.snapped(s, count[r]), 0.0)  # (k, M) at the vertices
    cuts = pg.row_max(s > 0) & pg.row_max(s < 0)
    return r[cuts], j[cuts]


def _gather(done: list[tuple[np.ndarray, np.ndarray, np.ndarray]], d0: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The finished batches of ``pg.cut`` (zeros past count) as one, padded."""
    width = max(v.shape[1] for v, _, _ in done)
    return _joined([(pg.pad(v, m, width) if d0 == 2 else v, m, s) for v, m, s in done])


def _joined(done: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Padded batches as one, widened to the widest by repeating their last vertex."""
    width = max(v.shape[1] for v, _, _ in done)
    verts = np.concatenate([v if v.shape[1] == width else
                            np.concatenate([v, v[:, -1:].repeat(width - v.shape[1], 1)], 1)
                            for v, _, _ in done])
    return (verts, np.concatenate([m for _, m, _ in done]),
            np.concatenate([s for _, _, s in done]))


def estimate(crossing: np.ndarray, count: np.ndarray) -> int:
    """Regions after a layer whose lines cross each polygon ``crossing`` (P,) times: a
    polygon cut by k lines makes 1 + k + (the pairs that cross inside it) pieces."""
    k = crossing.astype(np.float64)
    pairs = PAIR_CROSS * k * (k - 1) / 2 if count.max(initial=2) > 2 else 0.0
    return int(np.sum(1 + k + pairs))


def check_cap(regions: int, cap: int, how: str = "") -> None:
    """Refuse more regions than ``cap`` in one line (LimitError on ``regions.max_regions``)."""
    if regions > cap:
        found = f" (about {regions:,} {how})" if how else ""
        raise LimitError(f"the network cuts the box into more than {cap:,} linear regions"
                         f"{found}; use a smaller box, fewer or narrower layers, or raise "
                         "--max-regions", field="network.layers")


def active(verts: np.ndarray, count: np.ndarray, at: np.ndarray, c: np.ndarray,
           row: np.ndarray | None = None) -> np.ndarray:
    """(P, n) which pre-activations are positive inside each polygon (at its centroid);
    maps at (N, d0, n), c (N, n) by ``row`` (P,) as in ``split_layer``."""
    from . import sign_loops  # numba: paid only where regions are cut

    r = np.arange(len(count)) if row is None else row
    centre = pg.centroids(verts, count)  # (P, d0)
    return sign_loops.centre_signs(np.ascontiguousarray(centre, dtype=np.float64),
                                   r.astype(np.int64), np.ascontiguousarray(at),
                                   np.ascontiguousarray(c))


def patterns_of(n: int, bits: list[tuple[int, np.ndarray]], rows: np.ndarray) -> np.ndarray:
    """(n, sum of widths) bool: each region's bits of every layer, side by side; ``bits``
    (stage, (N_k, width_k) bool by that stage's rows), ``rows`` (n, stages)."""
    if not bits:  # no layer cut: numba is not imported
        return np.zeros((n, 0), dtype=bool)
    from . import sign_loops  # numba: paid only where regions are cut

    return sign_loops.patterns(n, [b for _, b in bits], [rows[:, k] for k, _ in bits])
