"""Every experiment setting declared once: config path, parser, choices, flag, help, app control.

``SETTINGS`` generates ``config.FLAT_KEYS`` (flat names for CLI and API), the CLI's
experiment flags (``cli.options``), the config's value parsing (``config._Spec``) and the
flag named in a CLI error (``flag_for``). A new setting is one line here. Like TensorFlow
Playground's ``state.ts`` PROPS table. Torch-, numpy- and pydantic-free, so ``--help``
is quick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import InputError, NetworkError, SpacewarpError
from . import names
from .numbers import (
    parse_bool,
    parse_bounds,
    parse_count,
    parse_float,
    parse_seed,
    parse_shape,
    parse_slice,
    parse_widths,
)

Parse = Callable[[Any, str], Any]  # (value as given, dotted field) -> clean value


def _choice(family: str, choices: tuple[str, ...],
            error: type[SpacewarpError] = InputError) -> Parse:
    def parse(value: Any, field: str) -> str:
        if not isinstance(value, str) or value not in choices:
            raise error(f"unknown {family} {str(value)[:60]!r}; choose one of: "
                        f"{', '.join(choices)}", field=field)
        return value
    return parse


def _text(what: str) -> Parse:
    def parse(value: Any, field: str) -> str:
        if not isinstance(value, str) or not value.strip() or "\0" in value:
            raise InputError(f"{what} must be a non-empty text, got {str(value)[:60]!r}",
                             field=field)
        return value
    return parse


def _sha256(value: Any, field: str) -> str:
    ok = isinstance(value, str) and len(value) == 64 and all(
        c in "0123456789abcdef" for c in value.lower())
    if not ok:
        raise NetworkError(f"checkpoint_sha256 must be 64 hex digits, got {str(value)[:70]!r}",
                           field=field)
    return str(value).lower()


def _cmap(value: Any, field: str) -> str:
    """A matplotlib colour map's name (never a path); checked against matplotlib lazily."""
    if not isinstance(value, str) or not value.replace("_", "").replace(".", "").isalnum():
        raise InputError(f"colour map {str(value)[:60]!r} is not a colour map name; "
                         "use e.g. viridis, magma, coolwarm", field=field)
    from matplotlib import colormaps  # the registry the drawings use (no pyplot)

    if value not in colormaps:
        raise InputError(f"unknown colour map {value!r}; use a matplotlib name such as "
                         "viridis, magma, plasma, coolwarm or twilight", field=field)
    return value


@dataclass(frozen=True)
class Setting:
    """One experiment setting, everywhere it appears."""

    key: str  # flat name: CLI dest and API keyword ("points")
    path: tuple[str, ...]  # where it lives in the config (("input", "points"))
    parse: Parse | None  # value as given -> clean value; None: the config's own type
    help: str  # CLI help (the default is appended)
    default: str = ""  # the default as shown in help; "" shows none
    flag: str | None = ""  # "" derives --key-with-dashes; None: no flag (config file only)
    metavar: str | None = None
    choices: tuple[str, ...] | None = None  # menus and --help list these
    control: str | None = None  # app control kind: select, text, toggle, upload, None
    cap: float | None = None  # the app's stricter cap (max value, count or width)
    boolean: bool = False  # --key / --no-key
    const: str | None = None  # the value of the bare flag (``--regions`` means "region")

    @property
    def field(self) -> str:
        return ".".join(self.path)

    @property
    def option(self) -> str | None:
        return None if self.flag is None else (self.flag or "--" + self.key.replace("_", "-"))


def _count(value: Any, field: str) -> int:
    return parse_count(value, field=field)


SETTINGS: tuple[Setting, ...] = (
    Setting("input", ("input", "name"), _choice("input", names.INPUTS), "input point set",
            "gaussian", choices=names.INPUTS, control="select"),
    Setting("points", ("input", "points"), _count, "number of points (1e5 is fine)",
            "the input's own", metavar="N", control="text", cap=200_000),
    Setting("data", ("input", "path"), _text("the data file"),
            "points from .csv/.npy/.npz (input 'file')", metavar="PATH", control="upload"),
    Setting("slice", ("input", "slice"), lambda v, f: parse_slice(v, field=f),
            "points on a slice through the data (--data or --input digits): I,J,K the plane "
            "through rows I, J, K (origin row I, first axis toward J); I,J the line from "
            "row I toward J; pca the plane of the data's mean and two leading principal "
            "directions; I the plane through row I along them. One unit on the slice is "
            "one unit of the input", "none", metavar="I,J,K|I,J|pca|I"),
    Setting("bounds", ("input", "bounds"), lambda v, f: parse_bounds(v, field=f),
            "the slice's box in slice coordinates (write --bounds=-2,2,-2,2 when it starts "
            "with a minus); spacewarp regions: the input box", "the anchors' box and 25%% "
            "on each side; pca and I: 3 standard deviations", metavar="x0,x1,y0,y1"),
    Setting("slice_points", ("input", "slice_points"),
            _choice("point set on a slice", names.SLICE_POINTS),
            "the 2-D point set spread over the slice's box", "grid",
            choices=names.SLICE_POINTS),
    Setting("show_data", ("input", "show_data"),
            lambda v, f: parse_bool(v, field=f, what="show_data"),
            "draw the data's rows on a slice: at their projections onto it on the input "
            "stage, faded by their distance from it, and at their true images in the later "
            "stages", "no", boolean=True),
    Setting("input_shape", ("input", "shape"), lambda v, f: parse_shape(v, field=f),
            "how a row is an image: each row is reshaped to exactly this shape before the "
            "network (a model whose first layer is a convolution: 1,8,8 for the digits "
            "through a Conv2d)", "rows as they are",
            metavar="C,H,W"),
    Setting("color_by", ("input", "color_by"), _choice("colouring", names.COLORINGS),
            "colour values", "label for labelled inputs, predicted on a slice, else x",
            choices=names.COLORINGS,
            control="select"),
    Setting("layers", ("network", "layers"), lambda v, f: parse_widths(v, field=f),
            "widths, e.g. 2,3,3,2", "2,3,3,2 for 2-D input, 1,2,1 for 1-D",
            metavar="W0,W1,...", control="text", cap=64),
    Setting("activation", ("network", "activation"),
            _choice("activation", names.ACTIVATIONS, NetworkError), "non-linearity", "tanh",
            choices=names.ACTIVATIONS, control="select"),
    Setting("bias", ("network", "bias"), lambda v, f: parse_bool(v, field=f, what="bias"),
            "linear layers with bias", "no", control="toggle", boolean=True),
    Setting("init", ("network", "init"), _choice("weight recipe", names.RECIPES, NetworkError),
            "weight recipe", "manual for 1-D and 2-D input, random otherwise",
            choices=names.RECIPES,
            control="select"),
    Setting("scale", ("network", "scale"),
            lambda v, f: parse_float(v, field=f, what="scale", low=-1e6, high=1e6,
                                     error=NetworkError),
            "S of the manual first layer", "3", metavar="S", control="text", cap=1000),
    Setting("model", ("network", "model"), _text("the model"),
            "your own network: an nn.Module class (no-argument constructor) or a function "
            "returning one, FILE.py:NAME; or FILE.onnx", metavar="FILE.py:NAME|FILE.onnx"),
    Setting("weights", ("network", "checkpoint"), _text("the checkpoint"),
            "a checkpoint: state_dict .pt/.pth, .safetensors, TorchScript or torch.export "
            ".pt2", metavar="CKPT"),
    Setting("checkpoint_sha256", ("network", "checkpoint_sha256"), _sha256,
            "the checkpoint's SHA-256 (recorded in experiment.toml)", flag=None),
    Setting("theme", ("style", "theme"), _choice("theme", names.THEMES), "colour theme",
            "dark", choices=names.THEMES, control="select"),
    Setting("cmap", ("style", "cmap"), _cmap, "matplotlib colour map of the colour values",
            "viridis", metavar="NAME", control="select"),
    Setting("regions", ("style", "regions"),
            _choice("regions drawing", names.REGION_FILLS),
            "draw the exact linear regions of a piecewise-linear network through every "
            "stage, filled by region or by area change (pages, films, stills, the explorer)",
            "off",
            choices=names.REGION_FILLS, control="select", const="region"),
    Setting("svd_steps", ("style", "svd_steps"),
            lambda v, f: parse_bool(v, field=f, what="svd_steps"),
            "show each linear layer W = U S V^T (+ b) as four labelled moves: rotate by "
            "V^T, scale by S, rotate by U, shift by b (films, pages, the explorer)", "no",
            control="toggle", boolean=True),
    Setting("measures", ("style", "measures"),
            lambda v, f: parse_bool(v, field=f, what="measures"),
            "a Jacobian measure summary under every stage's title (the commands' "
            "--measures flag does the same)", "no", flag=None, control="toggle"),
    Setting("point_size", ("style", "point_size"),
            lambda v, f: parse_float(v, field=f, what="point size", low=0.01, high=100),
            "marker size in points", "from the point count", metavar="PT"),
    Setting("seed", ("seed",), lambda v, f: parse_seed(v, field=f),
            "seed for points and weights, 0 to 2**32-1", "0", metavar="N", control="text"),
    Setting("device", ("device",), _choice("device", names.DEVICES), "where to compute",
            "auto", choices=names.DEVICES, control="select"),
)

# ``spacewarp train``'s settings, the ``[train]`` table: flag, help, default and the
# explorer's control and cap (the config's ``TrainSpec`` parses and bounds the values).
TRAIN_SETTINGS: tuple[Setting, ...] = tuple(
    Setting(key, ("train", key), None, text, default, metavar=metavar, choices=choices,
            control=control, cap=cap)
    for key, text, default, metavar, choices, control, cap in (
        ("epochs", "passes over the training set", "1000", "N", None, "text", 100_000),
        ("lr", "learning rate", "1e-3", "F", None, "text", 10.0),
        ("optimizer", "the optimiser", "adam", None, ("sgd", "adam", "adamw"), "select",
         None),
        ("momentum", "momentum (sgd only)", "0.9", "F", None, "text", None),
        ("weight_decay", "L2 weight decay (decoupled for adamw)", "0", "F", None, "text",
         None),
        ("batch_size", "points per step, or full (one step per epoch on the whole training "
         "set)", "full", "N|full", None, "text", None),
        ("loss", "auto: cross entropy for labelled points, MSE for regression", "auto", None,
         ("auto", "cross_entropy", "mse"), "select", None),
        ("test_split", "fraction of the points held out (seeded)", "0.2", "F", None, "text",
         None),
        ("noise", "Gaussian noise (std) added to the inputs of labelled points or to "
         "regression targets (seeded)", "0", "F", None, "text", None),
        ("snapshots", "snapshots kept, denser early", "50", "N", None, None, None),
        ("watch", "stage the film follows", "the last hidden stage", "K", None, None, None),
        ("probe", "probe grid points per side of the input box", "100", "N", None, "text",
         150),
    ))
TRAIN_BY_KEY = {s.key: s for s in TRAIN_SETTINGS}
TRAIN_BY_FIELD = {s.field: s for s in TRAIN_SETTINGS}

BY_KEY = {s.key: s for s in SETTINGS}
BY_FIELD = {s.field: s for s in SETTINGS}
FLAT_KEYS: dict[str, tuple[str, ...]] = {s.key: s.path for s in SETTINGS}


def flag_for(field: str | None) -> str | None:
    """The CLI flag of a config field (``"network.layers"`` -> ``"--layers"``), if it has one.

    Fields below a setting (``input.params.step``) have none; ``output``-like fields that
    are flags of a command (``"out"``) are given as ``--out``.
    """
    if not field:
        return None
    setting = BY_FIELD.get(field) or TRAIN_BY_FIELD.get(field)
    if setting is not None:
        return setting.option
    if field in COMMAND_FLAGS:
        return COMMAND_FLAGS[field]
    return None


# Fields that are a command's own flags, not experiment settings.
COMMAND_FLAGS = {"output": "--out", "film.frames_per_stage": "--frames-per-stage",
                 "film.fps": "--fps", "film.seconds": "--seconds", "film.size": "--size",
                 "film.hold": "--hold", "config": "--config", "training": "--training",
                 "train.lc_radius": "--lc-radius",
                 "regions.max_regions": "--max-regions"}


def parse_value(path: tuple[str, ...], value: Any) -> Any:
    """``value`` parsed by the setting at ``path``; unchanged when the path is no setting."""
    setting = BY_FIELD.get(".".join(path))
    if setting is None or setting.parse is None or value is None:
        return value
    return setting.parse(value, setting.field)
