"""``spacewarp train``'s files, all or nothing (``atomic_dir``):

- ``training.npz`` (no pickle, byte-identical for the same run): ``epoch`` (S,),
  ``train_loss``, ``test_loss``, ``train_accuracy``, ``test_accuracy`` (S,),
  ``stage_00`` ... ``stage_K`` (S, N, d_k) float64, ``stage_names``, every parameter
  under its ``state_dict`` name with a leading snapshot axis (``0.weight`` (S, out, in)),
  ``color``, ``test`` (N,) bool (held out), ``labels`` and ``classes`` (labelled points)
  or ``targets`` (regression), and the probe grid: ``probe_shape``, ``probe_stage_KK``
  (S, P, d_k), ``probe_predicted`` and ``probe_confidence`` (S, P);
- ``training.png``, ``training-stages.png`` (the decision carried through every stage
  at the last snapshot), ``training.mp4`` (unless ``film=False``), ``experiment.toml``
  (re-runs to the same ``training.npz``), ``model.pt`` (the last snapshot's
  ``state_dict``, for ``--weights``) and ``weights.txt``.

Stage arrays are streamed into the zip one snapshot at a time: memory holds one
snapshot's forward, not (S, N, d) for every stage.
"""

from __future__ import annotations

import itertools
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from ..config.experiment import Experiment, TrainSpec, to_toml
from ..errors import LimitError
from ..training.train import Training, decide
from .files import atomic_dir, atomic_file
from .stills import ZIP_DATE, drawn_rgba, write_png, write_weights_txt

MAX_NPZ_BYTES = 4_000_000_000  # stage arrays of training.npz: beyond this is a mistake
FILM_FPS = 10  # one snapshot per frame
FILM_SIZE = (1280, 720)
HOLD_LAST = 2.0  # seconds the last snapshot stays on screen


def write_training(training: Training, out: str | Path, *, film: bool = True,
                   progress: bool | None = None, html: bool = False) -> list[Path]:
    """Write every file of a training run into folder ``out``; return their paths
    (``html``: training.html too, the page with sliders for training time and stage,
    written after the others: a page over its budget raises ``LimitError`` and leaves the
    run's other files in place)."""
    from ..render.training import decision_stages_figure, training_figure
    from ..view.training import training_view

    target = Path(out)
    names = ["training.npz", "training.png", "experiment.toml", "model.pt", "weights.txt"]
    with atomic_dir(target) as tmp:
        write_training_npz(training, tmp / "training.npz")
        view = training_view(training) if training.probe is not None else None
        if view is not None:
            write_png(drawn_rgba(training_figure(training, view)), tmp / "training.png")
            write_png(drawn_rgba(decision_stages_figure(training)), tmp / "training-stages.png")
            names.append("training-stages.png")
            if film:
                write_training_film(training, tmp / "training.mp4", view, progress=progress)
                names.append("training.mp4")
        else:
            names.remove("training.png")
        (tmp / "experiment.toml").write_text(to_toml(training.experiment), encoding="utf-8")
        state = {k: torch.from_numpy(np.array(v[-1])) for k, v in training.params.items()}
        torch.save(state, tmp / "model.pt")
        write_weights_txt(training.trace(-1), tmp / "weights.txt")
    written = [target / name for name in names]
    if html and training.probe is not None:
        from .training_html import write_training_html

        written.append(write_training_html(training, target / "training.html"))
    return written


def npz_bytes(experiment: Experiment, n_points: int) -> int:
    """About how many bytes ``training.npz``'s stage arrays take, from a resolved
    experiment: snapshots x (points + probe points) x (sum of stage widths) x 8."""
    spec, layers = experiment.train or TrainSpec(), experiment.network.layers or []
    snaps = min(spec.snapshots, spec.epochs + 1)
    probe = spec.probe ** layers[0] if layers and layers[0] <= 2 else 0
    widths = layers[0] + 2 * sum(layers[1:-1]) + layers[-1] if layers else 0
    return snaps * (n_points + probe) * widths * 8


def check_npz_budget(experiment: Experiment, n_points: int) -> None:
    """A ``LimitError`` before training when ``training.npz`` would be too big."""
    size = npz_bytes(experiment, n_points)
    if size > MAX_NPZ_BYTES:
        raise LimitError(f"training.npz would hold {size / 1e9:.1f} GB of stages (more than "
                         f"{MAX_NPZ_BYTES / 1e9:.0f} GB); use fewer --snapshots, a smaller "
                         "--probe, fewer --points or narrower --layers",
                         field="train.snapshots")


def write_training_film(training: Training, path: str | Path, view: object = None, *,
                        progress: bool | None = None) -> Path:
    """``training.mp4``: one frame per snapshot, the last held ``HOLD_LAST`` seconds."""
    from ..render.training import TrainingFrames
    from ..view.training import TrainingView, training_view
    from .video import write_frames_mp4

    v = view if isinstance(view, TrainingView) else training_view(training)
    frames = TrainingFrames(training, v, FILM_SIZE)
    return write_frames_mp4(_Held(frames, round(HOLD_LAST * FILM_FPS)), path, FILM_SIZE,
                            FILM_FPS, progress=progress)


class _Held:
    """Frames with the last one repeated ``extra`` times (each drawn once)."""

    def __init__(self, frames: object, extra: int) -> None:
        self.frames, self.extra = frames, extra
        self.count = len(frames)  # type: ignore[arg-type]
        self._last: np.ndarray | None = None

    def __len__(self) -> int:
        return self.count + self.extra

    def render(self, i: int) -> np.ndarray:
        if i < self.count - 1:
            return self.frames.render(i)  # type: ignore[attr-defined]
        if self._last is None:
            self._last = self.frames.render(self.count - 1)  # type: ignore[attr-defined]
        return self._last


class _Spool:
    """Every stage of every snapshot, for the data and the probe grid, computed in ONE
    pass (two forwards per snapshot) into raw files of a temporary folder, and read back
    one snapshot at a time: memory holds one snapshot, the model runs S times, not S x K."""

    def __init__(self, training: Training, folder: Path) -> None:
        self.folder = folder
        self.shapes: dict[str, tuple[int, ...]] = {}  # name -> one snapshot's shape
        self.predicted: list[np.ndarray] = []  # (P,) per snapshot
        self.confidence: list[np.ndarray] = []
        files: dict[str, BinaryIO] = {}
        try:
            for s in range(len(training.snapshots)):
                parts = [("stage", training.trace(s))]
                probe = training.probe_trace(s)
                if probe is not None:
                    parts.append(("probe_stage", probe))
                    p, c = decide(probe.output, training.data.task, training.spec.loss)
                    self.predicted.append(p)
                    self.confidence.append(c)
                for prefix, tr in parts:
                    for k, stage in enumerate(tr.stages):
                        name = f"{prefix}_{k:02d}"
                        if name not in files:
                            files[name] = open(folder / f"{name}.raw", "wb")  # noqa: SIM115
                            self.shapes[name] = stage.points.shape
                        files[name].write(np.ascontiguousarray(stage.points,
                                                               dtype=np.float64).tobytes())
        finally:
            for f in files.values():
                f.close()

    def chunks(self, name: str) -> Iterator[np.ndarray]:
        shape = self.shapes[name]
        size = int(np.prod(shape)) * 8
        with open(self.folder / f"{name}.raw", "rb") as f:
            while block := f.read(size):
                yield np.frombuffer(block, dtype=np.float64).reshape(shape)


Member = tuple[str, tuple[int, ...], Callable[[], Iterator[np.ndarray]]]


def training_members(training: Training, spool: _Spool) -> Iterator[Member]:
    """Each array of ``training.npz`` as (name, shape, chunks): chunks yields C-ordered
    pieces along the first axis, so big stage arrays never sit whole in memory."""
    c = training.curves
    for name in ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        yield _whole(name, np.asarray(getattr(c, name)))
    s_count = len(training.snapshots)
    stages = sorted(k for k in spool.shapes if k.startswith("stage_"))
    for name in stages:
        yield name, (s_count, *spool.shapes[name]), partial(spool.chunks, name)
    titles = [s.title for s in training.trace(0).stages]
    yield _whole("stage_names", np.array(titles, dtype=np.str_))
    for name, value in training.params.items():
        yield _whole(name, value)
    data = training.data
    yield _whole("color", np.asarray(training.points.color, dtype=np.float64))
    yield _whole("test", np.asarray(data.test, dtype=bool))
    if data.task == "classification":
        yield _whole("labels", np.asarray(data.classes[data.target], dtype=np.int64))
        yield _whole("classes", np.asarray(data.classes, dtype=np.int64))
    else:
        yield _whole("targets", np.asarray(data.target, dtype=np.float64))
    if training.probe is None:
        return
    yield _whole("probe_shape", np.array(training.probe.shape, dtype=np.int64))
    for name in sorted(k for k in spool.shapes if k.startswith("probe_stage_")):
        yield name, (s_count, *spool.shapes[name]), partial(spool.chunks, name)
    yield _whole("probe_predicted", np.stack(spool.predicted))
    yield _whole("probe_confidence", np.stack(spool.confidence))


def _whole(name: str, array: np.ndarray) -> Member:
    a = np.ascontiguousarray(array)
    return name, a.shape, lambda: iter([a])


def write_training_npz(training: Training, path: str | Path) -> Path:
    """``training.npz`` (atomic): uncompressed ``.npy`` members with a fixed timestamp,
    so the same training gives the same bytes; ``numpy.load`` reads it without pickle."""
    with atomic_file(path) as tmp, tempfile.TemporaryDirectory(dir=tmp.parent) as raw, \
            zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        spool = _Spool(training, Path(raw))
        for name, shape, chunks in training_members(training, spool):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            with zf.open(info, "w", force_zip64=True) as member:
                _write_npy(member, shape, chunks())
    return Path(path)


def _write_npy(fp: object, shape: tuple[int, ...], chunks: Iterator[np.ndarray]) -> None:
    """An .npy of ``shape`` written piece by piece (pieces in C order along axis 0)."""
    first = next(chunks)
    dtype = np.asarray(first).dtype
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
              "shape": shape}
    np.lib.format.write_array_header_2_0(fp, header)  # type: ignore[arg-type]
    written = 0
    for piece in itertools.chain([first], chunks):
        block = np.ascontiguousarray(piece, dtype=dtype)
        fp.write(block.tobytes())  # type: ignore[attr-defined]
        written += block.size
    if written != int(np.prod(shape)):
        raise RuntimeError(f"wrote {written} values for an array of shape {shape}")
