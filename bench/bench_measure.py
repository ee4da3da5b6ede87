"""Benchmark of the measure step, against references measured in the same run.

    .venv/bin/python bench/bench_measure.py                  # everything but relucent
    .venv/bin/python bench/bench_measure.py --only regions   # the region enumerator
    .venv/bin/python bench/bench_measure.py --relucent       # + relucent (minutes)
    .venv/bin/python bench/bench_measure.py --only measures

Prints:
1. exact linear regions of random ReLU networks of the edge-subdivision paper's 2-D shapes,
   2,50,50,1 / 2,32,32,32,32,1 / 2,100,100,1 (torch's default init, seed 0) on +-1,
   against tests/plain_regions.py (one polygon and one neuron at a time, values from the
   torch model): counts (equal), seconds and regions per second of both, best of 3
   interleaved, and spacewarp's count with ``cut_output`` (the output's zero set cut too);
2. networks of tens of thousands of regions, 2,256,256,1 on +-1 (37,357 regions) and
   2,128,128,128,3: seconds, regions per second (target >= 50,000), peak memory
   (tracemalloc: numpy's arrays) and the stage maps' bytes against one map per region;
3. with ``--relucent``: 2,8,8,1 / 2,16,16,16,1 / 2,32,32,32,1 on +-1e6 against relucent
   (the ``bench`` extra: an independent exact enumerator, Gurobi LPs, one worker);
4. Jacobian measures of 1e6 points over every stage of the default network (target < 1 s);
5. ``spacewarp render`` at 1e6 points as a whole process, with and without ``--measures``;
6. regions through training on the course's 2,100,3 spiral classifier, 100 snapshots
   (``spacewarp train`` defaults): the training loop against ``training_regions`` of its
   snapshots in this process, and ``spacewarp train --regions`` against ``spacewarp
   train`` (both ``--no-film``) as whole processes, interleaved: the ratios.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import torch
from torch import nn

from spacewarp.measure import regions

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from plain_regions import plain_regions  # noqa: E402  tests/plain_regions.py

NETS = ([2, 8, 8, 1], [2, 16, 16, 16, 1], [2, 32, 32, 32, 1])
BOX = (-1e6, 1e6, -1e6, 1e6)
PAPER = ([2, 50, 50, 1], [2, 32, 32, 32, 32, 1], [2, 100, 100, 1])  # edge subdivision's 2-D
LARGE = ([2, 256, 256, 1], [2, 128, 128, 128, 3])
UNIT = (-1.0, 1.0, -1.0, 1.0)


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


def bench_plain() -> None:
    """The paper's shapes against the plain reference, interleaved, best of 3."""
    print(f"{'network':>18} {'regions':>8} {'plain':>8} {'spacewarp s':>12} {'plain s':>9} "
          f"{'regions/s':>10} {'ratio':>7} {'+output':>8}")
    for widths in PAPER:
        model = relu_net(widths)
        best_sw, best_ref, n, n_ref = np.inf, np.inf, 0, 0
        for _ in range(3):
            t = time.process_time()
            n = len(regions(model, UNIT))
            best_sw = min(best_sw, time.process_time() - t)
            t = time.process_time()
            n_ref = len(plain_regions(model, UNIT))
            best_ref = min(best_ref, time.process_time() - t)
        cut = len(regions(model, UNIT, cut_output=True))
        flag = "" if n == n_ref else "  COUNTS DIFFER"
        print(f"{','.join(map(str, widths)):>18} {n:>8} {n_ref:>8} {best_sw:>12.4f} "
              f"{best_ref:>9.2f} {n / best_sw:>10,.0f} {best_ref / best_sw:>6.0f}x {cut:>8}"
              f"{flag}", flush=True)
    print("(CPU seconds of this process; load: see the first and last lines)")


def bench_large() -> None:
    """Tens of thousands of regions: seconds, regions/s, peak memory."""
    for widths in LARGE:
        model = relu_net(widths)
        regions(model, UNIT)
        t_best = np.inf
        for _ in range(3):
            t = time.process_time()
            r = regions(model, UNIT)
            t_best = min(t_best, time.process_time() - t)
        tracemalloc.start()
        r = regions(model, UNIT)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        kept = sum(m.at.nbytes + m.c.nbytes + (0 if m.on is None else m.on.nbytes)
                   for m in r.maps)
        full = sum(len(r) * m.c.shape[1] * (r.verts.shape[2] + 1) * 8 for m in r.maps)
        print(f"{','.join(map(str, widths))} on +-1: {len(r):,} regions in {t_best:.3f} s CPU "
              f"(best of 3), {len(r) / t_best:,.0f} regions/s (target >= 50,000); peak "
              f"{peak / 2**20:.0f} MiB; stage maps {kept / 2**20:.0f} MiB kept, "
              f"{full / 2**20:.0f} MiB as one map per region and stage", flush=True)


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


def bench_train_regions(repeat: int = 2) -> None:
    """Regions through training against the training itself (section 6 above)."""
    import spacewarp as sw
    from spacewarp.measure.training_regions import training_regions

    t = time.perf_counter()
    training = sw.train(snapshots=100, progress=False, live=False, device="cpu")
    loop = time.perf_counter() - t
    t = time.perf_counter()
    found = training_regions(training)
    counting = time.perf_counter() - t
    print(f"course's 2,100,3 spiral, 100 snapshots: training loop {loop:.1f} s, regions of "
          f"every snapshot {counting:.1f} s (ratio {counting / loop:.2f}; "
          f"{int(found.total.sum()):,} regions in all)")
    cmd = [sys.executable, "-m", "spacewarp.cli", "train", "--snapshots", "100", "--no-film",
           "--device", "cpu"]
    times: dict[str, list[float]] = {"train": [], "train --regions": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):  # interleaved
            for name, extra in (("train", []), ("train --regions", ["--regions"])):
                t = time.perf_counter()
                subprocess.run([*cmd, *extra, "--out", f"{tmp}/{name[-7:]}{i}"], check=True,
                               capture_output=True, cwd=ROOT)
                times[name].append(time.perf_counter() - t)
    plain, counted = min(times["train"]), min(times["train --regions"])
    print(f"whole process: spacewarp train {plain:.1f} s, spacewarp train --regions "
          f"{counted:.1f} s (ratio {counted / plain:.2f}, best of {repeat} interleaved)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="relucent: the two smaller nets")
    parser.add_argument("--relucent", action="store_true")
    parser.add_argument("--only", choices=["regions", "measures", "train"])
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} (1 min), torch threads {torch.get_num_threads()}")
    if args.only == "train":
        bench_train_regions()
    elif args.only != "measures":
        bench_plain()
        bench_large()
        if args.relucent:
            bench_regions(args.quick)
    if args.only not in ("regions", "train"):
        bench_measures()
        bench_render_process()
        bench_train_regions()
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
