"""Interactive page: build+write time, size, first plot and slider step in headless Chromium.

    .venv/bin/python bench/bench_html.py [--limits]

Reference measured in the same run: plotly's own ``write_html`` of one plain scatter of the
same points (no frames). ``--limits`` also times pages drawn without sampling at growing
point counts, for 2-D and 3-D scenes: the data behind MAX_POINTS_2D / MAX_POINTS_3D.
Targets (issue 4): build+write < 1 s for 1e4 points; first plot < 3 s.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from headless import launch  # bench/headless.py: bench/ is on sys.path when run as a script

import spacewarp as sw
from spacewarp.export.html import HtmlOptions, write_html
from spacewarp.render.interactive import InteractiveOptions

DRAWN = ("() => { const g = document.querySelector('.js-plotly-plot');"
         " return g && g._fullData && g._fullData.length > 0; }")
STEP = """async (k) => {
  const gd = document.querySelector('.js-plotly-plot');
  const t0 = performance.now();
  await Plotly.animate(gd, ...gd.layout.sliders[0].steps[k].args);
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
}"""


def timed(f, *a, **kw):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = f(*a, **kw)
    return out, time.perf_counter() - t0


def reference_page(trace: sw.Trace, path: Path) -> None:
    """The plain way: one plotly scatter of the output stage, plotly's own write_html."""
    x = trace.stages[1].points
    go.Figure(go.Scatter3d(x=x[:, 0], y=x[:, 1], z=x[:, 2], mode="markers",
                           marker={"color": trace.color, "size": 2})).write_html(path)


def open_page(browser, path: Path, steps: bool) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    t0 = time.perf_counter()
    page.goto(path.resolve().as_uri())
    page.wait_for_function(DRAWN, timeout=120_000)
    first = time.perf_counter() - t0
    per_step: list[float] = []
    if steps:
        page.wait_for_selector(".js-plotly-plot[data-spacewarp-ready]", timeout=120_000)
        n = page.evaluate("() => document.querySelector('.js-plotly-plot')"
                          ".layout.sliders[0].steps.length")
        per_step = [page.evaluate(STEP, k) / 1000 for k in range(1, n)]
    page.close()
    return first, per_step


def main() -> None:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench_html."))
    with sync_playwright() as p:
        browser = launch(p)
        open_page(browser, _warm(tmp), steps=False)  # first launch costs are not the page's
        print(f"{'points':>8} {'build+write':>12} {'ref write':>10} {'size MB':>8} "
              f"{'first plot':>11} {'ref first':>10} {'ratio':>6} {'step (median)':>14}")
        for n in (10_000, 100_000):
            trace = sw.run(sw.Experiment.model_validate({"input": {"points": n}}))
            page, build = timed(write_html, trace, tmp / f"page-{n}.html")
            _, ref_build = timed(reference_page, trace, tmp / f"ref-{n}.html")
            first, steps = open_page(browser, page, steps=True)
            ref_first, _ = open_page(browser, tmp / f"ref-{n}.html", steps=False)
            print(f"{n:>8} {build:>11.2f}s {ref_build:>9.2f}s "
                  f"{page.stat().st_size / 1e6:>8.1f} {first:>10.2f}s {ref_first:>9.2f}s "
                  f"{first / ref_first:>6.2f} {float(np.median(steps)):>13.3f}s")
        if "--limits" in sys.argv:
            limits(browser, tmp)
        browser.close()


def _warm(tmp: Path) -> Path:
    path = tmp / "warm.html"
    go.Figure(go.Scatter(x=[0, 1], y=[0, 1])).write_html(path)
    return path


def limits(browser, tmp: Path) -> None:  # type: ignore[no-untyped-def]
    """First plot and slider step without sampling, 2-D (2,2,2) and 3-D (2,3,3,2) scenes."""
    print("\nunsampled pages (steps=1):  scene  points  first plot  step (median)")
    for layers, scene in (([2, 2, 2], "2-D"), ([2, 3, 3, 2], "3-D")):
        for n in (10_000, 50_000, 100_000, 200_000):
            trace = sw.run(sw.Experiment.model_validate(
                {"input": {"points": n}, "network": {"layers": layers, "init": "random"}}))
            opts = HtmlOptions(figure=InteractiveOptions(steps=1, max_points=10**7),
                               max_bytes=10**9)
            page = write_html(trace, tmp / f"limit-{scene}-{n}.html", opts)
            first, steps = open_page(browser, page, steps=True)
            print(f"{'':27} {scene}  {n:>7}  {first:>9.2f}s  {float(np.median(steps)):>12.3f}s")


if __name__ == "__main__":
    main()
