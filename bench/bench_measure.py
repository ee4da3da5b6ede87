"""Benchmark of the measure step, against references measured in the same run.

    .venv/bin/python bench/bench_measure.py                  # everything but relucent
    .venv/bin/python bench/bench_measure.py --only regions   # the region enumerator
    .venv/bin/python bench/bench_measure.py --relucent       # + relucent (minutes)
    .venv/bin/python bench/bench_measure.py --only measures
    .venv/bin/python bench/bench_measure.py --only peer      # against edge subdivision

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
   snapshots in this process (wall and CPU seconds; the regions once more, warm), and
   ``spacewarp train --regions`` against ``spacewarp train`` (both ``--no-film``) as
   whole processes, interleaved: the ratios;
7. ``--only peer``: against edge subdivision (Berzins 2023) on its own trained 2-D models,
   2 -> 50 x2 / 32 x4 / 100 x2 -> 1, from a local clone of arturs-berzins/
   relu_edge_subdivision ($SPACEWARP_PEER, default /tmp/peer/relu_edge_subdivision;
   skipped with a message when absent; it has no licence, so it is never copied here):
   the same weights in an ``nn.Sequential``, spacewarp with ``cut_output`` (the peer cuts
   the output's zero set), one thread each, interleaved, best of 7: counts (equal),
   CPU and wall seconds, and the ratios (target >= 10x).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

if "peer" in sys.argv:  # one thread each: set before numpy and torch load their BLAS
    os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
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

    def timed(fn):  # type: ignore[no-untyped-def]
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        return time.perf_counter() - wall, time.process_time() - cpu, out

    loop, loop_cpu, training = timed(lambda: sw.train(snapshots=100, progress=False,
                                                      live=False, device="cpu"))
    counting, counting_cpu, found = timed(lambda: training_regions(training))
    again, again_cpu, _ = timed(lambda: training_regions(training))
    print(f"course's 2,100,3 spiral, 100 snapshots: training loop {loop:.1f} s, regions of "
          f"every snapshot {counting:.1f} s (ratio {counting / loop:.2f}; "
          f"{int(found.total.sum()):,} regions in all)")
    print(f"  CPU: training loop {loop_cpu:.2f} s, regions {counting_cpu:.2f} s (ratio "
          f"{counting_cpu / loop_cpu:.2f}; the first call loads numba); again {again:.2f} s "
          f"wall, {again_cpu:.2f} s CPU (ratio {again_cpu / loop_cpu:.2f})")
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


PEER = Path(os.environ.get("SPACEWARP_PEER", "/tmp/peer/relu_edge_subdivision"))
PEER_SHAPES = ((2, 50), (4, 32), (2, 100))  # (depth, width) of its 2-D bunny models


def as_sequential(fcs: nn.ModuleList) -> nn.Sequential:
    """The peer's linear layers, with ReLUs between, as a float64 ``nn.Sequential``."""
    layers: list[nn.Module] = []
    for fc in fcs:
        linear = nn.Linear(fc.in_features, fc.out_features)
        linear.load_state_dict(fc.state_dict())
        layers += [linear, nn.ReLU()]
    return nn.Sequential(*layers[:-1]).double()


def bench_peer(repeat: int = 7) -> None:
    """Edge subdivision against spacewarp on the peer's models (section 7 above)."""
    if not (PEER / "edge_subdivision.py").exists():
        print(f"peer: skipped, no edge subdivision clone at {PEER} (set SPACEWARP_PEER)")
        return
    torch.set_num_threads(1)
    sys.path.insert(0, str(PEER))
    here = os.getcwd()
    os.chdir(PEER)  # its models load from models/
    try:
        from edge_subdivision import skeletal_subdivision  # type: ignore[import-not-found]
        from NN import NetBunny  # type: ignore[import-not-found]
        nets = {s: NetBunny(dim=2, depth=s[0], width=s[1]) for s in PEER_SHAPES}
    finally:
        os.chdir(here)

    def peer(net: nn.Module) -> int:
        with torch.no_grad():
            vs, edges, _ = skeletal_subdivision(net, bbox=(-1, 1), device="cpu", verbose=False)
        return len(edges) - len(vs) + 1  # faces inside the box (Euler)

    def ours(model: nn.Sequential) -> int:
        return len(regions(model, UNIT, cut_output=True))

    runs = [(s, who, fn, x) for s in PEER_SHAPES
            for who, fn, x in (("peer", peer, nets[s]), ("ours", ours, as_sequential(nets[s].fcs)))]
    best = {(s, who): [np.inf, np.inf, 0] for s, who, _, _ in runs}
    print(f"peer: {PEER}, one thread each, interleaved, best of {repeat}; load "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    for _ in range(repeat):
        for s, who, fn, x in runs:
            wall, cpu = time.perf_counter(), time.process_time()
            n = fn(x)
            b = best[(s, who)]
            b[:] = min(b[0], time.process_time() - cpu), min(b[1], time.perf_counter() - wall), n
    print(f"{'model':>16} {'regions':>8} {'peer':>7} {'peer CPU s':>11} {'ours CPU s':>11} "
          f"{'ratio CPU':>10} {'ratio wall':>11}")
    for s in PEER_SHAPES:
        p, q = best[(s, "peer")], best[(s, "ours")]
        flag = "" if p[2] == q[2] else "  COUNTS DIFFER"
        print(f"{f'2->{s[1]}x{s[0]}->1':>16} {q[2]:>8} {p[2]:>7} {p[0]:>11.4f} {q[0]:>11.4f} "
              f"{p[0] / q[0]:>9.1f}x {p[1] / q[1]:>10.1f}x{flag} (target >= 10x)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="relucent: the two smaller nets")
    parser.add_argument("--relucent", action="store_true")
    parser.add_argument("--only", choices=["regions", "measures", "train", "peer"])
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} (1 min), torch threads {torch.get_num_threads()}")
    if args.only == "peer":
        bench_peer()
    elif args.only == "train":
        bench_train_regions()
    elif args.only != "measures":
        bench_plain()
        bench_large()
        if args.relucent:
            bench_regions(args.quick)
    if args.only not in ("regions", "train", "peer"):
        bench_measures()
        bench_render_process()
        bench_train_regions()
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
