"""The view of a training run: display coordinates of the data and the probe grid in the
input plane and in the watched stage, at every snapshot, with ONE projection and ONE box
for the whole run (so motion in the film means change, never a rescale), and the film's
timeline: where between two snapshots each frame stands. Arrays only, read from
``training.snapshots.TracedSnapshots`` (the snapshots traced once); nothing runs the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..inputs.slice import SliceFrame
from ..measure.training_regions import outline_images, snapshot_polygons
from ..training.snapshots import TracedSnapshots
from ..training.train import CURVE_NAMES, Curves, Training
from .outlines import MAX_OUTLINE_REGIONS, too_many_words

Box = tuple[float, float, float, float]  # x0, x1, y0, y1
FILM_FPS = 30  # frames per second of training.mp4
SECONDS_PER_SNAPSHOT = 0.25  # the motion from one snapshot to the next
MIN_SECONDS = 3.0  # of motion, however few the snapshots
HOLD_LAST = 2.0  # seconds the last snapshot stays on screen
INTERPOLATED = "between snapshots, positions are interpolated"


@dataclass(frozen=True)
class TrainingView:
    """Everything a still or a film of the training draws, snapshot by snapshot."""

    epochs: np.ndarray  # (S,) int64
    curves: Curves  # loss and accuracy at each snapshot
    data_in: np.ndarray  # (N, 2) the data in the input plane (x, 0 or x, target for 1-D)
    data_watch: np.ndarray  # (S, N, 2) the data in the watched stage, projected
    probe_watch: np.ndarray  # (S, R, 2) the probe rows in the watched stage, projected
    # (P, 2) the WHOLE probe grid in the watched stage at snapshot ``sharp`` (the stills)
    probe_watch_whole: np.ndarray
    sharp: int  # the last snapshot with finite stages
    predicted: np.ndarray  # (S, P) class index, or the predicted value for regression
    confidence: np.ndarray  # (S, P) in [0, 1]
    margin: np.ndarray  # (S, P, C) output_k - max over j != k of output_j; 0 on a boundary
    input_box: Box
    watch_box: Box
    watch_title: str  # "stage 2: ReLU (100-D, fixed PCA plane of the last snapshot)"
    probe_shape: tuple[int, ...]  # the whole grid (the input plane's decision image)
    row_shape: tuple[int, ...]  # the probe rows' sub-grid (the watched stage's heat map)
    probe_rows: np.ndarray  # (R,) the rows' places in the whole grid
    classes: int  # 0 for regression
    labels: np.ndarray  # (N,) int64 class index (zeros for regression)
    color_x: np.ndarray  # (N,) the input's first coordinate (regression colours)
    test: np.ndarray  # (N,) bool
    cmap: str
    theme: str
    # the regions through training (``Training.regions``): regions_total (S,), ... ; {}
    regions: dict[str, np.ndarray] = field(default_factory=dict)
    # on a slice, the points shown are its anchor rows: "row 0 (0)", one per point; ()
    anchor_names: tuple[str, ...] = ()
    slice_frame: SliceFrame | None = None  # on a slice: its anchors' inputs (their images)
    # per snapshot (train --regions): its regions' outlines in both panels, or None
    outlines: tuple[PanelOutlines | None, ...] = ()


@dataclass(frozen=True)
class PanelOutlines:
    """One snapshot's exact regions in the film's two panels: each polygon in the input
    plane and its image in the watched stage (through that snapshot's network, on the
    run's fixed projection)."""

    count: np.ndarray  # (R,) vertices of each region, in order
    input: np.ndarray  # (V, 2)
    watch: np.ndarray  # (V, 2)

    def polyline(self, panel: str) -> np.ndarray:
        """Every region's closed outline in ``panel`` ("input" or "watch") as one polyline
        (V + 2 R, 2): each polygon's vertices, its first again, then a NaN row (a break),
        so that a plot draws them all as one path."""
        xy = self.input if panel == "input" else self.watch
        start = np.concatenate([[0], np.cumsum(self.count)])  # (R + 1,)
        r = np.repeat(np.arange(len(self.count)), self.count + 2)  # the region of each row
        k = np.arange(len(r)) - np.repeat(start[:-1] + 2 * np.arange(len(self.count)),
                                          self.count + 2)  # place in the region's rows
        rows = start[r] + np.where(k < self.count[r], k, 0)  # the vertex, the first again
        return np.where((k == self.count[r] + 1)[:, None], np.nan, xy[rows])


def training_view(traced: TracedSnapshots, film: bool = True) -> TrainingView:
    """Fix the projection from the last snapshot and carry every snapshot through it;
    ``film=False``: the region outlines of the last usable snapshot only (the stills')."""
    t = traced.training
    probe, data, shown = t.probe, t.data, t.shown
    if probe is None:
        raise ValueError("the training film needs a 1-D or 2-D input (a probe grid)")
    k, n_probe = t.watch, traced.n_probe
    stage = traced.stages[k]  # (S, R + M, d_k)
    first = np.concatenate([probe.x[traced.rows, 0], shown.x[:, 0]])  # (R + M,)
    to_plane, title = projector(stage[traced.usable - 1], first, traced.last.stages[k].title, k)
    plane = np.stack([to_plane(a) for a in stage])  # (S, R + M, 2)
    decisions = [traced.decision(s) for s in range(traced.count)]
    predicted = np.stack([p for p, _ in decisions])  # (S, P)
    classify = data.task == "classification"
    margin = np.stack([margins(o) if classify else np.zeros((len(o), 0))
                       for o in traced.output])  # (S, P, C)
    x0, x1 = probe.box[0]
    y0, y1 = probe.box[1] if len(probe.box) > 1 else value_range(data.target[:, 0], predicted)
    boxed = 0 if probe.frame is not None else n_probe  # a slice: the grid is the subject
    return TrainingView(
        epochs=t.snapshots, curves=t.curves, data_in=input_plane(shown.x, shown.target),
        data_watch=plane[:, n_probe:], probe_watch=plane[:, :n_probe],
        probe_watch_whole=_whole(traced, k, to_plane), sharp=traced.usable - 1,
        predicted=predicted,
        confidence=np.stack([c for _, c in decisions]), margin=margin,
        input_box=(x0, x1, y0, y1), watch_box=box_of(plane[: traced.usable, boxed:]),
        watch_title=title, probe_shape=probe.shape, row_shape=traced.row_shape,
        probe_rows=traced.rows, classes=int(data.classes.size),
        labels=np.asarray(shown.target, np.int64) if classify else np.zeros(len(shown.x),
                                                                              np.int64),
        color_x=shown.x[:, 0].copy(), test=shown.test, cmap=t.experiment.style.cmap,
        theme=t.experiment.style.theme, regions=dict(t.regions),
        anchor_names=_anchor_names(t), slice_frame=t.data.frame,
        outlines=panel_outlines(traced, to_plane, None if film else traced.usable - 1))


def outline_note(view: TrainingView, s: int) -> str:
    """Why snapshot ``s`` draws no region outlines where they were asked for (``train
    --regions``): it has more regions than a view outlines (``too_many_words``); "" where
    it has no more, or where none were asked for."""
    if not view.outlines:
        return ""
    count = int(np.asarray(view.regions["regions_total"])[s])
    if count <= MAX_OUTLINE_REGIONS:
        return ""
    return too_many_words(count, int(view.epochs[s]), MAX_OUTLINE_REGIONS)


def _anchor_names(t: Training) -> tuple[str, ...]:
    """How the points shown are titled: a slice's anchors by row and label; () else."""
    frame = t.data.frame
    return () if frame is None else frame.anchor_names


def panel_outlines(traced: TracedSnapshots, to_plane: Callable[[np.ndarray], np.ndarray],
                   only: int | None = None) -> tuple[PanelOutlines | None, ...]:
    """Every snapshot's outlines (``PanelOutlines``), or snapshot ``only``'s (the others
    None); () without ``train --regions`` or for a 1-D input (a plane: 2-D, or a
    slice); None for a snapshot with
    more regions than a film draws."""
    t = traced.training
    if t.probe is None or t.probe.x.shape[1] != 2 or snapshot_polygons(t.regions, 0) is None:
        return ()
    out: list[PanelOutlines | None] = []
    for s in range(traced.count):
        found = snapshot_polygons(t.regions, s) if only in (None, s) else None
        if found is None or len(found[1]) > MAX_OUTLINE_REGIONS:
            out.append(None)
            continue
        verts, count = found
        images = outline_images(t, s, verts)  # [k] (V, d_k)
        out.append(PanelOutlines(count, verts, to_plane(images[t.watch])))
    return tuple(out)


def _whole(traced: TracedSnapshots, k: int, to_plane: Callable[[np.ndarray], np.ndarray]
           ) -> np.ndarray:
    """(P, 2): the whole probe grid in stage ``k`` at the last usable snapshot; (0, 2)
    when the traced snapshots kept none."""
    if not traced.whole_last:
        return np.zeros((0, 2))
    whole = traced.whole_last[k]  # (P, d_k)
    t = traced.training
    assert t.probe is not None
    return to_plane(whole) if whole.shape[1] != 1 else np.stack(
        [whole[:, 0], t.probe.x[:, 0]], axis=1)


def margins(out: np.ndarray) -> np.ndarray:
    """(P, C) outputs -> (P, C): how far each class's output is above the best other one
    (positive inside its region, zero on its boundary): smooth, for boundary contours."""
    c = out.shape[1]
    if c == 1:
        return out.copy()
    top2 = np.sort(out, axis=1)[:, -2:]  # (P, 2) second best, best
    best_other = np.where(out == top2[:, 1:], top2[:, :1], top2[:, 1:])  # (P, C)
    return out - best_other


def projector(last: np.ndarray, first: np.ndarray, name: str, k: int,
              plane: str = "PCA plane of the last snapshot"
              ) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """One map (M, d) -> (M, 2) for every snapshot, fixed from the last one, and the
    panel title. 1-D stages are drawn against the input's first coordinate (a graph);
    2-D as they are; wider ones on the PCA plane of the last snapshot."""
    d = last.shape[1]
    if d == 1:
        return (lambda a: np.stack([a[:, 0], first], axis=1)), \
            f"stage {k}: {name} (1-D, against input x)"
    if d == 2:
        return (lambda a: np.array(a)), f"stage {k}: {name}"
    finite = last[np.isfinite(last).all(axis=1)]
    centre = finite.mean(axis=0)
    basis = leading_directions(finite - centre)  # (d, 2)
    return (lambda a: (a - centre) @ basis), (
        f"stage {k}: {name} ({d}-D; {plane})")


def leading_directions(centred: np.ndarray) -> np.ndarray:
    """(d, 2): the two leading principal directions of centred rows (M, d). For M >= d from
    the eigenvectors of the d x d scatter matrix (a slice's whole probe grid through a
    convolution, 3,600 x 512: 5x less work than the SVD, which also makes the M x d
    factor U), else from the SVD. Each direction's sign is arbitrary, as the SVD's."""
    if centred.shape[0] >= centred.shape[1]:
        _, vectors = np.linalg.eigh(centred.T @ centred)  # ascending
        return vectors[:, ::-1][:, :2].copy()
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return vt[:2].T.copy()


def box_of(coords: np.ndarray) -> Box:
    """The box of (..., 2) coordinates (every snapshot), padded 5%: one box for the whole
    run (the probe grid, which reaches past the data, may leave it)."""
    flat = coords.reshape(-1, 2)
    flat = flat[np.isfinite(flat).all(axis=1)]
    lo, hi = flat.min(axis=0), flat.max(axis=0)
    pad = 0.05 * np.maximum(hi - lo, 1e-9)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0]),
            float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def input_plane(x: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(N, 2): the data as drawn in the input panel (1-D: x against its target)."""
    if x.shape[1] == 2:
        return x
    return np.stack([x[:, 0], target[:, 0]], axis=1)


def value_range(*values: np.ndarray) -> tuple[float, float]:
    """The range of the targets and of every snapshot's predictions, padded 10%."""
    lo = min(float(np.nanmin(v)) for v in values)
    hi = max(float(np.nanmax(v)) for v in values)
    pad = 0.1 * max(hi - lo, 1e-9)
    return lo - pad, hi + pad


def caption(epoch: int, curves: dict[str, float], sep: str = "   ") -> str:
    """``epoch 120   train loss 0.213   test loss 0.25   accuracy 0.93 (test 0.91)``
    from one snapshot's ``CURVE_NAMES`` values (NaN where they do not apply)."""
    c = curves
    text = f"epoch {epoch}{sep}train loss {c['train_loss']:.4g}"
    if np.isfinite(c["test_loss"]):
        text += f"{sep}test loss {c['test_loss']:.4g}"
    if np.isfinite(c["train_accuracy"]):
        text += f"{sep}accuracy {c['train_accuracy']:.3f}"
        if np.isfinite(c["test_accuracy"]):
            text += f" (test {c['test_accuracy']:.3f})"
    return text


def snapshot_curves(curves: Curves, s: int) -> dict[str, float]:
    """Snapshot ``s``'s value of every curve, by ``CURVE_NAMES``."""
    return {name: float(getattr(curves, name)[s]) for name in CURVE_NAMES}


# --- the film's timeline ---------------------------------------------------------------------

def motion_seconds(count: int) -> float:
    """Seconds from the first of ``count`` snapshots to the last, in the film and in the
    page's Play: ``SECONDS_PER_SNAPSHOT`` each, at least ``MIN_SECONDS``."""
    return max(MIN_SECONDS, SECONDS_PER_SNAPSHOT * (count - 1))


def film_times(count: int, fps: int = FILM_FPS) -> np.ndarray:
    """(F,) where each frame of the training film stands, in snapshots (0 .. count - 1,
    fractions between): ``SECONDS_PER_SNAPSHOT`` from one snapshot to the next, at least
    ``MIN_SECONDS`` of motion in all, then the last snapshot held ``HOLD_LAST`` s."""
    if count < 2:
        return np.zeros(round(HOLD_LAST * fps) + 1)
    frames = round(motion_seconds(count) * fps) + 1  # the first and the last included
    return np.concatenate([np.linspace(0.0, count - 1, frames),
                           np.full(round(HOLD_LAST * fps), float(count - 1))])


@dataclass(frozen=True)
class Moment:
    """The view at ``t`` snapshots: between snapshots ``lo`` and ``hi`` = lo + 1 (or
    equal), ``u`` of the way; positions and margins interpolated linearly."""

    lo: int
    hi: int
    u: float  # in [0, 1]
    epoch: int  # the epoch counter, running with the frames
    data_watch: np.ndarray  # (N, 2)
    probe_watch: np.ndarray  # (R, 2)
    margin: np.ndarray  # (P, C)


def moment(view: TrainingView, t: float) -> Moment:
    """The view ``t`` snapshots into the run (see ``Moment``)."""
    last = len(view.epochs) - 1
    t = min(max(float(t), 0.0), float(last))
    lo = min(int(np.floor(t)), last)
    hi = min(lo + 1, last)
    u = t - lo if hi > lo else 0.0

    def lerp(a: np.ndarray) -> np.ndarray:
        return a[lo] if u == 0.0 else (1.0 - u) * a[lo] + u * a[hi]

    epoch = round((1.0 - u) * int(view.epochs[lo]) + u * int(view.epochs[hi]))
    return Moment(lo, hi, u, epoch, lerp(view.data_watch), lerp(view.probe_watch),
                  lerp(view.margin))


# --- the decision in every stage -------------------------------------------------------------

@dataclass(frozen=True)
class StagePlane:
    """One stage of one snapshot in display coordinates, for the every-stage picture."""

    title: str
    data: np.ndarray  # (N, 2)
    probe: np.ndarray  # (R, 2)
    box: Box


@dataclass(frozen=True)
class DecisionStages:
    """Every stage of one snapshot with the probe rows carried through it."""

    planes: tuple[StagePlane, ...]
    predicted: np.ndarray  # (R,) the probe rows' class (regression: predicted value)
    confidence: np.ndarray  # (R,)
    row_shape: tuple[int, ...]
    snapshot: int  # index among the snapshots (not negative)
    caption: str
    classes: int  # 0 for regression
    labels: np.ndarray  # (N,) int64 class index (zeros for regression)
    cmap: str
    theme: str
    anchor_names: tuple[str, ...] = ()  # on a slice: the points shown, titled; ()
    slice_frame: SliceFrame | None = None  # on a slice: its anchors' inputs (their images)


def decision_stages(traced: TracedSnapshots, s: int = -1) -> DecisionStages:
    """Every stage of snapshot ``s``: the planes (1-D against input x, 2-D as is, wider on
    that stage's own PCA plane), and the probe rows' predicted class and confidence."""
    t = traced.training
    s = s % traced.count
    if t.probe is None:
        raise ValueError("the decision in every stage needs a 1-D or 2-D input (a probe grid)")
    shown = t.shown
    sharp = s == traced.usable - 1 and bool(traced.whole_last)  # the whole grid is kept
    rows = np.arange(len(t.probe.x)) if sharp else traced.rows
    first = np.concatenate([t.probe.x[rows, 0], shown.x[:, 0]])  # (R + M,)
    boxed = 0 if t.probe.frame is not None else len(rows)  # a slice: box the grid too
    planes = []
    for k, stage in enumerate(traced.last.stages):
        points = traced.shown(k)[s]  # (M, d_k) the points shown
        grid = traced.whole_last[k] if sharp else traced.stages[k][s, :traced.n_probe]
        joint = np.concatenate([grid, points])  # (R + M, d_k)
        to_plane, title = projector(joint, first, stage.title, k, "PCA plane")
        xy = to_plane(joint)  # (R + M, 2)
        planes.append(StagePlane(title, xy[len(rows):], xy[:len(rows)], box_of(xy[boxed:])))
    predicted, confidence = traced.decision(s)
    classify = t.data.task == "classification"
    return DecisionStages(
        tuple(planes), predicted[rows], confidence[rows],
        t.probe.shape if sharp else traced.row_shape, s,
        caption(int(t.snapshots[s]), snapshot_curves(t.curves, s)),
        int(t.data.classes.size),
        np.asarray(shown.target, np.int64) if classify else np.zeros(len(shown.x), np.int64),
        t.experiment.style.cmap, t.experiment.style.theme, _anchor_names(t), t.data.frame)


@dataclass(frozen=True)
class TrainingViews:
    """The views ``training.png``, the film and ``training-stages.png`` are drawn from;
    None without a probe grid (input wider than 2-D)."""

    still: TrainingView | None
    stages: DecisionStages | None


def training_views(traced: TracedSnapshots, film: bool = True) -> TrainingViews:
    """Both views of a traced training, at its last snapshot for the every-stage one;
    ``film``: the still view holds what the film needs (every snapshot's outlines)."""
    if traced.training.probe is None:
        return TrainingViews(None, None)
    return TrainingViews(training_view(traced, film), decision_stages(traced))
