"""Turning a wide stage by hand (render/js/tour.js): one drag step in headless Chromium.

    .venv/bin/python bench/bench_tour.py

The page of a Linear(2, 100) -> ReLU -> Linear(100, 3) network at 3,000 and 10,000 spiral
points, stage 1 (100-D). Reference measured in the same run: the median time of one
camera-drag step of that stage's panel (a plain redraw), through the same pointer events.
Ours: the median time of one drag step of an axis handle (Gram-Schmidt of the 100 x 100
matrix, the points times the basis, the redraw). Also the page's size with and without
the wide stages' points. Target: a drag step under 16 ms at 10,000 points.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from headless import launch  # bench/headless.py: bench/ is on sys.path when run as a script

import spacewarp as sw
from spacewarp.export.html import write_html
from spacewarp.render import tour

STEPS = """([k, grab]) => {
  const api = window.spacewarp, canvas = document.querySelectorAll('.sw-panel canvas')[k]
  const t = api.tour(k), c = t.columns()
  const n = c[0].map((_, j) => Math.hypot(c[0][j], c[1][j], c[2][j])), j = n.indexOf(Math.max(...n))
  const [x, y] = grab ? api.panelOf(k, t.tip(j)) : (() => { const r = canvas.getBoundingClientRect()
    return [r.left + 10, r.bottom - 30] })()  // a handle's end, or a corner (the camera)
  const ev = (type, dx, dy) => canvas.dispatchEvent(new PointerEvent(type, {clientX: x + dx,
    clientY: y + dy, pointerId: 1, bubbles: true}))
  ev('pointerdown', 0, 0)
  const ts = []
  for (let i = 1; i <= 31; i++) {
    const t0 = performance.now(); ev('pointermove', -i, i / 2); ts.push(performance.now() - t0)
  }
  ev('pointerup', -31, 15)
  ts.sort((a, b) => a - b); return ts[15]
}"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    print(f"load: {os.getloadavg()[0]:.2f} (1-min average), {os.cpu_count()} CPUs")
    model = str(Path(__file__).parent.parent / "examples" / "models.py") + ":SpiralClassifier"
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = launch(p)
        for n in (3_000, 10_000):
            trace = sw.run(model=model, input="spiral", points=n)
            page_path = write_html(trace, Path(tmp) / f"t{n}.html")
            budget = tour.TOUR_VALUES
            tour.TOUR_VALUES = 0
            bare = write_html(trace, Path(tmp) / f"b{n}.html").stat().st_size
            tour.TOUR_VALUES = budget
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(page_path.resolve().as_uri())
            page.wait_for_selector("body[data-spacewarp-ready]", timeout=120_000)
            orbit = page.evaluate(STEPS, [1, False])
            drag = page.evaluate(STEPS, [1, True])
            print(f"{n:>6,} points x 100 dims (stage 1): drag step {drag:.1f} ms, camera redraw "
                  f"{orbit:.1f} ms, ratio {drag / orbit:.1f}; page "
                  f"{page_path.stat().st_size / 1e6:.2f} MB ({bare / 1e6:.2f} MB without "
                  "the wide stages' points)")
            page.close()
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
