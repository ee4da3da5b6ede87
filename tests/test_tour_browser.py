"""Turning a wide stage's view by hand (render/js/tour.js, the Grand Tour's direct
manipulation) on the exported page in headless Chromium, driven by real pointer events.

References are computed here with numpy: the stage's points, centred on the PCA mean, times
the basis the page reports; the handle's end against where the pointer was let go.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pages import open_page

import spacewarp as sw
from spacewarp.export.html import write_html
from spacewarp.render import tour as tour_module
from spacewarp.render.blobs import Blobs
from spacewarp.render.browser import film_spec
from spacewarp.view import display_coords
from spacewarp.view.coords import projection

K = 1  # the stage that is turned: Linear 2 -> 8


def _trace() -> sw.Trace:
    return sw.run(sw.Experiment.model_validate({
        "input": {"name": "spiral", "points": 300, "color_by": "label"},
        "network": {"layers": [2, 8, 8, 3], "activation": "relu", "init": "random"}}))



def _panel(page: Any) -> np.ndarray:
    return np.array(page.evaluate(f"() => Array.from(window.spacewarp.panel({K}))")).reshape(-1, 3)


def _columns(page: Any) -> np.ndarray:  # (3, D): the view's basis now
    return np.array(page.evaluate(f"() => window.spacewarp.tour({K}).columns()"))


def _handle(page: Any, j: int) -> tuple[np.ndarray, np.ndarray]:
    """CSS positions of the origin and of handle j's end in the panel."""
    ends = page.evaluate(f"""(j) => {{ const sw = window.spacewarp, t = sw.tour({K})
      return [sw.panelOf({K}, [0, 0, 0]), sw.panelOf({K}, t.tip(j))] }}""", j)
    return np.array(ends[0]), np.array(ends[1])


def test_dragging_an_axis_moves_its_end_to_the_pointer_and_keeps_an_orthonormal_basis(
        browser: Any, tmp_path: Path) -> None:
    trace = _trace()
    x = trace.stages[K].points  # (n, 8)
    centred = x - projection(x).mean
    page, errors, _ = open_page(browser, write_html(trace, tmp_path / "tour.html"))
    try:
        # before any drag: the panel is Python's projection, and so is the browser's product
        np.testing.assert_allclose(_panel(page), display_coords(x), rtol=1e-6, atol=1e-6)
        start = np.array(page.evaluate(f"() => Array.from(window.spacewarp.tour({K}).points())"))
        tol = 1e-4 * np.ptp(display_coords(x))  # int16 columns: 1.5e-5 of a range each
        np.testing.assert_allclose(start.reshape(-1, 3), display_coords(x), atol=tol)
        assert page.locator(".sw-tour-reset").nth(K).is_hidden()

        basis = _columns(page)
        j = int(np.argmax(np.linalg.norm(basis, axis=0)))  # the longest handle
        origin, end = _handle(page, j)
        turn = np.array([[np.cos(0.6), -np.sin(0.6)], [np.sin(0.6), np.cos(0.6)]])
        to = origin + 0.6 * turn @ (end - origin)  # shorter and turned: within reach
        page.mouse.move(*end)
        page.mouse.down()
        for f in np.linspace(0.1, 1.0, 10):
            page.mouse.move(*(end + f * (to - end)))
        page.mouse.up()

        assert np.abs(_handle(page, j)[1] - to).max() < 0.01  # CSS px
        after = _columns(page)
        np.testing.assert_allclose(after @ after.T, np.eye(3), atol=1e-9)
        assert np.abs(after - basis).max() > 0.05  # it did turn
        # the panel draws the centred points times the turned basis
        np.testing.assert_allclose(_panel(page), centred @ after.T, atol=tol)
        kept = np.var(centred @ after.T, axis=0).sum() / np.var(centred, axis=0).sum()
        head = page.locator(".sw-panel").nth(K).locator(".sw-note").inner_text()
        assert head == f"turned by hand from PCA of 8-D: {100 * kept:.0f}% of variance"
        # the orbit camera did not move: the press went to the handle
        assert page.evaluate(f"() => window.spacewarp.root.__spacewarp.cameras[{K}].slice(0, 2)") \
            == list(trace_camera(page))

        page.locator(".sw-tour-reset").nth(K).click()
        np.testing.assert_allclose(_panel(page), display_coords(x), rtol=1e-6, atol=1e-6)
        assert page.locator(".sw-panel").nth(K).locator(".sw-note").inner_text().startswith(
            "PCA of 8-D, ")
        assert page.locator(".sw-tour-reset").nth(K).is_hidden()
    finally:
        page.close()
    assert errors == []


def trace_camera(page: Any) -> list[float]:
    """Stage K's camera as Python sent it."""
    return page.evaluate(f"() => JSON.parse(document.getElementById('spacewarp-spec')"
                         f".textContent).stages[{K}].camera")


def test_pressing_away_from_the_handles_still_turns_the_camera(browser: Any,
                                                               tmp_path: Path) -> None:
    page, errors, _ = open_page(browser, write_html(_trace(), tmp_path / "orbit.html"))
    try:
        box = page.locator(".sw-panel canvas").nth(K).bounding_box()
        at = (box["x"] + 12, box["y"] + box["height"] - 20)  # a corner, far from the origin
        before = page.evaluate(f"() => window.spacewarp.root.__spacewarp.cameras[{K}].slice(0, 2)")
        page.mouse.move(*at)
        page.mouse.down()
        page.mouse.move(at[0] + 30, at[1])
        page.mouse.up()
        after = page.evaluate(f"() => window.spacewarp.root.__spacewarp.cameras[{K}].slice(0, 2)")
        assert after[1] == pytest.approx(before[1] - 15)
        assert not page.evaluate(f"() => window.spacewarp.tour({K}).turned")
    finally:
        page.close()
    assert errors == []


def test_the_points_sent_are_the_centred_stage_within_a_budget(monkeypatch: Any) -> None:
    trace = _trace()
    spec = film_spec(trace, blobs=Blobs("b64"))
    assert [t is None for t in spec["tours"]] == [s.dim <= 3 for s in trace.stages]
    x = trace.stages[K].points
    t = spec["tours"][K]
    import base64
    q = np.frombuffer(base64.b64decode(t["data"]["b64"]), "<i2").reshape(x.shape)
    got = np.asarray(t["data"]["lo"]) + (q + 32767.0) * np.asarray(t["data"]["step"])
    centred = x - x.mean(axis=0)
    np.testing.assert_allclose(got, centred, atol=1e-4 * np.ptp(centred))
    # the basis: the top three principal directions of the stage (numpy's SVD, up to sign)
    # (only directions of non-zero variance are defined: Linear 2 -> 8 has rank 2)
    sv, vt = np.linalg.svd(centred, full_matrices=False)[1:]
    r = min(3, int((sv > 1e-9 * sv[0]).sum()))
    basis = np.asarray(t["basis"])
    np.testing.assert_allclose(np.abs(basis[:r] @ vt[:r].T), np.eye(r), atol=1e-6)
    np.testing.assert_allclose(basis @ basis.T, np.eye(3), atol=1e-9)

    monkeypatch.setattr(tour_module, "TOUR_VALUES", x.size * 2 - 1)  # room for one stage
    spec = film_spec(trace, blobs=Blobs("b64"))
    wide = [t for t in spec["tours"] if t is not None]
    assert wide[0]["data"] is not None and wide[0]["off"] == ""
    assert wide[1]["data"] is None
    assert wide[1]["off"].startswith("turning by hand is off: 300 points x 8 dims exceed")
