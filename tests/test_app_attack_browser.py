"""The explorer's refusals in a real browser: bad links, typed values and uploads each get
a message beside their control, and the page keeps working (its drawn data is what the
library computes for the experiment the test expects).

One server in this process on a free loopback port (stopped at the end); headless Debian
chromium through playwright. Screenshots of each refusal go to the test's tmp folder.
"""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from pages import BASE, Page, assert_drawn

from spacewarp.config.experiment import validated

BIG_ROWS = 100_000  # an 18 MB CSV: 100,000 rows of two 88-decimal numbers




def packed(data: Any) -> str:
    raw = zlib.compress(json.dumps(data).encode())
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def real_errors(page: Page) -> list[str]:
    """Console errors other than the refused upload's HTTP status (the browser logs it)."""
    return [e for e in page.errors if "status of 413" not in e and "status of 400" not in e]


def test_bad_links_values_and_uploads_get_messages_and_the_page_keeps_working(
        browser: Any, url: str, tmp_path: Path) -> None:
    # a link holding a value the CLI refuses: the default page, the message beside Seed
    a = Page(browser, f"{url}?s={packed({**BASE, 'seed': -1})}")
    assert "between 0 and" in a.message("seed") and "between 0 and" in a.message("link")
    assert_drawn(a, validated(BASE))
    a.page.screenshot(path=str(tmp_path / "link-seed.png"))

    # values typed into controls
    before = a.signature()
    a.type_into("points", "3_0")
    assert "plain number" in a.message("points")
    a.type_into("widths", "2,200,2")
    assert "at most 128" in a.message("widths")
    assert a.signature() == before
    a.page.screenshot(path=str(tmp_path / "typed.png"))

    # uploads over HTTP: over the limit (refused from its length), then an 18 MB CSV
    big = tmp_path / "over.csv"
    big.write_bytes(b"1,2\n" * 5_250_000)  # 21 MB
    a.page.locator(".sw-upload input[type=file]").set_input_files(str(big))
    assert "at most 20 MB" in a.message("upload")
    a.page.screenshot(path=str(tmp_path / "upload-too-big.png"))
    x = np.random.default_rng(7).uniform(-1, 1, size=(BIG_ROWS, 2))
    csv = tmp_path / "eighteen.csv"
    csv.write_text("".join(f"{p:.88f},{q:.88f}\n" for p, q in x))
    assert 17e6 < csv.stat().st_size < 20e6
    a.page.locator(".sw-upload input[type=file]").set_input_files(str(csv))
    a.changed(before)
    drawn = a.drawn()[0]
    assert drawn.shape == (BIG_ROWS, 3)
    # from 1e5 points the renderer sends int16 within each stage's range (1e-4 of it, stated)
    np.testing.assert_allclose(drawn[:, :2], x, rtol=0, atol=1e-4 * np.ptp(x))
    assert a.page.locator('[data-control="upload"]').count() == 0
    a.page.screenshot(path=str(tmp_path / "upload-18MB.png"))

    # a link too long for the app (70 kB): the page opens with a message
    b = Page(browser, f"{url}?s={'A' * 70_000}")
    assert "at most 60,000" in b.message("link")
    assert_drawn(b, validated(BASE))
    b.page.screenshot(path=str(tmp_path / "link-long.png"))
    before = b.signature()
    b.type_into("seed", "3")  # ... and keeps working
    b.changed(before)
    assert_drawn(b, validated({**BASE, "seed": 3}))
    assert b.page.locator('[data-control="link"]').count() == 0

    for page in (a, b):
        assert real_errors(page) == [], page.errors
        page.close()
