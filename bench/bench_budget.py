"""Calibrates spacewarp.budget's time table: measured CPU seconds per unit of work.

    .venv/bin/python bench/bench_budget.py [--quick]

Prints, beside each rate of ``budget.RATES`` and ``budget.COMMANDS``, the rate measured
here (CPU seconds of one process, user + system, best of 3: robust to a loaded machine,
and on a quiet 2-core machine an upper bound on the wall time), then each command's
estimate against a measured run of a few experiments (the ratio should stay in [0.5, 2]).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

from spacewarp import budget

QUICK = "--quick" in sys.argv
REPEATS = 2 if QUICK else 3


def best_cpu(work: Callable[[], object]) -> float:
    """The least CPU seconds of ``REPEATS`` calls of ``work`` (this process's threads)."""
    times = []
    for _ in range(REPEATS):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return min(times)


def rates() -> dict[str, float]:
    """Seconds per unit of each kind of matrix work and per printed number."""
    rng = np.random.default_rng(0)
    import torch

    x, w = torch.randn(1000, 1024, dtype=torch.float64), torch.randn(1024, 1024,
                                                                    dtype=torch.float64)
    points = rng.normal(size=(1000, 768))
    scatter = points.T @ points
    weight = rng.normal(size=(300, 300))
    multiply_add = best_cpu(lambda: x @ w) / (1000 * 1024 * 1024)
    return {
        "multiply-add": multiply_add,
        "eigh": best_cpu(lambda: np.linalg.eigh(scatter)) / 768**3,
        "svd": best_cpu(lambda: np.linalg.svd(scatter, compute_uv=False)) / 768**3,
        "printed number": best_cpu(lambda: np.array2string(
            weight, precision=4, separator=", ", threshold=10**6)) / weight.size,
        **slice_rates(rng, multiply_add),
    }


def slice_rates(rng: np.random.Generator, multiply_add: float) -> dict[str, float]:
    """A slice's making per number of the data (through rows: 1e5 rows of 256), and the
    principal directions' passes per number (1e5 rows of 256, the rows' part and the
    scatter matrix's ``R D^2`` multiply-adds subtracted)."""
    from spacewarp.inputs.slice import make_frame

    rows = rng.random((100_000, 256))
    per_number = best_cpu(lambda: make_frame(rows, "0,1,2")) / rows.size
    principal = best_cpu(lambda: make_frame(rows, "pca")) - rows.size * 256 * multiply_add
    return {"slice number": per_number,
            "principal number": max(principal / rows.size - per_number, 0.0)}


def command_cpu(command: list[str]) -> float:
    """The least CPU seconds of ``REPEATS`` runs of ``spacewarp COMMAND`` (a subprocess)."""
    times = []
    for _ in range(REPEATS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "spacewarp.cli", *command], check=True,
                       capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return min(times)


RUNS = [  # (command, points, layers, film frames per stage)
    ("render", 1000, [2, 3, 3, 2], None),
    ("render", 1000, [2, 3, 3, 3, 3, 3, 3, 2], None),
    ("render", 100_000, [2, 3, 3, 2], None),
    ("render", 1000, [2, 512, 2], None),
    ("html", 1000, [2, 3, 3, 2], None),
    ("html", 1000, [2, 3, 3, 3, 3, 3, 3, 2], None),
    ("html", 100_000, [2, 3, 3, 2], None),
    ("html", 1000, [2, 512, 2], None),
    ("animate", 1000, [2, 3, 3, 2], 5),
    ("animate", 1000, [2, 3, 3, 2], 25),
    ("animate", 30_000, [2, 3, 3, 2], 5),
]


def film_frames(layers: list[int], per_stage: int | None) -> int:
    """The frames of ``spacewarp animate --frames-per-stage K`` (25 fps, holds of 0.5 s)."""
    if per_stage is None:
        return 0
    stages = len(budget.stage_widths(layers))
    return (stages - 1) * per_stage + stages * round(0.5 * 25)


def main() -> None:
    for name, value in rates().items():
        print(f"{name:15s} measured {value:.3g} s   table {budget.RATES[name]:.3g} s")
    runs = RUNS[::3] if QUICK else RUNS
    for command, n, layers, frames in runs:
        with tempfile.TemporaryDirectory() as tmp:
            out = f"{tmp}/out" + {"render": "", "html": ".html", "animate": ".mp4"}[command]
            argv = [command, "--points", str(n), "--layers", ",".join(map(str, layers)),
                    "--out", out] + ([] if frames is None else ["--frames-per-stage",
                                                                str(frames)])
            measured = command_cpu(argv)
        estimate = budget.command_seconds(command, n, layers, film_frames(layers, frames))
        print(f"{command:8s} {n:>7,} points {','.join(map(str, layers)):18s} measured "
              f"{measured:6.2f} s  estimate {estimate:6.2f} s  ratio {estimate / measured:.2f}")


if __name__ == "__main__":
    main()
