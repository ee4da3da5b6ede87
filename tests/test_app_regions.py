"""The explorer's Regions menu and SVD toggle in-process: the film spec it sends, the state
link, and the one-line refusal for a smooth network beside the Regions control."""

from __future__ import annotations

import numpy as np
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
