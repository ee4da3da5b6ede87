"""One typed config for a whole experiment, loaded from TOML, flags or the app.

Every output carries the fully resolved config (``experiment.toml``), from which the
same trace can be made again, bit for bit.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import SpacewarpError
from .network import ACTIVATIONS, RECIPES, parse_widths
from .points import COLORINGS, GENERATORS, MAX_POINTS

Matrix = list[list[float]] | list[float]  # a weight matrix or a bias vector


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputSpec(_Spec):
    name: str = "gaussian"  # a point generator: gaussian, grid, line, spiral, file, ...
    points: int | None = Field(None, ge=1, le=MAX_POINTS)  # None: the generator's default
    path: str | None = None  # the data file, for name = "file"
    color_by: str = "x"  # x, y, angle, radius, label, index
    params: dict[str, float] = {}  # the generator's own parameters (noise, step, ...)

    @field_validator("name")
    @classmethod
    def _known_input(cls, v: str) -> str:
        return _known(GENERATORS, v)

    @field_validator("color_by")
    @classmethod
    def _known_coloring(cls, v: str) -> str:
        return _known(COLORINGS, v)


class NetworkSpec(_Spec):
    layers: list[int] | None = None  # widths; None: 2,3,3,2 for 2-D input, 1,2,1 for 1-D
    activation: str = "tanh"  # after every linear layer but the last
    bias: bool = False  # the seed's networks have no bias
    init: str | None = None  # None: manual for 2-D input (the seed's), random otherwise
    scale: float = Field(3.0, allow_inf_nan=False)  # S in the manual first layer S*[I; 2*ones]
    weights: dict[str, Matrix] = {}  # explicit parameters by state_dict name: "0.weight"

    @field_validator("layers", mode="before")
    @classmethod
    def _widths(cls, v: Any) -> Any:
        return None if v is None else parse_widths(v)

    @field_validator("activation")
    @classmethod
    def _known_activation(cls, v: str) -> str:
        return _known(ACTIVATIONS, v)

    @field_validator("init")
    @classmethod
    def _known_init(cls, v: str | None) -> str | None:
        return None if v is None else _known(RECIPES, v)


class StyleSpec(_Spec):
    theme: Literal["dark", "light"] = "dark"  # dark like the seed's; light for papers
    cmap: str = "viridis"  # matplotlib / plotly colour map for the colour values
    point_size: float | None = Field(None, gt=0)  # None: chosen from the point count


class TrainSpec(_Spec):
    """How ``spacewarp train`` optimises the network: one field per ``--flag`` (the CLI
    generates its training flags from these fields, their bounds and descriptions)."""

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


def _known(registry: Any, name: str) -> str:
    registry[name]  # raises SpacewarpError with the choices
    return name


def validated(data: dict[str, Any]) -> Experiment:
    """An ``Experiment`` from plain data, every mistake turned into one ``SpacewarpError``."""
    try:
        return Experiment.model_validate(data)
    except ValidationError as err:
        loc = err.errors()[0]["loc"]
        field = ".".join(str(p) for p in loc if isinstance(p, str)) or None
        raise SpacewarpError(_one_line(err), field=field) from None


def _one_line(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "config"
    if first["type"] == "extra_forbidden":
        return f"unknown config key {where!r}; see the README for the keys an experiment takes"
    bounds = {"less_than_equal": "at most {le}", "greater_than_equal": "at least {ge}",
              "greater_than": "more than {gt}"}
    if first["type"] in bounds:
        limit = bounds[first["type"]].format(**first.get("ctx", {}))
        return f"{where} must be {limit}, got {first['input']!r}"
    if first["type"] == "finite_number":
        return f"{where} must be a finite number, got {first['input']!r}"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"config {where}: {message}"


def load_toml(path: str | Path) -> dict[str, Any]:
    """The raw data of a TOML experiment file (validated later, after flag overrides)."""
    file = Path(path)
    if not file.is_file():
        raise SpacewarpError(f"config file {str(path)!r} does not exist")
    try:
        return tomllib.loads(file.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise SpacewarpError(f"config file {str(path)!r} is not valid TOML: {err}") from None


def load_experiment(path: str | Path) -> Experiment:
    return validated(load_toml(path))


def to_toml(experiment: Experiment) -> str:
    return tomli_w.dumps(experiment.model_dump(exclude_none=True))


def merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` with nested ``overrides`` laid over it (dicts merge, other values replace)."""
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


# Flat names (CLI flags, API keywords) -> where they live in the config.
FLAT_KEYS: dict[str, tuple[str, ...]] = {
    "input": ("input", "name"),
    "points": ("input", "points"),
    "data": ("input", "path"),
    "color_by": ("input", "color_by"),
    "layers": ("network", "layers"),
    "activation": ("network", "activation"),
    "bias": ("network", "bias"),
    "init": ("network", "init"),
    "scale": ("network", "scale"),
    "theme": ("style", "theme"),
    "seed": ("seed",),
    "device": ("device",),
}
FLAT_KEYS.update({name: ("train", name) for name in TrainSpec.model_fields})


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """Flat keywords (``activation="relu"``) as nested config data; ``None`` values skipped.

    ``data=PATH`` also selects the ``file`` input.
    """
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if value is None:
            continue
        if key not in FLAT_KEYS:
            raise SpacewarpError(
                f"unknown option {key!r}; options are: {', '.join(FLAT_KEYS)}")
        *parents, leaf = FLAT_KEYS[key]
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    if "path" in out.get("input", {}):
        out["input"].setdefault("name", "file")
    return out
