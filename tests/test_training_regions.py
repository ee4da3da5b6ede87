"""Regions through training (``spacewarp train --regions``): every snapshot's numbers
against references computed here, from the file's own parameters and plain forwards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import spacewarp as sw
from spacewarp.cli import main
from spacewarp.measure.snapshot_walk import SnapshotRegions, walk_batches
from spacewarp.measure.steps import steps_of
from spacewarp.measure.training_regions import crossed_by_boundary, near_boundary, squares_met
from spacewarp.training.file import load_training

SMALL = ["--input", "spiral", "--points", "150", "--layers", "2,10,8,3", "--epochs", "40",
         "--snapshots", "6", "--probe", "8", "--lr", "0.03", "--activation", "relu",
         "--no-film", "--device", "cpu"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("train_regions") / "run"
    assert main(["train", *SMALL, "--regions", "--out", str(out)]) == 0
    return out


def npz_of(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def network(z: dict[str, np.ndarray], s: int) -> nn.Sequential:
    """Snapshot s's network, built here from the file's arrays (Linear, ReLU, ...)."""
    layers: list[nn.Module] = []
    for k in (0, 2, 4):
        w, b = z[f"{k}.weight"][s], z[f"{k}.bias"][s]
        lin = nn.Linear(w.shape[1], w.shape[0]).double()
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        layers += [lin, nn.ReLU()] if k < 4 else [lin]
    return nn.Sequential(*layers)


def patterns(model: nn.Sequential, x: np.ndarray) -> np.ndarray:
    """(N, neurons) bool: each ReLU's input > 0, caught with forward hooks."""
    seen: list[torch.Tensor] = []
    hooks = [m.register_forward_hook(lambda _m, i, _o: seen.append(i[0] > 0))
             for m in model if isinstance(m, nn.ReLU)]
    with torch.no_grad():
        model(torch.from_numpy(np.array(x, dtype=np.float64)))  # a writable copy
    for h in hooks:
        h.remove()
    return torch.cat(seen, dim=1).numpy()


def test_the_file_holds_the_four_curves_the_box_and_the_radius(run_dir: Path) -> None:
    z = npz_of(run_dir / "training.npz")
    for name in ("regions_total", "regions_with_data", "local_complexity",
                 "regions_near_boundary"):
        assert z[name].shape == (6,), name
    x = z["stage_00"][0].astype(np.float64)  # (N, 2): the input, the same every snapshot
    lo, hi = x.min(0), x.max(0)
    pad = 0.1 * (hi - lo)  # the probe box: the points' box and 10% each side
    np.testing.assert_allclose(z["regions_bounds"], [lo[0] - pad[0], hi[0] + pad[0],
                                                     lo[1] - pad[1], hi[1] + pad[1]],
                               rtol=1e-6)
    width = max(z["regions_bounds"][1] - z["regions_bounds"][0],
                z["regions_bounds"][3] - z["regions_bounds"][2])
    assert z["lc_radius"].shape == ()  # a number, not an array of one
    assert float(z["lc_radius"]) == pytest.approx(0.01 * width)
    assert (z["regions_near_boundary"] <= z["regions_total"]).all()
    assert (z["regions_with_data"] <= z["regions_total"]).all()


def test_every_snapshot_total_equals_sw_regions_of_its_own_parameters(run_dir: Path) -> None:
    z = npz_of(run_dir / "training.npz")
    box = tuple(float(v) for v in z["regions_bounds"])
    want = [len(sw.regions(network(z, s), box)) for s in range(6)]
    assert z["regions_total"].tolist() == want
    assert len(set(want)) > 1  # training moved the partition


def test_regions_with_data_are_distinct_patterns_of_a_forward_pass(run_dir: Path) -> None:
    z = npz_of(run_dir / "training.npz")
    x = load_training(run_dir / "training.npz").points.x  # float64: every row of stage_00
    np.testing.assert_allclose(z["stage_00"][0], x, rtol=1e-6)
    want = [len({row.tobytes() for row in patterns(network(z, s), x)}) for s in range(6)]
    assert z["regions_with_data"].tolist() == want


def test_every_snapshot_local_complexity_and_boundary_equal_its_own_regions(
        run_dir: Path) -> None:
    """The snapshots are enumerated in one batch (measure.snapshot_walk); each snapshot's
    numbers equal those of its own network's sw.regions, counted alone (squares_met and
    near_boundary are checked against dense references below)."""
    z = npz_of(run_dir / "training.npz")
    box = tuple(float(v) for v in z["regions_bounds"])
    r = float(z["lc_radius"])
    train_x = load_training(run_dir / "training.npz").points.x[~z["test"]]
    for s in range(6):
        found = sw.regions(network(z, s), box)
        assert z["local_complexity"][s] == pytest.approx(squares_met(found, train_x, r).mean())
        assert z["regions_near_boundary"][s] == near_boundary(found, r)


def test_the_batched_walk_gives_each_network_its_own_polygons_and_output_maps() -> None:
    """Three random networks of one shape cut together: each one's polygons have the
    areas of sw.regions of that network alone, and each region's output map equals the
    network's output at the region's centroid (a plain torch forward)."""
    models = [small_network(seed) for seed in (1, 2, 3)]
    box = (-2.0, 2.0, -2.0, 2.0)
    parts = walk_batches([steps_of(m)[0] for m in models], box, 10**6)
    for s, model in enumerate(models):
        (found,) = [p for p in parts if (p.snapshot == s).any()]  # wholly in one batch
        mine = found.snapshot == s
        alone = sw.regions(model, box)
        m = found.count[mine]
        verts = found.verts[mine]
        areas = [0.5 * abs(float(x @ np.roll(y, -1) - y @ np.roll(x, -1)))
                 for x, y in (v[:k].T for v, k in zip(verts, m, strict=True))]
        np.testing.assert_allclose(sorted(areas), sorted(alone.areas), rtol=1e-9, atol=1e-12)
        centre = np.stack([v[:k].mean(0) for v, k in zip(verts, m, strict=True)])  # (R, 2)
        got = np.einsum("rd,rdk->rk", centre, found.out_at[mine]) + found.out_c[mine]
        with torch.no_grad():
            want = model(torch.from_numpy(centre)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def test_load_training_reads_the_curves_back(run_dir: Path) -> None:
    z = npz_of(run_dir / "training.npz")
    back = load_training(run_dir / "training.npz")
    assert back.regions["regions_total"].tolist() == z["regions_total"].tolist()


def clipped_area(poly: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """The area of convex ``poly`` (m, 2) inside the box lo..hi (Sutherland-Hodgman)."""
    pts = [tuple(p) for p in poly]
    for axis, bound, keep_below in ((0, lo[0], False), (0, hi[0], True), (1, lo[1], False),
                                    (1, hi[1], True)):
        def inside(p: tuple[float, float], a: int = axis, b: float = bound,
                   below: bool = keep_below) -> bool:
            return p[a] <= b if below else p[a] >= b
        out: list[tuple[float, float]] = []
        for k, cur in enumerate(pts):
            prev = pts[k - 1]
            if inside(cur) != inside(prev):
                t = (bound - prev[axis]) / (cur[axis] - prev[axis])
                out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
            if inside(cur):
                out.append(cur)
        pts = out
        if not pts:
            return 0.0
    x, y = np.array(pts).T
    return 0.5 * abs(float(x @ np.roll(y, -1) - y @ np.roll(x, -1)))


def clipped_count(polygons: list[np.ndarray], centres: np.ndarray, r: float) -> list[int]:
    """Regions whose polygon keeps a positive area inside each square."""
    return [sum(clipped_area(p, c - r, c + r) > 1e-12 for p in polygons) for c in centres]


def small_network(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 5), nn.ReLU(),
                         nn.Linear(5, 3)).double()


def test_local_complexity_against_a_dense_count_in_each_square() -> None:
    model = small_network(3)
    found = sw.regions(model, (-2.0, 2.0, -2.0, 2.0))
    centres = np.random.default_rng(1).uniform(-1.5, 1.5, (12, 2))
    r = 0.4
    got = squares_met(found, centres, r)
    assert got.tolist() == clipped_count(found.polygons, centres, r)
    assert got.max() > 1  # the squares do meet several regions


def test_regions_near_the_boundary_against_a_dense_sample() -> None:
    """A region is near when some point of it lies within r of the boundary: sampled
    densely inside each polygon, and the boundary sampled densely along its polylines."""
    model = small_network(5)
    found = sw.regions(model, (-2.0, 2.0, -2.0, 2.0))
    r = 0.15
    line = np.concatenate([np.concatenate([a + (b - a) * t[:, None] for a, b in
                                           zip(p[:-1], p[1:], strict=True)])
                           for p in found.boundary for t in [np.linspace(0, 1, 60)]])
    rng = np.random.default_rng(0)
    near = 0
    for poly in found.polygons:
        w = rng.dirichlet(np.ones(len(poly)), 3000)  # (3000, m) convex weights
        inside = np.concatenate([w @ poly, poly])  # points of the region, vertices too
        d = np.linalg.norm(inside[:, None] - line[None], axis=-1).min()
        near += int(d <= r)
    got = near_boundary(found, r)
    assert abs(got - near) <= 1  # a sample can miss a region that only grazes r
    assert 0 < got < len(found)


@pytest.mark.parametrize("extra, flag", [
    (["--lc-radius", "0"], "--lc-radius"),
    (["--lc-radius", "nan"], "--lc-radius"),
    (["--lc-radius", "-1"], "--lc-radius"),
    (["--activation", "tanh"], "--activation"),
    (["--max-regions", "3"], "--layers"),  # the message says to raise --max-regions
])
def test_bad_input_is_one_line_and_exit_2(extra: list[str], flag: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", *SMALL, "--regions", *extra, "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err.strip().removeprefix("spacewarp: error: ")
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith(flag), err
    assert not (tmp_path / "x").exists()  # refused before training


def test_api_train_with_regions_matches_the_cli(run_dir: Path) -> None:
    z = npz_of(run_dir / "training.npz")
    t = sw.train(input="spiral", points=150, layers="2,10,8,3", epochs=40, snapshots=6,
                 probe=8, lr=0.03, activation="relu", device="cpu", regions=True,
                 progress=False, live=False)
    for name, values in t.regions.items():
        np.testing.assert_allclose(values, z[name], rtol=1e-9, err_msg=name)


def test_training_png_draws_the_four_curves_of_the_file(run_dir: Path) -> None:
    z = npz_of(run_dir / "training.npz")
    fig = sw.training_figure(load_training(run_dir / "training.npz"))
    ax = fig.axes[1]  # beside the loss
    assert ax.get_yscale() == "log"
    drawn = [line.get_ydata() for line in ax.get_lines()]
    for name, y in zip(("regions_total", "regions_with_data", "local_complexity",
                        "regions_near_boundary"), drawn, strict=True):
        want = z[name].astype(np.float64)
        np.testing.assert_allclose(y, np.where(want > 0, want, np.nan), err_msg=name)
        np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), z["epoch"])


@pytest.mark.parametrize("classes", [1, 3])
def test_regions_crossed_by_the_boundary_against_each_vertex_decision(classes: int) -> None:
    """A region is crossed when its vertices' decisions (argmax, or the sign of one
    output) differ or a vertex is on a tie: against a plain loop over vertices, with
    ties placed on purpose (integer maps, integer vertices)."""
    rng = np.random.default_rng(3)
    p, m = 400, 5
    verts = rng.integers(-2, 3, (p, m, 2)).astype(np.float64)  # (P, M, 2)
    at = rng.integers(-1, 2, (p, 2, classes)).astype(np.float64)  # (P, 2, K)
    c = rng.integers(-1, 2, (p, classes)).astype(np.float64)  # (P, K)
    found = SnapshotRegions(verts, np.full(p, m), np.zeros(p, dtype=np.int64), at, c)
    expected = []
    for i in range(p):
        out = verts[i] @ at[i] + c[i]  # (M, K)
        if classes == 1:
            decision = [np.sign(o[0]) for o in out]
            crossed = len(set(decision)) > 1 or 0 in decision
        else:
            tie = any((o == o.max()).sum() > 1 for o in out)
            crossed = tie or len({int(np.argmax(o)) for o in out}) > 1
        if crossed:
            expected.append(i)
    got = crossed_by_boundary(found)
    assert 0 < len(expected) < p
    np.testing.assert_array_equal(got, expected)
