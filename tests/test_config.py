"""The experiment config: the seed's defaults, validation, TOML round trips, flag overlays."""

from __future__ import annotations

import pytest

from spacewarp.config.experiment import (
    Experiment,
    load_experiment,
    merged,
    nest,
    to_toml,
    validated,
)
from spacewarp.errors import SpacewarpError
from spacewarp.pipeline import resolve


def test_defaults_are_the_seeds() -> None:
    resolved, pts = resolve(Experiment())
    assert resolved.input.name == "gaussian" and pts.n == 1000 and pts.dim == 2
    net = resolved.network
    assert (net.layers, net.activation, net.bias, net.init, net.scale) == (
        [2, 3, 3, 2], "tanh", False, "manual", 3.0)
    one_d, _ = resolve(validated({"input": {"name": "line"}}))
    # the 1-D default is manual too (S * [1 ; -1]): the seed's random 1-D layer barely bends
    assert (one_d.network.layers, one_d.network.init) == ([1, 2, 1], "manual")
    assert one_d.input.points == 50


def test_toml_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    resolved, _ = resolve(validated({"input": {"name": "spiral", "params": {"noise": 0.1}},
                                     "network": {"layers": "2,5,2", "activation": "relu",
                                                 "weights": {"0.weight": [[1.0, 2.0]] * 5}}}))
    path = tmp_path / "e.toml"
    path.write_text(to_toml(resolved))
    assert load_experiment(path) == resolved


@pytest.mark.parametrize("data,match,field", [
    ({"colour": "red"}, "unknown config key 'colour'", "colour"),
    ({"network": {"depth": 3}}, "unknown config key 'network.depth'", "network.depth"),
    ({"network": {"activation": "swish"}}, "unknown activation 'swish'", "network.activation"),
    ({"network": {"layers": "2,x"}}, "do not parse", "network.layers"),
    ({"network": {"scale": float("nan")}}, "finite", "network.scale"),
    ({"input": {"name": "cube"}}, "unknown input 'cube'", "input.name"),
    ({"input": {"points": 10**10}}, "between 1 and 10,000,000", "input.points"),
    ({"style": {"theme": "blue"}}, "unknown theme 'blue'", "style.theme"),
])
def test_bad_config_is_one_clear_error(data: dict, match: str, field: str) -> None:
    with pytest.raises(SpacewarpError, match=match) as err:
        validated(data)
    assert "\n" not in str(err.value)
    assert err.value.field == field


def test_bad_toml_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.toml"
    bad.write_text("[network\nlayers = 1")
    with pytest.raises(SpacewarpError, match="not valid TOML"):
        load_experiment(bad)
    with pytest.raises(SpacewarpError, match="does not exist"):
        load_experiment(tmp_path / "none.toml")


def test_flags_lay_over_the_file() -> None:
    base = {"input": {"name": "grid", "points": 400}, "network": {"activation": "relu"}}
    exp = validated(merged(base, nest({"activation": "tanh", "seed": 4, "layers": None})))
    assert (exp.input.name, exp.input.points, exp.network.activation, exp.seed) == (
        "grid", 400, "tanh", 4)
    assert nest({"data": "p.csv"}) == {"input": {"path": "p.csv", "name": "file"}}
    with pytest.raises(SpacewarpError, match="unknown option 'colour'"):
        nest({"colour": 1})
