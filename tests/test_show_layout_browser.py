"""show() draws without making the browser lay the page out (render/js/loop.js, page.js):
the names under the slider were measured after each drawing's DOM writes, one forced
layout per step (up to ~7 ms of a 1e6-point page's step). Chrome's own counters (CDP
Performance.getMetrics: LayoutCount) are the reference; the drawn points against numpy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pages import open_page

import spacewarp as sw
from spacewarp.export.html import write_html

SHOWS = """() => { const api = window.spacewarp
  for (let i = 0; i <= 24; i++) api.show(i / 24 * (api.stages - 1)) }"""


def _metrics(cdp: Any) -> dict[str, float]:
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def test_scrubbing_the_film_lays_the_page_out_at_most_once(browser: Any, tmp_path: Path) -> None:
    trace = sw.run(sw.Experiment.model_validate({
        "input": {"name": "spiral", "points": 500},
        "network": {"layers": [2, 8, 8, 8, 3], "activation": "tanh"}}))
    page, errors, _ = open_page(browser, write_html(trace, tmp_path / "scrub.html"))
    try:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        before = _metrics(cdp)
        page.evaluate(SHOWS)
        after = _metrics(cdp)
        # 25 steps across 8 stages: the names' widths read once (the first step), not 25 times
        assert after["LayoutCount"] - before["LayoutCount"] <= 1
        page.evaluate("() => window.spacewarp.show(0)")  # still drawn: the input at rest
        drawn = np.array(page.evaluate("() => Array.from(window.spacewarp.drawn().points)"))
        np.testing.assert_allclose(drawn.reshape(-1, 3)[:, :2], trace.stages[0].points,
                                   rtol=1e-5, atol=1e-5)
        assert errors == []
    finally:
        page.close()
