"""Benchmark of the measure step, against references measured in the same run.

    .venv/bin/python bench/bench_measure.py            # regions against relucent (minutes)
    .venv/bin/python bench/bench_measure.py --quick    # relucent only on the two smaller nets
    .venv/bin/python bench/bench_measure.py --only measures   # no relucent

Prints:
1. exact linear regions of random ReLU networks 2,8,8,1 / 2,16,16,16,1 / 2,32,32,32,1
   (torch's default init, seed 0) on the box +-1e6 (it holds every vertex: the count is
   the same on +-1e7), against relucent (the ``bench`` extra: an independent exact
   enumerator, Gurobi LPs, one worker), which counts the regions of the whole plane.
   Targets: equal counts, spacewarp >= 300x faster, the largest under 0.6 s;
2. Jacobian measures of 1e6 points over every stage of the default network (target < 1 s);
3. ``spacewarp render`` at 1e6 points as a whole process, with and without ``--measures``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from spacewarp.measure import regions

ROOT = Path(__file__).resolve().parents[1]
NETS = ([2, 8, 8, 1], [2, 16, 16, 16, 1], [2, 32, 32, 32, 1])
BOX = (-1e6, 1e6, -1e6, 1e6)


def relu_net(widths: list[int], seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1]).double()


def best_of(fn, repeat: int = 3) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def relucent_count(model: nn.Sequential) -> tuple[float, int]:
    import relucent

    t = time.perf_counter()
    cx = relucent.Complex(model)
    cx.bfs(nworkers=1, verbose=0)
    return time.perf_counter() - t, len(cx)


def bench_regions(quick: bool) -> None:
    print(f"{'network':>18} {'regions':>8} {'(+-1e7)':>8} {'spacewarp s':>12} "
          f"{'relucent':>9} {'relucent s':>11} {'ratio':>7}")
    for widths in NETS:
        model = relu_net(widths)
        t_sw, r = best_of(lambda m=model: regions(m, BOX))
        wider = len(regions(model, tuple(10 * b for b in BOX)))
        n = len(r)  # type: ignore[arg-type]
        if quick and widths == NETS[-1]:
            print(f"{','.join(map(str, widths)):>18} {n:>8} {wider:>8} {t_sw:>12.3f} "
                  f"{'-':>9} {'(skipped)':>11}")
            continue
        t_ref, n_ref = relucent_count(model)
        flag = "" if n_ref == n else "  COUNTS DIFFER"
        print(f"{','.join(map(str, widths)):>18} {n:>8} {wider:>8} {t_sw:>12.3f} "
              f"{n_ref:>9} {t_ref:>11.2f} {t_ref / t_sw:>6.0f}x{flag}", flush=True)


def bench_measures() -> None:
    from spacewarp.config.experiment import validated
    from spacewarp.measure import measures
    from spacewarp.pipeline import run

    small = run(validated({"input": {"points": 1000}, "device": "cpu"}))
    measures(small)  # first calls of torch.func
    trace = run(validated({"input": {"points": 1_000_000}, "device": "cpu"}))
    cpu = time.process_time()
    t, m = best_of(lambda: measures(trace), repeat=3)
    cpu = (time.process_time() - cpu) / 3
    print(f"Jacobian measures, 1e6 points, {len(trace.stages)} stages of the default network: "
          f"{t:.3f} s wall (best of 3), {cpu:.3f} s CPU (mean) (target < 1 s)", flush=True)


def bench_render_process() -> None:
    """``spacewarp render`` at 1e6 points as a whole process, with and without --measures."""
    cmd = [sys.executable, "-m", "spacewarp.cli", "render", "--points", "1e6", "--device", "cpu"]
    with tempfile.TemporaryDirectory() as tmp:
        times = {}
        for name, extra in (("render", []), ("render --measures", ["--measures"])):
            t = time.perf_counter()
            subprocess.run([*cmd, *extra, "--out", f"{tmp}/{len(times)}"], check=True,
                           capture_output=True, cwd=ROOT)
            times[name] = time.perf_counter() - t
    print(f"whole process at 1e6 points: render {times['render']:.2f} s, render --measures "
          f"{times['render --measures']:.2f} s "
          f"(+{times['render --measures'] - times['render']:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["regions", "measures"])
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} (1 min), torch threads {torch.get_num_threads()}")
    if args.only != "measures":
        bench_regions(args.quick)
    if args.only != "regions":
        bench_measures()
        bench_render_process()
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
