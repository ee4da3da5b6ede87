"""Regions and SVD sub-steps on the page in headless Chromium, read back through
``window.spacewarp`` and compared with the network evaluated at the polygon vertices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from pages import open_page
from torch import nn

import spacewarp as sw
from spacewarp.export.html import HtmlOptions, write_html
from spacewarp.measure import regions as exact_regions
from spacewarp.render.browser import BrowserOptions
from spacewarp.view import FilmOptions

F32 = {"rtol": 1e-5, "atol": 1e-5}
REGIONS = """(p) => { window.spacewarp.show(p); const r = window.spacewarp.regions()
  return r && {start: Array.from(r.start), points: Array.from(r.points)} }"""


def _net() -> nn.Sequential:
    torch.manual_seed(7)
    return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2), nn.ReLU(),
                         nn.Linear(2, 2)).double()



def _prefix(model: nn.Sequential, k: int, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model[:k](torch.from_numpy(x)).numpy() if k else x


def test_regions_toggle_draws_the_outlines_through_every_stage(browser: Any,
                                                                tmp_path: Path) -> None:
    model = _net()
    t = sw.trace(model, sw.make_points("grid", 900, seed=0), device="cpu")
    page_path = write_html(t, tmp_path / "regions.html",
                           HtmlOptions(BrowserOptions(regions="region")))
    page, errors, _ = open_page(browser, page_path)
    lo, hi = t.stages[0].points.min(0), t.stages[0].points.max(0)
    ref = exact_regions(model, (lo[0], hi[0], lo[1], hi[1]))  # vertices, independently
    verts = np.concatenate(ref.polygons)  # (V, 2)
    assert page.locator(".sw-regions-toggle").is_visible()
    for k in range(len(t.stages)):
        drawn = page.evaluate(REGIONS, k)
        assert np.diff(drawn["start"]).tolist() == ref.count.tolist()
        got = np.array(drawn["points"]).reshape(-1, 3)
        want = _prefix(model, k, verts)  # the network at the polygon vertices
        assert np.allclose(got[:, : want.shape[1]], want, **F32), k
        if k:  # halfway into stage k: the outlines move as the points do (ease(1/2) = 1/2)
            mid = np.array(page.evaluate(REGIONS, k - 0.5)["points"]).reshape(-1, 3)
            before = _prefix(model, k - 1, verts)
            width = max(before.shape[1], want.shape[1])
            pad = [np.pad(a, ((0, 0), (0, width - a.shape[1]))) for a in (before, want)]
            assert np.allclose(mid[:, :width], (pad[0] + pad[1]) / 2, **F32), k
    page.evaluate("window.spacewarp.show(2)")
    on = page.locator(".sw-stack").screenshot()
    page.locator(".sw-regions-toggle").click()  # the Regions toggle, as a user turns it off
    assert page.evaluate("window.spacewarp.regions()") is None
    page.evaluate("window.spacewarp.show(2)")
    assert page.locator(".sw-stack").screenshot() != on  # the outlines were drawn
    page.evaluate("window.spacewarp.showRegions(true)")
    assert page.evaluate(REGIONS, 2) is not None
    assert errors == []
    page.close()


def test_svd_sub_steps_on_the_page_show_their_matrices(browser: Any, tmp_path: Path) -> None:
    t = sw.run(input="grid", points=400, device="cpu")  # the seed's W1 = [[3, 0], [0, 3], [6, 6]]
    page_path = write_html(t, tmp_path / "svd.html",
                           HtmlOptions(BrowserOptions(film=FilmOptions(svd_steps=True))))
    page, errors, _ = open_page(browser, page_path)
    titles = []
    for p in (1 / 6, 1 / 2, 5 / 6):  # the middle of each of W1's three sub-steps (no bias)
        page.evaluate(f"window.spacewarp.show({p})")
        titles.append(page.locator(".sw-morph-title").inner_text())
    assert "1/3 rotate by V\u1d40" in titles[0] and "V\u1d40 = [[" in titles[0]
    assert "2/3 scale by S and lift to 3-D" in titles[1] and "S = [[9" in titles[1]
    assert "3/3 rotate by U" in titles[2] and "U = [[" in titles[2]
    # the rotation follows its arc: halfway, every point keeps its distance from the origin
    x = t.stages[0].points
    half = np.array(page.evaluate("(p) => { window.spacewarp.show(p); "
                                  "return Array.from(window.spacewarp.drawn().points) }",
                                  1 / 6)).reshape(-1, 3)
    assert np.allclose(np.linalg.norm(half, axis=1), np.linalg.norm(x, axis=1), rtol=1e-4)
    page.evaluate("window.spacewarp.show(1)")
    end = np.array(page.evaluate("Array.from(window.spacewarp.drawn().points)")).reshape(-1, 3)
    w1 = np.array([[3.0, 0.0], [0.0, 3.0], [6.0, 6.0]])
    assert np.allclose(end, x @ w1.T, rtol=1e-5, atol=1e-4)  # the sub-steps compose to W1
    assert errors == []
    page.close()
