"""``write_render``: every file present, trace.npz readable without pickle and
reproducible from experiment.toml, weights.txt against numpy's SVD, all or nothing."""

from __future__ import annotations

import gc
import re
import stat
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

import spacewarp.export.stills as stills
from spacewarp.cli import main
from spacewarp.config.experiment import load_experiment, validated
from spacewarp.pipeline import run
from spacewarp.tracing.trace import Trace

NAMES = ["stages.png", "stage-00-input.png", "stage-01-linear.png", "stage-02-tanh.png",
         "stage-03-linear.png", "stage-04-tanh.png", "stage-05-linear.png", "trace.npz",
         "experiment.toml", "weights.txt"]


@pytest.fixture(scope="module")
def default() -> Trace:
    return run(validated({"input": {"points": 200}, "device": "cpu"}))


@pytest.fixture(scope="module")
def rendered(default: Trace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("render") / "out"
    written = stills.write_render(default, out)
    assert [p.name for p in written] == NAMES
    return out


def test_every_file_is_written_and_readable(rendered: Path) -> None:
    assert sorted(p.name for p in rendered.iterdir()) == sorted(NAMES)
    for name in NAMES:
        mode = (rendered / name).stat().st_mode
        assert mode & stat.S_IRUSR and mode & stat.S_IRGRP  # not mkstemp's 0600
    for name in NAMES[:7]:
        with Image.open(rendered / name) as im:
            assert im.format == "PNG" and min(im.size) > 300


def test_npz_holds_the_trace_without_pickle(default: Trace, rendered: Path) -> None:
    with np.load(rendered / "trace.npz", allow_pickle=False) as z:
        for k, stage in enumerate(default.stages):
            a = z[f"stage_{k:02d}"]
            assert a.dtype == np.float64 and a.shape == (200, stage.dim)
            np.testing.assert_array_equal(a, stage.points)
        assert z["stage_names"].dtype.kind == "U"
        assert z["stage_names"].tolist() == [s.title for s in default.stages]
        np.testing.assert_array_equal(z["color"], default.color)
        assert "labels" not in z.files
        assert {"0.weight", "2.weight", "4.weight"} <= set(z.files)
        for name, value in default.params.items():
            np.testing.assert_array_equal(z[name], value)
        np.testing.assert_array_equal(z["0.weight"], [[3, 0], [0, 3], [6, 6]])


def test_npz_members_have_numpy_savezs_shapes(default: Trace, tmp_path: Path) -> None:
    """Every member as ``numpy.savez`` writes the same arrays: the 0-d strings (``capture``,
    ``capture_note``) stay 0-d, and a transposed (Fortran-ordered) array keeps its
    values."""
    extra = {"turned": np.arange(6.0).reshape(2, 3).T}  # not C-contiguous
    stills.write_trace_npz(default, tmp_path / "ours.npz", extra)
    np.savez(tmp_path / "numpys.npz", **stills.trace_arrays(default), **extra)
    with np.load(tmp_path / "ours.npz") as ours, np.load(tmp_path / "numpys.npz") as theirs:
        assert ours.files == theirs.files
        for name in theirs.files:
            assert ours[name].shape == theirs[name].shape, name
            np.testing.assert_array_equal(ours[name], theirs[name])
        assert ours["capture"].shape == () and str(ours["capture"]) == default.capture


def test_npz_labels_and_grid_shape(tmp_path: Path) -> None:
    spiral = run(validated({"input": {"name": "spiral", "points": 90}, "device": "cpu"}))
    stills.write_trace_npz(spiral, tmp_path / "s.npz")
    with np.load(tmp_path / "s.npz", allow_pickle=False) as z:
        assert z["labels"].dtype == np.int64
        np.testing.assert_array_equal(z["labels"], spiral.labels)
    grid = run(validated({"input": {"name": "grid", "params": {"step": 1.0}}, "device": "cpu"}))
    stills.write_trace_npz(grid, tmp_path / "g.npz")
    with np.load(tmp_path / "g.npz", allow_pickle=False) as z:
        assert z["grid_shape"].tolist() == [10, 10]


def test_npz_bytes_are_deterministic(default: Trace, tmp_path: Path) -> None:
    stills.write_trace_npz(default, tmp_path / "a.npz")
    stills.write_trace_npz(default, tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_weights_txt_singular_values_match_numpy(default: Trace, rendered: Path) -> None:
    text = (rendered / "weights.txt").read_text()
    found = [np.array(line.split(":", 1)[1].split(), dtype=float)
             for line in text.splitlines() if line.startswith("singular values:")]
    weights = [s.weight for s in default.stages if s.weight is not None]
    assert len(found) == len(weights) == 3
    for sv, w in zip(found, weights, strict=True):
        np.testing.assert_allclose(sv, np.linalg.svd(w, compute_uv=False), rtol=1e-5)
    assert re.search(r"W = \[\[3\., 0\.\],\n\s+\[0\., 3\.\],\n\s+\[6\., 6\.\]\]", text)


def test_rerender_from_experiment_toml_is_bit_identical(rendered: Path, tmp_path: Path,
                                                        default: Trace) -> None:
    assert load_experiment(rendered / "experiment.toml") == default.experiment
    again = tmp_path / "again"
    assert main(["render", "--config", str(rendered / "experiment.toml"),
                 "--out", str(again)]) == 0
    assert (again / "trace.npz").read_bytes() == (rendered / "trace.npz").read_bytes()
    assert (again / "experiment.toml").read_text() == (rendered / "experiment.toml").read_text()


def test_failure_midway_leaves_nothing(default: Trace, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(trace: Trace, path: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(stills, "write_weights_txt", broken)
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "stages.png").write_bytes(b"old")
    with pytest.raises(RuntimeError):
        stills.write_render(default, existing)
    assert [p.name for p in existing.iterdir()] == ["stages.png"]
    assert (existing / "stages.png").read_bytes() == b"old"
    with pytest.raises(RuntimeError):
        stills.write_render(default, tmp_path / "fresh")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing"]  # no temp folders left



@pytest.mark.parametrize("on_before", [True, False])
def test_pictures_are_drawn_with_the_collector_paused(default: Trace, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      on_before: bool) -> None:
    """No cyclic collection runs while the figures are drawn (each walks every live
    object: ~0.1 s at 1e6 points), and the collector is left as it was found."""
    collector_on: list[bool] = []  # gc.isenabled() as each figure is drawn
    draw = stills.drawn_rgba

    def watched(fig: Figure) -> np.ndarray:
        collector_on.append(gc.isenabled())
        return draw(fig)

    monkeypatch.setattr(stills, "drawn_rgba", watched)
    (gc.enable if on_before else gc.disable)()
    try:
        names = stills.write_pictures(default, tmp_path)
        assert gc.isenabled() is on_before
    finally:
        gc.enable()
    assert names == [n for n in NAMES if n.endswith(".png")]
    assert collector_on == [False] * len(names)


def test_overlapping_pauses_leave_the_collector_on() -> None:
    """Two exports in threads pause the collector in turns that overlap (the first one
    out is not the last): it stays off until the last one is out, then is on again."""
    gc.enable()
    first, second = stills.collector_paused(), stills.collector_paused()
    try:
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)
        assert not gc.isenabled()  # the second export still draws
        second.__exit__(None, None, None)
        assert gc.isenabled()
    finally:
        gc.enable()
