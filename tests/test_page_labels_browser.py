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
from spacewarp.view.weight_text import heading_lines

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


def test_a_stage_at_rest_names_its_own_axes_and_ticks_their_true_ranges(
        browser: Any, tmp_path: Path) -> None:
    """2 -> 3 -> 3: every stage at most 3-D, so the view rests on each in its own
    coordinates: its axes are named after the stage (x[j] for the input, h{k}[j] after),
    and each axis's ticks lie within that coordinate's range in the trace (plus the
    box's margin); between stages nothing is named."""
    trace = sw.run(sw.Experiment.model_validate(
        {"input": {"name": "gaussian", "points": 300}, "network": {"layers": [2, 3, 3]}}))
    page, errors = _open(browser, write_html(trace, tmp_path / "page.html"), 1200)
    try:
        for k, stage in enumerate(trace.stages):
            axes = _axes(page.evaluate(DRAWN_TEXTS, k))
            base = "x" if k == 0 else f"h{k}"
            if stage.dim == 3:  # 3-D: a name and ticks on an edge of the box per axis
                assert [name for name, _ in axes] == [f"{base}[{j}]" for j in range(3)]
                lo, hi = stage.points.min(axis=0), stage.points.max(axis=0)
                slack = 0.1 * (hi - lo).max()
                for j, (_, ticks) in enumerate(axes):
                    assert ticks, (k, j)
                    assert all(lo[j] - slack <= v <= hi[j] + slack for v in ticks), (k, j, ticks)
            else:  # 2-D: the names in the corners of the flat axes
                assert [name for name, _ in axes] == [f"{base}[0]", f"{base}[1]"]
        for p in (0.5, 1.5):
            assert _axes(page.evaluate(DRAWN_TEXTS, p)) == []
    finally:
        page.close()
    assert errors == []


def test_a_line_at_rest_is_named_once_on_its_line(browser: Any, tmp_path: Path) -> None:
    """1 -> 2 -> 1: the 1-D input and output have one coordinate each, named once (the view
    into the output comes from 2-D, so the view's axes are flat ones, not a line's)."""
    trace = sw.run(sw.Experiment.model_validate(
        {"input": {"name": "line"}, "network": {"layers": [1, 2, 1]}}))
    page, errors = _open(browser, write_html(trace, tmp_path / "page.html"), 1200)
    try:
        names = [[name for name, _ in _axes(page.evaluate(DRAWN_TEXTS, k))]
                 for k in range(len(trace.stages))]
    finally:
        page.close()
    assert errors == []
    assert names == [["x[0]"], ["h1[0]", "h1[1]"], ["h2[0]", "h2[1]"], ["h3[0]"]]


SHOWN_NAMES = """(p) => {
  window.spacewarp.show(p)
  return [...document.querySelectorAll('.sw-names span')].map(s => {
    const r = s.getBoundingClientRect(), style = getComputedStyle(s)
    return {text: s.textContent, left: r.left, right: r.right, title: s.title,
            shown: style.visibility !== 'hidden', current: s.classList.contains('sw-current')}
  })
}"""


@pytest.mark.parametrize("width", [800, 1400])
def test_a_9_stage_cnns_names_under_the_slider_never_overlap(browser: Any, tmp_path: Path,
                                                              width: int) -> None:
    """The digits CNN on a slice (issue 18's view): its 9 names ran together under the
    slider. At every stage, the names shown leave a gap between them, the current stage's
    is always among them (marked), and each name's full text is its hover title."""
    from torch import nn

    model = nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 8, 3, padding=1),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10))
    trace = sw.run(input="digits", slice="0,6,8", points=100, model=model, device="cpu")
    assert len(trace.stages) >= 9
    page, errors = _open(browser, write_html(trace, tmp_path / "page.html"), width)
    try:
        for k in range(len(trace.stages)):
            names = page.evaluate(SHOWN_NAMES, k)
            assert [n["text"] for n in names] == [s.title for s in trace.stages]
            assert all(n["title"] == n["text"] for n in names)
            assert names[k]["shown"] and [n["current"] for n in names].count(True) == 1
            assert names[k]["current"]
            shown = sorted((n for n in names if n["shown"]), key=lambda n: n["left"])
            assert len(shown) >= 2
            for a, b in zip(shown, shown[1:], strict=False):
                assert a["right"] < b["left"], (k, a["text"], b["text"])
    finally:
        page.close()
    assert errors == []


RECORD_ALL = """
window.swCut = []
const fillAll = CanvasRenderingContext2D.prototype.fillText
CanvasRenderingContext2D.prototype.fillText = function (text, x, y) {
  const w = this.measureText(text).width, a = this.textAlign, c = this.canvas
  const left = a === 'center' ? x - w / 2 : a === 'right' || a === 'end' ? x - w : x
  if (c.isConnected && c.width && (left < -0.5 || left + w > c.width + 0.5))
    window.swCut.push([String(text), left, left + w, c.width])
  return fillAll.apply(this, arguments)
}
"""
WEIGHT_LINES = """() => [...document.querySelectorAll('.sw-head pre')].map(
  p => [p.textContent, p.scrollWidth, p.clientWidth])"""


@pytest.mark.parametrize("layers", ["2,8,8,8,8,8,2", "2,8,8,2"])
def test_small_panels_keep_every_label_and_number_whole(browser: Any, tmp_path: Path,
                                                        layers: str) -> None:
    """Twelve or six panels in a row at 1,200 px: every text drawn on a canvas (axis names
    such as PC3 and h3[2], ticks, the PCA hint) lies whole on it (they were cut at the
    edge: "C3", "[2]"), and each weight line fits its panel, cut only after a whole
    number and ended by an ellipsis (overflow cut "-0.1" out of "-0.1523")."""
    trace = sw.run(input="gaussian", points=300, layers=layers, activation="relu")
    path = write_html(trace, tmp_path / "small.html")
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    try:
        page.add_init_script(RECORD_ALL)
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("body[data-spacewarp-ready]", timeout=60_000)
        for p in (0.0, 1.0, 2.5, len(trace.stages) - 1.0):
            page.evaluate("(p) => window.spacewarp.show(p)", p)
        assert page.evaluate("() => window.swCut") == []
        shown = page.evaluate(WEIGHT_LINES)
    finally:
        page.close()
    full = [heading_lines(s.weight, s.bias) for s in trace.stages]
    drawn = [(text.split("\n"), scroll, width) for text, scroll, width in shown]
    assert any(line.endswith(" \u2026") for lines, _, _ in drawn for line in lines)
    for (lines, scroll, width), want in zip(drawn, full, strict=True):
        assert scroll <= width, lines
        for line, whole in zip(lines, want, strict=False):
            if line != whole:
                kept = line.removesuffix(" \u2026")
                assert whole.startswith(kept) and whole[len(kept)] == " ", (line, whole)
