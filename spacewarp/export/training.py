"""``spacewarp train``'s files, all or nothing (``atomic_dir``):

- ``training.npz`` (no pickle, byte-identical for the same run): ``epoch`` (S,),
  ``train_loss``, ``test_loss``, ``train_accuracy``, ``test_accuracy`` (S,),
  with ``--regions`` ``regions_total``, ``regions_with_data``, ``local_complexity``,
  ``regions_near_boundary`` (S,), ``lc_radius``, ``regions_bounds`` (x0, x1, y0, y1)
  and every snapshot's polygons ``regions_vertices`` (V, 2), ``regions_vertex_count`` (R,)
  (``measure.training_regions``), ``stage_00`` ... ``stage_K`` (S, N, d_k) float32
  (float64 with ``NpzLayout.float64``,
  or where a diverging run's values pass float32's range),
  ``stage_names``, every parameter under its ``state_dict`` name with a leading snapshot
  axis (``0.weight`` (S, out, in), float64), ``color``, ``test`` (N,) bool (held out),
  ``labels`` and ``classes`` (labelled points) or ``targets`` (regression), and the probe
  grid: ``probe_shape``, ``probe_predicted`` and ``probe_confidence`` (S, P), and with
  ``NpzLayout.probe_stages`` its stages ``probe_stage_KK`` (S, P, d_k) (without them,
  ``load_training`` recomputes them from the parameters); on a slice (``--slice``) the
  data's stages are still the data's (D-wide at stage 0, what was trained on), the probe
  grid lies on the slice (its stage 0: slice coordinates), and the slice is recorded as
  trace.npz records it: ``slice_origin`` (D,), ``slice_axes`` (2, D), ``slice_box`` (4,),
  ``slice_rows`` (m,) where anchors were given, and ``anchor_stage_KK`` (S, m, d_k) the
  anchors' images at every snapshot;
- ``training.png``, ``training-stages.png`` (the decision carried through every stage
  at the last snapshot), ``training.mp4`` (unless ``film=False``), ``experiment.toml``
  (re-runs to the same ``training.npz``), ``model.pt`` (the last snapshot's
  ``state_dict``, for ``--weights``) and ``weights.txt``.

Every array comes from ``training.snapshots.TracedSnapshots`` (the snapshots traced once)
and every picture from ``view.training``; this module only writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..config.experiment import Experiment, TrainSpec, to_toml
from ..errors import LimitError
from ..training.snapshots import TracedSnapshots
from ..view.training import FILM_FPS, TrainingView, TrainingViews
from .files import atomic_dir
from .npz import write_npz
from .png import write_png
from .stills import drawn_rgba, frame_arrays, write_weights_txt

MAX_NPZ_BYTES = 4_000_000_000  # stage arrays of training.npz: beyond this is a mistake
FILM_SIZE = (1280, 720)


@dataclass(frozen=True)
class NpzLayout:
    """What ``training.npz`` keeps beyond its default (the data's stages in float32)."""

    probe_stages: bool = False  # the probe grid's stages probe_stage_KK (S, P, d_k)
    float64: bool = False  # stages in float64 (default float32: relative error ~6e-8)

    @property
    def dtype(self) -> type[np.floating]:
        return np.float64 if self.float64 else np.float32

    def describe(self) -> str:
        """What the stage arrays hold, in words: ``data stages in float32; ...``."""
        what = "data and probe grid" if self.probe_stages else "data"
        more = "" if self.probe_stages else (
            "; the probe grid's stages are recomputed on load, --probe-stages keeps them")
        return f"{what} stages in {np.dtype(self.dtype).name}{more}"


def write_training(traced: TracedSnapshots, out: str | Path, views: TrainingViews, *,
                   film: bool = True, progress: bool | None = None,
                   layout: NpzLayout | None = None) -> list[Path]:
    """Write the files of a training run into folder ``out``; return their paths. The
    pictures are drawn from ``views`` (``view.training.training_views(traced)``)."""
    from ..render.training import decision_stages_figure, training_figure

    training = traced.training
    target = Path(out)
    names = ["training.npz", "training.png", "training-stages.png", "training.mp4",
             "experiment.toml", "model.pt", "weights.txt"]
    with atomic_dir(target) as tmp:
        write_training_npz(traced, tmp / "training.npz", layout)
        if views.still is not None:
            write_png(drawn_rgba(training_figure(views.still)), tmp / "training.png")
            if film:
                write_training_film(views.still, tmp / "training.mp4", progress=progress)
        if views.stages is not None:
            write_png(drawn_rgba(decision_stages_figure(views.stages)),
                       tmp / "training-stages.png")
        (tmp / "experiment.toml").write_text(to_toml(training.experiment), encoding="utf-8")
        state = {k: torch.from_numpy(np.array(v[-1])) for k, v in training.params.items()}
        torch.save(state, tmp / "model.pt")
        write_weights_txt(traced.final, tmp / "weights.txt")
        written = [target / name for name in names if (tmp / name).exists()]
    return written


def npz_bytes(experiment: Experiment, n_points: int, layout: NpzLayout | None = None) -> int:
    """About how many bytes ``training.npz``'s stage arrays take, from a resolved
    experiment: snapshots x points x (sum of stage widths) x 4 (8 in float64), the
    probe grid's points too when its stages are kept."""
    lay = layout or NpzLayout()
    spec, layers = experiment.train or TrainSpec(), experiment.network.layers or []
    snaps = min(spec.snapshots, spec.epochs + 1)
    probe = spec.probe ** 2 if experiment.input.slice is not None else (
        spec.probe ** layers[0] if layers and layers[0] <= 2 else 0)
    widths = layers[0] + 2 * sum(layers[1:-1]) + layers[-1] if layers else 0
    points = n_points + (probe if lay.probe_stages else 0)
    return snaps * points * widths * np.dtype(lay.dtype).itemsize + snaps * probe * 16


def check_npz_budget(experiment: Experiment, n_points: int,
                     layout: NpzLayout | None = None) -> int:
    """``training.npz``'s size (``npz_bytes``), before training: a ``LimitError`` when
    it would be too big."""
    size = npz_bytes(experiment, n_points, layout)
    if size > MAX_NPZ_BYTES:
        raise LimitError(f"training.npz would hold {size / 1e9:.1f} GB of stages (more than "
                         f"{MAX_NPZ_BYTES / 1e9:.0f} GB); use fewer --snapshots, a smaller "
                         "--probe, fewer --points or narrower --layers",
                         field="train.snapshots")
    return size


def write_training_film(view: TrainingView, path: str | Path, *,
                        progress: bool | None = None) -> Path:
    """``training.mp4`` at ``FILM_FPS``: the frames of ``render.training_frames.TrainingFrames``
    (positions interpolated between snapshots, the last one held)."""
    from ..render.training_frames import TrainingFrames
    from .video import write_frames_mp4

    return write_frames_mp4(TrainingFrames(view, FILM_SIZE), path, FILM_SIZE, FILM_FPS,
                            progress=progress)


def training_members(traced: TracedSnapshots, layout: NpzLayout | None = None
                     ) -> Iterator[tuple[str, np.ndarray]]:
    """Each array of ``training.npz`` by name, in the file's order."""
    lay, training = layout or NpzLayout(), traced.training
    c = training.curves
    yield "epoch", np.asarray(c.epoch)
    yield from c.named().items()
    yield from training.regions.items()  # with --regions: regions_total (S,), ...
    for k in range(len(traced.stages)):
        yield f"stage_{k:02d}", _stored(traced.data(k), lay.dtype)
    yield "stage_names", np.array([s.title for s in traced.final.stages], dtype=np.str_)
    yield from training.params.items()
    data = training.data
    yield "color", np.asarray(training.points.color, dtype=np.float64)
    yield "test", np.asarray(data.test, dtype=bool)
    if data.task == "classification":
        yield "labels", np.asarray(data.classes[data.target], dtype=np.int64)
        yield "classes", np.asarray(data.classes, dtype=np.int64)
    else:
        yield "targets", np.asarray(data.target, dtype=np.float64)
    if training.probe is None:
        return
    yield from _slice_members(traced, lay.dtype)
    yield "probe_shape", np.array(training.probe.shape, dtype=np.int64)
    if lay.probe_stages:  # traced with every probe row (``trace_snapshots(t, None)``)
        assert traced.n_probe == len(training.probe.x), "trace every probe row to keep them"
        for k in range(len(traced.stages)):
            yield f"probe_stage_{k:02d}", _stored(traced.probe(k), lay.dtype)
    decisions = [traced.decision(s) for s in range(traced.count)]
    yield "probe_predicted", np.stack([p for p, _ in decisions])
    yield "probe_confidence", np.stack([q for _, q in decisions])


def _slice_members(traced: TracedSnapshots, dtype: type[np.floating]
                   ) -> Iterator[tuple[str, np.ndarray]]:
    """A slice's frame and its anchors' images at every snapshot (nothing off a slice)."""
    frame = traced.training.data.frame
    if frame is None:
        return
    yield from frame_arrays(frame).items()
    if frame.rows:
        for k in range(len(traced.stages)):
            yield f"anchor_stage_{k:02d}", _stored(traced.shown(k), dtype)


def _stored(stage: np.ndarray, dtype: type[np.floating]) -> np.ndarray:
    """``stage`` in ``dtype``; in float64 when its values pass float32's range (a
    diverging run: they would become inf)."""
    finite = np.abs(stage[np.isfinite(stage)])
    if dtype is np.float32 and finite.size and finite.max() > np.finfo(np.float32).max:
        return stage
    return stage.astype(dtype)


def write_training_npz(traced: TracedSnapshots, path: str | Path,
                       layout: NpzLayout | None = None) -> Path:
    """``training.npz`` (atomic): uncompressed ``.npy`` members with a fixed timestamp,
    so the same training gives the same bytes; ``numpy.load`` reads it without pickle."""
    return write_npz(path, training_members(traced, layout))
