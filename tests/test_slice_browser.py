"""A slice on the page: hover shows the image a point stands for and its nearest data row,
and ``window.spacewarp.input(i)`` returns that input.

References are NumPy's: the digits' own rows, ``origin + u @ axes`` from the trace's
frame, a brute-force nearest row over all 64 dimensions, and grey levels worked out from
the data's range.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pages import open_page
from torch import nn

import spacewarp as sw
from spacewarp.export.html import write_html
from spacewarp.inputs import nearest
from spacewarp.inputs.points import Points
from spacewarp.inputs.slice import make_frame
from spacewarp.inputs.sliced import on_slice
from spacewarp.render.browser import film_spec, summary

DIGITS = sw.make_points("digits")
SCALE = 12  # the tip draws an 8x8 image 96 px wide: 12 px a value

# the tip's image as drawn: (height, width, 4) RGBA of its canvas
IMAGE = """c => { const g = c.getContext('2d')
  return [c.height, c.width, Array.from(g.getImageData(0, 0, c.width, c.height).data)] }"""


def _anchors_first(pts: Points) -> Points:
    """The slice's points with its anchors' slice coordinates put in front (indices 0..m-1)."""
    u = np.concatenate([pts.frame.anchors, pts.x])  # (m + n, k)
    return replace(pts, x=u, color=u[:, 0].copy(), grid_shape=None)


@pytest.fixture(scope="module")
def digits_trace() -> sw.Trace:
    """Rows 0, 6 and 8 (a 0, a 6, an 8) and a 10x10 grid around them, through 64,16,10 ReLU."""
    pts = _anchors_first(on_slice(DIGITS, "0,6,8", n=100))
    model = sw.build_model([64, 16, 10], "relu", bias=True, init="random", scale=1.0)
    return sw.trace(model, pts, device="cpu")


@pytest.fixture(scope="module")
def page(browser: Any, tmp_path_factory: pytest.TempPathFactory,
         digits_trace: sw.Trace) -> Any:
    path = write_html(digits_trace, tmp_path_factory.mktemp("slice") / "digits.html")
    p, errors, _ = open_page(browser, path)
    yield p
    p.close()
    assert errors == []


def _hover(page: Any, i: int) -> str:
    """Hover drawn point i in the morph view at the input stage; the tip's text."""
    page.evaluate("() => window.spacewarp.show(0)")
    x, y = page.evaluate("(i) => window.spacewarp.screenOf(i)", i)
    assert page.evaluate("([x, y]) => window.spacewarp.hoverAt(x, y)", [x, y]) == i
    return str(page.locator(".sw-tip").inner_text())


def _blocks(page: Any) -> np.ndarray:
    """The tip's image as (8, 8, 3) levels, each 12x12 block checked to be one colour."""
    h, w, rgba = page.locator(".sw-tip-image").evaluate(IMAGE)  # (the explorer's: in a shadow root)
    px = np.array(rgba, dtype=np.int64).reshape(h, w, 4)
    assert (h, w) == (8 * SCALE, 8 * SCALE)
    blocks = px.reshape(8, SCALE, 8, SCALE, 4)
    assert (blocks == blocks[:, :1, :, :1]).all()  # nearest-neighbour: whole blocks
    assert (px[..., 3] == 255).all()
    return blocks[:, 0, :, 0, :3]


def _grey(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """The grey level 0..255 the data's range gives each value, clipped."""
    return np.rint(255 * np.clip((x - lo) / (hi - lo), 0, 1))


@pytest.mark.parametrize("anchor", [0, 1, 2])
def test_the_hover_image_at_an_anchor_is_that_data_row(page: Any, anchor: int) -> None:
    row = (0, 6, 8)[anchor]
    text = _hover(page, anchor)
    assert "image 8x8" in text and "clipped" not in text, text
    drawn = _blocks(page)
    expected = _grey(DIGITS.x[row].reshape(8, 8), DIGITS.x.min(), DIGITS.x.max())
    assert (drawn == drawn[..., :1]).all()  # grey
    assert np.abs(drawn[..., 0] - expected).max() <= 1  # a level's rounding at most
    assert f"nearest data row {row} (label {DIGITS.labels[row]}), distance 0" in text, text


def test_input_of_a_point_is_origin_plus_u_times_axes(page: Any,
                                                      digits_trace: sw.Trace) -> None:
    frame, u = digits_trace.frame, digits_trace.stages[0].points
    for i in (0, 1, 2, 3, 50, 102):
        got = page.evaluate("(i) => { const x = window.spacewarp.input(i); "
                            "return [Array.isArray(x), x] }", i)
        assert got[0] is True
        np.testing.assert_allclose(got[1], frame.origin + u[i] @ frame.axes, atol=1e-4)


def test_the_nearest_row_is_the_brute_force_nearest(page: Any,
                                                    digits_trace: sw.Trace) -> None:
    frame, u = digits_trace.frame, digits_trace.stages[0].points
    for i in range(3, 103, 9):
        x = frame.origin + u[i] @ frame.axes  # (64,)
        dist = np.linalg.norm(DIGITS.x - x, axis=1)  # (1797,) every row, all 64 dimensions
        r = int(dist.argmin())
        got = page.evaluate("(i) => window.spacewarp.nearest(i)", i)
        assert got["row"] == r and got["label"] == DIGITS.labels[r]
        np.testing.assert_allclose(got["distance"], dist[r], rtol=1e-5)
        text = _hover(page, i)
        assert f"nearest data row {r} (label {DIGITS.labels[r]}), distance " in text, text
        shown = float(text.split("distance ")[1].split()[0])
        np.testing.assert_allclose(shown, dist[r], rtol=5e-3)


def test_the_hover_image_off_the_data_is_clipped_and_says_so(page: Any,
                                                             digits_trace: sw.Trace) -> None:
    frame, u = digits_trace.frame, digits_trace.stages[0].points
    x = frame.origin + u @ frame.axes  # (n, 64)
    outside = ((x < 0) | (x > 16)).sum(axis=1)
    i = int(outside.argmax())  # a grid corner far from the digits
    text = _hover(page, i)
    assert f"{outside[i]} values outside the data's 0..16, clipped" in text, text
    np.testing.assert_array_equal(_blocks(page)[..., 0], _grey(x[i].reshape(8, 8), 0, 16))


@pytest.mark.parametrize(("shape", "said"), [((3, 4, 4), "image 4x4 (RGB)"),
                                            ((2, 4, 6), "image 4x6 (channel 0 of 2)")])
def test_channels_are_drawn_as_rgb_or_the_first_one(browser: Any, tmp_path: Path,
                                                    shape: tuple[int, int, int],
                                                    said: str) -> None:
    """Rows of 48 numbers as (C, H, W) images at an anchor: 3 channels are the tip's red,
    green and blue; of 2, the first is drawn in grey and the tip says so."""
    rng = np.random.default_rng(3)
    data = Points(x=rng.uniform(0, 1, (40, 48)), color=np.zeros(40), name="rgb")
    pts = on_slice(data, "0,1,2", n=25)
    pts = _anchors_first(replace(pts, frame=replace(pts.frame, image_shape=shape),
                                 image_shape=shape))
    model = nn.Sequential(nn.Flatten(), nn.Linear(48, 3))
    trace = sw.trace(model, pts, device="cpu")
    page, errors, _ = open_page(browser, write_html(trace, tmp_path / "rgb.html"))
    try:
        text = _hover(page, 1)  # the anchor at row 1
        assert said in text, text
        c, h, w = shape
        height, width, rgba = page.locator(".sw-tip-image").evaluate(IMAGE)
        s = height // h
        assert (height, width) == (h * s, w * s) and s == 96 // max(h, w)
        drawn = np.array(rgba).reshape(h, s, w, s, 4)[:, 0, :, 0, :3]  # (h, w, 3)
        image = data.x[1].reshape(shape).transpose(1, 2, 0)  # (h, w, c)
        expected = image if c == 3 else np.repeat(image[..., :1], 3, axis=2)
        assert np.abs(drawn - _grey(expected, data.x.min(), data.x.max())).max() <= 1
    finally:
        page.close()
    assert errors == []


def test_a_table_slice_shows_its_input_numbers_and_no_image(browser: Any,
                                                            tmp_path: Path) -> None:
    """A line through rows of a 5-column table: no image shape, input(i) of 5 numbers."""
    rng = np.random.default_rng(5)
    data = Points(x=rng.normal(size=(30, 5)), color=np.zeros(30), name="table",
                  labels=np.arange(30) % 3)
    pts = on_slice(data, "4,9", n=20)
    trace = sw.trace(nn.Sequential(nn.Linear(5, 2)), pts, device="cpu")
    page, errors, _ = open_page(browser, write_html(trace, tmp_path / "table.html"))
    try:
        frame, u = trace.frame, trace.stages[0].points
        for i in (0, 7, 19):
            got = page.evaluate("(i) => window.spacewarp.input(i)", i)
            np.testing.assert_allclose(got, frame.origin + u[i] @ frame.axes, atol=1e-5)
        text = _hover(page, 7)
        x = frame.origin + u[7] @ frame.axes
        r = int(np.linalg.norm(data.x - x, axis=1).argmin())
        assert f"input ({', '.join(f'{round(v, 3):g}' for v in x)})" in text, text
        assert f"nearest data row {r} (label {r % 3})" in text, text
        assert page.evaluate("() => getComputedStyle(document.querySelector"
                             "('.sw-tip-image')).display") == "none"
    finally:
        page.close()
    assert errors == []


def test_feet_and_offsets_give_every_distance_to_the_slice_points() -> None:
    """|origin + u @ axes - row| from k + 1 numbers per row, against NumPy over all 64-D."""
    frame = make_frame(DIGITS.x, "3,30,300", labels=DIGITS.labels)
    near = frame.nearest
    assert near is not None and near.count == len(DIGITS.x)
    u = np.random.default_rng(0).normal(scale=20, size=(50, 2))
    x = frame.origin + u @ frame.axes  # (50, 64)
    full = np.linalg.norm(x[:, None, :] - DIGITS.x[None], axis=2)  # (50, 1797)
    via = np.sqrt(((u[:, None, :] - near.feet[None]) ** 2).sum(axis=2) + near.offsets ** 2)
    np.testing.assert_allclose(via, full, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(near.labels, DIGITS.labels)


def test_more_rows_than_the_cap_travel_without_nearest_rows(monkeypatch: Any) -> None:
    monkeypatch.setattr(nearest, "MAX_ROWS", 1000)  # the digits' 1,797 rows are too many
    pts = on_slice(DIGITS, "0,6,8", n=16)
    assert pts.frame.nearest is None
    trace = sw.trace(sw.build_model([64, 10], "relu", init="random"), pts, device="cpu")
    spec = film_spec(trace)["slice"]
    assert spec["rows"] is None and "nearest data row: not shown" in spec["rows_note"]


def test_the_legend_says_predicted_class_and_the_heading_names_a_cnn_stages() -> None:
    pts = replace(on_slice(DIGITS, "0,6,8", n=16), image_shape=(1, 8, 8))
    cnn = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(32, 10))
    trace = sw.trace(cnn, pts, device="cpu")
    assert [r[0] for r in film_spec(trace)["color"]["legend"]] == \
        [f"predicted class {k}" for k in range(10)]
    heading = summary(trace)
    named = [heading.index(t) for t in ("Conv2d 1->2", "ReLU", "MaxPool2d 2", "Flatten",
                                        "Linear 32->10")]
    assert named == sorted(named), heading  # every stage, in the order the network has them
    labelled = sw.trace(nn.Sequential(nn.Linear(2, 2)), sw.make_points("moons", 50),
                        device="cpu")
    assert film_spec(labelled)["color"]["legend"][0][0] == "class 0"
    assert summary(labelled).endswith("through 2,2 linear")


def test_the_explorer_hovers_a_slice_with_its_image_and_nearest_row(browser: Any) -> None:
    """The explorer draws with the same renderer: hover over a digits slice there too."""
    from pages import Page, live_server

    from spacewarp.config.experiment import validated

    base = validated({"input": {"name": "digits", "slice": "0,6,8", "points": 100},
                      "network": {"layers": [64, 16, 10], "activation": "relu"},
                      "device": "cpu"})
    with live_server(base) as address:
        tab = Page(browser, address)
        try:
            frame = sw.run(base).frame  # the library's slice of the same experiment
            drawn = tab.drawn()[0]  # the input stage's points: (n, 3) slice coordinates
            i = 45
            x, y = tab.root.evaluate("(el, i) => el.__spacewarp.screenOf(i)", i)
            tab.page.mouse.move(x, y)
            tip = tab.page.locator(".sw-tip")
            tip.wait_for(state="visible", timeout=10_000)
            assert tip.get_attribute("data-index") == str(i)
            inputs = frame.origin + drawn[i, :2].astype(np.float64) @ frame.axes  # (64,)
            r = int(np.linalg.norm(DIGITS.x - inputs, axis=1).argmin())
            assert f"nearest data row {r} (label {DIGITS.labels[r]})" in tip.inner_text()
            expected = _grey(inputs.reshape(8, 8), 0, 16)
            assert np.abs(_blocks(tab.page)[..., 0] - expected).max() <= 1
            assert tab.errors == []
        finally:
            tab.close()



def test_the_image_shape_comes_from_input_shape_or_the_digits(tmp_path: Path) -> None:
    """--input-shape names the image a row is (here 2x32, not the digits' own 8x8)."""
    net = tmp_path / "net.py"
    net.write_text("from torch import nn\n\nclass Net(nn.Sequential):\n"
                   "    def __init__(self):\n"
                   "        super().__init__(nn.Flatten(), nn.Linear(64, 10))\n")
    given = sw.run(input="digits", slice="0,6,8", points=16, input_shape=[2, 32],
                   model=f"{net}:Net", device="cpu")
    assert film_spec(given)["slice"]["image"] == [2, 32]
    own = sw.trace(nn.Sequential(nn.Linear(64, 10)), on_slice(DIGITS, "0,6,8", n=16),
                   device="cpu")
    assert film_spec(own)["slice"]["image"] == [1, 8, 8]
    assert film_spec(sw.run(input="moons", points=20, device="cpu"))["slice"] is None


def test_a_file_named_digits_of_another_width_is_no_8x8_image() -> None:
    wide = Points(x=np.random.default_rng(1).normal(size=(20, 30)), color=np.zeros(20),
                  name="digits")  # --data digits.csv with 30 columns
    assert on_slice(wide, "0,1,2", n=16).frame.image_shape is None
    assert on_slice(DIGITS, "0,1,2", n=16).frame.image_shape == (1, 8, 8)
