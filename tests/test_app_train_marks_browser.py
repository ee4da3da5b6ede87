"""The explorer training on a slice, in a real browser: the anchors stay marked (ringed and
titled) in every stage while training runs live, at the places of the anchor rows'
own points drawn in that update, and move with them; paused, they still are.

Reference: the points drawn (``el.__spacewarp.stages``: the probe sub-grid, then the slice's
anchor rows, whose coordinates are the slice's) against the marks drawn (``marks()``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from test_app_train_browser import Trainee

BASE = {"input": {"name": "digits", "points": 300, "slice": "0,10,20"},
        "network": {"layers": [64, 8, 10], "activation": "relu", "bias": True,
                    "init": "random"},
        "train": {"lr": 0.05, "epochs": 100_000, "probe": 12}}
ANCHORS = 3
LAST_STAGE_JS = """el => { const s = el.querySelector('input.sw-stage-slider')
  s.value = s.max; s.dispatchEvent(new Event('input')) }"""
# the marks and the morph view's points last drawn, at once (a live update may come between
# two evaluations)
DRAWN_JS = """el => { const m = el.__spacewarp.marks(), v = el.__spacewarp.morph
  return [m ? Array.from(m) : null, Array.from(v.points), v.s] }"""


class Marked(Trainee):
    def marks_and_anchors(self) -> tuple[np.ndarray | None, np.ndarray, float]:
        """The marks last drawn in the morph view (m, 3), the anchor rows' points drawn
        there with them (the last m points: (m, 3)), and the view's position."""
        marks, points, position = self.root.evaluate(DRAWN_JS)
        anchors = np.array(points, dtype=np.float64).reshape(-1, 3)[-ANCHORS:]
        return (None if marks is None else np.array(marks).reshape(-1, 3)), anchors, position


def test_the_anchors_stay_marked_while_training_runs_live(browser: Any, url: str) -> None:
    page = Marked(browser, url)
    page.root.evaluate(LAST_STAGE_JS)  # the output: the anchors move there as training goes
    page.press("train")
    seen = []
    for wanted in (3, 8):
        page.wait(lambda w=wanted: page.live() >= w, f"{wanted} live updates")
        marks, anchors, position = page.marks_and_anchors()
        assert position > 0  # the morph view rests on the last stage, not the slice
        assert marks is not None, "no marks drawn while training runs live"
        np.testing.assert_allclose(marks, anchors, atol=1e-5 * max(1.0, np.ptp(anchors)))
        seen.append(marks)
    assert np.abs(seen[0] - seen[1]).max() > 0, "the marks never moved with training"
    page.press("pause")
    page.settled()
    marks, anchors, _ = page.marks_and_anchors()  # paused: the training view's own marks
    assert marks is not None
    np.testing.assert_allclose(marks, anchors, atol=1e-5 * max(1.0, np.ptp(anchors)))
    assert page.errors == [], page.errors
    page.close()
