"""The explorer in a real browser: controls re-warp the drawn data to what the library computes.

The server runs in this process on a free loopback port (stopped at the end); pages are
driven by headless Debian chromium through playwright. Drawn data is read back from the
canvas component (``el.__spacewarp``: the stage coordinates drawn, the morph's points,
the cameras; ``data-sw-version`` counts redraws) and compared with
``spacewarp.pipeline.run`` of the experiment the test expects, in float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pages import BASE, Page, assert_drawn, shown

from spacewarp.config.experiment import Experiment, validated
from spacewarp.pipeline import run

# set the stage slider and read the morph's points in the same task: no server round trip
SLIDE_JS = """(el, value) => {
  const slider = el.querySelector('input.sw-stage-slider');
  slider.value = String(value);
  slider.dispatchEvent(new Event('input'));
  const m = el.__spacewarp.morph;
  return [m.stage, m.t, Array.from(m.points)];
}"""
CAMERA_JS = "(el, k) => Array.from(el.__spacewarp.cameras[k])"


def assert_morph(page: Page, experiment: Experiment) -> None:
    """The stage slider moves the morph view to each stage in turn, in the browser alone,
    and half-way it is on the straight line between them."""
    want = shown(experiment)
    version = page.version()
    for k in range(1, len(want)):
        stage, t, points = page.root.evaluate(SLIDE_JS, k)
        np.testing.assert_allclose(np.array(points, dtype=np.float32).reshape(-1, 3), want[k],
                                   rtol=1e-6, atol=1e-6)
    stage, t, points = page.root.evaluate(SLIDE_JS, 1.5)
    assert stage == 1 and t == pytest.approx(0.5)
    np.testing.assert_allclose(np.array(points).reshape(-1, 3), (want[1] + want[2]) / 2,
                               rtol=1e-5, atol=1e-5)
    assert page.version() > version  # redrawn, with no server update in between
    page.root.evaluate(SLIDE_JS, 0)


def assert_rotates(page: Page, k: int) -> None:
    """Dragging across a 3-D stage panel turns its camera."""
    before = page.root.evaluate(CAMERA_JS, k)
    box = page.page.locator(".sw-panel canvas").nth(k).bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.page.mouse.move(x, y)
    page.page.mouse.down()
    page.page.mouse.move(x + 60, y + 20, steps=4)
    page.page.mouse.up()
    after = page.root.evaluate(CAMERA_JS, k)
    assert after[1] != before[1] and after[0] != before[0]


def with_(base: dict[str, Any], **network: Any) -> dict[str, Any]:
    return {**base, "network": {**base.get("network", {}), **network}}


def test_controls_rewarp_the_views_and_sessions_stay_apart(browser: Any, url: str) -> None:
    a, b = Page(browser, url), Page(browser, url)
    assert_drawn(a, validated(BASE))
    assert_morph(a, validated(BASE))
    assert_rotates(a, 2)  # stage 2 (tanh of 3-D points) is drawn in 3-D

    # activation -> relu
    before = a.signature()
    a.page.locator(".sw-activation select").select_option("relu")
    a.changed(before)
    relu = with_(BASE, activation="relu")
    assert_drawn(a, validated(relu))

    # one weight typed into the grid of the second linear layer (module 2)
    weight = np.array(run(validated(relu)).params["2.weight"])
    weight[0, 1] = 0.5
    before = a.signature()
    a.edit_cell("2", 0, "x2", "0.5")
    a.changed(before)
    assert_drawn(a, validated(with_(relu, weights={"2.weight": weight.tolist()})))

    # a width changed: the typed 3x3 matrix no longer fits and is dropped
    before = a.signature()
    a.type_into("widths", "2,2,3,2")
    a.changed(before)
    current = with_(relu, layers=[2, 2, 3, 2])
    assert_drawn(a, validated(current))
    assert_morph(a, validated(current))

    # invalid values: a message beside the control, the last good views kept
    before = a.signature()
    a.type_into("widths", "2,x")
    assert "do not parse" in a.message("widths")
    a.type_into("points", "1e9")
    assert "200,000" in a.message("points")
    a.edit_cell("2", 0, "x1", "NaN")
    assert "plain number" in a.message("weights")
    assert a.signature() == before
    box = a.page.locator(".sw-points input").bounding_box()
    line = a.page.locator('[data-control="points"]').bounding_box()
    assert box and line and 0 <= line["y"] - (box["y"] + box["height"]) < 40

    # ... and the page keeps working
    a.type_into("widths", "2,2,3,2")  # the good text again: its message goes
    a.page.locator(".sw-activation select").select_option("tanh")
    a.changed(before)
    current = with_(BASE, layers=[2, 2, 3, 2])
    assert_drawn(a, validated(current))
    assert a.page.locator('[data-control="widths"]').count() == 0

    # the other session saw none of it
    assert_drawn(b, validated(BASE))
    assert b.page.locator(".sw-widths input").input_value() == "2,3,3,2"
    assert b.page.locator('[data-control="points"]').count() == 0

    # the state link restores the experiment in a fresh session
    href = a.page.locator("a.sw-state-link").get_attribute("href")
    assert href and href.startswith("?s=")
    c = Page(browser, url + href)
    assert_drawn(c, validated(current))
    assert c.page.locator(".sw-widths input").input_value() == "2,2,3,2"
    assert c.page.locator(".sw-activation select").input_value() == "tanh"

    for page in (a, b, c):
        assert page.errors == [], page.errors
        page.close()
