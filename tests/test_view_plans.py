"""Films planned once per network: every PCA of a wide stage is fitted once, across the
film, its live plan and a second film of the same network and points (another colour),
and a remembered plan gives the film a fresh plan gives.

PCAs are counted by wrapping ``coords.fit`` (every projection beyond 3-D goes through it);
the reference for the remembered plan is the same film planned with nothing remembered,
and the display coordinates are checked against a PCA computed here with NumPy's SVD.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

import numpy as np
import pytest

import spacewarp as sw
from spacewarp.config.experiment import validated
from spacewarp.view import coords, film, paths
from spacewarp.view.live import live_plan
from spacewarp.view.plan_cache import PLANS

WIDE = {"input": {"points": 600}, "network": {"layers": [2, 12, 3], "bias": True}}


def _trace(**changes: Any) -> sw.Trace:
    raw = {**WIDE, **changes}
    return sw.run(validated(raw))


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> Counter[bytes]:
    """Counts of the PCAs fitted beyond 3-D, by a digest of the points fitted."""
    counted: Counter[bytes] = Counter()
    real = coords.fit

    def counting(*ends: np.ndarray, embed: np.ndarray | None = None) -> coords.Projection:
        if max(e.shape[1] for e in ends) > coords.MAX_DISPLAY_DIM:
            h = hashlib.sha1()
            for e in (*ends, embed):
                h.update(b"-" if e is None else np.ascontiguousarray(e).tobytes())
            counted[h.digest()] += 1
        return real(*ends, embed=embed)

    monkeypatch.setattr(coords, "fit", counting)
    monkeypatch.setattr(paths, "fit", counting)
    PLANS.clear()
    return counted


def test_each_wide_pca_is_fitted_once_per_network(fits: Counter[bytes]) -> None:
    tr = _trace()
    planned = film(tr)
    live_plan(tr, planned)  # the explorer's live updates: the film's own plan
    film(_trace(input={**WIDE["input"], "color_by": "angle"}))  # same network and points
    sw.run(validated(WIDE))  # a new trace of the same experiment: same stages
    film(_trace())
    assert fits, "the 12-wide stages are shown through PCA"
    assert max(fits.values()) == 1, "a PCA of the full width was fitted twice"
    # morphs into and out of the 12-wide stages, and both 12-wide stages on their own
    assert len(fits) == 5


def test_a_remembered_plan_draws_what_a_fresh_plan_draws(fits: Counter[bytes]) -> None:
    film(_trace())  # remembered
    again = film(_trace(style={"theme": "light"}))
    PLANS.clear()
    fresh = film(_trace(style={"theme": "light"}))
    assert len(again.keys) == len(fresh.keys)
    for a, b in zip(again.keys, fresh.keys, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(again.segments, fresh.segments, strict=True):
        assert (a.start, a.end, a.title) == (b.start, b.end, b.title)


def test_other_points_are_planned_afresh(fits: Counter[bytes]) -> None:
    first = film(_trace())
    other_tr = _trace(seed=7)  # other weights and points: its own PCAs
    other = film(other_tr)
    assert len(fits) == 10 and max(fits.values()) == 1
    for view in other.stages:
        shown = other.keys[view.key]
        stage = other_tr.stages[other.stages.index(view)].points
        if stage.shape[1] <= 3:
            continue
        centred = stage - stage.mean(axis=0)
        vt = np.linalg.svd(centred, full_matrices=False)[2][:3]  # (3, d) reference axes
        scores = centred @ vt.T  # (n, 3), signs as the SVD gives them
        signs = np.sign(np.sum(scores * shown, axis=0))
        np.testing.assert_allclose(shown, scores * signs, atol=1e-8)
    assert not np.array_equal(first.keys[1], other.keys[1])


@pytest.fixture
def grams(monkeypatch: pytest.MonkeyPatch) -> Counter[bytes]:
    """Counts of the Gram matrices made (``coords.gram_moments``), by a digest of the
    points multiplied; nothing remembered to start with."""
    counted: Counter[bytes] = Counter()
    real = coords.gram_moments

    def counting(points: np.ndarray) -> coords.Moments:
        counted[hashlib.sha1(np.ascontiguousarray(points).tobytes()).digest()] += 1
        return real(points)

    monkeypatch.setattr(coords, "gram_moments", counting)
    PLANS.clear()
    coords.MOMENTS.clear()
    return counted


def _pca_scores(points: np.ndarray) -> np.ndarray:
    """(n, d) -> (n, 3): the top three principal component scores, by NumPy's SVD."""
    centred = points - points.mean(axis=0)
    return centred @ np.linalg.svd(centred, full_matrices=False)[2][:3].T


def _turned(shown: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """``scores`` (n, 3) turned and shifted onto ``shown`` by least squares (the film aligns
    each morph's PCA to the view before it: a rotation and a shift)."""
    design = np.hstack([scores, np.ones((len(scores), 1))])  # (n, 4)
    solution = np.linalg.lstsq(design, shown, rcond=None)[0]  # (4, 3): R then c
    rotation = solution[:3]
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-8)
    return design @ solution


def test_an_activation_change_fits_only_the_stages_it_changed(grams: Counter[bytes]) -> None:
    """2 -> 12 -> act -> 3: after tanh -> relu the first linear stage (the same points)
    is not multiplied again, and the new film draws what PCAs computed here draw."""
    film(_trace())
    first = sum(grams.values())
    relu = _trace(network={**WIDE["network"], "activation": "relu"})
    after = film(relu)
    assert max(grams.values()) == 1, "a full-width Gram matrix was made twice"
    assert sum(grams.values()) - first == 2  # the relu stage and the 3-wide output
    wide = relu.stages[2].points  # (n, 12): the relu stage
    own = after.keys[after.stages[2].key]
    signs = np.sign(np.sum(_pca_scores(wide) * own, axis=0))
    np.testing.assert_allclose(own, _pca_scores(wide) * signs, atol=1e-8)
    into = next(s for s in after.segments if s.kind == "relu")  # the morph 12 -> relu
    both = np.vstack([relu.stages[1].points, wide])  # one PCA for both ends
    scores = _pca_scores(both)
    ends = np.vstack([after.keys[into.start], after.keys[into.end]])
    np.testing.assert_allclose(ends, _turned(ends, scores), atol=1e-8)


def test_a_film_from_remembered_moments_is_a_fresh_film(grams: Counter[bytes]) -> None:
    film(_trace())
    again = film(_trace(network={**WIDE["network"], "activation": "relu"}))
    PLANS.clear()
    coords.MOMENTS.clear()
    fresh = film(_trace(network={**WIDE["network"], "activation": "relu"}))
    for a, b in zip(again.keys, fresh.keys, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_a_lifted_fit_is_the_pca_of_the_lifted_points() -> None:
    """Moments lifted by an embedding or zero padding fit what the stacked points fit."""
    rng = np.random.default_rng(3)
    narrow, wide = rng.normal(size=(200, 2)), rng.normal(size=(300, 6)) * [5, 4, 3, 2, 1, 1]
    embed = np.linalg.qr(rng.normal(size=(6, 2)))[0]  # (6, 2) orthonormal columns
    for lifted in (narrow @ embed.T, np.hstack([narrow, np.zeros((200, 4))])):
        p = coords.fit(narrow, wide, embed=embed if lifted[0, 2] else None)
        both = np.vstack([lifted, wide])
        shown = np.vstack([p(narrow), p(wide)])
        signs = np.sign(np.sum(_pca_scores(both) * shown, axis=0))
        np.testing.assert_allclose(shown, _pca_scores(both) * signs, atol=1e-9)


def test_an_activation_change_refits_only_the_pcas_it_changed(
        grams: Counter[bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    """After tanh -> relu, the PCAs that read only kept stages (the morph 2 -> 12 and the
    12-wide linear stage alone) are the remembered ones; the three that read the relu
    stage (the morphs into and out of it, and the stage alone) are fitted anew."""
    made: list[int] = []
    real = coords.fitted_from

    def counting(*args: Any) -> coords.Projection:
        made.append(1)
        return real(*args)

    monkeypatch.setattr(coords, "fitted_from", counting)
    film(_trace())
    assert len(made) == 5
    film(_trace(network={**WIDE["network"], "activation": "relu"}))
    assert len(made) == 5 + 3


def test_only_narrow_gram_matrices_are_remembered(grams: Counter[bytes]) -> None:
    """A Gram matrix is d x d (134 MB at d = 4,096): wider than ``REMEMBER_WIDTH`` it is
    made each time it is needed, and the fit it gives is still the PCA of the points."""
    rng = np.random.default_rng(5)
    for width in (coords.REMEMBER_WIDTH, coords.REMEMBER_WIDTH + 1):
        x = rng.normal(size=(width + 50, width)) * np.linspace(3, 1, width)
        for _ in range(2):
            coords.moments(x)
        assert grams[hashlib.sha1(x.tobytes()).digest()] == (
            1 if width <= coords.REMEMBER_WIDTH else 2)
        shown = coords.fit(x)(x)
        signs = np.sign(np.sum(_pca_scores(x) * shown, axis=0))
        np.testing.assert_allclose(shown, _pca_scores(x) * signs, atol=1e-8)
