"""The compiled loops of the maps' spanning tree (``arrangement.spanning_tree``,
``StageMap`` after a cut layer): a breadth-first search over neighbouring pieces, and each
piece's map as its parent's plus one rank-one term.

Written as numpy, each level of the tree was a dozen calls, and a tree has 10 to 50
levels per layer; here both are one pass. numba (``cache=True``), imported only where
regions are cut.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .first_compile import note_first_compile

note_first_compile(__file__)  # before the first call compiles: say why it waits


@njit(cache=True)
def breadth_first(src, sides, root_every):
    """Faces (F,) of polygons ``src``, neighbours ``sides`` (S, 3) (two faces and the
    line between them): each face's parent (F,) (-1: a root), the line to it (F,) and
    its depth (F,). Roots: each polygon's first face, every ``root_every``-th face and
    the faces no side reaches; a face's parent is the first face of the level before
    that reaches it, in the order of ``sides``."""
    n = len(src)
    start = np.zeros(n + 1, np.int64)
    for s in range(len(sides)):
        start[sides[s, 0] + 1] += 1
        start[sides[s, 1] + 1] += 1
    start = np.cumsum(start)
    to, line, fill = np.empty(start[n], np.int64), np.empty(start[n], np.int64), start.copy()
    for s in range(len(sides)):  # both ways, in the order of sides
        for a, b in ((sides[s, 0], sides[s, 1]), (sides[s, 1], sides[s, 0])):
            to[fill[a]], line[fill[a]] = b, sides[s, 2]
            fill[a] += 1
    parent, flip = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    depth, queue = np.full(n, -1, np.int64), np.empty(n, np.int64)
    seen = np.zeros(src.max() + 1 if n else 1, np.bool_)
    tail = 0
    for f in range(n):
        if not seen[src[f]] or f % root_every == 0:
            seen[src[f]] = True
            depth[f], queue[tail] = 0, f
            tail += 1
    head = 0
    while head < tail:
        f = queue[head]
        head += 1
        for e in range(start[f], start[f + 1]):
            g = to[e]
            if depth[g] < 0:
                depth[g], parent[g], flip[g] = depth[f] + 1, f, line[e]
                queue[tail] = g
                tail += 1
    for f in range(n):
        if depth[f] < 0:  # unreached (no sides): a root
            depth[f] = 0
    return parent, flip, depth


@njit(cache=True)
def fill_tree(at, c, order, parent, flip, pre_row, on, slope, pre_at, pre_c, w_t):
    """Maps ``at`` (R, d0, d_out), c (R, d_out) whose roots are filled: in ``order``
    (parents first), each row as its parent's plus the change of its ``flip`` neuron's
    gain through W: ``(pre_at[pre, :, j] * step) * W[:, j]``, with the pre-activation's
    rows ``pre_at`` (N, d0, d_in), ``pre_c`` (N, d_in), on (R, d_in), and W^T (d_in,
    d_out)."""
    d0, d_out = at.shape[1], at.shape[2]
    for r in order:
        up = parent[r]
        if up < 0:
            continue
        j, pre = flip[r], pre_row[r]
        step = 1.0 - slope if on[r, j] else slope - 1.0
        for d in range(d0):
            a = pre_at[pre, d, j] * step
            for o in range(d_out):
                at[r, d, o] = at[up, d, o] + a * w_t[j, o]
        b = pre_c[pre, j] * step
        for o in range(d_out):
            c[r, o] = c[up, o] + b * w_t[j, o]


@njit(cache=True)
def fill_roots(at, c, roots, pre_row, on, slope, pre_at, pre_c, w_t, bias):
    """The maps of the tree's ``roots`` (K,) into ``at`` (R, d0, d_out), c (R, d_out):
    the gated pre-activation row times W, ``sum_j pre_at[pre, :, j] g_j W[:, j]`` with
    g_j = 1 where neuron j is on, else ``slope`` (no (K, d0, d_in) gathered copy)."""
    d0, d_in, d_out = at.shape[1], w_t.shape[0], at.shape[2]
    for r in roots:
        pre = pre_row[r]
        at[r] = 0.0
        c[r] = bias
        for j in range(d_in):
            g = 1.0 if on[r, j] else slope
            if g == 0.0:
                continue
            for d in range(d0):
                a = pre_at[pre, d, j] * g
                for o in range(d_out):
                    at[r, d, o] += a * w_t[j, o]
            b = pre_c[pre, j] * g
            for o in range(d_out):
                c[r, o] += b * w_t[j, o]
