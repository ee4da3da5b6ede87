"""The browser film spec: stage keys, segments, boxes, clock, quantisation, colours, blocks.

References are computed independently: each stage's points from the trace (a prefix of
the network), boxes checked to hold both ends of their morph, quantised coordinates
against the float64 trace, a page's text blocks against the standard library's base64.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

import spacewarp as sw
from spacewarp.errors import SpacewarpError
from spacewarp.render.blobs import LEVELS, Blobs
from spacewarp.render.browser import BrowserOptions, film_spec
from spacewarp.view import display_coords, ease
from spacewarp.view.film import FilmOptions, film


def _run(**kw: object) -> sw.Trace:
    return sw.run(sw.Experiment.model_validate(kw))


@pytest.fixture(scope="module")
def cloud() -> sw.Trace:
    return _run(input={"name": "gaussian", "points": 300})


def _decode(desc: dict, blobs: Blobs) -> np.ndarray:
    dtype = {"f4": "<f4", "i2": "<i2", "i4": "<i4", "u1": "u1"}[desc["dtype"]]
    raw = base64.b64decode(desc["b64"] if "b64" in desc else blobs.texts[desc["blob"]],
                           validate=True)
    count = int(np.prod(desc["shape"]))
    a = np.frombuffer(raw[: count * np.dtype(dtype).itemsize], dtype).reshape(desc["shape"])
    if desc["dtype"] == "i2":
        return np.asarray(desc["lo"]) + (a.astype(np.float64) + 32767) * np.asarray(desc["step"])
    return a


def test_every_stage_key_is_the_stage_and_segments_join_them(cloud: sw.Trace) -> None:
    f = film(cloud)
    assert len(f.stages) == len(cloud.stages) and f.dim == 3
    for k, stage in enumerate(cloud.stages):
        np.testing.assert_array_equal(f.keys[f.stages[k].key], display_coords(stage.points))
    for k, seg in enumerate(f.segments):  # a sequential net: morph k runs from stage k to k+1
        assert (seg.p0, seg.p1) == (k, k + 1)
        assert (seg.start, seg.end) == (f.stages[k].key, f.stages[k + 1].key)
        lo, hi = seg.boxes[1][1][:, 0], seg.boxes[1][1][:, 1]  # the transition's box
        for key in (seg.start, seg.end):
            d = f.keys[key].shape[1]
            assert (f.keys[key] >= lo[:d]).all() and (f.keys[key] <= hi[:d]).all()
        np.testing.assert_array_equal(seg.boxes[0][1], f.stages[k].box)  # at rest: its own
        np.testing.assert_array_equal(seg.boxes[-1][1], f.stages[k + 1].box)
    assert f.segments[0].cameras == ((90.0, -90.0), (24.0, -60.0))  # 2-D lifts into 3-D


def test_the_play_clock_holds_each_stage_then_morphs(cloud: sw.Trace) -> None:
    f = film(cloud, FilmOptions(morph_s=2.0, hold_s=0.5))
    assert f.clock[:4] == ((0.0, 0.0), (0.5, 0.0), (2.5, 1.0), (3.0, 1.0))
    assert f.clock[-1] == (0.5 + 5 * 2.5, 5.0)
    assert ease(0.5) == 0.5  # so position k + 0.5 is the straight-line midpoint


def test_split_bias_puts_two_morphs_in_one_stage_interval() -> None:
    cloud = _run(input={"name": "gaussian", "points": 100},
                 network={"bias": True, "init": "random"})
    f = film(cloud, FilmOptions(split_bias=True))
    k = next(k for k, s in enumerate(cloud.stages) if s.bias is not None)
    parts = [s for s in f.segments if s.to_stage == k]
    assert [(s.p0, s.p1, s.kind) for s in parts] == [(k - 1, k - 0.5, "matrix"),
                                                      (k - 0.5, k, "bias")]
    wx = cloud.stages[k - 1].points @ cloud.stages[k].weight.T  # W x, before the bias
    np.testing.assert_allclose(f.keys[parts[0].end], wx)


def test_quantised_coordinates_are_within_half_a_step_of_the_trace(cloud: sw.Trace) -> None:
    blobs = Blobs("text")
    spec = json.loads(json.dumps(film_spec(cloud, BrowserOptions(quantise_from=100), blobs)))
    assert spec["precision"] and "7.6e-06" in spec["precision"]
    for k, stage in enumerate(cloud.stages):
        desc = spec["keys"][spec["stages"][k]["key"]]
        assert desc["dtype"] == "i2"
        got, want = _decode(desc, blobs), display_coords(stage.points)
        step = (want.max(axis=0) - want.min(axis=0)) / LEVELS
        assert (np.abs(got - want) <= step / 2 * (1 + 1e-6)).all()


def test_float32_below_the_quantisation_threshold(cloud: sw.Trace) -> None:
    blobs = Blobs("b64")
    spec = film_spec(cloud, None, blobs)
    assert spec["precision"] == ""
    got = _decode(spec["keys"][spec["stages"][5]["key"]], blobs)
    np.testing.assert_array_equal(got, cloud.output.astype(np.float32))


def test_text_blocks_are_the_little_endian_bytes_in_base64() -> None:
    """A page's blocks: standard base64 (padded, no line breaks) of each array's
    little-endian bytes, whatever its byte order in memory; nothing the HTML parser
    would change or end a block on."""
    blobs = Blobs("text")
    a = np.arange(-5, 1000, 7, dtype=">i2").reshape(-1, 1)  # big-endian in memory
    desc = blobs.put(a)
    text = blobs.texts[desc["blob"]]
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
    assert len(text) % 4 == 0
    got = np.frombuffer(base64.b64decode(text, validate=True), "<i2")
    np.testing.assert_array_equal(got, np.arange(-5, 1000, 7))


def test_sampling_is_seeded_said_and_keeps_the_lattice_whole() -> None:
    grid = _run(input={"name": "grid"})  # a 100 x 100 lattice
    o = FilmOptions(max_points=5000, sample_seed=4)
    f = film(grid, o)
    assert f.rows is not None and len(f.rows) == 5000 and "5,000 of 10,000" in f.sample_note
    np.testing.assert_array_equal(f.rows, film(grid, o).rows)
    assert f.lattice is not None and f.lattice.max() < 5000
    joined = f.keys[0][f.lattice]  # (m, 2, 2): neighbours one lattice step apart
    step = np.abs(np.diff(joined, axis=1)).sum(axis=-1).ravel()
    np.testing.assert_allclose(step, 0.1)  # the grid step: no chord skips a node


def test_labels_get_a_legend_and_values_a_colour_bar() -> None:
    spiral = _run(input={"name": "spiral", "points": 300, "color_by": "label"})
    spec = film_spec(spiral)
    assert spec["color"]["bar"] is None
    assert [name for name, _ in spec["color"]["legend"]] == ["class 0", "class 1", "class 2"]
    index = np.frombuffer(base64.b64decode(spec["color"]["index"]["b64"]), np.uint8)
    np.testing.assert_array_equal(index, spiral.labels)
    cloud = _run(input={"name": "gaussian", "points": 50})
    bar = film_spec(cloud)["color"]["bar"]
    assert bar["lo"] == cloud.color.min() and bar["hi"] == cloud.color.max()


def test_trace_note_travels_and_bad_options_raise(cloud: sw.Trace) -> None:
    from dataclasses import replace

    assert film_spec(replace(cloud, note="stages are module outputs"))["note"] == \
        "stages are module outputs"
    for bad in (BrowserOptions(theme="neon"), BrowserOptions(cmap="no-such-map"),
                BrowserOptions(film=FilmOptions(max_points=0))):
        with pytest.raises(SpacewarpError):
            film_spec(cloud, bad)


def test_positions_place_projection_morphs_at_the_start_of_the_next_interval() -> None:
    """Issue 8's films: a change of projection while stage 1 is held opens [1, 2]; a
    morph from a feeding stage (3 -> 5, skipping a branch) fills the interval of stage 5."""
    from spacewarp.view import Morph
    from spacewarp.view.film import morph_spans

    x = np.zeros((2, 3))
    path = (Morph(x, x, 0, 1, "a", "linear"), Morph(x, x, 1, 1, "p", "projection"),
            Morph(x, x, 1, 2, "b", "tanh"), Morph(x, x, 2, 3, "c", "linear"),
            Morph(x, x, 2, 4, "d", "linear"), Morph(x, x, 3, 5, "e", "add"))
    assert morph_spans(path, 6) == [(0.0, 1.0), (1.0, 1.5), (1.5, 2.0), (2.0, 3.0),
                                   (3.0, 4.0), (4.0, 5.0)]
