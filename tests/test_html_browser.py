"""The exported page in headless Chromium: it draws the trace, the slider moves it, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import spacewarp as sw
from spacewarp.export.html import write_html

TOL = {"rtol": 1e-6, "atol": 1e-5}  # float32 in the page against the float64 trace

READ_POINTS = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  const t = gd._fullData.find(d => d.name === 'points');
  return ['x', 'y', 'z'].filter(a => t[a] !== undefined).map(a => Array.from(t[a]));
}"""

# Move the slider the way its step does: the step's own animate arguments.
SLIDE_TO = """async (k) => {
  const gd = document.querySelector('.js-plotly-plot');
  const step = gd.layout.sliders[0].steps[k];
  await Plotly.animate(gd, ...step.args);
  return step.label;
}"""


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_selector(".js-plotly-plot[data-spacewarp-ready]", timeout=60_000)
    return page, errors, requests


def _padded(points: np.ndarray, dim: int) -> np.ndarray:
    out = np.zeros((len(points), dim))
    out[:, : points.shape[1]] = points
    return out


@pytest.mark.parametrize("experiment", [
    {"input": {"name": "gaussian", "points": 400}},  # 2 -> 3 -> 3 -> 2: a 3-D scene
    {"input": {"name": "grid", "points": 400},  # 2-D all through: WebGL scatter + lines
     "network": {"layers": [2, 2, 2], "activation": "relu", "init": "random"}},
])
def test_page_draws_the_trace_and_the_slider_moves_it(browser: Any, tmp_path: Path,
                                                      experiment: dict[str, Any]) -> None:
    trace = sw.run(sw.Experiment.model_validate(experiment))
    dim = 3 if max(s.dim for s in trace.stages) == 3 else 2
    page, errors, requests = _open(browser, write_html(trace, tmp_path / "page.html"))
    try:
        drawn = np.array(page.evaluate(READ_POINTS)).T  # (n, dim)
        assert drawn.shape == (trace.n, dim)
        np.testing.assert_allclose(drawn, _padded(trace.stages[0].points, dim), **TOL)
        for k in (1, 2, len(trace.stages) - 1):
            label = page.evaluate(SLIDE_TO, k)
            assert label.startswith(f"{k} ")
            drawn = np.array(page.evaluate(READ_POINTS)).T
            np.testing.assert_allclose(drawn, _padded(trace.stages[k].points, dim), **TOL)
        assert page.locator(".js-plotly-plot .slider-container").count() == 1
        assert "Linear" in page.locator(".js-plotly-plot .gtitle").text_content()
    finally:
        page.close()
    assert errors == []
    assert requests and all(url.startswith("file://") for url in requests), requests


def test_play_runs_through_the_film(browser: Any, tmp_path: Path) -> None:
    trace = sw.run(sw.Experiment.model_validate({"input": {"name": "line"}}))
    path = write_html(trace, tmp_path / "line.html")
    page, errors, _ = _open(browser, path)
    try:
        page.evaluate("""async () => {
          const gd = document.querySelector('.js-plotly-plot');
          const play = gd.layout.updatemenus[0].buttons[0];
          const opts = Object.assign({}, play.args[1]);
          opts.frame = opts.frame.map(f => Object.assign({}, f, {duration: 0}));
          await Plotly.animate(gd, play.args[0], opts);
        }""")
        drawn = np.array(page.evaluate(READ_POINTS)).T
        np.testing.assert_allclose(drawn, _padded(trace.output, 2), **TOL)
    finally:
        page.close()
    assert errors == []
