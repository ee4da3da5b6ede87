"""The compiled loops of ``arrangement``: one pass over a layer's polygons, no numpy call
per step.

A layer cut by numpy calls cost about 300 calls of 5 to 15 µs on arrays of a few hundred
rows; that fixed cost was most of the time on small networks (docs/REGIONS.md). Here
each polygon is one iteration of a compiled loop (numba, ``cache=True``: compiled once
per machine, then loaded from ``__pycache__``). This module imports numba, so it is
imported only when regions are cut (``arrangement`` imports it inside its functions).

The arithmetic is ``arrangement``'s, written out per value: the same formulas in the same
order, so the pieces are the same.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .first_compile import note_first_compile

note_first_compile(__file__)  # before the first call compiles: say why it waits


@njit(cache=True)
def _grown(x, need):
    """``x`` with room for ``need`` rows along its first axis (doubled when full)."""
    if need <= len(x):
        return x
    new = np.empty((max(need, 2 * len(x)),) + x.shape[1:], x.dtype)
    new[:len(x)] = x
    return new


@njit(cache=True)
def _chord(v, m, a0, a1, c0, rel_tol, on_line, s, ends, k):
    """One line ``a x + c0 = 0`` against one polygon ``v`` (M, 2) of ``m`` corners:
    (whether it cuts it in two: both signs beyond ``rel_tol`` of its largest |value|,
    whether a corner is within ``on_line`` of it or it crosses other than two edges,
    that largest |value|). Where it cuts, ``ends[k]`` (2, 2) gets where it enters and
    leaves. ``s`` (M,) is scratch."""
    scale = 0.0
    for i in range(m):
        s[i] = v[i, 0] * a0 + v[i, 1] * a1 + c0
        scale = max(scale, abs(s[i]))
    tol = rel_tol * scale
    pos, neg = False, False
    for i in range(m):
        pos |= s[i] > tol
        neg |= s[i] < -tol
    if not (pos and neg):
        return False, False, scale
    wrong, crossed, edge0, edge1 = False, 0, 0, 0
    for i in range(m):
        wrong |= abs(s[i]) <= on_line * scale
        if s[i] * s[i + 1 if i + 1 < m else 0] < 0:
            if crossed == 0:
                edge0 = i
            elif crossed == 1:
                edge1 = i
            crossed += 1
    for end, e in enumerate((edge0, edge1)):  # the point along each crossed edge
        nxt = e + 1 if e + 1 < m else 0
        s0, s1 = s[e], s[nxt]
        t = s0 / (s0 - s1 if s0 != s1 else 1.0)
        for d in range(2):
            ends[k, end, d] = v[e, d] + t * (v[nxt, d] - v[e, d])
    return True, wrong or crossed != 2, scale


@njit(cache=True)
def chords_of_pairs(verts, count, poly, a, c, rel_tol, on_line):
    """``arrangement.chords`` on given (polygon, line) pairs (K,): which lines cut
    (K,), their ends (K, 2, 2) and scales (K,), and the polygons made bad (P,)."""
    keep = np.zeros(len(poly), np.bool_)
    ends = np.zeros((len(poly), 2, 2))
    scale = np.zeros(len(poly))
    bad = np.zeros(len(count), np.bool_)
    s = np.empty(verts.shape[1])
    for k in range(len(poly)):
        p = poly[k]
        cuts, wrong, scale[k] = _chord(verts[p], count[p], a[k, 0], a[k, 1], c[k],
                                       rel_tol, on_line, s, ends, k)
        keep[k] = cuts
        bad[p] |= cuts and wrong
    return keep, ends, scale, bad


@njit(cache=True)
def layer_chords(verts, count, row, at, c, rel_tol, on_line):
    """Every polygon (P, M, 2) against every neuron of its map row ``row`` (P,) of
    ``at`` (N, 2, n), c (N, n): the enclosing circle's bound, then ``_chord`` for the
    lines it leaves open. Returns on (P, n) (the values at the centroid > 0), then the
    chords' poly, a, c, ends, scale, label (K,...) sorted by polygon, and bad (P,)."""
    n_poly, n = len(count), at.shape[2]
    on = np.empty((n_poly, n), np.bool_)
    bad = np.zeros(n_poly, np.bool_)
    size = 4 * n_poly + 16
    poly, label = np.empty(size, np.int64), np.empty(size, np.int64)
    a, cc, scale = np.empty((size, 2)), np.empty(size), np.empty(size)
    ends = np.empty((size, 2, 2))
    s = np.empty(verts.shape[1])
    k = np.int64(0)  # typed, not the literal 0: _chord is compiled for one k type
    for p in range(n_poly):
        m, r, v = count[p], row[p], verts[p]
        ox, oy, w = 0.0, 0.0, 1.0 / m  # the centroid, as polygons.centroids
        for i in range(m):
            ox += w * v[i, 0]
            oy += w * v[i, 1]
        r2 = 0.0
        for i in range(m):
            r2 = max(r2, (v[i, 0] - ox) * (v[i, 0] - ox) + (v[i, 1] - oy) * (v[i, 1] - oy))
        radius = np.sqrt(r2) * (1 + 1e-9)
        for j in range(n):
            a0, a1, cj = at[r, 0, j], at[r, 1, j], c[r, j]
            value = ox * a0 + oy * a1 + cj
            on[p, j] = value > 0
            if abs(value) > radius * np.sqrt(a0 * a0 + a1 * a1):
                continue  # the circle misses the line
            if k == len(poly):
                poly, label, a = _grown(poly, k + 1), _grown(label, k + 1), _grown(a, k + 1)
                cc, scale, ends = _grown(cc, k + 1), _grown(scale, k + 1), _grown(ends, k + 1)
            cuts, wrong, sk = _chord(v, m, a0, a1, cj, rel_tol, on_line, s, ends, k)
            if cuts:
                poly[k], label[k], a[k, 0], a[k, 1], cc[k], scale[k] = p, j, a0, a1, cj, sk
                bad[p] |= wrong
                k += 1
    return on, poly[:k], a[:k], cc[:k], ends[:k], scale[:k], label[:k], bad


@njit(cache=True)
def _vertices(xy, own, v, m, ends, a, c, first, k):
    """One polygon's face vertices into ``xy`` (V, 2): its corners, its chords' ends,
    the crossings of its lines inside it; the lines that make each into ``own`` (V, 2)
    (local indices, -1 none). Returns V and the crossings X. A crossing of lines i < j:
    j's values at i's chord's ends differ in sign; the point is found along i's chord."""
    xy[:m] = v[:m]
    own[:m] = -1
    for i in range(k):
        for end in range(2):
            xy[m + 2 * i + end] = ends[first + i, end]
            own[m + 2 * i + end, 0], own[m + 2 * i + end, 1] = i, -1
    n_v = m + 2 * k
    for i in range(k):
        e = ends[first + i]
        for j in range(i + 1, k):
            lj = first + j
            s0 = e[0, 0] * a[lj, 0] + e[0, 1] * a[lj, 1] + c[lj]
            s1 = e[1, 0] * a[lj, 0] + e[1, 1] * a[lj, 1] + c[lj]
            if s0 * s1 < 0:
                t = s0 / (s0 - s1)
                for d in range(2):
                    xy[n_v, d] = e[0, d] + t * (e[1, d] - e[0, d])
                own[n_v, 0], own[n_v, 1] = i, j
                n_v += 1
    return n_v, n_v - m - 2 * k


@njit(cache=True)
def _names(key, xy, own, n_v, a, c, scale, weight, salt, first, k, on_line):
    """Each vertex's hash of its signs over the polygon's lines (its own lines counted
    as negative) into ``key`` (V,); False where a vertex is within ``on_line`` of
    another line (a degenerate polygon)."""
    for v in range(n_v):
        h = salt
        for i in range(k):
            if i == own[v, 0] or i == own[v, 1]:
                continue
            li = first + i
            value = xy[v, 0] * a[li, 0] + xy[v, 1] * a[li, 1] + c[li]
            if abs(value) <= on_line * scale[li]:
                return False
            if value > 0:
                h += weight[li]
        key[v] = h
    return True


@njit(cache=True)
def _incidences(name, vertex, variant, key, own, n_v, weight, first):
    """Every vertex in each face it is in: the faces' names, the vertex and which of
    its own lines are positive in that face (bit 0 its first, bit 1 its second), into
    the three (I,); returns I."""
    i = 0
    for v in range(n_v):
        for var in range(4):
            if (var & 1 and own[v, 0] < 0) or (var & 2 and own[v, 1] < 0):
                continue
            h = key[v]
            if var & 1:
                h += weight[first + own[v, 0]]
            if var & 2:
                h += weight[first + own[v, 1]]
            name[i], vertex[i], variant[i] = h, v, var
            i += 1
    return i


@njit(cache=True)
def _sorted_by_angle(p, n, turn):
    """The first ``n`` points of ``p`` (n, 2) sorted by angle around their mean, counter-
    clockwise from -pi (insertion sort: a face has a few vertices); ``turn`` scratch."""
    mx, my = 0.0, 0.0
    for i in range(n):
        mx += p[i, 0]
        my += p[i, 1]
    mx, my = mx / n, my / n
    for i in range(n):
        turn[i] = (np.arctan2(p[i, 1] - my, p[i, 0] - mx) + np.pi) / (2 * np.pi + 1e-9)
    for i in range(1, n):
        t, x, y, j = turn[i], p[i, 0], p[i, 1], i - 1
        while j >= 0 and turn[j] > t:
            turn[j + 1], p[j + 1, 0], p[j + 1, 1] = turn[j], p[j, 0], p[j, 1]
            j -= 1
        turn[j + 1], p[j + 1, 0], p[j + 1, 1] = t, x, y


@njit(cache=True)
def _face_groups(face, start, name, order):
    """The face of each incidence in ``order`` (sorted by name) into ``face`` (I,), the
    faces' starts into ``start`` (F + 1,); returns F, or 0 when a face has fewer than 3
    vertices (a degenerate polygon)."""
    f = -1
    for i in range(len(order)):
        if i == 0 or name[order[i]] != name[order[i - 1]]:
            if f >= 0 and i - start[f] < 3:
                return 0
            f += 1
            start[f] = i
        face[i] = f
    start[f + 1] = len(order)
    return f + 1 if len(order) - start[f] >= 3 else 0


@njit(cache=True)
def _face_signs(on_row, xy, own, vertex, variant, a, c, label, first, k):
    """A face's on-bits: its polygon's ``on_row`` (n,), with each of the polygon's lines
    read at one of the face's vertices (``variant``'s bits for the vertex's own lines)."""
    for i in range(k):
        li = first + i
        if i == own[vertex, 0]:
            on_row[label[li]] = variant & 1 != 0
        elif i == own[vertex, 1]:
            on_row[label[li]] = variant & 2 != 0
        else:
            on_row[label[li]] = (xy[vertex, 0] * a[li, 0] + xy[vertex, 1] * a[li, 1]
                                 + c[li]) > 0


@njit(cache=True)
def layer_faces(verts, count, poly, a, c, ends, scale, label, bad, weight, salt,
                on, on_line):
    """``arrangement.faces``: every polygon (P, M, 2) with lines (its chords, sorted by
    polygon) cut by all of them. Returns the faces' vertices flat (T, 2) with their
    counts (F,) and polygons (F,), their on-bits (F, n) (rows of ``on`` (P, n) with the
    crossing lines read per face; n = 0: none), the neighbour sides (S, 3) (negative
    face, positive face, the line's label) and ``bad`` (P,) updated."""
    n_poly, n = len(count), on.shape[1]
    first = np.searchsorted(poly, np.arange(n_poly + 1))
    most = max(1, np.max(first[1:] - first[:-1])) if n_poly else 1
    n_v = verts.shape[1] + 2 * most + most * (most - 1) // 2  # vertices of one polygon
    xy, own, key = np.empty((n_v, 2)), np.empty((n_v, 2), np.int64), np.empty(n_v, np.uint64)
    name, vertex = np.empty(4 * n_v, np.uint64), np.empty(4 * n_v, np.int64)
    variant, face = np.empty(4 * n_v, np.int64), np.empty(4 * n_v, np.int64)
    start, turn = np.empty(4 * n_v + 1, np.int64), np.empty(4 * n_v)
    at_face = np.empty((n_v, 4), np.int64)  # each vertex's face per variant
    flat, fcount, fsrc = np.empty((64, 2)), np.empty(16, np.int64), np.empty(16, np.int64)
    fon, sides = np.empty((16, n), np.bool_), np.empty((16, 3), np.int64)
    n_t, n_f = 0, 0
    n_s = np.int64(0)  # typed, not the literal 0: _sides is compiled for one n_s type
    for p in range(n_poly):
        f0, k = first[p], first[p + 1] - first[p]
        if k == 0 or bad[p]:
            continue
        nv, crossed = _vertices(xy, own, verts[p], count[p], ends, a, c, f0, k)
        if not _names(key, xy, own, nv, a, c, scale, weight, salt[p], f0, k, on_line):
            bad[p] = True
            continue
        ni = _incidences(name, vertex, variant, key, own, nv, weight, f0)
        order = np.argsort(name[:ni])
        faces = _face_groups(face, start, name, order)
        if faces != 1 + k + crossed:
            bad[p] = True  # a case missed, or two faces' names collided
            continue
        flat = _grown(flat, n_t + ni)
        fcount, fsrc = _grown(fcount, n_f + faces), _grown(fsrc, n_f + faces)
        fon = _grown(fon, n_f + faces)
        for i in range(ni):
            inc = order[i]
            at_face[vertex[inc], variant[inc]] = n_f + face[i]
            flat[n_t + i] = xy[vertex[inc]]
        for f in range(faces):
            size = start[f + 1] - start[f]
            _sorted_by_angle(flat[n_t + start[f]:], size, turn)
            fcount[n_f + f], fsrc[n_f + f] = size, p
            if n:
                inc = order[start[f]]
                fon[n_f + f] = on[p]
                _face_signs(fon[n_f + f], xy, own, vertex[inc], variant[inc], a, c,
                            label, f0, k)
        sides = _grown(sides, n_s + 4 * nv)
        n_s = _sides(sides, n_s, at_face, own, nv, label, f0)
        n_t, n_f = n_t + ni, n_f + faces
    return flat[:n_t], fcount[:n_f], fsrc[:n_f], fon[:n_f], sides[:n_s], bad


@njit(cache=True)
def _sides(sides, n_s, at_face, own, n_v, label, first):
    """Faces either side of a vertex's own lines, one row each (negative face, positive
    face, the line's label) written from ``n_s`` on; returns the new count."""
    for v in range(n_v):
        i, j = own[v, 0], own[v, 1]
        if i < 0:
            continue
        f = at_face[v]
        sides[n_s] = (f[0], f[1], label[first + i])
        n_s += 1
        if j >= 0:
            sides[n_s] = (f[2], f[3], label[first + i])
            sides[n_s + 1] = (f[0], f[2], label[first + j])
            sides[n_s + 2] = (f[1], f[3], label[first + j])
            n_s += 3
    return n_s


@njit(cache=True)
def padded(flat, count):
    """Faces given flat (T, 2) with ``count`` (F,) as (F, M', 2), padded with each
    face's last vertex."""
    width = max(3, count.max()) if len(count) else 3
    out = np.empty((len(count), width, 2))
    t = 0
    for f in range(len(count)):
        for i in range(width):
            out[f, i] = flat[t + min(i, count[f] - 1)]
        t += count[f]
    return out
