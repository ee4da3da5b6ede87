"""Interactive page: build+write, size, ready and show() in headless Chromium.

    .venv/bin/python bench/bench_html.py [--quick]

Reference measured in the same run: plotly's own ``write_html`` of one plain 3-D scatter
of the same points (no frames, no slider), time to its first plot. Ours: time to
``window.spacewarp`` (decoded, every stage panel and the morph view drawn), and the
median time of ``show(position)`` (which draws before it returns) over positions across
the film. Targets (issue 12): 1e4 grid <= 1.5 MB, ready <= 1.5 s, show <= 16 ms;
1e5 <= 10 MB, <= 4 s, <= 50 ms; 1e6 <= 40 MB, draws. ``--quick``: 1e4 and 1e5 only.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import plotly.graph_objects as go
from headless import launch  # bench/headless.py: bench/ is on sys.path when run as a script

import spacewarp as sw
from spacewarp.export.html import write_html

READY = "() => window.spacewarp !== undefined"
SHOWS = """() => {
  const api = window.spacewarp, ts = []
  for (let i = 0; i <= 24; i++) {
    const p = i / 24 * (api.stages - 1), t0 = performance.now()
    api.show(p); ts.push(performance.now() - t0)
  }
  ts.sort((a, b) => a - b); return ts[Math.floor(ts.length / 2)]
}"""
CASES = [("grid", 10_000), ("gaussian", 100_000), ("gaussian", 1_000_000)]


def timed(f, *a, **kw):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = f(*a, **kw)
    return out, time.perf_counter() - t0


def reference_page(trace: sw.Trace, path: Path) -> None:
    """The plain way: one plotly scatter of a 3-D stage, plotly's own write_html."""
    x = trace.stages[1].points
    go.Figure(go.Scatter3d(x=x[:, 0], y=x[:, 1], z=x[:, 2], mode="markers",
                           marker={"color": trace.color, "size": 2})).write_html(path)


def open_page(browser, path: Path, ours: bool) -> tuple[float, float, list[str]]:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    page.goto(path.resolve().as_uri(), timeout=300_000)
    if ours:
        page.wait_for_function(READY, timeout=300_000)
    else:
        page.wait_for_function("() => { const g = document.querySelector('.js-plotly-plot');"
                               " return g && g._fullData && g._fullData.length > 0; }",
                               timeout=300_000)
    ready = time.perf_counter() - t0
    show = float(page.evaluate(SHOWS)) if ours else float("nan")
    page.close()
    return ready, show, errors


def main() -> None:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench_html."))
    cases = CASES[:2] if "--quick" in sys.argv else CASES
    print(f"load before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    with sync_playwright() as p:
        browser = launch(p)
        warm = tmp / "warm.html"
        go.Figure(go.Scatter(x=[0, 1], y=[0, 1])).write_html(warm)
        open_page(browser, warm, ours=False)  # first launch costs are not the page's
        print(f"{'input':>9} {'points':>9} {'build+write':>11} {'MB':>6} {'ref MB':>7} "
              f"{'ready':>7} {'ref first':>9} {'ratio':>6} {'show med':>9}")
        for name, n in cases:
            trace = sw.run(sw.Experiment.model_validate({"input": {"name": name, "points": n}}))
            page, build = timed(write_html, trace, tmp / f"page-{n}.html")
            reference_page(trace, tmp / f"ref-{n}.html")
            ready, show, errors = open_page(browser, page, ours=True)
            ref_first, _, _ = open_page(browser, tmp / f"ref-{n}.html", ours=False)
            mb = page.stat().st_size / 1e6
            ref_mb = (tmp / f"ref-{n}.html").stat().st_size / 1e6
            print(f"{name:>9} {n:>9,} {build:>10.2f}s {mb:>6.1f} {ref_mb:>7.1f} {ready:>6.2f}s "
                  f"{ref_first:>8.2f}s {ready / ref_first:>6.2f} {show:>7.1f}ms"
                  + (f"  ERRORS {errors}" if errors else ""))
            del trace
        browser.close()
    print(f"load after: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
