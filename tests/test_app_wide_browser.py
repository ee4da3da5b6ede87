"""The explorer serving the course's shape of model, Linear(2, 100) -> ReLU -> Linear(100, 3),
in headless Chromium: the weights card is there beside the morph view with every layer's
grid in the first screen, and a wide stage turns by hand as on the page.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pages import TIMEOUT_S, Page, live_server
from user_models import COURSE_PY

from spacewarp.config.experiment import validated
from spacewarp.model.files import load_model
from spacewarp.pipeline import run
from spacewarp.view.coords import projection

VIEWPORT_H = 1000  # Page's viewport: 1500 x 1000


def test_a_wide_model_shows_its_weight_grids_in_view_and_turns_by_hand(
        browser: Any, tmp_path: Path) -> None:
    (tmp_path / "course.py").write_text(COURSE_PY)
    torch.manual_seed(3)
    torch.save(load_model(f"{tmp_path / 'course.py'}:Course").state_dict(), tmp_path / "c.pt")
    base = validated({"input": {"name": "spiral", "points": 300},
                      "network": {"model": f"{tmp_path / 'course.py'}:Course",
                                  "checkpoint": str(tmp_path / "c.pt")}})
    with live_server(base) as url:
        page = Page(browser, url)
        try:
            grids = [page.page.locator(f".sw-grid-{m}") for m in ("0", "2")]
            for g in grids:
                g.wait_for(timeout=TIMEOUT_S * 1000)
            side = page.page.locator(".sw-side").bounding_box()
            assert side["width"] > 300 and side["height"] > 300
            for g in grids:  # every layer's grid starts within the first screen
                box = g.bounding_box()
                assert box["height"] > 50 and box["y"] + box["height"] <= VIEWPORT_H

            # stage 1 (100-D): drag the longest axis handle; the panel shows the turn
            k = 1
            ends = page.root.evaluate("""(el, k) => { const pub = el.__spacewarp
              const c = pub.tour(k).columns()
              const n = c[0].map((_, j) => Math.hypot(c[0][j], c[1][j], c[2][j]))
              const j = n.indexOf(Math.max(...n))
              return [j, pub.panelOf(k, [0, 0, 0]), pub.panelOf(k, pub.tour(k).tip(j))] }""", k)
            j, origin, end = ends[0], np.array(ends[1]), np.array(ends[2])
            to = origin + 0.5 * (end - origin) + np.array([6.0, -4.0])
            page.page.mouse.move(*end)
            page.page.mouse.down()
            page.page.mouse.move(*(end + (to - end) / 2))
            page.page.mouse.move(*to)
            page.page.mouse.up()
            got = page.root.evaluate("""(el, [k, j]) => { const pub = el.__spacewarp
              return [pub.panelOf(k, pub.tour(k).tip(j)), pub.tour(k).columns(),
                      Array.from(pub.panels[k])] }""", [k, j])
            assert np.abs(np.array(got[0]) - to).max() < 0.01
            basis = np.array(got[1])  # (3, 100)
            np.testing.assert_allclose(basis @ basis.T, np.eye(3), atol=1e-9)
            x = run(base).stages[k].points  # (300, 100)
            centred = x - projection(x).mean
            np.testing.assert_allclose(np.array(got[2]).reshape(-1, 3), centred @ basis.T,
                                       atol=1e-4 * np.ptp(centred @ basis.T))
            assert page.errors == []
        finally:
            page.close()


def _overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """The area (px^2) two bounding boxes share."""
    w = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(w, 0.0) * max(h, 0.0)


def test_the_weights_card_never_covers_the_big_view(browser: Any, tmp_path: Path) -> None:
    """At 1500 px the card sits beside the big view; at 1000 px (where it used to sit over
    the canvas its squeezed box could not hold) it goes below. Either way the card's box
    and the big view's (its box and its canvas) share no pixel, and the canvas keeps a
    useful width."""
    base = validated({"input": {"points": 200}, "network": {"layers": [2, 8, 8, 2]}})
    with live_server(base) as url:
        for width, beside in ((1500, True), (1000, False)):
            context = browser.new_context(viewport={"width": width, "height": VIEWPORT_H})
            try:
                page = context.new_page()
                page.goto(url)
                page.locator(".sw-grid").first.wait_for(timeout=TIMEOUT_S * 1000)
                page.locator(".sw-canvas .sw-root[data-sw-version]").wait_for(
                    timeout=TIMEOUT_S * 1000)
                side = page.locator(".sw-side").bounding_box()
                canvas = page.locator("canvas.sw-morph-canvas").bounding_box()
                morph = page.locator(".sw-morph-box").bounding_box()
                assert side and canvas and morph and side["width"] > 300
                assert _overlap(side, canvas) == 0 and _overlap(side, morph) == 0, (
                    f"{width} px: weights {side}, big view {canvas}")
                assert canvas["width"] >= 400
                assert (side["x"] >= canvas["x"] + canvas["width"]) == beside
            finally:
                context.close()


def test_a_colour_change_of_a_wide_network_keeps_its_tours(browser: Any) -> None:
    """A colour change of 2,12,3: the page gets the points by id only and keeps each wide
    stage's hand-turning data (the same Tour object), draws the new colours and the same
    stages as the library's trace, and logs no error."""
    from pages import assert_drawn

    base = validated({"input": {"points": 300}, "network": {"layers": [2, 12, 3]}})
    with live_server(base) as url:
        page = Page(browser, url)
        try:
            page.root.evaluate("el => { window.swTour = el.__spacewarp.tour(1) }")
            colours = page.root.evaluate("el => Array.from(el.__spacewarp.colors())")
            serial = page.root.evaluate("el => el.__spacewarp.serial")
            page.page.locator(".sw-color_by select").select_option("angle")
            deadline = time.monotonic() + TIMEOUT_S
            while page.root.evaluate("el => el.__spacewarp.serial") == serial:
                assert time.monotonic() < deadline, "the new colours never arrived"
                time.sleep(0.1)
            assert page.root.evaluate("el => el.__spacewarp.tour(1) === window.swTour")
            assert page.root.evaluate("el => Array.from(el.__spacewarp.colors())") != colours
            assert_drawn(page, validated({"input": {"points": 300, "color_by": "angle"},
                                          "network": {"layers": [2, 12, 3]}}))
        finally:
            page.close()
        assert page.errors == []
