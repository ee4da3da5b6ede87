"""Convex polygons as padded arrays, split by lines: every polygon of a batch at once.

A batch is ``verts`` (P, M, 2) float64 with ``count`` (P,) valid vertices per row,
counter-clockwise; the rows past ``count`` are padding (copies of the last vertex).
Splitting keeps the vertex order, so pieces stay counter-clockwise and convex.
"""

from __future__ import annotations

import numpy as np

# A vertex whose line value is within this fraction of the polygon's largest value
# lies on the line: no sliver thinner than this (relative) is ever cut off.
REL_TOL = 1e-10


def box(bounds: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """The box ``(x0, x1, y0, y1)`` as a batch of one polygon: (1, 4, 2), (1,)."""
    x0, x1, y0, y1 = (float(b) for b in bounds)
    verts = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]])
    return verts, np.array([4])


def dot(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The sum over the last axis of ``x * a`` (broadcast): written out for 2-D points,
    as einsum with a last axis of 2 is 2 to 3 times slower (docs/REGIONS.md)."""
    if x.shape[-1] == 2 and a.shape[-1] == 2:
        return x[..., 0] * a[..., 0] + x[..., 1] * a[..., 1]
    return (x * a).sum(axis=-1)


def row_max(a: np.ndarray) -> np.ndarray:
    """(P, M) -> (P,) each row's largest (``any`` for booleans): a loop over the M
    columns, each over every row, as numpy's reduction along a short last axis is 2 to 6
    times slower (measured, docs/REGIONS.md)."""
    out = a[:, 0].copy()
    for m in range(1, a.shape[1]):
        np.maximum(out, a[:, m], out=out)
    return out


def row_count(a: np.ndarray) -> np.ndarray:
    """(P, M) bool -> (P,) how many are true in each row, column by column."""
    out = a[:, 0].astype(np.int64)
    for m in range(1, a.shape[1]):
        out += a[:, m]
    return out


def snapped(s: np.ndarray, count: np.ndarray) -> np.ndarray:
    """(P, M) line values with those near zero (relative to the polygon) set to zero."""
    valid = np.arange(s.shape[1])[None, :] < count[:, None]
    scale = row_max(np.where(valid, np.abs(s), 0.0))[:, None]
    return np.where(np.abs(s) <= REL_TOL * scale, 0.0, s)


def cut(verts: np.ndarray, count: np.ndarray, s: np.ndarray
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut each polygon by its own line, ``s`` (P, M) being the line's value at each vertex:
    the pieces (the polygons the line misses, whole, then the crossed ones' ``s >= 0``
    parts, then their ``s <= 0`` parts) as verts (Q, M', 2) and count (Q,), and ``src``
    (Q,) the polygon each came from. Rows past ``count`` are zeros, not padding (``pad``
    them at the end). Vertices within ``REL_TOL`` of the line lie on it."""
    width = s.shape[1]
    i = np.arange(width)[None, :]
    valid = i < count[:, None]
    s = np.where(valid, snapped(s, count), 0.0)
    crossed = row_max(s > 0) & row_max(s < 0)
    whole, idx = np.flatnonzero(~crossed), np.flatnonzero(crossed)
    v, sc, ok = verts[idx], s[idx], valid[idx]
    nxt = np.where(i + 1 < count[idx, None], i + 1, 0)
    rows = np.arange(len(idx))[:, None]
    s_next, v_next = sc[rows, nxt], v[rows, nxt]
    cross = sc * s_next < 0  # (C, M): the edge from vertex i crosses the line
    t = np.where(cross, sc / np.where(cross, sc - s_next, 1.0), 0.0)
    cand = np.stack([v, v + t[..., None] * (v_next - v)], axis=2).reshape(
        len(idx), 2 * width, 2)  # (C, 2M, 2); the widths spelt out: C may be 0
    mask = np.concatenate([np.stack([ok & (sc >= 0), cross], axis=2),
                           np.stack([ok & (sc <= 0), cross], axis=2)]).reshape(
        2 * len(idx), 2 * width)
    place = np.cumsum(mask, axis=1) - 1  # (2C, 2M) each kept candidate's slot
    new_m = place[:, -1] + 1
    out = np.zeros((2 * len(idx), max(width, int(new_m.max(initial=0))), 2))
    r, k = np.nonzero(mask)
    out[r, place[r, k]] = cand[r % len(idx), k] if len(idx) else 0.0
    keep = np.zeros((len(whole), out.shape[1], 2))
    keep[:, :width] = verts[whole]
    return (np.concatenate([keep, out]), np.concatenate([count[whole], new_m]),
            np.concatenate([whole, idx, idx]))


def clip(v: np.ndarray, m: np.ndarray, s: np.ndarray, sign: int
          ) -> tuple[np.ndarray, np.ndarray]:
    """The part of each polygon where ``sign * s >= 0``: (P, M, 2) -> (P, M + 1, 2)."""
    p, width = s.shape
    i = np.arange(width)[None, :]
    valid = i < m[:, None]
    nxt = np.where(i + 1 < m[:, None], i + 1, 0)  # (P, M) index of each edge's end
    s_next = np.take_along_axis(s, nxt, axis=1)
    v_next = np.take_along_axis(v, nxt[..., None], axis=1)
    keep = valid & (sign * s >= 0)
    cross = valid & (s * s_next < 0)
    t = np.where(cross, s / np.where(cross, s - s_next, 1.0), 0.0)
    inter = v + t[..., None] * (v_next - v)  # (P, M, 2) where the edge crosses the line
    cand = np.stack([v, inter], axis=2).reshape(p, 2 * width, 2)  # vertex, then crossing
    mask = np.stack([keep, cross], axis=2).reshape(p, 2 * width)
    order = np.argsort(~mask, axis=1, kind="stable")  # kept candidates first, in order
    new_m = mask.sum(axis=1)
    out = np.take_along_axis(cand, order[..., None], axis=1)[:, : int(new_m.max(initial=3))]
    return out, new_m


def pad(v: np.ndarray, m: np.ndarray, width: int) -> np.ndarray:
    """(P, M, 2) -> (P, width, 2), rows past ``m`` copies of the last vertex."""
    if v.shape[1] < width:
        v = np.concatenate([v, np.zeros((len(v), width - v.shape[1], 2))], axis=1)
    v = v[:, :width]
    if len(v) == 0:
        return v
    last = np.take_along_axis(v, (m - 1)[:, None, None].repeat(2, axis=2), axis=1)
    i = np.arange(width)[None, :, None]
    return np.where(i < m[:, None, None], v, last)


def areas(verts: np.ndarray, count: np.ndarray) -> np.ndarray:
    """(P, M, 2) -> (P,) signed areas (shoelace; positive for counter-clockwise)."""
    i = np.arange(verts.shape[1])[None, :]
    nxt = np.where(i + 1 < count[:, None], i + 1, 0)
    v_next = np.take_along_axis(verts, nxt[..., None], axis=1)
    cross = verts[..., 0] * v_next[..., 1] - verts[..., 1] * v_next[..., 0]
    return 0.5 * np.where(i < count[:, None], cross, 0.0).sum(axis=1)


def centroids(verts: np.ndarray, count: np.ndarray) -> np.ndarray:
    """(P, M, 2) -> (P, 2): the mean of each polygon's vertices (inside, as it is convex)."""
    weight = (np.arange(verts.shape[1])[None, :] < count[:, None]) / count[:, None]
    return np.einsum("pm,pmd->pd", weight, verts)  # one pass, no (P, M, 2) temporary


def interval(bounds: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """The interval ``(x0, x1)`` as a batch of one 1-D "polygon": (1, 2, 1), (1,)."""
    return np.array([[[float(bounds[0])], [float(bounds[1])]]]), np.array([2])


def split_interval(verts: np.ndarray, count: np.ndarray, s: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``split`` for intervals (P, 2, 1): cut where the affine value ``s`` (P, 2) is zero."""
    s = snapped(s, count)
    cut = s[:, 0] * s[:, 1] < 0
    whole, idx = np.flatnonzero(~cut), np.flatnonzero(cut)
    lo, hi = verts[idx, 0, 0], verts[idx, 1, 0]
    root = lo + s[idx, 0] / (s[idx, 0] - s[idx, 1]) * (hi - lo)  # (C,)
    first = np.stack([lo, root], axis=1)[..., None]  # (C, 2, 1)
    second = np.stack([root, hi], axis=1)[..., None]
    side_first = np.where(s[idx, 0] > 0, 1, -1)
    out_v = np.concatenate([verts[whole], first, second])
    out_m = np.full(len(out_v), 2)
    src = np.concatenate([whole, idx, idx])
    side = np.concatenate([np.zeros(len(whole), int), side_first, -side_first])
    return out_v, out_m, src, side
