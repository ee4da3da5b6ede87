"""The view step: morph paths, arrows, lattice lines, limits, camera and timeline.

Every path end is checked against the trace and against prefix networks computed here
by hand in torch; paths against ``(1 - t) x + t (W x + b)`` and ``(1 - t) x + t f(x)``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import spacewarp as sw
from spacewarp.errors import SpacewarpError
from spacewarp.inputs.arrays import column_range
from spacewarp.inputs.points import make_points
from spacewarp.model.build import build_model
from spacewarp.tracing.trace import trace
from spacewarp.view import (
    OBLIQUE,
    TOP_DOWN,
    basis_arrows,
    display_coords,
    lattice_lines,
    morphs,
    motion,
    pad,
    timeline,
)
from spacewarp.view.morph import Morph
from spacewarp.view.motion import zoomed_box
from spacewarp.view.paths import OWN_AXES

# (input, widths, activation, bias): every stage type and dimension change between them:
# 1->2, 2->2 (activation), 2->1; 2->3, 3->3, 3->2; 2->5->4->2 shown through PCA.
CASES = [
    ("line", [1, 2, 1], "tanh", False),
    ("gaussian", [2, 3, 3, 2], "tanh", False),
    ("gaussian", [2, 3, 3, 2], "relu", True),
    ("grid", [2, 5, 4, 2], "gelu", True),
    ("gaussian", [2, 2, 2], "sigmoid", True),
]


def _case(name: str, widths: list[int], act: str, bias: bool
          ) -> tuple[nn.Sequential, np.ndarray, sw.Trace]:
    pts = make_points(name, 300 if name != "grid" else None, seed=1)
    if name == "grid":
        pts = make_points("grid", seed=1, step=0.5)  # 20 x 20 lattice
    model = build_model(widths, act, bias=bias, init="random", seed=3)
    return model, pts.x, trace(model, pts, device="cpu")


def _prefix(model: nn.Sequential, k: int, x: np.ndarray) -> np.ndarray:
    """Stage k computed on its own: the first k modules, applied in float64."""
    with torch.no_grad():
        return nn.Sequential(*list(model)[:k])(torch.from_numpy(x.copy())).numpy()


def _assert_one_pca_projection(sources: list[np.ndarray], shown: list[np.ndarray],
                               embed: np.ndarray | None = None) -> None:
    """``shown[i]`` (m_i, 3) are ``sources[i]`` (m_i, d_i <= D), zero-padded to D (or the
    narrow one lifted by ``embed``, (D, d)), through ONE
    map ``(x - mean) Q + c`` whose columns Q (D, 3) are orthonormal and span the top-3
    principal directions of all the sources together (checked with numpy's eigh)."""
    dim = max(s.shape[1] for s in sources)
    x = np.concatenate([pad(s, dim) if embed is None or s.shape[1] == dim else s @ embed.T
                        for s in sources])
    y = np.concatenate([pad(s, 3) for s in shown])
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
    q = np.linalg.lstsq(xc, yc, rcond=None)[0]  # (D, 3): one map for every set
    np.testing.assert_allclose(xc @ q, yc, rtol=0, atol=1e-7 * np.abs(yc).max())
    top3 = np.sort(np.linalg.eigvalsh(xc.T @ xc))[::-1][:3].sum()
    np.testing.assert_allclose((yc**2).sum(), top3, rtol=1e-7)  # orthonormal PCA axes


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}")
@pytest.mark.parametrize("split", [False, True])
def test_path_ends_are_the_stages(case: tuple, split: bool) -> None:
    model, x, tr = _case(*case)
    path = morphs(tr, split_bias=split)
    assert path[0].at(0.0) is path[0].start
    for m in path:
        d = m.dim
        assert m.dims[0] <= d and m.dims[1] <= d and max(m.dims) == d
        if m.kind in ("matrix", "bias"):  # split parts: checked in their own test
            continue
        a, b = _prefix(model, m.from_stage, x), _prefix(model, m.to_stage, x)
        if m.kind in ("projection", OWN_AXES):  # a view turn on one stage: both ends
            assert m.from_stage == m.to_stage  # affine images of it; to its own axes: itself
            if m.kind == OWN_AXES:  # (or W x = stage - b, with split_bias): a shift of it
                shift = m.end - pad(a, d)
                np.testing.assert_allclose(shift - shift[0], 0.0, rtol=0, atol=1e-9)
            for end in (m.start, m.end):
                ac, ec = a - a.mean(axis=0), end - end.mean(axis=0)
                fitted = ac @ np.linalg.lstsq(ac, ec, rcond=None)[0]
                np.testing.assert_allclose(fitted, ec, rtol=0, atol=1e-7 * np.abs(ec).max())
        elif max(a.shape[1], b.shape[1]) <= 3:  # small spaces: the points themselves
            np.testing.assert_allclose(m.at(0.0), pad(a, d), rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(m.at(1.0), pad(b, d), rtol=1e-9, atol=1e-9)
        else:  # a wide operation: both ends through one and the same projection
            _assert_one_pca_projection([a, b], [m.start, m.end], _polar(model, m))
    # consecutive morphs meet: no jump at a stage boundary
    for a, b in zip(path[:-1], path[1:], strict=True):
        np.testing.assert_array_equal(pad(a.end, max(a.dim, b.dim)),
                                      pad(b.start, max(a.dim, b.dim)))


def _polar(model: nn.Sequential, m: Morph) -> np.ndarray | None:
    """A linear map between widths: how its narrow side enters the wide space, the polar
    factor U V^T of W = U S V^T as (wide, narrow); None otherwise (zero padding)."""
    module = model[m.to_stage - 1]
    if not isinstance(module, nn.Linear) or module.in_features == module.out_features:
        return None
    u, _, vt = np.linalg.svd(module.weight.detach().numpy().astype(np.float64),
                             full_matrices=False)
    q = u @ vt  # (out, in)
    return q if module.out_features > module.in_features else q.T


def test_a_narrowing_map_stretches_what_it_reads_and_squashes_the_rest() -> None:
    """4 -> 2 (no bias): in the wide space the morph runs from h to V S V^T h (the output
    lifted by the polar factor), so along W's unread directions the points go to 0."""
    model, x, tr = _case("grid", [2, 5, 4, 2], "gelu", False)
    w = model[4].weight.detach().numpy().astype(np.float64)  # (2, 4)
    h = _prefix(model, 4, x)  # (n, 4)
    m = next(p for p in morphs(tr) if p.to_stage == 5 and p.kind == "linear")
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    ends = np.concatenate([h, h @ vt.T @ np.diag(s) @ vt])  # h and V S V^T h, (2n, 4)
    shown = np.concatenate([pad(m.start, 3), pad(m.end, 3)])  # one affine map of `ends`
    ec, sc = ends - ends.mean(axis=0), shown - shown.mean(axis=0)
    fitted = ec @ np.linalg.lstsq(ec, sc, rcond=None)[0]
    np.testing.assert_allclose(fitted, sc, rtol=0, atol=1e-7 * np.abs(sc).max())


def test_wide_views_turn_only_while_holding_and_minimally() -> None:
    """2,5,4,2: every morph touching a wide stage is one projection; between two of them the
    view turns on the shared stage, aligned (Procrustes) so it turns less than the fresh
    PCA basis would."""
    model, x, tr = _case("grid", [2, 5, 4, 2], "gelu", True)
    path = morphs(tr)
    turns = [i for i, m in enumerate(path) if m.kind == "projection"]
    assert turns and all(path[i].from_stage == path[i].to_stage for i in turns)
    assert all("PCA 3 of" in path[i + 1].title for i in turns)
    for i in turns:
        stage = _prefix(model, path[i].from_stage, x)
        nxt = path[i + 1]
        fresh = display_coords(np.concatenate([pad(stage, 5), pad(_prefix(
            model, nxt.to_stage, x), 5)]))[: len(stage)]  # the next PCA basis, not aligned
        moved = np.linalg.norm(path[i].end - path[i].start)
        assert moved < np.linalg.norm(pad(fresh, 3) - pad(path[i].start, 3))


@pytest.mark.parametrize("case", CASES[:3], ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}")
def test_paths_follow_the_formulas(case: tuple) -> None:
    model, x, tr = _case(*case)
    for m in morphs(tr):
        before = tr.stages[m.from_stage].points  # <= 3-D here: display = the points
        module = model[m.to_stage - 1]
        assert m.kind == ("linear" if isinstance(module, nn.Linear) else m.kind)
        if isinstance(module, nn.Linear):
            w = module.weight.detach().numpy()
            b = module.bias.detach().numpy() if module.bias is not None else 0.0
            after = before @ w.T + b
        else:
            after = module(torch.from_numpy(before.copy())).numpy()
        for t in (0.25, 0.5, 0.8):
            want = (1 - t) * pad(before, m.dim) + t * pad(after, m.dim)
            np.testing.assert_allclose(m.at(t), want, rtol=1e-9, atol=1e-9)


def test_split_bias_moves_matrix_then_bias() -> None:
    model, x, tr = _case("gaussian", [2, 3, 3, 2], "tanh", True)
    path = morphs(tr, split_bias=True)
    assert [m.kind for m in path][:3] == ["matrix", "bias", "tanh"]
    assert len(path) == 2 * 3 + 2
    w = model[0].weight.detach().numpy()
    np.testing.assert_allclose(path[0].end, x @ w.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(path[1].end - path[1].start,
                               np.broadcast_to(model[0].bias.detach().numpy(), (len(x), 3)),
                               rtol=1e-9, atol=1e-9)
    assert path[0].title == "Linear 2->3: W x" and path[1].title == "Linear 2->3: + b"


@pytest.mark.parametrize("case", CASES[:3], ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}")
def test_basis_arrows_are_the_images_of_origin_and_basis(case: tuple) -> None:
    model, x, tr = _case(*case)
    d0 = x.shape[1]
    ends = np.zeros((1 + min(d0, 2), d0))
    ends[1:] = np.eye(d0)[: min(d0, 2)]
    for m, a in zip(morphs(tr), basis_arrows(tr), strict=True):
        assert a is not None and a.dim == m.dim
        np.testing.assert_allclose(a.end, pad(_prefix(model, m.to_stage, ends), m.dim),
                                   rtol=1e-9, atol=1e-12)
    # through the first linear stage the arrows are the columns of its matrix
    first = basis_arrows(tr)[0]
    assert first is not None
    w = model[0].weight.detach().numpy()
    b = model[0].bias.detach().numpy() if model[0].bias is not None else 0.0
    np.testing.assert_allclose((first.end[1:] - first.end[0])[:, : w.shape[0]],
                               w[:, : min(d0, 2)].T, rtol=1e-12)
    np.testing.assert_allclose(first.end[0][: w.shape[0]], np.zeros(w.shape[0]) + b)


def test_arrows_stop_where_the_activation_is_not_reproducible() -> None:
    pts = make_points("gaussian", 200, seed=0)
    model = nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.37), nn.Linear(3, 2)).double()
    arrows = basis_arrows(trace(model, pts, device="cpu"))
    assert arrows[0] is not None and arrows[1] is None and arrows[2] is None


def test_lattice_lines_join_the_same_neighbours_in_every_frame() -> None:
    _, _, tr = _case("grid", [2, 5, 4, 2], "gelu", True)
    rows, cols = tr.grid_shape or (0, 0)
    index = np.arange(rows * cols, dtype=float)[:, None]  # each point's lattice index
    lines = lattice_lines(index, (rows, cols))[:, 0]  # (L,) indices, NaN between lines
    pairs = np.stack([lines[:-1], lines[1:]], axis=1)
    pairs = pairs[~np.isnan(pairs).any(axis=1)].astype(int)
    step = np.abs(pairs[:, 1] - pairs[:, 0])
    assert set(step.tolist()) == {1, cols}  # row neighbours, then column neighbours
    assert len(pairs) == rows * (cols - 1) + cols * (rows - 1)  # every lattice edge, once
    gaps = np.isnan(lines)
    film = motion(tr, frames_per_stage=4, hold=0.0)
    for frame in film.timeline.frames:
        pts = film.points(frame)
        drawn = lattice_lines(pts, (rows, cols))
        np.testing.assert_array_equal(np.isnan(drawn).all(axis=1), gaps)
        np.testing.assert_array_equal(drawn[~gaps], pts[lines[~gaps].astype(int)])


def test_lattice_lines_every_keeps_whole_lines_and_the_border() -> None:
    index = np.arange(10 * 7, dtype=float)[:, None]
    lines = lattice_lines(index, (10, 7), every=4)[:, 0]
    parts = [p for p in np.split(lines, np.flatnonzero(np.isnan(lines)) + 1) if p.size > 1]
    rows = [p[~np.isnan(p)] // 7 for p in parts[:4]]
    assert [int(r[0]) for r in rows] == [0, 4, 8, 9]  # kept rows, the last included
    assert all(len(p[~np.isnan(p)]) == 7 for p in parts[:4])  # whole rows


def test_limits_hold_every_frame_and_never_change_during_a_morph() -> None:
    _, _, tr = _case("gaussian", [2, 3, 3, 2], "tanh", False)
    film = motion(tr, frames_per_stage=6, hold=0.4, fps=10)
    tl = film.timeline
    for i, frame in enumerate(tl.frames):
        box = film.box(frame)
        pts = np.vstack([film.points(frame), film.arrow_ends(frame)])
        assert (pts >= box[: pts.shape[1], 0] - 1e-12).all()
        assert (pts <= box[: pts.shape[1], 1] + 1e-12).all()
        spans = np.ptp(box, axis=1)
        np.testing.assert_allclose(spans, spans[0])  # equal aspect
        if not frame.hold:
            np.testing.assert_array_equal(box, film.boxes[frame.morph])
        if i and not frame.hold and tl[i - 1].hold:  # a hold hands over exactly
            np.testing.assert_array_equal(film.box(tl[i - 1]), box)
    whole = motion(tr, frames_per_stage=3, hold=0.0, limits="film")
    assert all(np.array_equal(b, whole.boxes[0]) for b in whole.stops)


@pytest.mark.parametrize("seed", [0, 2])
def test_a_hold_easing_to_a_far_smaller_box_keeps_the_points_in_view(seed: int) -> None:
    """Sigmoids squeeze the grid into a corner of the last box: the hold before a view's
    turn eases to a box 10x smaller off its centre. A centre linear in time beside a
    geometric size left every point outside the box at mid-hold (they vanished)."""
    pts = make_points("grid", seed=1, step=0.5)
    model = build_model([2, 8, 8, 8, 8, 8, 2], "sigmoid", bias=True, init="random", seed=seed)
    film = motion(trace(model, pts, device="cpu"), frames_per_stage=8, fps=10)
    for frame in film.timeline.frames:
        shown, box = film.points(frame), film.box(frame)
        d = shown.shape[1]
        assert (shown >= box[:d, 0] - 1e-12).all() and (shown <= box[:d, 1] + 1e-12).all(), \
            frame


def test_a_zoomed_box_holds_what_both_ends_hold_and_grows_geometrically() -> None:
    big = np.array([[-10.0, 10.0], [-10.0, 10.0]])
    small = np.array([[8.5, 9.5], [-9.5, -8.5]])  # in big's corner
    for s in np.linspace(0.0, 1.0, 21):
        box = zoomed_box(big, small, s)
        np.testing.assert_allclose(np.ptp(box, axis=1), 20.0 ** (1 - s) * 1.0 ** s)
        assert (box[:, 0] <= small[:, 0] + 1e-12).all() and \
            (box[:, 1] >= small[:, 1] - 1e-12).all()
    np.testing.assert_allclose(zoomed_box(big, big + 3.0, 0.25), big + 0.75)  # no zoom: glides


def test_camera_turns_while_lifting_and_flattening() -> None:
    _, _, tr = _case("gaussian", [2, 3, 3, 2], "tanh", False)
    film = motion(tr)
    lift, _, _, _, flatten = film.morphs
    assert lift.dims == (2, 3) and flatten.dims == (3, 2)
    from spacewarp.view import camera

    assert camera(lift, 0.0) == TOP_DOWN and camera(lift, 1.0) == OBLIQUE
    assert camera(flatten, 0.0) == OBLIQUE and camera(flatten, 1.0) == TOP_DOWN
    cams = [film.camera(f) for f in film.timeline.frames]
    jumps = np.abs(np.diff(np.array(cams), axis=0)).max()
    assert jumps < 20.0  # smooth: a few degrees per frame at most


def test_timeline_counts() -> None:
    _, _, tr = _case("gaussian", [2, 3, 3, 2], "tanh", False)
    path = morphs(tr)
    tl = timeline(path, fps=10, frames_per_stage=7, hold=0.3)
    assert tl.hold_frames == 3 and tl.morph_frames == (7,) * 5
    assert len(tl) == 5 * 7 + 6 * 3
    moving = [f for f in tl.frames if not f.hold]
    assert [f.t for f in moving if f.morph == 2][-1] == 1.0
    assert all(0.0 < f.t <= 1.0 for f in moving)
    assert tl[0].hold and tl[0].t == 0.0 and tl[0].title == "Input"
    tl = timeline(path, fps=24, seconds=5.0, hold=0.25)
    assert len(tl) == 120 and tl.seconds == 5.0
    assert tl.morph_frames == (17, 17, 17, 17, 16)  # 120 - 6 holds of 6
    assert len(timeline(path, fps=25)) == 5 * 25 + 6 * 12  # defaults: 1 s per morph
    with pytest.raises(SpacewarpError, match="too short"):
        timeline(path, fps=10, seconds=1.0, hold=0.5)


@pytest.mark.parametrize("layers", ["conv", "flatten"])
def test_arrows_lost_at_a_convolution_or_a_flatten_are_none_without_nan(layers: str) -> None:
    """A CNN on a slice of the digits, and a Flatten between linear layers: the arrows
    stop at the first stage NumPy cannot carry them through, and no NaN stands in for them
    on the way (it reached ``np.allclose`` as ``atol=nan``: a RuntimeWarning)."""
    import warnings

    if layers == "conv":
        model = nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 2, 3), nn.ReLU(),
                              nn.Flatten(), nn.Linear(72, 10)).double()
        tr = sw.run(input="digits", slice="0,6,8", points=100, model=model, device="cpu")
    else:
        model = nn.Sequential(nn.Linear(2, 3), nn.Flatten(), nn.Linear(3, 2)).double()
        tr = trace(model, make_points("gaussian", 200, seed=0), device="cpu")
    first_lost = next(k for k, s in enumerate(tr.stages)
                      if s.kind not in ("input", "linear"))  # an unflatten, a flatten
    for split in (False, "svd"):  # whole stages, and the SVD's sub-steps
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            arrows = basis_arrows(tr, split_bias=split)
            film_morphs = morphs(tr, split_bias=split)
        for m, a in zip(film_morphs, arrows, strict=True):
            assert (a is None) == (m.to_stage >= first_lost), (m.title, a)
            if a is not None and not split and m.kind != "projection":  # own coordinates
                want = _prefix(model, m.to_stage, _ends(tr))  # (3, d_k)
                np.testing.assert_allclose(a.end, pad(want, m.dim), rtol=1e-9, atol=1e-9)


def _ends(tr: sw.Trace) -> np.ndarray:
    """The arrow ends in the input stage's coordinates: origin, e1, e2 (m, d0)."""
    d0 = tr.stages[0].dim
    return np.vstack([np.zeros(d0), np.eye(d0)[: min(d0, 2)]])


@pytest.mark.parametrize("shape", [(100_003, 3), (256, 2), (255, 3), (7, 1)])
def test_column_range_is_numpys_min_and_max(shape: tuple[int, int]) -> None:
    """Folded rows, a remainder, too few rows to fold, and a strided view."""
    a = np.random.default_rng(3).normal(size=shape)
    a[shape[0] // 2, 0] = -50.0  # an extreme in the middle of a fold
    for points in (a, a[:, ::-1]):
        lo, hi = column_range(points)
        np.testing.assert_array_equal(lo, points.min(axis=0))
        np.testing.assert_array_equal(hi, points.max(axis=0))
