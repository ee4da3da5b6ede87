"""Measures and regions through the fronts: ``render --measures``, ``--color-by`` measures,
``spacewarp regions`` and its figure, checked against the model run independently."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.collections import PolyCollection

import spacewarp as sw
from spacewarp.cli import main
from spacewarp.pipeline import model_for, resolve

RELU = ["--input", "grid", "--activation", "relu", "--layers", "2,4,4,2", "--bias",
        "--init", "random", "--seed", "3", "--device", "cpu"]


def model_of(**options: object) -> torch.nn.Sequential:
    return model_for(resolve(sw.experiment(**options))[0]).double()


def full_jacobian(model: torch.nn.Sequential, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """(n, 2) -> (n, d_out, 2) by central differences of the whole model."""
    def f(p: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(p)).numpy()

    return np.stack([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(2)], axis=2)


def test_render_measures_writes_every_stage_and_titles_say_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["render", "--measures", "--points", "300", "--device", "cpu",
                 "--out", str(out)]) == 0
    model = model_of(points=300, device="cpu")
    with np.load(out / "trace.npz", allow_pickle=False) as z:
        x = z["stage_00"]
        ref = np.linalg.svd(full_jacobian(model, x), compute_uv=False)
        assert np.allclose(z["jac_sv_05"], ref, rtol=1e-5, atol=1e-8)
        assert np.array_equal(z["folded_05"], np.linalg.det(full_jacobian(model, x)) < 0)
        assert {"log_area_03", "rank_03", "jac_sv_00"} <= set(z.files)
        assert "folded_03" not in z.files  # 3-D stage of 2-D input: no orientation
    from spacewarp.render.static import weights_text

    t = sw.run(points=300, device="cpu", color_by="stretch")
    assert "% folded" in weights_text(t, 5) and "collapsed" in weights_text(t, 2)


def test_color_by_stretch_and_fold_come_from_the_whole_networks_jacobian() -> None:
    model = model_of(points=200, device="cpu")
    for name in ("stretch", "fold", "area"):
        t = sw.run(points=200, device="cpu", color_by=name)
        jac = full_jacobian(model, t.stages[0].points)
        sv = np.linalg.svd(jac, compute_uv=False)
        expected = {"stretch": sv[:, 0], "fold": np.linalg.det(jac) < 0,
                    "area": np.abs(np.linalg.det(jac))}[name]
        shown = t.color if name == "fold" else 10 ** t.color
        assert np.allclose(shown, expected, rtol=1e-5, atol=1e-8)


def test_color_by_region_gives_one_colour_per_activation_pattern() -> None:
    options = dict(input="grid", activation="relu", layers="2,4,4,2", bias=True,
                   init="random", seed=3, device="cpu")
    t = sw.run(color_by="region", **options)
    model = model_of(**options)
    h, bits = torch.from_numpy(t.stages[0].points.copy()), []
    with torch.no_grad():
        for module in model:
            if isinstance(module, torch.nn.ReLU):
                bits.append((h > 0).numpy())
            h = module(h)
    patterns = np.concatenate(bits, axis=1)
    _, ids = np.unique(patterns, axis=0, return_inverse=True)
    pairs = set(zip(ids.ravel().tolist(), t.color.tolist(), strict=True))
    assert len(pairs) == len(set(ids.ravel().tolist())) == len(set(t.color.tolist())) > 3


def test_regions_command_writes_picture_and_exact_maps(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "regions"
    assert main(["regions", *RELU, "--bounds=-2,2,-1.5,1.5", "--out", str(out)]) == 0
    assert "regions" in capsys.readouterr().out
    assert (out / "regions.png").stat().st_size > 10_000
    model = model_of(input="grid", activation="relu", layers="2,4,4,2", bias=True,
                     init="random", seed=3)
    with np.load(out / "regions.npz", allow_pickle=False) as z:
        verts, count = z["verts"], z["count"]
        assert np.isclose(z["areas"].sum(), 4 * 3)
        assert tuple(z["bounds"]) == (-2, 2, -1.5, 1.5)
        for r in range(len(count)):
            poly = verts[r, : count[r]]
            with torch.no_grad():
                expected = model(torch.from_numpy(poly)).numpy()
            assert np.allclose(poly @ z["A_05"][r].T + z["c_05"][r], expected, atol=1e-10)


def test_regions_figure_draws_every_polygon_and_its_images() -> None:
    from spacewarp.render.regions import regions_figure

    model = model_of(input="grid", activation="relu", layers="2,4,2", bias=True,
                     init="random", seed=3)
    found = sw.regions(model, (-2, 2, -2, 2))
    fig = regions_figure(found)
    panels = [ax for ax in fig.axes if (ax.get_gid() or "").startswith("regions-")]
    assert len(panels) == 4  # input, Linear, ReLU, Linear
    polys = next(c for c in panels[0].collections if isinstance(c, PolyCollection))
    drawn = [p.vertices[: len(q)] for p, q in zip(polys.get_paths(), found.polygons, strict=True)]
    for d, q in zip(drawn, found.polygons, strict=True):
        assert np.allclose(d, q)
    last = next(c for c in panels[3].collections if isinstance(c, PolyCollection))
    with torch.no_grad():
        for path, poly in zip(last.get_paths(), found.polygons, strict=True):
            assert np.allclose(path.vertices[: len(poly)],
                               model(torch.from_numpy(poly)).numpy(), atol=1e-9)


def test_regions_of_a_tanh_network_is_one_line_pointing_to_stretch(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regions", "--device", "cpu", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--color-by stretch" in err
    assert not (tmp_path / "r").exists()


def test_fold_colouring_without_a_square_stage_is_refused() -> None:
    with pytest.raises(sw.SpacewarpError, match="use --color-by stretch") as err:
        sw.run(points=50, layers="2,3,1", device="cpu", color_by="fold")
    assert err.value.field == "input.color_by"


def test_regions_figure_of_a_one_d_input_draws_each_piece_of_the_curve() -> None:
    from matplotlib.collections import LineCollection

    from spacewarp.render.regions import regions_figure

    model = model_of(input="line", activation="relu", layers="1,4,2", bias=True,
                     init="random", seed=1)
    found = sw.regions(model, (-3, 3))
    fig = regions_figure(found, fill="area")
    last = [ax for ax in fig.axes if ax.get_gid() == "regions-3"][0]
    lines = next(c for c in last.collections if isinstance(c, LineCollection))
    with torch.no_grad():
        for seg, interval in zip(lines.get_segments(), found.polygons, strict=True):
            assert np.allclose(seg, model(torch.from_numpy(interval)).numpy(), atol=1e-10)


def test_dense_regions_are_filled_without_outlines_under_a_visible_boundary() -> None:
    """Above the density where outlines would cover the fills (fewer than
    MIN_REGION_PIXELS pixels per region), regions.png draws fills only, says so in its
    title, and keeps the decision boundary on top; a sparse figure keeps its outlines."""
    from spacewarp.render.regions import MIN_REGION_PIXELS, panel_pixels, regions_figure

    model = model_of(input="grid", activation="relu", layers="2,64,64,3", bias=True,
                     init="random", seed=0)
    dense = sw.regions(model, (-3, 3, -3, 3))
    assert len(dense) * MIN_REGION_PIXELS > panel_pixels() and dense.boundary
    sparse = sw.regions(model, (-0.2, 0.2, -0.2, 0.2))
    assert len(sparse) * MIN_REGION_PIXELS < panel_pixels()
    for found, outlined in ((dense, False), (sparse, True)):
        fig = regions_figure(found)
        panels = [ax for ax in fig.axes if (ax.get_gid() or "").startswith("regions-")]
        fills = [c for ax in panels for c in ax.collections if isinstance(c, PolyCollection)]
        assert len(fills) == len(panels) and len(fills[0].get_paths()) == len(found)
        widths = np.concatenate([c.get_linewidths() for c in fills])
        assert np.all(widths > 0) if outlined else np.all(widths == 0)
        assert ("outlines omitted" in fig._suptitle.get_text()) != outlined  # type: ignore[union-attr]
        line = next(c for c in panels[0].collections if c.get_gid() == "decision-boundary")
        assert line.get_zorder() > fills[0].get_zorder() and np.all(line.get_linewidths() > 0)


def test_the_api_passes_the_region_cap_and_the_output_cut_as_the_readme_calls_them() -> None:
    """README: ``sw.regions(model, box, max_regions=1e5, cut_output=True)``: the count with
    the output's zero set equals the plain enumerator's, and a cap below it is refused."""
    from plain_regions import plain_regions

    from spacewarp.errors import SpacewarpError

    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(2, 6), torch.nn.ReLU(), torch.nn.Linear(6, 1)
                                ).double()
    box = (-2.0, 2.0, -2.0, 2.0)
    found = sw.regions(model, box, max_regions=1e5, cut_output=True)
    assert len(found.patterns) == len(plain_regions(model, box, cut_output=True))
    assert len(found.patterns) > len(plain_regions(model, box))
    with pytest.raises(SpacewarpError):
        sw.regions(model, box, max_regions=2, cut_output=True)
