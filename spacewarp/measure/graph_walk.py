"""Exact regions through a graph of stages: each stage's affine map carried for every polygon.

Every stage keeps its maps ``A`` (P, d_k, d0), ``c`` (P, d_k) for the current polygons;
when a ReLU or a maximum splits polygons, every kept map follows its polygons (``src``).
A ReLU splits by each neuron's line (as in a chain); a maximum of ``p`` affine pieces
splits each polygon into the parts where each piece leads: the polygon clipped by
``piece_i - piece_l >= 0`` for every other piece l (empty parts dropped).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import polygons as pg
from .graph_steps import Affine, AffineOp, GraphStep, Max, Relu
from .layer_split import MAX_REGIONS, active, check_cap, split_layer

Maps = list[tuple[np.ndarray, np.ndarray]]


def walk_graph(steps: list[GraphStep], verts: np.ndarray, count: np.ndarray,
               cap: int = MAX_REGIONS
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Maps, tuple[int, ...]]:
    """Polygons through every step: (verts, count, patterns, per-stage maps, per_layer)."""
    d0 = verts.shape[2]
    maps: Maps = [(np.eye(d0)[None].repeat(len(count), 0), np.zeros((len(count), d0)))]
    bits: list[np.ndarray] = []  # per split: (P, b) bool, following the polygons
    per_layer: list[int] = []
    for step in steps:
        if isinstance(step, AffineOp):
            maps.append(run_on_maps(step.run, *maps[step.input]))
            continue
        if isinstance(step, Affine):
            a = sum(np.einsum("ij,pjd->pid", m, maps[i][0])
                    for i, m in zip(step.inputs, step.mats, strict=True))
            c = sum(maps[i][1] @ m.T for i, m in zip(step.inputs, step.mats, strict=True))
            maps.append((np.asarray(a), np.asarray(c) + step.offset))
            continue
        if isinstance(step, Relu):
            verts, count, a, c, on = _relu(step, maps, verts, count, bits, cap)
        else:
            verts, count, a, c, on = _max(step, maps, verts, count, bits, cap)
        maps.append((a, c))
        bits.append(on)
        per_layer.append(len(count))
    patterns = (np.concatenate(bits, axis=1) if bits
                else np.zeros((len(count), 0), dtype=bool))
    return verts, count, patterns, maps, tuple(per_layer)


def run_on_maps(run: Callable[[np.ndarray], np.ndarray], a: np.ndarray, c: np.ndarray,
                block: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """An affine operation f on every polygon's map x -> A x + c: f(A x + c) = L A x + f(c),
    with L's columns read as f(column) - f(0). a (P, d_i, d0), c (P, d_i) -> the same for
    d_k; rows go through f ``block`` at a time."""
    p, d_in, d0 = a.shape
    rows = np.concatenate([c, a.transpose(0, 2, 1).reshape(p * d0, d_in)])  # (P + P d0, d_i)
    out = np.concatenate([run(rows[i:i + block]) for i in range(0, len(rows), block)])
    zero = run(np.zeros((1, d_in)))[0]  # f(0): the offset
    new_a = (out[p:] - zero).reshape(p, d0, -1).transpose(0, 2, 1)  # (P, d_k, d0)
    return np.ascontiguousarray(new_a), out[:p]


def _follow(maps: Maps, bits: list[np.ndarray], src: np.ndarray) -> None:
    """Every kept map and pattern follows its polygons into their pieces."""
    maps[:] = [(a[src], c[src]) for a, c in maps]
    bits[:] = [b[src] for b in bits]


def _relu(step: Relu, maps: Maps, verts: np.ndarray, count: np.ndarray,
          bits: list[np.ndarray], cap: int) -> tuple[np.ndarray, ...]:
    a, c = maps[step.input]
    if step.slope == 1.0:
        return verts, count, a, c, np.zeros((len(count), 0), dtype=bool)
    verts, count, src = split_layer(verts, count, a.transpose(0, 2, 1), c, cap=cap)
    _follow(maps, bits, src)
    a, c = maps[step.input]
    on = active(verts, count, a.transpose(0, 2, 1), c)  # (P, d_k)
    return (verts, count, np.where(on[..., None], a, step.slope * a),
            np.where(on, c, step.slope * c), on)


def _max(step: Max, maps: Maps, verts: np.ndarray, count: np.ndarray,
         bits: list[np.ndarray], cap: int) -> tuple[np.ndarray, ...]:
    """Unit by unit: split by which piece leads, then take the leading piece's row. Only
    polygons where the lead changes between vertices are split; the maps follow the
    polygons once, at the end (``origin``: each piece's polygon before this step)."""
    units, p = step.groups.shape
    a = np.concatenate([maps[i][0] for i in step.inputs], axis=1)  # (P, D, d0)
    c = np.concatenate([maps[i][1] for i in step.inputs], axis=1)  # (P, D)
    origin = np.arange(len(count))
    choice = np.zeros((len(count), units), dtype=np.int64)
    for j in range(units):
        g = step.groups[j]
        verts, count, src, which = _split_unit(verts, count, a[origin[:, None], g],
                                                c[origin[:, None], g])
        origin, choice = origin[src], choice[src]
        choice[:, j] = which
        check_cap(len(count), cap)
    _follow(maps, bits, origin)
    a, c = a[origin], c[origin]
    rows = np.arange(len(count))[:, None]
    lead = step.groups[np.arange(units)[None, :], choice]  # (P, units) input columns
    onehot = np.zeros((len(count), units * p), dtype=bool)
    onehot[rows, np.arange(units)[None, :] * p + choice] = True
    return verts, count, a[rows, lead], c[rows, lead], onehot


def _split_unit(verts: np.ndarray, count: np.ndarray, a: np.ndarray, c: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``split_max`` for the polygons where no one piece leads at every vertex (then, the
    map being affine, it leads on the whole polygon); the others stay whole, with it.
    A piece equal to an earlier one on a polygon (two dead ReLUs in one pooling window,
    both 0) never leads there, so no region is counted twice."""
    c = c - _repeats(a, c) * 1e6 * (1.0 + np.abs(c).max(axis=1, keepdims=True)
                                     + np.abs(a).sum(axis=(1, 2))[:, None] * _reach(verts))
    if verts.shape[2] != 2:
        return split_max(verts, count, a, c)
    values = np.einsum("pkd,pmd->pmk", a, verts) + c[:, None, :]  # (P, M, p)
    valid = np.arange(verts.shape[1])[None, :, None] < count[:, None, None]
    top = np.where(valid, values, -np.inf).max(axis=2, keepdims=True)  # (P, M, 1)
    tol = pg.REL_TOL * (1.0 + np.abs(top))
    leads = np.all((values >= top - tol) | ~valid, axis=1)  # (P, p): leads at every vertex
    whole = leads.any(axis=1)
    cut, keep = np.flatnonzero(~whole), np.flatnonzero(whole)
    v, m, src, which = split_max(verts[cut], count[cut], a[cut], c[cut])
    width = max(verts.shape[1], v.shape[1])
    return (np.concatenate([pg.pad(verts[keep], count[keep], width), pg.pad(v, m, width)]),
            np.concatenate([count[keep], m]), np.concatenate([keep, cut[src]]),
            np.concatenate([leads[keep].argmax(axis=1), which]))


def _repeats(a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(P, p) bool: piece i's map equals an earlier piece's on the polygon."""
    p = a.shape[1]
    same = np.zeros(c.shape, dtype=bool)
    for i in range(1, p):
        for k in range(i):
            same[:, i] |= np.all(np.isclose(a[:, i], a[:, k], rtol=1e-12, atol=1e-12),
                                 axis=1) & np.isclose(c[:, i], c[:, k], rtol=1e-12,
                                                           atol=1e-12)
    return same


def _reach(verts: np.ndarray) -> np.ndarray:
    """(P, 1) the largest coordinate of each polygon's vertices, in absolute value."""
    return np.abs(verts).max(axis=(1, 2))[:, None]


def split_max(verts: np.ndarray, count: np.ndarray, a: np.ndarray, c: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Polygons (P, M, 2) and p affine pieces per polygon, a (P, p, d0), c (P, p) -> the
    parts where each piece is the largest: verts, count, src (P',), which piece (P',)."""
    p = a.shape[1]
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
    width = max(v.shape[1] for v, *_ in parts)
    out_v = np.concatenate([pg.pad(v, m, width) for v, m, *_ in parts])
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
