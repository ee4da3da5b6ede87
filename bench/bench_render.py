"""Benchmark of ``spacewarp render``, against references measured in the same run.

    .venv/bin/python bench/bench_render.py            # the seed's way at 1e6 points (~150 s)
    .venv/bin/python bench/bench_render.py --quick    # the seed's way at 1e5, extrapolated

Prints:
1. the default render (1000 points), in-process and as a whole ``spacewarp render`` process;
2. 1e6 Gaussian points through the default network into stages.png, the per-stage files
   and the rest (trace.npz, ...), in a child process: time and peak memory (peak RSS);
3. the same points drawn the seed's way (a plain per-point ``plt.scatter`` per stage,
   2-D and 3-D, figsize 12x12, ``savefig``), with the ratio;
4. ``spacewarp render`` against the seed notebook run as a script, both whole processes
   (targets: 1e6 points under 2 s and 1.5 GB; the whole process no slower than the seed);
5. issue 20's figure: a whole process that makes the 1e6-point trace and writes every
   file, less the import floor (the same process stopped after its imports), both
   measured here (target <= 0.75 s; 1.4 s when the issue was filed), with peak memory;
   twice: with the drawing modules (matplotlib) in the floor, as the films' figure has
   it, and with their import counted as work, as this figure had it before.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED_SCRIPT = ROOT / "bench" / "seed_notebook.py"  # the project's own script of the seed
SPACEWARP = [sys.executable, "-m", "spacewarp.cli"]

CHILD = """
import json, resource, sys, time, tempfile
t0 = time.perf_counter()
from spacewarp.config.experiment import validated
from spacewarp.export.stills import write_render
from spacewarp.pipeline import run
t_import = time.perf_counter() - t0
with tempfile.TemporaryDirectory() as warm:  # first calls of torch and matplotlib
    write_render(run(validated({"input": {"points": 1000}, "device": "cpu"})), warm + "/o")
t1, c1 = time.perf_counter(), time.process_time()
trace = run(validated({"input": {"points": __N__}, "device": "cpu"}))
t2 = time.perf_counter()
write_render(trace, __OUT__)
t3, c3 = time.perf_counter(), time.process_time()
print(json.dumps({"import": t_import, "run": t2 - t1, "render": t3 - t2, "cpu": c3 - c1,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def timed(cmd: list[str], **kw: object) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT, **kw)  # type: ignore
    return time.perf_counter() - t


def default_render(tmp: Path) -> None:
    from spacewarp.config.experiment import validated
    from spacewarp.export.stills import write_render
    from spacewarp.pipeline import run

    write_render(run(validated({"device": "cpu"})), tmp / "warm")
    times = []
    for i in range(3):
        t = time.perf_counter()
        write_render(run(validated({"device": "cpu"})), tmp / f"d{i}")
        times.append(time.perf_counter() - t)
    whole = [timed([*SPACEWARP, "render", "--out", str(tmp / f"p{i}")]) for i in range(3)]
    print(f"default render (1000 points, 6 stages, 10 files)\n"
          f"  in-process (run + write_render), best of 3: {min(times):6.2f} s\n"
          f"  whole `spacewarp render` process, median of 3: {statistics.median(whole):6.2f} s")


def million(tmp: Path, n: int) -> dict[str, float]:
    code = CHILD.replace("__OUT__", repr(str(tmp / "million"))).replace("__N__", str(n))
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                          text=True, cwd=ROOT)
    import json

    got: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # MB, any child
    print(f"{n:,} Gaussian points, default network, 6 stages -> stages.png + 6 stage files "
          f"+ trace.npz + weights.txt + experiment.toml (child process, warmed up)\n"
          f"  run (points + trace):         {got['run']:6.2f} s\n"
          f"  write_render (all files):     {got['render']:6.2f} s   (target < 2 s)\n"
          f"  in-process total:             {got['run'] + got['render']:6.2f} s "
          f"(CPU time {got['cpu']:.2f} s: the wall time on a machine shared with other "
          f"work is longer)\n"
          f"  peak RSS of the child:        {got['rss_mb']:6.0f} MB   (target < 1500 MB; "
          f"RUSAGE_CHILDREN max so far {peak:.0f} MB)")
    return got


def seed_way(n_total: int, quick: bool) -> float:
    """The seed's drawing: one 12x12 figure per stage, plain per-point scatter, savefig."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spacewarp.config.experiment import validated
    from spacewarp.pipeline import run

    n = 100_000 if quick else n_total
    trace = run(validated({"input": {"points": n}, "device": "cpu"}))
    colors = trace.color
    with tempfile.TemporaryDirectory() as out, plt.style.context(["dark_background", "bmh"]):
        t = time.perf_counter()
        for k, stage in enumerate(trace.stages):
            x = stage.points
            fig = plt.figure(figsize=(12, 12))
            if stage.dim == 3:
                ax = fig.add_subplot(111, projection="3d")
                ax.scatter(x[:, 0], x[:, 1], x[:, 2], c=colors, s=30)
            else:
                plt.axis("equal")
                plt.scatter(x[:, 0], x[:, 1], c=colors, s=30)
            plt.title(stage.title)
            plt.savefig(os.path.join(out, f"fig{k:02d}.png"))
            plt.close("all")
        took = time.perf_counter() - t
    scale = n_total / n
    note = f" (measured at {n:,} points, x{scale:g} linear extrapolation: --quick)" if quick \
        else ""
    print(f"the seed's way (per-point plt.scatter, 12x12, savefig), {n_total:,} points: "
          f"{took * scale:7.1f} s{note}")
    return took * scale


def whole_process(tmp: Path) -> None:
    if not SEED_SCRIPT.is_file():
        raise SystemExit(f"seed notebook script not found at {SEED_SCRIPT}")
    ours, seed = [], []
    for i in range(3):  # interleaved, so load on the machine hits both alike
        ours.append(timed([*SPACEWARP, "render", "--out", str(tmp / f"w{i}")]))
        seed.append(timed([sys.executable, str(SEED_SCRIPT), str(tmp / f"s{i}"), "--no-1d"]))
    o, s = statistics.median(ours), statistics.median(seed)
    print(f"whole process, median of 3: `spacewarp render` {o:5.2f} s (10 files) vs "
          f"seed_notebook.py {s:5.2f} s (7 figures): ratio seed/ours = {s / o:4.2f}x "
          f"(target >= 1)")


STILLS_IMPORTS = """
import tempfile
from spacewarp.config.experiment import validated
from spacewarp.export.stills import write_render
from spacewarp.pipeline import run
"""
# the drawing modules (matplotlib, mplot3d) too, which export.stills imports only when it
# draws: the floor the films' figure has always had (export.video imports them)
DRAWING_IMPORTS = STILLS_IMPORTS + "import spacewarp.render.static\n"


def beyond_import_floor(tmp: Path, n: int) -> None:
    """Issue 20's stills figure: (trace + every file) in a fresh process, less its floor,
    with the floor as the films' (drawing modules imported) and without them."""
    sys.path.insert(0, str(ROOT / "bench"))
    from floor import beyond_floor, report

    work = (f"write_render(run(validated({{'input': {{'points': {n}}}, 'device': 'cpu'}})),"
            f" tempfile.mkdtemp(dir={str(tmp)!r}) + '/o')")
    # the target is read with the imports the work needs in the floor (matplotlib's too,
    # as for films); with matplotlib's import (~0.4 s) counted as work, for comparison
    for imports, floor, target in (
            (DRAWING_IMPORTS, "matplotlib in the floor, as for films", 0.75),
            (STILLS_IMPORTS, "matplotlib's import counted as work", None)):
        got = beyond_floor(imports, work, repeat=9)  # 5 left it ±0.08 s: the imports vary
        print(report(f"{n:,} points, trace + every file of a render ({floor})", got, target,
                     1.4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="measure the seed's way at 1e5 points and extrapolate to 1e6")
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--floor-only", action="store_true",
                        help="only issue 20's figure beyond the import floor")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, python {sys.version.split()[0]}, load average "
          f"{os.getloadavg()[0]:.1f} (timings scale with it)\n")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if args.floor_only:
            beyond_import_floor(tmp, args.points)
            return
        default_render(tmp)
        print()
        got = million(tmp, args.points)
        print()
        seed = seed_way(args.points, args.quick)
        ours = got["render"]
        print(f"  ratio seed's way / spacewarp write_render: {seed / ours:6.0f}x "
              f"(spacewarp also writes trace.npz, weights.txt, experiment.toml)\n")
        whole_process(tmp)
        print()
        beyond_import_floor(tmp, args.points)


if __name__ == "__main__":
    main()
