"""The training page: build+write, size, ready and setSnapshot() in headless Chromium.

    .venv/bin/python bench/bench_html_training.py [--quick]

The course's spiral (3000 points, 2,100,3 ReLU, Adam) trained briefly with 50 snapshots
(``--quick``: 1000 points, 20 snapshots). Reference measured in the same run: the plain
page (``write_html``) of the last snapshot's trace, one stage film of the same data. Ours:
the page with every snapshot (data plus a 2,500-point probe grid). ``setSnapshot`` draws
before it returns; the first visit of a snapshot decodes it, later visits are cached.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from headless import launch  # bench/headless.py: bench/ is on sys.path when run as a script

import spacewarp as sw
from spacewarp.export.html import write_html
from spacewarp.export.training_html import write_training_html
from spacewarp.training.snapshots import trace_snapshots
from spacewarp.view.training_film import training_film

VISITS = """(n) => {
  const api = window.spacewarp, first = [], again = []
  for (const into of [first, again])
    for (let s = 0; s < n; s++) {
      const t0 = performance.now(); api.setSnapshot(s); into.push(performance.now() - t0)
    }
  const med = a => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]
  return [med(first), med(again)]
}"""


def timed(f, *a, **kw):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = f(*a, **kw)
    return out, time.perf_counter() - t0


def ready(browser, path: Path) -> tuple[object, float]:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    t0 = time.perf_counter()
    page.goto(path.resolve().as_uri(), timeout=300_000)
    page.wait_for_selector("body[data-spacewarp-ready]", timeout=300_000)
    return page, time.perf_counter() - t0


def main() -> None:
    from playwright.sync_api import sync_playwright

    quick = "--quick" in sys.argv
    n, snaps = (1000, 20) if quick else (3000, 50)
    tmp = Path(tempfile.mkdtemp(prefix="bench_html_training."))
    print(f"load before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    run = sw.train(input="spiral", points=n, layers="2,100,3", activation="relu",
                   optimizer="adam", lr=0.01, epochs=300, snapshots=snaps, progress=False)
    page, build = timed(lambda r, path: write_training_html(
        training_film(trace_snapshots(r)), path), run, tmp / "training.html")
    ref, ref_build = timed(write_html, run.trace(-1), tmp / "last.html")
    mb, ref_mb = page.stat().st_size / 1e6, ref.stat().st_size / 1e6
    with sync_playwright() as p:
        browser = launch(p)
        warm, _ = ready(browser, ref)  # first launch costs are not the page's
        warm.close()
        tab, t_ours = ready(browser, page)
        first, again = tab.evaluate(VISITS, snaps)
        tab.close()
        tab, t_ref = ready(browser, ref)
        tab.close()
        browser.close()
    print(f"{'page':>14} {'build+write':>11} {'MB':>6} {'ready':>7}")
    print(f"{'last snapshot':>14} {ref_build:>10.2f}s {ref_mb:>6.1f} {t_ref:>6.2f}s")
    print(f"{f'{snaps} snapshots':>14} {build:>10.2f}s {mb:>6.1f} {t_ours:>6.2f}s")
    print(f"ratios: build {build / ref_build:.1f}x, size {mb / ref_mb:.1f}x, ready "
          f"{t_ours / t_ref:.1f}x; setSnapshot median {first:.1f} ms first visit, "
          f"{again:.1f} ms cached")
    print(f"load after: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
