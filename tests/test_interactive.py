"""The interactive plotly figures draw the trace: read back from fig.data / fig.frames."""

from __future__ import annotations

import base64
import re

import numpy as np
import plotly.graph_objects as go
import pytest

import spacewarp as sw
from spacewarp.errors import SpacewarpError
from spacewarp.render.interactive import InteractiveOptions, interactive_figure
from spacewarp.render.interactive import stages_grid_figure as grid_figure
from spacewarp.render.notebook import PLOTLY_MIME, NotebookFigure

TOL = {"rtol": 1e-6, "atol": 1e-5}  # float32 against float64


def _run(**kw: object) -> sw.Trace:
    return sw.run(sw.Experiment.model_validate(kw))


@pytest.fixture(scope="module")
def default_trace() -> sw.Trace:
    return _run(input={"name": "gaussian", "points": 300})


def _padded(points: np.ndarray, dim: int) -> np.ndarray:
    """Reference: the stage's points with zero columns up to ``dim`` (stages are <= 3-D)."""
    out = np.zeros((len(points), dim))
    out[:, : points.shape[1]] = points
    return out


def _xyz(tr: object, dim: int) -> np.ndarray:
    return np.stack([np.asarray(getattr(tr, a), dtype=np.float64) for a in "xyz"[:dim]], axis=1)


def _named(traces: tuple[object, ...] | list[object], name: str) -> object:
    return next(t for t in traces if getattr(t, "name", None) == name)


def _frame(fig: go.Figure, name: str) -> go.Frame:
    return next(f for f in fig.frames if f.name == name)


def test_first_view_and_every_stage_frame_equal_the_trace(default_trace: sw.Trace) -> None:
    fig = interactive_figure(default_trace)
    pts = _named(fig.data, "points")
    assert pts.type == "scatter3d"  # the default network lifts 2-D into 3-D
    assert fig.layout.scene.aspectmode == "manual"
    np.testing.assert_allclose(_xyz(pts, 3), _padded(default_trace.stages[0].points, 3), **TOL)
    for k, stage in enumerate(default_trace.stages):
        frame = _frame(fig, f"stage-{k}")
        drawn = _xyz(_named(frame.data, "points"), 3)
        np.testing.assert_allclose(drawn, _padded(stage.points, 3), **TOL)


def test_morph_frames_run_between_the_two_stages(default_trace: sw.Trace) -> None:
    steps = 4
    fig = interactive_figure(default_trace, InteractiveOptions(steps=steps))
    for k in range(len(default_trace.stages) - 1):
        a = _padded(default_trace.stages[k].points, 3)
        b = _padded(default_trace.stages[k + 1].points, 3)
        for j in range(1, steps + 1):
            t = j / steps
            drawn = _xyz(_named(_frame(fig, f"morph-{k}-{j}").data, "points"), 3)
            np.testing.assert_allclose(drawn, (1 - t) * a + t * b, **TOL)
        # the last frame of a path is exactly the next stage
        np.testing.assert_allclose(
            _xyz(_named(_frame(fig, f"morph-{k}-{steps}").data, "points"), 3), b, **TOL)


def test_axis_ranges_are_fixed_within_a_transition_and_hold_every_point(
        default_trace: sw.Trace) -> None:
    fig = interactive_figure(default_trace, InteractiveOptions(steps=3))
    for k in range(len(default_trace.stages) - 1):
        frames = [f for f in fig.frames if f.name.startswith(f"morph-{k}-")]
        ranges = {tuple(tuple(f.layout.scene[f"{a}axis"].range) for a in "xyz") for f in frames}
        assert len(ranges) == 1
        (box,) = ranges
        for f in frames:
            xyz = _xyz(_named(f.data, "points"), 3)
            for i in range(3):
                assert box[i][0] <= xyz[:, i].min() and xyz[:, i].max() <= box[i][1]


def test_hover_colour_and_titles(default_trace: sw.Trace) -> None:
    fig = interactive_figure(default_trace)
    pts = _named(fig.data, "points")
    np.testing.assert_allclose(pts.customdata, default_trace.stages[0].points, **TOL)
    np.testing.assert_allclose(pts.marker.color, default_trace.color, **TOL)
    assert pts.marker.coloraxis == "coloraxis" and fig.layout.coloraxis.colorbar is not None
    assert "customdata[0]" in pts.hovertemplate and "%{x" in pts.hovertemplate
    title = _frame(fig, "stage-1").layout.title.text
    assert "Linear 2->3" in title and "module 0" in title
    assert "6.00" in title and "3.00" in title  # the manual first layer 3*[I; 2 2]
    # the frames only move the points: colour and hover data are sent once
    assert _named(_frame(fig, "stage-2").data, "points").marker.color is None


def test_points_travel_as_float32_binary_arrays(default_trace: sw.Trace) -> None:
    d = interactive_figure(default_trace).to_dict()
    x = d["frames"][-1]["data"][-1]["x"]
    assert x["dtype"] == "f4"
    decoded = np.frombuffer(base64.b64decode(x["bdata"]), dtype=np.float32)
    np.testing.assert_allclose(decoded, default_trace.output[:, 0], **TOL)


def test_lattice_lines_follow_the_grid_through_every_stage() -> None:
    trace = _run(input={"name": "grid", "params": {"step": 1.0}})  # a 10 x 10 lattice
    rows, cols = trace.grid_shape
    fig = interactive_figure(trace)
    for k, stage in enumerate(trace.stages):
        lines = _xyz(_named(_frame(fig, f"stage-{k}").data, "lattice"), 3)
        lattice = _padded(stage.points, 3).reshape(rows, cols, 3)
        gap = np.full((1, 3), np.nan)
        expected = np.concatenate([np.concatenate([line, gap]) for line in
                                   list(lattice) + list(lattice.transpose(1, 0, 2))])
        np.testing.assert_allclose(lines, expected, **TOL)


def test_large_lattices_keep_about_21_lines_each_way() -> None:
    trace = _run(input={"name": "grid"})  # the seed's 100 x 100 mesh
    lines = _named(interactive_figure(trace, InteractiveOptions(steps=1)).data, "lattice")
    x = np.asarray(lines.x)
    assert np.isnan(x).sum() == 2 * 21  # rows 0, 5, ..., 95, 99 and the same columns


def test_1d_story_lies_on_a_line_in_a_2d_view() -> None:
    trace = _run(input={"name": "line"})  # 1 -> 2 -> 2 -> 1
    fig = interactive_figure(trace)
    pts = _named(fig.data, "points")
    assert pts.type == "scattergl" and fig.layout.yaxis.scaleanchor == "x"
    for k, stage in enumerate(trace.stages):
        drawn = _xyz(_named(_frame(fig, f"stage-{k}").data, "points"), 2)
        np.testing.assert_allclose(drawn, _padded(stage.points, 2), **TOL)
    assert np.all(np.asarray(_named(_frame(fig, "stage-3").data, "points").y) == 0)


def test_sampling_above_the_limit_is_seeded_stated_and_consistent() -> None:
    trace = _run(input={"name": "gaussian", "points": 500})
    o = InteractiveOptions(max_points=120, sample_seed=3)
    fig = interactive_figure(trace, o)
    pts = _named(fig.data, "points")
    assert len(pts.x) == 120
    inputs = trace.stages[0].points
    rows = [int(np.argmin(np.abs(inputs - c).sum(axis=1))) for c in pts.customdata]
    assert len(set(rows)) == 120
    drawn = _xyz(_named(_frame(fig, "stage-5").data, "points"), 3)
    np.testing.assert_allclose(drawn, _padded(trace.output[rows], 3), **TOL)
    np.testing.assert_allclose(pts.marker.color, trace.color[rows], **TOL)
    assert any("120 of 500" in a.text for a in fig.layout.annotations)
    again = _named(interactive_figure(trace, o).data, "points")
    np.testing.assert_array_equal(again.customdata, pts.customdata)


def test_grid_figure_has_a_panel_per_stage() -> None:
    trace = _run(input={"name": "gaussian", "points": 200})
    fig = grid_figure(trace)
    panels = [t for t in fig.data if t.name.startswith("stage ")]
    assert len(panels) == len(trace.stages)
    for k, (tr, stage) in enumerate(zip(panels, trace.stages, strict=True)):
        assert tr.type == ("scatter3d" if stage.dim == 3 else "scattergl")
        np.testing.assert_allclose(_xyz(tr, stage.dim), stage.points, **TOL)
        np.testing.assert_allclose(tr.marker.color, trace.color, **TOL)
        assert trace.stages[k].title in fig.layout.annotations[k].text
    assert "6.00" in fig.layout.annotations[1].text


def test_relu_2d_network_stays_a_2d_webgl_view() -> None:
    trace = _run(input={"name": "grid", "params": {"step": 1.0}},
                 network={"layers": [2, 2, 2], "activation": "relu", "init": "random"})
    fig = interactive_figure(trace)
    assert {t.type for t in fig.data} == {"scattergl"}
    relu = _xyz(_named(_frame(fig, "stage-2").data, "points"), 2)
    np.testing.assert_allclose(relu, np.maximum(trace.stages[1].points, 0), **TOL)


def test_light_theme_and_bad_options() -> None:
    trace = _run(input={"name": "gaussian", "points": 50}, style={"theme": "light"})
    assert interactive_figure(trace).layout.template.layout.paper_bgcolor is not None
    assert interactive_figure(trace).layout.paper_bgcolor == "#ffffff"
    for bad in (InteractiveOptions(steps=0), InteractiveOptions(theme="neon"),
                InteractiveOptions(cmap="no-such-map"), InteractiveOptions(max_points=0)):
        with pytest.raises(SpacewarpError):
            interactive_figure(trace, bad)


def test_notebook_output_works_offline() -> None:
    trace = _run(input={"name": "gaussian", "points": 50})
    first = interactive_figure(trace)
    assert isinstance(first, go.Figure) and isinstance(first, NotebookFigure)
    bundles = [first._repr_mimebundle_(), interactive_figure(trace)._repr_mimebundle_()]
    for b in bundles:
        assert PLOTLY_MIME in b and "text/html" in b
        outside = re.sub(r"<script[^>]*>\s*/\*\*\s*\* plotly\.js v.*?</script>", "",
                         b["text/html"], flags=re.S)  # the library itself names URLs
        assert not re.search(r"https?:", outside)  # no CDN, no MathJax, nothing fetched
    with_js = [b for b in bundles if "plotly.js v" in b["text/html"]]
    assert len(with_js) <= 1  # plotly.js travels once per kernel
