"""The explorer's Regions menu in a real browser: choosing it draws the exact regions'
outlines through the network; a smooth network's refusal shows beside the menu."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from pages import TIMEOUT_S, Page, live_server

from spacewarp.config.experiment import validated
from spacewarp.measure import regions
from spacewarp.pipeline import model_for, resolve

RELU = {"input": {"name": "grid", "points": 400},
        "network": {"layers": [2, 3, 2], "activation": "relu", "bias": True, "init": "random"}}
OUTLINES = """(el, k) => { const s = el.querySelector('input.sw-stage-slider'); s.value = String(k)
  s.dispatchEvent(new Event('input')); const r = el.__spacewarp.regions()
  return r && {start: Array.from(r.start), points: Array.from(r.points)} }"""


def test_regions_menu_draws_outlines_and_refuses_tanh(browser: Any) -> None:
    base = validated(RELU)
    with live_server(base) as url:
        tab = Page(browser, url)
        assert tab.root.evaluate(OUTLINES, 0) is None  # off to start with
        tab.page.locator(".sw-regions select").select_option(label="outlines, a colour per region")
        deadline = time.monotonic() + TIMEOUT_S
        while tab.root.evaluate(OUTLINES, 0) is None:
            assert time.monotonic() < deadline, "the regions never came"
            time.sleep(0.1)
        resolved, pts = resolve(base)
        model = model_for(resolved).double()
        x = pts.x
        want = regions(model, (x[:, 0].min(), x[:, 0].max(), x[:, 1].min(), x[:, 1].max()))
        verts = np.concatenate(want.polygons)
        for k in (0, 1, 2, 3):
            drawn = tab.root.evaluate(OUTLINES, k)
            assert np.diff(drawn["start"]).tolist() == want.count.tolist()
            with torch.no_grad():
                ref = model[:k](torch.from_numpy(verts)).numpy() if k else verts
            got = np.array(drawn["points"]).reshape(-1, 3)[:, : ref.shape[1]]
            assert np.allclose(got, ref, rtol=1e-5, atol=1e-5), k
        tab.page.locator(".sw-activation select").select_option("tanh")
        message = tab.page.locator(".sw-error-text[data-control='regions']")
        message.wait_for(timeout=TIMEOUT_S * 1000)
        assert "--color-by stretch" in message.inner_text()
        assert tab.errors == []
        tab.context.close()
