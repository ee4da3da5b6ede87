"""What training needs before the first step: the resolved experiment, the data set
(points, class indices or regression targets, the noise), the seeded test split and the
probe grid over the input box. Arrays in, arrays out; nothing drawn, nothing trained.

On a slice (``input.slice``) the network trains on the whole data set in its own
dimension D, and the slice is what is shown: its frame is made once from the data before
training (``inputs.sliced.on_slice``, through ``resolve``: the one slice builder), the
probe is a grid of slice coordinates over the slice's box, and the points drawn with it
are the slice's anchor rows (``Shown``), so every picture is exact and the slice never
moves: motion means learning.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..config.experiment import Experiment, NetworkSpec, TrainSpec
from ..errors import InputError, NetworkError, SpacewarpError, WeightsError
from ..inputs.arrays import frozen
from ..inputs.points import GENERATORS, Points
from ..inputs.slice import FIELD as SLICE_FIELD
from ..inputs.slice import SliceFrame
from ..model.files import CHECKPOINT_FIELD
from ..model.resolve import model_for, resolve
from ..tracing.trace import shaped_for

# Training's own defaults for what the user left unset: the course's next notebook
# (the three-arm spiral, a 100-wide ReLU layer with bias, random weights) for labelled
# points, the seed's 1-2-1 tanh story (with bias) for 1-D regression.
COURSE_HIDDEN = 100
SPLIT_SEED = 1  # offsets from the experiment's seed: the split, the noise, the batches
NOISE_SEED = 2
BATCH_SEED = 3


@dataclass(frozen=True)
class DataSet:
    """The points trained on and what each should become."""

    points: Points  # the points as trained on (noise included), (n, d0)
    task: str  # "classification" or "regression"
    target: np.ndarray  # (n,) int64 class index, or (n, d_out) float64 target
    classes: np.ndarray  # (C,) the label value of each class index; (0,) for regression
    test: np.ndarray  # (n,) bool: held out of training
    # the slice shown (``input.slice``), made from the data before training; None: none
    frame: SliceFrame | None = None


@dataclass(frozen=True)
class Probe:
    """A regular grid over the input box: (side, side) in 2-D, (side,) in 1-D; on a slice,
    over the slice's box in slice coordinates (the network's input: ``frame.inputs(x)``)."""

    x: np.ndarray  # (P, d0) float64; on a slice (P, 2) slice coordinates
    shape: tuple[int, ...]
    box: tuple[tuple[float, float], ...]  # (low, high) per input (or slice) axis
    frame: SliceFrame | None = None


@dataclass(frozen=True)
class Shown:
    """The points drawn with the probe: the data; on a slice, its anchor rows at their
    slice coordinates (the data lie off the slice, and their projections onto it would
    say they lie on it)."""

    x: np.ndarray  # (M, d0) in the probe's coordinates
    target: np.ndarray  # (M,) int64 class index, or (M, d_out) float64 target
    test: np.ndarray  # (M,) bool: held out of training


def shown_points(data: DataSet) -> Shown:
    """The points drawn with the probe (see ``Shown``)."""
    if data.frame is None:
        return Shown(data.points.x, data.target, data.test)
    rows = np.array(data.frame.rows, dtype=np.int64)  # (M,): () for --slice pca
    return Shown(frozen(data.frame.anchors, np.float64), frozen(data.target[rows]),
                 frozen(data.test[rows]))


def labelled_inputs() -> list[str]:
    """Generators whose points carry labels (for messages), found by making a few."""
    return [n for n in GENERATORS if n != "file" and GENERATORS[n](8, seed=0).labels
            is not None] + ["file (with a label column)"]


def regression_inputs() -> list[str]:
    return [n for n in GENERATORS if n != "file" and GENERATORS[n](8, seed=0).targets
            is not None]


def prepare(experiment: Experiment) -> tuple[Experiment, DataSet]:
    """The experiment with training's defaults filled in, and the data set to train on."""
    experiment = _training_defaults(experiment)
    _check_trainable(experiment.network)
    spec = experiment.train or TrainSpec()
    _check_slice(experiment)
    plain = without_slice(experiment)
    pts = resolve(plain.model_copy(update={"network": NetworkSpec()}))[1]
    task = _task(plain, pts, spec)
    resolved, pts = resolve(_network_defaults(experiment, pts, task))
    resolved, pts = _with_inferred_shape(resolved, pts)
    frame = pts.frame  # the slice, fixed here for the whole run (None: no slice)
    if frame is not None:  # train on the data the slice goes through, all of its rows
        pts = resolve(without_slice(resolved))[1]
    spec = resolved.train or TrainSpec()
    data = replace(_dataset(pts, task, spec, resolved), frame=frame)
    layers = resolved.network.layers or []
    watch = spec.watch if spec.watch is not None else _last_hidden(layers)
    if watch > 2 * (len(layers) - 1) - 1:
        raise SpacewarpError(f"train.watch {watch} is not a stage; the network has stages "
                             f"0..{2 * (len(layers) - 1) - 1}", field="train.watch")
    resolved = resolved.model_copy(update={"train": spec.model_copy(update={
        "watch": watch, "loss": _loss(spec, task)})})
    return resolved, data


def _with_inferred_shape(experiment: Experiment, pts: Points) -> tuple[Experiment, Points]:
    """A user's model that convolves its rows first trains on them as images: the shape is
    inferred as tracing infers it (``tracing.trace.shaped_for``, with its note) and recorded
    as ``input.shape``, so the data set, the slice's frame and experiment.toml all carry it."""
    if experiment.input.shape is not None or not experiment.network.model:
        return experiment, pts
    shape = shaped_for(model_for(experiment), pts).image_shape
    if shape is None:  # rows go in as rows (or the model reshapes them itself)
        return experiment, pts
    spec = experiment.input.model_copy(update={"shape": list(shape)})
    return resolve(experiment.model_copy(update={"input": spec}))


def without_slice(experiment: Experiment) -> Experiment:
    """The experiment of the data a slice goes through: every row of the input, no slice
    (the slice's points, box and colouring belong to the slice, not to the data)."""
    spec = experiment.input
    if spec.slice is None:
        return experiment
    update = {"slice": None, "bounds": None, "slice_points": None, "points": None}
    if spec.color_by == "predicted":  # the slice's default colouring; the data's is theirs
        update["color_by"] = None
    return experiment.model_copy(update={"input": spec.model_copy(update=update)})


def _check_slice(experiment: Experiment) -> None:
    """Training shows a plane: a line slice and point sets other than the grid are refused
    (the probe is a grid, for the decision's heat map)."""
    spec = experiment.input
    if spec.slice is None:
        return
    if len(spec.slice.split(",")) == 2:
        raise InputError(f"training shows the decision on a plane, and slice {spec.slice} "
                         "is a line; give --slice I,J,K, I or pca", field=SLICE_FIELD)
    if spec.slice_points not in (None, "grid"):
        raise InputError(f"training draws its decision on a grid over the slice (its size: "
                         f"--probe), not on {spec.slice_points!r}; leave --slice-points out",
                         field="input.slice_points")


def _check_trainable(net: NetworkSpec) -> None:
    """A ``.pt2`` or TorchScript file given alone as the model is refused: it is a compiled
    graph, not the Python module whose parameters training changes. (Beside ``--model``, or
    a TorchScript file beside ``--layers``, it gives its weights to that network.)"""
    checkpoint = net.checkpoint or ""
    if net.model or not net.own_model:
        return
    kind = ("a torch.export program (.pt2)" if checkpoint.endswith(".pt2")
            else "a TorchScript model")
    raise WeightsError(
        f"checkpoint {checkpoint!r} is {kind}, a compiled graph that cannot be trained; "
        f"give the model's nn.Module source: --model FILE.py:NAME --weights {checkpoint} "
        "(to start from its weights), or render it as it is: spacewarp render --weights "
        f"{checkpoint}", field=CHECKPOINT_FIELD)


def _training_defaults(experiment: Experiment) -> Experiment:
    """An unset input becomes the course's spiral, coloured by label."""
    if "name" in experiment.input.model_fields_set or experiment.input.path:
        return experiment
    update = {"name": "spiral"}
    if "color_by" not in experiment.input.model_fields_set:
        update["color_by"] = "label"
    return experiment.model_copy(update={"input": experiment.input.model_copy(update=update)})


def _network_defaults(experiment: Experiment, pts: Points, task: str) -> Experiment:
    """Unset network fields: the course's model for classes, the 1-2-1 story for curves;
    labelled points coloured by label unless a colouring was asked for."""
    net, given = experiment.network, experiment.network.model_fields_set
    if task == "classification":
        assert pts.labels is not None
        out, hidden, act = int(np.unique(pts.labels).size), COURSE_HIDDEN, "relu"
    else:
        assert pts.targets is not None
        out, hidden, act = int(pts.targets.shape[1]), 2, "tanh"
    update: dict[str, object] = {}
    if "layers" not in given:
        update["layers"] = [pts.input_dim, hidden, out]
    if "activation" not in given:
        update["activation"] = act
    if "bias" not in given:
        update["bias"] = True
    if "init" not in given:
        update["init"] = "random"
    changes: dict[str, object] = {"network": net.model_copy(update=update)}
    if task == "classification" and "color_by" not in experiment.input.model_fields_set \
            and experiment.input.slice is None:  # a slice is coloured by the prediction
        changes["input"] = experiment.input.model_copy(update={"color_by": "label"})
    return experiment.model_copy(update=changes)


def _task(experiment: Experiment, pts: Points, spec: TrainSpec) -> str:
    name = experiment.input.name
    if pts.labels is not None:
        return "classification"  # cross entropy, or MSE on one-hot class targets
    if spec.loss == "cross_entropy":
        raise InputError(
            f"loss cross_entropy needs labelled points, but input {name!r} has no labels; "
            f"inputs with labels: {', '.join(labelled_inputs())}", field="train.loss")
    if pts.targets is None:
        raise InputError(
            f"input {name!r} has neither labels nor regression targets to train on; "
            f"inputs with labels: {', '.join(labelled_inputs())}; with targets: "
            f"{', '.join(regression_inputs())}", field="input.name")
    return "regression"


def _loss(spec: TrainSpec, task: str) -> str:
    if spec.loss != "auto":
        return spec.loss
    return "cross_entropy" if task == "classification" else "mse"


def _last_hidden(layers: list[int]) -> int:
    """Stages are input, linear, act, linear, ..., linear: the last activation's index."""
    return max(0, 2 * (len(layers) - 1) - 2)


def _dataset(pts: Points, task: str, spec: TrainSpec, experiment: Experiment) -> DataSet:
    seed = experiment.seed
    noise_rng = np.random.default_rng([seed, NOISE_SEED])
    layers = experiment.network.layers or []
    target: np.ndarray  # (n,) int64 class index or (n, d_out) float64
    if task == "classification":
        assert pts.labels is not None
        classes, target = np.unique(pts.labels, return_inverse=True)  # (C,), (n,)
        target = target.astype(np.int64)
        _check_width(layers, classes.size, f"{classes.size} classes", experiment.input.name)
        if spec.noise:
            pts = replace(pts, x=pts.x + spec.noise * noise_rng.standard_normal(pts.x.shape))
    else:
        assert pts.targets is not None
        classes = np.zeros(0, dtype=np.int64)
        target = pts.targets + spec.noise * noise_rng.standard_normal(pts.targets.shape)
        _check_width(layers, target.shape[1], f"{target.shape[1]}-D targets",
                     experiment.input.name)
    test = test_mask(pts.n, spec.test_split, seed)
    if test.all():
        raise SpacewarpError(f"test_split {spec.test_split} of {pts.n} points leaves none to "
                             "train on; use a smaller split or more points",
                             field="train.test_split")
    return DataSet(pts, task, frozen(target), frozen(classes), frozen(test))


def _check_width(layers: list[int], want: int, what: str, name: str) -> None:
    if layers and layers[-1] != want:
        widths = ",".join(map(str, layers))
        raise NetworkError(f"layers {widths} end at width {layers[-1]} but input {name!r} "
                           f"has {what}; make the last width {want}", field="network.layers")


def test_mask(n: int, split: float, seed: int) -> np.ndarray:
    """(n,) bool: ``round(split * n)`` points held out, chosen by a seeded permutation."""
    held = np.random.default_rng([seed, SPLIT_SEED]).permutation(n)[:round(split * n)]
    mask = np.zeros(n, dtype=bool)
    mask[held] = True
    return mask


def probe_for(data: DataSet, side: int) -> Probe | None:
    """The training's probe: a grid over the slice's box on a slice, else over the data's
    box (``probe_grid``)."""
    if data.frame is None:
        return probe_grid(data.points.x, side)
    box = data.frame.box  # (x0, x1, y0, y1) in slice coordinates
    return replace(_grid(np.array(box[0::2]), np.array(box[1::2]), side), frame=data.frame)


def probe_grid(x: np.ndarray, side: int) -> Probe | None:
    """A ``side`` x ``side`` grid over the points' box plus a 10% margin (a line of
    ``side`` points for 1-D input); None for inputs of 3 or more dimensions."""
    d = x.shape[1]
    if d > 2:
        return None
    lo, hi = x.min(axis=0), x.max(axis=0)  # (d,)
    pad = 0.1 * np.maximum(hi - lo, 1e-9)
    return _grid(lo - pad, hi + pad, side)


def _grid(lo: np.ndarray, hi: np.ndarray, side: int) -> Probe:
    """``side`` points per axis from ``lo`` to ``hi`` (d,), the first axis fastest."""
    d = len(lo)
    axes = [np.linspace(lo[i], hi[i], side) for i in range(d)]
    mesh = np.meshgrid(*axes, indexing="xy")  # rows follow the second axis in 2-D
    grid = np.stack([m.ravel() for m in mesh], axis=1)  # (side**d, d)
    box = tuple((float(lo[i]), float(hi[i])) for i in range(d))
    return Probe(frozen(grid), (side,) * d, box)

