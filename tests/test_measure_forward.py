"""Jacobian columns carried forward in NumPy against torch.func's forward-mode JVPs and
central finite differences of the model."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from torch import nn

import spacewarp as sw
from spacewarp.measure.forward import forward_columns
from spacewarp.measure.jacobian import jacobians

ACTS = [nn.Tanh, nn.ReLU, lambda: nn.LeakyReLU(0.2), nn.Sigmoid, nn.ELU, nn.Softplus,
        nn.SiLU, nn.Identity]


def net(act: Callable[[], nn.Module], seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 4), act(), nn.Linear(4, 3), act(), nn.Linear(3, 2))


@pytest.mark.parametrize("act", ACTS, ids=lambda a: type(a()).__name__)
def test_carried_columns_are_the_jacobians(act: Callable[[], nn.Module]) -> None:
    model = net(act)
    t = sw.trace(model, sw.make_points("gaussian", 300, seed=1), device="cpu")
    x = t.stages[0].points
    carried = forward_columns(t, x, slice(0, len(x)))
    assert carried is not None
    reference = jacobians(t, x)  # torch.func: (n, d_k, d_0) per stage
    for k, cols in enumerate(carried, start=1):
        assert np.allclose(np.moveaxis(cols, 0, 2), reference[k], rtol=1e-10, atol=1e-12)
    # and central differences of the model itself, at the last stage, away from kinks
    h, m = 1e-6, model.double()
    with torch.no_grad():
        f = lambda p: m(torch.from_numpy(p)).numpy()  # noqa: E731
        fd = np.stack([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(2)], axis=2)
    smooth = np.abs(fd - np.moveaxis(carried[-1], 0, 2)).max(axis=(1, 2)) < 1e-5
    assert smooth.mean() > 0.9  # kinks of ReLU-like activations touch a few points at most


def test_a_residual_network_is_not_carried() -> None:
    class Residual(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(2, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + torch.tanh(self.a(x))

    t = sw.trace(Residual(), sw.make_points("gaussian", 50), device="cpu")
    assert forward_columns(t, t.stages[0].points, slice(0, 50)) is None
    m = sw.measures(t)  # measured through torch.func instead
    assert m.singular_values[-1].shape == (50, 2)


def test_rows_of_a_chunk_use_their_own_inputs() -> None:
    t = sw.trace(net(nn.Tanh), sw.make_points("gaussian", 100, seed=2), device="cpu")
    x = t.stages[0].points
    whole = forward_columns(t, x, slice(0, 100))
    part = forward_columns(t, x[40:70], slice(40, 70))
    assert whole is not None and part is not None
    for a, b in zip(whole, part, strict=True):
        assert np.array_equal(a[:, 40:70], b)
