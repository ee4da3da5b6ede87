"""A module used twice in an nn.Sequential (one ReLU object) is two stages, as it runs."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

import spacewarp as sw


def test_a_shared_activation_is_a_stage_each_time_it_runs() -> None:
    torch.manual_seed(0)
    act = nn.ReLU()
    model = nn.Sequential(nn.Linear(2, 3), act, nn.Linear(3, 2), act)
    t = sw.trace(model, sw.make_points("gaussian", 100), device="cpu")
    assert [s.kind for s in t.stages] == ["input", "linear", "relu", "linear", "relu"]
    with torch.no_grad():
        want = model.double()(torch.from_numpy(t.stages[0].points)).numpy()
    assert np.allclose(t.stages[-1].points, want, atol=1e-12)
