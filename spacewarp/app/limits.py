"""The explorer's limits, and the one error type that names the control it belongs to.

The library accepts larger problems (1e7 points, width 4096); a browser does not. The app
refuses anything over these limits with a message beside the control that set it.
"""

from __future__ import annotations

import math
from typing import Any

from ..config import Experiment
from ..errors import SpacewarpError

MAX_POINTS = 200_000  # points in the input set
MAX_WIDTH = 64  # neurons in any layer
MAX_DEPTH = 16  # linear layers
MAX_WEIGHT = 1_000.0  # largest |weight| or |bias| typed into a grid
MAX_PARAM = 1_000_000.0  # largest |value| of a generator parameter (noise, radius, ...)
MAX_DRAWN = 4_000_000  # points x stages drawn in one page (the browser's budget)
MAX_UPLOAD_BYTES = 20_000_000  # an uploaded .csv/.npy/.npz

LIMITS_TEXT = (f"Limits: {MAX_POINTS:,} points, width {MAX_WIDTH}, depth {MAX_DEPTH} layers, "
               f"|weight| <= {MAX_WEIGHT:g}, points x stages <= {MAX_DRAWN:,}, "
               f"uploads <= {MAX_UPLOAD_BYTES // 1_000_000} MB.")


class ControlError(SpacewarpError):
    """A user's mistake, tagged with the control that caused it (``"widths"``, ``"points"``)."""

    def __init__(self, control: str, message: str) -> None:
        super().__init__(message)
        self.control = control


def check_limits(experiment: Experiment, n_points: int | None = None) -> None:
    """Raise ``ControlError`` when ``experiment`` is over the app's limits.

    ``n_points``: the actual count when known (an uploaded file without ``points``).
    """
    spec, net = experiment.input, experiment.network
    n = spec.points if spec.points is not None else n_points
    if n is not None and n > MAX_POINTS:
        raise ControlError("points", f"at most {MAX_POINTS:,} points in the explorer, got "
                           f"{n:,}; use the CLI for more")
    _check_params(spec.name, spec.params, n)
    if net.layers is not None:
        _check_layers(net.layers)
        stages = 2 * (len(net.layers) - 1)  # input + linear and activation stages
        if n is not None and n * stages > MAX_DRAWN:
            raise ControlError("points", f"{n:,} points through {stages} stages is too much "
                               f"for the browser; use at most {MAX_DRAWN // stages:,} points "
                               "or fewer layers")
    for name, value in net.weights.items():
        _check_matrix(name, value)


def _check_layers(layers: list[int]) -> None:
    if len(layers) - 1 > MAX_DEPTH:
        raise ControlError("widths", f"at most {MAX_DEPTH} layers in the explorer, got "
                           f"{len(layers) - 1}")
    wide = [w for w in layers if w > MAX_WIDTH]
    if wide:
        raise ControlError("widths", f"every width must be at most {MAX_WIDTH} in the explorer, "
                           f"got {wide[0]}")


def _check_params(name: str, params: dict[str, float], n: int | None) -> None:
    for key, value in params.items():
        if not math.isfinite(value) or abs(value) > MAX_PARAM:
            raise ControlError(f"param:{key}", f"{key} must be a finite number of magnitude "
                               f"at most {MAX_PARAM:g}, got {value}")
    if name == "grid" and n is None:  # the grid's own step sets its count
        low, high = params.get("low", -5.0), params.get("high", 5.0)
        step = params.get("step", 0.1)
        if step > 0 and ((high - low) / step) ** 2 > MAX_POINTS:
            raise ControlError("param:step", f"grid step {step} gives more than {MAX_POINTS:,} "
                               "points; make it larger")


def _check_matrix(name: str, value: Any) -> None:
    rows = value if value and isinstance(value[0], list) else [value]
    for row in rows:
        for v in row:
            if not math.isfinite(v) or abs(v) > MAX_WEIGHT:
                raise ControlError("weights", f"{name}: every weight must be a finite number "
                                   f"between -{MAX_WEIGHT:g} and {MAX_WEIGHT:g}, got {v}")


_CONFIG_KEYS = {
    ("input", "name"): "input", ("input", "points"): "points", ("input", "path"): "upload",
    ("input", "color_by"): "color_by", ("network", "layers"): "widths",
    ("network", "activation"): "activation", ("network", "bias"): "bias",
    ("network", "init"): "init", ("network", "scale"): "scale", ("network", "weights"): "weights",
    ("style", "theme"): "theme", ("style", "cmap"): "theme", ("style", "point_size"): "theme",
    ("seed",): "seed", ("device",): "device",
}

def _config_control(where: list[str]) -> str:
    if where[:2] == ["input", "params"] and len(where) > 2:
        return f"param:{where[2]}"
    return _CONFIG_KEYS.get(tuple(where[:2]), "views")


# Which control a library message belongs to, by what the message talks about.
_TOPICS = (
    ("weights", ("weights ", "weight ", "produced nan")),
    ("widths", ("layers", "width", "linear layers")),
    ("color_by", ("colour",)),
    ("upload", ("data file", "cannot read", ".csv", ".npy", ".npz", "must hold")),
    ("points", ("point count", "--points")),
    ("input", ("input ",)),
    ("init", ("weight recipe",)),
    ("activation", ("activation",)),
    ("device", ("device", "cuda")),
    ("seed", ("seed",)),
    ("scale", ("scale",)),
)


def control_for(error: SpacewarpError) -> str:
    """The control a library error is about; ``"views"`` when none matches."""
    if isinstance(error, ControlError):
        return error.control
    text = str(error).lower()
    if text.startswith("config "):  # "config network.layers: ..." from config.validated
        return _config_control(text.removeprefix("config ").split(":", 1)[0].split("."))
    for control, words in _TOPICS:
        if any(w in text for w in words):
            return control
    return "views"
