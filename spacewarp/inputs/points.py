"""Input point sets: generators and files, one signature for all.

Every generator is ``(n, *, seed, **params) -> Points`` and is registered by
name in ``GENERATORS``; ``n=None`` means the generator's own default count.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..config.numbers import MAX_POINTS, parse_count
from ..config.registry import Registry
from ..errors import InputError
from .slice import SliceFrame

MAX_CLASSES = 1000  # spiral arms: more than a picture can tell apart


@dataclass(frozen=True)
class Points:
    """A point set: coordinates, a colour value per point, optional labels and lattice shape.

    ``x`` is (n, d) float64. ``grid_shape`` (rows, cols), when set, means
    ``x.reshape(rows, cols, d)`` is a lattice whose neighbours later views join
    with lines.
    """

    x: np.ndarray  # (n, d) float64
    color: np.ndarray  # (n,) float64
    labels: np.ndarray | None = None  # (n,) int64
    grid_shape: tuple[int, int] | None = None
    name: str = "points"
    color_by: str = "x"  # the colouring that made ``color`` ("label": classes 0 .. k-1)
    targets: np.ndarray | None = None  # (n, d_out) float64 regression targets, if any
    # set: ``x`` holds slice coordinates, and the network's input is ``frame.inputs(x)``
    frame: SliceFrame | None = None
    # set: each input row (of width ``input_dim``) is reshaped to this before the network
    image_shape: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        for arr in (self.x, self.color, self.labels, self.targets):
            if arr is not None:
                arr.setflags(write=False)

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def dim(self) -> int:
        return int(self.x.shape[1])

    @property
    def input_dim(self) -> int:
        """The width of the network's input: the data's, for points on a slice."""
        return self.dim if self.frame is None else self.frame.input_dim


# Every generator: (n: int | None, *, seed: int, **params) -> Points. Callable[..., Points]
# because each generator names its own keyword parameters (they feed menus and validation).
Generator = Callable[..., Points]


GENERATORS: Registry[Generator] = Registry("input", field="input.name", error=InputError)


def _points(x: np.ndarray, name: str, labels: np.ndarray | None = None,
            grid_shape: tuple[int, int] | None = None) -> Points:
    x = np.ascontiguousarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]  # (n,) -> (n, 1)
    lab = None if labels is None else np.asarray(labels, dtype=np.int64)
    # the colour a view of the first column (both read-only): make_points colours anew
    return Points(x=x, color=x[:, 0], labels=lab, grid_shape=grid_shape, name=name)


@GENERATORS.register("gaussian")
def gaussian(n: int | None, *, seed: int, std: float = 1.0) -> Points:
    """Standard normal cloud in 2-D (the seed's default input), 1000 points."""
    x = np.random.default_rng(seed).standard_normal((n or 1000, 2))
    x *= std  # in place: a second (n, 2) array is 16 MB of fresh memory at 1e6 points
    return _points(x, "gaussian")


@GENERATORS.register("grid")
def grid(n: int | None, *, seed: int, low: float = -5.0, high: float = 5.0,
         step: float = 0.1) -> Points:
    """The seed's mesh: ``arange(low, high, step)`` on both axes, first coordinate slowest.

    With ``n`` given, the step becomes ``(high - low) / round(sqrt(n))``; ``n = 10000``
    therefore gives the seed's mesh exactly.
    """
    side = grid_side(n, low=low, high=high, step=step)  # checked before any array is made
    if n is not None:  # the same recipe with a step that gives round(sqrt(n)) per side
        step = (high - low) / side
    axis = np.arange(low, high, step)[:side]
    first, second = np.meshgrid(axis, axis, indexing="ij")  # (side, side) each
    x = np.stack([first.ravel(), second.ravel()], axis=1)  # (side*side, 2)
    return _points(x, "grid", grid_shape=(axis.size, axis.size))


def grid_side(n: int | None, *, low: float = -5.0, high: float = 5.0, step: float = 0.1
              ) -> int:
    """Points per side of the grid, computed before any array is made (or ``InputError``)."""
    if not (math.isfinite(low) and math.isfinite(high) and math.isfinite(high - low)
            and high > low):
        raise InputError(f"grid needs finite low < high, got low={low}, high={high}",
                         field="input.params.low")
    if n is not None:
        return max(2, round(math.sqrt(n)))
    if not (math.isfinite(step) and step > 0):
        raise InputError(f"grid needs a step above 0, got {step}", field="input.params.step")
    ratio = (high - low) / step  # arange's length; inf when the step underflows
    if not ratio <= math.isqrt(MAX_POINTS):  # also NaN and inf
        raise InputError(f"grid step {step:g} over [{low:g}, {high:g}] gives {ratio:.3g}^2 "
                         f"points; at most {MAX_POINTS:.0e}, so use a step of at least "
                         f"{(high - low) / math.isqrt(MAX_POINTS):.3g}",
                         field="input.params.step")
    return math.ceil(ratio)


@GENERATORS.register("line")
def line(n: int | None, *, seed: int, low: float = -1.0, high: float = 1.0) -> Points:
    """The seed's 1-D input: ``linspace(-1, 1, 50)`` as (50, 1)."""
    return _points(np.linspace(low, high, n or 50), "line")


@GENERATORS.register("gaussian1d")
def gaussian1d(n: int | None, *, seed: int, std: float = 1.0) -> Points:
    """A 1-D standard normal sample, 50 points (the seed's 1-D Gaussian case)."""
    rng = np.random.default_rng(seed)
    return _points(std * rng.standard_normal(n or 50), "gaussian1d")


@GENERATORS.register("circle")
def circle(n: int | None, *, seed: int, radius: float = 1.0, noise: float = 0.0) -> Points:
    """Evenly spaced points on a circle, optionally jittered."""
    n = n or 500
    rng = np.random.default_rng(seed)
    angle = np.linspace(0.0, 2 * math.pi, n, endpoint=False)
    x = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return _points(x + noise * rng.standard_normal(x.shape), "circle")


@GENERATORS.register("disk")
def disk(n: int | None, *, seed: int, radius: float = 1.0) -> Points:
    """Points uniform over a disk."""
    n = n or 1000
    rng = np.random.default_rng(seed)
    r = radius * np.sqrt(rng.uniform(size=n))
    angle = rng.uniform(0.0, 2 * math.pi, size=n)
    return _points(np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1), "disk")


@GENERATORS.register("spiral")
def spiral(n: int | None, *, seed: int, classes: int = 3, noise: float = 0.2,
           turns: float = 2 / 3) -> Points:
    """The NYU deep-learning course's spiral: ``classes`` arms, labelled by arm.

    Arm ``c`` starts at angle ``2 pi c / classes`` and turns ``turns`` of a circle while
    its radius grows from 0 to 1; ``noise`` jitters the angle. The defaults are the
    course's three-arm spiral (each arm two thirds of a turn).
    """
    n = n or 1500
    classes = parse_count(classes, field="input.params.classes", what="spiral classes",
                          high=min(n, MAX_CLASSES))
    if not turns > 0:
        raise InputError(f"spiral needs turns > 0, got {turns}", field="input.params.turns")
    rng = np.random.default_rng(seed)
    per_class = np.diff(np.linspace(0, n, classes + 1).round().astype(int))
    xs, labels = [], []
    for c, m in enumerate(per_class):
        t = np.linspace(0.0, 1.0, m)
        start = 2 * math.pi / classes * c
        angle = np.linspace(start, start + 2 * math.pi * turns, m)
        angle = angle + noise * rng.standard_normal(m)
        xs.append(t[:, None] * np.stack([np.sin(angle), np.cos(angle)], axis=1))
        labels.append(np.full(m, c))
    return _points(np.concatenate(xs), "spiral", labels=np.concatenate(labels))


@GENERATORS.register("moons")
def moons(n: int | None, *, seed: int, noise: float = 0.1) -> Points:
    """Two interleaving half circles (as scikit-learn's make_moons), labelled 0 and 1."""
    n = n or 1000
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    a_out = np.linspace(0, math.pi, n_out)
    a_in = np.linspace(0, math.pi, n_in)
    outer = np.stack([np.cos(a_out), np.sin(a_out)], axis=1)
    inner = np.stack([1 - np.cos(a_in), 1 - np.sin(a_in) - 0.5], axis=1)
    x = np.concatenate([outer, inner]) + noise * rng.standard_normal((n, 2))
    return _points(x, "moons", labels=np.repeat([0, 1], [n_out, n_in]))


@GENERATORS.register("xor")
def xor(n: int | None, *, seed: int, noise: float = 0.0) -> Points:
    """Uniform points in [-1, 1]^2, labelled 1 where x*y > 0 (the XOR quadrants)."""
    n = n or 1000
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    labels = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return _points(x + noise * rng.standard_normal(x.shape), "xor", labels=labels)


@GENERATORS.register("circles")
def circles(n: int | None, *, seed: int, classes: int = 2, noise: float = 0.05) -> Points:
    """Concentric rings, one class per ring: ring ``c`` has radius ``(c + 1) / classes``."""
    n = n or 1000
    classes = _class_count("circles", classes)
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), _split(n, classes))  # (n,)
    angle = rng.uniform(0.0, 2 * math.pi, size=n)
    radius = (labels + 1) / classes
    x = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (n, 2)
    return _points(x + noise * rng.standard_normal(x.shape), "circles", labels=labels)


@GENERATORS.register("blobs")
def blobs(n: int | None, *, seed: int, classes: int = 3, std: float = 0.3,
          radius: float = 1.0) -> Points:
    """``classes`` Gaussian clouds of spread ``std``, centred evenly on a circle."""
    n = n or 1000
    classes = _class_count("blobs", classes)
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), _split(n, classes))  # (n,)
    angle = 2 * math.pi * labels / classes
    centres = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (n, 2)
    return _points(centres + std * rng.standard_normal((n, 2)), "blobs", labels=labels)


def _class_count(name: str, classes: float) -> int:
    k = int(classes)
    if k != classes or not 1 <= k <= 64:
        raise InputError(f"{name} needs a whole number of classes from 1 to 64, got "
                         f"{classes}", field="input.params")
    return k


def _split(n: int, parts: int) -> np.ndarray:
    """(parts,) sizes that add up to ``n``, as even as can be."""
    return np.diff(np.linspace(0, n, parts + 1).round().astype(int))


# --- 1-D regression: the 1-2-1 story learning a curve y = f(x) -------------------------

TARGETS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin": lambda x: np.sin(math.pi * x),
    "abs": np.abs,
    "step": lambda x: (x > 0).astype(np.float64),
}


def _regression(name: str, n: int | None, low: float, high: float) -> Points:
    if not high > low:
        raise InputError(f"{name} needs low < high, got {low}, {high}", field="input.params")
    x = np.linspace(low, high, n or 200)  # (n,)
    pts = _points(x, name)
    return replace(pts, targets=np.ascontiguousarray(TARGETS[name](x)[:, None]))  # (n, 1)


@GENERATORS.register("sin")
def sin(n: int | None, *, seed: int, low: float = -1.0, high: float = 1.0) -> Points:
    """1-D points on [low, high] with regression targets ``sin(pi x)``."""
    return _regression("sin", n, low, high)


@GENERATORS.register("abs")
def abs_(n: int | None, *, seed: int, low: float = -1.0, high: float = 1.0) -> Points:
    """1-D points on [low, high] with regression targets ``|x|``."""
    return _regression("abs", n, low, high)


@GENERATORS.register("step")
def step(n: int | None, *, seed: int, low: float = -1.0, high: float = 1.0) -> Points:
    """1-D points on [low, high] with regression targets 0 for x <= 0, 1 for x > 0."""
    return _regression("step", n, low, high)


@GENERATORS.register("file")
def from_file(n: int | None, *, seed: int, path: str = "") -> Points:
    """A user's points from ``.csv``, ``.npy`` or ``.npz`` (see ``load_points_file``).

    With ``n`` smaller than the file, a seeded random subset of ``n`` rows is kept.
    """
    x, labels = _subset(*load_points_file(path), n, seed, path)
    return _points(x, Path(path).stem, labels=labels)


# how the rows of a bundled image set are drawn (hover images on a slice); --input-shape
# gives it for other data
IMAGE_SHAPES: dict[str, tuple[int, ...]] = {"digits": (1, 8, 8)}


def row_image_shape(data: Points) -> tuple[int, ...] | None:
    """The image a row of ``data`` is: the shape its rows take before the network
    (--input-shape, or inferred from the model), else a bundled set's (the digits' 1x8x8)
    where it fits the rows' width; None for other data, a user's file called digits.csv of
    another width included."""
    if data.image_shape is not None:
        return data.image_shape
    shape = IMAGE_SHAPES.get(data.name)
    return shape if shape is not None and math.prod(shape) == data.input_dim else None


@GENERATORS.register("digits")
def digits(n: int | None, *, seed: int) -> Points:
    """The 8x8 handwritten digits: 1,797 rows of 64 pixels (0 .. 16, row by row), labelled
    0 .. 9. UCI's optdigits test set (CC BY 4.0) as scikit-learn bundles it, shipped in
    ``inputs/data/digits.npz``. With ``n`` smaller, a seeded random subset of ``n`` rows."""
    with resources.files(__package__).joinpath("data/digits.npz").open("rb") as f, \
            np.load(f, allow_pickle=False) as data:
        x, labels = data["x"].astype(np.float64), data["labels"].astype(np.int64)  # (1797, 64)
    x, labels = _subset(x, labels, n, seed, "the digits")
    return _points(x, "digits", labels=labels)


def _subset(x: np.ndarray, labels: np.ndarray | None, n: int | None, seed: int, what: str
            ) -> tuple[np.ndarray, np.ndarray | None]:
    """All rows, or a seeded random subset of ``n`` in their order; more rows are refused."""
    if n is not None and n < len(x):
        keep = np.sort(np.random.default_rng(seed).choice(len(x), size=n, replace=False))
        return x[keep], None if labels is None else labels[keep]
    if n is not None and n > len(x):
        raise InputError(f"--points {n} is more than the {len(x)} rows of {what}",
                         field="input.points")
    return x, labels


def load_points_file(path: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Read (n, d) points and optional (n,) labels from a data file.

    ``.csv``: numeric columns, an optional header; a column named ``label``, ``target``,
    ``class`` or ``y`` holds labels (without a header, a last column of a few whole numbers).
    ``.npy``: one (n, d) or (n,) array. ``.npz``: points under ``x``, ``X``, ``data``, ...,
    labels under ``y``, ``labels``, ``target``, ... (see ``datafile``).
    """
    from .datafile import read_points_file

    return read_points_file(path)


def make_points(name: str, n: int | None = None, *, seed: int = 0,
                color_by: str | None = None, **params: Any) -> Points:
    """Generate the named point set, check it, and colour it (``color_by`` None: by label
    when the set has labels, else by x)."""
    generator = GENERATORS[name]
    check_params(name, params)
    if n is not None:
        parse_count(n)
    pts = generator(n, seed=seed, **params)
    if pts.n == 0:
        raise InputError(f"input {name!r} has no points", field="input.points")
    if not np.isfinite(pts.x).all():
        raise InputError(f"input {name!r} contains NaN or inf; every coordinate must be finite",
                         field="input.params")
    return recolor(pts, color_by or ("label" if pts.labels is not None else "x"))


def generator_params(name: str) -> dict[str, Any]:
    """The named generator's parameters and their defaults (for menus and validation)."""
    sig = inspect.signature(GENERATORS[name])
    return {p.name: p.default for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY
            and p.name != "seed"}


def check_params(name: str, params: dict[str, Any]) -> None:
    known = generator_params(name)
    unknown = sorted(set(params) - set(known))
    if unknown:
        hint = ", ".join(known) if known else "none"
        raise InputError(
            f"input {name!r} has no parameter {unknown[0]!r}; its parameters: {hint}",
            field=f"input.params.{unknown[0]}")


# --- colourings: a value per point, shared by every stage -------------------------------

COLORINGS: Registry[Any] = Registry("colouring", field="input.color_by", error=InputError)


@COLORINGS.register("x")
def _color_x(p: Points) -> np.ndarray:
    return p.x[:, 0]


@COLORINGS.register("y")
def _color_y(p: Points) -> np.ndarray:
    if p.dim < 2:
        raise InputError("colour by 'y' needs 2-D input; use 'x' for 1-D input",
                         field="input.color_by")
    return p.x[:, 1]


@COLORINGS.register("angle")
def _color_angle(p: Points) -> np.ndarray:
    return np.arctan2(p.x[:, 1], p.x[:, 0]) if p.dim >= 2 else np.sign(p.x[:, 0])


@COLORINGS.register("radius")
def _color_radius(p: Points) -> np.ndarray:
    return np.linalg.norm(p.x, axis=1)


@COLORINGS.register("label")
def _color_label(p: Points) -> np.ndarray:
    """The class index 0 .. k-1 of every point, classes in sorted label order."""
    if p.labels is None:
        raise InputError(f"input {p.name!r} has no labels; colour by x, y, angle or radius, "
                         "or give labelled points: spiral, moons, xor, circles, blobs, or a "
                         "data file whose labels are a CSV column or an .npz array named "
                         "label, labels, target, class or y", field="input.color_by")
    return np.unique(p.labels, return_inverse=True)[1].astype(np.float64)


@COLORINGS.register("index")
def _color_index(p: Points) -> np.ndarray:
    return np.arange(p.n, dtype=np.float64)


# Colourings of what the network did to each point (the Jacobian's stretch, area change,
# anisotropy, folds; the linear region): known only after the trace, so the points get
# zeros here and the pipeline's measure step puts the values in (pipeline.measured).
MEASURED_COLORINGS = ("stretch", "area", "anisotropy", "fold", "region")
# The network's prediction: its class (argmax of 2 or more outputs) or its output value
# (one output), filled in by the pipeline after the trace (pipeline.predicted).
PREDICTED = "predicted"
for _name in (PREDICTED, *MEASURED_COLORINGS):
    COLORINGS.add(_name, lambda p: np.zeros(p.n))


def recolor(points: Points, color_by: str) -> Points:
    """The same points with colour values from the named colouring."""
    color = np.array(COLORINGS[color_by](points), dtype=np.float64)  # (n,)
    return replace(points, color=color, color_by=color_by)
