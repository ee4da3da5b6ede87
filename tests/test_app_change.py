"""The explorer after a change (issue 20), in-process: a colour or style change traces
nothing again, projections are remembered, and the page is sent only the arrays it does
not hold. References: ``pipeline.run`` of the experiment from scratch, a projection
computed here with NumPy, the spec's arrays decoded with the standard library."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pytest

from spacewarp.app.session import Explorer
from spacewarp.config.experiment import validated
from spacewarp.pipeline import rerun, run
from spacewarp.render.blobs import Blobs, drop_known
from spacewarp.tracing import trace as tracing
from spacewarp.view import coords

WIDE = {"input": {"points": 400}, "network": {"layers": [2, 12, 3], "bias": True}}


def _with(**section: Any) -> Any:
    return validated({**WIDE, **section})


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A count of the traces made (``tracing.trace.trace`` calls from the pipeline)."""
    calls: list[int] = []
    real = tracing.trace

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("spacewarp.pipeline.trace", counting)
    return calls


def test_a_colour_change_recolours_the_stages_it_has(traced: list[int]) -> None:
    first = run(_with())
    recoloured = rerun(first, _with(input={**WIDE["input"], "color_by": "angle"},
                                    style={"theme": "light", "measures": True}))
    assert len(traced) == 1  # the first run only
    assert all(a.points is b.points for a, b in zip(first.stages, recoloured.stages,
                                                    strict=True))
    fresh = run(_with(input={**WIDE["input"], "color_by": "angle"},
                      style={"theme": "light", "measures": True}))
    np.testing.assert_array_equal(recoloured.color, fresh.color)
    assert recoloured.color_by == "angle" and recoloured.experiment == fresh.experiment
    assert recoloured.style == fresh.style and recoloured.stage_notes == fresh.stage_notes
    plain = rerun(recoloured, _with())  # measures off again: no notes left over
    assert plain.stage_notes == () and len(traced) == 2


def test_a_new_network_or_new_points_are_traced_again(traced: list[int]) -> None:
    first = run(_with())
    for other in (_with(network={**WIDE["network"], "activation": "relu"}),
                  _with(input={**WIDE["input"], "points": 401}), _with(seed=3)):
        again = rerun(first, other)
        np.testing.assert_array_equal(again.output, run(other).output)
    assert len(traced) == 1 + 3 + 3


def test_a_projection_is_remembered_and_read_only() -> None:
    x = np.random.default_rng(0).normal(size=(300, 12))
    p = coords.fit(x)
    shown = p(x)
    assert p(x) is shown and not shown.flags.writeable
    assert p(x.copy()) is not shown  # other points (equal or not): computed for them
    assert p.axes is not None and p.mean is not None
    np.testing.assert_allclose(shown, (x - p.mean) @ p.axes.T, rtol=1e-12, atol=1e-12)


def _arrays(spec: Any) -> list[dict[str, Any]]:
    """Every array descriptor in ``spec``."""
    if isinstance(spec, list):
        return [d for v in spec for d in _arrays(v)]
    if not isinstance(spec, dict):
        return []
    if "dtype" in spec and "shape" in spec:
        return [spec]
    return [d for v in spec.values() for d in _arrays(v)]


def test_arrays_the_page_holds_go_by_id_only() -> None:
    store = Blobs("b64", named=True)
    a, b = np.arange(6, dtype=np.float32), np.arange(4, dtype=np.int32)
    spec = {"keys": [store.put(a), store.put(b)], "n": 3}
    first, held = drop_known(spec, set())
    assert first == spec and len(held) == 2
    again = {"keys": [Blobs("b64", named=True).put(a), Blobs("b64", named=True).put(b + 1)]}
    sent, held2 = drop_known(again, held)
    assert sent["keys"][0]["same"] and "b64" not in sent["keys"][0]
    assert sent["keys"][0]["id"] == spec["keys"][0]["id"]
    np.testing.assert_array_equal(  # the new array in full
        np.frombuffer(base64.b64decode(sent["keys"][1]["b64"]), np.int32), b + 1)
    assert held2 == {d["id"] for d in again["keys"]} and "b64" in again["keys"][0]


def test_new_arrays_go_as_bytes_when_binary() -> None:
    a, b = np.arange(6, dtype=np.float32), np.arange(4, dtype=np.int32)
    spec = {"keys": [Blobs("b64", named=True).put(a), Blobs("b64", named=True).put(b)]}
    held = {spec["keys"][0]["id"]}
    sent, _ = drop_known(spec, held, binary=True)
    assert sent["keys"][0]["same"] and "bin" not in sent["keys"][0]
    assert isinstance(sent["keys"][1]["bin"], bytes) and "b64" not in sent["keys"][1]
    np.testing.assert_array_equal(np.frombuffer(sent["keys"][1]["bin"], np.int32), b)
    assert "b64" in spec["keys"][1]  # the spec kept (the component's data) is not changed


def test_a_colour_change_sends_only_the_colours() -> None:
    ex = Explorer(_with())
    ex.change("color_by", "angle")
    sent, full = _arrays(ex.views.canvas.spec), _arrays(ex.views.canvas.data)
    new = [d for d in sent if "bin" in d]
    assert [d["shape"] for d in new] == [[400]]  # the colour index alone, as bytes
    assert not any("b64" in d for d in sent)  # nothing as base64 text in the JSON
    assert len(sent) == len(full) and all("b64" in d for d in full)
    index = np.frombuffer(new[0]["bin"], np.uint8)
    np.testing.assert_array_equal(index, np.frombuffer(
        base64.b64decode(ex.views.canvas.data["color"]["index"]["b64"]), np.uint8))


def test_every_control_hands_its_change_over_at_once() -> None:
    """Panel holds a change from the page 50 ms by default (``_debounce``, for a slider's
    drag); the sidebar's menus, boxes and typed values are handed to Python at once, the
    generator's parameter boxes (made again with each input) included."""
    ex = Explorer(_with())
    ex.change("input", "spiral")
    widgets = ex.controls.widgets
    assert any(name.startswith("param:") for name in widgets)
    for name, widget in widgets.items():
        assert widget._debounce == 0, name
