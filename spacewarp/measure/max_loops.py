"""Compiled loops for the maxima of affine pieces (``max_split``): which entry of each
window leads on each polygon, the parts where each entry leads, and the winners' maps.

A max-pooling's input is usually a gated ReLU stage (``StageMap`` with ``pre_row`` and
``on``): entry j of row r is ``gain * pre[pre_row[r], :, j]`` with gain 1 or the slope.
In numpy every test expanded each row's whole map first ((rows, d0, D) copies of the
pre-activation, and its norms) to read 4 entries per window: 2.7 of the trained digits
slice's 9 CPU s. Here one loop per polygon reads only the entries it tests, straight
from the compact maps (docs/REGIONS.md has the measurements); an entry a ReLU turned off
is exactly 0 and is not read at all (a quarter to a third of the windows have every
entry off). The two passes over every polygon (``leaders``, ``winners_stage``) run on
numba's threads where they are large (``sign_loops.on_threads``; ``prange``, blocks of
``BLOCK`` polygons, each writing only its own rows), the split rounds' small loops on one.
The tolerances are ``max_split``'s: an entry leads on a polygon when it is within
``REL_TOL`` (relative) of the top at every vertex. numba compiles the loops once per
machine (about 12 CPU s; cached in ``__pycache__``: ``cache=True``), and loads them in
each process (0.6 CPU s with numba's import). This module imports numba, so it is
imported only where a maximum is split (``max_split``, ``graph_walk`` import it inside
their functions).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .first_compile import note_first_compile
from .polygons import REL_TOL
from .sign_loops import BLOCK, on_threads
from .stage_map import StageMap

note_first_compile(__file__)  # before the first call compiles: say why it waits


def compact(source: StageMap) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                        bool, float]:
    """A stage's maps as the kernels read them: at (N, d0, D), c (N, D), pre_row (G,)
    (the identity for a plain stage), on (G, D) bool (unused when not gated), gated,
    slope."""
    if source.on is None or source.pre_row is None:
        return (source.at, source.c, np.arange(len(source.c)), np.ones((1, 1), dtype=bool),
                False, 1.0)
    return (source.at, source.c, np.ascontiguousarray(source.pre_row, dtype=np.int64),
            np.ascontiguousarray(source.on), True, float(source.slope))


def leaders(source: StageMap, row: np.ndarray, groups: np.ndarray, verts: np.ndarray,
            count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P, units) each window's leading entry on each polygon, and (P, units) whether no
    one entry leads at every vertex: first a bound from the polygon's enclosing circle
    (centre o, radius r: an entry's value is within r |a| of its value at o), then the
    vertices, for the windows that the bound leaves open."""
    # the leaders' indices in the smallest type that holds them: (P, units) is copied for
    # every piece (a global pooling's window can hold more than 127 entries)
    first = np.empty((len(count), len(groups)),
                     dtype=np.int8 if groups.shape[1] <= 127 else np.int64)
    straddle = np.zeros((len(count), len(groups)), dtype=bool)
    args = (np.ascontiguousarray(verts), count.astype(np.int64), *compact(source),
            row.astype(np.int64), np.ascontiguousarray(groups, dtype=np.int64), REL_TOL,
            first, straddle)
    if on_threads(first.size * groups.shape[1]):
        _leaders(*args)
    else:
        _leaders_of(0, len(count), *args)
    return first, straddle


def winners(source: StageMap, row: np.ndarray, cols: np.ndarray, verts: np.ndarray,
            count: np.ndarray) -> np.ndarray:
    """(K,) the first entry of windows ``cols`` (K, p) that leads at every vertex of its
    piece, or where rounding leaves none, the largest at the mean of its vertices."""
    return _winners(np.ascontiguousarray(verts), count.astype(np.int64),
                    *compact(source), row.astype(np.int64),
                    np.ascontiguousarray(cols, dtype=np.int64), REL_TOL)


def entries(source: StageMap, row: np.ndarray, cols: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """The maps of columns ``cols`` (Q, p) of rows ``row`` (Q,): a (Q, p, d0), c (Q, p)."""
    return _entries(*compact(source), row.astype(np.int64),
                    np.ascontiguousarray(cols, dtype=np.int64))


def winners_stage(source: StageMap, row: np.ndarray, groups: np.ndarray,
                  choice: np.ndarray) -> tuple[StageMap, np.ndarray]:
    """The stage of the winners and its pattern bits: row q's unit u is entry
    ``groups[u, choice[q, u]]`` of ``source``'s row ``row[q]`` (a StageMap, at (Q, d0,
    units), written in place: no (Q, units, d0) gather and transpose), and the bits (Q,
    units * p) one-hot per window."""
    (units, p), d0 = groups.shape, source.at.shape[1]
    at = np.empty((len(row), d0, units))
    c = np.empty((len(row), units))
    bits = np.zeros((len(row), units * p), dtype=bool)
    args = (*compact(source), row.astype(np.int64),
            np.ascontiguousarray(groups, dtype=np.int64), np.ascontiguousarray(choice),
            at, c, bits)
    if on_threads(at.size):
        _winners_stage(*args)
    else:
        _winners_rows(0, len(row), *args)
    return StageMap(at, c), bits


@njit(cache=True, inline="always", error_model="numpy")
def _entry(at, c, pre_row, on, gated, slope, r, col, out, i):
    """Entry ``col`` of row r: writes its d0 coefficients to out[i] (no view made: a
    view per entry was most of the loop's time), returns its offset."""
    pr = pre_row[r]
    gain = slope + (1.0 - slope) * on[r, col] if gated else 1.0  # no branch on the bit
    if gain == 0.0:  # a ReLU's off entry: exactly 0, nothing to read
        for d in range(at.shape[1]):
            out[i, d] = 0.0
        return 0.0
    for d in range(at.shape[1]):
        out[i, d] = at[pr, d, col] * gain
    return c[pr, col] * gain


@njit(cache=True, inline="always")
def _all_off(on, r, groups, u):
    """Whether every entry of window u is off in gated row r."""
    n_on = 0
    for i in range(groups.shape[1]):
        n_on += on[r, groups[u, i]]
    return n_on == 0


@njit(cache=True, error_model="numpy")
def _vertex_leads(verts, q, m, a, off, leads, sums, at_vertex,
                  rel_tol):
    """leads[i]: entry i (a (p, d0), off (p,)) is within tolerance of the top at every
    one of the m vertices (``max_split._leads``); sums (p,) its values summed."""
    p = a.shape[0]
    for i in range(p):
        leads[i] = True
        sums[i] = 0.0
    for k in range(m):
        top = -np.inf
        for i in range(p):
            s = 0.0
            for d in range(a.shape[1]):
                s += a[i, d] * verts[q, k, d]
            at_vertex[i] = s + off[i]
            sums[i] += at_vertex[i]
            top = max(top, at_vertex[i])
        tol = rel_tol * (1.0 + abs(top))
        for i in range(p):
            if at_vertex[i] < top - tol:
                leads[i] = False


@njit(cache=True, inline="always", error_model="numpy")
def _enclosing_circle(verts, q, m, centre):
    """Polygon q's vertex mean into ``centre`` (d0,); returns the largest distance from
    it to a vertex."""
    d0 = verts.shape[2]
    for d in range(d0):
        centre[d] = 0.0
        for k in range(m):
            centre[d] += verts[q, k, d]
        centre[d] /= m
    radius = 0.0
    for k in range(m):
        s = 0.0
        for d in range(d0):
            s += (verts[q, k, d] - centre[d]) ** 2
        radius = max(radius, np.sqrt(s))
    return radius


@njit(cache=True, parallel=True, error_model="numpy")
def _leaders(verts, count, at, c, pre_row, on, gated, slope, row, groups, rel_tol, first,
             straddle):
    """Blocks of ``BLOCK`` polygons on the threads: each polygon's windows are its own."""
    blocks = (len(count) + BLOCK - 1) // BLOCK
    for b in prange(blocks):
        _leaders_of(b * BLOCK, min(len(count), (b + 1) * BLOCK), verts, count, at, c,
                    pre_row, on, gated, slope, row, groups, rel_tol, first, straddle)


@njit(cache=True, error_model="numpy")
def _leaders_of(lo, hi, verts, count, at, c, pre_row, on, gated, slope, row, groups,
                rel_tol, first, straddle):
    """``leaders`` of polygons lo to hi, into ``first`` and ``straddle``."""
    d0 = verts.shape[2]
    dead = gated and slope == 0.0  # a ReLU's off entries are exactly 0
    units, p = groups.shape
    a = np.empty((p, d0))
    off = np.empty(p)
    value = np.empty(p)
    spread = np.empty(p)
    leads = np.empty(p, dtype=np.bool_)
    sums = np.empty(p)
    scratch = np.empty(p)
    centre = np.empty(d0)
    for q in range(lo, hi):
        m = count[q]
        radius = _enclosing_circle(verts, q, m, centre)
        for u in range(units):
            if dead and _all_off(on, row[q], groups, u):  # every entry exactly 0
                first[q, u] = 0  # ties go to the first; nothing to split
                continue
            best = 0
            for i in range(p):
                if dead and not on[row[q], groups[u, i]]:  # exactly 0: nothing to read
                    a[i, :] = 0.0
                    off[i] = value[i] = spread[i] = 0.0
                else:
                    off[i] = _entry(at, c, pre_row, on, gated, slope, row[q], groups[u, i],
                                    a, i)
                    s, norm = off[i], 0.0
                    for d in range(d0):
                        s += centre[d] * a[i, d]
                        norm += a[i, d] * a[i, d]
                    value[i] = s
                    spread[i] = radius * np.sqrt(norm)
                if value[i] > value[best]:
                    best = i
            low = value[best] - spread[best]
            clear = True
            for i in range(p):
                if i != best and value[i] + spread[i] > low:
                    clear = False
            first[q, u] = best
            if clear:
                continue
            _vertex_leads(verts, q, m, a, off, leads, sums, scratch, rel_tol)
            first[q, u] = 0
            straddle[q, u] = True
            for i in range(p):
                if leads[i]:
                    first[q, u] = i
                    straddle[q, u] = False
                    break


@njit(cache=True, error_model="numpy")
def _winners(verts, count, at, c, pre_row, on, gated, slope, row, cols,
                   rel_tol):
    n, p = cols.shape
    d0 = verts.shape[2]
    out = np.empty(n, dtype=np.int64)
    a = np.empty((p, d0))
    off = np.empty(p)
    leads = np.empty(p, dtype=np.bool_)
    sums = np.empty(p)
    scratch = np.empty(p)
    for q in range(n):
        for i in range(p):
            off[i] = _entry(at, c, pre_row, on, gated, slope, row[q], cols[q, i], a, i)
        _vertex_leads(verts, q, count[q], a, off, leads, sums, scratch, rel_tol)
        out[q] = -1
        for i in range(p):
            if leads[i]:
                out[q] = i
                break
        if out[q] < 0:  # the largest at the vertices' mean: the first of equals
            best = 0
            for i in range(p):
                if sums[i] / count[q] > sums[best] / count[q]:
                    best = i
            out[q] = best
    return out


@njit(cache=True, error_model="numpy")
def _entries(at, c, pre_row, on, gated, slope, row, cols):
    n, p = cols.shape
    d0 = at.shape[1]
    a = np.empty((n, p, d0))
    off = np.empty((n, p))
    one = np.empty((1, d0))
    for q in range(n):
        for i in range(p):
            off[q, i] = _entry(at, c, pre_row, on, gated, slope, row[q], cols[q, i], one, 0)
            for d in range(d0):
                a[q, i, d] = one[0, d]
    return a, off


@njit(cache=True, parallel=True, error_model="numpy")
def _winners_stage(at, c, pre_row, on, gated, slope, row, groups, choice, out_at, out_c,
                   bits):
    """``winners_stage`` by blocks of rows on the threads (rows are independent)."""
    n = len(row)
    for b in prange((n + BLOCK - 1) // BLOCK):
        _winners_rows(b * BLOCK, min(n, (b + 1) * BLOCK), at, c, pre_row, on, gated, slope,
                      row, groups, choice, out_at, out_c, bits)


@njit(cache=True, error_model="numpy")
def _winners_rows(first, last, at, c, pre_row, on, gated, slope, row, groups, choice,
                  out_at, out_c, bits):
    """Rows first to last of the winners' stage into out_at (Q, d0, units), out_c (Q,
    units), and their one-hot bits (Q, units * p), zeros to start with."""
    (units, p), d0 = groups.shape, at.shape[1]
    for q in range(first, last):
        r = row[q]
        pr = pre_row[r]
        for u in range(units):
            i = choice[q, u]
            bits[q, u * p + i] = True
            col = groups[u, i]
            gain = slope + (1.0 - slope) * on[r, col] if gated else 1.0  # as ``_entry``
            out_c[q, u] = c[pr, col] * gain
            for d in range(d0):
                out_at[q, d, u] = at[pr, d, col] * gain


def round_tests(verts: np.ndarray, count: np.ndarray, a: np.ndarray, c: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """A split round's tests (``max_split._split_round``) of polygons (Q, M, d0), each by
    its own window (entries a (Q, p, d0), c (Q, p)): (Q,) whether one entry leads at every
    vertex (the polygon stays whole), and the offsets with an entry equal to an earlier
    one (``np.isclose``, 1e-12) pushed far below any value on its polygon, so it never
    leads there (two dead ReLUs in one window, both 0: no region counted twice)."""
    return _round_tests(np.ascontiguousarray(verts), count.astype(np.int64),
                        np.ascontiguousarray(a, dtype=np.float64),
                        np.ascontiguousarray(c, dtype=np.float64), REL_TOL)


@njit(cache=True, error_model="numpy")
def _round_tests(verts, count, a, c, rel_tol):
    n, p = c.shape
    whole = np.empty(n, dtype=np.bool_)
    pushed = c.copy()
    leads = np.empty(p, dtype=np.bool_)
    sums = np.empty(p)
    scratch = np.empty(p)
    for q in range(n):
        _vertex_leads(verts, q, count[q], a[q], c[q], leads, sums, scratch, rel_tol)
        whole[q] = leads.any()
        if not whole[q]:
            _push_repeats(verts, q, a, c, pushed)
    return whole, pushed


@njit(cache=True, inline="always", error_model="numpy")
def _close(x, y):
    """``np.isclose(x, y, rtol=1e-12, atol=1e-12)`` for finite x, y."""
    return abs(x - y) <= 1e-12 + 1e-12 * abs(y)


@njit(cache=True, error_model="numpy")
def _push_repeats(verts, q, a, c, pushed):
    """pushed[q, i] = c[q, i] - 1e6 (1 + max |c| + sum |a| max |x|) where entry i of
    polygon q equals an earlier entry."""
    p, d0 = a.shape[1], a.shape[2]
    top_c, size_a, top_x = 0.0, 0.0, 0.0
    for i in range(p):
        top_c = max(top_c, abs(c[q, i]))
        for d in range(d0):
            size_a += abs(a[q, i, d])
    for k in range(verts.shape[1]):
        for d in range(d0):
            top_x = max(top_x, abs(verts[q, k, d]))
    push = 1e6 * (1.0 + top_c + size_a * top_x)
    for i in range(1, p):
        for k in range(i):
            same = _close(c[q, i], c[q, k])
            for d in range(d0):
                same = same and _close(a[q, i, d], a[q, k, d])
            if same:
                pushed[q, i] = c[q, i] - push
                break


def split_max_2d(verts: np.ndarray, count: np.ndarray, a: np.ndarray, c: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``max_split.split_max`` for polygons (P, M, 2): the part of each polygon where each
    of its p pieces (a (P, p, 2), c (P, p)) is the largest, one compiled loop (the numpy
    version clipped every polygon p (p - 1) times, a dozen calls per clip)."""
    whole = np.abs(_areas(np.ascontiguousarray(verts), count.astype(np.int64)))
    out, m, src, which = _split_max(np.ascontiguousarray(verts), count.astype(np.int64),
                                    np.ascontiguousarray(a), np.ascontiguousarray(c),
                                    whole, REL_TOL)
    width = max(int(m.max(initial=3)), 3)
    return out[:, :width], m, src, which


@njit(cache=True, error_model="numpy")
def _area(v, m):
    """The signed area of polygon v (M, 2) of m corners (shoelace, as ``pg.areas``)."""
    total = 0.0
    for k in range(m):
        n = k + 1 if k + 1 < m else 0
        total += v[k, 0] * v[n, 1] - v[k, 1] * v[n, 0]
    return 0.5 * total


@njit(cache=True, error_model="numpy")
def _areas(verts, count):
    out = np.empty(len(count))
    for q in range(len(count)):
        out[q] = _area(verts[q], count[q])
    return out


@njit(cache=True, error_model="numpy")
def _clip(v, m, s, out, rel_tol):
    """The part of v (m corners) where s >= 0, values within rel_tol of the largest |s|
    snapped to 0 (``pg.snapped``, ``pg.clip``), into out; returns its corner count."""
    scale = 0.0
    for k in range(m):
        scale = max(scale, abs(s[k]))
    for k in range(m):
        if abs(s[k]) <= rel_tol * scale:
            s[k] = 0.0
    n_out = 0
    for k in range(m):
        n = k + 1 if k + 1 < m else 0
        if s[k] >= 0:
            out[n_out, 0], out[n_out, 1] = v[k, 0], v[k, 1]
            n_out += 1
        if s[k] * s[n] < 0:
            t = s[k] / (s[k] - s[n])
            out[n_out, 0] = v[k, 0] + t * (v[n, 0] - v[k, 0])
            out[n_out, 1] = v[k, 1] + t * (v[n, 1] - v[k, 1])
            n_out += 1
    return n_out


@njit(cache=True, error_model="numpy")
def _split_max(verts, count, a, c, whole, rel_tol):
    """Parts in the order of ``split_max``: every polygon's part for piece 0, then 1..."""
    n_poly, width = verts.shape[0], verts.shape[1]
    p = a.shape[1]
    size = width + p + 1
    out = np.empty((n_poly * p, size, 2))
    out_m = np.empty(n_poly * p, dtype=np.int64)
    src = np.empty(n_poly * p, dtype=np.int64)
    which = np.empty(n_poly * p, dtype=np.int64)
    cur = np.empty((size, 2))
    nxt = np.empty((size, 2))
    s = np.empty(size)
    n_out = 0
    for i in range(p):
        for q in range(n_poly):
            m = count[q]
            cur[:m] = verts[q, :m]
            for other in range(p):
                if other == i or m == 0:
                    continue
                for k in range(m):
                    s[k] = (cur[k, 0] * (a[q, i, 0] - a[q, other, 0])
                            + cur[k, 1] * (a[q, i, 1] - a[q, other, 1])) \
                        + (c[q, i] - c[q, other])
                m = _clip(cur, m, s, nxt, rel_tol)
                cur[:m] = nxt[:m]
                if m < 3 or not abs(_area(cur, m)) > rel_tol * whole[q]:
                    m = 0
            if m == 0:
                continue
            out[n_out, :m] = cur[:m]
            out[n_out, m:] = cur[m - 1]  # padding: the last corner, as ``pg.pad``
            out_m[n_out], src[n_out], which[n_out] = m, q, i
            n_out += 1
    return out[:n_out], out_m[:n_out], src[:n_out], which[:n_out]
