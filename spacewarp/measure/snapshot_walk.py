"""The exact regions of many networks of one shape (a training's snapshots) in one pass.

``regions`` of one small network is dominated by the fixed cost of each cutting round's
numpy calls (docs/REGIONS.md); a training's snapshots share a box and a shape, so their
polygons are cut together: the batch starts with one box per snapshot, each polygon
carries its snapshot's index, and ``layer_split.split_layer`` cuts them all, round by
round, each by its own snapshot's lines (its map's row). Linear steps are applied per
snapshot. What the four numbers of ``training_regions`` need is kept: the polygons, their
snapshot and their output maps; no stage map past the one being cut is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import LimitError
from . import polygons as pg
from .layer_split import active, check_cap, split_layer
from .steps import Step

BATCH_REGIONS = 500_000  # regions expected in one batch of snapshots (~40 MB of vertices)
GROWTH = 2.0  # a batch is sized for this many times the last batch's most regions
HARD_BATCH = 4 * BATCH_REGIONS  # a batch past this is split, whatever the cap per snapshot


@dataclass(frozen=True)
class SnapshotRegions:
    """The regions of a batch of snapshots (or of every one), one after another."""

    verts: np.ndarray  # (P, M, 2) polygons, counter-clockwise; rows past count unread
    count: np.ndarray  # (P,) valid vertices
    snapshot: np.ndarray  # (P,) int64: the snapshot each region belongs to
    out_at: np.ndarray  # (P, 2, d_out) each region's map to the output, transposed (A^T)
    out_c: np.ndarray  # (P, d_out)

    def per_snapshot(self, snapshots: int) -> np.ndarray:
        """(S,) how many regions each snapshot has."""
        return np.bincount(self.snapshot, minlength=snapshots)


def walk_batches(step_lists: list[list[Step]], bounds: tuple[float, ...], cap: int
                 ) -> list[SnapshotRegions]:
    """The regions of every network (its ``steps``, all of one shape) on the 2-D box
    ``bounds``, batch by batch of snapshots, in order (each snapshot wholly in one
    batch); more than ``cap`` regions in one is refused. ``training_regions`` measures
    each batch where it lies: joining the course's 100 snapshots copied 50 MB."""
    parts: list[SnapshotRegions] = []
    start, size = 0, 1  # the first snapshot alone, to size the batches after it
    while start < len(step_lists):
        batch = list(range(start, min(len(step_lists), start + size)))
        found = _batch_or_halves(step_lists, batch, bounds, cap)
        parts += found
        most = max(int(p.per_snapshot(batch[-1] + 1)[batch].max(initial=1)) for p in found)
        size = max(1, int(BATCH_REGIONS // (GROWTH * most)))
        start = batch[-1] + 1
    return parts


def _batch_or_halves(step_lists: list[list[Step]], batch: list[int],
                     bounds: tuple[float, ...], cap: int) -> list[SnapshotRegions]:
    """One batch's regions; a batch over its cap is cut in two (one snapshot alone: the
    cap's refusal stands)."""
    try:
        found = _walk_batch([step_lists[s] for s in batch], bounds,
                            min(cap * len(batch), max(cap, HARD_BATCH)))
    except LimitError:
        if len(batch) == 1:
            raise
        half = len(batch) // 2
        return (_batch_or_halves(step_lists, batch[:half], bounds, cap)
                + _batch_or_halves(step_lists, batch[half:], bounds, cap))
    check_cap(int(found.per_snapshot(len(batch)).max(initial=0)), cap)
    return [SnapshotRegions(found.verts, found.count, np.asarray(batch)[found.snapshot],
                            found.out_at, found.out_c)]


@dataclass
class _Maps:
    """The maps of the stage reached so far: row ``row[p]`` of ``at`` (N, 2, d), ``c``
    (N, d) for polygon p; after an activation, times 1 where ``on`` (P, d) and ``slope``
    elsewhere (``on`` None: no activation since the last linear step)."""

    at: np.ndarray
    c: np.ndarray
    row: np.ndarray  # (P,)
    on: np.ndarray | None = None  # (P, d) bool: kept as bits, not as a (P, d) float gain
    slope: float = 0.0

    def gain(self, idx: np.ndarray | slice) -> np.ndarray:
        """(n, d) the activation's factor for polygons ``idx``, or (n, 1) ones."""
        if self.on is None:
            return np.ones((len(self.row[idx]), 1))
        if self.slope == 0.0:  # ReLU: the bits as 0 and 1, 3x faster than np.where
            return self.on[idx].astype(np.float64)
        return np.where(self.on[idx], 1.0, self.slope)


def _walk_batch(step_lists: list[list[Step]], bounds: tuple[float, ...], cap: int
                ) -> SnapshotRegions:
    """One batch of snapshots (indices 0 .. B-1 in the result) cut together."""
    b = len(step_lists)
    verts, count = pg.box(bounds)  # type: ignore[arg-type]
    verts, count = np.repeat(verts, b, axis=0), np.repeat(count, b)
    snap = np.arange(b)
    maps = _Maps(np.repeat(np.eye(2)[None], b, axis=0), np.zeros((b, 2)), np.arange(b))
    for k, step in enumerate(step_lists[0]):
        if step.kind == "linear":
            weights = [steps[k].weight for steps in step_lists]
            biases = [steps[k].bias for steps in step_lists]
            maps = _then_linear(maps, snap, weights, biases)  # type: ignore[arg-type]
        elif step.slope != 1.0:  # identity: the same map
            if maps.on is not None:  # two activations in a row: one explicit map first
                maps = _Maps(*_explicit(maps), np.arange(len(count)))
            verts, count, src = split_layer(verts, count, maps.at, maps.c, maps.row, cap)
            snap, row = snap[src], maps.row[src]
            on = active(verts, count, maps.at, maps.c, row)  # (P, d)
            maps = _Maps(maps.at, maps.c, row, on, step.slope)
    return SnapshotRegions(verts, count, snap, *_explicit(maps))


def _explicit(maps: _Maps) -> tuple[np.ndarray, np.ndarray]:
    """Each polygon's map as rows of its own: at (P, 2, d), c (P, d)."""
    at, c = maps.at[maps.row], maps.c[maps.row]
    if maps.on is None:
        return at, c
    gain = maps.gain(slice(None))  # every polygon, in order
    return at * gain[:, None, :], c * gain


def _then_linear(maps: _Maps, snap: np.ndarray, weights: list[np.ndarray],
                 biases: list[np.ndarray]) -> _Maps:
    """``W_s z + b_s`` after the maps, each polygon by its own snapshot s's weights."""
    if maps.on is None and len(maps.c) == len(weights):  # one row per snapshot
        w = np.stack(weights)  # (B, d_out, d_in)
        return _Maps(np.einsum("bdi,boi->bdo", maps.at, w),
                     np.einsum("bi,boi->bo", maps.c, w) + np.stack(biases), maps.row)
    d_out = weights[0].shape[0]
    if maps.on is not None and len(maps.c) == len(weights):  # the first activation's
        return _gated_linear(maps, snap, weights, biases)
    at, c = np.empty((len(snap), 2, d_out)), np.empty((len(snap), d_out))
    for s, idx in enumerate(snapshot_blocks(snap, len(weights))):  # the polygons of s
        gain = maps.gain(idx)  # (n, d) or (n, 1)
        at[idx] = (maps.at[maps.row[idx]] * gain[:, None, :]) @ weights[s].T
        c[idx] = (maps.c[maps.row[idx]] * gain) @ weights[s].T + biases[s]
    return _Maps(at, c, np.arange(len(snap)))


def _gated_linear(maps: _Maps, snap: np.ndarray, weights: list[np.ndarray],
                  biases: list[np.ndarray]) -> _Maps:
    """``_then_linear`` after the first activation, where row s holds snapshot s's
    pre-activation map: polygon p's map is ``gain_p`` (d,) against the product of that
    row with W_s (2 + 1 rows of (d_out, d)), one small matrix product per snapshot, with
    no (P, 2, d) copy of the pre-activation maps."""
    d_out = weights[0].shape[0]
    at, c = np.empty((len(snap), 2, d_out)), np.empty((len(snap), d_out))
    for s, idx in enumerate(snapshot_blocks(snap, len(weights))):  # the polygons of s
        w = weights[s]  # (d_out, d)
        rows = np.concatenate([maps.at[s][:, None, :] * w[None], (maps.c[s] * w)[None]])
        out = small_products(maps.gain(idx), rows.reshape(-1, w.shape[1]).T)
        out = out.reshape(-1, 3, d_out)
        at[idx], c[idx] = out[:, :2], out[:, 2] + biases[s]
    return _Maps(at, c, np.arange(len(snap)))


def snapshot_blocks(snap: np.ndarray, snapshots: int) -> list[slice | np.ndarray]:
    """The polygons of each snapshot 0 .. snapshots - 1: slices where ``snap`` (P,) is
    sorted (as the cuts leave it: pieces follow the polygon they came from), so that
    reading and writing a block copies nothing; else index arrays."""
    if (snap[1:] >= snap[:-1]).all():
        ends = np.searchsorted(snap, np.arange(snapshots + 1))
        blocks: list[slice | np.ndarray] = [slice(lo, hi) for lo, hi in
                                            zip(ends[:-1], ends[1:], strict=True)]
        return blocks
    order = np.argsort(snap, kind="stable")
    ends = np.searchsorted(snap[order], np.arange(snapshots + 1))
    return [order[lo:hi] for lo, hi in zip(ends[:-1], ends[1:], strict=True)]


BLAS_ROWS = 256  # rows of a product given to BLAS at once: under its threading threshold


def small_products(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for a (n, d) and a narrow b (d, m), ``BLAS_ROWS`` rows of a at a time:
    each block is small enough that OpenBLAS runs it on one thread (a whole product is
    threaded, and threads that wait on a loaded machine spin: 2.6x the CPU time of
    einsum, measured on two shared cores at load 11), and BLAS is 7x faster than
    einsum's loop (the course's 100 snapshots: 0.16 -> 0.02 CPU s)."""
    out = np.empty((len(a), b.shape[1]))
    b = np.ascontiguousarray(b)
    for lo in range(0, len(a), BLAS_ROWS):
        np.matmul(a[lo:lo + BLAS_ROWS], b, out=out[lo:lo + BLAS_ROWS])
    return out
