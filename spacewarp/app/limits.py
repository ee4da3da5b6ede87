"""The explorer's limits: caps on what one session may ask for, checked before work starts.

The library accepts larger problems (1e7 points, width 4096); a browser and a server shared
by many sessions do not. ``check_limits`` refuses anything over these caps with a
``LimitError`` whose ``field`` is the config path it concerns, so the app shows the
message beside that field's control.
"""

from __future__ import annotations

import math
from typing import Any

from ..config.experiment import Experiment
from ..errors import LimitError
from ..view.outlines import MAX_OUTLINE_REGIONS

MAX_POINTS = 200_000  # points in the input set
MAX_WIDTH = 128  # neurons in any layer (the course's spiral classifier is 2,100,3)
MAX_DEPTH = 16  # linear layers
MAX_WEIGHT = 1_000.0  # largest |weight| or |bias| typed into a grid
MAX_PARAM = 1_000_000.0  # largest |value| of a generator parameter (noise, radius, ...)
MAX_CLASSES = 100  # spiral arms (each is a loop in the generator)
MAX_DRAWN = 4_000_000  # points x stages drawn in one page (the browser's budget)
MAX_SESSION_MB = 300  # estimated memory of one session's trace and views
MAX_UPLOAD_BYTES = 20_000_000  # an uploaded .csv/.npy/.npz
MAX_SEED = 2**32 - 1  # seeds are integers in [0, 2^32), as in the CLI
MAX_SESSIONS = 40  # live sessions on one server (one per browser tab)

LIMITS_TEXT = (f"Limits: {MAX_POINTS:,} points, width {MAX_WIDTH}, depth {MAX_DEPTH} layers, "
               f"|weight| <= {MAX_WEIGHT:g}, points x stages <= {MAX_DRAWN:,}, "
               f"about {MAX_SESSION_MB} MB per session, "
               f"regions <= {MAX_OUTLINE_REGIONS:,}, "
               f"uploads <= {MAX_UPLOAD_BYTES // 1_000_000} MB.")


def check_limits(experiment: Experiment, n_points: int | None = None) -> None:
    """Raise ``LimitError(field=...)`` when ``experiment`` is over the app's limits.

    ``n_points``: the actual count when known (an uploaded file without ``points``).
    """
    spec, net = experiment.input, experiment.network
    if not 0 <= experiment.seed <= MAX_SEED:
        raise LimitError(f"seed must be a whole number from 0 to {MAX_SEED:,}, got "
                         f"{experiment.seed}", field="seed")
    n = spec.points if spec.points is not None else n_points
    if n is not None and n > MAX_POINTS:
        raise LimitError(f"at most {MAX_POINTS:,} points in the explorer, got {n:,}; use the "
                         "CLI for more", field="input.points")
    n = _check_params(spec.name, spec.params, n)
    if net.layers is not None:
        _check_layers(net.layers)
        if n is not None:
            _check_budget(n, net.layers)
    for name, value in net.weights.items():
        _check_matrix(name, value)


def _check_layers(layers: list[int]) -> None:
    if len(layers) - 1 > MAX_DEPTH:
        raise LimitError(f"at most {MAX_DEPTH} layers in the explorer, got {len(layers) - 1}",
                         field="network.layers")
    wide = [w for w in layers if w > MAX_WIDTH]
    if wide:
        raise LimitError(f"every width must be at most {MAX_WIDTH} in the explorer, "
                         f"got {wide[0]}", field="network.layers")


def session_megabytes(n: int, layers: list[int]) -> float:
    """Estimated memory of one trace and its views: float64 stages plus float32 payload."""
    dims = [layers[0]] + [w for w in layers[1:] for _ in range(2)]  # linear + activation
    per_point = 8 * sum(dims) + 16 * len(dims) + 64  # trace, views (3-D f32, base64), colours
    return n * per_point / 1e6


def _check_budget(n: int, layers: list[int]) -> None:
    stages = 2 * (len(layers) - 1)  # linear and activation stages after the input
    if n * stages > MAX_DRAWN:
        raise LimitError(f"{n:,} points through {stages} stages is too much for the browser; "
                         f"use at most {MAX_DRAWN // stages:,} points or fewer layers",
                         field="input.points")
    mb = session_megabytes(n, layers)
    if mb > MAX_SESSION_MB:
        most = int(n * MAX_SESSION_MB / mb)
        raise LimitError(f"{n:,} points through widths {','.join(map(str, layers))} need "
                         f"about {mb:,.0f} MB; the cap is {MAX_SESSION_MB} MB per session, "
                         f"use at most {most:,} points or narrower layers",
                         field="input.points")


def _check_params(name: str, params: dict[str, float], n: int | None) -> int | None:
    """Check generator parameters; return the point count they imply (grid) or ``n``."""
    for key, value in params.items():
        if not math.isfinite(value) or abs(value) > MAX_PARAM:
            raise LimitError(f"{key} must be a finite number of magnitude at most "
                             f"{MAX_PARAM:g}, got {value}", field=f"input.params.{key}")
    classes = params.get("classes")
    if name == "spiral" and classes is not None and not 1 <= classes <= MAX_CLASSES:
        raise LimitError(f"classes must be a whole number from 1 to {MAX_CLASSES} in the "
                         f"explorer, got {classes:g}", field="input.params.classes")
    if name == "grid" and n is None:  # the grid's own step sets its count
        low, high = params.get("low", -5.0), params.get("high", 5.0)
        step = params.get("step", 0.1)
        side = (high - low) / step if step > 0 else 0.0  # finite: |values| <= MAX_PARAM
        if side > math.sqrt(MAX_POINTS):
            raise LimitError(f"grid step {step:g} gives more than {MAX_POINTS:,} points; "
                             f"make it at least {(high - low) / math.sqrt(MAX_POINTS):.3g}",
                             field="input.params.step")
        return max(1, math.ceil(side)) ** 2 if side > 0 else None
    return n


def _check_matrix(name: str, value: Any) -> None:
    rows = value if value and isinstance(value[0], list) else [value]
    for row in rows:
        for v in row:
            if not math.isfinite(v) or abs(v) > MAX_WEIGHT:
                raise LimitError(f"{name}: every weight must be a finite number between "
                                 f"-{MAX_WEIGHT:g} and {MAX_WEIGHT:g}, got {v}",
                                 field=f"network.weights.{name}")
