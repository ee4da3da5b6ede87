"""The compiled loops of ``training_regions``: each region once, its candidates from a
table of grid cells, no (pairs, M) arrays.

The local complexity and the regions near the boundary test every region against the
few points or boundary segments near it. In numpy that was candidate pairs from a grid
of cells (argsorts, repeats, an overlap test per pair), then the tests on (pairs, M)
arrays: about 0.8 of 1.3 CPU s for the course's 100 snapshots. Here each region is one
iteration of a compiled loop (numba, ``cache=True``) that reads its candidates from a
table of cells (a counting sort of the points or segments) and tests them in place.

The arithmetic is the numpy version's, written out per value: the same formulas in the
same order, so the counts are the same to the last pair (docs/REGIONS.md). This module
imports numba, so ``training_regions`` imports it inside its functions.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .first_compile import note_first_compile

note_first_compile(__file__)  # before the first call compiles: say why it waits


@njit(cache=True)
def _cell(x, origin, size, side):
    """The cell (0 .. side - 1) of coordinate ``x`` on a grid from ``origin`` in steps of
    ``size``; past either end, the end cell. Monotone in x: boxes that overlap share a
    cell."""
    k = np.floor((x - origin) / size)
    return int(min(max(k, 0.0), side - 1.0))


@njit(cache=True)
def _box(v, m):
    """The bounding box (x0, y0, x1, y1) of a polygon's ``m`` vertices ``v`` (M, 2)."""
    x0, y0, x1, y1 = v[0, 0], v[0, 1], v[0, 0], v[0, 1]
    for j in range(1, m):
        x0, x1 = min(x0, v[j, 0]), max(x1, v[j, 0])
        y0, y1 = min(y0, v[j, 1]), max(y1, v[j, 1])
    return x0, y0, x1, y1


@njit(cache=True)
def _cell_table(keys, cells):
    """A counting sort: the items (K,) by their cell ``keys`` (K,) and where each cell's
    items start (cells + 1,), so that cell k holds ``order[first[k]:first[k + 1]]``."""
    first = np.zeros(cells + 1, np.int64)
    for key in keys:
        first[key + 1] += 1
    first = np.cumsum(first)
    order, fill = np.empty(len(keys), np.int64), first[:-1].copy()
    for i in range(len(keys)):
        order[fill[keys[i]]] = i
        fill[keys[i]] += 1
    return order, first


@njit(cache=True)
def _square_offsets(v, m, r, nx, ny, offset):
    """Each edge's normal (``nx``, ``ny`` (m,)) of polygon ``v`` and ``offset`` (m,): a
    centre c with n . c - offset >= 0 has the square around it outside that edge."""
    for j in range(m):
        w = v[j + 1 if j + 1 < m else 0]
        nx[j], ny[j] = w[1] - v[j, 1], v[j, 0] - w[0]
        offset[j] = nx[j] * v[j, 0] + ny[j] * v[j, 1] + r * (abs(nx[j]) + abs(ny[j]))


@njit(cache=True)
def squares_met(verts, count, centres, r, grid):
    """Which regions meet the open square of half-side ``r`` around which centres (N, 2):
    the number of centres each region (P,) meets, and of regions each centre (N,) meets.
    Polygons ``verts`` (P, M, 2) of ``count`` (P,) vertices; ``grid`` (x0, y0, cell
    width, cell height, side) over the centres. A candidate is a centre in the region's
    box grown by r (closed); it is met when no edge separates: for the edge from v to w,
    normal n = (w_y - v_y, v_x - w_x) and the square's reach r (|n_x| + |n_y|), the
    centre c has n . c - (n . v + reach) < 0."""
    side = int(grid[4])
    keys = np.empty(len(centres), np.int64)
    for i in range(len(centres)):
        keys[i] = _cell(centres[i, 1], grid[1], grid[3], side) * side \
            + _cell(centres[i, 0], grid[0], grid[2], side)
    order, first = _cell_table(keys, side * side)
    per_region = np.zeros(len(count), np.int64)
    per_centre = np.zeros(len(centres), np.int64)
    nx, ny, offset = np.empty(verts.shape[1]), np.empty(verts.shape[1]), np.empty(verts.shape[1])
    for p in range(len(count)):
        m, v = count[p], verts[p]
        x0, y0, x1, y1 = _box(v, m)
        x0, y0, x1, y1 = x0 - r, y0 - r, x1 + r, y1 + r
        edges = False  # the normals are found at the first candidate (most regions have none)
        lo, hi = _cell(x0, grid[0], grid[2], side), _cell(x1, grid[0], grid[2], side)
        for cy in range(_cell(y0, grid[1], grid[3], side), _cell(y1, grid[1], grid[3], side) + 1):
            for k in range(first[cy * side + lo], first[cy * side + hi + 1]):
                i = order[k]  # a centre in the cells of this row the box covers
                cx_, cy_ = centres[i, 0], centres[i, 1]
                if not (x0 <= cx_ <= x1 and y0 <= cy_ <= y1):
                    continue
                if not edges:
                    _square_offsets(v, m, r, nx, ny, offset)
                    edges = True
                met = True
                for j in range(m):
                    if not nx[j] * cx_ + ny[j] * cy_ - offset[j] < 0:
                        met = False
                        break
                if met:
                    per_region[p] += 1
                    per_centre[i] += 1
    return per_region, per_centre


@njit(cache=True)
def crossed(verts, count, out_at, out_c):
    """(P,) whether a region's vertices do not all have one decision: with one output, a
    vertex whose output's sign differs from the first vertex's or is 0; with several, a
    vertex where a class other than the first vertex's leader is level with it or ahead.
    The output at vertex v: v_x A^T[0] + v_y A^T[1] + c (``out_at`` (P, 2, K))."""
    k_out = out_c.shape[1]
    out = np.empty((verts.shape[1], k_out))
    hit = np.zeros(len(count), np.bool_)
    for p in range(len(count)):
        for j in range(count[p]):
            for k in range(k_out):
                out[j, k] = verts[p, j, 0] * out_at[p, 0, k] + verts[p, j, 1] * out_at[p, 1, k] \
                    + out_c[p, k]
        if k_out == 1:
            for j in range(count[p]):
                hit[p] |= out[0, 0] * out[j, 0] <= 0
            continue
        lead = 0
        for k in range(1, k_out):
            if out[0, k] > out[0, lead]:
                lead = k
        for j in range(count[p]):
            ahead = 0
            for k in range(k_out):
                ahead += out[j, k] >= out[j, lead]
            hit[p] |= ahead > 1
    return hit


@njit(cache=True)
def _point_segment(px, py, ax, ay, bx, by):
    """Distance from the point p to the segment a-b: to its nearest point a + t (b - a),
    t clipped to [0, 1] (a segment of length 0 is its point a)."""
    abx, aby, apx, apy = bx - ax, by - ay, px - ax, py - ay
    length = max(abx * abx + aby * aby, 1e-300)
    t = min(max((apx * abx + apy * aby) / length, 0.0), 1.0)
    dx, dy = apx - t * abx, apy - t * aby
    return np.sqrt(dx * dx + dy * dy)


@njit(cache=True)
def _near_segment(v, m, s, r):
    """Whether polygon ``v`` (m vertices) is within ``r`` of segment ``s`` (2, 2): the
    least of each vertex's distance to the segment and each end's to each edge."""
    for j in range(m):
        w = v[j + 1 if j + 1 < m else 0]
        d = _point_segment(v[j, 0], v[j, 1], s[0, 0], s[0, 1], s[1, 0], s[1, 1])
        d = min(d, _point_segment(s[0, 0], s[0, 1], v[j, 0], v[j, 1], w[0], w[1]))
        d = min(d, _point_segment(s[1, 0], s[1, 1], v[j, 0], v[j, 1], w[0], w[1]))
        if d <= r:
            return True
    return False


@njit(cache=True)
def _segment_cells(seg, seg_snapshot, grid):
    """Every (segment, cell) that a segment's box covers (B, 2, 2): the segments (K,)
    and the cells' keys (K,) (its snapshot, then the cell's row and column)."""
    side = int(grid[4])
    item, keys = np.empty(4 * len(seg), np.int64), np.empty(4 * len(seg), np.int64)
    n = 0
    for b in range(len(seg)):
        x0 = _cell(min(seg[b, 0, 0], seg[b, 1, 0]), grid[0], grid[2], side)
        x1 = _cell(max(seg[b, 0, 0], seg[b, 1, 0]), grid[0], grid[2], side)
        y0 = _cell(min(seg[b, 0, 1], seg[b, 1, 1]), grid[1], grid[3], side)
        y1 = _cell(max(seg[b, 0, 1], seg[b, 1, 1]), grid[1], grid[3], side)
        need = n + (x1 - x0 + 1) * (y1 - y0 + 1)
        if need > len(item):
            item = np.concatenate((item, np.empty(need + len(item), np.int64)))
            keys = np.concatenate((keys, np.empty(need + len(keys), np.int64)))
        for cy in range(y0, y1 + 1):
            for cx in range(x0, x1 + 1):
                item[n], keys[n] = b, (seg_snapshot[b] * side + cy) * side + cx
                n += 1
    return item[:n], keys[:n]


@njit(cache=True)
def near_segments(verts, count, snapshot, near, seg, seg_snapshot, r, grid, snapshots):
    """``near`` (P,) bool, set where a region is within ``r`` of one of its snapshot's
    boundary segments ``seg`` (B, 2, 2) (``seg_snapshot`` (B,)); a region already near
    is not measured. Candidates: segments whose box meets the region's box grown by r
    (closed), from a table of (snapshot, cell) on ``grid`` (x0, y0, cell width, cell
    height, side)."""
    side = int(grid[4])
    item, keys = _segment_cells(seg, seg_snapshot, grid)
    order, first = _cell_table(keys, snapshots * side * side)
    for p in range(len(count)):
        if near[p]:
            continue
        m, v = count[p], verts[p]
        x0, y0, x1, y1 = _box(v, m)
        x0, y0, x1, y1 = x0 - r, y0 - r, x1 + r, y1 + r
        lo, hi = _cell(x0, grid[0], grid[2], side), _cell(x1, grid[0], grid[2], side)
        for cy in range(_cell(y0, grid[1], grid[3], side), _cell(y1, grid[1], grid[3], side) + 1):
            row = (snapshot[p] * side + cy) * side
            for k in range(first[row + lo], first[row + hi + 1]):
                s = seg[item[order[k]]]  # a segment in the cells of this row the box covers
                if min(s[0, 0], s[1, 0]) <= x1 and x0 <= max(s[0, 0], s[1, 0]) \
                        and min(s[0, 1], s[1, 1]) <= y1 and y0 <= max(s[0, 1], s[1, 1]) \
                        and _near_segment(v, m, s, r):
                    near[p] = True
                    break
            if near[p]:
                break
    return near
