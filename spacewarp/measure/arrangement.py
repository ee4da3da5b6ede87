"""Convex polygons cut by all of their crossing lines at once: each polygon's arrangement.

``layer_split`` cut a polygon by one line per round, and a layer took 10 to 20 rounds of
about 30 numpy calls each. Here every polygon of a batch is cut by all its lines, in one
compiled pass over the polygons (``arrangement_loops``, numba, imported on the first
cut: a few hundred numpy calls a layer were most of the time). For a polygon P crossed
by k lines in general position, the pieces are the faces of the lines' arrangement
inside P, 1 + k + X of them (X the pairs of lines that cross inside P), and every face
vertex is one of:

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
    from . import arrangement_loops as loops  # numba: paid only where regions are cut

    v, m, p, a, c = _plain(verts, count, poly, a, c)
    keep, ends, scale, bad = loops.chords_of_pairs(v, m, p, a, c, pg.REL_TOL, ON_LINE)
    return Chords(poly[keep], a[keep], c[keep], ends[keep], scale[keep], bad, label[keep])


def layer_chords(verts: np.ndarray, count: np.ndarray, row: np.ndarray, at: np.ndarray,
                 c: np.ndarray) -> tuple[Chords, np.ndarray]:
    """``chords`` of every neuron of a layer: polygons (P, M, 2) whose map is row ``row``
    (P,) of ``at`` (N, 2, n), c (N, n). The lines that the polygon's enclosing circle
    does not rule out (``|A_j o + c_j| > r |A_j|``) are tested on the corners. Also
    returns ``on`` (P, n): the neurons positive at each polygon's centroid (a line that
    does not cross a polygon has one sign on all of it)."""
    from . import arrangement_loops as loops

    v, m, r, at, c = _plain(verts, count, row, at, c)
    on, *found, bad = loops.layer_chords(v, m, r, at, c, pg.REL_TOL, ON_LINE)
    poly, a, cc, ends, scale, label = found
    return Chords(poly, a, cc, ends, scale, bad, label), on


@dataclass(frozen=True)
class Faces:
    """The faces of every polygon's arrangement, and which faces are neighbours across
    one line (their maps differ by the gain of one neuron: ``spanning_tree``)."""

    verts: np.ndarray  # (F, M', 2) padded with the last vertex
    count: np.ndarray  # (F,)
    src: np.ndarray  # (F,) the polygon each came from
    degenerate: np.ndarray  # (P,) bool: the polygons that have no faces here
    sides: np.ndarray  # (S, 3) neighbouring faces either side of a line, and its label
    on: np.ndarray  # (F, n) bool: the labels' lines positive in each face (n = 0: none)


def faces(verts: np.ndarray, count: np.ndarray, lines: Chords,
          on: np.ndarray | None = None) -> Faces:
    """Polygons (P, M, 2) with ``count`` (P,) corners, cut by their ``chords`` -> their
    faces (polygons without a line, and degenerate ones, have none here), in the order
    of their polygons, and within one by name. ``on`` (P, n), if given, are the
    polygons' on-bits over the lines' labels: each face gets its polygon's, with the
    lines that cross the polygon read at one of the face's vertices (exact: every face
    vertex is on a known side of every line, or on it by construction)."""
    from . import arrangement_loops as loops

    weight, salt = hash_weights(len(lines.poly), len(count))
    polygon_on = np.zeros((len(count), 0), dtype=bool) if on is None else on
    v, m, poly, a, c, ends, scale, label = _plain(verts, count, *lines[:5], lines.label)
    flat, fm, fsrc, fon, sides, bad = loops.layer_faces(
        v, m, poly, a, c, ends, scale, label, lines.bad.copy(), weight, salt,
        np.ascontiguousarray(polygon_on), ON_LINE)
    return Faces(loops.padded(flat, fm), fm, fsrc, bad, sides, fon)


def _plain(*arrays: np.ndarray) -> list[np.ndarray]:
    """Arrays as the compiled loops take them: contiguous, float64 or int64, so that one
    compiled version serves every caller (each other layout or type compiles anew)."""
    return [np.ascontiguousarray(x, dtype=np.float64 if x.dtype.kind == "f" else np.int64)
            for x in arrays]


def hash_weights(n_lines: int, n_poly: int) -> tuple[np.ndarray, np.ndarray]:
    """Random 64-bit weights for the lines (K,) and salts for the polygons (P,) that name
    the faces: random but fixed (SEED), so the same input gives the same output."""
    rng = np.random.default_rng(SEED)
    top = np.iinfo(np.uint64).max
    return (rng.integers(0, top, n_lines, np.uint64, endpoint=True),
            rng.integers(0, top, n_poly, np.uint64, endpoint=True))


def spanning_tree(src: np.ndarray, sides: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breadth first from roots over the ``sides`` (S, 3) of faces from polygons ``src``
    (F,): each face's parent (F,) (-1 for a root), the line between them (F,), and
    depth (F,). Roots: each polygon's first face, every ROOT_EVERY-th face (the faces
    are in hash order within a polygon, so these are spread over it: fewer levels), and
    faces no side reaches."""
    from . import tree_loops  # numba: paid only where regions are cut

    return tree_loops.breadth_first(np.ascontiguousarray(src, np.int64),
                                    np.ascontiguousarray(sides, np.int64), ROOT_EVERY)
