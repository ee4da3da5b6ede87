"""Exact regions on a slice through a CNN: conv, BatchNorm, ReLU, max-pooling, leaky ReLU,
average pooling, flatten, dropout. Checked against the torch model's own modules (forward
hooks) run on ``origin + u @ axes``, and a point-in-polygon test written in NumPy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import spacewarp as sw
from spacewarp.cli import main
from spacewarp.errors import NetworkError


def small_cnn(seed: int = 0) -> nn.Sequential:
    """8x8 digits -> 3 classes through every piecewise-linear op of an image network."""
    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4),
        nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3), nn.LeakyReLU(0.1), nn.AvgPool2d(2),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(4, 3)).double()
    with torch.no_grad():  # running statistics that are not the identity
        net[2].running_mean.uniform_(-1.0, 1.0)
        net[2].running_var.uniform_(0.5, 2.0)
    return net.eval()


@pytest.fixture(scope="module")
def found() -> tuple[sw.Trace, sw.Regions, nn.Sequential]:
    net = small_cnn()
    trace = sw.run(model=net, input="digits", slice="0,10,20", points=400, device="cpu")
    return trace, sw.regions(trace), net


def hooked(net: nn.Module, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(every leaf module's output, rows (n, d)), and the pattern's parts, in layer order:
    the sign of each ReLU's and leaky ReLU's input, and for each max-pooling the window
    position (row-major) of the entry that wins, one-hot."""
    outs: list[np.ndarray] = []
    bits: list[np.ndarray] = []

    def hook(m: nn.Module, inp: tuple[torch.Tensor], out: torch.Tensor) -> None:
        outs.append(out.detach().numpy().reshape(len(x), -1))
        z = inp[0].detach()
        if isinstance(m, nn.ReLU | nn.LeakyReLU):
            bits.append(z.numpy().reshape(len(x), -1) > 0)
        if isinstance(m, nn.MaxPool2d):
            _, index = F.max_pool2d(z, 2, return_indices=True)  # flat h * W + w per channel
            width = z.shape[-1]
            row, col = index // width, index % width
            place = (row % 2) * 2 + col % 2  # 0..3: the window's entries, row-major
            bits.append(F.one_hot(place.reshape(len(x), -1), 4).reshape(len(x), -1)
                        .numpy().astype(bool))

    handles = [m.register_forward_hook(hook) for m in net.modules() if not list(m.children())]
    with torch.no_grad():
        net(torch.from_numpy(np.array(x)))
    for h in handles:
        h.remove()
    return outs, bits


def inside(poly: np.ndarray, pts: np.ndarray, margin: float) -> np.ndarray:
    """(n,) points at least ``margin`` inside a counter-clockwise convex polygon."""
    edges = np.roll(poly, -1, axis=0) - poly  # (m, 2)
    normal = np.stack([edges[:, 1], -edges[:, 0]], 1) / np.linalg.norm(edges, axis=1)[:, None]
    depth = -((pts[:, None, :] - poly[None]) * normal[None]).sum(2)  # (n, m), > 0 inside
    return np.all(depth > margin, axis=1)


def test_regions_tile_the_slice_box_each_with_one_pattern(found) -> None:
    trace, regions, net = found
    x0, x1, y0, y1 = regions.bounds
    np.testing.assert_allclose(regions.areas.sum(), (x1 - x0) * (y1 - y0), rtol=1e-9)
    assert len(regions) > 50 and np.all(regions.areas > 0)
    side = (np.arange(150) + 0.5) / 150  # cell centres: none on the box's edge
    gx, gy = np.meshgrid(x0 + side * (x1 - x0), y0 + side * (y1 - y0))
    probes = np.stack([gx.ravel(), gy.ravel()], 1)
    torch_bits = np.concatenate(hooked(net, trace.frame.inputs(probes))[1], axis=1)
    owner = np.full(len(probes), -1)
    margin = 1e-6 * (x1 - x0)
    for r, poly in enumerate(regions.polygons):
        hit = inside(poly, probes, margin)
        assert np.all(owner[hit] == -1)  # the regions do not overlap
        owner[hit] = r
        np.testing.assert_array_equal(torch_bits[hit], np.broadcast_to(
            regions.patterns[r], (int(hit.sum()), regions.patterns.shape[1])))
    assert (owner >= 0).mean() > 0.99  # all but the probes on an edge


def test_each_regions_map_reproduces_the_network_at_its_vertices(found) -> None:
    trace, regions, net = found
    verts = np.concatenate(regions.polygons)  # (V, 2)
    which = np.repeat(np.arange(len(regions)), regions.count)
    want, _ = hooked(net, trace.frame.inputs(verts))
    assert len(want) == len(regions.maps) - 1  # every module a stage, max-pool included
    for k, ref in enumerate(want, start=1):
        a, c = regions.stage_map(k)
        got = np.einsum("vkd,vd->vk", a[which], verts) + c[which]
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9 * max(1, np.abs(ref).max()))


@pytest.mark.parametrize("batch", ["any batch", "fixed batch"])
def test_an_exported_program_has_the_regions_of_its_module(batch: str) -> None:
    # torch.export names its operations by aten (unflatten.int, conv2d.default,
    # max_pool2d.default, flatten.using_ints): each is read as the module it came from.
    # (BatchNorm2d is left out: torch.export writes it as aten.batch_norm, which exact
    # regions refuse by name.)
    net = nn.Sequential(*[m for m in small_cnn() if not isinstance(m, nn.BatchNorm2d)]).eval()
    shapes = ({0: torch.export.Dim("batch")},) if batch == "any batch" else None
    program = torch.export.export(net, (torch.zeros(4, 64, dtype=torch.float64),),
                                  dynamic_shapes=shapes)
    slice_of = {"input": "digits", "slice": "0,10,20", "points": 400, "device": "cpu"}
    trace = sw.run(model=program.module(), **slice_of)
    regions = sw.regions(trace)
    x0, x1, y0, y1 = regions.bounds
    np.testing.assert_allclose(regions.areas.sum(), (x1 - x0) * (y1 - y0), rtol=1e-9)
    centres = np.array([poly.mean(axis=0) for poly in regions.polygons])  # inside: convex
    torch_bits = np.concatenate(hooked(net, trace.frame.inputs(centres))[1], axis=1)
    np.testing.assert_array_equal(regions.patterns, torch_bits)  # the module's own patterns
    assert len(regions) == len(sw.regions(sw.run(model=net, **slice_of)))


def test_the_decision_boundary_is_drawn_on_the_slice(found) -> None:
    trace, regions, net = found
    assert regions.boundary
    pts = np.concatenate(regions.boundary)
    logits = hooked(net, trace.frame.inputs(pts))[0][-1]
    top2 = np.sort(logits, axis=1)[:, -2:]
    np.testing.assert_allclose(top2[:, 0], top2[:, 1], atol=1e-8 * np.abs(logits).max())


@pytest.mark.parametrize("middle, name", [
    (nn.LayerNorm(16), "layernorm"), (nn.Softmax(dim=1), "softmax"), (nn.Tanh(), "tanh")])
def test_what_regions_cannot_pass_is_one_line_naming_it_and_its_stage(middle, name) -> None:
    net = nn.Sequential(nn.Linear(64, 16), middle, nn.Linear(16, 3)).double().eval()
    trace = sw.run(model=net, input="digits", slice="0,10,20", points=100, device="cpu")
    with pytest.raises(NetworkError) as err:
        sw.regions(trace)
    text = str(err.value)
    assert "\n" not in text and name in text and repr(trace.stages[2].title) in text, text


def test_a_final_softmax_keeps_the_argmax_and_max_pool_padding_is_refused() -> None:
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(64, 8), nn.ReLU(), nn.Linear(8, 3), nn.Softmax(dim=1))
    trace = sw.run(model=net.double().eval(), input="digits", slice="0,10,20", points=100,
                   device="cpu")
    regions = sw.regions(trace)
    assert regions.titles[-1] == "Linear 8->3"  # the regions end at the logits
    centres = np.stack([p.mean(0) for p in regions.polygons])  # (R, 2)
    a, c = regions.affine
    with torch.no_grad():
        probs = net(torch.from_numpy(trace.frame.inputs(centres))).numpy()
    np.testing.assert_array_equal(np.einsum("rkd,rd->rk", a, centres).__add__(c).argmax(1),
                                  probs.argmax(1))
    padded = nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.MaxPool2d(2, padding=1),
                           nn.Flatten(), nn.Linear(25, 2)).double().eval()
    trace = sw.run(model=padded, input="digits", slice="0,10,20", points=100, device="cpu")
    with pytest.raises(NetworkError, match="MaxPool2d.*padding"):
        sw.regions(trace)


def test_regions_of_a_slice_from_the_command_line(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["regions", "--input", "digits", "--slice", "0,10,20", "--layers", "64,8,3",
                 "--activation", "relu", "--out", str(out)]) == 0
    assert (out / "regions.png").exists() and "regions" in capsys.readouterr().out
    with np.load(out / "regions.npz") as saved:
        assert saved.files
    still = tmp_path / "still"
    assert main(["render", "--regions", "--input", "digits", "--slice", "0,10,20", "--layers",
                 "64,8,3", "--activation", "relu", "--out", str(still)]) == 0
    assert (still / "stages.png").exists()


def pool_winners(net: nn.Module, x: np.ndarray) -> list[np.ndarray]:
    """For every MaxPool2d, which entry of each window wins (one-hot over the window's
    entries, row-major), by torch's own ``return_indices`` on the hooked input."""
    bits: list[np.ndarray] = []

    def hook(m: nn.MaxPool2d, inp: tuple[torch.Tensor], out: torch.Tensor) -> None:
        k, s = int(m.kernel_size), int(m.stride)  # type: ignore[arg-type]
        z = inp[0].detach()
        _, index = F.max_pool2d(z, k, s, return_indices=True)  # (n, C, h, w) flat H*W
        h, w = index.shape[-2:]
        rows = torch.arange(h)[:, None] * s  # each window's top-left corner
        cols = torch.arange(w)[None, :] * s
        place = (index // z.shape[-1] - rows) * k + (index % z.shape[-1] - cols)
        bits.append(F.one_hot(place.reshape(len(x), -1), k * k).reshape(len(x), -1)
                    .numpy().astype(bool))

    handles = [m.register_forward_hook(hook) for m in net.modules()
               if isinstance(m, nn.MaxPool2d)]
    with torch.no_grad():
        net(torch.from_numpy(np.array(x)))
    for h in handles:
        h.remove()
    return bits


def test_max_pool_windows_split_as_torch_picks_its_winners() -> None:
    """Polygons straddle many windows at once: a pooling straight after a convolution
    (every entry affine, 48 windows of 4) and an overlapping 2x2 pooling of stride 1 after
    a ReLU. Each probe lies in one polygon whose winners are torch's."""
    torch.manual_seed(3)
    net = nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 3, 3, padding=1),
                        nn.MaxPool2d(2), nn.ReLU(), nn.MaxPool2d(2, stride=1), nn.Flatten(),
                        nn.Linear(27, 3)).double().eval()
    trace = sw.run(model=net, input="digits", slice="0,10,20", points=100, device="cpu")
    regions = sw.regions(trace)  # the slice's box
    x0, x1, y0, y1 = regions.bounds
    np.testing.assert_allclose(regions.areas.sum(), (x1 - x0) * (y1 - y0), rtol=1e-9)
    side = (np.arange(150) + 0.5) / 150
    gx, gy = np.meshgrid(x0 + (x1 - x0) * side, y0 + (y1 - y0) * side)
    probes = np.stack([gx.ravel(), gy.ravel()], 1)
    first, second = pool_winners(net, trace.frame.inputs(probes))
    assert first.shape[1] == 48 * 4 and second.shape[1] == 27 * 4
    winners = first.reshape(len(probes), 48, 4).argmax(2)  # (n, 48)
    changing = (np.ptp(winners, axis=0) > 0).sum()
    assert changing > 20, changing  # many windows change winner in the box
    owner = np.full(len(probes), -1)
    start = regions.patterns.shape[1] - second.shape[1] - 3 * 4 * 4 - first.shape[1]
    for r, poly in enumerate(regions.polygons):
        hit = inside(poly, probes, 1e-6 * (x1 - x0))
        assert np.all(owner[hit] == -1)
        owner[hit] = r
        got = regions.patterns[r]
        assert np.all(first[hit] == got[start:start + first.shape[1]])
        assert np.all(second[hit] == got[-second.shape[1]:])
    assert (owner >= 0).mean() > 0.99
    verts = np.concatenate(regions.polygons)
    which = np.repeat(np.arange(len(regions)), regions.count)
    a, c = regions.affine
    with torch.no_grad():
        want = net(torch.from_numpy(trace.frame.inputs(verts))).numpy()
    np.testing.assert_allclose(np.einsum("vkd,vd->vk", a[which], verts) + c[which], want,
                               rtol=1e-9, atol=1e-9 * np.abs(want).max())


def test_a_convolution_after_a_relu_is_corrected_from_its_parent_row(monkeypatch) -> None:
    """A convolution small enough for a matrix, straight after a ReLU: its maps are the
    parent row's product plus a correction per neuron that flipped (``then_linear``'s
    sparse path, spied on here), and every region's map still equals the torch modules'
    outputs at its vertices, stage by stage."""
    from spacewarp.measure.graph_steps import Affine, graph_steps
    from spacewarp.measure.stage_map import StageMap

    torch.manual_seed(3)
    net = nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(64, 3)).double().eval()
    trace = sw.run(model=net, input="digits", slice="0,10,20", points=100, device="cpu")
    steps = graph_steps(trace)
    assert isinstance(steps[1], Affine) and isinstance(steps[3], Affine)  # both convs
    corrected: list[int] = []
    sparse = StageMap._sparse_linear

    def spy(self: StageMap, *args: object) -> StageMap:
        corrected.append(len(self))
        return sparse(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(StageMap, "_sparse_linear", spy)
    regions = sw.regions(trace, (6.0, 12.0, 6.0, 12.0))
    assert corrected and len(regions) > 20
    verts = np.concatenate(regions.polygons)  # (V, 2)
    which = np.repeat(np.arange(len(regions)), regions.count)
    want, _ = hooked(net, trace.frame.inputs(verts))
    for k, ref in enumerate(want, start=1):
        a, c = regions.stage_map(k)
        got = np.einsum("vkd,vd->vk", a[which], verts) + c[which]
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9 * max(1, np.abs(ref).max()))


def test_an_affine_operation_becomes_a_matrix_only_when_small() -> None:
    """``as_matrix``: a small operation's matrix equals the operation on other rows; one
    whose unit rows would be too many numbers (a global sum of a wide input: 3,000 x 3,000
    unit rows for a 3,000 x 1 matrix) stays an operation run on rows."""
    from spacewarp.measure.graph_steps import DENSE_VALUES, Affine, AffineOp, apply, as_matrix

    rng = np.random.default_rng(0)
    mat, shift = rng.standard_normal((5, 7)), rng.standard_normal(5)
    small = AffineOp(0, lambda x: x @ mat.T + shift)
    x = rng.standard_normal((20, 7))
    dense = as_matrix(small, [x], small.run(x))
    assert isinstance(dense, Affine)
    other = rng.standard_normal((9, 7))  # rows it was not read from
    np.testing.assert_allclose(apply(dense, [other]), other @ mat.T + shift, rtol=1e-12)
    wide = int(np.sqrt(DENSE_VALUES)) + 1
    total = AffineOp(0, lambda x: x.sum(axis=1, keepdims=True))
    y = rng.standard_normal((4, wide))
    assert as_matrix(total, [y], total.run(y)) is total
