"""The view of a training run: display coordinates of the data and the probe grid in the
input plane and in the watched stage, at every snapshot, with ONE projection and ONE box
for the whole run (so motion in the film means change, never a rescale). Arrays only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..inputs.points import Points
from ..tracing.trace import trace
from ..training.train import decide

if TYPE_CHECKING:
    from ..training.train import Training

Box = tuple[float, float, float, float]  # x0, x1, y0, y1


@dataclass(frozen=True)
class TrainingView:
    """Everything a still or a film of the training draws, snapshot by snapshot."""

    epochs: np.ndarray  # (S,) int64
    data_in: np.ndarray  # (N, 2) the data in the input plane (x, 0 or x, target for 1-D)
    data_watch: np.ndarray  # (S, N, 2) the data in the watched stage, projected
    probe_watch: np.ndarray  # (S, P, 2) the probe grid in the watched stage, projected
    predicted: np.ndarray  # (S, P) class index, or the predicted value for regression
    confidence: np.ndarray  # (S, P) in [0, 1]
    margin: np.ndarray  # (S, P, C) output_k - max over j != k of output_j; 0 on a boundary
    input_box: Box
    watch_box: Box
    watch_title: str  # "stage 2: ReLU (100-D, fixed PCA plane of the last snapshot)"
    probe_shape: tuple[int, ...]
    classes: int  # 0 for regression
    test: np.ndarray  # (N,) bool


def training_view(training: Training) -> TrainingView:
    """Run every snapshot once on the data and the probe grid and fix the projection."""
    probe = training.probe
    if probe is None:
        raise ValueError("the training film needs a 1-D or 2-D input (a probe grid)")
    k, data, n = training.watch, training.data, training.points.n
    joint = np.concatenate([training.points.x, probe.x])  # (N + P, d0)
    pts = Points(x=joint, color=joint[:, 0].copy(), name="data+probe")
    last = len(training.snapshots) - 1
    final = trace(training.model(last), pts, device="cpu")
    to_plane, title = _projector(final.stages[k].points, joint[:, 0], final.stages[k].title, k)
    flat, predicted, confidence, margin = [], [], [], []
    for s in range(len(training.snapshots)):  # one snapshot in memory at a time
        tr = final if s == last else trace(training.model(s), pts, device="cpu")
        flat.append(to_plane(tr.stages[k].points))  # (N + P, d_k) -> (N + P, 2)
        p, c = decide(tr.output[n:], data.task, training.spec.loss)
        predicted.append(p)
        confidence.append(c)
        margin.append(_margin(tr.output[n:]) if data.task == "classification" else
                      np.zeros((len(probe.x), 0)))
    plane = np.stack(flat)  # (S, N + P, 2)
    x0, x1 = probe.box[0]
    y0, y1 = probe.box[1] if len(probe.box) > 1 else _value_range(
        training.data.target[:, 0], np.stack(predicted))
    return TrainingView(
        epochs=training.snapshots, data_in=_input_plane(training), data_watch=plane[:, :n],
        probe_watch=plane[:, n:], predicted=np.stack(predicted),
        confidence=np.stack(confidence), margin=np.stack(margin), input_box=(x0, x1, y0, y1),
        watch_box=_box(plane[:, :n]), watch_title=title, probe_shape=probe.shape,
        classes=int(data.classes.size), test=data.test)


def _margin(out: np.ndarray) -> np.ndarray:
    """(P, C) outputs -> (P, C): how far each class's output is above the best other one
    (positive inside its region, zero on its boundary): smooth, for boundary contours."""
    c = out.shape[1]
    if c == 1:
        return out.copy()
    top2 = np.sort(out, axis=1)[:, -2:]  # (P, 2) second best, best
    best_other = np.where(out == top2[:, 1:], top2[:, :1], top2[:, 1:])  # (P, C)
    return out - best_other


def _projector(last: np.ndarray, first: np.ndarray, name: str, k: int,
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
    centre = last.mean(axis=0)
    _, _, vt = np.linalg.svd(last - centre, full_matrices=False)
    basis = vt[:2].T  # (d, 2)
    return (lambda a: (a - centre) @ basis), (
        f"stage {k}: {name} ({d}-D; {plane})")


def _box(coords: np.ndarray) -> Box:
    """The box of the data at every snapshot, padded 5%: one box for the whole run (the
    probe grid, which reaches past the data, may leave it)."""
    lo = coords.reshape(-1, 2).min(axis=0)
    hi = coords.reshape(-1, 2).max(axis=0)
    pad = 0.05 * np.maximum(hi - lo, 1e-9)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0]),
            float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def _input_plane(training: Training) -> np.ndarray:
    """(N, 2): the data as drawn in the input panel (1-D: x against its target)."""
    x = training.points.x
    if x.shape[1] == 2:
        return x
    return np.stack([x[:, 0], training.data.target[:, 0]], axis=1)


def _value_range(*values: np.ndarray) -> tuple[float, float]:
    """The range of the targets and of every snapshot's predictions, padded 10%."""
    lo = min(float(v.min()) for v in values)
    hi = max(float(v.max()) for v in values)
    pad = 0.1 * max(hi - lo, 1e-9)
    return lo - pad, hi + pad


@dataclass(frozen=True)
class StagePlane:
    """One stage of one snapshot in display coordinates, for the every-stage picture."""

    title: str
    data: np.ndarray  # (N, 2)
    probe: np.ndarray  # (P, 2)
    box: Box


def decision_stages(training: Training, s: int = -1) -> tuple[list[StagePlane], np.ndarray,
                                                               np.ndarray]:
    """Every stage of snapshot ``s`` with the probe grid carried through it: the planes
    (1-D against input x, 2-D as is, wider on that stage's own PCA plane), and the probe's
    predicted class and confidence (P,)."""
    probe = training.probe
    if probe is None:
        raise ValueError("the decision in every stage needs a 1-D or 2-D input (a probe grid)")
    n = training.points.n
    joint = np.concatenate([training.points.x, probe.x])  # (N + P, d0)
    tr = trace(training.model(s), Points(x=joint, color=joint[:, 0].copy(), name="probe"),
               device="cpu")
    planes = []
    for k, stage in enumerate(tr.stages):
        to_plane, title = _projector(stage.points, joint[:, 0], stage.title, k, "PCA plane")
        xy = to_plane(stage.points)  # (N + P, 2)
        planes.append(StagePlane(title, xy[:n], xy[n:], _box(xy[None, :n])))
    predicted, confidence = decide(tr.output[n:], training.data.task, training.spec.loss)
    return planes, predicted, confidence
