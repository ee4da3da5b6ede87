"""The explorer's training, as jobs for a session's worker: start, a timed chunk of epochs,
a full frame. Runs in a pool thread; holds no widgets (``trainer`` shows the results).

A ``LiveRun`` is one session's training: ``training.Fit`` (the same steps as
``sw.train``), the probe grid over the input box, and the live plan of the film on screen.
A chunk trains for about ``CHUNK_S`` seconds of whole epochs, then computes the stages
of data and probe once and sends only their coordinates (``render.live``), through the
projections of the film planned when training started, so boxes and views stay fixed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from torch import nn

from ..config.experiment import Experiment
from ..errors import SpacewarpError
from ..inputs.points import Points
from ..measure.training_regions import training_regions
from ..render.browser import Blobs
from ..render.live import decision_rows, live_update, probe_spec, weight_lines
from ..render.training_browser import training_spec
from ..tracing.trace import Trace, trace
from ..training.setup import DataSet, Probe, prepare, probe_for, shown_points
from ..training.snapshots import probe_rows, probe_shape, trace_snapshots
from ..training.train import Curves, Fit, Training, decide, deterministic
from ..view.film import film
from ..view.live import LivePlan, live_keys, live_plan, outside_note
from ..view.outlines import MAX_OUTLINE_WORK
from ..view.training_film import TrainingFilmOptions, training_film

CHUNK_S = 0.04  # training time per view update (then one forward of data and probe)
MAX_SNAPSHOTS = 100  # kept for the time slider; every other one dropped beyond
APP_PROBE = 2_500  # probe points drawn (a sub-grid of the training's probe), live and paused
APP_BYTES = 12_000_000  # the paused view's snapshot coordinates (int16) before thinning
APP_TRACED_BYTES = 200_000_000  # the paused view's traced stages (float64) before thinning
APP_OUTLINES = 6_000_000  # the paused view's region outlines (int16), Regions on
Row = tuple[int, float, float, float, float]  # epoch, train/test loss, train/test accuracy


@dataclass
class LiveRun:
    """One session's training in progress."""

    fit: Fit
    probe: Probe | None
    joint: Points  # probe grid first (P points), then the data (N)
    plan: LivePlan | None = None
    base: int = 0  # the serial of the film spec the live updates apply to
    serial: int = 0
    curves: list[Row] = field(default_factory=list)
    snapshots: list[tuple[int, dict[str, np.ndarray], Row]] = field(default_factory=list)
    stopped: str = ""  # why training ended ("" while it may go on)
    source: Experiment | None = None  # the session's experiment the run continues
    sent: list[np.ndarray] = field(default_factory=list)  # the keys of the last update

    @property
    def experiment(self) -> Experiment:
        return self.fit.experiment

    @property
    def n_probe(self) -> int:
        """P: the probe rows before the points shown (the data, or a slice's anchors)."""
        return self.joint.n - len(shown_points(self.fit.data).x)

    @property
    def done(self) -> bool:
        return bool(self.stopped) or self.fit.epoch >= self.fit.spec.epochs


def start(experiment: Experiment) -> LiveRun:
    """A new run of ``experiment``'s training (``prepare``: its data, split and network)."""
    resolved, data = prepare(experiment)
    assert resolved.train is not None
    fit = Fit(resolved, data)
    if not isinstance(fit.model, nn.Sequential) or not all(
            type(m).__module__.startswith("torch.nn") for m in fit.model.children()):
        raise SpacewarpError("the explorer trains networks made from widths; train your own "
                             "model with spacewarp train", field="train")
    probe = probe_for(data, resolved.train.probe)
    run = LiveRun(fit, probe, _joint(data, probe))
    _record(run)
    return run


def _joint(data: DataSet, probe: Probe | None) -> Points:
    """The points the run draws: the training page's probe sub-grid (the same points live
    and paused), then the points shown (the data; on a slice its anchor rows, whose
    coordinates, like the grid's, are the slice's: ``frame`` maps them to inputs)."""
    shown = shown_points(data)
    x, grid = shown.x, None
    if probe is not None:
        x = np.concatenate([probe.x[probe_rows(probe.shape, APP_PROBE)], x])  # (P + M, d0)
        shape = probe_shape(probe.shape, APP_PROBE)
        grid = (shape[0], shape[1]) if len(shape) == 2 else None
    categorical = data.task == "classification"
    color = np.concatenate([np.zeros(len(x) - len(shown.x)), shown.target]).astype(
        np.float64) if categorical else x[:, 0].copy()
    labelled = categorical and data.points.labels is not None
    return Points(x=x, color=color, labels=color.astype(np.int64) if labelled else None,
                  grid_shape=grid, name=data.points.name,
                  color_by="label" if categorical else "x", frame=data.frame)


def frame(run: LiveRun, serial: int) -> tuple[dict[str, Any], Trace]:
    """The full film spec of the network now (planned afresh: boxes fit the points) and
    the normal trace of the experiment's data; the live plan follows the new spec."""
    net = _model(run)
    tr = trace(net, run.joint, device="cpu", experiment=run.experiment)
    predicted, confidence = _decision(run, tr.output)
    planned = film(tr)
    spec, _rows = probe_spec(tr, run.n_probe, predicted, confidence,
                             int(run.fit.data.classes.size), serial, planned)
    run.plan, run.base, run.serial = live_plan(tr, planned), serial, serial
    run.sent = []  # a new spec: its first update sends every key
    return spec, tr


def paused_frame(run: LiveRun, serial: int) -> tuple[dict[str, Any], Trace | None]:
    """The film spec of every snapshot so far, with the training time slider (the training
    page's spec); the plain frame for input wider than 2-D (no probe grid)."""
    if run.probe is None or len(run.snapshots) < 2:
        return frame(run, serial)
    training, why_none = with_regions(training_of(run, APP_TRACED_BYTES))
    traced = trace_snapshots(training, APP_PROBE)
    tf = training_film(traced, TrainingFilmOptions(APP_BYTES, max_outline_bytes=APP_OUTLINES))
    run.plan = None  # live updates need a frame() first
    spec = training_spec(tf, None, Blobs("b64", named=True), serial=serial, current=-1)
    spec["sample_note"] = "; ".join(filter(None, [spec["sample_note"], why_none]))
    return spec, None


def with_regions(training: Training) -> tuple[Training, str]:
    """With the Regions control on: the regions of every snapshot (``train --regions``),
    whose outlines the paused view draws, and "" ; for a network that has no exact regions
    (smooth, not 2-D) or more than a film draws, no outlines and the line that says why
    (shown on the view, not an error: training goes on)."""
    if training.experiment.style.regions == "off":
        return training, ""
    try:
        found = training_regions(training, max_regions=MAX_OUTLINE_WORK)
    except SpacewarpError as e:
        return training, f"no region outlines: {e}"
    return replace(training, regions=found.named()), ""


def training_of(run: LiveRun, max_bytes: float | None = None) -> Training:
    """The run so far as a ``Training``: its kept snapshots' parameters and curves (evenly
    thinned, first and last kept, so that tracing them holds at most ``max_bytes``)."""
    snaps = run.snapshots
    if max_bytes is not None:
        widths = _stage_widths(run)
        fit = max(2, int(max_bytes // (run.joint.n * widths * 8)))
        if fit < len(snaps):
            picks = np.unique(np.linspace(0, len(snaps) - 1, fit).round().astype(np.int64))
            snaps = [snaps[i] for i in picks]
    epochs = np.array([e for e, _, _ in snaps], dtype=np.int64)
    params = {k: np.stack([p[k] for _, p, _ in snaps]) for k in snaps[0][1]}
    rows = np.array([r for _, _, r in snaps], dtype=np.float64)  # (S, 5)
    curves = Curves(epochs, *(rows[:, i].copy() for i in range(1, 5)))
    return Training(run.fit.experiment, run.fit.data, params, curves, run.probe, run.stopped)


def advance(run: LiveRun, budget_s: float = CHUNK_S, epochs: int | None = None
            ) -> dict[str, Any]:
    """Train for ``budget_s`` seconds of whole epochs (exactly ``epochs`` when given, at
    most up to ``spec.epochs``), then the live update of the views."""
    fit, t0 = run.fit, time.perf_counter()
    todo = fit.spec.epochs - fit.epoch if epochs is None else min(
        epochs, fit.spec.epochs - fit.epoch)
    with deterministic(fit.threads):
        for _ in range(todo):
            if not fit.step():
                run.stopped = fit.nan_message(len(run.snapshots))
                break
            if epochs is None and time.perf_counter() - t0 >= budget_s:
                break
    _record(run)
    with deterministic(fit.threads):
        return update(run)


def update(run: LiveRun) -> dict[str, Any]:
    """The live update for the network now: stage coordinates through the fixed plan."""
    assert run.plan is not None, "frame() plans the film before live updates"
    stages = run.fit.stages(run.joint.x)  # per stage (P + N, d_k)
    predicted, confidence = _decision(run, stages[-1])
    rows = None
    if predicted is not None and confidence is not None and run.joint.labels is not None:
        rows = decision_rows_for(run, predicted, confidence)
    run.serial += 1
    params = {k: v.detach().numpy() for k, v in run.fit.model.state_dict().items()}
    keys = live_keys(run.plan, stages)
    old: list[np.ndarray | None] = list(run.sent) if len(run.sent) == len(keys) else \
        [None] * len(keys)
    changed = [None if o is not None and np.array_equal(o, k) else k  # None: unchanged
               for o, k in zip(old, keys, strict=True)]
    run.sent = keys
    names = [s.title for s in run.plan.structure.stages]
    weights = weight_lines(_weighted(run, params), run.fit.data.frame)
    return live_update(changed, run.base, run.serial, rows, weights,
                       outside_note(run.plan, keys, names))


def decision_rows_for(run: LiveRun, predicted: np.ndarray, confidence: np.ndarray
                      ) -> np.ndarray:
    classes = int(run.fit.data.classes.size)
    return decision_rows(run.joint.color, run.n_probe, predicted, confidence,
                         classes)


def params_now(run: LiveRun) -> dict[str, np.ndarray]:
    """The network's parameters now (state_dict name -> float64 array, a copy)."""
    return {k: v.detach().cpu().numpy().astype(np.float64).copy()
            for k, v in run.fit.model.state_dict().items()}


def _record(run: LiveRun) -> None:
    """The curves' row and the parameters at this epoch (the time slider's snapshots)."""
    rec = run.fit.rec
    with deterministic(run.fit.threads):
        rec.record(run.fit.epoch)
    train_loss, train_acc, test_loss, test_acc = rec.rows[-1]
    run.curves.append((rec.epochs[-1], train_loss, test_loss, train_acc, test_acc))
    rec.epochs.clear()  # the recorder's own lists would grow without bound
    rec.rows.clear()
    rec.params.clear()
    run.snapshots.append((run.fit.epoch, params_now(run), run.curves[-1]))
    if len(run.snapshots) > MAX_SNAPSHOTS:
        run.snapshots[:] = run.snapshots[:1] + run.snapshots[2::2] + (
            [run.snapshots[-1]] if len(run.snapshots) % 2 == 0 else [])


def _stage_widths(run: LiveRun) -> int:
    """The sum of the stage widths d_k: the input's, then each module's output's."""
    width = total = run.joint.dim
    for module in run.fit.model.children():
        width = getattr(module, "out_features", width)  # activations keep the width
        total += width
    return total


def _model(run: LiveRun) -> nn.Module:
    return run.fit.model


def _decision(run: LiveRun, output: np.ndarray) -> tuple[np.ndarray | None,
                                                          np.ndarray | None]:
    if run.probe is None or run.fit.data.task != "classification":
        return None, None
    return decide(output[: run.n_probe], run.fit.data.task, run.fit.spec.loss)


def _weighted(run: LiveRun, params: dict[str, np.ndarray]) -> list[Any]:
    """Per stage an object with ``weight`` and ``bias`` (None for activations)."""
    count = len(list(run.fit.model.children()))
    return [_WB(None, None)] + [_WB(params.get(f"{i}.weight"), params.get(f"{i}.bias"))
                                for i in range(count)]


@dataclass(frozen=True)
class _WB:
    weight: np.ndarray | None
    bias: np.ndarray | None
