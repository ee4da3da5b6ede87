"""Run every benchmark in bench/ in turn (each prints its own ratios).

    .venv/bin/python bench/run_all.py [--quick]

``--quick`` goes to the benchmarks that have a quick mode (their own ``--help`` says
what it cuts); the others run in full, and say so. Any other argument is refused: the
benchmarks' options differ, so run one alone to pass it its own.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def takes_quick(script: Path) -> bool:
    """Whether ``script`` declares a ``--quick`` option (read from its source: starting
    every benchmark's imports only to ask would cost a few seconds each)."""
    return '"--quick"' in script.read_text(encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="the quick mode of the benchmarks that have one")
    quick = parser.parse_args().quick
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        args = ["--quick"] if quick and takes_quick(script) else []
        note = " (no quick mode: in full)" if quick and not args else ""
        print(f"\n=== {script.name}{note} ===", flush=True)
        if subprocess.run([sys.executable, str(script), *args]).returncode:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
