"""``inputs.arrays``: per-column ranges (``column_range``, ``kept_range``) against NumPy's
own min and max, NaN and infinities wherever they sit; the trace's finite check, which
reads them, at sizes past a fold of rows."""

from __future__ import annotations

import numpy as np
import pytest

import spacewarp as sw
from spacewarp.errors import SpacewarpError
from spacewarp.inputs.arrays import FOLD, column_range, frozen, kept_range
from spacewarp.inputs.points import make_points
from spacewarp.tracing.trace import trace


@pytest.mark.parametrize("rows", [1, FOLD - 1, FOLD, 3 * FOLD + 7])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("at", ["first", "body", "last"])
def test_a_bad_value_anywhere_shows_in_its_columns_range(rows: int, bad: float,
                                                         at: str) -> None:
    points = np.random.default_rng(rows).normal(size=(rows, 3))
    row = {"first": 0, "body": rows // 2, "last": rows - 1}[at]
    points[row, 1] = bad
    lo, hi = column_range(points)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(lo, points.min(axis=0))
        np.testing.assert_array_equal(hi, points.max(axis=0))
    assert np.isfinite(lo[[0, 2]]).all() and np.isfinite(hi[[0, 2]]).all()
    assert not (np.isfinite(lo[1]) and np.isfinite(hi[1]))


def test_kept_range_is_found_once_per_array() -> None:
    points = frozen(np.random.default_rng(0).normal(size=(5000, 3)))
    lo, hi = kept_range(points)
    np.testing.assert_array_equal(lo, points.min(axis=0))
    np.testing.assert_array_equal(hi, points.max(axis=0))
    again = kept_range(points)
    assert again[0] is lo and again[1] is hi  # remembered, not found again
    other = frozen(points * 2)  # another array: its own range
    np.testing.assert_array_equal(kept_range(other)[1], 2 * hi)
    with pytest.raises(ValueError):
        lo[0] = 0.0  # shared by every reader: read-only


def test_the_trace_finds_an_overflow_past_a_fold_of_rows() -> None:
    """Some of 2000 points overflow to inf in the first stage: the trace says so."""
    model = sw.build_model([2, 2], init="identity",
                           weights={"0.weight": np.full((2, 2), 1e308)})
    with pytest.raises(SpacewarpError, match="NaN or inf"):
        trace(model, make_points("gaussian", 2000), device="cpu")
