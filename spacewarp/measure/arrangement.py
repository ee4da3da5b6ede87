"""Convex polygons cut by all of their crossing lines at once: each polygon's arrangement.

``layer_split`` cut a polygon by one line per round, and a layer took 10 to 20 rounds of
about 30 numpy calls each. Here every polygon of a batch is cut by all its lines in a
fixed number of calls. For a polygon P crossed by k lines in general position, the
pieces are the faces of the lines' arrangement inside P, 1 + k + X of them (X the pairs
of lines that cross inside P), and every face vertex is one of:

- a corner of P: in one face;
- an end of a line's chord on an edge of P: in the two faces either side of the line;
- the crossing of two lines inside P: in the four faces around it.

A face is named by its sign vector over P's lines, hashed: a random 64-bit salt for P
plus a random 64-bit weight for each line that is positive there, summed with wrap-
around. Each vertex names the faces it is in from its own signs (its own lines either
way), the vertices are grouped by name, and a face's vertices sorted by angle around
their mean are its polygon, counter-clockwise.

A polygon is **degenerate** when a vertex lies within ``ON_LINE`` of a line that does
not make it (three lines through a point, a line through a corner, two equal lines), or
when its faces are not 1 + k + X with three vertices or more each (a hash collision, or
a case missed): then none of its faces is returned, and ``layer_split`` cuts it one line
at a time, with its snapping. Away from those cases both give the same pieces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import polygons as pg

ON_LINE = 1e-8  # a value this close to 0, relative to the line's largest on P's corners
BLOCK = 1 << 19  # (vertex, line) values evaluated at a time: bounds the memory
DENSE = 32  # a polygon of this many lines or more: its vertices' signs as one product
ROOT_EVERY = 32  # one face in this many starts the spanning tree (its map is a product)
SEED = 19  # the hash weights are random but fixed: the same input gives the same output


class Chords(NamedTuple):
    """The lines that cross their polygons, and where."""

    poly: np.ndarray  # (K,) each line's polygon, sorted
    a: np.ndarray  # (K, 2) the line a x + c = 0
    c: np.ndarray  # (K,)
    ends: np.ndarray  # (K, 2, 2) where it enters and leaves its polygon
    scale: np.ndarray  # (K,) its largest |value| on the polygon's corners
    bad: np.ndarray  # (P,) polygons where a line passes within ON_LINE of a corner
    label: np.ndarray  # (K,) the caller's name for each line (its neuron)


def chords(verts: np.ndarray, count: np.ndarray, poly: np.ndarray, a: np.ndarray,
           c: np.ndarray, label: np.ndarray) -> Chords:
    """Of the candidate lines ``a x + c = 0`` (K,) of polygons ``poly`` (K,), sorted, the
    ones that cut their polygon in two (both signs at its corners beyond REL_TOL of the
    largest, as ``polygons.cut`` decides), with where they enter and leave it."""
    v = verts[poly]  # (K, M, 2)
    i = np.arange(verts.shape[1])[None, :]
    m = count[poly][:, None]
    valid = i < m
    s = pg.dot(v, a[:, None]) + c[:, None]  # (K, M) at the corners
    scale = pg.row_max(np.where(valid, np.abs(s), 0.0))
    tol = pg.REL_TOL * scale[:, None]
    keep = pg.row_max(valid & (s > tol)) & pg.row_max(valid & (s < -tol))
    v, m, s, scale, poly, a, c, label = (x[keep] for x in (v, m, s, scale, poly, a, c,
                                                           label))
    valid = i < m
    nxt = np.where(i + 1 < m, i + 1, 0)
    s_next = np.take_along_axis(s, nxt, axis=1)
    cross = valid & (s * s_next < 0)  # (K, M) the edge from corner i crosses the line
    wrong = pg.row_max(valid & (np.abs(s) <= ON_LINE * scale[:, None]))
    wrong |= pg.row_count(cross) != 2
    bad = np.zeros(len(count), dtype=bool)
    bad[poly[wrong]] = True
    e0 = np.argmax(cross, axis=1)  # (K,) the first crossed edge, then the second
    e1 = np.argmax(cross & (i != e0[:, None]), axis=1)
    edge = np.stack([e0, e1], axis=1)  # (K, 2)
    rows = np.arange(len(poly))[:, None]
    s0, s1 = s[rows, edge], s_next[rows, edge]
    t = s0 / np.where(s0 != s1, s0 - s1, 1.0)  # (K, 2) along each crossed edge
    p0, p1 = v[rows, edge], v[rows, nxt[rows, edge]]  # (K, 2, 2)
    return Chords(poly, a, c, p0 + t[..., None] * (p1 - p0), scale, bad, label)


@dataclass(frozen=True)
class Faces:
    """The faces of every polygon's arrangement, and which faces are neighbours across
    one line (their maps differ by the gain of one neuron: ``spanning_tree``)."""

    verts: np.ndarray  # (F, M', 2) padded with the last vertex
    count: np.ndarray  # (F,)
    src: np.ndarray  # (F,) the polygon each came from
    degenerate: np.ndarray  # (P,) bool: the polygons that have no faces here
    sides: np.ndarray  # (S, 3) neighbouring faces either side of a line, and its label


def faces(verts: np.ndarray, count: np.ndarray, lines: Chords) -> Faces:
    """Polygons (P, M, 2) with ``count`` (P,) corners, cut by their ``chords`` -> their
    faces (polygons without a line, and degenerate ones, have none here)."""
    poly, a, c, ends = lines.poly, lines.a, lines.c, lines.ends
    n_poly = len(count)
    weight, salt = hash_weights(len(poly), n_poly)
    k = np.bincount(poly, minlength=n_poly)  # (P,) lines per polygon
    first = np.searchsorted(poly, np.arange(n_poly))  # (P,) each polygon's first line
    bad = lines.bad.copy()
    pair, at_cross = _crossings(ends, poly, a, c, k, first)
    crossed = np.bincount(poly[pair[:, 0]], minlength=n_poly)  # (P,) X
    corner_p, corner_m = np.nonzero((np.arange(verts.shape[1]) < count[:, None])
                                    & (k > 0)[:, None])
    xy = np.concatenate([verts[corner_p, corner_m], ends.reshape(-1, 2), at_cross])
    vpoly = np.concatenate([corner_p, np.repeat(poly, 2), poly[pair[:, 0]]])
    none = np.full(len(corner_p), -1)
    own = np.concatenate([np.stack([none, none], 1),
                          np.stack([np.repeat(np.arange(len(poly)), 2),
                                    np.full(2 * len(poly), -1)], 1),
                          pair])  # (V, 2) the lines that make each vertex (-1: none)
    key = salt[vpoly] + _signs(xy, vpoly, own, lines, weight, k, first, bad)
    fv, fm, fsrc, sides = _group(xy, vpoly, key, own, weight, bad)
    wrong = (np.bincount(fsrc, minlength=n_poly) != 1 + k + crossed) & (k > 0)
    wrong[fsrc[fm < 3]] = True
    bad |= wrong
    keep = ~bad[fsrc]
    new = np.cumsum(keep) - 1  # (F,) each kept face's index after the cut
    sides = sides[keep[sides[:, 0]]]
    fsrc = fsrc[keep]
    sides[:, :2] = new[sides[:, :2]]
    sides[:, 2] = lines.label[sides[:, 2]]
    return Faces(fv[keep], fm[keep], fsrc, bad, sides)


def hash_weights(n_lines: int, n_poly: int) -> tuple[np.ndarray, np.ndarray]:
    """Random 64-bit weights for the lines (K,) and salts for the polygons (P,) that name
    the faces: random but fixed (SEED), so the same input gives the same output."""
    rng = np.random.default_rng(SEED)
    top = np.iinfo(np.uint64).max
    return (rng.integers(0, top, n_lines, np.uint64, endpoint=True),
            rng.integers(0, top, n_poly, np.uint64, endpoint=True))


def _crossings(ends: np.ndarray, poly: np.ndarray, a: np.ndarray, c: np.ndarray,
               lines: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of lines of one polygon that cross inside it, (X, 2) line indices, and
    where (X, 2): line j crosses line i's chord when its values at the chord's two ends
    have opposite signs; the point is found along i's chord."""
    local = np.arange(len(poly)) - first[poly]  # (K,) each line's place in its polygon
    after = lines[poly] - 1 - local  # (K,) the lines after it in its polygon
    i = np.repeat(np.arange(len(poly)), after)
    start = np.cumsum(after) - after
    j = i + 1 + np.arange(len(i)) - np.repeat(start, after)
    s0 = pg.dot(ends[i, 0], a[j]) + c[j]
    s1 = pg.dot(ends[i, 1], a[j]) + c[j]
    hit = s0 * s1 < 0
    i, j, s0, s1 = i[hit], j[hit], s0[hit], s1[hit]
    t = (s0 / (s0 - s1))[:, None]
    return np.stack([i, j], axis=1), ends[i, 0] + t * (ends[i, 1] - ends[i, 0])


def _signs(xy: np.ndarray, vpoly: np.ndarray, own: np.ndarray, lines: Chords,
           weight: np.ndarray, k: np.ndarray, first: np.ndarray, bad: np.ndarray
           ) -> np.ndarray:
    """Each vertex's (V,) hash of its signs over its polygon's lines, its own lines
    counted as negative; marks ``bad`` where a vertex is within ON_LINE of another line.
    Polygons of DENSE lines or more (the first layer's box) one at a time, as a product;
    the others (a few lines each) all at once."""
    key = np.zeros(len(xy), dtype=np.uint64)
    many = np.flatnonzero(k[vpoly] >= DENSE)
    many = many[np.argsort(vpoly[many], kind="stable")]  # grouped by polygon
    cuts = np.flatnonzero(np.r_[True, vpoly[many][1:] != vpoly[many][:-1]])
    for v in np.split(many, cuts[1:]) if len(many) else []:
        p = vpoly[v[0]]
        span = slice(first[p], first[p] + k[p])
        local = np.where(own[v] >= 0, own[v] - first[p], -1)  # (B, 2) in the polygon
        key[v], bad[p] = _dense_signs(xy[v], local, lines.a[span] / lines.scale[span, None],
                                      lines.c[span] / lines.scale[span], weight[span])
    few = np.flatnonzero(k[vpoly] < DENSE)
    key[few] = _ragged_signs(xy[few], vpoly[few], own[few], lines, weight, k, first, bad)
    return key


def _dense_signs(xy: np.ndarray, own: np.ndarray, a: np.ndarray, c: np.ndarray,
                 weight: np.ndarray) -> tuple[np.ndarray, bool]:
    """One polygon's vertices (V, 2) against its lines (k,), scaled to their largest
    value on its corners: the hashes (V,), and whether a vertex is within ON_LINE of a
    line other than its ``own`` (V, 2) (local line indices, -1 none)."""
    key = np.empty(len(xy), dtype=np.uint64)
    near_any = False
    step = max(1, BLOCK // len(c))
    for lo in range(0, len(xy), step):
        val = xy[lo:lo + step] @ a.T + c  # (B, k)
        pos, near = val > 0, np.abs(val) <= ON_LINE
        for col in own[lo:lo + step].T:  # its own lines: negative, and not near
            rows = np.flatnonzero(col >= 0)
            pos[rows, col[rows]] = near[rows, col[rows]] = False
        near_any |= bool(near.any())
        key[lo:lo + step] = pos.astype(np.uint64) @ weight
    return key, near_any


def _ragged_signs(xy: np.ndarray, vpoly: np.ndarray, own: np.ndarray, lines: Chords,
                  weight: np.ndarray, k: np.ndarray, first: np.ndarray, bad: np.ndarray
                  ) -> np.ndarray:
    """``_signs`` for vertices of polygons with a few lines each: (vertex, line) pairs
    flat, in blocks of about BLOCK."""
    a, c, scale = lines.a, lines.c, lines.scale
    rep = k[vpoly]  # (V,) values per vertex
    key = np.zeros(len(xy), dtype=np.uint64)
    total = np.cumsum(rep)
    lo = 0
    while lo < len(xy):
        hi = max(lo + 1, int(np.searchsorted(total, total[lo] - rep[lo] + BLOCK, "right")))
        r = rep[lo:hi]
        vid = np.repeat(np.arange(lo, hi), r)  # (B,)
        start = np.cumsum(r) - r
        line = np.repeat(first[vpoly[lo:hi]], r) + np.arange(len(vid)) - np.repeat(start, r)
        val = pg.dot(xy[vid], a[line]) + c[line]
        other = (line != own[vid, 0]) & (line != own[vid, 1])
        bad[vpoly[vid[other & (np.abs(val) <= ON_LINE * scale[line])]]] = True
        bits = np.where(other & (val > 0), weight[line], np.uint64(0))
        key[lo:hi] = np.add.reduceat(bits, start)
        lo = hi
    return key


def _group(xy: np.ndarray, vpoly: np.ndarray, key: np.ndarray, own: np.ndarray,
           weight: np.ndarray, bad: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every vertex in each face it is in, grouped by the faces' names and sorted by
    angle around each face's mean: verts (F, M', 2), count (F,), src (F,), and the
    neighbours (S, 3) of ``_sides``."""
    w0 = np.where(own[:, 0] >= 0, weight[own[:, 0]], np.uint64(0))  # (V,)
    w1 = np.where(own[:, 1] >= 0, weight[own[:, 1]], np.uint64(0))
    ok = ~bad[vpoly]
    one, two = ok & (own[:, 0] >= 0), ok & (own[:, 1] >= 0)
    names = np.concatenate([key[ok], key[one] + w0[one], key[two] + w1[two],
                            key[two] + w0[two] + w1[two]])
    where = np.concatenate([np.flatnonzero(ok), np.flatnonzero(one), np.flatnonzero(two),
                            np.flatnonzero(two)])  # (I,) the vertex of each incidence
    if len(names) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros((0, 3, 2)), empty, empty, np.zeros((0, 3), dtype=np.int64)
    order = np.argsort(names)
    names, where = names[order], where[order]
    new = np.r_[True, names[1:] != names[:-1]]
    face = np.cumsum(new) - 1  # (I,)
    start = np.flatnonzero(new)
    mixed = vpoly[where] != vpoly[where[start]][face]  # two polygons' names collided
    bad[vpoly[where[mixed]]] = bad[vpoly[where[start[face[mixed]]]]] = True
    sides = _sides(face, order, own, ok, one, two)
    size = np.diff(np.r_[start, len(names)])
    p = xy[where]
    centre = np.add.reduceat(p, start, axis=0) / size[:, None]
    d = p - centre[face]
    turn = (np.arctan2(d[:, 1], d[:, 0]) + np.pi) / (2 * np.pi + 1e-9)  # (I,) in [0, 1)
    # one sort by face + turn: exact below 2^20 faces (turns 2^-32 apart stay apart)
    order = np.argsort(face + turn) if len(start) < 1 << 20 else np.lexsort((turn, face))
    p = p[order]
    out = np.repeat(p[start + size - 1][:, None], int(size.max()), axis=1)  # (F, M', 2)
    out[face, np.arange(len(face)) - start[face]] = p
    return out, size, vpoly[where[start]], sides


def _sides(face: np.ndarray, order: np.ndarray, own: np.ndarray, ok: np.ndarray,
           one: np.ndarray, two: np.ndarray) -> np.ndarray:
    """Faces that meet at a vertex either side of one of its lines: (S, 3) rows of
    (the face on the line's negative side, the positive one, the line). ``face`` (I,)
    is each incidence's face in ``order`` of ``_group``'s names (vertex, +own 0,
    +own 1, +both)."""
    at = np.empty(len(face), dtype=np.int64)
    at[order] = face  # (I,) in the order the incidences were made
    n0, n1, n2 = int(ok.sum()), int(one.sum()), int(two.sum())
    f = np.full((4, len(own)), -1)  # (4, V) each vertex's face with each variant
    f[0, ok], f[1, one] = at[:n0], at[n0:n0 + n1]
    f[2, two], f[3, two] = at[n0 + n1:n0 + n1 + n2], at[n0 + n1 + n2:]
    v1, v2 = np.flatnonzero(one), np.flatnonzero(two)
    rows = [(f[0, v1], f[1, v1], own[v1, 0]), (f[2, v2], f[3, v2], own[v2, 0]),
            (f[0, v2], f[2, v2], own[v2, 1]), (f[1, v2], f[3, v2], own[v2, 1])]
    return np.concatenate([np.stack(r, axis=1) for r in rows])


def spanning_tree(src: np.ndarray, sides: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breadth first from roots over the ``sides`` (S, 3) of faces from polygons ``src``
    (F,): each face's parent (F,) (-1 for a root), the line between them (F,), and
    depth (F,). Roots: each polygon's first face, every ROOT_EVERY-th face, and faces
    no side reaches. A few calls per level; a polygon of k lines has at most k levels,
    fewer with more roots."""
    n = len(src)
    parent, flip, depth = np.full(n, -1), np.full(n, -1), np.full(n, -1)
    edge = np.concatenate([sides[:, [0, 1, 2]], sides[:, [1, 0, 2]]])  # both ways
    edge = edge[np.argsort(edge[:, 0], kind="stable")]
    start = np.searchsorted(edge[:, 0], np.arange(n + 1))  # (F + 1,) CSR
    # roots: each polygon's first face, and every ROOT_EVERY-th face (the faces are in
    # hash order, so these are spread over the polygon): fewer levels
    frontier = np.union1d(np.unique(src, return_index=True)[1], np.arange(0, n, ROOT_EVERY))
    depth[frontier] = 0
    level = 0
    while len(frontier):
        level += 1
        r = start[frontier + 1] - start[frontier]
        e = np.repeat(start[frontier] - np.cumsum(r) + r, r) + np.arange(int(r.sum()))
        to = edge[e, 1]
        fresh = depth[to] < 0
        to, e = to[fresh], e[fresh]
        to, first = np.unique(to, return_index=True)
        depth[to], parent[to], flip[to] = level, edge[e[first], 0], edge[e[first], 2]
        frontier = to
    depth[depth < 0] = 0  # unreached (no sides): roots
    return parent, flip, depth
