"""Colour values and file arrays from the measures: a value per point, for every view.

A colouring is one value per point shared by every stage, so the measure colourings
describe the whole network (the last stage's Jacobian): log10 of the largest stretch, of
the area change, of the anisotropy; 1 where the last square stage reversed orientation;
and for piecewise-linear networks the linear region (activation pattern) of the point.
"""

from __future__ import annotations

import numpy as np

from ..errors import NetworkError
from ..tracing.trace import Trace
from .jacobian import Measures
from .steps import LEAKY, PIECEWISE

MIN_LOG10 = -12.0  # collapsed directions are drawn as 1e-12, not -inf


def measure_color(trace: Trace, name: str, m: Measures) -> np.ndarray:
    """(n,) colour values of the measure colouring ``name``."""
    last = len(trace.stages) - 1
    sv = m.singular_values[last]
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "stretch":
            return _log10(sv[:, 0])
        if name == "area":
            return np.maximum(m.log_area[last] / np.log(10), MIN_LOG10)
        if name == "anisotropy":
            return np.minimum(_log10(sv[:, 0]) - _log10(sv[:, -1]), -MIN_LOG10)
    if name == "fold":
        square = [f for f in m.folded[1:] if f is not None]
        if not square:
            raise NetworkError("colour by fold needs a stage as wide as the input (a square "
                               "map can reverse orientation); use --color-by stretch",
                               field="input.color_by")
        return square[-1].astype(np.float64)
    if name == "region":
        return region_color(trace)
    raise ValueError(f"unknown measure colouring {name!r}")


def _log10(a: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.maximum(np.log10(a), MIN_LOG10)


def pattern_ids(trace: Trace) -> np.ndarray:
    """(n,) int: the linear region of every point, numbered by its activation pattern
    (the signs before every piecewise-linear stage), in order of first appearance."""
    bits = []
    for k, stage in enumerate(trace.stages[1:], start=1):
        if stage.kind in PIECEWISE and PIECEWISE[stage.kind] == 1.0:
            continue
        if stage.kind not in PIECEWISE and stage.kind != LEAKY:
            if stage.kind == "linear":
                continue
            raise NetworkError(f"colour by region needs a piecewise-linear network (relu, "
                               f"leaky_relu), and this one has {stage.kind!r}; "
                               "use --color-by stretch", field="input.color_by")
        bits.append(trace.stages[k - 1].points > 0)  # (n, d_{k-1})
    if not bits:
        return np.zeros(trace.n, dtype=np.int64)
    packed = np.packbits(np.concatenate(bits, axis=1), axis=1)  # (n, bytes)
    _, first, ids = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))  # number regions by first appearance
    return order[ids.ravel()]


def region_color(trace: Trace) -> np.ndarray:
    """(n,) region ids scattered over [0, 1] so that neighbouring regions differ in colour."""
    ids = pattern_ids(trace)
    count = int(ids.max()) + 1
    shuffle = np.random.default_rng(0).permutation(count)
    return shuffle[ids] / max(count - 1, 1)


def measure_arrays(m: Measures) -> dict[str, np.ndarray]:
    """``jac_sv_KK``, ``log_area_KK``, ``rank_KK`` and (square stages) ``folded_KK``."""
    out: dict[str, np.ndarray] = {}
    for k in range(len(m.rank)):
        out[f"jac_sv_{k:02d}"] = m.singular_values[k]
        out[f"log_area_{k:02d}"] = m.log_area[k]
        out[f"rank_{k:02d}"] = m.rank[k].astype(np.int64)
        fold = m.folded[k]
        if fold is not None:
            out[f"folded_{k:02d}"] = fold
    return out


def stage_notes(m: Measures) -> tuple[str, ...]:
    """One summary line per stage ("" for the input)."""
    return ("", *(m.summary(k) for k in range(1, len(m.rank))))
