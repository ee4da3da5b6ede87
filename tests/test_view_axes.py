"""A stage of at most 3-D is shown in its own axes wherever the view rests on it, also
after a wide stage (issue 17: the 2,100,3 classifier's logits were drawn through the PCA
of the morph from 100-D, one logit axis at 7% of its length).

References: each stage computed on its own (the network's prefix in float64 torch); the
drawn points compared with it up to a rotation and one scale by the singular values of
the least-squares affine map between them (all equal within 1%), ranges with NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from spacewarp.inputs.points import make_points
from spacewarp.model.build import build_model
from spacewarp.render.browser import film_spec
from spacewarp.tracing.trace import Trace, trace
from spacewarp.view import motion
from spacewarp.view.film import film

# a 3-D and a 2-D output after a wide layer, and a 3-D stage between two wide ones
WIDTHS = [[2, 100, 3], [2, 100, 2], [2, 40, 3, 40, 2]]


def _case(widths: list[int]) -> tuple[nn.Sequential, np.ndarray, Trace]:
    pts = make_points("gaussian", 300, seed=1)
    model = build_model(widths, "tanh", bias=True, init="random", seed=3)
    return model, pts.x, trace(model, pts, device="cpu")


def _prefix(model: nn.Sequential, k: int, x: np.ndarray) -> np.ndarray:
    """Stage k computed on its own: the first k modules, applied in float64."""
    with torch.no_grad():
        return nn.Sequential(*list(model)[:k])(torch.from_numpy(x.copy())).numpy()


def _assert_own_axes(own: np.ndarray, drawn: np.ndarray) -> None:
    """``drawn`` (n, D) is ``own`` (n, d) up to a rotation, one scale and a shift: the
    affine map fitted from one to the other has d equal singular values (within 1%)."""
    a = np.c_[own, np.ones(len(own))]  # (n, d + 1)
    fitted, *_ = np.linalg.lstsq(a, drawn, rcond=None)  # (d + 1, D)
    np.testing.assert_allclose(a @ fitted, drawn, rtol=0, atol=1e-7 * np.abs(drawn).max())
    sv = np.linalg.svd(fitted[:-1], compute_uv=False)
    assert sv.min() > 0.99 * sv.max(), f"singular values {sv}: the axes are squashed"


@pytest.mark.parametrize("widths", WIDTHS, ids=str)
def test_films_rest_on_a_narrow_stage_in_its_own_axes(widths: list[int]) -> None:
    model, x, tr = _case(widths)
    m = motion(tr, fps=10)
    rested = set()
    for frame in m.timeline.frames[m.timeline.hold_frames:]:
        if not frame.hold:
            continue
        k = m.morphs[frame.morph].to_stage
        rested.add(k)
        own = _prefix(model, k, x)  # (n, d_k)
        if own.shape[1] <= 3:
            _assert_own_axes(own, m.points(frame))
            assert "PCA" not in frame.title and frame.title == tr.stages[k].title
    assert rested == set(range(1, len(tr.stages)))  # every stage is held


@pytest.mark.parametrize("widths", WIDTHS, ids=str)
def test_the_page_rests_on_a_narrow_stage_in_its_own_axes(widths: list[int]) -> None:
    """The big view at position k draws the end of the last segment reaching k; the stage
    carries its axes' names and true ranges for the page's labels."""
    model, x, tr = _case(widths)
    f = film(tr)
    spec = film_spec(tr)
    for k in range(1, len(tr.stages)):
        own = _prefix(model, k, x)
        if own.shape[1] > 3:
            continue
        seg = [s for s in f.segments if s.p1 == k][-1]
        _assert_own_axes(own, f.keys[seg.end])
        d = own.shape[1]
        ranges = np.stack([own.min(axis=0), own.max(axis=0)], axis=1)  # (d, 2)
        assert seg.end == f.stages[k].key  # the page names the big view's axes on this key
        assert spec["stages"][k]["axes"] == [f"h{k}[{j}]" for j in range(d)]  # Sequential
        np.testing.assert_allclose(spec["stages"][k]["ranges"], ranges, rtol=1e-12)
    for k in [k for k, s in enumerate(tr.stages) if s.dim > 3]:
        sv = np.linalg.svd(_prefix(model, k, x) - _prefix(model, k, x).mean(axis=0),
                           compute_uv=False)  # rank 2 (a linear map of 2-D points): no PC3
        third = "PC3" if sv[2] > 1e-9 * sv[0] else "PC3 (no spread)"
        assert spec["stages"][k]["axes"] == ["PC1", "PC2", third], k


@pytest.mark.parametrize("widths", WIDTHS, ids=str)
def test_the_turns_keep_every_point_in_view_and_do_not_jump(widths: list[int]) -> None:
    """Where the film goes on from a morph into a turn (or from a turn into a morph) with
    no hold, the limits ease from one box to the other as the view turns: every moving
    frame's points lie in its box, and the box at a junction starts where the last one
    was."""
    _, _, tr = _case(widths)
    m = motion(tr, fps=10)
    frames = m.timeline.frames
    for frame in (f for f in frames if not f.hold):
        box, pts = m.box(frame), m.points(frame)  # (dim, 2), (n, D)
        d = min(pts.shape[1], len(box))
        slack = 1e-9 * np.ptp(box, axis=1).max()
        assert (pts[:, :d] >= box[:d, 0] - slack).all() and (pts[:, :d] <= box[:d, 1] + slack).all()
    junctions = [(a, b) for a, b in zip(frames[:-1], frames[1:], strict=True)
                 if not a.hold and not b.hold and a.morph != b.morph]
    assert junctions  # a wide stage meets a narrow one: the film flows on there
    for a, b in junctions:
        np.testing.assert_array_equal(m.morphs[a.morph].end, m.morphs[b.morph].start)
        np.testing.assert_array_equal(m.box(a), m.stops[b.box[0]])
        assert b.box[0] == b.box[1] or b.box[2] < 0.05  # then a small step, if it moves
