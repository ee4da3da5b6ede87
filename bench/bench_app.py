"""Explorer speed in headless chromium: control -> plot data, slider steps, server memory.

Starts ``spacewarp serve`` (1e4 Gaussian points, the default network) as a subprocess on
a free loopback port, drives it with playwright, and prints medians with ratios against
references measured in the same run:

- control change -> updated plot data in the page (and -> drawn), median over the
  changes; reference: the same run + figure build done in this process;
- morph-view stage slider step, in the browser only; reference: one animation frame;
- server RSS over successive changes (flat means no leak).

Usage: .venv/bin/python bench/bench_app.py [--changes 12] [--memory 200] [--points 10000]
       [--settle 4]
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

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
ACTIVATIONS = ["relu", "tanh", "sigmoid", "elu", "gelu", "silu", "softplus", "leaky_relu"]

# Change the activation from inside the page and time it: t0 at the change event, then
# the first animation frame where the stages view holds new data, then its afterplot.
CHANGE_JS = """async ([sel, gd, value]) => {
  const sig = () => gd.data.map(t => t.x && t.x.length ? t.x[0] + ',' + t.x[t.x.length - 1]
                                                       : '').join(';');
  const before = sig();
  let drawn = null;
  const onPlot = () => { if (sig() !== before && drawn === null) drawn = performance.now(); };
  gd.on('plotly_afterplot', onPlot);
  const t0 = performance.now();
  sel.value = value;
  sel.dispatchEvent(new Event('change'));
  const data = await new Promise(resolve => {
    const poll = () => sig() !== before || performance.now() - t0 > 60000 ?
      resolve(performance.now()) : requestAnimationFrame(poll);
    requestAnimationFrame(poll);
  });
  while (drawn === null && performance.now() - t0 < 60000)
    await new Promise(r => setTimeout(r, 5));
  gd.removeListener('plotly_afterplot', onPlot);
  return [data - t0, drawn === null ? NaN : drawn - t0];
}"""

STEP_JS = """async ([gd, name]) => {
  const t0 = performance.now();
  await window.Plotly.animate(gd, [name], {mode: 'immediate', transition: {duration: 0},
                                           frame: {duration: 0, redraw: true}});
  return performance.now() - t0;
}"""

FRAME_JS = """() => new Promise(r => requestAnimationFrame(t0 =>
  requestAnimationFrame(t1 => r(t1 - t0))))"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


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
    """run + stage-grid figure in this process: the server's unavoidable work per change."""
    from spacewarp.app.views import grid_figure
    from spacewarp.config import validated
    from spacewarp.pipeline import run

    times = []
    for k in range(repeats):
        exp = validated({"input": {"points": points},
                         "network": {"activation": ACTIVATIONS[k % len(ACTIVATIONS)]}})
        t0 = time.perf_counter()
        grid_figure(run(exp))
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--changes", type=int, default=12, help="timed control changes (12)")
    ap.add_argument("--memory", type=int, default=200, help="changes for the RSS check (200)")
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--settle", type=float, default=4.0,
                    help="seconds between timed changes, so each starts from an idle page (4)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    proc, url, folder = start_server(args.points)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            t0 = time.perf_counter()
            page.goto(url)
            grid = page.locator(".sw-stages .js-plotly-plot")
            morph = page.locator(".sw-morph .js-plotly-plot")
            grid.wait_for(timeout=120_000)
            morph.wait_for(timeout=120_000)
            print(f"page open to first plots: {time.perf_counter() - t0:.1f} s "
                  f"({args.points:,} points)")
            select = page.locator(".sw-activation select").element_handle()
            gd = grid.element_handle()

            def change(k: int) -> tuple[float, float]:
                value = ACTIVATIONS[k % len(ACTIVATIONS)]
                data, drawn = page.evaluate(CHANGE_JS, [select, gd, value])
                return float(data), float(drawn)

            change(0)  # warm up
            timed = []
            for k in range(args.changes):
                time.sleep(args.settle)  # the previous change's morph view has arrived
                timed.append(change(k + 1))
            ref = reference_ms(args.points)
            data_ms = statistics.median(t[0] for t in timed)
            drawn_ms = statistics.median(t[1] for t in timed)
            print(f"control -> plot data in page: median {data_ms:.0f} ms over {len(timed)} "
                  f"changes (target < 300 ms); drawn: {drawn_ms:.0f} ms")
            print(f"  reference, run + stage-grid figure in-process: {ref:.0f} ms "
                  f"(page / reference = {data_ms / ref:.2f})")

            time.sleep(3)  # let the morph view of the last change arrive
            mgd = morph.element_handle()
            names = morph.evaluate("gd => gd._transitionData._frames.filter(f => f.data)"
                                   ".map(f => f.name).filter(n => n.startsWith('stage-'))")
            order = names[1:] + names[-2::-1]  # forward through every stage, then back
            steps = [float(page.evaluate(STEP_JS, [mgd, n])) for n in order * 2]
            frame = statistics.median(float(page.evaluate(FRAME_JS)) for _ in range(10))
            step_ms = statistics.median(steps)
            print(f"stage slider step (browser only): median {step_ms:.1f} ms over "
                  f"{len(steps)} steps (target < 50 ms); one animation frame {frame:.1f} ms "
                  f"(step / frame = {step_ms / frame:.2f})")

            samples = [(0, rss_mb(proc.pid))]
            for k in range(args.memory):
                change(k)
                if (k + 1) % max(1, args.memory // 4) == 0:
                    samples.append((k + 1, rss_mb(proc.pid)))
            text = ", ".join(f"{n}: {mb:.0f} MB" for n, mb in samples)
            growth = samples[-1][1] - samples[1][1] if len(samples) > 2 else float("nan")
            print(f"server RSS over {args.memory} changes: {text} "
                  f"(after the first quarter: {growth:+.0f} MB; ratio last/first quarter "
                  f"{samples[-1][1] / samples[1][1]:.2f})")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
