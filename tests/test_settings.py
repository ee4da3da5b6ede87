"""The settings table: one line per setting, and torch-free names equal to the registries."""

from __future__ import annotations

import subprocess
import sys

from spacewarp import names
from spacewarp.cli import build_parser
from spacewarp.config.experiment import FLAT_KEYS, Experiment
from spacewarp.config.settings import SETTINGS, flag_for


def test_names_equal_the_registries() -> None:
    from spacewarp.inputs.points import COLORINGS, GENERATORS, make_points
    from spacewarp.model.build import ACTIVATIONS, RECIPES

    assert tuple(GENERATORS.names()) == names.INPUTS
    assert tuple(COLORINGS.names()) == names.COLORINGS
    assert tuple(ACTIVATIONS.names()) == names.ACTIVATIONS
    assert tuple(RECIPES.names()) == names.RECIPES
    for name, count in names.DEFAULT_COUNTS.items():
        assert make_points(name).n == count
        assert make_points(name).dim == names.INPUT_DIMS.get(name, 2)  # the budget's widths


def test_every_setting_is_a_config_field_and_a_flag() -> None:
    fields = Experiment.model_json_schema()  # every path must exist in the config
    assert fields
    for s in SETTINGS:
        node = Experiment()
        for part in s.path:
            assert hasattr(node, part), s.path
            node = getattr(node, part)
        assert FLAT_KEYS[s.key] == s.path
    help_text = build_parser()._subparsers._group_actions[0].choices["render"].format_help()
    for s in SETTINGS:
        if s.option:
            assert s.option in help_text
            assert flag_for(s.field) == s.option
    assert flag_for("network.layers") == "--layers"
    assert flag_for("network.checkpoint") == "--weights"
    assert flag_for("network.checkpoint_sha256") is None
    assert flag_for("input.params.step") is None


def test_network_pass_through_settings_round_trip() -> None:
    from spacewarp.config.experiment import to_toml, validated

    exp = validated({"network": {"model": "net.py:Net", "checkpoint": "w.pt",
                                 "checkpoint_sha256": "AB" * 32}})
    assert exp.network.model == "net.py:Net" and exp.network.checkpoint == "w.pt"
    assert exp.network.checkpoint_sha256 == "ab" * 32
    assert 'checkpoint_sha256 = "' + "ab" * 32 in to_toml(exp)


def test_help_does_not_import_torch() -> None:
    code = ("import sys\nfrom spacewarp.cli import main\n"
            "for argv in (['--help'], ['render', '--help'], ['animate', '--help']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "bad = [m for m in ('torch', 'numpy', 'pydantic', 'matplotlib') if m in sys.modules]\n"
            "print(bad)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_a_trace_carries_its_style_as_a_plain_value() -> None:
    from spacewarp.config.style import Style
    from spacewarp.inputs.points import make_points
    from spacewarp.model.build import build_model
    from spacewarp.pipeline import run
    from spacewarp.tracing.trace import trace

    t = run(Experiment.model_validate({"input": {"name": "spiral", "points": 30,
                                                 "color_by": "label"},
                                       "style": {"theme": "light", "cmap": "magma"}}))
    assert t.style == Style(theme="light", cmap="magma", source="spiral")
    assert t.color_by == "label" and t.categorical
    bare = trace(build_model([2, 3, 2]), make_points("gaussian", 10))
    assert bare.style == Style() and bare.experiment is None


def test_training_flags_are_the_train_specs_fields() -> None:
    from spacewarp.config.experiment import TrainSpec
    from spacewarp.config.settings import TRAIN_SETTINGS

    assert [s.key for s in TRAIN_SETTINGS] == list(TrainSpec.model_fields)
    for s in TRAIN_SETTINGS:
        field = TrainSpec.model_fields[s.key]
        if field.default is not None:
            assert TrainSpec.model_validate({s.key: s.default}).model_dump()[s.key] == \
                field.default, s.key
