"""The explorer's Regions menu and SVD toggle in-process: the film spec it sends, the state
link, and the one-line refusal for a smooth network beside the Regions control."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spacewarp.app.session import Explorer
from spacewarp.app.state import decode, encode
from spacewarp.config.experiment import validated
from spacewarp.measure import regions
from spacewarp.pipeline import model_for, resolve

RELU = {"input": {"name": "grid", "points": 400},
        "network": {"layers": [2, 3, 2], "activation": "relu", "bias": True,
                    "init": "random"}}


def test_regions_menu_sends_outlines_and_travels_in_the_link() -> None:
    session = Explorer(validated(RELU))
    assert session.views.canvas.data["regions"] is None
    session.change("regions", "area")
    spec = session.views.canvas.data
    assert spec["regions"] is not None and spec["regions"]["fill"] == "area"
    assert session.controls.error_text("regions") == ""
    # the outlines count the network's exact regions on the input box, independently
    resolved, pts = resolve(session.experiment)
    x = pts.x
    model = model_for(resolved).double()
    with torch.no_grad():
        assert np.allclose(model(torch.from_numpy(x)).numpy(), session.trace.output)
    want = regions(model, (x[:, 0].min(), x[:, 0].max(), x[:, 1].min(), x[:, 1].max()))
    assert spec["regions"]["count"]["shape"] == [len(want)]
    again = decode(encode(session.experiment))
    assert again.style.regions == "area" and again == session.experiment
    session.change("svd_steps", True)
    kinds = [s["kind"] for s in session.views.canvas.data["segments"]]
    assert kinds[:4] == ["rotate", "scale", "rotate", "bias"]
    assert decode(encode(session.experiment)).style.svd_steps


def test_regions_of_a_tanh_network_are_refused_beside_the_menu() -> None:
    session = Explorer(validated({**RELU, "network": {**RELU["network"], "activation": "tanh"}}))
    shown = session.views.canvas.spec  # the JSON text the page holds
    session.change("regions", "region")
    message = session.controls.error_text("regions")
    assert "stretch" in message and "tanh" in message
    assert session.experiment.style.regions == "off"  # the last good state stays
    assert session.views.canvas.spec is shown


def test_measures_toggle_puts_the_summary_in_every_title() -> None:
    from spacewarp.measure import measures
    from spacewarp.pipeline import run

    session = Explorer(validated(RELU))
    assert all(not s["measures"] for s in session.views.canvas.data["stages"])
    session.change("measures", True)
    stages = session.views.canvas.data["stages"]
    plain = run(validated(RELU))
    m = measures(plain)
    assert [s["measures"] for s in stages[1:]] == [m.summary(k) for k in range(1, len(stages))]
    assert decode(encode(session.experiment)).style.measures


def test_regions_past_the_films_cap_are_refused_before_they_are_all_enumerated(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """2,64,64,2 on the grid has about 6,800 regions (counted below): with a film cap of
    1,000 and a work cap of 2,000, the enumerator must stop near 2,000, not finish them all
    and refuse afterwards (in the explorer, a deep 128-wide network took minutes so)."""
    from spacewarp.measure import chain_walk
    from spacewarp.view import outlines

    wide = {**RELU, "network": {**RELU["network"], "layers": [2, 64, 64, 2]}}
    session = Explorer(validated(wide))
    resolved, pts = resolve(session.experiment)
    box = (pts.x[:, 0].min(), pts.x[:, 0].max(), pts.x[:, 1].min(), pts.x[:, 1].max())
    assert len(regions(model_for(resolved).double(), box)) > 4_000  # well past both caps
    monkeypatch.setattr(outlines, "MAX_OUTLINE_REGIONS", 1_000)
    monkeypatch.setattr(outlines, "MAX_OUTLINE_WORK", 2_000, raising=False)
    made: list[int] = []  # regions after each layer's cuts
    split = chain_walk.split_active

    def counted(*args: object, **kwargs: object) -> object:
        out = split(*args, **kwargs)  # type: ignore[arg-type]
        made.append(len(out.count))
        return out

    monkeypatch.setattr(chain_walk, "split_active", counted)
    shown = session.views.canvas.spec
    session.change("regions", "region")
    message = session.controls.error_text("regions")
    assert "more than the 1,000 a film draws" in message and "\n" not in message
    assert max(made, default=0) <= 2_000
    assert session.experiment.style.regions == "off" and session.views.canvas.spec is shown
