"""Train the experiment's network on its points, keeping snapshots to watch it learn.

``train(experiment) -> Training``: the parameters at K snapshot epochs (spaced
geometrically, so the fast early change is sampled densely) and the loss and accuracy
curves. Stages are not stored: ``Training.trace(s)`` runs ``spacewarp.tracing.trace.trace`` on a
model holding snapshot ``s``'s parameters, so every snapshot's stages are exactly a
normal trace. Deterministic: seeded split, noise and batches, and
``torch.use_deterministic_algorithms(True)`` while training. Nothing here draws.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..config.experiment import Experiment, TrainSpec
from ..errors import SpacewarpError
from ..inputs.arrays import frozen
from ..inputs.points import Points
from ..model.build import linears, set_parameters
from ..model.resolve import model_for
from ..tracing.trace import Trace, pick_device, trace
from .setup import BATCH_SEED, DataSet, Probe, Shown, prepare, probe_for, shown_points

SMALL_STEP = 50_000_000  # multiply-adds per forward step below which one thread is faster
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
# (epoch, curves so far) after each snapshot: for live figures
Callback = Callable[[int, "Curves"], None]
# The curves' names, in ``Curves``' order after ``epoch``: the one list that training.npz,
# the views, the page's spec and the page's script (sent in the spec) all read.
CURVE_NAMES = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")


@dataclass(frozen=True)
class Curves:
    """Loss and accuracy at each snapshot, after that many epochs; accuracy is NaN for
    regression, test values NaN when nothing is held out."""

    epoch: np.ndarray  # (S,) int64
    train_loss: np.ndarray  # (S,) float64
    test_loss: np.ndarray  # (S,)
    train_accuracy: np.ndarray  # (S,)
    test_accuracy: np.ndarray  # (S,)

    def named(self) -> dict[str, np.ndarray]:
        """``CURVE_NAMES`` -> (S,) float64: the curves after the epoch, by name."""
        return {name: np.asarray(getattr(self, name), dtype=np.float64)
                for name in CURVE_NAMES}


@dataclass(frozen=True)
class Training:
    """A trained network's snapshots: parameters, curves, and the data it learned from."""

    experiment: Experiment  # resolved: every default explicit, ``train`` included
    data: DataSet
    params: dict[str, np.ndarray]  # state_dict name -> (S, *shape) float64
    curves: Curves
    # a grid over the input box (1-D or 2-D input) or over the slice's box, else None
    probe: Probe | None
    stopped: str = ""  # why training stopped early (a NaN loss), "" when it ran through
    # the regions through training by name (measure.training_regions: regions_total (S,),
    # ..., lc_radius, regions_bounds), empty without --regions; training.npz keeps them
    regions: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def snapshots(self) -> np.ndarray:
        """(S,) the epoch of each snapshot (0: before training)."""
        return self.curves.epoch

    @property
    def spec(self) -> TrainSpec:
        assert self.experiment.train is not None
        return self.experiment.train

    @property
    def watch(self) -> int:
        return int(self.spec.watch or 0)

    @property
    def points(self) -> Points:
        return self.data.points

    @property
    def shown(self) -> Shown:
        """The points drawn with the probe: the data, or a slice's anchor rows."""
        return shown_points(self.data)

    def model(self, s: int) -> nn.Module:
        """A float64 CPU model holding snapshot ``s``'s parameters."""
        model = model_for(self.experiment)
        set_parameters(model, {k: np.array(v[s]) for k, v in self.params.items()})
        return model

    def trace(self, s: int = -1) -> Trace:
        """The normal ``Trace`` of the data through snapshot ``s``'s network."""
        return trace(self.model(s), self.points, device="cpu", experiment=self.experiment)

    def probe_trace(self, s: int = -1) -> Trace | None:
        """The probe grid through snapshot ``s``'s network (None without a probe)."""
        if self.probe is None:
            return None
        return trace(self.model(s), probe_points(self.probe, self.points), device="cpu",
                     experiment=self.experiment)

    def decision(self, s: int = -1) -> tuple[np.ndarray, np.ndarray]:
        """Per probe point: the predicted class (P,) int64 and its confidence (P,) in
        [0, 1]; for regression the predicted value (P,) and ones."""
        probe = self.probe_trace(s)
        if probe is None:
            raise ValueError("this training has no probe grid (input wider than 2-D)")
        return decide(probe.output, self.data.task, self.spec.loss)


def probe_points(probe: Probe, data: Points) -> Points:
    """The probe grid as points to trace: on a slice, slice coordinates whose inputs are
    ``frame.inputs(x)`` (the anchors' images come with them), each row an image of the
    data's shape where the data have one."""
    return Points(x=probe.x, color=probe.x[:, 0].copy(), name="probe", frame=probe.frame,
                  image_shape=data.image_shape)


def decide(output: np.ndarray, task: str, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """(P, C) network output -> predicted class (P,) and confidence (P,): the softmax
    probability for cross entropy, the clipped output for MSE on one-hot targets."""
    if task == "regression":
        return output[:, 0].copy(), np.ones(len(output))
    predicted = output.argmax(axis=1)
    if loss == "cross_entropy":
        z = output - output.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)  # (P, C) softmax
        return predicted, p.max(axis=1)
    return predicted, np.clip(output.max(axis=1), 0.0, 1.0)


def snapshot_epochs(epochs: int, k: int) -> np.ndarray:
    """(min(k, epochs + 1),) distinct epochs from 0 to ``epochs``, geometrically spaced
    (dense early, where training changes fastest)."""
    k = min(k, epochs + 1)
    ideal = np.geomspace(1, epochs + 1, k) - 1
    out: list[int] = []
    for i, v in enumerate(ideal):
        low = out[-1] + 1 if out else 0
        out.append(min(max(round(float(v)), low), epochs - (k - 1 - i)))
    return np.array(out, dtype=np.int64)


_SETTINGS_LOCK = threading.Lock()  # torch's settings are process-wide: sessions share them
_USERS = [0]  # how many ``deterministic`` blocks are open now, in any thread
_SAVED: list[tuple[bool, bool, int]] = []  # the settings from before the first of them


@contextmanager
def deterministic(threads: int | None = None) -> Iterator[None]:
    """``torch.use_deterministic_algorithms(True)`` (and ``threads`` CPU threads, when
    given) inside; the caller's settings after. The settings are process-wide, and the
    explorer trains several sessions at once: the first block to open saves them and the
    last to close restores them (saving and restoring per block let overlapping blocks
    leave deterministic mode on for good)."""
    with _SETTINGS_LOCK:
        if _USERS[0] == 0:
            _SAVED[:] = [(torch.are_deterministic_algorithms_enabled(),
                          torch.is_deterministic_algorithms_warn_only_enabled(),
                          torch.get_num_threads())]
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # CUDA matmuls
            torch.use_deterministic_algorithms(True)
        _USERS[0] += 1
        if threads is not None:
            torch.set_num_threads(threads)
    try:
        yield
    finally:
        with _SETTINGS_LOCK:
            _USERS[0] -= 1
            if _USERS[0] == 0:
                before, warn_only, had_threads = _SAVED[0]
                torch.use_deterministic_algorithms(before, warn_only=warn_only)
                torch.set_num_threads(had_threads)


def step_threads(widths: list[int], batch: int) -> int | None:
    """One CPU thread for small steps (the course's model: 7 ms an epoch on one thread,
    60-120 ms on two busy cores, where threads hand off work every operation); the
    default for big ones. Chosen from the experiment alone, so re-runs match."""
    work = batch * sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))
    return 1 if work < SMALL_STEP else None


def train(experiment: Experiment, *, progress: bool | None = None,
          callback: Callback | None = None) -> Training:
    """Train the experiment's network (``experiment.train``, or the defaults) on its points.

    A NaN loss stops training: the snapshots so far are kept and ``Training.stopped``
    says at which epoch (a warning says it too). ``progress``: a tqdm bar (None: on a
    terminal or in a notebook).
    """
    resolved, data = prepare(experiment)
    spec = resolved.train
    assert spec is not None
    fit = Fit(resolved, data)
    with deterministic(fit.threads):
        stopped = _fit(fit, progress, callback)
    if stopped:
        warnings.warn(stopped, RuntimeWarning, stacklevel=2)
    probe = probe_for(data, spec.probe)
    return Training(resolved, data, fit.rec.stacked(), fit.rec.curves(), probe, stopped)


class Fit:
    """Training in steps of one epoch: the model, its optimiser, the seeded batches and the
    snapshots recorded so far. ``train`` runs it to the end; the explorer steps it. Run
    ``step`` inside ``deterministic(fit.threads)`` for reproducible results."""

    def __init__(self, resolved: Experiment, data: DataSet) -> None:
        spec = resolved.train
        assert spec is not None
        self.experiment, self.data, self.spec = resolved, data, spec
        dev = pick_device(resolved.device)
        self.model = model_for(resolved).to(dev)
        n_train = int((~data.test).sum())
        batch = n_train if spec.batch_size == "full" else min(int(spec.batch_size), n_train)
        self.threads = (step_threads(resolved.network.layers or [], batch)
                        if dev.type == "cpu" else None)
        x = torch.from_numpy(np.array(data.points.x)).to(dev)  # (n, d0) float64
        if data.points.image_shape is not None:  # (n, D) -> (n, C, H, W): the model's input
            x = x.reshape(len(x), *data.points.image_shape)
        y = torch.from_numpy(np.array(data.target)).to(dev)  # (n,) int64 or (n, d_out)
        train_rows = torch.from_numpy(np.flatnonzero(~data.test)).to(dev)
        test_rows = torch.from_numpy(np.flatnonzero(data.test)).to(dev)
        self.split = (x[train_rows], y[train_rows], x[test_rows], y[test_rows])
        self.loss_fn = loss_function(spec.loss, data.task,
                                     linears(self.model)[-1].out_features)
        self.opt = optimizer(spec, self.model)
        self.rec = _Recorder(self.model, self.loss_fn, data.task, self.split)
        self.gen = torch.Generator(device=dev).manual_seed(resolved.seed * 1000 + BATCH_SEED)
        self.batch = len(train_rows) if spec.batch_size == "full" else int(spec.batch_size)
        self.epoch = 0  # epochs done

    def step(self) -> bool:
        """One more epoch; False (and no epoch counted) when a loss was not finite."""
        if not _epoch(self.model, self.opt, self.loss_fn, self.split[0], self.split[1],
                      self.batch, self.gen):
            return False
        self.epoch += 1
        return True

    def stages(self, x: np.ndarray) -> list[np.ndarray]:
        """Every stage (n, d_k) of ``x`` through the network now, in float64: the input,
        then each module's output (what ``trace`` captures for a sequential network of
        torch's own modules, which the explorer's live views need many times a second).
        On a slice ``x`` is (n, 2) slice coordinates, the input stage, and the network
        takes ``frame.inputs(x)``."""
        out = [x]
        frame = self.data.frame
        with torch.no_grad():
            h = torch.from_numpy(np.array(x if frame is None else frame.inputs(x))).to(
                next(self.model.parameters()).device)
            for module in self.model.children():
                h = module(h)
                out.append(h.detach().cpu().numpy())
        if not np.isfinite(out[-1]).all():  # (a NaN or inf anywhere reaches the output)
            raise SpacewarpError("a stage became NaN or infinite; Reset and train with a "
                                 "smaller lr", field="train.lr")
        return out

    def nan_message(self, kept: int | None = None) -> str:
        """Why training stopped; ``kept``: the snapshots kept (default: the recorder's)."""
        kept = len(self.rec.epochs) if kept is None else kept
        return (f"the loss became NaN at epoch {self.epoch + 1}; training stopped there "
                f"and the {kept} snapshots before it were kept; try "
                f"a smaller lr than {self.spec.lr:g}")


def _fit(fit: Fit, progress: bool | None, callback: Callback | None) -> str:
    """Run ``fit`` to ``spec.epochs``, recording the snapshot epochs; why it stopped early."""
    from tqdm.auto import tqdm

    spec, rec = fit.spec, fit.rec
    keep = set(snapshot_epochs(spec.epochs, spec.snapshots).tolist())
    bar = tqdm(total=spec.epochs, unit="epoch", desc="training", leave=False,
               disable=None if progress is None else not progress)
    rec.record(0)
    stopped = ""
    try:
        for epoch in range(1, spec.epochs + 1):
            if not fit.step():
                stopped = fit.nan_message()
                break
            if epoch in keep:
                rec.record(epoch)
                if callback is not None:
                    callback(epoch, rec.curves())
            bar.update(1)
    finally:
        bar.close()
    return stopped


def _epoch(model: nn.Module, opt: torch.optim.Optimizer, loss_fn: LossFn, x: torch.Tensor,
           y: torch.Tensor, batch: int, gen: torch.Generator) -> bool:
    """One pass over the training set; False as soon as a loss is not finite."""
    n = len(x)
    order = None if batch >= n else torch.randperm(n, generator=gen, device=x.device)
    for start in range(0, n, batch):
        rows = None if order is None else order[start:start + batch]
        xb, yb = (x, y) if rows is None else (x[rows], y[rows])
        loss = loss_fn(model(xb), yb)
        if not torch.isfinite(loss):
            return False
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return True


def loss_function(name: str, task: str, classes: int) -> LossFn:
    """Cross entropy on class indices; MSE on targets, or on one-hot class targets."""
    if name == "cross_entropy":
        return F.cross_entropy
    if task == "classification":
        return lambda out, y: F.mse_loss(out, F.one_hot(y, classes).to(out.dtype))
    return F.mse_loss


def optimizer(spec: TrainSpec, model: nn.Module) -> torch.optim.Optimizer:
    params = list(model.parameters())
    if spec.optimizer == "sgd":
        return torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum,
                               weight_decay=spec.weight_decay)
    make = torch.optim.Adam if spec.optimizer == "adam" else torch.optim.AdamW
    return make(params, lr=spec.lr, weight_decay=spec.weight_decay)


class _Recorder:
    """Parameters and curves at each snapshot epoch."""

    def __init__(self, model: nn.Module, loss_fn: LossFn, task: str,
                 split: tuple[torch.Tensor, ...]) -> None:
        self.model, self.loss_fn, self.task, self.split = model, loss_fn, task, split
        self.epochs: list[int] = []
        self.params: dict[str, list[np.ndarray]] = {}
        self.rows: list[tuple[float, float, float, float]] = []

    def record(self, epoch: int) -> None:
        self.epochs.append(epoch)
        for name, value in self.model.state_dict().items():
            self.params.setdefault(name, []).append(value.detach().cpu().numpy().copy())
        x_tr, y_tr, x_te, y_te = self.split
        with torch.no_grad():
            self.rows.append((*self._score(x_tr, y_tr), *self._score(x_te, y_te)))

    def _score(self, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
        if len(x) == 0:
            return float("nan"), float("nan")
        out = self.model(x)
        loss = float(self.loss_fn(out, y))
        if self.task != "classification":
            return loss, float("nan")
        return loss, float((out.argmax(dim=1) == y).double().mean())

    def stacked(self) -> dict[str, np.ndarray]:
        return {k: frozen(np.stack(v).astype(np.float64)) for k, v in self.params.items()}

    def curves(self) -> Curves:
        table = np.array(self.rows, dtype=np.float64).reshape(-1, 4)  # (S, 4)
        return Curves(frozen(np.array(self.epochs, dtype=np.int64)),
                      *(frozen(table[:, i].copy()) for i in (0, 2, 1, 3)))

