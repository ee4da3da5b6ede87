"""Region outlines through training (``train --regions``): the page's and the film's
outline data at a snapshot are that snapshot's own polygons, carried through its network
by a plain torch forward (hooks), in the film's keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hooks import hooked_stages
from pages import open_page
from test_training_regions import SMALL, network, npz_of

import spacewarp as sw
from spacewarp.cli import main
from spacewarp.export.training_html import write_training_html
from spacewarp.render.training_browser import training_spec
from spacewarp.training.file import load_training
from spacewarp.training.snapshots import trace_snapshots
from spacewarp.view.training_film import TrainingFilm, TrainingFilmOptions, training_film


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrainingFilm]:
    out = tmp_path_factory.mktemp("train_outlines") / "run"
    assert main(["train", *SMALL, "--regions", "--out", str(out)]) == 0
    return out, training_film(trace_snapshots(load_training(out / "training.npz")))


def polygons(verts: np.ndarray, count: np.ndarray) -> list[np.ndarray]:
    start = np.concatenate([[0], np.cumsum(count)])
    return [verts[a:b] for a, b in zip(start[:-1], start[1:], strict=True)]


def canonical(polys: list[np.ndarray]) -> list[tuple[float, ...]]:
    """Each polygon as its sorted rounded vertices: the same set however it is ordered."""
    return sorted(tuple(np.round(np.sort(p, axis=0).ravel(), 9)) for p in polys)


@pytest.mark.parametrize("s", [0, 5])
def test_outlines_in_the_input_are_the_snapshots_own_regions(
        run: tuple[Path, TrainingFilm], s: int) -> None:
    out, tf = run
    z = npz_of(out / "training.npz")
    o = tf.outlines[s]
    assert o is not None
    box = tuple(float(v) for v in z["regions_bounds"])
    alone = sw.regions(network(z, s), box)  # that snapshot's network, rebuilt from the file
    input_key = tf.film.stages[0].key
    assert canonical(polygons(o.corners(input_key), o.count)) == canonical(alone.polygons)


@pytest.mark.parametrize("s", [0, 5])
def test_outlines_in_every_stage_are_a_torch_forward_of_the_vertices(
        run: tuple[Path, TrainingFilm], s: int) -> None:
    out, tf = run
    z = npz_of(out / "training.npz")
    o = tf.outlines[s]
    assert o is not None
    verts = o.keys[tf.film.stages[0].key]  # (V, 2) the input is shown as it is
    want = hooked_stages(network(z, s), verts)  # [k - 1] (V, d_k): stage k by hooks
    for k, stage in enumerate(tf.film.stages[1:], start=1):
        proj = tf.recipes.stage_proj[k]  # the film's fixed projection of a wide stage
        expect = proj(want[k - 1])[:, :3]
        np.testing.assert_allclose(o.keys[stage.key], expect, rtol=1e-7, atol=1e-9,
                                   err_msg=f"stage {k}")


def test_the_page_sends_each_snapshots_outlines(run: tuple[Path, TrainingFilm]) -> None:
    _, tf = run
    spec = training_spec(tf)
    for s, entry in enumerate(spec["training"]["snapshots"]):
        o = tf.outlines[s]
        assert o is not None
        r = entry["regions"]
        assert r["count"]["shape"] == [len(o.count)]
        assert [k["shape"] for k in r["keys"]] == [list(k.shape) for k in o.keys]
        assert r["index"]["shape"] == [int(o.count.sum())]
        assert r["title"].startswith(f"{len(o.count):,} linear regions at epoch ")
    assert spec["regions"] == spec["training"]["snapshots"][-1]["regions"]  # shown first


def test_a_training_without_regions_draws_no_outlines(tmp_path: Path) -> None:
    assert main(["train", *SMALL, "--out", str(tmp_path / "run")]) == 0
    tf = training_film(trace_snapshots(load_training(tmp_path / "run" / "training.npz")))
    assert tf.outlines == ()
    assert all(e["regions"] is None for e in training_spec(tf)["training"]["snapshots"])


def test_the_film_draws_each_snapshots_outlines_in_both_panels(
        run: tuple[Path, TrainingFilm]) -> None:
    """training.mp4's panels: snapshot s's outlines are its own regions in the input, and
    in the watched stage an affine image (the run's fixed projection) of a torch forward of
    their vertices; the drawn segments are those polygons, closed."""
    from matplotlib.figure import Figure

    from spacewarp.render.theme import THEMES
    from spacewarp.render.training import TrainingPanels
    from spacewarp.view.training import training_view

    out, _ = run
    z = npz_of(out / "training.npz")
    training = load_training(out / "training.npz")
    view = training_view(trace_snapshots(training))
    box = tuple(float(v) for v in z["regions_bounds"])
    fig = Figure()
    panels = TrainingPanels(view, fig.add_subplot(121), fig.add_subplot(122), THEMES["dark"],
                            4.0)
    for s in (0, 5):
        o = view.outlines[s]
        assert o is not None
        alone = sw.regions(network(z, s), box)
        assert canonical(polygons(o.input, o.count)) == canonical(alone.polygons)
        watched = hooked_stages(network(z, s), o.input)[training.watch - 1]  # (V, d_k)
        design = np.concatenate([watched, np.ones((len(watched), 1))], axis=1)
        fit, *_ = np.linalg.lstsq(design, o.watch, rcond=None)
        np.testing.assert_allclose(design @ fit, o.watch, atol=1e-8)
        panels.show(s)
        for lines, xy in zip(panels.outlines, (o.input, o.watch), strict=True):
            path = lines.get_xydata()  # polygons closed, then a NaN row each
            breaks = np.flatnonzero(np.isnan(path[:, 0]))
            drawn = np.split(path, breaks + 1)[:-1]
            assert len(drawn) == len(o.count)
            np.testing.assert_allclose(np.concatenate([d[:-2] for d in drawn]), xy)
            assert all(np.array_equal(d[0], d[-2]) for d in drawn)  # closed


def paused_after(exp: Any, epochs: int) -> tuple[dict[str, Any], Any]:
    """The explorer's paused training view (its page spec) after ``epochs`` epochs, stepped
    one at a time as the Step button does, and the live run."""
    from spacewarp.app import training_task

    run = training_task.start(exp)
    training_task.frame(run, 0)
    for _ in range(epochs):
        training_task.advance(run, epochs=1)
    spec, _ = training_task.paused_frame(run, 1)
    return spec, run


def test_the_explorers_paused_view_draws_the_outlines_with_regions_on() -> None:
    """The explorer's paused training view is the training page's spec: with the Regions
    control on, each snapshot's outlines are its own network's regions."""
    from spacewarp.app import training_task
    from spacewarp.config.experiment import validated
    from spacewarp.measure.training_regions import regions_box

    exp = validated({"input": {"name": "xor", "points": 80}, "network": {"layers": [2, 6, 2]},
                     "train": {"epochs": 6, "probe": 10}, "style": {"regions": "region"},
                     "device": "cpu"})
    spec, run = paused_after(exp, epochs=5)
    training = training_task.training_of(run)
    box = regions_box(training.experiment, training.data)  # the probe grid's box
    for s, entry in enumerate(spec["training"]["snapshots"]):
        assert entry["regions"] is not None
        alone = sw.regions(training.model(s), box)
        assert entry["regions"]["count"]["shape"] == [len(alone)]
    off = validated({**exp.model_dump(), "style": {**exp.style.model_dump(), "regions": "off"}})
    spec, _ = paused_after(off, epochs=1)
    assert all(e["regions"] is None for e in spec["training"]["snapshots"])


@pytest.fixture(scope="module")
def capped(run: tuple[Path, TrainingFilm]) -> TrainingFilm:
    """The run's page with room for the outlines of two of its six snapshots."""
    out, tf = run
    biggest = max(o.nbytes for o in tf.outlines if o is not None)  # one snapshot's bytes
    return training_film(trace_snapshots(load_training(out / "training.npz")),
                         TrainingFilmOptions(max_outline_bytes=2 * biggest + 1))


def test_snapshots_past_the_cap_hold_the_last_outlines_drawn(capped: TrainingFilm) -> None:
    """No blinking: a snapshot the byte cap leaves without outlines shows the last earlier
    snapshot's that has them, and its title says which epoch they are of."""
    own = [i for i, o in enumerate(capped.outlines) if o is not None]
    assert 1 < len(own) < len(capped.outlines) and own[0] == 0
    spec = training_spec(capped)
    epochs = spec["training"]["epoch"]
    for s, entry in enumerate(spec["training"]["snapshots"]):
        r = entry["regions"]
        if s in own:
            assert "count" in r
            continue
        held = max(i for i in own if i < s)
        assert r["held"] == held
        assert f"outlines of epoch {epochs[held]} shown" in r["title"]
        assert f"at epoch {epochs[s]};" in r["title"]


def test_play_never_blinks_the_outlines(capped: TrainingFilm, browser: Any,
                                        tmp_path: Path) -> None:
    """On the page, every snapshot (and every moment of Play between them) draws
    outlines: its own, or the held snapshot's, with the caption naming their epoch."""
    page_path = write_training_html(capped, tmp_path / "capped.html")
    page, errors, _ = open_page(browser, page_path)
    own = [i for i, o in enumerate(capped.outlines) if o is not None]
    epochs = [int(e) for e in capped.times.epoch]
    for s in range(len(capped.outlines)):
        page.evaluate(f"window.spacewarp.setSnapshot({s})")
        drawn = page.evaluate("window.spacewarp.regions()")
        held = max(i for i in own if i <= s)
        o = capped.outlines[held]
        assert o is not None and drawn is not None
        assert np.diff(drawn["start"]).tolist() == o.count.tolist()
        title = page.locator(".sw-regions-title").inner_text()
        assert f"epoch {epochs[held]}" in title
    assert not errors


def test_the_explorers_paused_view_says_why_it_draws_no_outlines() -> None:
    """With Regions on and a network that has no exact regions (tanh), the paused view
    draws none and says why on the view (its note), instead of silently."""
    from spacewarp.config.experiment import validated

    exp = validated({"input": {"name": "xor", "points": 80},
                     "network": {"layers": [2, 6, 2], "activation": "tanh"},
                     "train": {"epochs": 4, "probe": 10}, "style": {"regions": "region"},
                     "device": "cpu"})
    spec, _ = paused_after(exp, epochs=3)
    assert all(e["regions"] is None for e in spec["training"]["snapshots"])
    assert "no region outlines: " in spec["sample_note"]
    assert "tanh" in spec["sample_note"]


def test_every_snapshot_draws_its_own_thinned_outlines_on_the_page(
        run: tuple[Path, TrainingFilm], browser: Any, tmp_path: Path) -> None:
    """Uncapped, every snapshot carries its own outlines: in Chromium each one draws its
    own polygons (corners: the unique vertices by index, as sent) under its own epoch's
    caption, in the input at the polygons' own corners (int16 on the page)."""
    out, tf = run
    z = npz_of(out / "training.npz")
    assert all(o is not None for o in tf.outlines) and tf.held[0][0] == 0
    page, errors, _ = open_page(browser, write_training_html(tf, tmp_path / "own.html"))
    key = tf.film.stages[0].key
    show = """() => { window.spacewarp.show(0); const r = window.spacewarp.regions()
      return {start: Array.from(r.start), points: Array.from(r.points)} }"""
    for s, o in enumerate(tf.outlines):
        assert o is not None
        page.evaluate(f"window.spacewarp.setSnapshot({s})")
        drawn = page.evaluate(show)
        assert np.diff(drawn["start"]).tolist() == o.count.tolist()
        points = np.array(drawn["points"]).reshape(-1, 3)[:, :2]
        corners = o.corners(key)
        span = np.ptp(corners, axis=0)
        np.testing.assert_allclose(points, corners, atol=float(span.max()) * 1e-4)
        box = tuple(float(v) for v in z["regions_bounds"])
        assert len(o.count) == len(sw.regions(network(z, s), box))  # every region drawn
        title = page.locator(".sw-regions-title").inner_text()
        assert title.startswith(f" {len(o.count):,} linear regions at epoch "
                                f"{int(tf.times.epoch[s])} "), title
    assert not errors


def test_a_snapshot_before_the_first_kept_one_says_none_were_kept_not_too_many() -> None:
    """Held captions by rule, on stand-ins: under the limit with nothing kept before, the
    caption says no outlines were kept (not that it has too many); over the limit, it
    says too many; after a kept one, it names the epoch held."""
    from types import SimpleNamespace

    from spacewarp.view.outlines import MAX_OUTLINE_REGIONS
    from spacewarp.view.training_film import held_outlines

    totals = np.array([50, MAX_OUTLINE_REGIONS + 1, 60, 70])
    training = SimpleNamespace(snapshots=np.array([0, 1, 2, 3]),
                               regions={"regions_total": totals})
    kept = SimpleNamespace(title="60 linear regions at epoch 2")
    got = held_outlines((None, None, kept, None), SimpleNamespace(training=training),
                        np.arange(4))
    assert got[0] == (-1, "50 linear regions at epoch 0; no outlines kept for it (the page "
                          "keeps outlines at an even subset of snapshots)")
    assert got[1][0] == -1 and "outlines are drawn up to" in got[1][1]
    assert got[2] == (2, kept.title)
    assert got[3][0] == 2 and "70 linear regions at epoch 3; outlines of epoch 2" in got[3][1]
