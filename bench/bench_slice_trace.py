"""A slice of the digits through the digits CNN: spacewarp's trace against a plain forward.

    .venv/bin/python bench/bench_slice_trace.py            # 1e5 points on the plane 0,6,8
    .venv/bin/python bench/bench_slice_trace.py --quick    # 1e4 points

The CNN has ``examples/digits_cnn.py``'s shape (Conv2d 1->8, ReLU, MaxPool, Conv2d 8->16,
ReLU, MaxPool, Flatten, Linear 64->10; its untrained weights cost the same). The points are
a grid on the plane through rows 0, 6 and 8 of ``--input digits``. The reference is the
plain forward of the same points, ``model(origin + u @ axes)`` reshaped to (n, 1, 8, 8),
float64 under no_grad: what a user would run. spacewarp's trace (``sw.trace``: torch.fx
capture, the slice's map, every stage kept as a float64 (n, d_k) array) is timed in the
same run, the two interleaved, best of ``--repeats`` each. Target: ratio <= 1.5.

Peak memory: each side run once in a fresh interpreter, its peak resident set (VmHWM)
above its resident set before the call.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

import spacewarp as sw
from spacewarp.inputs.sliced import on_slice

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "digits_cnn.py"


def digits_cnn() -> torch.nn.Module:
    """The example's DigitsCNN, float64, eval mode, seeded weights."""
    spec = importlib.util.spec_from_file_location("digits_cnn", EXAMPLE)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    torch.manual_seed(0)
    return module.DigitsCNN().double().eval()


def interleaved(plain: Callable[[], object], traced: Callable[[], object],
                repeats: int) -> tuple[float, float]:
    """The best time of each, run turn about so that load changes hit both alike."""
    best = [float("inf"), float("inf")]
    for _ in range(repeats):
        for i, fn in enumerate((plain, traced)):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best[0], best[1]


def _status(key: str) -> int:
    """A /proc/self/status line's value in bytes (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def peak_bytes(side: str, quick: bool) -> int:
    """The peak resident memory one call of ``side`` ("plain" or "trace") adds, measured in
    a fresh interpreter (a forked child of a process that ran torch's threads can hang)."""
    flags = [sys.executable, __file__, "--peak", side] + (["--quick"] if quick else [])
    done = subprocess.run(flags, capture_output=True, text=True, check=True, timeout=900)
    return int(done.stdout.split()[-1])


def measure_peak(fn: Callable[[], object]) -> None:
    """Prints the bytes ``fn`` adds to this process's peak resident set."""
    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark from here
    start = _status("VmRSS")
    fn()
    print(_status("VmHWM") - start)


def setup(n: int) -> tuple[torch.nn.Module, sw.Points, torch.Tensor]:
    """The model, the points on the plane 0,6,8 as (1, 8, 8) images, and the plain
    forward's input (n, 1, 8, 8) float64."""
    model = digits_cnn()
    pts = replace(on_slice(sw.make_points("digits"), "0,6,8", n=n), image_shape=(1, 8, 8))
    x = torch.from_numpy(pts.frame.inputs(pts.x).reshape(-1, 1, 8, 8))
    return model, pts, x


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--peak", choices=("plain", "trace"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = 10_000 if args.quick else 100_000
    model, pts, x = setup(n)

    def plain() -> object:
        with torch.no_grad():
            return model(x)

    def traced() -> object:
        return sw.trace(model, pts, device="cpu")

    if args.peak:
        measure_peak(plain if args.peak == "plain" else traced)
        return
    plain(), traced()  # warm up (fx capture's first run, allocator)
    t_plain, t_trace = interleaved(plain, traced, args.repeats)
    t = traced()
    stage_bytes = sum(s.points.nbytes for s in t.stages)
    print(f"load (1-min average): {os.getloadavg()[0]:.2f}; torch threads "
          f"{torch.get_num_threads()}")
    print(f"digits CNN, plane 0,6,8, {pts.n:,} points, {len(t.stages)} stages, widths "
          f"{','.join(str(s.dim) for s in t.stages)}")
    print(f"plain forward (float64, no_grad)   {t_plain * 1e3:8.1f} ms")
    print(f"spacewarp trace (capture + stages) {t_trace * 1e3:8.1f} ms")
    print(f"ratio trace / forward: {t_trace / t_plain:.2f} (target <= 1.5)")
    print(f"peak memory added: forward {peak_bytes('plain', args.quick) / 2**20:,.0f} MiB, "
          f"trace {peak_bytes('trace', args.quick) / 2**20:,.0f} MiB (its stages hold "
          f"{stage_bytes / 2**20:,.0f} MiB as float64)")
    np.testing.assert_allclose(t.output, plain().numpy(), atol=1e-9)  # the same numbers


if __name__ == "__main__":
    main()
