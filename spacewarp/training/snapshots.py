"""Every snapshot of a training traced once, into the arrays that every view of it reads.

    sw.train -> Training (parameters per snapshot)
      -> trace_snapshots (here: one forward per snapshot, the probe rows then the data)
      -> TracedSnapshots (arrays)
      -> view.training (training.png, the film's frames), view.training_film (the page)
         and export.training (training.npz's stage arrays)

Per snapshot: every stage of the data and of a strided sub-grid of the probe (``rows``;
the whole grid with ``max_probe=None``), the whole probe grid's output (the decision at
full resolution) and each stage's weight and bias. The last snapshot whose stages are
finite (a diverged loss leaves NaN after it) is kept as a ``Trace`` for the structure:
stage titles, kinds, modules. Float64 throughout; memory is the snapshots times
(rows + points) times the sum of the stage widths times 8 bytes.

On a slice the points drawn with the probe are its anchor rows (``Training.shown``): the
probe grid is traced on the slice (stage 0: slice coordinates, the first linear stage's
weight acting on them) with the anchors' images, and the data, which lie off the slice,
are traced apart for ``training.npz`` (``data_stages``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..inputs.points import Points
from ..tracing.trace import Trace, trace
from .train import Training, decide, probe_points

MAX_PROBE = 2500  # probe rows carried through every stage: a strided sub-grid of the grid
LARGEST = 1e12  # stage values beyond this (a diverging run) are not shown
StageParams = tuple[np.ndarray | None, np.ndarray | None]  # a linear stage's W, b


@dataclass(frozen=True)
class TracedSnapshots:
    """A training's snapshots traced once (see the module docstring)."""

    training: Training  # where the arrays come from: data, curves, experiment
    # [k] (S, R + M, d_k) float64: probe rows, then the points shown (``Training.shown``:
    # the data, or a slice's anchor rows)
    stages: tuple[np.ndarray, ...]
    rows: np.ndarray  # (R,) the rows of ``training.probe.x`` carried through every stage
    row_shape: tuple[int, ...]  # the sub-grid's shape: (rows, cols) in 2-D, (R,) in 1-D
    output: np.ndarray  # (S, P, d_out) float64: the whole probe grid's output
    params: tuple[tuple[StageParams, ...], ...]  # [s][k] stage k's weight and bias
    usable: int  # snapshots 0 .. usable-1 have finite stages within LARGEST
    last: Trace  # the trace of snapshot usable-1 (probe rows, then the data): the structure
    final: Trace  # the trace of the last snapshot (its weights: weights.txt)
    # [k] (P, d_k): the WHOLE probe grid after stage k at snapshot usable-1, for the stills
    # of the last snapshot (the film and the page move the rows' sub-grid)
    whole_last: tuple[np.ndarray, ...] = ()
    # [k] (S, N, d_k): the data at every snapshot where the points shown are not the data
    # (a slice); () when they are
    data_stages: tuple[np.ndarray, ...] = ()

    @property
    def n_probe(self) -> int:
        return len(self.rows)

    @property
    def count(self) -> int:
        return len(self.params)

    def data(self, k: int) -> np.ndarray:
        """(S, N, d_k): the data after stage ``k`` at every snapshot."""
        return self.data_stages[k] if self.data_stages else self.shown(k)

    def shown(self, k: int) -> np.ndarray:
        """(S, M, d_k): the points shown with the probe (the data, or a slice's anchors)
        after stage ``k`` at every snapshot."""
        return self.stages[k][:, self.n_probe:]

    def probe(self, k: int) -> np.ndarray:
        """(S, R, d_k): the probe rows after stage ``k`` at every snapshot."""
        return self.stages[k][:, :self.n_probe]

    def decision(self, s: int) -> tuple[np.ndarray, np.ndarray]:
        """The whole probe grid's predicted class (P,) and confidence (P,) at ``s``
        (regression: the predicted value and ones)."""
        t = self.training
        return decide(self.output[s], t.data.task, t.spec.loss)


def trace_snapshots(training: Training, max_probe: int | None = MAX_PROBE) -> TracedSnapshots:
    """Trace every snapshot of ``training`` once on the probe rows and the points shown (no
    probe rows for inputs wider than 2-D, which have no probe grid)."""
    probe, sliced = training.probe, training.data.frame is not None
    if probe is None or max_probe is None:
        rows, row_shape = (np.arange(len(probe.x)) if probe else np.arange(0),
                           probe.shape if probe else (0,))
    else:
        rows, row_shape = (probe_rows(probe.shape, max_probe),
                           probe_shape(probe.shape, max_probe))
    count = len(training.snapshots)
    stages: list[np.ndarray] = []  # [k] (S, R + M, d_k), filled snapshot by snapshot
    data_stages: list[np.ndarray] = []  # [k] (S, N, d_k), on a slice only
    # What is kept of each snapshot goes into blocks made at the first one: kept arrays
    # made between one forward and the next (its output, its weights) pinned the heap, so
    # the next forward could not reuse the last one's memory (+0.9 GB of RSS, mostly free
    # heap, for the course's 100 snapshots)
    outputs: list[np.ndarray] = []  # [0] (S, P, d_out): the whole probe grid's output
    held: list[np.ndarray] = []  # every stage's weight and bias present: (S, *shape) each
    params = []
    n_grid = 0 if probe is None else len(probe.x)
    last: Trace | None = None
    last_whole: Trace | None = None  # the whole forward of snapshot usable-1
    usable = 0
    for s in range(count):  # one whole forward in memory at a time (and the last finite)
        whole, tr = _snapshot_trace(training, s, rows)
        _fill(stages, s, count, [g.points for g in tr.stages])
        if sliced:
            _fill(data_stages, s, count, [g.points for g in training.trace(s).stages])
        _fill(outputs, s, count, [whole.output[:n_grid]])
        params.append(_kept_params(held, s, count, tr))
        if _finite(tr):
            last, last_whole, usable = tr, whole, s + 1
    whole_last = () if last_whole is None else tuple(  # copies: not the forward's data rows
        np.array(g.points[:n_grid]) for g in last_whole.stages)
    return TracedSnapshots(training, tuple(stages), rows, row_shape, outputs[0],
                           tuple(params), usable, last or tr, tr, whole_last,
                           tuple(data_stages))


def _kept_params(held: list[np.ndarray], s: int, count: int, tr: Trace
                 ) -> tuple[StageParams, ...]:
    """Snapshot ``s``'s weight and bias of every stage (None where a stage has none),
    copied into ``held``'s blocks (``_fill``: (S, *shape) each, in stage order, weight
    before bias): read-only views of them."""
    _fill(held, s, count, [a for g in tr.stages for a in (g.weight, g.bias) if a is not None])
    blocks = iter(held)

    def kept(a: np.ndarray | None) -> np.ndarray | None:
        if a is None:
            return None
        view = next(blocks)[s]
        view.flags.writeable = False
        return view

    return tuple((kept(g.weight), kept(g.bias)) for g in tr.stages)


def _snapshot_trace(training: Training, s: int, rows: np.ndarray) -> tuple[Trace, Trace]:
    """Snapshot ``s`` traced on the whole probe grid and the points shown, and the same
    trace kept to the probe ``rows`` and the points shown (R + M)."""
    probe, model = training.probe, training.model(s)
    if probe is not None and probe.frame is not None:  # the grid on the slice, its anchors
        whole = trace(model, probe_points(probe, training.points), device="cpu",
                      experiment=training.experiment)
        return whole, _with_anchors(whole, rows)
    grid = np.zeros((0, training.points.dim)) if probe is None else probe.x  # (P, d0)
    joint = np.concatenate([grid, training.points.x])  # the whole grid, then the data
    pts = Points(x=joint, color=joint[:, 0].copy(), name="probe+data",
                 image_shape=training.points.image_shape)
    whole = trace(model, pts, device="cpu", experiment=training.experiment)
    keep = np.concatenate([rows, len(grid) + np.arange(training.points.n)])  # (R + N,)
    return whole, _rows_trace(whole, keep)


def _fill(stages: list[np.ndarray], s: int, count: int, arrays: list[np.ndarray]) -> None:
    """Put snapshot ``s``'s arrays [k] (n, d_k) (or any shape) into ``stages`` [k]
    (count, n, d_k), float64 blocks made at the first snapshot."""
    for k, points in enumerate(arrays):
        if len(stages) <= k:
            stages.append(np.empty((count, *points.shape)))
        stages[k][s] = points


def _finite(tr: Trace) -> bool:
    """Every stage finite and within ``LARGEST`` (else the loss diverged)."""
    return all(np.isfinite(g.points).all() and np.abs(g.points).max(initial=0) <= LARGEST
               for g in tr.stages)


def _with_anchors(tr: Trace, rows: np.ndarray) -> Trace:
    """A slice's trace kept to the probe ``rows``, then its anchors (m) as points: every
    stage (R + m, d_k), stage 0 in slice coordinates."""
    m = len(tr.anchors[0]) if tr.anchors else 0
    stages = tuple(replace(g, points=np.concatenate([g.points[rows], a]))
                   for g, a in zip(tr.stages, tr.anchors, strict=True))
    color = np.concatenate([tr.color[rows], np.zeros(m)])
    return replace(tr, stages=stages, color=color, labels=None, grid_shape=None, anchors=())


def _rows_trace(tr: Trace, keep: np.ndarray) -> Trace:
    """``tr`` with only the points ``keep`` (the probe rows and the data)."""
    stages = tuple(replace(g, points=g.points[keep]) for g in tr.stages)
    labels = None if tr.labels is None else tr.labels[keep]
    return replace(tr, stages=stages, color=tr.color[keep], labels=labels, grid_shape=None)


# --- the probe's sub-grid ------------------------------------------------------------------

def probe_rows(shape: tuple[int, ...], max_probe: int) -> np.ndarray:
    """Rows of a probe grid of ``shape`` kept for drawing: a strided sub-grid (the border
    kept), at most about ``max_probe`` points."""
    picks = [_picks(side, _side_cap(shape, max_probe)) for side in shape]
    if len(shape) == 1:
        return picks[0]
    r, c = picks[1], picks[0]  # rows follow the second axis (meshgrid "xy")
    return (r[:, None] * shape[0] + c[None, :]).ravel()


def probe_shape(shape: tuple[int, ...], max_probe: int) -> tuple[int, ...]:
    """The shape of ``probe_rows``' sub-grid: (rows, cols) in 2-D, (count,) in 1-D."""
    cap = _side_cap(shape, max_probe)
    return tuple(len(_picks(side, cap)) for side in reversed(shape)) if len(shape) == 2 \
        else (len(_picks(shape[0], cap)),)


def _side_cap(shape: tuple[int, ...], max_probe: int) -> int:
    return max(2, int(max_probe ** (1.0 / len(shape))))


def _picks(side: int, cap: int) -> np.ndarray:
    if side <= cap:
        return np.arange(side)
    return np.unique(np.linspace(0, side - 1, cap).round().astype(np.int64))
