"""Every snapshot of a training traced once (``training.snapshots.trace_snapshots``),
against each snapshot's own torch model run here: the weights it keeps, the probe grid's
output and the data after every stage."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import spacewarp as sw
from spacewarp.training.snapshots import trace_snapshots


@pytest.fixture(scope="module")
def training() -> sw.Training:
    return sw.train(input="moons", points=150, layers="2,4,2,2", activation="tanh", epochs=6,
                    snapshots=4, probe=5, lr=0.05, device="cpu", progress=False)


def test_each_snapshot_keeps_its_own_weights_output_and_stages(training: sw.Training) -> None:
    traced = trace_snapshots(training)
    assert traced.count == len(training.snapshots) and traced.usable == traced.count
    probe = torch.from_numpy(np.array(training.probe.x))
    data = torch.from_numpy(np.array(training.points.x))
    for s in range(traced.count):
        model = training.model(s).double().eval()
        for k, stage in enumerate(traced.last.stages):
            weight, bias = traced.params[s][k]
            if stage.module is None or weight is None:
                continue
            layer = model.get_submodule(stage.module)
            np.testing.assert_array_equal(weight, layer.weight.detach().numpy())
            np.testing.assert_array_equal(bias, layer.bias.detach().numpy())
            assert not weight.flags.writeable and not bias.flags.writeable
        with torch.no_grad():
            np.testing.assert_allclose(traced.output[s], model(probe).numpy(), rtol=1e-12,
                                       atol=1e-12)
            shown = data
            for k, module in enumerate(model, start=1):  # a Sequential: stage k, module k-1
                shown = module(shown)
                np.testing.assert_allclose(traced.shown(k)[s], shown.numpy(), rtol=1e-12,
                                           atol=1e-12)
