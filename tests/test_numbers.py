"""One parser for counts, seeds, sizes and widths: what it accepts, what it refuses."""

from __future__ import annotations

import math

import pytest

from spacewarp.app.controls import displayed
from spacewarp.app.edits import parse_number
from spacewarp.config.experiment import Experiment
from spacewarp.config.numbers import (
    MAX_POINTS,
    parse_count,
    parse_float,
    parse_seed,
    parse_size,
    parse_widths,
)
from spacewarp.errors import NetworkError, SpacewarpError


@pytest.mark.parametrize("given,want", [
    ("1000", 1000), ("1e5", 100_000), ("1E3", 1000), (" 42 ", 42), ("2.0", 2), (7, 7),
    (1e5, 100_000), ("+5", 5), (str(MAX_POINTS), MAX_POINTS)])
def test_counts_accepted(given: object, want: int) -> None:
    got = parse_count(given)
    assert got == want and type(got) is int


@pytest.mark.parametrize("given", [
    "3_0", "\u0663\u0660\u0660", "0x10", "1e5x", "", " ", "2.5", "0", "-3", "nan", "inf",
    "1e400", "1e999999", float("nan"), float("inf"), 2.5, True, False, None, [3], "\uff13",
    str(MAX_POINTS + 1), 10**30])
def test_counts_refused_in_one_line(given: object) -> None:
    with pytest.raises(SpacewarpError) as err:
        parse_count(given, field="input.points")
    assert err.value.field == "input.points" and "\n" not in str(err.value)


def test_seeds_are_32_bit() -> None:
    assert parse_seed("0") == 0 and parse_seed(2**32 - 1) == 2**32 - 1
    assert parse_seed("4e3") == 4000
    for bad in ("-1", 2**32, "18446744073709551616", 2**64, True, "1.5"):
        with pytest.raises(SpacewarpError, match="seed") as err:
            parse_seed(bad)
        assert err.value.field == "seed"


def test_sizes() -> None:
    assert parse_size("800x600") == (800, 600) and parse_size("640\u00d7480") == (640, 480)
    assert parse_size([320, 240]) == (320, 240)
    for bad in ("", "x", "800x", "800x600x2", "8x6", "1e9x10", "axb", "800 by 600", True):
        with pytest.raises(SpacewarpError, match="size|side"):
            parse_size(bad)


def test_widths() -> None:
    assert parse_widths("2,3,3,2") == [2, 3, 3, 2] and parse_widths(" 2, 5 ,2") == [2, 5, 2]
    assert parse_widths([2, 3.0, 2]) == [2, 3, 2]
    for bad in (3, [2], [[2, 3], 2], [2, math.inf, 2], [2.9, 3.7, 2], [2, True, 2], "2,,2",
                "2,x", "", [2, 0, 2], [2, 5000, 2], list(range(1, 80)), {"a": 1}):
        with pytest.raises(NetworkError) as err:
            parse_widths(bad)
        assert err.value.field == "network.layers"


def test_floats() -> None:
    assert parse_float("1e-3", field="f", what="f") == 1e-3
    for bad in ("nan", "inf", float("nan"), "1e400", True, "0x1p3"):
        with pytest.raises(SpacewarpError):
            parse_float(bad, field="f", what="f")
    with pytest.raises(SpacewarpError, match="more than 0"):
        parse_float(0, field="f", what="f", positive=True)


@pytest.mark.parametrize("value,text", [
    (2 / 3, "2/3"), (-1 / 7, "-1/7"), (0.1, "0.1"), (3.0, "3"), (1e-3, "0.001"),
    (0.30000000000000004, "0.30000000000000004"), (1e20, "1e+20"),
    (2.5e-7, "2.5e-07"), (1.25, "1.25")])
def test_number_boxes_show_short_text_that_reads_back_exactly(value: float, text: str) -> None:
    from spacewarp.config.numbers import number_text

    assert number_text(value) == text
    assert parse_number("scale", text, "scale") == value  # the same float, bit for bit


def test_the_spirals_default_turns_show_as_a_fraction() -> None:
    shown = displayed(Experiment.model_validate({"input": {"name": "spiral"}}))
    assert shown["param:turns"] == "2/3"
    assert parse_number("param:turns", "2/3", "turns") == 2 / 3
    with pytest.raises(SpacewarpError, match="plain number"):
        parse_number("param:turns", "2/0", "turns")
