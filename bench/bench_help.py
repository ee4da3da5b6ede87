"""``spacewarp render --help`` as a whole process against ``python -c pass``: the ratio.

The help must not import torch (it used to take 3 s). Prints the median of a few runs.

    .venv/bin/python bench/bench_help.py [--quick]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time


def _median(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    runs = 3 if "--quick" in sys.argv else 7
    bare = _median([sys.executable, "-c", "pass"], runs)
    helped = _median([sys.executable, "-m", "spacewarp.cli", "render", "--help"], runs)
    print(f"python -c pass:          {bare * 1000:7.0f} ms")
    print(f"spacewarp render --help: {helped * 1000:7.0f} ms  ratio {helped / bare:.1f}x")
    print(f"load: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
