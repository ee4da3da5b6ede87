"""The browser film of a trace: everything a renderer needs, as arrays; no plotting.

Built from ``view.motion`` (morphs, arrows, limits, camera), so any change to how the
view step shows a trace (feeding stages, projection morphs of wide stages) reaches the
browser unchanged. The browser renderer only interpolates what is here:

- ``keys``: the distinct coordinate arrays (n, d_i) of the film, d_i <= 3 each (a stage,
  or an intermediate state such as ``W x``); morphs and stages refer to them by index.
- ``segments``: each morph laid on the position axis (0 = input, k = stage k). Inside a
  segment the points are ``a + t (b - a)`` with ``t = ease(u)`` (``EASING``), or ``a``
  turned by ``expm(t L)`` for an SVD rotation sub-step (``rotation``), the box moves
  through its keyframes ``(u, (dim, 2) box)`` (eased: size geometric, centre in step with
  the size, ``motion.zoomed_box``) and the camera turns linearly in t from ``cameras[0]``
  to ``cameras[1]``.
- ``clock``: (seconds, position) keyframes for Play: holds at the stages, morphs between.
- ``stages``: per stage its key (its own display coordinates, as the stills show it), box,
  camera and display dim, for the small multiples and titles. A stage of at most 3-D is
  shown in its own coordinates wherever the big view rests on it (position k): a morph
  through a wide projection that reaches it is followed at once by a turn to them (kind
  ``OWN_AXES``, ``view.paths``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from ..errors import SpacewarpError
from ..tracing.trace import Trace
from .coords import Projection, display_coords
from .marks import Marks, marks_of, with_marks
from .morph import Morph
from .motion import MARGIN, OBLIQUE, TOP_DOWN, boxes, camera, film_dim, motion
from .outlines import Outlines, outlines_of, with_outlines
from .paths import lattice_every, lattice_indices, stage_projections

EASING = "smoothstep"  # t = u^2 (3 - 2 u): the view step's ``ease``
REST = 0.2  # fraction of a segment over which the box leaves a stage's own box (and arrives)
MAX_POINTS = 1_000_000  # above this a seeded subset is drawn, and the film says so


@dataclass(frozen=True)
class FilmOptions:
    """How the browser film is cut; every default is the view step's."""

    max_points: int = MAX_POINTS  # draw a seeded subset above this many points
    sample_seed: int = 0
    split_bias: bool = False  # a biased linear stage as W x, then + b
    limits: Literal["transition", "film"] = "transition"
    morph_s: float = 1.0  # seconds per morph when playing at speed 1
    hold_s: float = 0.6  # seconds each stage is held when playing
    lattice_lines: int = 21  # at most this many lattice lines each way
    svd_steps: bool = False  # a linear stage as V^T, S, U, + b (view/svd.py); over split_bias
    regions: bool = False  # carry the exact linear regions' outlines (view/outlines.py)


@dataclass(frozen=True)
class Segment:
    """One morph on the position axis, from ``p0`` to ``p1``."""

    p0: float
    p1: float
    start: int  # key index at t = 0
    end: int  # key index at t = 1
    from_stage: int
    to_stage: int
    kind: str
    title: str
    boxes: tuple[tuple[float, np.ndarray], ...]  # (u, (dim, 2) low/high), u from 0 to 1
    cameras: tuple[tuple[float, float], tuple[float, float]]  # (elevation, azimuth) t = 0, 1
    arrows: tuple[np.ndarray, np.ndarray] | None  # (1 + m, dim) tail and tips at t = 0, 1
    rotation: np.ndarray | None = None  # (r, r) skew generator: at t, the first r coords
    # of the start turned by expm(t L) (an SVD rotation sub-step); None: straight lines


@dataclass(frozen=True)
class StageView:
    """One stage as a small multiple: its coordinates, box and camera at rest."""

    key: int
    dim: int  # display dimension (<= 3) of this stage
    box: np.ndarray  # (dim_film, 2)
    camera: tuple[float, float]
    note: str  # "PCA of 7-D, 93% of variance" for wide stages
    # the map from the stage's points to ``key`` (identity up to 3-D): its mean and axes are
    # the basis the browser's Grand Tour drag starts from (render/tour.py)
    projection: Projection = Projection()


@dataclass(frozen=True)
class Film:
    keys: tuple[np.ndarray, ...]  # (n_shown, d_i) float64 display coordinates, d_i <= 3
    stages: tuple[StageView, ...]
    segments: tuple[Segment, ...]
    clock: tuple[tuple[float, float], ...]  # (seconds, position) for Play at speed 1
    dim: int  # 2 (flat axes) or 3 (a camera)
    rows: np.ndarray | None  # the drawn subset of the points (sorted); None: all
    lattice: np.ndarray | None  # (m, 2) int32 pairs of drawn points joined by lattice lines
    note: str  # what every view must say (Trace.note), "" if nothing
    sample_note: str  # "" when every point is drawn
    outlines: Outlines | None = None  # the regions' vertices per key, when asked for
    marks: Marks | None = None  # a slice's anchors and data rows per key (view/marks.py)

    @property
    def n(self) -> int:
        return int(self.keys[0].shape[0])


def film(trace: Trace, options: FilmOptions | None = None) -> Film:
    """The browser film of ``trace`` (see the module docstring)."""
    o = options or FilmOptions()
    if o.max_points < 1 or o.morph_s <= 0 or o.hold_s < 0 or o.lattice_lines < 2:
        raise SpacewarpError("max_points must be >= 1, morph_s > 0, hold_s >= 0 and "
                             "lattice_lines >= 2", field="output")
    rows = sample_rows(trace, o)
    lattice = _lattice(trace, rows, o.lattice_lines)
    if len(trace.stages) < 2:
        return _still_film(trace, rows, lattice, o)
    outlines = outlines_of(trace) if o.regions else None
    marks = marks_of(trace)
    shown = trace if outlines is None else with_outlines(trace, outlines)
    shown = shown if marks is None else with_marks(shown, marks)
    m = motion(shown, split_bias="svd" if o.svd_steps else o.split_bias, limits=o.limits,
               fit_rows=trace.n)
    n_shown = trace.n if rows is None else len(rows)
    if shown.n > trace.n:  # the drawn points, then every vertex row, then the marked rows
        rows = np.concatenate([np.arange(trace.n) if rows is None else rows,
                               np.arange(trace.n, shown.n)])
    path = tuple(_restrict(p, rows) for p in m.morphs)
    keys: list[np.ndarray] = []
    ends = [(_key(keys, p.start[:, : p.dims[0]]), _key(keys, p.end[:, : p.dims[1]]))
            for p in path]
    own = [_own_box(k, m.dim) for k in keys]
    spans = morph_spans(path, len(trace.stages))
    segments = tuple(
        Segment(p0, p1, a, b, p.from_stage, p.to_stage, p.kind, p.title,
                ((0.0, own[a]), (REST, box), (1.0 - REST, box), (1.0, own[b])),
                (camera(p, 0.0), camera(p, 1.0)), _arrows(arrow),
                getattr(p, "generator", None))
        for p, (a, b), (p0, p1), box, arrow in zip(path, ends, spans, m.boxes, m.arrows,
                                                    strict=True))
    own_views = stage_projections(trace)  # remembered with the plan: no PCA made twice
    stages = tuple(_stage_view(shown, k, rows, keys, m.dim, own_views[k])
                   for k in range(len(trace.stages)))
    if rows is not None and shown.n > trace.n:  # the extra rows' keys apart
        v = n_shown + (0 if outlines is None else int(outlines.count.sum()))
        if outlines is not None:
            outlines = replace(outlines, keys=tuple(k[n_shown:v] for k in keys))
        if marks is not None:
            marks = replace(marks, keys=tuple(k[v:] for k in keys))
        keys = [k[:n_shown] for k in keys]
        rows = None if n_shown == trace.n else rows[:n_shown]
    return Film(tuple(keys), stages, segments, film_clock(len(trace.stages), o), m.dim, rows,
                lattice, trace.note, _sample_note(trace.n, rows, o.sample_seed), outlines,
                marks)


def sample_rows(trace: Trace, o: FilmOptions) -> np.ndarray | None:
    """Sorted rows of a seeded subset of ``o.max_points`` points; None when all are drawn.

    On a lattice, the nodes of the drawn lattice lines are always kept (lines stay whole).
    """
    n = trace.n
    if n <= o.max_points:
        return None
    keep = np.zeros(n, dtype=bool)
    if trace.grid_shape is not None:
        keep[np.unique(lattice_pairs(trace.grid_shape, o.lattice_lines))] = True
    rest = np.flatnonzero(~keep)
    extra = max(o.max_points - int(keep.sum()), 0)
    keep[np.random.default_rng(o.sample_seed).choice(rest, size=extra, replace=False)] = True
    return np.flatnonzero(keep)


def _sample_note(n: int, rows: np.ndarray | None, seed: int) -> str:
    if rows is None:
        return ""
    return (f"Showing {len(rows):,} of {n:,} points: a random subset (seed {seed}), "
            "so the browser stays responsive.")


def _restrict(m: Morph, rows: np.ndarray | None) -> Morph:
    return m if rows is None else replace(m, start=m.start[rows], end=m.end[rows])


def _key(keys: list[np.ndarray], a: np.ndarray) -> int:
    """The index of ``a`` among ``keys``, appending it when it is new."""
    for i, k in enumerate(keys):  # the first rows first: most keys differ there already
        if k.shape == a.shape and (k is a or np.array_equal(k[:64], a[:64])
                                   and np.array_equal(k, a)):
            return i
    keys.append(a)
    return len(keys) - 1


def _own_box(points: np.ndarray, dim: int) -> np.ndarray:
    """(dim, 2): the view step's equal-aspect box around one state alone."""
    still = Morph(points, points, 0, 0, "")
    return boxes((still,), dim=dim, margin=MARGIN)[0]


def _arrows(a: Morph | None) -> tuple[np.ndarray, np.ndarray] | None:
    return None if a is None else (a.start, a.end)


def morph_spans(path: tuple[Morph, ...], n_stages: int) -> list[tuple[float, float]]:
    """(p0, p1) per morph: the morphs into stage j share the interval [j - 1, j] in order;
    a change of projection while a stage is held (kind "projection") opens the next."""
    slot = [min(max(p.to_stage + (p.kind == "projection"), 1), n_stages - 1) for p in path]
    out = []
    for i, j in enumerate(slot):
        group = [k for k, s in enumerate(slot) if s == j]
        share = 1.0 / len(group)
        start = j - 1 + group.index(i) * share
        out.append((start, start + share))
    return out


def _stage_view(trace: Trace, k: int, rows: np.ndarray | None, keys: list[np.ndarray],
                dim: int, proj: Projection) -> StageView:
    """Stage k on its own, as the stills show it: its display coordinates through ``proj``
    (its own PCA beyond 3-D, fitted on the points, not on the outline rows). Up to 3-D
    that is the film at position k; a wider film shows stage k there through the
    projection of the morph reaching it."""
    stage = trace.stages[k]
    shown = proj(stage.points)  # (n, d) -> (n, <= 3)
    key = _key(keys, shown if rows is None else shown[rows])
    d = int(keys[key].shape[1])
    note = f"PCA of {stage.dim}-D, {100 * proj.variance:.0f}% of variance" if stage.dim > 3 else ""
    return StageView(key, d, _own_box(keys[key], dim), TOP_DOWN if d <= 2 else OBLIQUE, note,
                     proj)


def film_clock(n_stages: int, o: FilmOptions) -> tuple[tuple[float, float], ...]:
    """(seconds, position) keyframes: hold the input, then per stage a morph and a hold."""
    out = [(0.0, 0.0), (o.hold_s, 0.0)]
    for k in range(1, n_stages):
        t = out[-1][0] + o.morph_s
        out += [(t, float(k)), (t + o.hold_s, float(k))]
    return tuple(out)


def _still_film(trace: Trace, rows: np.ndarray | None, lattice: np.ndarray | None,
                o: FilmOptions) -> Film:
    """A trace with no modules: the input alone."""
    x = display_coords(trace.stages[0].points)
    x = x if rows is None else x[rows]
    dim = max(2, x.shape[1])
    stage = StageView(0, x.shape[1], _own_box(x, dim), TOP_DOWN if dim == 2 else OBLIQUE, "")
    return Film((x,), (stage,), (), ((0.0, 0.0),), dim, rows, lattice, trace.note,
                _sample_note(trace.n, rows, o.sample_seed))


def lattice_pairs(grid_shape: tuple[int, int], max_lines: int) -> np.ndarray:
    """(m, 2) int32 point-index pairs joining lattice neighbours along the kept lines."""
    rows, cols = grid_shape
    every = lattice_every(grid_shape, max_lines)
    ids = np.arange(rows * cols, dtype=np.int32).reshape(rows, cols)
    along_rows = ids[lattice_indices(rows, every)]  # (r, cols)
    along_cols = ids[:, lattice_indices(cols, every)].T  # (c, rows)
    # neighbours along each kept line: (lines, len - 1, 2) -> (m, 2)
    pairs = [np.stack([lines[:, :-1], lines[:, 1:]], axis=-1).reshape(-1, 2)
             for lines in (along_rows, along_cols)]
    return np.concatenate(pairs).astype(np.int32)


def _lattice(trace: Trace, rows: np.ndarray | None, max_lines: int) -> np.ndarray | None:
    """The lattice pairs as positions among the drawn points (every node is drawn)."""
    if trace.grid_shape is None:
        return None
    pairs = lattice_pairs(trace.grid_shape, max_lines)
    if rows is None:
        return pairs
    return np.searchsorted(rows, pairs).astype(np.int32)


__all__ = ["EASING", "MAX_POINTS", "Film", "FilmOptions", "Segment", "StageView", "film",
           "film_dim", "sample_rows"]
