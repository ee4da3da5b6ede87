"""A slice's marked rows in every view: the anchors at their true images, titled with row and
label, and (--show-data) the data rows at their projections onto the slice and their true
images, faded by their distance from it. References: forward hooks on the rows
themselves (tests/hooks.py), NumPy's least squares for the projections and distances."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hooks import hooked_stages
from pages import open_page
from torch import nn

import spacewarp as sw
from spacewarp.budget import check_experiment
from spacewarp.cli import main
from spacewarp.config.experiment import validated
from spacewarp.inputs.points import make_points
from spacewarp.view import film
from spacewarp.view.marks import FAINTEST, fade, marks_of

DIGITS = make_points("digits")  # (1797, 64), labels 0-9
ROWS = [0, 10, 20]
F32 = {"rtol": 1e-4, "atol": 1e-3}


@pytest.fixture(scope="module")
def shown() -> sw.Trace:
    """A plane through three digits, through 64 -> 3 -> relu -> 2 (every stage at most 3-D,
    so every view shows the stages' own coordinates), with the data rows shown."""
    return sw.run(input="digits", slice="0,10,20", points=400, layers="64,3,2",
                  activation="relu", bias=True, device="cpu", show_data=True)


def fresh_model(trace: sw.Trace) -> nn.Module:
    model = nn.Sequential(nn.Linear(64, 3), nn.ReLU(), nn.Linear(3, 2)).double()
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in trace.params.items()})
    return model


def lstsq_projection(trace: sw.Trace) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) the data rows' slice coordinates by least squares, and (N,) the residuals'
    lengths: the rows' distances from the plane."""
    frame = trace.frame
    offsets = DIGITS.x - frame.origin  # (N, D)
    u, *_ = np.linalg.lstsq(frame.axes.T, offsets.T, rcond=None)  # (2, N)
    return u.T, np.linalg.norm(offsets - u.T @ frame.axes, axis=1)


def test_data_rows_sit_at_their_least_squares_projections(shown: sw.Trace) -> None:
    u, distance = lstsq_projection(shown)
    np.testing.assert_allclose(shown.data[0], u, atol=1e-9)
    np.testing.assert_allclose(shown.frame.distance(DIGITS.x), distance, atol=1e-9)
    assert distance[ROWS].max() < 1e-9  # the anchors lie on their plane


def test_data_rows_and_anchors_go_through_the_network_as_themselves(shown: sw.Trace) -> None:
    model = fresh_model(shown)
    for got, ref in zip(shown.data[1:], hooked_stages(model, DIGITS.x), strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9)
    for got, ref in zip(shown.anchors[1:], hooked_stages(model, DIGITS.x[ROWS]), strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9)
    # the points of the slice are still the network of origin + u @ axes, unchanged
    inputs = shown.frame.inputs(shown.stages[0].points)
    np.testing.assert_allclose(shown.output, hooked_stages(model, inputs)[-1], atol=1e-9)


def test_fading_falls_with_distance_and_the_title_states_it(shown: sw.Trace) -> None:
    _, distance = lstsq_projection(shown)
    marks = marks_of(shown)
    order = np.argsort(distance)
    assert (np.diff(marks.alpha[order]) <= 1e-12).all()  # never brighter farther away
    assert marks.alpha[order[0]] == pytest.approx(1 - (1 - FAINTEST) * distance.min()
                                                  / distance.max())
    assert marks.alpha.min() == pytest.approx(FAINTEST)
    assert f"0 to {distance.max():.3g}" in marks.title and "plane" in marks.title
    assert fade(np.zeros(3)).tolist() == [1.0, 1.0, 1.0]
    assert marks.names == ("row 0 (0)", "row 10 (0)", "row 20 (0)")
    assert tuple(DIGITS.labels[ROWS]) == (0, 0, 0)


def test_the_film_carries_the_marks_to_their_true_images(shown: sw.Trace) -> None:
    f = film(shown)
    want = [np.concatenate([a, d]) for a, d in zip(
        [shown.frame.anchors, *hooked_stages(fresh_model(shown), DIGITS.x[ROWS])],
        [lstsq_projection(shown)[0], *hooked_stages(fresh_model(shown), DIGITS.x)],
        strict=True)]
    assert f.marks is not None and len(f.marks.keys) == len(f.keys)
    for k, view in enumerate(f.stages):  # stages of at most 3-D: their own coordinates
        np.testing.assert_allclose(f.marks.keys[view.key], want[k], atol=1e-9)
    assert f.n == shown.n  # the marked rows are not drawn as points


def test_stills_draw_the_data_rows_and_say_how_far_they_are(shown: sw.Trace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from spacewarp.render.static import stages_figure

    fig = stages_figure(shown)
    dots = {c.get_gid(): c for c in [*fig.artists, *(c for ax in fig.axes for c in ax.collections)]
            if str(c.get_gid()).startswith("data-")}  # (3-D panels: the figure's, projected)
    assert len(dots) == len(shown.stages)
    u, distance = lstsq_projection(shown)
    np.testing.assert_allclose(dots["data-0"].get_offsets(), u, atol=1e-9)
    alpha = dots["data-0"].get_facecolors()[:, 3]
    np.testing.assert_allclose(alpha, fade(distance), atol=1e-9)
    logits = hooked_stages(fresh_model(shown), DIGITS.x)[-1]  # (N, 2): the output, 2-D
    np.testing.assert_allclose(dots[f"data-{len(shown.stages) - 1}"].get_offsets(), logits,
                               atol=1e-9)
    # a 3-D stage (64 -> 3): the dots over the panel, at the hooked rows' projected places
    from spacewarp.render.raster import project_with

    first = next(ax for ax in fig.axes if ax.get_gid() == "stage-1")
    hooked = hooked_stages(fresh_model(shown), DIGITS.x)[0]  # (N, 3)
    assert dots["data-1"] in fig.artists
    np.testing.assert_allclose(dots["data-1"].get_offsets(),
                               project_with(first.get_proj(), hooked)[:2].T, atol=1e-9)
    last = next(ax for ax in fig.axes if ax.get_gid() == f"stage-{len(shown.stages) - 1}")
    (x0, x1), (y0, y1) = last.get_xlim(), last.get_ylim()  # no data row cut off the panel
    assert x0 <= logits[:, 0].min() and logits[:, 0].max() <= x1
    assert y0 <= logits[:, 1].min() and logits[:, 1].max() <= y1
    words = " ".join(t.get_text() for t in fig.legends[0].texts) + \
        fig.legends[0].get_title().get_text()
    assert f"0 to {distance.max():.3g}" in words


def test_film_frames_ring_and_title_the_anchors(shown: sw.Trace) -> None:
    from spacewarp.render.animation_options import AnimationOptions
    from spacewarp.render.frames import FrameRenderer

    r = FrameRenderer(shown, AnimationOptions(frames_per_stage=4))
    frame = r.render(len(r) - 1)  # the output, held
    assert frame.shape == (r.height, r.width, 3)
    marks = r.film_marks
    assert [t.get_text() for t in marks.labels] == ["row 0 (0)", "row 10 (0)", "row 20 (0)"]
    out = hooked_stages(fresh_model(shown), DIGITS.x[ROWS])[-1]  # (3, 2) the anchors' output
    np.testing.assert_allclose(marks.rings.get_offsets(), r._to_pixels(out), atol=1e-6)


def test_the_page_draws_the_marks_where_the_network_takes_them(browser: Any,
                                                               shown: sw.Trace,
                                                               tmp_path: Path) -> None:
    page, errors, _ = open_page(browser, sw.write_html(shown, tmp_path / "marks.html"))
    hooked = [shown.frame.anchors, *hooked_stages(fresh_model(shown), DIGITS.x[ROWS])]
    first = np.linalg.norm(DIGITS.x[10] - DIGITS.x[0])
    np.testing.assert_allclose(hooked[0][:2], [[0, 0], [first, 0]], atol=1e-9)
    for k in range(len(shown.stages)):
        page.evaluate(f"window.spacewarp.show({k})")
        drawn = page.evaluate("Array.from(document.querySelector('.sw-root')"
                              ".__spacewarp.marks())")
        got = np.array(drawn).reshape(-1, 3)[:3]  # the anchors first, then the data rows
        np.testing.assert_allclose(got[:, :hooked[k].shape[1]], hooked[k], **F32)
    assert len(drawn) == 3 * (3 + len(DIGITS.x))
    assert "data rows" in page.locator(".sw-marks-title").inner_text()
    assert errors == []
    page.close()


def test_show_data_without_a_slice_is_one_line(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["render", "--input", "digits", "--show-data", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("spacewarp: error: --show-data") \
        and "give --slice too" in err, err
    assert not out.exists()


def test_the_cost_counts_the_data_rows() -> None:
    spec = {"input": {"name": "digits", "slice": "0,1,2", "points": 400}}
    n, _ = check_experiment(validated(spec))
    spec["input"]["show_data"] = True
    assert check_experiment(validated(spec))[0] == n + len(DIGITS.x)


def test_show_data_is_recorded_and_rerun(tmp_path: Path) -> None:
    flags = ["--input", "digits", "--slice", "7,8,9", "--points", "100", "--layers", "64,3,2",
             "--show-data"]
    assert main(["render", *flags, "--out", str(tmp_path / "a")]) == 0
    assert "show_data = true" in (tmp_path / "a" / "experiment.toml").read_text()
    assert main(["render", "--config", str(tmp_path / "a" / "experiment.toml"), "--out",
                 str(tmp_path / "b")]) == 0
    first, second = (np.load(tmp_path / d / "trace.npz") for d in "ab")
    origin, axes = first["slice_origin"], first["slice_axes"]  # the record, against NumPy
    u, *_ = np.linalg.lstsq(axes.T, (DIGITS.x - origin).T, rcond=None)
    np.testing.assert_allclose(first["data_stage_00"], u.T, atol=1e-9)
    np.testing.assert_allclose(first["data_distance"],
                               np.linalg.norm(DIGITS.x - origin - u.T @ axes, axis=1), atol=1e-9)
    assert first.files == second.files
    for name in first.files:
        np.testing.assert_array_equal(first[name], second[name])


@pytest.mark.parametrize("text", ["3,4", "pca"])
def test_a_line_and_a_principal_plane_show_the_data_too(text: str) -> None:
    t = sw.run(input="digits", slice=text, points=100, layers="64,3,2", device="cpu",
               show_data=True)
    frame = t.frame
    u, *_ = np.linalg.lstsq(frame.axes.T, (DIGITS.x - frame.origin).T, rcond=None)
    np.testing.assert_allclose(t.data[0], u.T, atol=1e-9)  # (N, 1) on a line, (N, 2) else
    marks = marks_of(t)
    assert marks.anchors == (0 if text == "pca" else 2) and marks.rows == marks.anchors + 1797
    distance = np.linalg.norm(DIGITS.x - frame.origin - u.T @ frame.axes, axis=1)
    shape = "line" if text == "3,4" else "plane"
    assert (f"to the {shape}: {distance.min():.3g} to {distance.max():.3g}, opaque at 0"
            in marks.title)
    spec_marks = film(t).marks
    assert spec_marks is not None and len(spec_marks.keys[0]) == marks.rows
