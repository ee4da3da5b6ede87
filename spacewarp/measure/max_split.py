"""Splitting polygons by maxima of affine pieces (max-pooling windows, maxout, torch.maximum).

A ``Max`` step's output j is the largest of its input's columns ``groups[j]`` (a window of
p entries). On a polygon every entry is affine, so the entry that leads at every vertex
leads on the whole polygon. All windows of a step are tested at once, per polygon, from
the vertex values; only the (polygon, window) pairs where no one entry leads at every
vertex are split, in rounds: every polygon with such windows left is split by its next
one, all polygons at once (``split_max``). A piece whose window no longer straddles (one
entry leads at its vertices) stays whole. The winners are read at the end, once, from the
final pieces' vertex values. The work grows with the pieces and the windows that cross
them, not with polygons x windows (6,272 windows at 28x28 with 32 channels). The tests of
every window on every polygon, and the gathers of single entries from a gated stage, are
compiled loops (``max_loops``, imported where a maximum is split: it imports numba).
"""

from __future__ import annotations

import numpy as np

from . import polygons as pg
from .layer_split import check_cap
from .stage_map import StageMap


def split_by_max(source: StageMap, row: np.ndarray, groups: np.ndarray, verts: np.ndarray,
                 count: np.ndarray, cap: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Polygons (P, M, d0), their input maps (``source`` rows ``row`` (P,)) and windows
    ``groups`` (units, p) -> the pieces where every window has one winner: verts, count,
    origin (Q,) each piece's polygon, choice (Q, units) each window's winning entry."""
    from . import max_loops  # numba: paid only where a maximum is split

    choice, straddle = max_loops.leaders(source, row, groups, verts, count)  # (P, units)
    poly, unit = np.nonzero(straddle)  # sorted by polygon
    ptr = np.searchsorted(poly, np.arange(len(count)))
    end = np.searchsorted(poly, np.arange(len(count)), side="right")
    origin = np.arange(len(count))
    done: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    finished = 0
    while True:
        left = ptr < end
        if not left.all():  # pieces with no window left to split by are final
            done.append((verts[~left], count[~left], origin[~left]))
            finished += int((~left).sum())
            verts, count, origin, ptr, end = (x[left] for x in (verts, count, origin, ptr, end))
        if len(count) == 0:
            break
        a, c = max_loops.entries(source, row[origin], groups[unit[ptr]])  # (Q, p, d0)
        verts, count, piece = _split_round(verts, count, a, c)
        origin, ptr, end = origin[piece], ptr[piece] + 1, end[piece]
        check_cap(finished + len(count), cap)
    width = max(v.shape[1] for v, _, _ in done)
    verts = np.concatenate([pg.pad(v, m, width) if v.shape[2] == 2 else v
                            for v, m, _ in done])
    count = np.concatenate([m for _, m, _ in done])
    origin = np.concatenate([o for _, _, o in done])
    choice = choice[origin]
    piece, unit = np.nonzero(straddle[origin])  # the split windows: read on each piece
    choice[piece, unit] = max_loops.winners(source, row[origin[piece]], groups[unit],
                                            verts[piece], count[piece])
    return verts, count, origin, choice


def _split_round(verts: np.ndarray, count: np.ndarray, a: np.ndarray, c: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each polygon by its own window (entries a (Q, p, d0), c (Q, p)): whole where one
    entry leads at every vertex, else ``split_max``. An entry equal to an earlier one on
    a polygon (two dead ReLUs in one window, both 0) never leads there, so no region is
    counted twice; ties go to the first entry, as torch's ``return_indices`` does. The
    tests are one compiled loop (``max_loops.round_tests``)."""
    from . import max_loops  # numba: paid only where a maximum is split

    whole, pushed = max_loops.round_tests(verts, count, a, c)
    keep, cut = np.flatnonzero(whole), np.flatnonzero(~whole)
    v, m, src, _ = split_max(verts[cut], count[cut], a[cut], pushed[cut])
    if verts.shape[2] == 1:
        return (np.concatenate([verts[keep], v]), np.concatenate([count[keep], m]),
                np.concatenate([keep, cut[src]]))
    width = max(verts.shape[1], v.shape[1])
    return (np.concatenate([pg.pad(verts[keep], count[keep], width), pg.pad(v, m, width)]),
            np.concatenate([count[keep], m]), np.concatenate([keep, cut[src]]))


def split_max(verts: np.ndarray, count: np.ndarray, a: np.ndarray, c: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Polygons (P, M, 2) and p affine pieces per polygon, a (P, p, d0), c (P, p) -> the
    parts where each piece is the largest: verts, count, src (P',), which piece (P',)."""
    p = a.shape[1]
    if verts.shape[2] == 2 and len(count):
        from . import max_loops  # numba: paid only where a maximum is split

        return max_loops.split_max_2d(verts, count, a, c)
    whole = np.abs(pg.areas(verts, count)) if verts.shape[2] == 2 else None
    parts = []
    for i in range(p):
        v, m, src = verts, count, np.arange(len(count))
        for other in range(p):
            if other == i:
                continue
            s = np.einsum("pmd,pd->pm", v, a[src, i] - a[src, other]) \
                + (c[src, i] - c[src, other])[:, None]
            v, m = _keep(v, m, s)
            ok = _kept(v, m, whole, src)
            v, m, src = v[ok], m[ok], src[ok]
        parts.append((v, m, src, np.full(len(m), i)))
    if verts.shape[2] == 2:
        width = max(v.shape[1] for v, *_ in parts)
        out_v = np.concatenate([pg.pad(v, m, width) for v, m, *_ in parts])
    else:
        out_v = np.concatenate([v for v, *_ in parts])
    return (out_v, np.concatenate([m for _, m, *_ in parts]),
            np.concatenate([s for *_, s, _ in parts]), np.concatenate([w for *_, w in parts]))


def _keep(v: np.ndarray, m: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The part of each polygon (or interval) where ``s >= 0``."""
    s = pg.snapped(s, m)
    if v.shape[2] == 2:
        return pg.clip(v, m, s, +1)
    out_v, _, src, side = pg.split_interval(v, m, s)
    positive = np.where(side == 0, s.max(axis=1)[src] > 0, side > 0)
    keep = np.zeros(len(m), dtype=bool)
    keep[src[positive]] = True
    pick = np.flatnonzero(positive)
    result = v.copy()
    result[src[pick]] = out_v[pick]
    return result, np.where(keep, 2, 0)


def _kept(v: np.ndarray, m: np.ndarray, whole: np.ndarray | None, src: np.ndarray
          ) -> np.ndarray:
    """Parts with an area (length) above a sliver of their polygon's."""
    if whole is None:
        return (m == 2) & (v[:, 1, 0] - v[:, 0, 0] > 0)
    ok = m >= 3
    area = np.zeros(len(m))
    if ok.any():
        area[ok] = np.abs(pg.areas(v[ok], m[ok]))
    return ok & (area > pg.REL_TOL * whole[src])
