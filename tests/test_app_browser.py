"""The explorer in a real browser: controls re-warp the drawn data to what the library computes.

The server runs in this process on a free loopback port (stopped at the end); pages are
driven by headless Debian chromium through playwright. Drawn data is read back from the
plotly divs (``gd.data``, ``gd._transitionData._frames``) and compared with
``spacewarp.pipeline.run`` of the experiment the test expects, in float32.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from spacewarp.config import Experiment, validated
from spacewarp.pipeline import run

BASE = {"input": {"points": 300}}  # small: the test is about behaviour, not speed
TIMEOUT_S = 60.0

DRAWN_JS = """gd => gd.data.filter(t => t.mode === 'markers').map(t => [t.name,
    Array.from(t.x), Array.from(t.y), t.z ? Array.from(t.z) : null])"""
SIGNATURE_JS = """gd => gd.data.map(t => t.mode === 'markers' ?
    Array.from(t.x.slice(0, 8)).join(',') + Array.from(t.y.slice(0, 8)).join(',') : '')
    .join(';')"""
FRAMES_JS = """gd => (gd._transitionData._frames || []).filter(f => f.data).map(f => [f.name,
    ...[f.data[f.data.length - 1]].map(t => [Array.from(t.x), Array.from(t.y),
                                             t.z ? Array.from(t.z) : null])[0]])"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    from spacewarp.app.server import start_server

    port = free_port()
    server = start_server("127.0.0.1", port, validated(BASE), threaded=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/"
    server.stop()


class Page:
    """One browser tab on the explorer, recording console errors."""

    def __init__(self, browser: Any, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1500, "height": 1000})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.grid = self.page.locator(".sw-stages .js-plotly-plot")
        self.morph = self.page.locator(".sw-morph .js-plotly-plot")
        self.grid.wait_for(timeout=TIMEOUT_S * 1000)
        self.morph.wait_for(timeout=TIMEOUT_S * 1000)

    def drawn(self) -> dict[str, np.ndarray]:
        """Stage name -> (n, 2 or 3) float32 points as drawn in the stages view."""
        out = {}
        for name, x, y, z in self.grid.evaluate(DRAWN_JS):
            cols = [x, y] + ([z] if z is not None else [])
            out[name] = np.array(cols, dtype=np.float32).T
        return out

    def signature(self) -> str:
        return str(self.grid.evaluate(SIGNATURE_JS))

    def changed(self, before: str) -> None:
        """Wait until the stages view's data differs from ``before``."""
        deadline = time.monotonic() + TIMEOUT_S
        while self.signature() == before:
            assert time.monotonic() < deadline, "the plot data never changed"
            time.sleep(0.1)

    def type_into(self, control: str, text: str) -> None:
        box = self.page.locator(f".sw-{control} input")
        box.fill(text)
        box.press("Enter")

    def edit_cell(self, module: str, row: int, column: str, text: str) -> None:
        cell = (self.page.locator(f".sw-grid-{module} .tabulator-row").nth(row)
                .locator(f'.tabulator-cell[tabulator-field="{column}"]'))
        cell.click()
        editor = cell.locator("input")
        editor.fill(text)
        editor.press("Enter")

    def message(self, control: str) -> str:
        """The message shown under ``control``, checked to sit right below it."""
        line = self.page.locator(f'[data-control="{control}"]')
        line.wait_for(timeout=TIMEOUT_S * 1000)
        return line.inner_text()

    def close(self) -> None:
        self.context.close()


def assert_drawn(page: Page, experiment: Experiment) -> None:
    """Every drawn stage equals the library's trace of ``experiment`` (float32)."""
    trace = run(experiment)
    drawn = page.drawn()
    assert len(drawn) == len(trace.stages)
    for k, stage in enumerate(trace.stages):
        got = drawn[f"stage {k}"]
        want = np.zeros((trace.n, got.shape[1]))
        want[:, :stage.dim] = stage.points  # 1-D stages lie on the x-axis
        np.testing.assert_allclose(got, want.astype(np.float32), rtol=1e-6, atol=1e-6)


def assert_frames(page: Page, experiment: Experiment) -> None:
    """The morph view holds a frame per stage (played in the browser) ending at the output."""
    trace = run(experiment)
    frames = {name: (x, y, z) for name, x, y, z in page.morph.evaluate(FRAMES_JS)}
    assert {f"stage-{k}" for k in range(len(trace.stages))} <= set(frames)
    assert len(frames) > len(trace.stages)  # morph frames between the stages
    x, y, _ = frames[f"stage-{len(trace.stages) - 1}"]
    np.testing.assert_allclose(np.array([x, y]).T, trace.output.astype(np.float32),
                               rtol=1e-6, atol=1e-6)


def with_(base: dict[str, Any], **network: Any) -> dict[str, Any]:
    return {**base, "network": {**base.get("network", {}), **network}}


def test_controls_rewarp_the_views_and_sessions_stay_apart(browser: Any, url: str) -> None:
    a, b = Page(browser, url), Page(browser, url)
    assert_drawn(a, validated(BASE))
    assert_frames(a, validated(BASE))

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
    assert_frames(a, validated(current))

    # invalid values: a message beside the control, the last good views kept
    before = a.signature()
    a.type_into("widths", "2,x")
    assert "do not parse" in a.message("widths")
    a.type_into("points", "1e9")
    assert "200,000" in a.message("points")
    a.edit_cell("2", 0, "x1", "NaN")
    assert "finite" in a.message("weights")
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
