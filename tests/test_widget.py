"""The notebook widget in Python (``sw.widget``): its traits, its binary buffers and
``trace.select``, checked against the trace's own arrays and matplotlib's colour maps.
Its JavaScript in a real JupyterLab: test_widget_jupyterlab.py."""

from __future__ import annotations

import json

import numpy as np
import pytest
from matplotlib import colormaps

import spacewarp as sw
from spacewarp.render.widget import Widget


@pytest.fixture(scope="module")
def trace() -> sw.Trace:
    return sw.run(input="spiral", points=600, layers="2,5,3", activation="relu", seed=1,
                  device="cpu")


@pytest.fixture(scope="module")
def sampled(trace: sw.Trace) -> Widget:
    return sw.widget(trace, max_points=250, sample_seed=3)


def test_select_returns_the_traces_rows_at_every_stage(trace: sw.Trace) -> None:
    idx = [5, 0, 599, 17]
    s = trace.select(idx)
    assert s.indices.tolist() == idx and len(s) == 4
    np.testing.assert_array_equal(s.points, trace.stages[0].points[idx])
    assert len(s.stages) == len(trace.stages)
    for got, stage in zip(s.stages, trace.stages, strict=True):
        np.testing.assert_array_equal(got, stage.points[idx])
    assert trace.labels is not None and s.labels is not None
    np.testing.assert_array_equal(s.labels, trace.labels[idx])
    mask = np.zeros(trace.n, bool)
    mask[[3, 9]] = True
    assert trace.select(mask).indices.tolist() == [3, 9]
    assert trace.select([]).points.shape == (0, 2)


def test_a_boolean_mask_colours_its_points_with_the_maps_top(trace: sw.Trace) -> None:
    w = sw.widget(trace)
    mask = trace.labels == 1  # (n,) bool: one arm of the spiral
    w.color = mask
    out = np.frombuffer(w.color_bytes(w.color), np.uint8).reshape(-1, 4)
    ends = np.round(colormaps[trace.style.cmap]([0.0, 1.0]) * 255).astype(np.uint8)
    np.testing.assert_array_equal(out[mask], np.broadcast_to(ends[1], (mask.sum(), 4)))
    np.testing.assert_array_equal(out[~mask], np.broadcast_to(ends[0], ((~mask).sum(), 4)))
    assert w.color_key == {"table": ends[:, :3].tolist(), "bar": None,  # a legend, no bar
                           "legend": [["w.color False", 0], ["w.color True", 1]]}
    w.color = np.ones(trace.n, bool)  # all True: all the top colour, not the map's middle
    out = np.frombuffer(w.color_bytes(w.color), np.uint8).reshape(-1, 4)
    assert (out == ends[1]).all()


@pytest.mark.parametrize("bad, said", [([600], "point index 600 is out of range"),
                                       ([-1], "point index -1 is out of range"),
                                       ([0.5], "list of point indices"),
                                       (np.ones(5, bool), "one entry per point")])
def test_select_names_a_bad_index(trace: sw.Trace, bad: object, said: str) -> None:
    with pytest.raises(sw.SpacewarpError, match=said) as e:
        trace.select(bad)  # type: ignore[arg-type]
    assert e.value.field == "selected"


def test_arrays_travel_as_binary_buffers_and_decode_to_the_stages(trace: sw.Trace) -> None:
    w = sw.widget(trace)
    state = w.get_state()  # bytes values go as the comm message's binary buffers
    assert all(isinstance(b, bytes) for b in [*state["blobs"], state["ids"]])
    assert "b64" not in json.dumps(state["spec"])  # no base64 inside the JSON
    spec = w.spec
    small = [k for k, stage in enumerate(trace.stages) if stage.dim <= 3]
    assert len(small) >= 2
    for k in small:  # stages of <= 3 dims rest in their own axes
        stage = trace.stages[k]
        desc = spec["keys"][spec["stages"][k]["key"]]
        key = np.frombuffer(w.blobs[desc["blob"]], "<f4").reshape(desc["shape"])
        np.testing.assert_allclose(key, stage.points, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(np.frombuffer(w.ids, "<i4"), np.arange(trace.n))


def test_position_is_clamped_and_nan_is_refused(trace: sw.Trace) -> None:
    w = sw.widget(trace)
    w.position = 1.5
    assert w.position == 1.5
    w.position = 99
    assert w.position == len(trace.stages) - 1
    for bad in (float("nan"), float("inf")):
        with pytest.raises(sw.SpacewarpError, match="position must be a number from 0 to") as e:
            w.position = bad
        assert e.value.field == "position"
    assert w.position == len(trace.stages) - 1  # the widget keeps what it showed


def test_colour_by_array_reaches_each_drawn_point(trace: sw.Trace, sampled: Widget) -> None:
    values = trace.stages[0].points[:, 0] ** 2  # (n,) a quantity per trace point
    sampled.color = values
    drawn = np.frombuffer(sampled.ids, "<i4")
    assert len(drawn) == 250 and len(set(drawn)) == 250
    rgba = np.frombuffer(sampled.color_bytes(sampled.color), np.uint8).reshape(-1, 4)
    u = (values - values.min()) / (values.max() - values.min())
    expected = np.round(colormaps[trace.style.cmap](u[drawn]) * 255).astype(np.uint8)
    np.testing.assert_array_equal(rgba, expected)
    bar = sampled.color_key["bar"]  # the colour bar the view draws beside them
    assert (bar["lo"], bar["hi"]) == (values.min(), values.max())
    top = np.round(np.array(colormaps[trace.style.cmap](1.0)[:3]) * 255).astype(int).tolist()
    assert sampled.color_key["table"][255] == top
    sampled.color = None
    assert sampled.color_bytes(sampled.color) is None and sampled.color_key == {}


@pytest.mark.parametrize("bad, said", [
    (np.zeros(5), r"shape \(600,\) or \(600, 3\); got shape \(5,\)"),
    (np.full(600, np.nan), "NaN or infinite"),
    (np.zeros((600, 2)), r"got shape \(600, 2\)")])
def test_a_bad_colour_array_is_refused(trace: sw.Trace, bad: np.ndarray, said: str) -> None:
    w = sw.widget(trace)
    with pytest.raises(sw.SpacewarpError, match=said) as e:
        w.color = bad
    assert e.value.field == "color" and w.color is None


def test_rgb_colours_pass_through(trace: sw.Trace) -> None:
    w = sw.widget(trace)
    rgb = np.zeros((trace.n, 3))
    rgb[:, 0] = 1.0
    w.color = rgb
    out = np.frombuffer(w.color_bytes(w.color), np.uint8).reshape(-1, 4)
    assert (out == [255, 0, 0, 255]).all()
    assert w.color_key == {"bar": None, "legend": []}  # no bar for colours given as RGB


def test_selected_is_checked_and_selection_is_the_traces(trace: sw.Trace) -> None:
    w = sw.widget(trace)
    w.selected = [9, 2, 9]
    assert w.selected == [2, 9]
    np.testing.assert_array_equal(w.selection().stages[-1], trace.output[[2, 9]])
    with pytest.raises(sw.SpacewarpError, match="out of range"):
        w.selected = [600]
    with pytest.raises(sw.SpacewarpError, match="snapshot is for a training"):
        w.snapshot = 2
    with pytest.raises(sw.SpacewarpError, match="made without regions"):
        w.regions = True


def test_a_training_widget_picks_data_not_probe_points() -> None:
    training = sw.train(input="moons", points=150, layers="2,4,2,2", activation="tanh",
                        epochs=6, snapshots=4, probe=5, lr=0.05, device="cpu", progress=False)
    w = sw.widget(training)
    count = w.spec["training"]["count"]
    assert w.snapshot == count - 1
    ids = np.frombuffer(w.ids, "<i4")
    assert (ids == -1).sum() == 25 and sorted(ids[ids >= 0]) == list(range(150))
    w.selected = [0, 149]
    picked = w.selection()
    assert picked.indices.tolist() == [0, 149]
    np.testing.assert_allclose(picked.points, training.points.x[[0, 149]])
    np.testing.assert_array_equal(picked.labels, training.points.labels[[0, 149]])
    w.snapshot = 0
    assert w.snapshot == 0
    with pytest.raises(sw.SpacewarpError, match=f"snapshot {count} is out of range"):
        w.snapshot = count
