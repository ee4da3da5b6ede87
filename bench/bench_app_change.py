"""The explorer after a change, control to drawn, for a wide network against a narrow one.

    .venv/bin/python bench/bench_app_change.py [--changes 10] [--points 10000] [--settle 0.5]

Starts two ``spacewarp serve`` processes (1e4 Gaussian points): the course's ``2,100,3``
and, as the reference, ``2,3,3,2``. In one headless Chromium tab on each, changes the
colour (``color_by``: the network kept, its film's plan remembered) and then the
activation (a new network: planned afresh), alternating between the two servers so that
both see the same load. A change is timed in the page from the control's ``change`` event
to the canvas drawn with the new spec (the renderer's ``data-sw-version`` bumps after its
synchronous redraw; the spec's serial tells a new spec from a redraw). Prints the median
and slowest per kind, the ratio wide / reference, the spec's size on the wire (its JSON)
and each server's peak RSS; the machine's load with each line. Target (issue 20): a
change of ``2,100,3`` drawn in <= 150 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from serving import CHANGE_JS, free_port, rss_mb  # bench/serving.py (bench/ is on sys.path)

ROOT = ".sw-canvas .sw-root[data-sw-version]"
NETWORKS = {"2,100,3": [2, 100, 3], "2,3,3,2 (reference)": [2, 3, 3, 2]}
COLOURS = ["angle", "radius", "x", "y"]
ACTIVATIONS = ["relu", "tanh", "sigmoid", "elu", "gelu", "silu"]


def start(layers: list[int], points: int) -> tuple[subprocess.Popen[bytes], str, Path]:
    folder = Path(tempfile.mkdtemp(prefix="bench-change-"))
    config = folder / "experiment.toml"
    config.write_text(f"[input]\npoints = {points}\n[network]\nlayers = {json.dumps(layers)}\n")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "spacewarp.cli", "serve", "--port", str(port),
                             "--no-browser", "--config", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}/", folder
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("a server did not start")


class Tab:
    """One explorer tab: its controls, and a timed change of one of them."""

    def __init__(self, browser: Any, url: str, pid: int) -> None:
        self.page = browser.new_page(viewport={"width": 1600, "height": 1000})
        self.page.goto(url)
        self.root = self.page.locator(ROOT)
        self.root.wait_for(timeout=120_000)
        self.el = self.root.element_handle()
        self.pid, self.peak = pid, rss_mb(pid)

    def change(self, control: str, value: str) -> float:
        select = self.page.locator(f".sw-{control} select").element_handle()
        ms = float(self.page.evaluate(CHANGE_JS, [select, self.el, value]))
        self.peak = max(self.peak, rss_mb(self.pid))
        return ms


def spec_mb(layers: list[int], points: int) -> float:
    """The explorer's spec of the network as JSON (its base64 arrays included), in MB:
    built in this process as the server builds it."""
    from spacewarp.app.canvas import payload
    from spacewarp.config.experiment import validated
    from spacewarp.pipeline import run

    exp = validated({"input": {"points": points}, "network": {"layers": layers}})
    return len(json.dumps(payload(run(exp), 1))) / 1e6


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def measure(tabs: dict[str, Tab], control: str, values: list[str], changes: int,
            settle: float) -> dict[str, list[float]]:
    """``changes`` timed changes of ``control`` per tab, alternating tabs (one warm-up)."""
    times: dict[str, list[float]] = {name: [] for name in tabs}
    for k in range(changes + 1):
        for name, tab in tabs.items():
            time.sleep(settle)
            ms = tab.change(control, values[k % len(values)])
            if k:
                times[name].append(ms)
    return times


def report(what: str, times: dict[str, list[float]]) -> None:
    (wide, a), (ref, b) = times.items()
    print(f"{what}: {wide} median {statistics.median(a):.0f} ms (slowest {max(a):.0f}), "
          f"{ref} median {statistics.median(b):.0f} ms (slowest {max(b):.0f}); ratio "
          f"{statistics.median(a) / statistics.median(b):.2f}; {load()}")


def main() -> None:
    from headless import launch  # bench/headless.py
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--changes", type=int, default=10)
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--settle", type=float, default=0.5, help="seconds idle before a change")
    args = ap.parse_args()
    print(f"{os.cpu_count()} CPUs, {load()}; {args.points:,} points")
    servers = {name: start(layers, args.points) for name, layers in NETWORKS.items()}
    try:
        with sync_playwright() as p:
            browser = launch(p)
            tabs = {name: Tab(browser, url, proc.pid) for name, (proc, url, _) in servers.items()}
            report("colour change (network kept)",
                   measure(tabs, "color_by", COLOURS, args.changes, args.settle))
            report("activation change (planned afresh)",
                   measure(tabs, "activation", ACTIVATIONS, args.changes, args.settle))
            for name, tab in tabs.items():
                print(f"  {name}: spec {spec_mb(NETWORKS[name], args.points):.2f} MB as JSON;"
                      f" server peak RSS {tab.peak:.0f} MB")
            browser.close()
    finally:
        for proc, _, folder in servers.values():
            proc.terminate()
            proc.wait(timeout=30)
            for f in folder.iterdir():
                f.unlink()
            folder.rmdir()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
