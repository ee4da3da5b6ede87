"""Opening an offline page (``write_html``'s output) in the shared headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any


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
