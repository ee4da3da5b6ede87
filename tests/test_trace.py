"""The trace against independently built prefix networks and model(x)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import spacewarp as sw
from spacewarp.errors import SpacewarpError
from spacewarp.inputs.points import make_points
from spacewarp.tracing.trace import trace


def seed_models(w1: torch.Tensor, w2: torch.Tensor, w3: torch.Tensor,
                nl: type[nn.Module]) -> list[nn.Sequential]:
    """The seed notebook's six separately built models, with its weight copying."""
    def lin(a: int, b: int) -> nn.Linear:
        return nn.Linear(a, b, bias=False)
    models = [
        nn.Sequential(lin(2, 3)),
        nn.Sequential(lin(2, 3), nl()),
        nn.Sequential(lin(2, 3), nl(), lin(3, 2)),
        nn.Sequential(lin(2, 3), nl(), lin(3, 3)),
        nn.Sequential(lin(2, 3), nl(), lin(3, 3), nl()),
        nn.Sequential(lin(2, 3), nl(), lin(3, 3), nl(), lin(3, 2)),
    ]
    with torch.no_grad():
        for m in models:
            m[0].weight.copy_(w1)
        models[2][2].weight.copy_(w3)
        models[5][4].weight.copy_(w3)
        for m in (models[3], models[4], models[5]):
            m[2].weight.copy_(w2)
    return [m.double() for m in models]


@pytest.mark.parametrize("activation,nl", [("tanh", nn.Tanh), ("relu", nn.ReLU)])
def test_default_trace_is_the_seeds_six_models(activation: str, nl: type[nn.Module]) -> None:
    t = sw.run(sw.Experiment(network={"activation": activation}))
    assert [s.title for s in t.stages] == [
        "Input", "Linear 2->3", nl.__name__, "Linear 3->3", nl.__name__, "Linear 3->2"]
    w1 = torch.tensor([[3.0, 0.0], [0.0, 3.0], [6.0, 6.0]])
    w2 = torch.from_numpy(np.array(t.params["2.weight"]))
    w3 = torch.from_numpy(np.array(t.params["4.weight"]))
    models = seed_models(w1, w2, w3, nl)
    x = torch.from_numpy(np.array(t.stages[0].points))
    # the seed's outputs_1 .. outputs_6 are, in order: stage 1, 2, 5 (3-layer full model's
    # output is the 2-layer full_model: Linear, NL, Linear 3->2), 3, 4, 5
    with torch.no_grad():
        outs = [m(x).numpy() for m in models]
    assert np.array_equal(outs[0], t.stages[1].points)
    assert np.array_equal(outs[1], t.stages[2].points)
    assert np.array_equal(outs[3], t.stages[3].points)
    assert np.array_equal(outs[4], t.stages[4].points)
    assert np.array_equal(outs[5], t.stages[5].points)
    # the seed's 2-layer full model: the hidden-free path Linear, NL, Linear 3->2
    assert np.allclose(outs[2], t.stages[2].points @ w3.numpy().T)


@pytest.mark.parametrize("layers,activation,bias", [
    ([2, 3, 3, 2], "tanh", False), ([2, 5, 4, 3], "gelu", True), ([1, 2, 1], "relu", True),
    ([2, 8, 8, 8, 2], "softplus", False),
])
def test_every_stage_is_its_prefix_and_last_is_model_x(layers, activation, bias) -> None:  # type: ignore[no-untyped-def]
    pts = make_points("gaussian1d" if layers[0] == 1 else "gaussian", 200, seed=3)
    model = sw.build_model(layers, activation, bias=bias, init="random", seed=5)
    t = trace(model, pts, device="cpu")
    x = torch.from_numpy(np.array(pts.x))
    with torch.no_grad():
        assert np.array_equal(t.output, model(x).numpy())
        for k in range(1, len(t.stages)):
            prefix = nn.Sequential(*list(model)[:k])
            assert np.array_equal(t.stages[k].points, prefix(x).numpy())
    assert all(s.points.dtype == np.float64 for s in t.stages)
    linear = [s for s in t.stages if s.kind == "linear"]
    shapes = [(b, a) for a, b in zip(layers[:-1], layers[1:], strict=True)]
    assert [s.weight.shape for s in linear if s.weight is not None] == shapes


def test_users_float32_model_is_not_changed_and_nested_sequentials_flatten() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Sequential(nn.Linear(2, 4), nn.ReLU()), nn.Linear(4, 2))
    pts = make_points("gaussian", 50)
    t = trace(model, pts, device="cpu")
    assert next(model.parameters()).dtype == torch.float32
    assert [s.module for s in t.stages] == ["", "0.0", "0.1", "1"]
    assert set(t.params) == {"0.0.weight", "0.0.bias", "1.weight", "1.bias"}
    ref = model.double()(torch.from_numpy(np.array(pts.x))).detach().numpy()
    assert np.allclose(t.output, ref)


def test_non_sequential_module_traced_through_its_leaves() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(2, 3)
            self.b = nn.Linear(3, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.b(torch.tanh(self.a(x)))

    torch.manual_seed(1)
    net = Net().double()
    pts = make_points("gaussian", 30)
    t = trace(net, pts, device="cpu")
    x = torch.from_numpy(np.array(pts.x))
    with torch.no_grad():
        assert np.array_equal(t.stages[1].points, net.a(x).numpy())
        assert np.array_equal(t.output, net(x).numpy())


def test_width_mismatch_and_nan_are_user_errors() -> None:
    with pytest.raises(SpacewarpError, match="takes 3-D input but the points are 2-D"):
        trace(sw.build_model([3, 2]), make_points("gaussian", 10))
    model = sw.build_model([2, 2], init="identity", weights={"0.weight": np.full((2, 2), 1e308)})
    with pytest.raises(SpacewarpError, match="NaN or inf"):
        trace(model, make_points("gaussian", 10, std=10))
    with pytest.raises(SpacewarpError, match="layers 3,2 start at width 3 but input"):
        sw.run(sw.Experiment(network={"layers": [3, 2]}))


def test_trace_is_immutable() -> None:
    t = sw.run(sw.Experiment())
    with pytest.raises(ValueError):
        t.stages[1].points[0, 0] = 1.0
    with pytest.raises(AttributeError):
        t.stages = ()  # type: ignore[misc]
