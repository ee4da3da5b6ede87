"""Shared fixtures: a headless Debian Chromium for browser tests, and the explorer served
from the test module's ``BASE`` experiment (the helpers that drive both: ``pages.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by playwright (installed by `make test`, never downloaded).

    One per test module: playwright's sync API holds the main thread's event loop while it
    runs, which the Bokeh and tornado clients of later modules need."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The address of the explorer on a free loopback port, started from the test module's
    ``BASE`` (a dict for ``validated``); stopped after the module's tests."""
    from pages import live_server

    from spacewarp.config.experiment import validated

    with live_server(validated(request.module.BASE)) as address:
        yield address
