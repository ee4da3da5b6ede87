"""Pages in the shared headless Chromium (``conftest.browser``): an offline page
(``write_html``'s output), and the explorer on a live server in this process.

The explorer's drawn data is read back from the canvas component (``el.__spacewarp``: the
stage coordinates drawn, the morph's points, the cameras; ``data-sw-version`` counts
redraws) and compared with ``spacewarp.pipeline.run`` of the experiment a test expects.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from spacewarp.config.experiment import Experiment
from spacewarp.pipeline import run
from spacewarp.view import display_coords, pad


def open_page(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    """The page at ``path`` once the renderer says it is ready, with the console errors and
    the URLs it requests (both filled as the page runs)."""
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("body[data-spacewarp-ready]", timeout=60_000)
    return page, errors, requests


# --- the explorer ------------------------------------------------------------------------

BASE = {"input": {"points": 300}}  # small: the test is about behaviour, not speed
TIMEOUT_S = 60.0
ROOT = ".sw-canvas .sw-root[data-sw-version]"

DRAWN_JS = "el => el.__spacewarp.stages.map(s => Array.from(s))"
SIGNATURE_JS = """el => [el.__spacewarp.serial,
    el.__spacewarp.stages.map(s => Array.from(s.slice(0, 8)).join(',')).join(';')]"""


def free_port() -> int:
    """A loopback port free at the time of asking."""
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
