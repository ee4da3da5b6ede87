"""Budgets checked before work: memory and time estimated from the experiment.

Every estimate is made from what the experiment declares (counts, widths, grid
parameters, data files' headers, film length and size), before a point is generated or
a byte of data read. Over a cap, ``LimitError`` says the numbers and what to do, in one
line. Caps: ``MEMORY_CAP`` bytes and ``TIME_CAP`` seconds, or the environment's
``SPACEWARP_MAX_MEMORY_MB`` and ``SPACEWARP_MAX_SECONDS``. Torch-free.

The time model is a table of measured rates (``RATES``: seconds per unit of matrix work;
``COMMANDS``: seconds per command, stage, picture and point drawn), calibrated by
``bench/bench_budget.py`` on the 2-core machine as CPU seconds (user + system, best of 3:
on a quiet machine an upper bound on the wall time) and checked by a test against a
measured run, within a factor of 2. What costs time:

- the forward pass: ``n sum(w_i w_i+1)`` multiply-adds;
- a stage wider than 3-D is shown through a PCA: each fit builds the (D, D) scatter
  matrix (``m D^2`` multiply-adds, m = min(n, 50,000) rows) and takes its eigenvectors
  (``D^3`` at the "eigh" rate); render fits each wide stage once (its fit is remembered
  for every picture), html 3 times plus 2, animate 2 times plus 2 (counted in the code,
  by np.linalg.eigh calls: 2, 5 and 3 for 2,512,2);
- render's weights.txt: each linear layer's singular values (``m n min(m, n)``) and its
  matrix in full up to 1e6 numbers;
- a slice (``slice_cost``): passes over the (R, D) data (its range, Gram-Schmidt, each
  row's foot and offset for hover), and for ``pca`` and ``I`` the (D, D) scatter matrix
  of the centred data, built a block of rows at a time (``R D min(R, D)`` multiply-adds,
  its eigh, and per number); made before any point, so fewer points do not help: over
  the caps, the advice names the data's rows;
- pictures: render draws every stage once (its own PNG, which stages.png reuses; a wide
  stage's panel costs more), html encodes every stage once, a film draws every point in
  every frame (``film_cost``).

Memory: every stage is (n, d_k) float64, kept once by the trace and once more by the
views and drawings, over a 300 MB base (measured: 513 MB at 1e6 points, 915 MB at 3e6
through 2,3,3,2); the parameters twice; a wide stage's PCA holds three (D, D) matrices
(measured: 1.30 GB peak for 2,4096,4096,2 at 1,000 points, estimated 1.37 GB).
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
FIT_ROWS = 50_000  # a PCA fits at most this many rows (view.coords.FIT_ROWS)
FULL_MATRIX = 10**6  # weights.txt prints a matrix in full up to this many numbers

# CPU seconds per unit of work (bench/bench_budget.py; 2-core machine, float64, at load 9-13)
RATES = {
    "multiply-add": 7e-11,  # a matrix product: the forward pass, a PCA's scatter matrix
    "eigh": 6e-10,  # per D^3: the eigenvectors of a wide stage's (D, D) scatter matrix
    # (quiet machine: 6.1e-10 at D = 512, 3.7e-10 at 768, 3.3e-10 at 1024; at load 9-13
    # contention made it 2.0e-9 at 768, and the estimates of 2,512,2 twice a quiet run)
    "svd": 2.5e-9,  # per m n min(m, n): a weight matrix's singular values (weights.txt)
    "printed number": 1e-5,  # weights.txt writes a matrix of up to 1e6 numbers in full
    # building a slice (inputs.slice.make_frame), per number of the (R, D) data: its range,
    # Gram-Schmidt, the nearest-row feet and offsets (0.57-0.73 CPU s for 1e5 rows of 784,
    # 0.32 s for 1e5 of 256, 0.11 s for 1e5 of 64, at load 2-6)
    "slice number": 1e-8,
    # pca and I: besides the scatter matrix's multiply-adds and its eigh, per number of the
    # (R, D) data: the mean, the centring and the spreads (5.1 CPU s for 1e5 rows of 784,
    # 1.9 s for 1e5 of 256, 0.20 s for 1e5 of 64, 1.1 s for 2e4 of 784, at load 4-5)
    "principal number": 3e-8,
}


@dataclass(frozen=True)
class CommandCost:
    """What a command costs besides its matrix work: CPU seconds, measured per command."""

    base: float  # imports, the first figure, the files
    per_stage: float  # one stage's view, title and arrays
    per_picture: float  # render: one PNG; animate: one frame (``film_cost``); html: -
    per_point: float  # one point of one stage drawn (or encoded) once
    per_wide_panel: float  # a stage wider than 3-D drawn once (its PCA view and title)
    draws: int  # how many times each stage's points are drawn: render and html once
    # (its picture, which stages.png reuses; the page); a film counts its frames instead
    fits: tuple[int, int]  # PCA fits: (per stage wider than 3-D, once more per command)


COMMANDS = {  # measured: bench/bench_budget.py's runs, the best of 3 each
    "trace": CommandCost(2.0, 0.0, 0.0, 0.0, 0.0, 0, (0, 0)),  # the api: trace only
    # the commands' bases fell by 0.6 s when their exit stopped walking every object
    # (cli.entry); render's: 6 stages of 1e3 points 2.3-2.5 CPU s, 14 stages 2.9-3.3,
    # 6 of 1e5 points 2.5-2.7, 2,512,2 2.5-2.6 (quiet, after each stage was drawn once)
    "render": CommandCost(1.9, 0.03, 0.05, 3e-7, 0.12, 1, (1, 0)),
    "html": CommandCost(1.5, 0.02, 0.0, 7e-7, 0.0, 1, (3, 2)),
    # films: re-measured after frames kept their projections and splat buffers (2,512,2 at
    # 1e3 points, 100 frames of 800x600: 3.0-4.4 CPU s at load 2-4; 1e5 points x 120 frames:
    # 1.3 CPU s beyond the import floor, bench_animate); then 0.6 s less of exit
    "animate": CommandCost(2.0, 0.05, 0.007, 1.5e-7, 0.0, 0, (2, 2)),
}
FRAME_PIXEL = 1.2e-8  # seconds per pixel of a film frame (raw RGBA to ffmpeg, x264 encoding)


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


def shown_rows(spec: InputSpec) -> int:
    """The data rows a slice traced with ``show_data`` carries beside its points; 0 else."""
    if spec.slice is None or not spec.show_data:
        return 0
    return data_shape(spec.model_copy(update={"points": None}))[0]


def slice_cost(spec: InputSpec) -> Estimate:
    """Building the slice through the (R, D) data: the data held once, passes over it (its
    range, Gram-Schmidt, each row's foot and offset for hover); for ``pca`` and ``I`` also
    the principal directions: the eigenvectors of the (D, D) scatter matrix built from
    blocks of ``BLOCK_ROWS`` centred rows (``R D^2`` multiply-adds, ``D^3`` eigh), or for
    R < D of the (R, R) Gram matrix of a centred copy (measured for 1e5 rows of 784: 5.1
    CPU s and 116 MB beside the data, where the SVD it replaced took 48 s and 2.5 GB)."""
    from .inputs.slice import BLOCK_ROWS, slice_rows  # numpy-only

    rows, dim = data_shape(spec.model_copy(update={"points": None}))
    numbers = float(rows) * dim
    seconds, held = numbers * RATES["slice number"], 1.1 * 8.0 * numbers
    if len(slice_rows(spec.slice or "")) < 2:  # pca, I: principal directions
        small = float(min(rows, dim))
        seconds += (numbers * small * RATES["multiply-add"] + small**3 * RATES["eigh"]
                    + numbers * RATES["principal number"])
        blocks = 2.0 * min(rows, BLOCK_ROWS) * dim if rows >= dim else numbers  # centred
        held += 8.0 * (blocks + 3.0 * small**2)
    return Estimate(held, seconds, f"a slice through {_count(rows)} rows of {dim}")


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


def stage_widths(widths: list[int]) -> list[int]:
    """Each stage's width: the input, then each layer's linear output and (but the last)
    its activation: ``[2, 4096, 2] -> [2, 4096, 4096, 2]``."""
    return [widths[0]] + [w for w in widths[1:-1] for _ in (0, 1)] + [widths[-1]]


def trace_cost(n: int, widths: list[int], work: str = "render") -> Estimate:
    """Memory and time to trace ``n`` points through ``widths`` and do ``work`` with every
    stage: ``trace`` (the api), ``render``, ``html`` or ``animate`` (its frames: ``film_cost``)."""
    cost = COMMANDS[work]
    dims = stage_widths(widths)
    pairs = list(zip(widths[:-1], widths[1:], strict=True))
    wide = [d for d in dims if d > 3]
    fit_dims = wide * cost.fits[0] + [max(dims)] * (cost.fits[1] if wide else 0)
    rows = min(n, FIT_ROWS)
    seconds = (cost.base + RATES["multiply-add"] * (n * sum(a * b for a, b in pairs)
                                                    + sum(rows * d * d for d in fit_dims))
               + RATES["eigh"] * sum(float(d) ** 3 for d in fit_dims)
               + cost.per_stage * len(dims) + cost.per_point * cost.draws * n * len(dims)
               + cost.per_wide_panel * cost.draws * len(wide))
    if work == "render":  # weights.txt, and a picture per stage besides stages.png
        seconds += (RATES["svd"] * sum(a * b * min(a, b) for a, b in pairs)
                    + RATES["printed number"] * sum(a * b for a, b in pairs
                                                    if a * b <= FULL_MATRIX)
                    + cost.per_picture * (len(dims) + 1))
    memory = (BASE_BYTES + 2 * 8.0 * n * sum(dims) + 2 * 8.0 * sum(a * b for a, b in pairs)
              + (3 * 8.0 * max(fit_dims) ** 2 if fit_dims else 0.0))
    return Estimate(memory, seconds, f"{_what(widths)} at {_count(n)} points")


def _what(widths: list[int]) -> str:
    """"4096 x 4096 weights", "layers 2,3,3,2" or "9 layers up to 512 wide"."""
    wide = max(widths)
    hidden = [w for w in widths[1:-1] if w == wide]
    if len(hidden) > 1 and wide > 64:
        return f"{' x '.join(map(str, hidden))} weights"
    if len(widths) <= 8:
        return f"layers {','.join(map(str, widths))}"
    return f"{len(widths) - 1} layers up to {wide} wide"


def film_cost(n: int, stages: int, frames: int, size: tuple[int, int]) -> Estimate:
    """A film of ``frames`` frames of ``size`` showing ``n`` points through ``stages`` stages."""
    w, h = size
    film = COMMANDS["animate"]
    memory = 8.0 * 3 * n * stages + 200.0 * frames + 4.0 * w * h  # views, timeline, a frame
    seconds = frames * (film.per_picture + n * film.per_point + w * h * FRAME_PIXEL)
    return Estimate(memory, seconds, f"{_count(frames)} frames of {w}x{h} with "
                                     f"{_count(n)} points")


def command_seconds(work: str, n: int, widths: list[int], frames: int = 0,
                    size: tuple[int, int] = (800, 600)) -> float:
    """The estimated seconds of a whole command: its trace and stages, and its film."""
    seconds = trace_cost(n, widths, work).seconds
    if frames:
        seconds += film_cost(n, len(stage_widths(widths)), frames, size).seconds
    return seconds


def check(estimate: Estimate, advice: str, field: str = "input.points") -> None:
    """Refuse ``estimate`` when over a cap, with the numbers and ``advice`` in one line."""
    mem_cap, sec_cap = memory_cap(), time_cap()
    if estimate.bytes <= mem_cap and estimate.seconds <= sec_cap:
        return
    over = (f"the cap is {_bytes(mem_cap)}" if estimate.bytes > mem_cap
            else f"the cap is {_seconds(sec_cap)}")
    raise LimitError(f"{estimate.what} need about {_bytes(estimate.bytes)} and "
                     f"{_seconds(estimate.seconds)}; {over}, {advice}", field=field)


def check_experiment(experiment: Experiment, work: str = "trace") -> tuple[int, list[int]]:
    """Refuse an experiment whose trace and ``work`` (``COMMANDS``) would be over the caps;
    (n, widths)."""
    n, dim = point_count(experiment.input)
    if n > MAX_POINTS:
        raise LimitError(f"the input has {n:,} points; at most {MAX_POINTS:,}, use --points "
                         f"{MAX_POINTS // 10:,} or fewer", field="input.points")
    widths = widths_of(experiment, dim)
    n += shown_rows(experiment.input)  # --show-data: the data rows go through every stage too
    cost = trace_cost(n, widths, work)
    building = Estimate(0.0, 0.0, "")  # a slice's, made before any point: fewer points keep it
    if experiment.input.slice is not None:
        building = slice_cost(experiment.input)
        cost = Estimate(cost.bytes + building.bytes, cost.seconds + building.seconds,
                        f"{building.what} and {cost.what}")
        if not _fits(building + trace_cost(1, widths, work)):  # the data alone are over
            check(cost, _slice_advice(experiment.input, trace_cost(1, widths, work)),
                  field="input.slice")
    if _fits(building + trace_cost(1, widths, work)):  # fewer points can bring it under
        fewer = _fewer(n, widths, work, building)
        check(cost, f"use --points {_flag_number(fewer)} or narrower layers")
    else:  # the layers alone are over: their PCA and weights cost the same at any count
        check(cost, _narrower(n, widths, work), field="network.layers")
    return n, widths


def check_film(n: int, stages: int, frames: int, size: tuple[int, int],
               field: str = "film.frames_per_stage") -> None:
    """Refuse a film over the caps before a frame is drawn (``field``: the length's flag)."""
    cost = film_cost(n, stages, frames, size)
    check(cost, "use fewer --frames-per-stage or --seconds, a smaller --size or --points",
          field)


def _fits(estimate: Estimate) -> bool:
    return estimate.bytes <= memory_cap() and estimate.seconds <= time_cap()


def _narrower(n: int, widths: list[int], work: str) -> str:
    """"use narrower layers (at most 1024 wide)": the widest power of 2 for every hidden
    layer that fits at ``n`` points, or that fits with fewer points, and how many."""
    wide = 2 ** max(widths).bit_length()
    while wide > 4:
        wide //= 2
        capped = [widths[0]] + [min(w, wide) for w in widths[1:-1]] + [widths[-1]]
        if _fits(trace_cost(n, capped, work)):
            return f"use narrower layers (at most {wide} wide)"
        if _fits(trace_cost(1, capped, work)):
            return (f"use narrower layers (at most {wide} wide) and --points "
                    f"{_flag_number(_fewer(n, capped, work))}")
    return "use fewer layers"


def _slice_advice(spec: InputSpec, least: Estimate) -> str:
    """What brings a slice whose data alone (with ``least``: the trace of one point) are
    over the caps under them: through rows where that fits (no principal directions)."""
    from .inputs.slice import slice_rows  # numpy-only

    if len(slice_rows(spec.slice or "")) < 2:
        through_rows = slice_cost(spec.model_copy(update={"slice": "0,1,2"}))
        if _fits(through_rows + least):
            return ("give the slice through rows (I,J,K: no principal directions of the "
                    "data) or use fewer data rows")
    return "use fewer data rows"


def _fewer(n: int, widths: list[int], work: str,
           extra: Estimate = Estimate(0.0, 0.0, "")) -> int:
    """A point count under both caps (rounded down to 1-2-5): the estimate is a fixed part
    (``extra`` too: a slice's making) plus a part in proportion to the points, so the count
    is solved for, with 20% spare."""
    fixed, full = trace_cost(1, widths, work) + extra, trace_cost(n, widths, work) + extra
    share = min((memory_cap() - fixed.bytes) / max(full.bytes - fixed.bytes, 1.0),
                (time_cap() - fixed.seconds) / max(full.seconds - fixed.seconds, 1e-9))
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
