"""Budgets checked before work: memory and rough time estimated from the experiment.

Every estimate is made from what the experiment declares (counts, widths, grid
parameters, data files' headers, film length and size), before a point is generated or
a byte of data read. Over a cap, ``LimitError`` says the numbers and what to do, in one
line. Caps: ``MEMORY_CAP`` bytes and ``TIME_CAP`` seconds, or the environment's
``SPACEWARP_MAX_MEMORY_MB`` and ``SPACEWARP_MAX_SECONDS``. Torch-free.

The cost model (measured on a 2-core machine; rough on purpose, within a factor of 2):

- trace: every stage is (n, d_k) float64, kept once by the trace and once more by the
  views and drawings: ``2 x 8 n sum(d_k)`` bytes over a 300 MB base (measured: 513 MB at
  1e6 points, 915 MB at 3e6 through 2,3,3,2); the forward pass is ``2 n sum(w_i w_i+1)``
  flops;
- views of stages wider than 3-D: a projection costs about ``n d^2`` per stage and view;
- weights.txt: singular values cost about ``m n min(m, n)`` per linear layer;
- a film: the views' positions, a timeline entry per frame, one (H, W, 3) frame; each
  frame costs its drawing and encoding.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .config import names
from .config.numbers import MAX_POINTS
from .errors import LimitError

if TYPE_CHECKING:
    from .config.experiment import Experiment, InputSpec

MEMORY_CAP = 2 * 10**9  # bytes: a laptop's spare memory
TIME_CAP = 120.0  # seconds of estimated work before anything is written
BASE_BYTES = 300e6  # torch, numpy and matplotlib loaded (measured: 1e6 points peak 513 MB)
BASE_SECONDS = 2.0  # imports and the first figure
FLOPS = 2e9  # matrix work per second (float64, one core of a laptop)
PROJECTION = 3e10  # n d^2 units of projection per second (measured: 1000 x 4096^2 in 0.55 s)
SVD = 5e9  # m n min(m, n) units of SVD per second (measured: 4096^2 in 14 s)
DRAW = 5e6  # points drawn per second per panel (raster splats above ~1e5 points)
FRAME = 0.02  # seconds to draw and encode one film frame, before its points
FRAME_POINTS = 5e6  # film points drawn per second


def memory_cap() -> float:
    return _env("SPACEWARP_MAX_MEMORY_MB", 1e6) or MEMORY_CAP


def time_cap() -> float:
    return _env("SPACEWARP_MAX_SECONDS", 1.0) or TIME_CAP


def _env(name: str, unit: float) -> float | None:
    text = os.environ.get(name, "")
    try:
        value = float(text) * unit
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


@dataclass(frozen=True)
class Estimate:
    """What a piece of work costs: peak bytes and seconds, and what it is, in words."""

    bytes: float
    seconds: float
    what: str  # "2 x 4096 x 4096 weights at 1e4 points"

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate(self.bytes + other.bytes, self.seconds + other.seconds, self.what)


def point_count(spec: InputSpec) -> tuple[int, int]:
    """(n, d) of the input, from the config alone: counts, grid parameters, file headers.

    For points on a slice: their count, and the data's width (the network's input)."""
    if spec.slice is not None:
        return _slice_count(spec), data_shape(spec.model_copy(update={"points": None}))[1]
    return data_shape(spec)


def _slice_count(spec: InputSpec) -> int:
    from .inputs.points import grid_side  # numpy-only
    from .inputs.slice import slice_dim
    from .inputs.sliced import GRID_POINTS, LINE_POINTS

    if slice_dim(spec.slice or "") == 1:
        return spec.points or LINE_POINTS
    if (spec.slice_points or "grid") == "grid":
        return grid_side(spec.points or GRID_POINTS) ** 2
    return spec.points or names.DEFAULT_COUNTS.get(spec.slice_points or "", 1000)


def slice_cost(spec: InputSpec) -> Estimate:
    """Reading the data a slice goes through, and its principal directions (an SVD)."""
    rows, dim = data_shape(spec.model_copy(update={"points": None}))
    return Estimate(3 * 8.0 * rows * dim, rows * dim * min(rows, dim) / SVD,
                    f"a slice through {_count(rows)} rows of {dim}")


def data_shape(spec: InputSpec) -> tuple[int, int]:
    """(n, d) of the input set itself."""
    if spec.name == "file":
        from .inputs.datafile import declared_shape

        rows, dim = declared_shape(spec.path or "")
        return (min(spec.points, rows) if spec.points else rows), dim
    dim = names.INPUT_DIMS.get(spec.name, 2)
    if spec.name == "grid":
        from .inputs.points import grid_side  # numpy-only; checks the step before any array

        p = spec.params
        side = grid_side(spec.points, low=p.get("low", -5.0), high=p.get("high", 5.0),
                         step=p.get("step", 0.1))
        return side * side, dim
    return spec.points or names.DEFAULT_COUNTS.get(spec.name, 1000), dim


def widths_of(experiment: Experiment, dim: int) -> list[int]:
    return experiment.network.layers or {1: [1, 2, 1], 2: [2, 3, 3, 2]}.get(dim, [dim, 3, 3, dim])


def trace_cost(n: int, widths: list[int], *, weights_text: bool = True) -> Estimate:
    """Memory and time to trace ``n`` points through ``widths`` and draw every stage."""
    # stages: the input, then each layer's linear output and (but the last) its activation
    dims = [widths[0]] + [w for w in widths[1:-1] for _ in (0, 1)] + [widths[-1]]
    pairs = list(zip(widths[:-1], widths[1:], strict=True))
    stage_bytes = 8.0 * n * sum(dims)
    param_bytes = 8.0 * sum(a * b for a, b in pairs)
    seconds = (2.0 * n * sum(a * b for a, b in pairs) / FLOPS
               + 3 * sum(n * d * d for d in dims if d > 3) / PROJECTION
               + n * len(dims) * 2 / DRAW)
    if weights_text:
        seconds += sum(a * b * min(a, b) for a, b in pairs) / SVD
    wide = max(widths)
    hidden = [w for w in widths[1:-1] if w == wide]
    what = (f"{' x '.join(map(str, hidden))} weights" if len(hidden) > 1 and wide > 64
            else f"layers {','.join(map(str, widths))}" if len(widths) <= 8
            else f"{len(pairs)} layers up to {wide} wide")
    return Estimate(BASE_BYTES + 2 * stage_bytes + 2 * param_bytes, BASE_SECONDS + seconds,
                    f"{what} at {_count(n)} points")


def film_cost(n: int, stages: int, frames: int, size: tuple[int, int]) -> Estimate:
    """A film of ``frames`` frames of ``size`` showing ``n`` points through ``stages`` stages."""
    w, h = size
    memory = 8.0 * 3 * n * stages + 200.0 * frames + 4.0 * w * h  # views, timeline, a frame
    seconds = frames * (FRAME + n / FRAME_POINTS + w * h / 5e7)
    return Estimate(memory, seconds, f"{_count(frames)} frames of {w}x{h} with "
                                     f"{_count(n)} points")


def check(estimate: Estimate, advice: str, field: str = "input.points") -> None:
    """Refuse ``estimate`` when over a cap, with the numbers and ``advice`` in one line."""
    mem_cap, sec_cap = memory_cap(), time_cap()
    if estimate.bytes <= mem_cap and estimate.seconds <= sec_cap:
        return
    over = (f"the cap is {_bytes(mem_cap)}" if estimate.bytes > mem_cap
            else f"the cap is {_seconds(sec_cap)}")
    raise LimitError(f"{estimate.what} need about {_bytes(estimate.bytes)} and "
                     f"{_seconds(estimate.seconds)}; {over}, {advice}", field=field)


def check_experiment(experiment: Experiment) -> tuple[int, list[int]]:
    """Refuse an experiment whose trace and stills would be over the caps; (n, widths)."""
    n, dim = point_count(experiment.input)
    if n > MAX_POINTS:
        raise LimitError(f"the input has {n:,} points; at most {MAX_POINTS:,}, use --points "
                         f"{MAX_POINTS // 10:,} or fewer", field="input.points")
    widths = widths_of(experiment, dim)
    cost = trace_cost(n, widths)
    if experiment.input.slice is not None:
        cost = cost + slice_cost(experiment.input)
    fewer = max(1, _fewer(n, cost))
    check(cost, f"use --points {_flag_number(fewer)} or narrower layers")
    return n, widths


def check_film(n: int, stages: int, frames: int, size: tuple[int, int],
               field: str = "film.frames_per_stage") -> None:
    """Refuse a film over the caps before a frame is drawn (``field``: the length's flag)."""
    cost = film_cost(n, stages, frames, size)
    check(cost, "use fewer --frames-per-stage or --seconds, a smaller --size or --points",
          field)


def _fewer(n: int, cost: Estimate) -> int:
    """A point count under both caps, by the estimate's proportion (rounded to 1-2-5)."""
    share = min(memory_cap() / max(cost.bytes, 1.0), time_cap() / max(cost.seconds, 1e-9))
    target = n * share * 0.8
    for m in (5, 2, 1):
        for e in range(7, -1, -1):
            if m * 10**e <= target:
                return m * 10**e
    return 1


def _flag_number(n: int) -> str:
    """A count as a flag takes it: ``5000`` or ``5e6``, never ``5,000``."""
    return str(n) if n < 100_000 else f"{n / 10 ** (len(str(n)) - 1):g}e{len(str(n)) - 1}"


def _count(n: float) -> str:
    if n >= 10_000 and n == 10 ** round(math.log10(n)):
        return f"1e{round(math.log10(n))}"
    return f"{n:,.0f}" if n < 1e7 else f"{n:.2g}"


def _bytes(b: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if b >= size:
            return f"{b / size:.3g} {unit}"
    return f"{b / 1e3:.3g} kB"


def _seconds(s: float) -> str:
    if s >= 5400:
        return f"{s / 3600:.3g} h"
    if s >= 90:
        return f"{s / 60:.0f} min"
    return f"{s:.0f} s" if s >= 1 else "under a second"
