"""Exact linear regions against hand-checked counts and independent forward passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hooks import prefix, relu_net
from torch import nn

import spacewarp as sw
from spacewarp.errors import NetworkError
from spacewarp.measure import Regions, regions

BOX = (-3.0, 3.0, -2.0, 2.5)


def pre_activation_signs(model: nn.Sequential, x: np.ndarray) -> np.ndarray:
    """(n, 2) -> (n, n_neurons) bool: which neurons are positive, by running the model."""
    h, bits = torch.from_numpy(x), []
    with torch.no_grad():
        for module in model:
            if isinstance(module, nn.ReLU | nn.LeakyReLU):
                bits.append((h > 0).numpy())
            h = module(h)
    return np.concatenate(bits, axis=1)


@pytest.fixture(scope="module")
def net() -> nn.Sequential:
    return relu_net([2, 8, 8, 3], seed=4)  # two classes meet inside the box


@pytest.fixture(scope="module")
def regs(net: nn.Sequential) -> Regions:
    return regions(net, BOX)


def test_two_known_lines_make_four_quadrants() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 1.0], [1.0, -1.0]]))  # lines y = -x, y = x
        model[0].bias.copy_(torch.tensor([0.0, 0.0]))
    r = regions(model, (-1, 1, -1, 1))
    assert len(r) == 4 and r.per_layer == (4,)
    assert np.allclose(np.sort(r.areas), [1.0] * 4)  # four triangles of the square
    assert sorted(map(tuple, r.patterns.astype(int))) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    shifted = regions(model, (0.5, 1, -0.1, 0.1))  # only y = x and y = -x outside: 1 region
    assert len(shifted) == 1


def test_polygons_tile_the_box_counter_clockwise(regs: Regions) -> None:
    area = (BOX[1] - BOX[0]) * (BOX[3] - BOX[2])
    assert np.all(regs.areas > 0)  # counter-clockwise
    assert np.isclose(regs.areas.sum(), area, rtol=1e-12)
    for poly in regs.polygons:  # convex: every turn is a left turn
        e = np.roll(poly, -1, axis=0) - poly
        turn = e[:, 0] * np.roll(e, -1, axis=0)[:, 1] - e[:, 1] * np.roll(e, -1, axis=0)[:, 0]
        assert np.all(turn > -1e-9)


def test_one_pattern_per_polygon_all_distinct(net: nn.Sequential, regs: Regions) -> None:
    assert len(np.unique(regs.patterns, axis=0)) == len(regs) > 20
    rng = np.random.default_rng(0)
    for poly, pattern in zip(regs.polygons, regs.patterns, strict=True):
        w = rng.dirichlet(np.ones(len(poly)), size=5)  # random points inside the polygon
        assert np.all(pre_activation_signs(net, w @ poly) == pattern)


def test_neighbours_differ_in_exactly_one_neuron(net: nn.Sequential, regs: Regions) -> None:
    known = {p.tobytes(): i for i, p in enumerate(regs.patterns)}
    checked = 0
    for poly, pattern in zip(regs.polygons, regs.patterns, strict=True):
        edge = np.roll(poly, -1, axis=0) - poly
        mid = poly + 0.5 * edge
        outward = np.stack([edge[:, 1], -edge[:, 0]], axis=1)
        outward /= np.linalg.norm(outward, axis=1, keepdims=True)
        across = mid + 1e-7 * outward
        inside = (across[:, 0] > BOX[0]) & (across[:, 0] < BOX[1]) & (
            across[:, 1] > BOX[2]) & (across[:, 1] < BOX[3])
        for bits in pre_activation_signs(net, across[inside]):
            assert bits.tobytes() in known
            assert (bits != pattern).sum() == 1
            checked += 1
    assert checked > len(regs)


def test_probe_grid_points_fall_in_their_patterns_polygon(net: nn.Sequential,
                                                         regs: Regions) -> None:
    xs, ys = np.meshgrid(np.linspace(BOX[0], BOX[1], 301), np.linspace(BOX[2], BOX[3], 301))
    probe = np.stack([xs.ravel(), ys.ravel()], axis=1)
    where = {p.tobytes(): i for i, p in enumerate(regs.patterns)}
    owner = np.array([where[b.tobytes()] for b in pre_activation_signs(net, probe)])
    for i, poly in enumerate(regs.polygons):
        pts = probe[owner == i]
        e = np.roll(poly, -1, axis=0) - poly  # inside a CCW polygon: left of every edge
        rel = pts[:, None, :] - poly[None]
        side = e[None, :, 0] * rel[..., 1] - e[None, :, 1] * rel[..., 0]
        assert np.all(side >= -1e-9)
    assert len(np.unique(owner)) > 0.9 * len(regs)


def test_affine_maps_reproduce_every_stage_at_the_vertices(net: nn.Sequential,
                                                          regs: Regions) -> None:
    for k in range(len(net) + 1):
        image = regs.image(k)  # (R, M, d_k)
        for r, poly in enumerate(regs.polygons):
            assert np.allclose(image[r, : len(poly)], prefix(net, k, poly), atol=1e-10)
    a, c = regs.affine
    assert a.shape == (len(regs), 3, 2) and c.shape == (len(regs), 3)


def test_decision_boundary_is_where_the_argmax_changes(net: nn.Sequential,
                                                      regs: Regions) -> None:
    assert regs.boundary
    for line in regs.boundary:
        out = np.sort(prefix(net, len(net), line), axis=1)
        assert np.allclose(out[:, -1], out[:, -2], atol=1e-9)  # a tie between the top two
        mid = 0.5 * (line[:-1] + line[1:])
        normal = np.stack([-(line[1:, 1] - line[:-1, 1]), line[1:, 0] - line[:-1, 0]], axis=1)
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        left = prefix(net, len(net), mid + 1e-6 * normal).argmax(axis=1)
        right = prefix(net, len(net), mid - 1e-6 * normal).argmax(axis=1)
        assert np.all(left != right)


def test_leaky_relu_and_traces_give_the_same_regions() -> None:
    model = relu_net([2, 6, 6, 2], seed=3, act=lambda: nn.LeakyReLU(0.1))  # type: ignore[arg-type,return-value]
    from_model = regions(model, BOX)
    pts = sw.make_points("grid", 400, seed=0)
    t = sw.trace(model, pts, device="cpu")
    from_trace = regions(t, BOX)
    assert len(from_model) == len(from_trace)
    assert np.allclose(np.sort(from_model.areas), np.sort(from_trace.areas))
    for r, poly in enumerate(from_trace.polygons):
        assert np.allclose(from_trace.image(len(model))[r, : len(poly)],
                           prefix(model, len(model), poly), atol=1e-10)


def test_one_d_breakpoints_are_the_neurons_kinks() -> None:
    model = relu_net([1, 5, 1], seed=2)
    w, b = model[0].weight.detach().numpy()[:, 0], model[0].bias.detach().numpy()
    kinks = np.sort(-b / w)
    inside = kinks[(kinks > -4) & (kinks < 4)]
    r = regions(model, (-4, 4))
    assert np.allclose(r.breakpoints, inside)
    assert len(r) == len(inside) + 1 and np.isclose(r.areas.sum(), 8)


def test_smooth_networks_are_refused_towards_stretch_colouring() -> None:
    with pytest.raises(NetworkError, match="--color-by stretch") as err:
        regions(sw.run(points=100), (-1, 1, -1, 1))
    assert err.value.field == "network.activation"
    assert "\n" not in str(err.value)


def test_other_architectures_and_bad_boxes_are_refused() -> None:
    class Net(nn.Module):  # not an nn.Sequential: captured on a probe grid over the box
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.sigmoid(x)

    with pytest.raises(NetworkError, match="--color-by stretch"):
        regions(Net(), BOX)
    with pytest.raises(sw.SpacewarpError, match="x0 < x1"):
        regions(relu_net([2, 3, 1]), (1, -1, 0, 1))


def test_too_many_regions_is_a_limit_not_a_runaway(monkeypatch: pytest.MonkeyPatch) -> None:
    from spacewarp.measure import linear_regions

    monkeypatch.setattr(linear_regions, "MAX_REGIONS", 50)
    with pytest.raises(sw.SpacewarpError, match="more than 50 linear regions") as err:
        regions(relu_net([2, 16, 16, 1]), BOX)
    assert err.value.field == "network.layers"


def test_one_output_boundary_is_the_zero_level_set() -> None:
    model = relu_net([2, 8, 8, 1], seed=0)
    with torch.no_grad():
        model[-1].bias.fill_(-float(model(torch.zeros(1, 2, dtype=torch.float64))))  # f(0) = 0
    r = regions(model, BOX)
    assert r.boundary
    total = 0
    for line in r.boundary:
        assert np.allclose(prefix(model, len(model), line), 0.0, atol=1e-9)
        total += len(line) - 1
    assert len(r.boundary) < total  # segments of neighbouring regions are chained


def batchnorm_net(seed: int = 5) -> nn.Sequential:
    """Linear, BatchNorm1d (running statistics and affine parameters drawn), ReLU, Linear."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))
    bn = model[1]
    with torch.no_grad():
        bn.running_mean.normal_()
        bn.running_var.uniform_(0.3, 3.0)
        bn.weight.normal_()
        bn.bias.normal_()
    return model.double().eval()


def test_batchnorm_in_eval_mode_is_an_affine_step() -> None:
    """Regions pass an eval-mode BatchNorm1d: every stage's map reproduces the model at the
    vertices, and the regions are those of the network with BatchNorm folded in by hand."""
    model = batchnorm_net()
    bn, first = model[1], model[0]
    s = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().numpy()
    folded = relu_net([2, 6, 3])
    with torch.no_grad():
        folded[0].weight.copy_(torch.from_numpy(s[:, None] * first.weight.detach().numpy()))
        folded[0].bias.copy_(torch.from_numpy(
            s * (first.bias.detach().numpy() - bn.running_mean.numpy()) + bn.bias.numpy()))
        folded[2].load_state_dict(model[3].state_dict())
    want = regions(folded, BOX)
    t = sw.trace(model, sw.make_points("grid", 400, seed=0), device="cpu")
    for found in (regions(model, BOX), regions(t, BOX)):
        assert len(found) == len(want) > 1
        assert np.allclose(np.sort(found.areas), np.sort(want.areas))
        for k in range(len(model) + 1):
            for r, poly in enumerate(found.polygons):
                assert np.allclose(found.image(k)[r, : len(poly)], prefix(model, k, poly),
                                   atol=1e-10)


def test_a_batchnorm_on_batch_statistics_is_refused() -> None:
    model = batchnorm_net()
    model[1] = nn.BatchNorm1d(6, track_running_stats=False).double()  # the batch's own stats
    t = sw.trace(model, sw.make_points("grid", 400, seed=0), device="cpu")
    with pytest.raises(NetworkError, match="batchnorm1d"):
        regions(t, BOX)


TANH_PY = """
from torch import nn

def tanh_net():
    return nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))
"""


def test_a_smooth_activation_is_refused_beside_what_the_user_typed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--activation for a network built from widths; --model or --weights for the user's own
    file, which has no --activation to change."""
    from spacewarp.cli import main

    (tmp_path / "nets.py").write_text(TANH_PY)
    exported = torch.export.export(nn.Sequential(nn.Linear(2, 4), nn.Tanh()),
                                   (torch.zeros(3, 2),))
    torch.export.save(exported, str(tmp_path / "tanh.pt2"))
    runs = {"--activation": ["--layers", "2,4,2", "--activation", "tanh"],
            "--model": ["--model", f"{tmp_path / 'nets.py'}:tanh_net"],
            "--weights": ["--weights", str(tmp_path / "tanh.pt2")]}
    for flag, flags in runs.items():
        assert main(["regions", *flags, "--points", "30", "--out", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"spacewarp: error: {flag}: exact linear regions need "
                              "piecewise-linear activations"), err
        assert "\n" not in err
