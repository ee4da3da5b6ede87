"""Training on a slice through images (issue 18): the training film and the training page
draw each anchor's image beside its ring on the input (slice) panel, as the trace's films
and page do; training.png says when a snapshot has too many regions to outline.

References: the anchors' slice coordinates from NumPy's QR, the data rows' grey levels
worked out in NumPy over the digits' range, the region count of training.npz's own
snapshot polygons against the limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from digit_insets import (
    DIGITS,
    HOOK,
    ROWS,
    check_page_insets,
    film_inset_gaps,
    qr_coordinates,
)
from pages import open_page

import spacewarp as sw
from spacewarp.training.snapshots import TracedSnapshots, trace_snapshots


@pytest.fixture(scope="module")
def traced() -> TracedSnapshots:
    training = sw.train(input="digits", slice=",".join(map(str, ROWS)), layers="64,16,10",
                        activation="relu", epochs=3, snapshots=3, probe=12, lr=0.01,
                        device="cpu", progress=False, live=False)
    return trace_snapshots(training)


def test_the_training_film_shows_each_anchor_image_beside_its_ring(
        traced: TracedSnapshots) -> None:
    """Every frame (the slice is fixed: at rest and between snapshots) stamps each
    anchor's image in the input panel: whole blocks of pixels, each the grey of that pixel
    of the data row, its nearest corner a few pixels from the anchor's place."""
    import matplotlib

    matplotlib.use("Agg")
    from spacewarp.render.film_marks import GAP, TITLE_RISE
    from spacewarp.render.training_frames import TrainingFrames
    from spacewarp.view.training import training_view

    frames = TrainingFrames(training_view(traced), (1280, 720))
    insets = frames.insets
    assert insets is not None
    for i in (0, len(frames) // 3, len(frames) - 1):
        frame = frames.render(i)  # (720, 1280, 3)
        b = insets.block
        assert b >= 4 and len(insets.drawn) == 3
        ax = frames.panels.ax_in
        at = ax.transData.transform(qr_coordinates(DIGITS.x, ROWS))  # (3, 2) y up
        x0, y0, x1, y1 = ax.bbox.extents
        gaps, inside = film_inset_gaps(frame, insets.drawn, b, at)
        assert (gaps <= np.hypot(GAP, TITLE_RISE) + 1.5).all() and not inside.any()
        for top, left in insets.drawn:  # inside the input panel
            assert x0 <= left and left + 8 * b + 2 <= x1
            assert frame.shape[0] - y1 <= top and top + 8 * b + 2 <= frame.shape[0] - y0


def test_the_training_page_shows_each_anchor_image_beside_its_ring(
        browser: Any, traced: TracedSnapshots, tmp_path: Path) -> None:
    """Resting on the slice, the morph view draws each anchor's image beside its ring:
    whole blocks of device pixels, each the grey of that pixel of the data row (NumPy),
    near the anchor's place (an affine map fitted to drawn grid points) but not over it;
    between stages, none."""
    from spacewarp.export.training_html import write_training_html
    from spacewarp.view.training_film import training_film

    tf = training_film(traced)
    page, errors, _ = open_page(browser, write_training_html(tf, tmp_path / "t.html"))
    try:
        page.evaluate("window.spacewarp.useWebGL(false); window.spacewarp.show(0)")
        u = tf.keys[-1][0][:tf.probe.count, :2]  # (P, 2) the probe's slice coordinates
        check_page_insets(page, u, every=7, near=30)
        page.evaluate("window.spacewarp.show(0.5)")
        assert page.evaluate(f"{HOOK}.insets()") == []
        assert errors == []
    finally:
        page.close()


def test_the_training_pages_rings_follow_the_snapshot_shown(
        browser: Any, traced: TracedSnapshots, tmp_path: Path) -> None:
    """In a later stage the rings are drawn at the anchors' places of the snapshot shown
    (the film's points after the probe), and move with it."""
    from spacewarp.export.training_html import write_training_html
    from spacewarp.view.training_film import training_film

    tf = training_film(traced)
    page, errors, _ = open_page(browser, write_training_html(tf, tmp_path / "t.html"))
    try:
        k = len(tf.film.stages) - 1
        key = tf.film.stages[k].key
        page.evaluate(f"window.spacewarp.useWebGL(false); window.spacewarp.show({k})")
        seen = []
        for s in (0, len(tf.keys) - 1):
            page.evaluate(f"window.spacewarp.setSnapshot({s})")
            drawn = np.array(page.evaluate(f"Array.from({HOOK}.marks())")).reshape(3, 3)
            want = tf.keys[s][key][tf.probe.count:]  # (3, d) the anchors at snapshot s
            span = np.ptp(tf.keys[s][key], axis=0).max()
            np.testing.assert_allclose(drawn[:, :want.shape[1]], want, atol=1e-3 * span)
            seen.append(drawn)
        assert np.abs(seen[0] - seen[1]).max() > 1e-3  # they moved with training
        assert errors == []
    finally:
        page.close()


def test_a_slice_through_rows_that_are_not_images_stamps_none(tmp_path: Path) -> None:
    """Rows of a table (5 numbers, no image shape): the rings only, no images."""
    import matplotlib

    matplotlib.use("Agg")
    from spacewarp.render.training_frames import TrainingFrames
    from spacewarp.view.training import training_view

    rng = np.random.default_rng(0)
    path = tmp_path / "rows.npz"
    np.savez(path, x=rng.standard_normal((60, 5)), y=np.arange(60) % 2)
    training = sw.train(data=str(path), slice="0,1,2", layers="5,4,2", epochs=1,
                        snapshots=2, probe=6, device="cpu", progress=False, live=False)
    assert training.data.frame is not None and training.data.frame.image_shape is None
    frames = TrainingFrames(training_view(trace_snapshots(training)), (640, 360))
    assert frames.insets is None
    frames.render(0)


@pytest.fixture(scope="module")
def counted() -> TracedSnapshots:
    """A slice training with its exact regions counted at every snapshot."""
    training = sw.train(input="digits", slice="0,6,8", layers="64,8,10", activation="relu",
                        epochs=2, snapshots=2, probe=8, lr=0.01, device="cpu", regions=True,
                        progress=False, live=False)
    return trace_snapshots(training)


@pytest.mark.parametrize("over", [True, False])
def test_training_png_says_when_a_snapshot_has_too_many_regions_to_outline(
        counted: TracedSnapshots, monkeypatch: pytest.MonkeyPatch, over: bool) -> None:
    """With the outline limit one under the last snapshot's polygon count (read from the
    kept polygons), the input panel's title says so, with the count and the limit, and no
    outline is drawn; at the count, the outlines are drawn and nothing is said."""
    import matplotlib

    matplotlib.use("Agg")
    import spacewarp.view.training as view_training
    from spacewarp.measure.training_regions import snapshot_polygons
    from spacewarp.render.training import training_figure

    last = counted.count - 1
    found = snapshot_polygons(counted.training.regions, last)
    assert found is not None
    count = len(found[1])
    assert count > 1
    limit = count - 1 if over else count
    monkeypatch.setattr(view_training, "MAX_OUTLINE_REGIONS", limit)
    fig = training_figure(view_training.training_view(counted, film=False))
    ax_in = next(ax for ax in fig.axes if ax.get_title().startswith("input"))
    words = (f"{count:,} linear regions at epoch {int(counted.training.snapshots[last])}: "
             f"outlines are drawn up to {limit:,} regions")
    titles = [ax.get_title().replace("\n", " ") for ax in fig.axes]
    assert (words in ax_in.get_title().replace("\n", " ")) is over, titles
    assert sum("outlines are drawn up to" in t for t in titles) == int(over)
    lines = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_linewidth() == 0.4]
    drawn = sum(int(np.isfinite(ln.get_xydata()).all(axis=1).sum()) for ln in lines)
    assert (drawn == 0) is over
