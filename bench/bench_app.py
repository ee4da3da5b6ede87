"""Explorer speed in headless chromium: control -> drawn data, slider steps, server memory.

Starts ``spacewarp serve`` (1e4 Gaussian points, the default network) as a subprocess on
a free loopback port, drives it with playwright, and prints medians with ratios against
references measured in the same run:

- control change -> the canvas component redrawn with the new data (``data-sw-version``
  incremented and a new data serial), median over the changes; reference: the same run
  + payload built in this process;
- morph-view stage slider step (set the slider, redraw), in the browser only;
  reference: one animation frame;
- server RSS over successive changes applied in-process through an ``Explorer`` (flat
  means no leak);
- first, in-process: Python's share of a change for the course's 2,100,3 against 2,3,3,2
  (a new activation: the film planned afresh; a new colour: the plan remembered), with
  CPU time and peak RSS (``--planning-only``: just this).

Usage: .venv/bin/python bench/bench_app.py [--changes 12] [--memory 200] [--points 10000]
       [--settle 1] [--planning-only]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from serving import CHANGE_JS, free_port, rss_mb  # bench/serving.py (bench/ is on sys.path)

ACTIVATIONS = ["relu", "tanh", "sigmoid", "elu", "gelu", "silu", "softplus", "leaky_relu"]
ROOT = ".sw-canvas .sw-root[data-sw-version]"


# One slider step, client side: set the value, dispatch 'input' (the redraw is in it).
STEP_JS = """([root, value]) => {
  const slider = root.querySelector('input.sw-stage-slider');
  const v0 = +root.dataset.swVersion;
  const t0 = performance.now();
  slider.value = String(value);
  slider.dispatchEvent(new Event('input'));
  const dt = performance.now() - t0;
  if (+root.dataset.swVersion !== v0 + 1) throw new Error('the slider did not redraw');
  return dt;
}"""

FRAME_JS = """() => new Promise(r => requestAnimationFrame(t0 =>
  requestAnimationFrame(t1 => r(t1 - t0))))"""


def start_server(points: int) -> tuple[subprocess.Popen[bytes], str, Path]:
    folder = Path(tempfile.mkdtemp(prefix="bench-app-"))
    config = folder / "experiment.toml"
    config.write_text(f"[input]\npoints = {points}\n")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "spacewarp.cli", "serve", "--port",
                             str(port), "--no-browser", "--config", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}/", folder
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def reference_ms(points: int, repeats: int = 5) -> float:
    """run + payload in this process: the server's unavoidable work per change."""
    from spacewarp.app.canvas import payload
    from spacewarp.config.experiment import validated
    from spacewarp.pipeline import run

    times = []
    for k in range(repeats):
        exp = validated({"input": {"points": points},
                         "network": {"activation": ACTIVATIONS[k % len(ACTIVATIONS)]}})
        t0 = time.perf_counter()
        payload(run(exp), k)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def planning(points: int, repeats: int = 4) -> None:
    """Python's share of a change (run + film spec), in-process, for the course's 2,100,3
    against the same change for 2,3,3,2: a change of activation (a new network: traced and
    planned afresh) and a change of colour (the same network: the last trace recoloured,
    ``pipeline.rerun``, as the explorer does, and its plan remembered). Median wall
    and CPU time; peak RSS of this process. The served explorer runs NumPy's BLAS on one
    thread (``spacewarp serve``): run this bench with OPENBLAS_NUM_THREADS=1 to match."""
    import resource

    from spacewarp.app.canvas import payload
    from spacewarp.config.experiment import validated
    from spacewarp.pipeline import rerun
    from spacewarp.tracing.trace import Trace

    last: list[Trace | None] = [None]  # the explorer's last trace: a colour change reuses it

    def one(layers: list[int], k: int, colour: str) -> tuple[float, float]:
        exp = validated({"input": {"points": points, "color_by": colour},
                         "network": {"layers": layers,
                                     "activation": ACTIVATIONS[k % len(ACTIVATIONS)]}})
        t0, c0 = time.perf_counter(), time.process_time()
        last[0] = rerun(last[0], exp)
        payload(last[0], k)
        return (time.perf_counter() - t0) * 1e3, (time.process_time() - c0) * 1e3

    results = {}
    for layers in ([2, 3, 3, 2], [2, 100, 3]):
        one(layers, 0, "x")  # warm up
        network = [one(layers, k + 1, "x") for k in range(repeats)]  # a new activation
        colour = [one(layers, repeats, c) for c in ("angle", "radius", "x", "angle")]
        results[",".join(map(str, layers))] = [
            (statistics.median(w for w, _ in got), statistics.median(c for _, c in got))
            for got in (network, colour)]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ref, wide = results["2,3,3,2"], results["2,100,3"]
    for i, what in enumerate(("new activation (planned afresh)", "new colour (plan kept)")):
        print(f"explorer change, Python side (run + film spec), {points:,} points, {what}: "
              f"2,100,3 {wide[i][0]:.0f} ms (CPU {wide[i][1]:.0f} ms) vs 2,3,3,2 "
              f"{ref[i][0]:.0f} ms (CPU {ref[i][1]:.0f} ms): ratio {wide[i][0] / ref[i][0]:.2f}"
              f" (CPU {wide[i][1] / ref[i][1]:.2f})")
    print(f"  peak RSS of this process: {peak:.0f} MB; BLAS threads: "
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'one per core')}")


def memory(points: int, changes: int) -> None:
    """RSS of this process over ``changes`` activation changes through one Explorer."""
    from spacewarp.app.session import Explorer
    from spacewarp.config.experiment import validated

    ex = Explorer(validated({"input": {"points": points}}))
    samples = [(0, rss_mb(os.getpid()))]
    for k in range(changes):
        ex.change("activation", ACTIVATIONS[k % len(ACTIVATIONS)])
        if (k + 1) % max(1, changes // 4) == 0:
            samples.append((k + 1, rss_mb(os.getpid())))
    text = ", ".join(f"{n}: {mb:.0f} MB" for n, mb in samples)
    growth = samples[-1][1] - samples[1][1] if len(samples) > 2 else float("nan")
    print(f"server RSS over {changes} in-process changes: {text} (after the first quarter: "
          f"{growth:+.0f} MB; ratio last/first quarter {samples[-1][1] / samples[1][1]:.2f})")


def browser_checks(args: argparse.Namespace) -> None:
    from headless import launch  # bench/headless.py: bench/ is on sys.path as a script
    from playwright.sync_api import sync_playwright

    proc, url, folder = start_server(args.points)
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            t0 = time.perf_counter()
            page.goto(url)
            root = page.locator(ROOT)
            root.wait_for(timeout=120_000)
            print(f"page open to first drawing: {time.perf_counter() - t0:.1f} s "
                  f"({args.points:,} points)")
            select = page.locator(".sw-activation select").element_handle()
            el = root.element_handle()

            def change(k: int) -> float:
                return float(page.evaluate(CHANGE_JS, [select, el, ACTIVATIONS[k % 8]]))

            change(0)  # warm up
            timed = []
            for k in range(args.changes):
                time.sleep(args.settle)
                timed.append(change(k + 1))
            ref = reference_ms(args.points)
            data_ms = statistics.median(timed)
            print(f"control -> redrawn with the new data: median {data_ms:.0f} ms over "
                  f"{len(timed)} changes (target < 300 ms; min {min(timed):.0f}, max "
                  f"{max(timed):.0f})")
            print(f"  reference, run + payload in-process: {ref:.0f} ms "
                  f"(page / reference = {data_ms / ref:.2f})")

            n_stages = int(root.evaluate("r => r.__spacewarp.stages.length"))
            values = [k / 4 for k in range(4 * (n_stages - 1) + 1)]  # stages and between
            steps = [float(page.evaluate(STEP_JS, [el, v])) for v in values + values[::-1]]
            frame = statistics.median(float(page.evaluate(FRAME_JS)) for _ in range(10))
            step_ms = statistics.median(steps)
            print(f"stage slider step (browser only): median {step_ms:.1f} ms over "
                  f"{len(steps)} steps (target < 50 ms; max {max(steps):.1f}); one animation "
                  f"frame {frame:.1f} ms (step / frame = {step_ms / frame:.2f})")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--changes", type=int, default=12, help="timed control changes (12)")
    ap.add_argument("--memory", type=int, default=200, help="changes for the RSS check (200)")
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--settle", type=float, default=1.0,
                    help="seconds between timed changes, so each starts from an idle page (1)")
    ap.add_argument("--planning-only", action="store_true",
                    help="only the in-process planning comparison (no browser, no server)")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    planning(args.points)
    if args.planning_only:
        return
    browser_checks(args)
    memory(args.points, args.memory)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
