"""The exact decision boundary of a piecewise-linear classifier, region by region.

Inside a region the output ``o = A x + c`` is affine, so where the argmax changes from
class i to class j is a segment of the line ``o_i = o_j``, clipped to the polygon and to
``o_i >= o_k`` for every other k. One output: the boundary is ``o = 0``.
Segments are chained into polylines where they share an end.
"""

from __future__ import annotations

import numpy as np

from . import polygons as pg


def decision_boundary(verts: np.ndarray, count: np.ndarray, a: np.ndarray,
                      c: np.ndarray) -> list[np.ndarray]:
    """(R, M, 2) polygons with output maps A (R, K, 2), c (R, K) -> polylines (n, 2)."""
    segments, _ = boundary_segments(verts, count, a, c)
    return chain(segments) if len(segments) else []


def boundary_segments(verts: np.ndarray, count: np.ndarray, a: np.ndarray, c: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The boundary's pieces, unchained: segments (B, 2, 2) and the region (B,) each lies
    in (for counts that need no polylines: ``measure.training_regions``)."""
    k = a.shape[1]
    if k > 1:  # only where the top class changes between vertices
        keep = np.concatenate([_top_changes(verts[r], count[r], a[r], c[r])
                               for r in np.array_split(np.arange(len(count)),
                                                       max(1, len(count) // BLOCK))])
        verts, count, a, c = verts[keep], count[keep], a[keep], c[keep]
    pairs = [(0, -1)] if k == 1 else [(i, j) for i in range(k) for j in range(i + 1, k)]
    found = [_pair_segments(verts, count, a, c, i, j) for i, j in pairs]
    return (np.concatenate([s for s, _ in found]).reshape(-1, 2, 2),
            np.concatenate([r for _, r in found]).astype(np.int64))


BLOCK = 1 << 16  # regions whose vertices' outputs are computed at a time


def _top_changes(verts: np.ndarray, count: np.ndarray, a: np.ndarray, c: np.ndarray
                 ) -> np.ndarray:
    """(R,) whether the top class differs between the polygon's vertices. Where it does
    not, o_top - o_j is affine and >= 0 at every vertex, so >= 0 on the whole polygon:
    no boundary crosses it (most regions of a 10-class CNN's slice)."""
    top = (np.einsum("rkd,rmd->rmk", a, verts) + c[:, None, :]).argmax(axis=2)  # (R, M)
    valid = np.arange(verts.shape[1])[None, :] < count[:, None]
    return np.any((top != top[:, :1]) & valid, axis=1)


def _pair_segments(verts: np.ndarray, count: np.ndarray, a: np.ndarray, c: np.ndarray,
                   i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
    """(S, 2, 2) pieces of the line o_i = o_j (o_0 = 0 when j = -1) where i and j lead,
    and the region (S,) of each."""
    g = a[:, i] - (a[:, j] if j >= 0 else 0.0)  # (R, 2)
    h = c[:, i] - (c[:, j] if j >= 0 else 0.0)  # (R,)
    s = pg.snapped(np.einsum("rmd,rd->rm", verts, g) + h[:, None], count)
    ends, ok = _line_in_polygon(verts, count, s, g)  # (R, 2, 2)
    lo, hi = np.zeros(len(g)), np.ones(len(g))
    for other in range(a.shape[1]):
        if j < 0 or other in (i, j):
            continue
        # o_i - o_other along the segment: must stay >= 0
        f = np.einsum("rmd,rd->rm", ends, a[:, i] - a[:, other]) + (c[:, i] - c[:, other])[:, None]
        f0, f1 = f[:, 0], f[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = f0 / (f0 - f1)
        lo = np.where((f0 < 0) & (f1 >= 0), np.maximum(lo, t), lo)
        hi = np.where((f1 < 0) & (f0 >= 0), np.minimum(hi, t), hi)
        hi = np.where((f0 < 0) & (f1 < 0), -1.0, hi)
    ok &= hi > lo
    p0 = ends[:, 0] + lo[:, None] * (ends[:, 1] - ends[:, 0])
    p1 = ends[:, 0] + hi[:, None] * (ends[:, 1] - ends[:, 0])
    return np.stack([p0, p1], axis=1)[ok], np.flatnonzero(ok)


def _line_in_polygon(verts: np.ndarray, count: np.ndarray, s: np.ndarray, g: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Where ``s = 0`` crosses each convex polygon: ends (R, 2, 2) and (R,) whether it does."""
    i = np.arange(verts.shape[1])[None, :]
    valid = i < count[:, None]
    nxt = np.where(i + 1 < count[:, None], i + 1, 0)
    s_next = np.take_along_axis(s, nxt, axis=1)
    v_next = np.take_along_axis(verts, nxt[..., None], axis=1)
    cross = valid & (s * s_next < 0)
    on = valid & (s == 0)
    t = np.where(cross, s / np.where(cross, s - s_next, 1.0), 0.0)
    pts = np.concatenate([verts + t[..., None] * (v_next - verts), verts], axis=1)  # (R, 2M, 2)
    hit = np.concatenate([cross, on], axis=1)
    direction = np.stack([-g[:, 1], g[:, 0]], axis=1)  # (R, 2) along the line
    u = np.einsum("rmd,rd->rm", pts, direction)
    first = np.argmin(np.where(hit, u, np.inf), axis=1)
    last = np.argmax(np.where(hit, u, -np.inf), axis=1)
    rows = np.arange(len(s))
    ends = np.stack([pts[rows, first], pts[rows, last]], axis=1)
    long_enough = np.linalg.norm(ends[:, 1] - ends[:, 0], axis=1) > 0
    return ends, (hit.sum(axis=1) >= 2) & long_enough


def chain(segments: np.ndarray, decimals: int = 9) -> list[np.ndarray]:
    """(S, 2, 2) segments -> polylines, joining segments whose ends coincide."""
    key = [tuple(np.round(p, decimals)) for p in segments.reshape(-1, 2)]
    ends: dict[tuple[float, ...], list[int]] = {}
    for n, kk in enumerate(key):
        ends.setdefault(kk, []).append(n)
    used = np.zeros(len(segments), dtype=bool)
    lines = []
    for start in range(len(segments)):
        if used[start]:
            continue
        used[start] = True
        line = [segments[start, 0], segments[start, 1]]
        for forward in (True, False):
            _extend(line, segments, key, ends, used, forward)
        lines.append(np.array(line))
    return lines


def _extend(line: list[np.ndarray], segments: np.ndarray, key: list[tuple[float, ...]],
            ends: dict[tuple[float, ...], list[int]], used: np.ndarray, forward: bool) -> None:
    while True:
        tip = tuple(np.round(line[-1] if forward else line[0], 9))
        nxt = next((e for e in ends.get(tip, []) if not used[e // 2]), None)
        if nxt is None:
            return
        used[nxt // 2] = True
        other = segments[nxt // 2, 1 - nxt % 2]
        line.append(other) if forward else line.insert(0, other)
