"""A slice's views and image inputs (issue 18): a 2-D input stage rests in its own 2-D axes
on the page and in the films when later stages are 3-D (the camera turns only during the
morph into 3-D), as the stills draw it; a slice-fed layer's map is titled as what it is
(W·axesᵀ); the films and the page draw each anchor's image beside its ring on the input
stage; off a slice, the page's hover and ``input(i)`` give a point's own data row.

References: the slice coordinates NumPy's QR gives the anchors, the layer's W times those
axes, the data rows' grey levels worked out in NumPy, the trace's stage 0 (the grid's
slice coordinates), and an affine map fitted to the page's screen positions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from digit_insets import (
    DIGITS,
    HOOK,
    ROWS,
    check_page_insets,
    film_inset_gaps,
    qr_axes,
    qr_coordinates,
)
from pages import open_page

import spacewarp as sw
from spacewarp.render.animation_options import AnimationOptions
from spacewarp.render.frames import FrameRenderer
from spacewarp.view import OBLIQUE, TOP_DOWN


@pytest.fixture(scope="module")
def mlp_plane() -> sw.Trace:
    """A plane through a 0, a 6 and an 8 through 64 -> 16 -> relu -> 10: stage 0 is 2-D, every
    later stage wider than 3-D (a 3-D film)."""
    return sw.run(input="digits", slice=",".join(map(str, ROWS)), points=400,
                  layers="64,16,10", activation="relu", bias=True, device="cpu")


def test_the_film_rests_on_the_slice_top_down_and_turns_into_3d(mlp_plane: sw.Trace) -> None:
    r = FrameRenderer(mlp_plane, AnimationOptions(frames_per_stage=4, hold=0.2))
    m = r.motion
    assert m.dim == 3
    first = m.timeline[0]
    assert first.hold and first.morph == 0 and first.t == 0.0
    assert m.camera(first) == TOP_DOWN  # the slice at rest: looked at straight down
    u = mlp_plane.stages[0].points  # (n, 2) the slice coordinates
    np.testing.assert_array_equal(m.points(first)[: mlp_plane.n, :2], u)
    np.testing.assert_array_equal(m.points(first)[: mlp_plane.n, 2], 0.0)
    end = next(f for f in m.timeline.frames if f.morph == 0 and f.t >= 1.0)
    assert m.camera(end) == OBLIQUE  # the camera turned during the morph into 3-D
    middle = next(f for f in m.timeline.frames if f.morph == 0 and 0 < f.t < 1)
    assert TOP_DOWN[0] > m.camera(middle)[0] > OBLIQUE[0]


def test_the_page_rests_on_the_slice_in_its_own_2d_axes(browser: Any, mlp_plane: sw.Trace,
                                                        tmp_path: Path) -> None:
    """At position 0 the big view draws the slice coordinates straight down: the screen
    position of each point is an axis-aligned, equal-aspect affine map of its slice
    coordinates (x right with slice[0], y up with slice[1]); at 0.5 the camera has turned
    part of the way, and at 1 the view is 3-D."""
    page, errors, _ = open_page(browser, sw.write_html(mlp_plane, tmp_path / "rest.html"))
    try:
        page.evaluate("window.spacewarp.useWebGL(false); window.spacewarp.show(0)")
        hook = "document.querySelector('.sw-root').__spacewarp"
        assert page.evaluate(f"Array.from({hook}.morph.camera)") == list(TOP_DOWN)
        drawn = np.array(page.evaluate("Array.from(window.spacewarp.drawn().points)"))
        u = mlp_plane.stages[0].points  # (n, 2)
        np.testing.assert_allclose(drawn.reshape(-1, 3)[:, :2], u, rtol=1e-6, atol=1e-4)
        np.testing.assert_array_equal(drawn.reshape(-1, 3)[:, 2], 0.0)
        picks = np.arange(0, len(u), 7)
        screen = np.array([page.evaluate("i => window.spacewarp.screenOf(i)", int(i))
                           for i in picks])  # (p, 2) CSS px
        fit, res, *_ = np.linalg.lstsq(np.column_stack([u[picks], np.ones(len(picks))]),
                                       screen, rcond=None)  # (3, 2): screen = [u, 1] @ fit
        assert np.abs(screen - np.column_stack([u[picks], np.ones(len(picks))]) @ fit
                      ).max() < 0.5  # an affine map of u: drawn flat
        linear = fit[:2]  # (2, 2): rows u0, u1 -> (x, y) px per unit
        assert abs(linear[0, 1]) < 1e-3 * abs(linear[0, 0])  # u0 moves only x
        assert abs(linear[1, 0]) < 1e-3 * abs(linear[1, 1])  # u1 moves only y
        assert linear[0, 0] > 0 > linear[1, 1]  # x right, y up (screen y grows down)
        np.testing.assert_allclose(linear[0, 0], -linear[1, 1], rtol=1e-3)  # equal aspect
        page.evaluate("window.spacewarp.show(0.5)")
        elevation = page.evaluate(f"{hook}.morph.camera[0]")
        assert OBLIQUE[0] < elevation < TOP_DOWN[0]
        page.evaluate("window.spacewarp.show(1)")
        assert page.evaluate(f"Array.from({hook}.morph.camera)") == list(OBLIQUE)
        assert errors == []
    finally:
        page.close()


def test_the_page_titles_the_slice_map_as_what_it_is(mlp_plane: sw.Trace) -> None:
    """The first Linear's heading on the page is its map on the slice, W·axesᵀ (16 x 2: the
    layer's W times NumPy's axes) and W·origin + b, under a line giving both shapes; a
    later Linear shows its own W."""
    from spacewarp.render.browser import film_spec

    stages = film_spec(mlp_plane)["stages"]
    lines = stages[1]["weights"]
    assert lines[:2] == ["W\u00b7axes\u1d40: its map on the slice, 16x2",
                         "(the layer's own W is 16x64)"]
    composed = mlp_plane.params["0.weight"] @ qr_axes(DIGITS.x, ROWS).T  # (16, 2)
    assert lines[2].startswith("W\u00b7axes\u1d40 = [")
    shown = [[float(v) for v in line.split("[")[1].rstrip(" ]").split()] for line in lines[2:7]]
    np.testing.assert_allclose(shown, composed[:5], atol=0.006)
    bias = mlp_plane.params["0.weight"] @ DIGITS.x[ROWS[0]] + mlp_plane.params["0.bias"]
    last = next(line for line in lines if line.startswith("W\u00b7origin + b = ["))
    np.testing.assert_allclose([float(v) for v in last.split("[")[1].split()[:4]], bias[:4],
                               atol=0.006)
    assert stages[3]["weights"][0].startswith("W = [")  # Linear 16->10: its own W


def test_the_films_sub_steps_name_the_slice_map(mlp_plane: sw.Trace) -> None:
    from spacewarp.view.motion import motion

    split = [m.title for m in motion(mlp_plane, split_bias=True).morphs]
    assert any(t.startswith("Linear 64->16: W\u00b7axes\u1d40 u") for t in split)
    assert any(t.startswith("Linear 64->16: + W\u00b7origin + b") for t in split)
    assert any(t.startswith("Linear 16->10: W x") for t in split)  # its own W
    svd = [m.title for m in motion(mlp_plane, split_bias="svd").morphs]
    first = [t for t in svd if t.startswith("Linear 64->16")]
    assert first and all("(W\u00b7axes\u1d40 on the slice, 16x2)" in t for t in first)
    assert any("shift by W\u00b7origin + b\nW\u00b7origin + b = " in t for t in first)


def test_the_film_shows_each_anchor_image_beside_its_ring_on_the_input(
        mlp_plane: sw.Trace) -> None:
    """While the film rests on the input stage each anchor's image is stamped beside its
    ring: whole blocks of pixels, each the grey of that pixel of the data row (NumPy), its
    nearest corner a few pixels from the ring's centre; during the morph, none."""
    from spacewarp.render.film_marks import GAP

    r = FrameRenderer(mlp_plane, AnimationOptions(frames_per_stage=4, hold=0.2))
    frame = r.render(0)
    insets = r.film_marks.insets
    b = insets.block
    assert b >= 4 and len(insets.drawn) == 3
    rings = r._to_pixels(np.column_stack([qr_coordinates(DIGITS.x, ROWS), np.zeros(3)]))
    gaps, _ = film_inset_gaps(frame, insets.drawn, b, rings)
    assert (gaps <= np.hypot(GAP, GAP) + 1.5).all()  # beside the ring, not over it
    middle = next(i for i, f in enumerate(r.motion.timeline.frames) if 0 < f.t < 1)
    r.render(middle)
    assert insets.drawn == []


def test_the_page_shows_each_anchor_image_beside_its_ring_on_the_input(
        browser: Any, mlp_plane: sw.Trace, tmp_path: Path) -> None:
    """Resting on the input stage, the morph view draws each anchor's image beside its
    ring: whole blocks of device pixels, each the grey of that pixel of the data row
    (NumPy), its nearest corner a few pixels from the ring's centre (placed by an affine
    map fitted to drawn grid points); between stages, none."""
    page, errors, _ = open_page(browser, sw.write_html(mlp_plane, tmp_path / "insets.html"))
    try:
        page.evaluate("window.spacewarp.useWebGL(false); window.spacewarp.show(0)")
        check_page_insets(page, mlp_plane.stages[0].points, every=9, near=25)
        page.evaluate("window.spacewarp.show(0.3)")
        assert page.evaluate(f"{HOOK}.insets()") == []
        assert errors == []
    finally:
        page.close()


IMAGE = """c => { const g = c.getContext('2d')
  return [c.height, c.width, Array.from(g.getImageData(0, 0, c.width, c.height).data)] }"""


@pytest.fixture(scope="module")
def digit_rows() -> sw.Trace:
    """The digits themselves (no slice), 300 of them, through 64 -> 16 -> relu -> 10: the
    input stage is their PCA, each point a data row that is an 8x8 image."""
    return sw.run(input="digits", points=300, layers="64,16,10", activation="relu",
                  device="cpu")


def test_off_a_slice_input_and_hover_give_the_points_own_row(browser: Any,
                                                             digit_rows: sw.Trace,
                                                             tmp_path: Path) -> None:
    """``input(i)`` returns the D = 64 numbers of the row point i is (a row of the bundled
    digits), and hover draws that row as its 8x8 image, grey over the data's range."""
    rows = digit_rows.stages[0].points  # (300, 64): the points' rows, as they went in
    assert {tuple(r) for r in rows} <= {tuple(r) for r in DIGITS.x}
    page, errors, _ = open_page(browser, sw.write_html(digit_rows, tmp_path / "rows.html"))
    try:
        for i in (0, 7, 151, 299):
            got = page.evaluate("i => window.spacewarp.input(i)", i)
            np.testing.assert_array_equal(got, rows[i])
        page.evaluate("window.spacewarp.show(0)")
        lo, hi = rows.min(), rows.max()
        for i in (7, 151):
            x, y = page.evaluate("i => window.spacewarp.screenOf(i)", i)
            assert page.evaluate("([x, y]) => window.spacewarp.hoverAt(x, y)", [x, y]) == i
            text = page.locator(".sw-tip").inner_text()
            assert "image 8x8" in text and "... 64 numbers" in text, text
            h, w, rgba = page.locator(".sw-tip-image").evaluate(IMAGE)
            px = np.array(rgba).reshape(h, w, 4)
            s = h // 8
            expected = np.rint(255 * (rows[i].reshape(8, 8) - lo) / (hi - lo))
            for channel in range(3):
                np.testing.assert_array_equal(px[..., channel],
                                              np.kron(expected, np.ones((s, s))))
        assert errors == []
    finally:
        page.close()


def test_a_wide_input_past_the_cap_carries_its_first_6_numbers_and_says_so(
        monkeypatch: Any, digit_rows: sw.Trace) -> None:
    from spacewarp.render import browser as page_spec
    from spacewarp.render.blobs import Blobs

    spec = page_spec.film_spec(digit_rows)
    assert spec["inputs"]["shape"] == [300, 64] and spec["inputs_note"] == ""
    assert spec["input_image"] == {"shape": [1, 8, 8], "range": [0.0, 16.0]}
    monkeypatch.setattr(page_spec, "INPUT_NUMBERS", 300 * 64 - 1)
    spec = page_spec.film_spec(digit_rows, blobs=Blobs())
    assert spec["inputs"]["shape"] == [300, 6] and spec["input_image"] is None
    assert "first 6 of 64 numbers" in spec["inputs_note"]
    assert "these points have 19,200" in spec["inputs_note"]
