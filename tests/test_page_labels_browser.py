"""The page's labels in headless Chromium (issue 17): the stage names under the slider stay
on the page at any width, and a view resting on a stage in its own coordinates names that
stage's axes and ticks them within the coordinates' true ranges.

The texts drawn on the morph view's canvases are read back by wrapping ``fillText`` before
the page loads: axis names are bold; a 3-D axis's tick labels are drawn just before its name."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

import spacewarp as sw
from spacewarp.export.html import write_html

RECORD = """
window.swTexts = []
const fillText = CanvasRenderingContext2D.prototype.fillText
CanvasRenderingContext2D.prototype.fillText = function (text, x, y) {
  const c = this.canvas.classList  // the morph view: its canvas and the one over WebGL points
  if (c.contains('sw-morph-canvas') || c.contains('sw-front'))
    window.swTexts.push([String(text), this.font])
  return fillText.apply(this, arguments)
}
"""
# the morph view drawn at position p afresh: the texts drawn, in order
DRAWN_TEXTS = "(p) => { window.swTexts = []; window.spacewarp.show(p); return window.swTexts }"
NAME_BOXES = """() => {
  const box = r => ({left: r.left, right: r.right})
  return {slider: box(document.querySelector('.sw-slider').getBoundingClientRect()),
          names: [...document.querySelectorAll('.sw-names span')].map(
            s => box(s.getBoundingClientRect())),
          view: document.documentElement.clientWidth, scroll: document.documentElement.scrollWidth}
}"""


def _open(browser: Any, path: Path, width: int) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": width, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(RECORD)
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("body[data-spacewarp-ready]", timeout=60_000)
    return page, errors


def _axes(texts: list[list[str]]) -> list[tuple[str, list[float]]]:
    """(name, tick values) per named axis, in drawing order."""
    out, ticks = [], []
    for text, font in texts:
        if "bold" in font:
            out.append((text, ticks))
            ticks = []
        else:
            with contextlib.suppress(ValueError):  # the colour bar's title and the like
                ticks.append(float(text))
    return out


@pytest.mark.parametrize("width", [1000, 1600])
def test_the_last_stage_name_under_the_slider_is_on_the_page(browser: Any, tmp_path: Path,
                                                             width: int) -> None:
    """The course's 2,100,3 classifier: "Linear 100->3" ran 9 px off a 1600 px page."""
    trace = sw.run(sw.Experiment.model_validate(
        {"input": {"name": "gaussian", "points": 300}, "network": {"layers": [2, 100, 3]}}))
    page, errors = _open(browser, write_html(trace, tmp_path / "page.html"), width)
    try:
        got = page.evaluate(NAME_BOXES)
    finally:
        page.close()
    assert errors == []
    assert len(got["names"]) == len(trace.stages)
    left, right = got["slider"]["left"] - 0.5, got["slider"]["right"] + 0.5
    for name in got["names"]:
        assert left <= name["left"] < name["right"] <= right
        assert name["right"] <= got["view"]
    assert got["scroll"] <= got["view"]  # nothing sticks out: no horizontal scroll bar

