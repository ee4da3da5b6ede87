"""Network building against the seed's printed matrices and PyTorch's own initialisation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from spacewarp.errors import SpacewarpError
from spacewarp.model.build import ACTIVATIONS, RECIPES, build_model, parse_widths

# The seed notebook prints this as "Weights of the first linear layer".
SEED_W1 = np.array([[3.0, 0.0], [0.0, 3.0], [6.0, 6.0]])


def test_manual_first_layer_is_the_seeds() -> None:
    model = build_model([2, 3, 3, 2], "tanh", init="manual", scale=3)
    assert np.array_equal(model[0].weight.detach().numpy(), SEED_W1)
    # the seed's own formula for its other hidden widths
    s = 2.5
    for h, extra in ((2, None), (4, torch.ones(2, 2))):
        ref = s * torch.eye(2) if extra is None else s * torch.cat((torch.eye(2), 2 * extra), 0)
        got = build_model([2, h, 2], init="manual", scale=s)[0].weight.detach()
        assert torch.equal(got, ref.double())


def test_layer_structure_follows_the_seed() -> None:
    model = build_model([2, 3, 3, 2], "tanh")
    kinds = [type(m) for m in model]
    assert kinds == [nn.Linear, nn.Tanh, nn.Linear, nn.Tanh, nn.Linear]
    assert all(m.bias is None for m in model if isinstance(m, nn.Linear))
    assert all(p.dtype == torch.float64 for p in model.parameters())
    assert build_model([2, 3, 2], bias=True)[0].bias is not None


def test_random_is_pytorchs_default_init_under_the_seed() -> None:
    model = build_model([2, 3, 3, 2], init="random", seed=7)
    torch.manual_seed(7)
    ref = [nn.Linear(2, 3, bias=False), nn.Linear(3, 3, bias=False), nn.Linear(3, 2, bias=False)]
    for got, want in zip(model[::2], ref, strict=True):
        assert torch.equal(got.weight.detach(), want.weight.detach().double())
    again = build_model([2, 3, 3, 2], init="random", seed=7)
    assert torch.equal(again[2].weight, model[2].weight)
    state = torch.random.get_rng_state()
    build_model([2, 3, 2], init="random", seed=1)
    assert torch.equal(state, torch.random.get_rng_state())  # the global RNG is untouched


def test_identity_and_orthogonal() -> None:
    ident = build_model([2, 3, 2], init="identity", bias=True)
    assert np.array_equal(ident[0].weight.detach().numpy(), np.eye(3, 2))
    assert np.array_equal(ident[0].bias.detach().numpy(), np.zeros(3))
    ortho = build_model([3, 3, 2], init="orthogonal", seed=2)
    w = ortho[0].weight.detach().numpy()
    assert np.allclose(w @ w.T, np.eye(3))
    assert {"manual", "random", "identity", "orthogonal"} <= set(RECIPES.names())


def test_activation_registry() -> None:
    expect = {"tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "sigmoid": nn.Sigmoid,
              "elu": nn.ELU, "gelu": nn.GELU, "silu": nn.SiLU, "softplus": nn.Softplus,
              "identity": nn.Identity}
    for name, cls in expect.items():
        assert isinstance(build_model([2, 3, 2], name)[1], cls)
    with pytest.raises(SpacewarpError, match="unknown activation 'swish'.*tanh"):
        ACTIVATIONS["swish"]


def test_explicit_weights() -> None:
    w = np.arange(6.0).reshape(3, 2)
    model = build_model([2, 3, 2], weights={"0.weight": w})
    assert np.array_equal(model[0].weight.detach().numpy(), w)
    with pytest.raises(SpacewarpError, match=r"shape \(3, 2\)"):
        build_model([2, 3, 2], weights={"0.weight": np.ones((2, 2))})
    with pytest.raises(SpacewarpError, match="NaN or inf"):
        build_model([2, 3, 2], weights={"0.weight": np.full((3, 2), np.nan)})
    with pytest.raises(SpacewarpError, match="no parameter '0.bias'"):
        build_model([2, 3, 2], weights={"0.bias": np.ones(3)})


@pytest.mark.parametrize("text,match", [
    ("2,a,2", "do not parse"), ("2", "at least"), ("2,0,2", "between 1"), ("", "do not parse"),
    ("2," + "3," * 70 + "2", "at most"),
])
def test_widths_errors(text: str, match: str) -> None:
    with pytest.raises(SpacewarpError, match=match):
        parse_widths(text)


def test_widths_parse() -> None:
    assert parse_widths("2, 3,3 ,2") == [2, 3, 3, 2]
