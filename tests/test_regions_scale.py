"""The region enumerator at scale, against a plain reference and the model itself.

``plain_regions`` (tests/plain_regions.py) cuts one polygon by one neuron at a time with
values from the torch model; spacewarp lists each polygon's crossing neurons and cuts all
polygons of a layer at once, and shares a linear layer's work between regions.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hooks import prefix, relu_net
from plain_regions import plain_regions
from torch import nn

from spacewarp.cli import main as cli_main
from spacewarp.errors import InputError, LimitError
from spacewarp.measure import regions, stage_map
from spacewarp.measure.layer_split import estimate


def pattern_set(patterns: np.ndarray) -> list[tuple[bool, ...]]:
    return sorted(tuple(map(bool, p)) for p in patterns)


@pytest.mark.parametrize(("widths", "seed", "box"), [
    ([2, 8, 8, 1], 1, (-3, 3, -3, 3)),
    ([2, 12, 12, 12, 1], 2, (-2, 2, -3, 3)),
    ([2, 10, 10, 3], 3, (-4, 4, -4, 4)),
    ([2, 24, 24, 1], 4, (-1.5, 1.5, -1.5, 1.5)),
])
@pytest.mark.parametrize("cut_output", [False, True])
def test_counts_and_patterns_equal_the_plain_reference(widths: list[int], seed: int,
                                                       box: tuple[float, ...],
                                                       cut_output: bool) -> None:
    model = relu_net(widths, seed)
    ref = plain_regions(model, box, cut_output=cut_output)  # type: ignore[arg-type]
    found = regions(model, box, cut_output=cut_output)
    assert len(found) == len(ref) > 10
    assert pattern_set(found.patterns) == sorted(p for _, p in ref)
    area = (box[1] - box[0]) * (box[3] - box[2])
    assert np.isclose(found.areas.sum(), area, rtol=1e-12) and np.all(found.areas > 0)


def test_cutting_the_output_adds_its_zero_set_and_its_signs() -> None:
    model = relu_net([2, 16, 16, 1], seed=5)
    box = (-3.0, 3.0, -3.0, 3.0)
    plain, cut = regions(model, box), regions(model, box, cut_output=True)
    assert plain.boundary  # the zero set crosses the box, so it cuts some regions
    assert len(cut) > len(plain) and cut.per_layer[:-1] == plain.per_layer
    assert cut.per_layer[-1] == len(cut) and cut.patterns.shape[1] == plain.patterns.shape[1] + 1
    rng = np.random.default_rng(0)
    for poly, pattern in zip(cut.polygons, cut.patterns, strict=True):
        inside = rng.dirichlet(np.ones(len(poly)), size=3) @ poly
        assert np.all((prefix(model, len(model), inside)[:, 0] > 0) == pattern[-1])
    assert "cut along the output's zero set" in cut.counted
    assert "zero set not cut" in plain.counted
    assert "argmax boundary not cut" in regions(relu_net([2, 6, 3]), box).counted


@pytest.mark.parametrize(("cost", "tree"), [  # every linear step sparse, dense, or a tree
    (0, 10**9), (10**9, 10**9), (10**9, 0)])
def test_stage_maps_reproduce_the_model_every_way(monkeypatch: pytest.MonkeyPatch,
                                                  cost: int, tree: int) -> None:
    monkeypatch.setattr(stage_map, "ELEMENTWISE_COST", cost)
    monkeypatch.setattr(stage_map, "SPARSE_FIXED_COST", cost)
    monkeypatch.setattr(stage_map, "TREE_MIN_IN", tree)
    monkeypatch.setattr(stage_map, "TREE_MIN_OUT", tree)
    model = relu_net([2, 32, 32, 32, 3], seed=6)
    found = regions(model, (-2.0, 2.0, -2.0, 2.0))
    assert len(found) > 1000
    valid = np.arange(found.verts.shape[1])[None, :] < found.count[:, None]  # (R, M)
    for k in range(len(model) + 1):  # every vertex of every region, by its own map
        expected = prefix(model, k, found.verts[valid])
        assert np.allclose(found.image(k)[valid], expected, atol=1e-9)


def test_a_network_of_thousands_of_regions_matches_its_own_forward_pass() -> None:
    model = relu_net([2, 64, 64, 1], seed=7)
    found = regions(model, (-1.0, 1.0, -1.0, 1.0))
    assert len(found) > 2000
    assert len(np.unique(found.patterns, axis=0)) == len(found)
    xs = np.random.default_rng(2).uniform(-1, 1, size=(20000, 2))
    with torch.no_grad():  # the pattern of every sampled point is one of the regions'
        h, bits = torch.from_numpy(xs), []
        for module in model:
            if isinstance(module, nn.ReLU):
                bits.append((h > 0).numpy())
            h = module(h)
    known = {p.tobytes() for p in found.patterns}
    sampled = np.concatenate(bits, axis=1)
    assert all(p.tobytes() in known for p in sampled)


def test_the_estimate_is_near_the_count_of_a_line_arrangement() -> None:
    rng = np.random.default_rng(3)
    lines = rng.normal(size=(60, 3))  # a x + b y + c = 0, most of them crossing the box
    x = np.linspace(-1, 1, 2)
    crossing = sum(1 for a, b, c in lines  # a line crosses the box when corners differ
                   if len({np.sign(a * px + b * py + c) for px in x for py in x}) > 1)
    inside = 0
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            p = np.linalg.solve(lines[[i, j], :2], -lines[[i, j], 2])
            inside += bool(np.all(np.abs(p) < 1))
    exact = 1 + crossing + inside  # regions of a line arrangement in a convex box
    guess = estimate(np.array([crossing]), np.array([4]))
    assert 0.5 * exact < guess < 2 * exact


def test_max_regions_refuses_by_estimate_before_the_cuts(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    from spacewarp.measure import layer_split

    monkeypatch.setattr(layer_split.pg, "cut", lambda *a: pytest.fail("cut before refusing"))
    monkeypatch.setattr(layer_split.arrangement, "faces",
                        lambda *a: pytest.fail("cut before refusing"))
    with pytest.raises(LimitError, match=r"more than 100 linear regions \(about [\d,]+ by an "
                                         r"estimate") as err:
        regions(relu_net([2, 64, 64, 1]), (-1.0, 1.0, -1.0, 1.0), max_regions=100)
    assert err.value.field == "network.layers" and "\n" not in str(err.value)


@pytest.mark.parametrize("bad", [0, 1.5, float("nan"), -3])
def test_bad_max_regions_is_one_line(bad: float) -> None:
    with pytest.raises(InputError, match="whole number of regions") as err:
        regions(relu_net([2, 4, 1]), (-1.0, 1.0, -1.0, 1.0), max_regions=bad)  # type: ignore[arg-type]
    assert err.value.field == "regions.max_regions"


def test_cli_max_regions_and_cut_output(tmp_path: object,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    base = ["regions", "--input", "grid", "--points", "100", "--activation", "relu",
            "--layers", "2,16,16,1", "--bias", "--init", "random", "--bounds=-3,3,-3,3",
            "--device", "cpu", "--out", str(tmp_path)]
    for extra, said in ((["--max-regions", "20"], "more than 20 linear regions"),
                        (["--max-regions", "1e-3"], "not a whole number of regions")):
        assert cli_main([*base, *extra]) == 2
        err = capsys.readouterr().err
        assert said in err and err.count("\n") == 1, err
    assert cli_main([*base, "--cut-output"]) == 0
    assert "cut along the output's zero set" in capsys.readouterr().out
    saved = np.load(f"{tmp_path}/regions.npz")
    assert saved["per_layer"][-1] == len(saved["count"])


def test_a_round_that_crosses_no_polygon_keeps_them_whole() -> None:
    """A round of cuts where every piece's next line misses it (the course's 2,100,3 on
    its spiral met one) returns the polygons whole, not a reshape error."""
    from spacewarp.measure import polygons as pg

    verts, count = pg.box((0.0, 1.0, 0.0, 1.0))
    verts, count, src = pg.cut(verts, count, np.array([[1.0, 2.0, 3.0, 4.0]]))
    assert count.tolist() == [4] and src.tolist() == [0]
    np.testing.assert_array_equal(verts[0, :4], pg.box((0.0, 1.0, 0.0, 1.0))[0][0])
