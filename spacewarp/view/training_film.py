"""The browser film of a training run: the stage film of every snapshot, on one time axis.

One ``Film`` (``view.film``) gives the structure (segments, stages, clock) of the LAST
snapshot; every snapshot has its own coordinates for the same keys, made with the same
projections (those of the last snapshot: ``paths.plan_steps`` run once, ``paths.chain_morphs`` per
snapshot) and shown in the same boxes (each the union over every snapshot), so motion
along the time axis means change and nothing rescales. The points are the probe grid
first (a strided sub-grid of the training's probe, coloured by predicted class with
confidence as lightness, lattice lines joining it) and then the data (coloured by class):
the decision carried through every stage. Arrays only; the render step adds colours.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from ..errors import LimitError
from ..inputs.points import Points
from ..tracing.trace import Trace, trace
from .colors import decision_strength
from .coords import Projection
from .film import REST, Film, FilmOptions, Segment, StageView, film_clock, lattice_pairs
from .motion import MARGIN, OBLIQUE, TOP_DOWN, camera, equal_aspect_box, film_dim
from .paths import Morph, PlanStep, ShownState, chain_morphs, plan_steps, shown_states

if TYPE_CHECKING:
    from ..training.train import Training

MAX_PROBE = 2500  # probe points drawn: a strided sub-grid of the training's probe
MAX_BYTES = 40_000_000  # coordinate bytes over every snapshot (int16) before subsampling
LARGEST = 1e12  # stage values beyond this (a diverging run) are not shown
MIN_SNAPSHOTS = 8  # fewer than this after subsampling: refuse instead
LATTICE_LINES = 11  # warped probe-grid lines per direction


@dataclass(frozen=True)
class TrainingFilmOptions:
    max_probe: int = MAX_PROBE
    max_bytes: int = MAX_BYTES
    film: FilmOptions = FilmOptions()


@dataclass(frozen=True)
class TrainingFilm:
    """The last snapshot's film, plus every kept snapshot's keys and probe decision."""

    film: Film  # structure and boxes for every snapshot; keys are the last snapshot's
    keys: tuple[tuple[np.ndarray, ...], ...]  # [s][i] (n, d_i) float64: key i at snapshot s
    snapshots: np.ndarray  # (S,) indices of the kept snapshots among the training's
    epoch: np.ndarray  # (S,) int64
    curves: dict[str, np.ndarray]  # train_loss, test_loss, train_accuracy, test_accuracy (S,)
    probe_class: np.ndarray  # (S, P) int64 predicted class (zeros for regression)
    probe_strength: np.ndarray  # (S, P) in [0, 1]: confidence above chance (1 / classes)
    n_probe: int  # P: points 0 .. P-1 are the probe, P .. n-1 the data
    probe_shape: tuple[int, ...]
    classes: int  # 0 for regression
    class_names: tuple[str, ...]  # the label value of each class index, as legend text
    labels: np.ndarray  # (N,) int64 class index of each data point (zeros for regression)
    last: Trace  # the last snapshot's trace of the probe and the data (titles, kinds)
    params: tuple[tuple[StageParams, ...], ...]  # [s][k] stage k's (weight, bias) at s
    note: str  # what was subsampled, "" when nothing
    # how keys are made (the last snapshot's projections), for ``add_snapshot``
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), compare=False)
    plan: tuple[PlanStep, ...] = field(default=(), compare=False, repr=False)
    recipes: tuple[Recipe, ...] = field(default=(), compare=False, repr=False)
    stage_proj: dict[int, Projection] = field(default_factory=dict, compare=False, repr=False)
    # regression: (N, d_out) the data's targets (for the learned curve); None for classes
    target: np.ndarray | None = field(default=None, compare=False, repr=False)


StageParams = tuple[np.ndarray | None, np.ndarray | None]  # a linear stage's W, b
Recipe = tuple[int, int]  # (state index, id of the projection; 0 for the identity)


def training_film(training: Training, options: TrainingFilmOptions | None = None
                  ) -> TrainingFilm:
    """The time-axis film of ``training`` (see the module docstring)."""
    o = options or TrainingFilmOptions()
    probe = training.probe
    if probe is None:
        raise LimitError("a training page needs 1-D or 2-D input (a probe grid to show the "
                         "decision); these points are wider", field="input")
    rows = probe_rows(probe.shape, o.max_probe)
    pts = _joint(training, rows)
    count, last = _usable(training, pts)
    plan, recipes, stage_proj = _structure(last)
    width = sum(k.shape[1] for k in _keys(last, plan, recipes, stage_proj))
    keep, note = _fit_budget(count, pts.n * width * 2, o.max_bytes, len(rows), probe.shape)
    if count < len(training.snapshots):
        note = "; ".join([*filter(None, [note]), (
            f"snapshots after epoch {int(training.snapshots[count - 1])} are left out: "
            f"the network's values pass {LARGEST:.0e} there (the loss diverged)")])
    per_snap: list[tuple[np.ndarray, ...]] = []
    klass, strength = [], []
    params: list[tuple[StageParams, ...]] = []
    for s in keep:  # one snapshot's trace in memory at a time
        tr = last if s == count - 1 else _trace(training, int(s), pts)
        per_snap.append(_keys(tr, plan, recipes, stage_proj))
        predicted, st = _decision(training, tr.output[: len(rows)])
        klass.append(predicted)
        strength.append(st)
        params.append(tuple((g.weight, g.bias) for g in tr.stages))
    film = _film(last, plan, recipes, stage_proj, per_snap, len(rows),
                 probe_sub_shape(probe.shape, o.max_probe), o)
    c = training.curves
    return TrainingFilm(
        film, tuple(per_snap), keep, np.asarray(c.epoch)[keep],
        {k: np.asarray(getattr(c, k), dtype=np.float64)[keep]
         for k in ("train_loss", "test_loss", "train_accuracy", "test_accuracy")},
        np.stack(klass), np.stack(strength), len(rows), probe_sub_shape(probe.shape, o.max_probe),
        int(training.data.classes.size),
        tuple(str(int(v)) for v in training.data.classes), _labels(training), last,
        tuple(params), note, rows, plan, tuple(recipes), stage_proj,
        None if training.data.task == "classification" else np.asarray(training.data.target))


def add_snapshot(tf: TrainingFilm, training: Training, s: int) -> TrainingFilm:
    """``tf`` with training's snapshot ``s`` appended, made with ``tf``'s projections and
    shown in ``tf``'s boxes (for live training: points that leave a box are clipped until
    a new ``training_film`` is made)."""
    tr = _trace(training, s, _joint(training, tf.rows))
    keys = _keys(tr, tf.plan, list(tf.recipes), tf.stage_proj)
    predicted, strength = _decision(training, tr.output[: tf.n_probe])
    c = training.curves
    return replace(
        tf, keys=(*tf.keys, keys), snapshots=np.append(tf.snapshots, s),
        epoch=np.append(tf.epoch, np.asarray(c.epoch)[s]),
        curves={k: np.append(v, float(getattr(c, k)[s])) for k, v in tf.curves.items()},
        probe_class=np.concatenate([tf.probe_class, predicted[None]]),
        probe_strength=np.concatenate([tf.probe_strength, strength[None]]),
        params=(*tf.params, tuple((g.weight, g.bias) for g in tr.stages)))


def _usable(training: Training, pts: Points) -> tuple[int, Trace]:
    """How many snapshots from the first have finite stages below ``LARGEST`` (all, unless
    the loss diverged), and the trace of the last of them."""
    for s in range(len(training.snapshots) - 1, -1, -1):
        tr = _trace(training, s, pts)
        if all(np.isfinite(g.points).all() and np.abs(g.points).max() <= LARGEST
               for g in tr.stages):
            return s + 1, tr
    raise LimitError(f"every snapshot's stages pass {LARGEST:.0e} or are not numbers: "
                     "nothing to show; train again with a smaller --lr", field="train.lr")


# --- points ------------------------------------------------------------------------------------

def probe_rows(shape: tuple[int, ...], max_probe: int) -> np.ndarray:
    """Rows of the training's probe kept for the page: a strided sub-grid (the border
    kept), at most about ``max_probe`` points."""
    picks = [_picks(side, _side_cap(shape, max_probe)) for side in shape]
    if len(shape) == 1:
        return picks[0]
    r, c = picks[1], picks[0]  # rows follow the second axis (meshgrid "xy")
    return (r[:, None] * shape[0] + c[None, :]).ravel()


def _side_cap(shape: tuple[int, ...], max_probe: int) -> int:
    return max(2, int(max_probe ** (1.0 / len(shape))))


def _picks(side: int, cap: int) -> np.ndarray:
    if side <= cap:
        return np.arange(side)
    return np.unique(np.linspace(0, side - 1, cap).round().astype(np.int64))


def probe_sub_shape(shape: tuple[int, ...], max_probe: int) -> tuple[int, ...]:
    cap = _side_cap(shape, max_probe)
    return tuple(len(_picks(side, cap)) for side in reversed(shape)) if len(shape) == 2 \
        else (len(_picks(shape[0], cap)),)


def _joint(training: Training, rows: np.ndarray) -> Points:
    """The probe sub-grid then the data: (P + N, d0)."""
    assert training.probe is not None
    x = np.concatenate([training.probe.x[rows], training.points.x])
    return Points(x=x, color=x[:, 0].copy(), name="probe+data")


def _trace(training: Training, s: int, pts: Points) -> Trace:
    return trace(training.model(s), pts, device="cpu", experiment=training.experiment)


def _labels(training: Training) -> np.ndarray:
    data = training.data
    if data.task == "classification":
        return np.asarray(data.target, dtype=np.int64)
    return np.zeros(training.points.n, dtype=np.int64)


def _decision(training: Training, output: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P, C) probe output -> predicted class (P,) and strength (P,) in [0, 1]."""
    from ..training.train import decide

    if training.data.task == "regression":
        return np.zeros(len(output), dtype=np.int64), np.zeros(len(output))
    predicted, confidence = decide(output, "classification", training.spec.loss)
    classes = int(training.data.classes.size)
    return predicted.astype(np.int64), decision_strength(confidence, classes)


# --- structure: the last snapshot's plan, keys named by how they are made -------------------

def _structure(last: Trace) -> tuple[tuple[PlanStep, ...], list[Recipe],
                                     dict[int, Projection]]:
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
    return plan, recipes, stage_proj


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


def _keys(tr: Trace, plan: tuple[PlanStep, ...], recipes: list[Recipe],
          stage_proj: dict[int, Projection]) -> tuple[np.ndarray, ...]:
    """Every key of snapshot ``tr``: state ``r[0]`` through projection ``r[1]``."""
    states = shown_states(tr, [s.points for s in tr.stages], False)
    proj = _projections(plan, stage_proj)
    out = []
    for state, pid in recipes:
        shown = proj[pid](states[state].points)  # (n, d_k) -> (n, <= 3)
        out.append(np.asarray(shown[:, :3], dtype=np.float64))
    return tuple(out)


# --- the film --------------------------------------------------------------------------------

def _film(last: Trace, plan: tuple[PlanStep, ...], recipes: list[Recipe],
          stage_proj: dict[int, Projection], per_snap: list[tuple[np.ndarray, ...]],
          n_probe: int, probe_shape: tuple[int, ...], o: TrainingFilmOptions) -> Film:
    states = shown_states(last, [s.points for s in last.stages], False)
    path = chain_morphs(states, list(plan))
    dim = film_dim(path)
    own = [_union_box([snap[i] for snap in per_snap], dim, n_probe, recipes[i][0] == 0)
           for i in range(len(recipes))]
    spans = _positions(path, len(last.stages))
    segments = []
    for step, m, (p0, p1) in zip(plan, path, spans, strict=True):
        a = recipes.index((step.src, _pid(step.start)))
        b = recipes.index((step.dst, _pid(step.end)))
        box = _union_box([e for snap in per_snap for e in (snap[a], snap[b])], dim, n_probe,
                         step.src == 0 and step.dst == 0)
        segments.append(Segment(p0, p1, a, b, m.from_stage, m.to_stage, m.kind, m.title,
                                ((0.0, own[a]), (REST, box), (1.0 - REST, box), (1.0, own[b])),
                                (camera(m, 0.0), camera(m, 1.0)), None))
    stages = []
    for k, st in enumerate(last.stages):
        i = recipes.index((_last_state(states, k), _pid(stage_proj[k])))
        d = int(per_snap[-1][i].shape[1])
        stages.append(StageView(i, d, own[i], TOP_DOWN if d <= 2 else OBLIQUE,
                                f"PCA of {st.dim}-D, fixed" if st.dim > 3 else ""))
    lattice = _probe_lattice(probe_shape, n_probe)
    return Film(per_snap[-1], tuple(stages), tuple(segments),
                film_clock(len(last.stages), o.film), dim, None, lattice, last.note, "")


def _positions(path: tuple[Morph, ...], n_stages: int) -> list[tuple[float, float]]:
    from .film import morph_spans as positions

    return positions(path, n_stages)


def _union_box(arrays: list[np.ndarray], dim: int, n_probe: int, with_probe: bool
               ) -> np.ndarray:
    """(dim, 2): the equal-aspect box around the data rows of every array (every
    snapshot), and the probe rows too for the input (the decision over the input box)."""
    start = 0 if with_probe else n_probe
    return equal_aspect_box([a[start:] for a in arrays], dim, MARGIN)


def _probe_lattice(shape: tuple[int, ...], n_probe: int) -> np.ndarray | None:
    """Lattice pairs of the probe sub-grid (points 0 .. P-1): 2-D input only."""
    if len(shape) != 2 or shape[0] * shape[1] != n_probe:
        return None
    return lattice_pairs((shape[0], shape[1]), LATTICE_LINES)


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

__all__ = ["MAX_PROBE", "TrainingFilm", "TrainingFilmOptions", "add_snapshot", "probe_rows",
           "training_film"]
