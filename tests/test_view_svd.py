"""SVD sub-steps of a linear layer: they compose to the layer exactly, rotations turn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import spacewarp as sw
from spacewarp.cli import main
from spacewarp.view.morph import RotationMorph
from spacewarp.view.paths import basis_arrows, morphs
from spacewarp.view.svd import decompose


@pytest.mark.parametrize("shape", [(2, 2), (3, 2), (2, 3), (3, 3), (1, 2), (4, 3)])
def test_decomposition_is_the_matrix_with_orthogonal_factors(shape: tuple[int, int]) -> None:
    w = np.random.default_rng(sum(shape)).normal(size=shape)
    d = decompose(w)
    assert np.allclose(d.u @ d.sigma @ d.vt, w, atol=1e-12)
    assert np.allclose(d.u @ d.u.T, np.eye(shape[0]))
    assert np.allclose(d.vt @ d.vt.T, np.eye(shape[1]))
    assert np.allclose(d.s, np.linalg.svd(w, compute_uv=False))
    if shape[0] != shape[1]:  # a free column: both factors can be rotations
        assert np.linalg.det(d.u) > 0 and np.linalg.det(d.vt) > 0


def biased_net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2)).double()


def test_sub_steps_compose_to_the_layer_exactly() -> None:
    model = biased_net()
    t = sw.trace(model, sw.make_points("grid", 400, seed=0), device="cpu")
    path = morphs(t, split_bias="svd")
    kinds = [m.kind for m in path]
    assert kinds == ["rotate", "scale", "rotate", "bias", "tanh",
                     "rotate", "scale", "rotate", "bias"]
    assert "rotate by V\u1d40" in path[0].title and "V\u1d40 = [[" in path[0].title
    assert "lift to 3-D" in path[1].title and "drop to 2-D" in path[6].title
    assert np.array_equal(path[0].start, t.stages[0].points)
    with torch.no_grad():
        first = model[0](torch.tensor(t.stages[0].points)).numpy()
    assert np.allclose(path[3].end, first, atol=1e-12)  # V^T, S, U, + b = W x + b
    w, b = model[0].weight.detach().numpy(), model[0].bias.detach().numpy()
    assert np.allclose(path[2].end, t.stages[0].points @ w.T, atol=1e-12)  # before + b
    assert np.allclose(path[3].end - path[2].end, b[None, :], atol=1e-12)
    assert np.allclose(path[-1].end, t.output, atol=1e-12)


def test_rotations_turn_along_the_arc_with_the_arrows() -> None:
    t = sw.run(input="grid", device="cpu")  # the seed's W1 = [[3, 0], [0, 3], [6, 6]]
    path = morphs(t, split_bias="svd")
    arrows = basis_arrows(t, split_bias="svd")
    turn = path[0]
    assert isinstance(turn, RotationMorph)
    r0 = np.linalg.norm(turn.start, axis=1)
    for s in (0.25, 0.5, 0.75):
        assert np.allclose(np.linalg.norm(turn.at(s), axis=1), r0)  # no shrinking chord
    arrow = arrows[0]
    assert isinstance(arrow, RotationMorph)
    assert np.allclose(arrow.generator, turn.generator)  # type: ignore[arg-type]
    third = path[2]  # rotate by U in 3-D
    assert isinstance(third, RotationMorph)
    mid = third.at(0.5)
    assert np.allclose(np.linalg.norm(mid, axis=1), np.linalg.norm(third.start, axis=1))


def test_animate_svd_steps(tmp_path: Path) -> None:
    out = tmp_path / "svd.gif"
    assert main(["animate", "--svd-steps", "--points", "200", "--device", "cpu",
                 "--frames-per-stage", "3", "--hold", "0", "--size", "160x120",
                 "--out", str(out)]) == 0
    assert out.stat().st_size > 1000
