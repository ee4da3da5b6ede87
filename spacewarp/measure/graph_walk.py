"""Exact regions through a graph of stages: each stage's affine maps carried for the polygons.

Every stage keeps its maps compact (``StageMap``), one row per polygon of the step that
made them, and ``rows`` (P, stages) holds each current polygon's row in every stage: when
a ReLU or a maximum splits polygons only ``rows`` follows the pieces, never a copy of the
maps (a Conv2d stage at 28x28 is 25,088 x 3 numbers per row). A ReLU splits by each
neuron's line, as in a chain, after dropping the neurons whose sign is constant on the
box of every row's polygons; a maximum splits by which entry of each window leads
(``max_split``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .graph_steps import Affine, AffineOp, GraphStep, Max, Relu
from .layer_split import MAX_REGIONS, active, patterns_of, split_layer
from .max_split import split_by_max
from .stage_map import StageMap

VALUES = 1 << 22  # numbers per block when an operation runs on maps' rows
# a split's result: verts, count, rows, the new stage's maps, its pattern bits by its rows
Split = tuple[np.ndarray, np.ndarray, np.ndarray, StageMap, np.ndarray]


def walk_graph(steps: list[GraphStep], verts: np.ndarray, count: np.ndarray,
               cap: int = MAX_REGIONS
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[StageMap, ...],
                          np.ndarray, tuple[int, ...]]:
    """Polygons through every step: verts, count, patterns, per-stage maps, rows (R,
    stages) each region's row in each stage's maps, and the regions after each split."""
    d0 = verts.shape[2]
    maps = [StageMap(np.eye(d0)[None], np.zeros((1, d0)))]
    rows = np.zeros((len(count), 1), dtype=np.int64)
    bits: list[tuple[int, np.ndarray]] = []  # (stage, (N_k, b) bool by that stage's rows)
    per_layer: list[int] = []
    for step in steps:
        if isinstance(step, AffineOp):
            maps.append(run_on_maps(step.run, maps[step.input]))
            col = rows[:, step.input]
        elif isinstance(step, Affine):
            new, col = _affine(step, maps, rows)
            maps.append(new)
        elif isinstance(step, Relu) and step.slope == 1.0:  # the identity: the same maps
            maps.append(maps[step.input])
            col = rows[:, step.input]
        else:
            verts, count, rows, new, on = (
                _relu(step, maps, rows, verts, count, cap) if isinstance(step, Relu)
                else _max(step, maps, rows, verts, count, cap))
            maps.append(new)
            col = np.arange(len(count))
            bits.append((len(maps) - 1, on))
            per_layer.append(len(count))
        rows = np.concatenate([rows, col[:, None]], axis=1)
    patterns = patterns_of(len(count), bits, rows)
    return verts, count, patterns, tuple(maps), rows, tuple(per_layer)


def run_on_maps(run: Callable[[np.ndarray], np.ndarray], source: StageMap) -> StageMap:
    """An affine operation f on every row's map x -> A x + c: f(A x + c) = L A x + f(c),
    with L's columns read as f(column) - f(0). Rows of ``source`` (a gated one expanded a
    block at a time) go through f about ``VALUES`` numbers at a time."""
    n, d0, d_in = len(source), source.at.shape[1], source.at.shape[2]
    zero = run(np.zeros((1, d_in)))[0]  # f(0): the offset
    step = max(1, VALUES // ((d0 + 1) * max(d_in, len(zero))))
    at, c = [], []
    for lo in range(0, n, step):
        a_k, c_k = source.take_t(np.arange(lo, min(n, lo + step)))  # (q, d0, d_in), (q, d_in)
        out = run(np.concatenate([c_k, a_k.reshape(-1, d_in)]))  # (q + q d0, d_k)
        c.append(out[:len(c_k)])
        at.append((out[len(c_k):] - zero).reshape(len(c_k), d0, -1))
    return StageMap(np.concatenate(at), np.concatenate(c))


def _affine(step: Affine, maps: list[StageMap], rows: np.ndarray
            ) -> tuple[StageMap, np.ndarray]:
    """``sum_i x_i @ mats[i].T + offset``: on one input, its rows (``then_linear``, sparse
    after a ReLU stage); on several, once per distinct combination of their rows."""
    if len(step.inputs) == 1:
        (i,), (mat,) = step.inputs, step.mats
        if _is_identity(mat, step.offset):  # a flatten or reshape: the same maps, no copy
            return maps[i], rows[:, i]
        return maps[i].then_linear(mat, step.offset), rows[:, i]
    combos, col = np.unique(rows[:, list(step.inputs)], axis=0, return_inverse=True)
    at = np.zeros((len(combos), maps[0].at.shape[1], len(step.offset)))
    c = np.broadcast_to(step.offset, (len(combos), len(step.offset))).copy()
    for k, (i, mat) in enumerate(zip(step.inputs, step.mats, strict=True)):
        a_i, c_i = maps[i].take_t(combos[:, k])
        at += a_i @ mat.T
        c += c_i @ mat.T
    return StageMap(at, c), col.reshape(-1)


def _is_identity(mat: np.ndarray, offset: np.ndarray) -> bool:
    return (mat.shape[0] == mat.shape[1] and not offset.any()
            and np.array_equal(mat, np.eye(len(mat))))


def _relu(step: Relu, maps: list[StageMap], rows: np.ndarray, verts: np.ndarray,
          count: np.ndarray, cap: int) -> Split:
    """Cut by the neurons that cross some polygon; the new stage is gated on ``pre``."""
    pre = maps[step.input].plain()
    maps[step.input] = pre
    row = rows[:, step.input]
    crossing = crossing_neurons(pre, row, verts, count)
    if len(crossing):
        verts, count, src = split_layer(verts, count, np.take(pre.at, crossing, axis=2),
                                        np.take(pre.c, crossing, axis=1), row, cap)
        rows = rows[src]
    row = rows[:, step.input]
    on = active(verts, count, pre.at, pre.c, row)  # (P, d_k)
    return verts, count, rows, StageMap(pre.at, pre.c, row, on, step.slope), on


def crossing_neurons(pre: StageMap, row: np.ndarray, verts: np.ndarray,
                     count: np.ndarray) -> np.ndarray:
    """The neurons whose line crosses the bounding box of some map row's polygons: an
    affine value takes both signs on a box only if it does at its corners. The others
    keep one sign on every polygon, and are dropped once, for all polygons (conv1 at 28x28
    has 25,088 neurons; a small slice is crossed by a few hundred)."""
    from . import sign_loops  # numba: paid only where regions are cut

    lo, hi = sign_loops.row_boxes(np.ascontiguousarray(verts), count.astype(np.int64),
                                  row.astype(np.int64), len(pre.c))  # (N, d0) each
    used = np.flatnonzero(np.isfinite(lo[:, 0]))
    return np.flatnonzero(sign_loops.box_crossing(lo[used], hi[used], used,
                                                  np.ascontiguousarray(pre.at),
                                                  np.ascontiguousarray(pre.c)))


def _max(step: Max, maps: list[StageMap], rows: np.ndarray, verts: np.ndarray,
         count: np.ndarray, cap: int) -> Split:
    """Split by which entry of each window leads; the new stage takes the leaders' rows."""
    from . import max_loops  # numba: paid only where a maximum is split

    if len(step.inputs) == 1:
        source, row = maps[step.inputs[0]], rows[:, step.inputs[0]]
    else:  # torch.maximum(a, b): the inputs side by side, per combination of their rows
        source, row = _side_by_side(maps, rows, step.inputs)
    verts, count, origin, choice = split_by_max(source, row, step.groups, verts, count, cap)
    stage, onehot = max_loops.winners_stage(source, row[origin], step.groups, choice)
    return verts, count, rows[origin], stage, onehot


def _side_by_side(maps: list[StageMap], rows: np.ndarray, inputs: tuple[int, ...]
                  ) -> tuple[StageMap, np.ndarray]:
    combos, col = np.unique(rows[:, list(inputs)], axis=0, return_inverse=True)
    parts = [maps[i].take_t(combos[:, k]) for k, i in enumerate(inputs)]
    return (StageMap(np.concatenate([a for a, _ in parts], axis=2),
                     np.concatenate([c for _, c in parts], axis=1)), col.reshape(-1))
