"""A figure "beyond the import floor": a whole process's wall time less the time the same
process takes to start and import what it needs and exit (the floor), both measured in
the same run, interleaved, so load on the machine hits both alike.

    from floor import beyond_floor
    got = beyond_floor(IMPORTS, WORK)  # IMPORTS, WORK: Python source run in a child

Each child prints its peak memory (its own RSS, and its children's: ffmpeg) and its CPU
time (its own and its children's) as JSON. On a machine shared with other work the wall
times stretch with the load; the CPU time beyond the floor is what a quiet machine's wall
time would be for work on one core at a time (ffmpeg's encoding overlaps the frames).

The imports alone take 1.5 to 1.7 s here, and vary from run to run by about 0.1 s, as
much as some figures: so each child also says when its imports were done (the monotonic
clock, which parent and child share), and ``after_imports`` is the same difference
taken from there to the process's end: the work, and the exit with what it left, less
the floor's exit. It is the figure without the imports' noise; ``beyond`` is the
figure as the issue measured it, over more runs.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEMORY = ("\nimport json, resource\n"
          "me, kids = (resource.getrusage(resource.RUSAGE_SELF),"
          " resource.getrusage(resource.RUSAGE_CHILDREN))\n"
          "print(json.dumps({'rss_mb': me.ru_maxrss / 1024, 'children_mb': kids.ru_maxrss / 1024,"
          " 'cpu': me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,"
          " 'imports_done': imports_done}))\n")


IMPORTED = "\nimport time as imports_clock\nimports_done = imports_clock.monotonic()\n"


def child(imports: str, work: str = "") -> tuple[float, dict[str, float]]:
    """Wall seconds of a fresh ``python -c imports + work`` (started to exited), its
    memory and CPU, and ``after_imports``: its seconds from the imports' end to exit."""
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", imports + IMPORTED + work + MEMORY],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    end = time.monotonic()
    got = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    got["after_imports"] = end - got["imports_done"]
    return end - start, got


def beyond_floor(imports: str, work: str, repeat: int = 5) -> dict[str, float]:
    """Median wall of ``imports + work`` less the median wall of ``imports`` alone, and the
    peak memory of the whole processes (MB): ``beyond``, ``whole``, ``floor``,
    ``after_imports`` (the same from the imports' end), ``cpu_beyond`` (the same
    difference in CPU seconds, children included), ``rss_mb``, ``children_mb``,
    ``load`` (the 1-minute load average at the end)."""
    floors, wholes, floor_mem, memory = [], [], [], []
    for _ in range(repeat):  # interleaved
        wall, mem = child(imports)
        floors.append(wall)
        floor_mem.append(mem)
        wall, mem = child(imports, work)
        wholes.append(wall)
        memory.append(mem)
    floor, whole = statistics.median(floors), statistics.median(wholes)

    def median_of(key: str, runs: list[dict[str, float]]) -> float:
        return statistics.median(m[key] for m in runs)

    cpu = median_of("cpu", memory) - median_of("cpu", floor_mem)
    after = median_of("after_imports", memory) - median_of("after_imports", floor_mem)
    return {"beyond": whole - floor, "whole": whole, "floor": floor, "cpu_beyond": cpu,
            "after_imports": after,
            "rss_mb": max(m["rss_mb"] for m in memory),
            "children_mb": max(m["children_mb"] for m in memory),
            "load": os.getloadavg()[0]}


def report(what: str, got: dict[str, float], target: float | None, before: float) -> str:
    """One line: the figure, its floor, the target (None: a figure shown for comparison,
    judged against none) and the issue's earlier figure as ratios, and the peak memory."""
    b = got["beyond"]
    extra = f" + children {got['children_mb']:.0f} MB" if got["children_mb"] else ""
    if target is None:
        verdict = "no target: shown for comparison"
        after = ""
        cpu = ""
    else:
        verdict = (f"target <= {target:g} s: x{b / target:.2f} of it "
                   f"({'ok' if b <= target else 'MISSED'})")
        after = f" ({'ok' if got['after_imports'] <= target else 'MISSED'})"
        cpu = f" (x{got['cpu_beyond'] / target:.2f} of the target)"
    return (f"{what}: {b:5.2f} s beyond the import floor (whole process {got['whole']:.2f} s"
            f" - floor {got['floor']:.2f} s, medians of interleaved runs); {verdict}; "
            f"from the imports' end {got['after_imports']:.2f} s{after}; "
            f"issue 20's earlier figure {before:g} s: x{before / b:.2f} faster; CPU time "
            f"beyond the floor {got['cpu_beyond']:.2f} s{cpu}; peak RSS "
            f"{got['rss_mb']:.0f} MB{extra}; load {got['load']:.1f}")
