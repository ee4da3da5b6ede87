"""Regions and SVD sub-steps in the browser film spec, against hand-made images and the model.

References: the network evaluated at the polygon vertices (a prefix of the model), images
of quadrants worked out by hand, NumPy's SVD of the layer's weight, the layer itself.
"""

from __future__ import annotations

import base64
import contextlib
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hooks import prefix, relu_net
from torch import nn

import spacewarp as sw
from spacewarp.cli import main
from spacewarp.errors import LimitError, NetworkError
from spacewarp.render.browser import BrowserOptions, film_spec
from spacewarp.view import FilmOptions

F32 = {"rtol": 1e-5, "atol": 1e-5}


def decode(desc: dict[str, Any]) -> np.ndarray:
    dtype = {"f4": "<f4", "i2": "<i2", "i4": "<i4", "u1": "u1"}[desc["dtype"]]
    a = np.frombuffer(base64.b64decode(desc["b64"]), dtype=dtype).reshape(desc["shape"])
    if desc["dtype"] == "i2":
        return np.asarray(desc["lo"]) + (a + 32767.0) * np.asarray(desc["step"])
    return a.astype(np.float64)


def outlines(spec: dict[str, Any], key: int) -> list[np.ndarray]:
    """Each region's vertices (m, d) at film key ``key``."""
    count = decode(spec["regions"]["count"]).astype(int)
    verts = decode(spec["regions"]["keys"][key])
    start = np.concatenate([[0], np.cumsum(count)])
    return [verts[a:b] for a, b in zip(start[:-1], start[1:], strict=True)]


def shoelace(p: np.ndarray) -> float:
    x, y = p[:, 0], p[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def regions_spec(trace: sw.Trace, fill: str = "region") -> dict[str, Any]:
    return film_spec(trace, BrowserOptions(regions=fill))


def test_quadrants_fold_onto_the_axes_by_hand() -> None:
    """x -> relu(x) on [-1, 1]^2: four quadrants; the first stays, two flatten onto the
    half-axes, the third collapses to the origin (worked out by hand)."""
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU()).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(2))
        model[0].bias.zero_()
    t = sw.trace(model, sw.make_points("grid", 441, seed=0), device="cpu")
    lo, hi = t.stages[0].points.min(0), t.stages[0].points.max(0)
    spec = regions_spec(t)
    assert len(outlines(spec, 0)) == 4 and spec["regions"]["title"].startswith("4 linear")
    relu_key = spec["stages"][2]["key"]
    seen = set()
    for before, after in zip(outlines(spec, 0), outlines(spec, relu_key), strict=True):
        quadrant = tuple(int(v) for v in np.sign(before.mean(axis=0)))
        corner = np.array([hi[0] if quadrant[0] > 0 else lo[0],
                           hi[1] if quadrant[1] > 0 else lo[1]])
        hand = {(1, 1): {(0, 0), (corner[0], 0), tuple(corner), (0, corner[1])},
                (1, -1): {(0, 0), (corner[0], 0)},
                (-1, 1): {(0, 0), (0, corner[1])},
                (-1, -1): {(0, 0)}}[quadrant]  # type: ignore[index]
        got = {tuple(float(v) for v in np.round(p, 5)) for p in after}
        assert got == {tuple(float(v) for v in np.round(p, 5)) for p in hand}
        seen.add(quadrant)
    assert len(seen) == 4


def test_outlines_are_the_network_at_the_vertices_in_every_stage() -> None:
    model = relu_net([2, 3, 3, 2], seed=2)
    t = sw.trace(model, sw.make_points("grid", 900, seed=0), device="cpu")
    spec = regions_spec(t)
    first = outlines(spec, spec["stages"][0]["key"])
    side = np.ptp(t.stages[0].points, axis=0)  # the box of the input points
    assert sum(shoelace(p) for p in first) == pytest.approx(side[0] * side[1], rel=1e-5)
    assert all(shoelace(p) > 0 for p in first)  # counter-clockwise, not empty
    verts = np.concatenate(first)
    for k, stage in enumerate(spec["stages"]):
        got = np.concatenate(outlines(spec, stage["key"]))
        assert np.allclose(got, prefix(model, k, verts), **F32), k


def test_wide_stages_show_outlines_through_the_points_projection() -> None:
    model = relu_net([2, 6, 2], seed=1)
    t = sw.trace(model, sw.make_points("grid", 900, seed=0), device="cpu")
    plain = film_spec(t)
    spec = regions_spec(t)
    wide = spec["stages"][1]
    assert wide["note"].startswith("PCA")
    shown = decode(spec["keys"][wide["key"]])  # (n, 3) the points as drawn
    assert np.allclose(shown, decode(plain["keys"][plain["stages"][1]["key"]]), **F32)
    # the projection is affine: fit it on the points, apply it to the vertex images
    pts = t.stages[1].points
    design = np.concatenate([pts, np.ones((len(pts), 1))], axis=1)
    coef, *_ = np.linalg.lstsq(design, shown, rcond=None)
    verts = np.concatenate(outlines(spec, spec["stages"][0]["key"]))
    images = prefix(model, 1, verts)
    expected = np.concatenate([images, np.ones((len(images), 1))], axis=1) @ coef
    assert np.allclose(np.concatenate(outlines(spec, wide["key"])), expected, atol=1e-3)


def test_area_fill_colours_each_stage() -> None:
    model = relu_net([2, 4, 2], seed=3)
    t = sw.trace(model, sw.make_points("grid", 400, seed=0), device="cpu")
    spec = regions_spec(t, "area")
    colors = decode(spec["regions"]["colors"])
    count = len(outlines(spec, 0))
    assert colors.shape == (len(spec["stages"]), count, 4)
    # the input keeps every area: the colour map's middle for every region
    assert len({tuple(c) for c in colors[0]}) == 1
    assert spec["regions"]["bar"]["lo"] < 0 < spec["regions"]["bar"]["hi"]


def test_smooth_networks_are_refused_in_one_line(tmp_path: Path) -> None:
    t = sw.run(input="grid", points=400, device="cpu")  # the seed's tanh network
    with pytest.raises(NetworkError) as err:
        regions_spec(t)
    assert err.value.field == "style.regions"
    assert "--color-by stretch" in str(err.value) and "\n" not in str(err.value)
    out = io.StringIO()
    with contextlib.redirect_stderr(out):
        code = main(["html", "--input", "grid", "--points", "400", "--device", "cpu",
                     "--regions", "--out", str(tmp_path / "page.html")])
    assert code == 2 and "--color-by stretch" in out.getvalue()
    assert len(out.getvalue().strip().splitlines()) == 1 and not list(tmp_path.iterdir())


def test_too_many_regions_for_a_film_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from spacewarp.view import outlines as module

    monkeypatch.setattr(module, "MAX_OUTLINE_REGIONS", 2)
    t = sw.trace(relu_net([2, 4, 2], seed=3), sw.make_points("grid", 400), device="cpu")
    with pytest.raises(LimitError) as err:
        regions_spec(t)
    assert err.value.field == "style.regions"


def test_svd_sub_steps_in_the_spec_compose_to_the_layer() -> None:
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)).double()
    t = sw.trace(model, sw.make_points("grid", 400, seed=0), device="cpu")
    spec = film_spec(t, BrowserOptions(film=FilmOptions(svd_steps=True)))
    first = [s for s in spec["segments"] if s["to"] == 1]
    assert [s["kind"] for s in first] == ["rotate", "scale", "rotate", "bias"]
    assert ["1/4 rotate by V" in first[0]["title"], "2/4 scale by S" in first[1]["title"],
            "3/4 rotate by U" in first[2]["title"], "4/4 shift by b" in first[3]["title"]] \
        == [True] * 4
    assert all("\n" in s["title"] and " = [" in s["title"] for s in first)  # its matrix
    x = decode(spec["keys"][first[0]["start"]])
    ends = [decode(spec["keys"][s["end"]]) for s in first]
    w, b = model[0].weight.detach().numpy(), model[0].bias.detach().numpy()
    assert np.allclose(x, t.stages[0].points, **F32)
    assert np.allclose(ends[3], x @ w.T + b, **F32)  # the four compose to the layer
    for before, after in ((x, ends[0]), (ends[1], ends[2])):  # rotations: orthogonal maps
        q, *_ = np.linalg.lstsq(before, after, rcond=None)
        assert np.allclose(q.T @ q, np.eye(2), atol=1e-5) and np.linalg.det(q) > 0
    scale = np.linalg.lstsq(ends[0], ends[1], rcond=None)[0]  # diag(S): the singular values
    assert np.allclose(scale, np.diag(np.linalg.svd(w, compute_uv=False)), atol=1e-5)
    assert np.allclose(ends[3] - ends[2], b, **F32)
    for s in (first[0], first[2]):  # the rotation's generator turns start into end
        gen = np.array(s["rotation"])
        angle = gen[1, 0]
        turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        a, e = decode(spec["keys"][s["start"]]), decode(spec["keys"][s["end"]])
        assert np.allclose(a @ turn.T, e, atol=1e-4)


def test_measure_summary_in_every_stage_title() -> None:
    from spacewarp.pipeline import measured

    t, m = measured(sw.run(input="grid", points=400, device="cpu"))
    spec = film_spec(t)
    for k, stage in enumerate(spec["stages"][1:], start=1):
        assert stage["measures"] == m.summary(k)
        assert "(median)" in stage["measures"] and "% collapsed" in stage["measures"]


def test_films_carry_the_outlines_with_the_points() -> None:
    from dataclasses import replace

    from spacewarp.render.frames import FrameRenderer

    model = relu_net([2, 3, 2], seed=2)
    plain = sw.trace(model, sw.make_points("grid", 400, seed=0), device="cpu")
    t = replace(plain, style=replace(plain.style, regions="area"))
    films = FrameRenderer(t), FrameRenderer(plain)
    n = t.n
    first = films[0].motion.morphs[0].start[n:, :2]  # the input's polygon vertices
    for morph in films[0].motion.morphs:  # every stage end: the network at the vertices
        want = prefix(model, morph.to_stage, first)
        assert np.allclose(morph.end[n:, : want.shape[1]], want, atol=1e-9)
    for a, b in zip(films[0].motion.morphs, films[1].motion.morphs, strict=True):
        assert np.array_equal(a.end[:n], b.end)  # the points as without regions
    shown, bare = films[0].render(0), films[1].render(0)
    assert shown.shape == bare.shape and (shown != bare).any()


def test_stills_draw_each_region_image_under_the_points() -> None:
    from dataclasses import replace

    from matplotlib.collections import PolyCollection

    from spacewarp.render.static import stages_figure

    model = relu_net([2, 3, 2], seed=2)
    plain = sw.trace(model, sw.make_points("grid", 400, seed=0), device="cpu")
    fig = stages_figure(replace(plain, style=replace(plain.style, regions="region")))

    def polygons(k: int) -> list[np.ndarray]:
        ax = next(a for a in fig.axes if a.get_gid() == f"stage-{k}")
        coll = next(c for c in ax.collections if isinstance(c, PolyCollection))
        return [p.vertices[:-1] if np.allclose(p.vertices[0], p.vertices[-1])
                else p.vertices for p in coll.get_paths()]

    first = polygons(0)
    side = np.ptp(plain.stages[0].points, axis=0)
    assert sum(abs(shoelace(p)) for p in first) == pytest.approx(side[0] * side[1], rel=1e-9)
    last = polygons(3)  # the 2-D output: each polygon is the network at its vertices
    assert len(last) == len(first)
    for before, after in zip(first, last, strict=True):
        assert np.allclose(after, prefix(model, 3, before), atol=1e-9)
