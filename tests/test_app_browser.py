"""The explorer in a real browser: controls re-warp the drawn data to what the library computes.

The server runs in this process on a free loopback port (stopped at the end); pages are
driven by headless Debian chromium through playwright. Drawn data is read back from the
canvas component (``el.__spacewarp``: the stage coordinates drawn, the morph's points,
the cameras; ``data-sw-version`` counts redraws) and compared with
``spacewarp.pipeline.run`` of the experiment the test expects, in float32.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

from spacewarp.config.experiment import Experiment, validated
from spacewarp.pipeline import run
from spacewarp.view import display_coords, pad

BASE = {"input": {"points": 300}}  # small: the test is about behaviour, not speed
TIMEOUT_S = 60.0
ROOT = ".sw-canvas .sw-root[data-sw-version]"

DRAWN_JS = "el => el.__spacewarp.stages.map(s => Array.from(s))"
SIGNATURE_JS = """el => [el.__spacewarp.serial,
    el.__spacewarp.stages.map(s => Array.from(s.slice(0, 8)).join(',')).join(';')]"""
# set the stage slider and read the morph's points in the same task: no server round trip
SLIDE_JS = """(el, value) => {
  const slider = el.querySelector('input.sw-stage-slider');
  slider.value = String(value);
  slider.dispatchEvent(new Event('input'));
  const m = el.__spacewarp.morph;
  return [m.stage, m.t, Array.from(m.points)];
}"""
CAMERA_JS = "(el, k) => Array.from(el.__spacewarp.cameras[k])"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(base: Experiment) -> Iterator[str]:
    """The explorer on a free loopback port, started from ``base``; stopped on exit."""
    from spacewarp.app.server import start_server

    port = free_port()
    server = start_server("127.0.0.1", port, base, threaded=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.stop()
        server.spacewarp_sessions.shutdown()


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with live_server(validated(BASE)) as address:
        yield address


class Page:
    """One browser tab on the explorer, recording console errors."""

    def __init__(self, browser: Any, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1500, "height": 1000})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.root = self.page.locator(ROOT)
        self.root.wait_for(timeout=TIMEOUT_S * 1000)

    def drawn(self) -> list[np.ndarray]:
        """Per stage, the (n, 3) float32 display coordinates drawn (padded with zeros)."""
        return [np.array(s, dtype=np.float32).reshape(-1, 3)
                for s in self.root.evaluate(DRAWN_JS)]

    def signature(self) -> str:
        return str(self.root.evaluate(SIGNATURE_JS))

    def changed(self, before: str) -> None:
        """Wait until the drawn data (and its serial) differ from ``before``."""
        deadline = time.monotonic() + TIMEOUT_S
        while self.signature() == before:
            assert time.monotonic() < deadline, "the drawn data never changed"
            time.sleep(0.1)

    def version(self) -> int:
        return int(self.root.get_attribute("data-sw-version") or 0)

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


def shown(experiment: Experiment) -> list[np.ndarray]:
    """Per stage, the library's display coordinates padded to 3-D (n, 3) float32."""
    return [pad(display_coords(s.points), 3).astype(np.float32)
            for s in run(experiment).stages]


def assert_drawn(page: Page, experiment: Experiment) -> None:
    """Every drawn stage equals the library's trace of ``experiment`` (float32), once the
    page has settled: on a busy machine an earlier update may still be landing when the
    first change is seen."""
    want = shown(experiment)
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        drawn = page.drawn()
        try:
            assert len(drawn) == len(want)
            for got, expected in zip(drawn, want, strict=True):
                np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


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
