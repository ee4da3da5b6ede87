"""Training in the explorer, in a real browser: Train changes the views and the loss falls,
Pause stops them, two sessions train apart, and the training-time slider shows each
snapshot's exact coordinates (against a forward pass written here, with the parameters
``sw.train`` reaches at that snapshot's epoch: the same seeded steps).

The server runs in this process on a free loopback port; pages are driven by headless
Debian chromium through playwright (``el.__spacewarp``: the stages drawn, ``live``: the
last live update applied; ``.sw-train-numbers``: epoch and losses).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from pages import TIMEOUT_S, Page, live_server

import spacewarp as sw
from spacewarp.config.experiment import validated

BASE = {"input": {"name": "spiral", "points": 300},
        "network": {"layers": [2, 3, 3, 3], "activation": "relu", "bias": True,
                    "init": "random"},
        "train": {"lr": 0.02, "epochs": 100_000}}
LIVE_JS = "el => [el.__spacewarp.live || 0, el.__spacewarp.serial]"
STAGES_JS = "el => el.__spacewarp.stages.map(s => Array.from(s))"


class Trainee(Page):
    """An explorer tab with the training buttons."""

    def press(self, name: str) -> None:
        self.page.locator(f".sw-train-{name} button").click()

    def numbers(self) -> dict[str, float]:
        el = self.page.locator(".sw-train-numbers")
        el.wait_for(timeout=TIMEOUT_S * 1000)
        return {k: float(el.get_attribute(f"data-{k}") or "nan")
                for k in ("epoch", "train-loss", "test-loss")}

    def live(self) -> int:
        return int(self.root.evaluate(LIVE_JS)[0])

    def stages(self) -> list[np.ndarray]:
        return [np.array(s, dtype=np.float64).reshape(-1, 3)
                for s in self.root.evaluate(STAGES_JS)]

    def wait(self, test: Any, what: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while not test():
            assert time.monotonic() < deadline, f"never: {what}"
            time.sleep(0.1)

    def settled(self) -> str:
        """Wait until nothing moves for a second; the drawn signature then."""
        last, since = self.signature(), time.monotonic()
        deadline = since + TIMEOUT_S
        while time.monotonic() - since < 1.0:
            assert time.monotonic() < deadline, "the views never settled"
            time.sleep(0.2)
            now = self.signature()
            if now != last:
                last, since = now, time.monotonic()
        return last


def test_train_moves_the_views_and_the_loss_falls_pause_stops(browser: Any, url: str) -> None:
    page = Trainee(browser, url)
    before = page.signature()
    page.press("train")
    first = page.numbers()
    page.wait(lambda: page.live() >= 3 and page.signature() != before, "live updates")
    page.wait(lambda: page.numbers()["train-loss"] < first["train-loss"] - 0.05,
              "the loss falls")
    page.press("pause")
    page.page.locator("input.sw-time-slider-input").wait_for(state="visible",
                                                             timeout=TIMEOUT_S * 1000)
    still = page.settled()
    epoch = page.numbers()["epoch"]
    time.sleep(1.5)
    assert page.signature() == still and page.numbers()["epoch"] == epoch
    assert not page.errors
    page.close()


def test_two_sessions_train_independently(browser: Any, url: str) -> None:
    a, b = Trainee(browser, url), Trainee(browser, url)
    b_before = b.settled()
    a.press("train")
    a.wait(lambda: a.live() >= 3, "a trains")
    assert b.signature() == b_before and b.live() == 0
    assert b.page.locator(".sw-train-numbers").count() == 0
    b.press("train")
    b.wait(lambda: b.live() >= 3, "b trains too")
    a.press("pause")
    a.page.locator("input.sw-time-slider-input").wait_for(state="visible",
                                                          timeout=TIMEOUT_S * 1000)
    a_epoch = a.numbers()["epoch"]
    b_epoch = b.numbers()["epoch"]
    b.wait(lambda: b.numbers()["epoch"] > b_epoch + 20, "b goes on while a is paused")
    assert a.numbers()["epoch"] == a_epoch
    b.press("pause")
    assert not a.errors and not b.errors
    a.close()
    b.close()


def forward(x: np.ndarray, params: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Every stage of the 2,3,3,3 ReLU network, by hand: (n, d_k) each."""
    out = [x]
    for i in (0, 2, 4):
        out.append(out[-1] @ params[f"{i}.weight"].T + params[f"{i}.bias"])
        if i < 4:
            out.append(np.maximum(out[-1], 0.0))
    return out


def test_the_time_slider_shows_each_snapshot_exactly(browser: Any, url: str) -> None:
    page = Trainee(browser, url)
    page.press("train")
    page.wait(lambda: page.numbers()["epoch"] >= 150, "150 epochs")
    page.press("pause")
    slider = page.page.locator("input.sw-time-slider-input")
    slider.wait_for(state="visible", timeout=TIMEOUT_S * 1000)
    count = int(slider.get_attribute("max") or 0) + 1
    assert count >= 4
    caption = page.page.locator(".sw-caption")
    for s in (1, count // 2, count - 1):
        slider.fill(str(s))
        epoch = int(caption.get_attribute("data-epoch") or -1)
        assert epoch > 0
        trained = sw.train(validated({**BASE, "train": {**BASE["train"], "epochs": epoch,
                                                        "snapshots": 2}}))
        expected = forward(trained.points.x, {k: v[-1] for k, v in trained.params.items()})
        drawn = page.stages()
        n = trained.points.n
        for k, stage in enumerate(expected):
            got = drawn[k][-n:, : stage.shape[1]]  # the data rows (the probe comes first)
            scale = float(np.ptp(stage)) or 1.0
            np.testing.assert_allclose(got, stage, rtol=0, atol=2e-5 * scale + 1e-6,
                                       err_msg=f"snapshot {s} (epoch {epoch}), stage {k}")
    assert not page.errors
    page.close()


def test_a_regression_shows_its_learned_curve_beside_a_full_width_slider(browser: Any) -> None:
    """1-D regression in the explorer's narrow morph column: once training ends, the time
    row holds the learned-curve plot and the loss curve without squeezing the slider."""
    base = validated({"input": {"name": "sin", "points": 200},
                      "network": {"layers": [1, 8, 1], "activation": "tanh"},
                      "train": {"epochs": 200}})
    with live_server(base) as address:
        page = Trainee(browser, address)
        try:
            page.press("train")
            slider = page.page.locator("input.sw-time-slider-input")
            slider.wait_for(state="visible", timeout=TIMEOUT_S * 1000)
            fit = page.page.locator("canvas.sw-fit")
            fit.wait_for(state="visible", timeout=TIMEOUT_S * 1000)
            row = page.page.locator(".sw-time").bounding_box()
            assert slider.bounding_box()["width"] > 0.5 * row["width"]
            assert fit.bounding_box()["width"] >= 200 and not page.errors
        finally:
            page.close()
