"""The browser film of a training run: the stage film of every snapshot, on one time axis.

One ``Film`` (``view.film``) gives the structure (segments, stages, clock) of the LAST
snapshot; every snapshot has its own coordinates for the same keys, made with the same
projections (those of the last snapshot: ``paths.plan_steps`` run once, ``paths.chain_morphs`` per
snapshot) and shown in the same boxes (each the union over every snapshot), so motion
along the time axis means change and nothing rescales. The points are the probe grid
first (a strided sub-grid of the training's probe, coloured by predicted class with
confidence as lightness, lattice lines joining it) and then the data (coloured by class):
the decision carried through every stage. Arrays only, read from the snapshots traced
once (``training.snapshots.TracedSnapshots``); the render step adds colours.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import LimitError
from ..measure.training_regions import outline_images, snapshot_polygons
from ..tracing.trace import Trace
from ..training.snapshots import LARGEST, StageParams, TracedSnapshots
from ..training.train import CURVE_NAMES
from .colors import decision_strength
from .coords import Projection
from .film import REST, Film, FilmOptions, Segment, StageView, film_clock, lattice_pairs
from .morph import Morph
from .motion import MARGIN, OBLIQUE, TOP_DOWN, camera, equal_aspect_box, film_dim
from .outline_thinning import Thinned, thinned
from .outlines import MAX_OUTLINE_REGIONS, too_many_words
from .paths import PlanStep, ShownState, chain_morphs, plan_steps, shown_states

MAX_BYTES = 40_000_000  # coordinate bytes over every snapshot (int16) before subsampling
# region outline bytes over every kept snapshot, thinned (``outline_thinning``: int16
# vertices, each once, and each corner's index): past it, outlines are drawn at an even
# subset of the snapshots (said in the note); a snapshot with more regions than a film
# draws (MAX_OUTLINE_REGIONS) has none
MAX_OUTLINE_BYTES = 24_000_000
MIN_SNAPSHOTS = 8  # fewer than this after subsampling: refuse instead
LATTICE_LINES = 11  # warped probe-grid lines per direction


@dataclass(frozen=True)
class TrainingFilmOptions:
    max_bytes: int = MAX_BYTES
    film: FilmOptions = FilmOptions()
    max_outline_bytes: int = MAX_OUTLINE_BYTES  # region outlines (train --regions)


@dataclass(frozen=True)
class SnapshotTimes:
    """When each kept snapshot was taken, and the curves there."""

    snapshots: np.ndarray  # (S,) indices of the kept snapshots among the training's
    epoch: np.ndarray  # (S,) int64
    curves: dict[str, np.ndarray]  # CURVE_NAMES -> (S,) float64


@dataclass(frozen=True)
class ProbeDecision:
    """The probe rows (points 0 .. count-1 of every key) and what the network decides
    there at each kept snapshot."""

    klass: np.ndarray  # (S, R) int64 predicted class (zeros for regression)
    strength: np.ndarray  # (S, R) in [0, 1]: confidence above chance (1 / classes)
    count: int  # R: points 0 .. R-1 are the probe, R .. n-1 the data
    shape: tuple[int, ...]  # the rows' sub-grid


@dataclass(frozen=True)
class DataClasses:
    """What the data are: their classes, or their regression targets."""

    classes: int  # 0 for regression
    names: tuple[str, ...]  # the label value of each class index, as legend text
    labels: np.ndarray  # (N,) int64 class index of each data point (zeros for regression)
    target: np.ndarray | None  # (N, d_out) regression targets (the learned curve); or None


@dataclass(frozen=True)
class KeyRecipes:
    """How a snapshot's keys are made: the last snapshot's plan and projections."""

    plan: tuple[PlanStep, ...] = ()
    recipes: tuple[Recipe, ...] = ()
    stage_proj: dict[int, Projection] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingFilm:
    """The last snapshot's film, plus every kept snapshot's keys and probe decision."""

    film: Film  # structure and boxes for every snapshot; keys are the last snapshot's
    keys: tuple[tuple[np.ndarray, ...], ...]  # [s][i] (n, d_i) float64: key i at snapshot s
    times: SnapshotTimes
    probe: ProbeDecision
    data: DataClasses
    last: Trace  # the last snapshot's trace of the probe and the data (titles, kinds)
    params: tuple[tuple[StageParams, ...], ...]  # [s][k] stage k's (weight, bias) at s
    note: str  # what was subsampled, "" when nothing
    recipes: KeyRecipes = field(default=KeyRecipes(), compare=False, repr=False)
    # per kept snapshot (train --regions): its regions' outlines in every key, or None
    outlines: tuple[SnapshotOutlines | None, ...] = ()
    # per kept snapshot: the kept snapshot whose outlines stand for it (its own where
    # drawn; where the page's byte cap left it out, the last earlier one drawn, so that
    # Play never blinks; -1 for none), with the caption that says which epoch they are
    held: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class SnapshotOutlines:
    """One snapshot's exact regions as the film draws them: each polygon's vertices
    through that snapshot's network, in every key's display coordinates, thinned to the
    page's pixel grid (``outline_thinning``: each vertex once, zero-length edges dropped)."""

    count: np.ndarray  # (R,) corners of each region; region r owns index[start[r]:start[r+1]]
    index: np.ndarray  # (V,) int32: each corner's row in every key
    keys: tuple[np.ndarray, ...]  # per film key: (U, d_i) display coordinates, each vertex once
    title: str

    def corners(self, key: int) -> np.ndarray:
        """(V, d_i) every polygon's corners in key ``key``, polygon after polygon."""
        return self.keys[key][self.index]

    @property
    def nbytes(self) -> int:
        return Thinned(self.count, self.index, self.keys).nbytes


Recipe = tuple[int, int]  # (state index, id of the projection; 0 for the identity)


def training_film(traced: TracedSnapshots, options: TrainingFilmOptions | None = None
                  ) -> TrainingFilm:
    """The time-axis film of a training's traced snapshots (see the module docstring)."""
    o = options or TrainingFilmOptions()
    t, count, last = traced.training, traced.usable, traced.last
    if t.probe is None:
        raise LimitError("a training page needs 1-D or 2-D input (a probe grid to show the "
                         "decision); these points are wider", field="input")
    if count == 0:
        raise LimitError(f"every snapshot's stages pass {LARGEST:.0e} or are not numbers: "
                         "nothing to show; train again with a smaller --lr", field="train.lr")
    recipes = _structure(last)
    width = sum(k.shape[1] for k in _keys(traced, count - 1, recipes))
    shown = t.shown
    keep, note = _fit_budget(count, (traced.n_probe + len(shown.x)) * width * 2, o.max_bytes,
                             traced.n_probe, t.probe.shape)
    if count < traced.count:
        note = "; ".join([*filter(None, [note]), (
            f"snapshots after epoch {int(t.snapshots[count - 1])} are left out: "
            f"the network's values pass {LARGEST:.0e} there (the loss diverged)")])
    per_snap = [_keys(traced, int(s), recipes) for s in keep]
    decisions = [_decision(traced, int(s)) for s in keep]
    # on a slice the grid is the subject: every box holds it (the anchors alone are 0-3)
    boxed = 0 if t.data.frame is not None else traced.n_probe
    film = _film(last, recipes, per_snap, (traced.n_probe, boxed), traced.row_shape, o)
    classify = t.data.task == "classification"
    data = DataClasses(int(t.data.classes.size), tuple(str(int(v)) for v in t.data.classes),
                       np.asarray(shown.target, np.int64) if classify else
                       np.zeros(len(shown.x), np.int64),
                       None if classify else np.asarray(shown.target))
    probe = ProbeDecision(np.stack([p for p, _ in decisions]),
                          np.stack([st for _, st in decisions]), traced.n_probe,
                          traced.row_shape)
    outlines, drawn = _outlines(traced, keep, recipes, o.max_outline_bytes)
    return TrainingFilm(film, tuple(per_snap), _times(traced, keep), probe, data, last,
                        tuple(traced.params[int(s)] for s in keep),
                        "; ".join(filter(None, [note, drawn])), recipes, outlines,
                        held_outlines(outlines, traced, keep))


def add_snapshot(tf: TrainingFilm, traced: TracedSnapshots, s: int) -> TrainingFilm:
    """``tf`` with snapshot ``s`` of ``traced`` appended, made with ``tf``'s projections
    and shown in ``tf``'s boxes (for live training: points that leave a box are clipped
    until a new ``training_film`` is made)."""
    predicted, strength = _decision(traced, s)
    more = _times(traced, np.array([s]))
    times = SnapshotTimes(np.append(tf.times.snapshots, s),
                          np.append(tf.times.epoch, more.epoch),
                          {k: np.append(v, more.curves[k]) for k, v in tf.times.curves.items()})
    probe = replace(tf.probe, klass=np.concatenate([tf.probe.klass, predicted[None]]),
                    strength=np.concatenate([tf.probe.strength, strength[None]]))
    return replace(tf, keys=(*tf.keys, _keys(traced, s, tf.recipes)), times=times,
                   probe=probe, params=(*tf.params, traced.params[s]))


def _times(traced: TracedSnapshots, keep: np.ndarray) -> SnapshotTimes:
    c = traced.training.curves
    named = c.named()
    return SnapshotTimes(keep, np.asarray(c.epoch)[keep],
                         {k: named[k][keep] for k in CURVE_NAMES})


def _decision(traced: TracedSnapshots, s: int) -> tuple[np.ndarray, np.ndarray]:
    """The probe rows' predicted class (R,) and strength (R,) in [0, 1] at ``s``."""
    t = traced.training
    rows = len(traced.rows)
    if t.data.task == "regression":
        return np.zeros(rows, dtype=np.int64), np.zeros(rows)
    predicted, confidence = traced.decision(s)
    classes = int(t.data.classes.size)
    return (predicted[traced.rows].astype(np.int64),
            decision_strength(confidence[traced.rows], classes))


# --- structure: the last snapshot's plan, keys named by how they are made -------------------

def _structure(last: Trace) -> KeyRecipes:
    """The plan of the last snapshot (projections fixed from it), the keys as recipes
    (state, projection) in the film's order, and the projection each stage is shown in
    on its own: itself up to 3-D, else that of the morph that reaches it (no new key)."""
    states = shown_states(last, [s.points for s in last.stages], False)
    plan = tuple(plan_steps(states))
    stage_proj = {k: _arrival(plan, _last_state(states, k)) if st.dim > 3 else Projection()
                  for k, st in enumerate(last.stages)}
    recipes: list[Recipe] = []
    for step in plan:
        for r in ((step.src, _pid(step.start)), (step.dst, _pid(step.end))):
            if r not in recipes:
                recipes.append(r)
    for k in range(len(last.stages)):
        r = (_last_state(states, k), _pid(stage_proj[k]))
        if r not in recipes:
            recipes.append(r)
    return KeyRecipes(plan, tuple(recipes), stage_proj)


def _arrival(plan: tuple[PlanStep, ...], state: int) -> Projection:
    """The projection of the morph that reaches ``state`` (the input: the first one's)."""
    for step in plan:
        if step.dst == state and step.kind != "projection":
            return step.end
    return plan[0].start if plan else Projection()


def _pid(p: Projection) -> int:
    return 0 if p.is_identity else id(p)


def _last_state(states: list[ShownState], k: int) -> int:
    return max(i for i, st in enumerate(states) if st.stage == k)


def _projections(plan: tuple[PlanStep, ...], stage_proj: dict[int, Projection]
                 ) -> dict[int, Projection]:
    out = {0: Projection()}
    for step in plan:
        out[_pid(step.start)] = step.start
        out[_pid(step.end)] = step.end
    for p in stage_proj.values():
        out[_pid(p)] = p
    return out


def _keys(traced: TracedSnapshots, s: int, r: KeyRecipes) -> tuple[np.ndarray, ...]:
    """Every key of snapshot ``s``: state ``recipe[0]`` through projection ``recipe[1]``."""
    return _keys_of(traced.last, [stage[s] for stage in traced.stages], r)


def _keys_of(last: Trace, arrays: list[np.ndarray], r: KeyRecipes) -> tuple[np.ndarray, ...]:
    """Every key of one snapshot's stages ``arrays`` ([k] (n, d_k)), made as the film's."""
    states = shown_states(last, arrays, False)
    proj = _projections(r.plan, r.stage_proj)
    out = []
    for state, pid in r.recipes:
        shown = proj[pid](states[state].points)  # (n, d_k) -> (n, <= 3)
        out.append(np.asarray(shown[:, :3], dtype=np.float64))
    return tuple(out)


# --- the film --------------------------------------------------------------------------------

def _film(last: Trace, r: KeyRecipes, per_snap: list[tuple[np.ndarray, ...]],
          probe: tuple[int, int], probe_shape: tuple[int, ...], o: TrainingFilmOptions
          ) -> Film:
    """``probe``: (R, the first point each later stage's box holds: R, or 0 on a slice)."""
    plan, recipes = r.plan, list(r.recipes)
    n_probe, boxed = probe
    states = shown_states(last, [s.points for s in last.stages], False)
    path = chain_morphs(states, list(plan))
    dim = film_dim(path)
    own = [_union_box([snap[i] for snap in per_snap], dim, boxed, recipes[i][0] == 0)
           for i in range(len(recipes))]
    spans = _positions(path, len(last.stages))
    segments = []
    for step, m, (p0, p1) in zip(plan, path, spans, strict=True):
        a = recipes.index((step.src, _pid(step.start)))
        b = recipes.index((step.dst, _pid(step.end)))
        box = _union_box([e for snap in per_snap for e in (snap[a], snap[b])], dim, boxed,
                         step.src == 0 and step.dst == 0)
        segments.append(Segment(p0, p1, a, b, m.from_stage, m.to_stage, m.kind, m.title,
                                ((0.0, own[a]), (REST, box), (1.0 - REST, box), (1.0, own[b])),
                                (camera(m, 0.0), camera(m, 1.0)), None))
    stages = []
    for k, st in enumerate(last.stages):
        i = recipes.index((_last_state(states, k), _pid(r.stage_proj[k])))
        d = int(per_snap[-1][i].shape[1])
        stages.append(StageView(i, d, own[i], TOP_DOWN if d <= 2 else OBLIQUE,
                                f"PCA of {st.dim}-D, fixed" if st.dim > 3 else ""))
    lattice = _probe_lattice(probe_shape, n_probe)
    return Film(per_snap[-1], tuple(stages), tuple(segments),
                film_clock(len(last.stages), o.film), dim, None, lattice, last.note, "")


def _positions(path: tuple[Morph, ...], n_stages: int) -> list[tuple[float, float]]:
    from .film import morph_spans as positions

    return positions(path, n_stages)


def _union_box(arrays: list[np.ndarray], dim: int, boxed: int, with_probe: bool
               ) -> np.ndarray:
    """(dim, 2): the equal-aspect box around the rows from ``boxed`` on (the data, or on a
    slice every row) of every array (every snapshot), and the probe rows too for the input
    (the decision over the input box)."""
    start = 0 if with_probe else boxed
    return equal_aspect_box([a[start:] for a in arrays], dim, MARGIN)


def _probe_lattice(shape: tuple[int, ...], n_probe: int) -> np.ndarray | None:
    """Lattice pairs of the probe sub-grid (points 0 .. P-1): 2-D input only."""
    if len(shape) != 2 or shape[0] * shape[1] != n_probe:
        return None
    return lattice_pairs((shape[0], shape[1]), LATTICE_LINES)


# --- region outlines (train --regions) ----------------------------------------------------

def _outlines(traced: TracedSnapshots, keep: np.ndarray, r: KeyRecipes, max_bytes: int
              ) -> tuple[tuple[SnapshotOutlines | None, ...], str]:
    """Each kept snapshot's outlines, thinned (None where not drawn), and what was left
    out: every snapshot's when their bytes fit ``max_bytes``, else an even subset's."""
    t = traced.training
    polygons = [snapshot_polygons(t.regions, int(s)) for s in keep]
    if any(p is None for p in polygons) or len(traced.stages) != len(traced.last.stages):
        return (), ""
    made: dict[int, SnapshotOutlines] = {}  # kept while they fit: memory stays near the cap
    sizes = np.zeros(len(keep), dtype=np.int64)  # bytes of each snapshot's outlines
    for i, (s, p) in enumerate(zip(keep, polygons, strict=True)):
        if p is not None and len(p[1]) <= MAX_OUTLINE_REGIONS:
            o = _snapshot_outlines(traced, int(s), p, r)
            sizes[i] = o.nbytes
            if sizes.sum() <= max_bytes:
                made[i] = o
    chosen = _fitting(sizes, max_bytes)
    out: list[SnapshotOutlines | None] = []
    for i, p in enumerate(polygons):
        if i in chosen and i not in made and p is not None:  # past the cap: made again
            made[i] = _snapshot_outlines(traced, int(keep[i]), p, r)
        out.append(made[i] if i in chosen else None)
    shown = sum(o is not None for o in out)
    if shown == len(keep):
        return tuple(out), ""
    return tuple(out), (f"region outlines at {shown} of the {len(keep)} snapshots (at most "
                        f"{MAX_OUTLINE_REGIONS:,} regions a snapshot, "
                        f"{max_bytes / 1e6:.3g} MB of outlines a page; between them, the "
                        "last ones drawn are held)")


def _snapshot_outlines(traced: TracedSnapshots, s: int,
                       polygons: tuple[np.ndarray, np.ndarray], r: KeyRecipes
                       ) -> SnapshotOutlines:
    """Snapshot ``s``'s polygons (vertices (V, 2), counts (R,)) through its network, in
    every key, thinned to the page's pixel grid."""
    t = traced.training
    images = outline_images(t, s, polygons[0])  # [k] (V, d_k)
    thin = thinned(polygons[1], _keys_of(traced.last, images, r))
    title = (f"{len(polygons[1]):,} linear regions at epoch {int(t.snapshots[s])} "
             "(activation patterns of the hidden layers; the output not cut)")
    return SnapshotOutlines(thin.count, thin.index, thin.keys, title)


def _fitting(sizes: np.ndarray, max_bytes: int) -> set[int]:
    """The snapshots (indices) whose outlines are sent: every one drawn (size > 0) when
    they fit ``max_bytes``, else the most of an even subset (first and last kept) that
    fits."""
    drawn = set(np.flatnonzero(sizes).tolist())
    if sizes.sum() <= max_bytes:
        return drawn
    for fit in range(len(sizes) - 1, 0, -1):
        pick = np.unique(np.linspace(0, len(sizes) - 1, fit).round().astype(int))
        if sizes[pick].sum() <= max_bytes:
            return drawn & set(pick.tolist())
    return drawn & {0}


def held_outlines(outlines: tuple[SnapshotOutlines | None, ...], traced: TracedSnapshots,
                  keep: np.ndarray) -> tuple[tuple[int, str], ...]:
    """``TrainingFilm.held``: for each kept snapshot left without outlines by the byte
    cap, the last earlier one drawn and a caption naming both epochs; a snapshot with more
    regions than a film draws holds none (its own count is said instead), nor does one before
    the first kept (its caption says no outlines were kept for it)."""
    t = traced.training
    if not outlines:
        return ()
    out: list[tuple[int, str]] = []
    last = -1
    for i, (s, o) in enumerate(zip(keep, outlines, strict=True)):
        epoch = int(t.snapshots[int(s)])
        if o is not None:
            last = i
            out.append((i, o.title))
            continue
        regions = int(np.asarray(t.regions["regions_total"])[int(s)])
        if regions > MAX_OUTLINE_REGIONS:
            out.append((-1, too_many_words(regions, epoch, MAX_OUTLINE_REGIONS)))
            continue
        if last < 0:  # none kept before it: nothing to hold, and not for its count
            out.append((-1, f"{regions:,} linear regions at epoch {epoch}; no outlines kept "
                            "for it (the page keeps outlines at an even subset of snapshots)"))
            continue
        then = int(t.snapshots[int(keep[last])])
        out.append((last, f"{regions:,} linear regions at epoch {epoch}; outlines of epoch "
                          f"{then} shown (the page keeps outlines at an even subset of "
                          "snapshots)"))
    return tuple(out)


# --- budget ---------------------------------------------------------------------------------

def _fit_budget(count: int, snapshot_bytes: int, max_bytes: int, n_probe: int,
                probe_shape: tuple[int, ...]) -> tuple[np.ndarray, str]:
    """Which snapshots to keep so that every snapshot's int16 coordinates fit
    ``max_bytes``: all, or an even subset (first and last kept), said in the note; a
    ``LimitError`` when fewer than ``MIN_SNAPSHOTS`` would fit."""
    notes = []
    full = int(np.prod(probe_shape))
    if n_probe < full:
        notes.append(f"the decision is shown on {n_probe:,} of the {full:,} probe points")
    fit = max_bytes // max(snapshot_bytes, 1)
    if fit >= count:
        return np.arange(count), "; ".join(notes)
    if fit < min(MIN_SNAPSHOTS, count):
        raise LimitError(f"one snapshot of this page takes {snapshot_bytes / 1e6:.1f} MB, so "
                         f"only {fit} of {count} snapshots fit in {max_bytes / 1e6:.0f} MB; "
                         "use fewer --points, a smaller --probe or narrower --layers",
                         field="train.snapshots")
    keep = np.unique(np.linspace(0, count - 1, int(fit)).round().astype(np.int64))
    notes.append(f"showing {len(keep)} of the {count} snapshots (evenly spaced) to keep the "
                 f"page under {max_bytes / 1e6:.0f} MB")
    return keep, "; ".join(notes)

__all__ = ["DataClasses", "KeyRecipes", "ProbeDecision", "SnapshotOutlines", "SnapshotTimes",
           "TrainingFilm",
           "TrainingFilmOptions", "add_snapshot", "training_film"]
