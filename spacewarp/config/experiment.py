"""One typed config for a whole experiment, loaded from TOML, flags or the app.

Every output carries the fully resolved config (``experiment.toml``), from which the
same trace can be made again, bit for bit.
"""

from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path
from typing import Any, ClassVar, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import InputError, SpacewarpError, WeightsError
from .numbers import parse_float
from .settings import FLAT_KEYS as SETTINGS_KEYS
from .settings import parse_value
from .style import Style

Matrix = list[list[float]] | list[float]  # a weight matrix or a bias vector

MAX_TOML_BYTES = 16_000_000  # an experiment file; larger weights belong in a checkpoint
MAX_DEPTH = 8  # nesting of tables and arrays (weights are 2 deep under network.weights)
MAX_ITEMS = 4_000_000  # numbers in all arrays together (a 2000 x 2000 matrix is 4 M)


class _Spec(BaseModel):
    """A config section; each key that is a setting is parsed by ``settings.SETTINGS``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    section: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _parse_settings(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {k: parse_value((*cls.section, k), v) for k, v in data.items()}


class InputSpec(_Spec):
    section: ClassVar[tuple[str, ...]] = ("input",)
    name: str = "gaussian"  # a point generator: gaussian, grid, line, spiral, file, ...
    points: int | None = None  # None: the generator's default
    path: str | None = None  # the data file, for name = "file"
    # x, y, angle, radius, label, index, predicted, ...; None: label if any, predicted on a
    # slice, else x
    color_by: str | None = None
    params: dict[str, float] = {}  # the generator's own parameters (noise, step, ...)
    slice: str | None = None  # "I,J,K", "I,J", "pca", "I": points on a slice through the data
    bounds: list[float] | None = None  # the slice's box (x0, x1, y0, y1); None: from anchors
    shape: list[int] | None = None  # each row reshaped to (C, H, W) before the network
    slice_points: str | None = None  # the 2-D point set spread over the slice's box; None: grid
    show_data: bool = False  # draw the data's rows on the slice and through every stage

    @field_validator("params", mode="before")
    @classmethod
    def _finite_params(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            raise InputError(f"input.params must be a table of numbers, got {str(v)[:40]!r}",
                             field="input.params")
        return {str(k): parse_float(x, field=f"input.params.{k}", what=f"parameter {k}")
                for k, x in v.items()}


    @model_validator(mode="after")
    def _data_means_file(self) -> InputSpec:
        if self.path is not None and self.name != "file":
            raise InputError(f"a data file (--data) is read by input 'file', not "
                             f"{self.name!r}; give --data or --input {self.name}, not both",
                             field="input.path")
        if self.name == "file" and not self.path:
            raise InputError("input 'file' needs a path: --data FILE.csv|.npy|.npz",
                             field="input.path")
        for key in ("bounds", "slice_points"):
            if self.slice is None and getattr(self, key) is not None:
                raise InputError(f"input.{key} places points on a slice; give --slice too "
                                 "(spacewarp regions takes --bounds as its box)",
                                 field=f"input.{key}")
        if self.show_data and self.slice is None:
            raise InputError("input.show_data draws the data's rows on a slice through them; "
                             "give --slice too (I,J,K, I,J, pca or I)", field="input.show_data")
        return self


def holds_torchscript(path: str) -> bool:
    """A TorchScript file (``torch.jit.save``): a zip archive holding the model's code."""
    file = Path(path)
    if not path or not file.is_file() or not zipfile.is_zipfile(file):
        return False
    with zipfile.ZipFile(file) as z:
        return any(n.endswith("constants.pkl") or "/code/" in n for n in z.namelist())


class NetworkSpec(_Spec):
    section: ClassVar[tuple[str, ...]] = ("network",)
    layers: list[int] | None = None  # widths; None: 2,3,3,2 for 2-D input, 1,2,1 for 1-D
    activation: str = "tanh"  # after every linear layer but the last
    bias: bool = False  # the seed's networks have no bias
    init: str | None = None  # None: manual for 2-D input (the seed's), random otherwise
    scale: float = 3.0  # S in the manual first layer S*[I; 2*ones]
    weights: dict[str, Matrix] = {}  # explicit parameters by state_dict name: "0.weight"
    model: str | None = None  # the user's model, FILE.py:NAME or FILE.onnx; None: built here
    checkpoint: str | None = None  # weights: state_dict .pt, .safetensors, TorchScript, .pt2
    checkpoint_sha256: str | None = None  # recorded when resolved; a changed file is refused

    @property
    def own_model(self) -> bool:
        """The user's own architecture (a model file, a ``.pt2`` program, or a TorchScript
        file without ``layers``), not built here from widths: ``BUILT_ONLY`` then does not
        apply. (A TorchScript file with ``layers`` gives its weights to the built network.)"""
        checkpoint = self.checkpoint or ""
        return bool(self.model) or checkpoint.endswith(".pt2") or (
            self.layers is None and holds_torchscript(checkpoint))

    @field_validator("weights", mode="before")
    @classmethod
    def _rectangular(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            raise WeightsError("network.weights must be a table of matrices by parameter "
                               "name, e.g. \"0.weight\" = [[1, 0], [0, 1]]",
                               field="network.weights")
        return {str(k): _matrix(str(k), m) for k, m in v.items()}


def _matrix(name: str, value: Any) -> list[list[float]] | list[float]:
    """A bias vector or a rectangular matrix of finite numbers, or ``WeightsError``."""
    field = f"network.weights.{name}"
    if not isinstance(value, list) or not value:
        raise WeightsError(f"weights {name!r} must be a vector or a matrix of numbers",
                           field=field)
    if all(isinstance(row, list) for row in value):
        widths = {len(row) for row in value}
        if len(widths) != 1 or 0 in widths:
            raise WeightsError(f"weights {name!r} are ragged: rows of lengths "
                               f"{sorted(widths)[:4]}; every row needs the same length",
                               field=field)
        return [[_weight(name, x, field) for x in row] for row in value]
    return [_weight(name, x, field) for x in value]


def _weight(name: str, x: Any, field: str) -> float:
    return parse_float(x, field=field, what=f"every entry of weights {name!r}",
                       error=WeightsError)


class StyleSpec(_Spec):
    section: ClassVar[tuple[str, ...]] = ("style",)
    theme: Literal["dark", "light"] = "dark"  # dark like the seed's; light for papers
    cmap: str = "viridis"  # matplotlib colour map for the colour values
    point_size: float | None = None  # None: chosen from the point count
    regions: Literal["off", "region", "area"] = "off"  # exact linear regions drawn in films
    svd_steps: bool = False  # each linear step as rotate V^T, scale S, rotate U, shift b
    measures: bool = False  # a Jacobian measure summary under every stage's title


class TrainSpec(_Spec):
    """How ``spacewarp train`` optimises the network: one field per ``--flag`` (declared in
    ``settings.TRAIN_SETTINGS``, which a test keeps equal to these fields)."""

    epochs: int = Field(1000, ge=1, le=1_000_000, description="passes over the training set")
    lr: float = Field(1e-3, gt=0, allow_inf_nan=False, description="learning rate")
    optimizer: Literal["sgd", "adam", "adamw"] = Field("adam", description="the optimiser")
    momentum: float = Field(0.9, ge=0, lt=1, allow_inf_nan=False,
                            description="momentum (sgd only)")
    weight_decay: float = Field(0.0, ge=0, allow_inf_nan=False,
                                description="L2 weight decay (decoupled for adamw)")
    batch_size: int | Literal["full"] = Field(
        "full", description="points per step, or full (one step per epoch on the whole "
                            "training set)")
    loss: Literal["auto", "cross_entropy", "mse"] = Field(
        "auto", description="auto: cross entropy for labelled points, MSE for regression")
    test_split: float = Field(0.2, ge=0, le=0.9, allow_inf_nan=False,
                              description="fraction of the points held out (seeded)")
    noise: float = Field(0.0, ge=0, le=1e3, allow_inf_nan=False,
                         description="Gaussian noise (std) added to the inputs of labelled "
                                     "points or to regression targets (seeded)")
    snapshots: int = Field(50, ge=2, le=1000, description="snapshots kept, denser early")
    watch: int | None = Field(None, ge=0, description="stage the film follows")
    probe: int = Field(100, ge=2, le=400, description="probe grid points per side of the "
                                                      "input box")

    @field_validator("batch_size", mode="before")
    @classmethod
    def _batch(cls, v: Any) -> Any:
        if v == "full":
            return v
        try:
            size = int(v)
        except (TypeError, ValueError):
            size = 0
        if size != v and str(size) != str(v) or size < 1:
            raise ValueError(f"batch_size must be a whole number >= 1 or 'full', got {v!r}")
        return size


class Experiment(_Spec):
    """The whole experiment. Every default is the seed notebook's."""

    input: InputSpec = InputSpec()
    network: NetworkSpec = NetworkSpec()
    style: StyleSpec = StyleSpec()
    train: TrainSpec | None = None  # set by ``spacewarp train`` / ``sw.train``
    seed: int = 0  # seeds the points and the random weights
    device: Literal["auto", "cpu", "cuda"] = "auto"  # auto: CUDA when present; always float64


def style_of(experiment: Experiment) -> Style:
    """The plain style value a Trace carries, from a (resolved) experiment."""
    s, name = experiment.style, experiment.input.name
    source = name if experiment.input.slice is None else f"a slice of {name}"
    return Style(theme=s.theme, cmap=s.cmap, point_size=s.point_size, source=source,
                 regions=s.regions, svd_steps=s.svd_steps, measures=s.measures)


def validated(data: dict[str, Any]) -> Experiment:
    """An ``Experiment`` from plain data, every mistake turned into one ``SpacewarpError``
    whose ``field`` is the config path it concerns."""
    check_shape(data)
    try:
        return Experiment.model_validate(data)
    except ValidationError as err:
        raise _one_error(err) from None


def _one_error(err: ValidationError) -> SpacewarpError:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or None
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, SpacewarpError):  # one of ours, raised inside a validator
        if cause.field is None:
            cause.field = where
        return cause
    return SpacewarpError(_one_line(first, where or "config"), field=where)


def _one_line(first: Any, where: str) -> str:
    if first["type"] == "extra_forbidden":
        return f"unknown config key {where!r}; see the README for the keys an experiment takes"
    bounds = {"less_than_equal": "at most {le}", "greater_than_equal": "at least {ge}",
              "greater_than": "more than {gt}"}
    if first["type"] in bounds:
        limit = bounds[first["type"]].format(**first.get("ctx", {}))
        return f"{where} must be {limit}, got {str(first['input'])[:60]!r}"
    if first["type"] == "finite_number":
        return f"{where} must be a finite number, got {str(first['input'])[:60]!r}"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"config {where}: {message}"


def check_shape(data: Any, *, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS) -> None:
    """Refuse data nested deeper than ``max_depth`` or holding more than ``max_items`` values,
    without recursion (a 5,000-deep table is one line, not a RecursionError)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    items = 0
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise InputError(f"the experiment is nested {depth}+ levels deep; at most "
                             f"{max_depth} (tables and arrays) make sense", field="config")
        children = (node.values() if isinstance(node, dict)
                    else node if isinstance(node, list | tuple) else ())
        for child in children:
            items += 1
            if items > max_items:
                raise InputError(f"the experiment holds more than {max_items:,} values; "
                                 "give large weights as a checkpoint (--weights)",
                                 field="config")
            if isinstance(child, dict | list | tuple):
                stack.append((child, depth + 1))


def load_toml(path: str | Path) -> dict[str, Any]:
    """The raw data of a TOML experiment file (validated later, after flag overrides)."""
    file = Path(path)
    if not str(path) or not file.is_file():
        raise InputError(f"config file {str(path)!r} does not exist", field="config")
    if file.stat().st_size > MAX_TOML_BYTES:
        raise InputError(f"config file {str(path)!r} is {file.stat().st_size / 1e6:.0f} MB; "
                         f"at most {MAX_TOML_BYTES // 1_000_000} MB; give large weights as a "
                         "checkpoint (--weights)", field="config")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"config file {str(path)!r} is not valid TOML: {err}",
                         field="config") from None
    except RecursionError:
        raise InputError(f"config file {str(path)!r} is nested too deeply; at most "
                         f"{MAX_DEPTH} levels of tables and arrays", field="config") from None
    except OSError as err:
        raise InputError(f"cannot read config file {str(path)!r}: {err.strerror}",
                         field="config") from None
    check_shape(data)
    return data


def load_experiment(path: str | Path) -> Experiment:
    return validated(load_toml(path))


# network settings that only shape the networks spacewarp builds from widths
BUILT_ONLY = ("layers", "activation", "bias", "init", "scale")


def to_toml(experiment: Experiment) -> str:
    """The experiment as TOML; for the user's own model without the settings that only
    networks built here use (they would read as if they applied to it)."""
    data = experiment.model_dump(exclude_none=True)
    if experiment.network.own_model:
        net = data["network"]
        for key in BUILT_ONLY + (() if net.get("weights") else ("weights",)):
            net.pop(key, None)
    return tomli_w.dumps(data)


def merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` with nested ``overrides`` laid over it (dicts merge, other values replace)."""
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


# Flat names (CLI flags, API keywords) -> where they live in the config: see settings.py;
# the training options (``[train]``) by their own names.
FLAT_KEYS = {**SETTINGS_KEYS, **{name: ("train", name) for name in TrainSpec.model_fields}}
__all__ = ["FLAT_KEYS", "Experiment", "load_toml", "merged", "nest", "validated"]


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """Flat keywords (``activation="relu"``) as nested config data; ``None`` values skipped.

    ``data=PATH`` also selects the ``file`` input.
    """
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if value is None:
            continue
        if key not in FLAT_KEYS:
            raise InputError(
                f"unknown option {key!r}; options are: {', '.join(FLAT_KEYS)}", field=None)
        *parents, leaf = FLAT_KEYS[key]
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    if "path" in out.get("input", {}):
        out["input"].setdefault("name", "file")
    return out
