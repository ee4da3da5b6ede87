"""Jacobian measures against central finite differences and products of weight matrices."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

import spacewarp as sw
from spacewarp.errors import NetworkError
from spacewarp.measure import measures
from spacewarp.pipeline import model_for, resolve


def fd_jacobian(model: nn.Sequential, k: int, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """(n, 2) -> (n, d_k, 2) by central differences of the prefix ``model[:k]``."""
    def f(p: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model[:k](torch.from_numpy(p)).numpy()

    cols = [(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(x.shape[1])]
    return np.stack(cols, axis=2)


def test_tanh_singular_values_match_finite_differences() -> None:
    experiment, _ = resolve(sw.experiment(points=200, device="cpu"))
    model = model_for(experiment).double()
    t = sw.run(experiment)
    m = measures(t)
    x = t.stages[0].points
    for k in range(1, len(t.stages)):
        jac = fd_jacobian(model, k, x)
        ref = np.linalg.svd(jac, compute_uv=False)  # (n, min(d_k, 2))
        assert m.singular_values[k].shape == ref.shape
        assert np.allclose(m.singular_values[k], ref, rtol=1e-5, atol=1e-8)
        assert np.allclose(np.exp(m.log_area[k]), ref.prod(axis=1), rtol=1e-5, atol=1e-8)
        if jac.shape[1] == 2:  # square: fold where the orientation reverses
            assert m.folded[k] is not None
            assert np.array_equal(m.folded[k], np.linalg.det(jac) < 0)
        else:
            assert m.folded[k] is None
    assert np.allclose(m.singular_values[0], 1.0) and not m.folded[0].any()  # type: ignore[union-attr]


def test_relu_singular_values_match_finite_differences_away_from_kinks() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 5), nn.ReLU(),
                          nn.Linear(5, 3)).double()
    pts = sw.make_points("gaussian", 400, seed=1)
    t = sw.trace(model, pts, device="cpu")
    pre = [t.stages[1].points, t.stages[3].points]
    far = np.all(np.abs(np.concatenate(pre, axis=1)) > 1e-3, axis=1)  # no kink within 1e-3
    assert far.sum() > 300
    m = measures(t)
    for k in range(1, len(t.stages)):
        ref = np.linalg.svd(fd_jacobian(model, k, pts.x[far]), compute_uv=False)
        assert np.allclose(m.singular_values[k][far], ref, rtol=1e-6, atol=1e-9)


def test_linear_stages_have_the_singular_values_of_the_weight_product() -> None:
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 3), nn.Identity(), nn.Linear(3, 4), nn.Linear(4, 2)).double()
    t = sw.trace(model, sw.make_points("gaussian", 50, seed=0), device="cpu")
    m = measures(t)
    w = [layer.weight.detach().numpy() for layer in (model[0], model[2], model[3])]
    products = {1: w[0], 2: w[0], 3: w[1] @ w[0], 4: w[2] @ w[1] @ w[0]}
    for k, prod in products.items():
        ref = np.linalg.svd(prod, compute_uv=False)
        assert np.allclose(m.singular_values[k], ref[None, :], rtol=1e-12)
        assert np.all(m.rank[k] == 2)
    assert np.all(m.folded[4] == (np.linalg.det(products[4]) < 0))  # type: ignore[index]


def test_a_bottleneck_collapses_a_dimension() -> None:
    model = nn.Sequential(nn.Linear(2, 1), nn.Linear(1, 2)).double()
    t = sw.trace(model, sw.make_points("gaussian", 30, seed=0), device="cpu")
    m = measures(t)
    assert np.all(m.rank[2] == 1) and np.all(m.collapsed(2))
    assert np.all(m.folded[2] == False)  # noqa: E712  det 0 is not a fold
    assert "100% collapsed" in m.summary(2)
    assert m.summary(2).startswith("area x0 (median)")


def test_summary_line_reads_off_the_arrays() -> None:
    m = measures(sw.run(points=300, device="cpu"))
    k = len(m.rank) - 1
    folded = 100 * m.folded[k].mean()  # type: ignore[union-attr]
    median = np.exp(np.median(np.log(np.prod(m.singular_values[k], axis=1))))
    assert m.summary(k) == (f"area x{median:.2g} (median), {folded:.0f}% folded, "
                            f"{100 * m.collapsed(k).mean():.0f}% collapsed")


def test_a_trace_without_a_program_is_refused() -> None:
    t = dataclasses.replace(sw.run(points=10, device="cpu"), program=None)
    with pytest.raises(NetworkError, match="differentiable program"):
        measures(t)


def test_points_are_measured_in_chunks_with_the_same_result(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    t = sw.run(points=500, device="cpu")
    whole = measures(t)
    monkeypatch.setattr(importlib.import_module("spacewarp.measure.jacobian"), "CHUNK_BYTES",
                        8 * 2 * 15 * 64)  # 64 points a pass
    parts = measures(t)
    for k in range(len(t.stages)):
        assert np.array_equal(whole.singular_values[k], parts.singular_values[k])
        assert np.array_equal(whole.rank[k], parts.rank[k])
