"""A wide stage's turning data (render/tour.py) is encoded once per points: the explorer's
changes that keep the network's wide stages (a colour, an activation after the first
layer) send the same bytes without encoding them again. References: numpy's PCA mean."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pytest

import spacewarp as sw
from spacewarp.render import tour as tour_module
from spacewarp.render.blobs import Blobs
from spacewarp.render.browser import film_spec
from spacewarp.view.coords import projection


def _trace(activation: str) -> sw.Trace:
    return sw.run(sw.Experiment.model_validate({
        "input": {"name": "spiral", "points": 300, "color_by": "label"},
        "network": {"layers": [2, 8, 3], "activation": activation, "init": "random"}}))


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The row counts of every tour array encoded (put_int16 counted)."""
    calls: list[int] = []
    real = tour_module.put_int16

    def counting(x: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(x))
        return real(x, *args, **kwargs)

    monkeypatch.setattr(tour_module, "put_int16", counting)
    tour_module.ENCODED_TOURS.clear()
    return calls


def test_a_wide_stage_is_encoded_once_across_changes_that_keep_it(encoded: list[int]) -> None:
    relu, tanh = _trace("relu"), _trace("tanh")
    np.testing.assert_array_equal(relu.stages[1].points, tanh.stages[1].points)  # same Linear
    first = film_spec(relu, None, Blobs("b64", named=True))
    again = film_spec(tanh, None, Blobs("b64", named=True))
    wide = [k for k, t in enumerate(first["tours"]) if t and t["data"]]
    assert wide == [1, 2]  # Linear 2 -> 8 and its activation
    assert len(encoded) == 3  # relu's two stages, then tanh's activation alone
    assert again["tours"][1]["data"]["id"] == first["tours"][1]["data"]["id"]
    assert again["tours"][2]["data"]["id"] != first["tours"][2]["data"]["id"]
    for spec, trace in ((first, relu), (again, tanh)):  # the bytes: the points, centred
        for k in wide:
            d, x = spec["tours"][k]["data"], trace.stages[k].points
            q = np.frombuffer(base64.b64decode(d["b64"]), np.int16).reshape(d["shape"])
            got = np.asarray(d["lo"]) + (q + 32767.0) * np.asarray(d["step"])
            centred = x - projection(x).mean
            np.testing.assert_allclose(got, centred, atol=1e-4 * np.ptp(centred))


def test_specs_whose_arrays_index_their_store_encode_each_time(encoded: list[int]) -> None:
    trace = _trace("relu")
    film_spec(trace, None, Blobs("text"))
    film_spec(trace, None, Blobs("text"))
    assert len(encoded) == 4  # a page's text blocks: the descriptor points into its store
