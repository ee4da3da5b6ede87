"""The explorer's pure logic: state links, limits, and each control's validation."""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

import numpy as np
import pytest

from spacewarp.app import edits, limits, state
from spacewarp.app.fields import control_for
from spacewarp.app.limits import check_limits
from spacewarp.config.experiment import Experiment, validated
from spacewarp.errors import SpacewarpError
from spacewarp.pipeline import resolve, run


def packed(data: object) -> str:
    raw = zlib.compress(json.dumps(data).encode())
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


EXPERIMENTS = [
    Experiment(),
    validated({"input": {"name": "spiral", "points": 999, "color_by": "label",
                         "params": {"noise": 0.05, "classes": 4}},
               "network": {"layers": [2, 5, 7, 2], "activation": "relu", "bias": True,
                           "init": "orthogonal", "scale": 0.1 + 0.2},
               "style": {"theme": "light", "cmap": "plasma"}, "seed": 12345}),
    validated({"network": {"weights": {"0.weight": [[1 / 3, -2e-17], [np.pi, 1e300],
                                                    [-0.0, 5e-324]]}}}),
]


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_state_link_round_trips_exactly(experiment: Experiment) -> None:
    text = state.encode(experiment)
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    back = state.decode(text)
    assert back == experiment
    assert back.model_dump() == experiment.model_dump()  # floats bit for bit
    assert state.from_query({"s": [state.query(experiment)[3:].encode()]}) == experiment


def test_state_link_is_compact_and_restores_a_resolved_experiment() -> None:
    resolved, _ = resolve(Experiment())
    assert len(state.encode(Experiment())) < 20
    assert len(state.encode(resolved)) < 120
    assert state.decode(state.encode(resolved)) == resolved
    assert state.from_query({}) is None


@pytest.mark.parametrize("text, words", [
    ("not base64 !!!", "damaged"),
    (base64.urlsafe_b64encode(b"plain").decode(), "damaged"),
    (packed([1, 2]), "does not hold an experiment"),
    (packed({"input": {"name": "file", "path": "/etc/passwd"}}), "cannot name a file"),
    (packed({"input": {"path": "/etc/passwd"}}), "cannot name a file"),
    ("A" * (state.MAX_LINK_CHARS + 1), "at most"),
    (packed({"a": [[[[[[[[[[1]]]]]]]]]]}), "nests deeper"),
    ("eJ" + "A" * 100, "damaged"),
])
def test_bad_state_links_are_refused_with_a_message(text: str, words: str) -> None:
    with pytest.raises(state.LinkError, match=words) as err:
        state.decode(text)
    assert control_for(err.value, default="link") == "link"


def test_a_deeply_nested_link_is_refused_not_a_recursion_error() -> None:
    deep = "[" * 100_000 + "]" * 100_000  # RecursionError in json.loads, unless caught
    for raw in (deep, '{"input": ' + deep + "}"):
        text = base64.urlsafe_b64encode(zlib.compress(raw.encode())).decode()
        with pytest.raises(state.LinkError, match="damaged|nests deeper"):
            state.decode(text)


@pytest.mark.parametrize("data, control, words", [
    ({"network": {"activation": "os.system('rm -rf /')"}}, "activation", "unknown activation"),
    ({"evil": 1}, "link", "unknown config key"),
    ({"seed": "x"}, "seed", "seed"),
    ({"network": {"layers": [2, "x", 2]}}, "widths", "width"),
])
def test_links_with_bad_values_name_their_control(data: dict, control: str, words: str) -> None:
    with pytest.raises(SpacewarpError, match=words) as err:
        state.decode(packed(data))
    assert control_for(err.value, default="link") == control


def test_a_zip_bomb_link_is_refused() -> None:
    bomb = base64.urlsafe_b64encode(zlib.compress(b" " * 10_000_000)).decode()
    with pytest.raises(state.LinkError, match="unpacks to more than"):
        state.decode(bomb)


def test_links_leave_uploaded_data_out() -> None:
    exp = validated({"input": {"name": "file", "path": "/tmp/x.npy"}})
    shared = state.decode(state.query(exp)[3:])
    assert shared.input.name == "gaussian" and shared.input.path is None


@pytest.mark.parametrize("data, control, words", [
    ({"input": {"points": 200_001}}, "points", "200,000"),
    ({"network": {"layers": [2, 129, 2]}}, "widths", "at most 128"),
    ({"network": {"layers": [2] + [3] * 16 + [2]}}, "widths", "at most 16 layers"),
    ({"input": {"points": 200_000}, "network": {"layers": [2] + [3] * 14 + [2]}}, "points",
     "too much for the browser"),
    ({"network": {"weights": {"0.weight": [[1e4, 0], [0, 1], [1, 1]]}}}, "weights", "between"),
    ({"input": {"name": "grid", "params": {"step": 1e-4}}}, "param:step", "at least 0.0224"),
    ({"input": {"name": "grid", "params": {"step": 1e-200}}}, "param:step", "at least"),
    ({"input": {"name": "spiral", "params": {"classes": 3e5}}}, "param:classes", "1 to 100"),
    ({"input": {"name": "spiral", "params": {"classes": float("nan")}}}, "param:classes",
     "finite"),
    ({"seed": -1}, "seed", "between 0 and 4,294,967,295"),
    ({"seed": 2**32}, "seed", "between 0 and 4,294,967,295"),
    ({"input": {"points": 150_000}, "network": {"layers": [2, 64, 64, 64, 2]}}, "points",
     "MB per session"),
])
def test_limits_name_the_control(data: dict, control: str, words: str) -> None:
    with pytest.raises(SpacewarpError, match=words) as err:
        check_limits(validated(data))
    assert control_for(err.value) == control


def test_the_limits_are_the_stated_ones() -> None:
    assert (limits.MAX_POINTS, limits.MAX_WIDTH, limits.MAX_DEPTH) == (200_000, 128, 16)
    for text in ("200,000 points", "width 128", "depth 16"):
        assert text in limits.LIMITS_TEXT
    check_limits(validated({"input": {"points": 200_000}, "network": {"layers": [2, 64, 2]}}))


@pytest.fixture(scope="module")
def base() -> Experiment:
    return resolve(Experiment())[0]


@pytest.mark.parametrize("edit, control, words", [
    (lambda e: edits.set_widths(e, "2,x"), "widths", "do not parse"),
    (lambda e: edits.set_widths(e, "2,200,2"), "widths", "at most 128"),
    (lambda e: edits.set_widths(e, ""), "widths", "do not parse"),
    (lambda e: edits.set_points(e, "1e9"), "points", "200,000"),
    (lambda e: edits.set_points(e, "12.5"), "points", "whole number"),
    (lambda e: edits.set_points(e, "__import__('os')"), "points", "plain number"),
    (lambda e: edits.set_param(e, "std", "nan"), "param:std", "plain number"),
    (lambda e: edits.set_param(e, "nope", "1"), "param:nope", "no parameter"),
    (lambda e: edits.set_seed(e, "-1"), "seed", "between 0 and"),
    (lambda e: edits.set_scale(e, "inf"), "scale", "plain number"),
    (lambda e: edits.set_choice(e, "activation", "eval"), "activation", "unknown activation"),
    (lambda e: edits.set_choice(e, "color_by", "label"), "color_by", None),
    (edits.remove_layer, None, None),
])
def test_each_control_refuses_bad_values_with_its_own_message(
        base: Experiment, edit, control: str | None, words: str | None) -> None:
    if control is None:  # removing a hidden layer twice: the third time is refused
        one = edit(edit(base))
        with pytest.raises(SpacewarpError, match="no hidden layer"):
            edit(one)
        return
    if words is None:  # valid for the config, refused when the points are made: the
        from spacewarp.app.session import Explorer  # session shows it beside the control

        session = Explorer(base)
        session.change(control, "label")
        assert "label" in session.controls.error_text(control)
        assert session.experiment.input.color_by == base.input.color_by
        return
    with pytest.raises(SpacewarpError, match=words) as err:
        edit(base)
    assert control_for(err.value) == control


def test_a_typed_weight_changes_one_entry_and_keeps_the_rest(base: Experiment) -> None:
    params = run(base).params
    new = edits.set_weight(base, params, "2.weight", 0, 1, " 0.5 ")
    expected = np.array(params["2.weight"])
    expected[0, 1] = 0.5
    assert np.array_equal(np.array(new.network.weights["2.weight"]), expected)
    assert np.array_equal(run(new).params["2.weight"], expected)
    for bad, words in (("nan", "plain number"), ("1e9", "between"), ("x", "plain number")):
        with pytest.raises(SpacewarpError, match=words) as err:
            edits.set_weight(base, params, "2.weight", 0, 1, bad)
        assert control_for(err.value) == "weights"


def test_widths_keep_the_weights_that_still_fit(base: Experiment) -> None:
    params = run(base).params
    edited = edits.set_weight(base, params, "0.weight", 2, 0, "1.5")
    edited = edits.set_weight(edited, params, "2.weight", 0, 0, "2")
    wider = edits.set_widths(edited, "2,3,4,2")
    assert set(wider.network.weights) == {"0.weight"}  # 2.weight is now 4x3
    assert run(wider).stages[1].weight[2, 0] == 1.5
    assert edits.add_layer(base).network.layers == [2, 3, 3, 3, 2]
    assert edits.remove_layer(base).network.layers == [2, 3, 2]


def test_randomise_is_reproducible_from_the_link(base: Experiment) -> None:
    params = run(base).params
    new = edits.randomised(base, params, "4.weight", np.random.default_rng(1))
    assert np.array(new.network.weights["4.weight"]).shape == (2, 3)
    back = state.decode(state.encode(new))
    assert np.array_equal(run(back).output, run(new).output)


def test_a_new_input_of_another_dimension_resets_the_network(base: Experiment) -> None:
    line = edits.set_input(base, "line")
    assert run(line).experiment.network.layers == [1, 2, 1]  # type: ignore[union-attr]
    labelled = edits.set_choice(edits.set_input(base, "spiral"), "color_by", "label")
    assert edits.set_input(labelled, "grid").input.color_by == "x"


@pytest.mark.parametrize("field, control", [
    ("network.layers", "widths"), ("input.params.noise", "param:noise"),
    ("network.weights.0.weight", "weights"), ("style.cmap", "theme"), ("seed", "seed"),
    ("input.points", "points"), ("input.path", "upload"), ("output", "views"), (None, "views"),
])
def test_a_field_names_its_control(field: str | None, control: str) -> None:
    assert control_for(SpacewarpError("x", field=field)) == control


@pytest.mark.parametrize("control, text, words", [
    ("widths", "3,3", "width"),  # refused by the library's run, which sets no field yet
    ("points", "0", "between 1 and"),
    ("param:std", "1e9", "magnitude"),
    ("seed", "-5", "between 0 and"),
    ("seed", str(2**32), "between 0 and"),
])
def test_a_session_shows_a_refusal_beside_its_control_and_keeps_working(
        control: str, text: str, words: str) -> None:
    from spacewarp.app.session import Explorer

    session = Explorer(validated({"input": {"points": 100}}))
    before = session.experiment
    session.change(control, text)
    assert words in session.controls.error_text(control)
    assert session.experiment == before
    others = [c for c in session.controls.errors if c != control]
    assert not any(session.controls.error_text(c) for c in others)
    session.change("seed", "7")  # the page keeps working
    assert session.experiment.seed == 7
    assert_same_run(session)


def assert_same_run(session: Any) -> None:
    want = run(session.experiment)
    assert np.array_equal(session.trace.output, want.output)


def test_serve_refuses_a_bad_port_or_config_in_one_line(tmp_path, capsys) -> None:
    from spacewarp.cli import main

    assert main(["serve", "--port", "0", "--no-browser"]) == 2
    big = tmp_path / "big.toml"
    big.write_text("[input]\npoints = 300000\n")
    assert main(["serve", "--config", str(big), "--no-browser"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "--port" in err[0] and "200,000 points" in err[1]


def test_the_notebook_explorer_shows_the_experiment() -> None:
    import panel as pn

    from spacewarp.app import explorer

    exp = validated({"input": {"points": 200}, "network": {"activation": "relu"}})
    row = explorer(exp)
    assert isinstance(row, pn.Row)
    from spacewarp.app.canvas import StageCanvas

    data = row.select(StageCanvas)[0].data
    key = data["keys"][data["stages"][5]["key"]]  # the film spec: stage 5's coordinates
    drawn = np.frombuffer(base64.b64decode(key["b64"]), np.float32)
    np.testing.assert_allclose(drawn.reshape(-1, 2),  # a 2-D stage, sent as (n, 2)
                               run(exp).output.astype(np.float32), rtol=1e-6)
    assert data["stages"][5]["dim"] == 2 and key["shape"] == [200, 2]
