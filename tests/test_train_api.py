"""The notebook API for training: sw.train, Training's methods, figures and the film."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import spacewarp as sw
from spacewarp.config.experiment import validated
from spacewarp.training.train import Curves, train


@pytest.fixture(scope="module")
def training() -> sw.Training:
    return sw.train(input="moons", points=150, layers="2,4,2,2", activation="tanh",
                    epochs=12, snapshots=4, probe=5, lr=0.05, device="cpu", progress=False)


def test_sw_train_takes_cli_names(training: sw.Training) -> None:
    assert training.snapshots.tolist() == [0, 1, 5, 12]
    spec = training.experiment.train
    assert spec is not None and spec.epochs == 12 and spec.lr == 0.05 and spec.watch == 4
    with pytest.raises(sw.SpacewarpError, match="unknown option 'epoch'"):
        sw.train(epoch=3)


def test_model_and_trace_of_a_snapshot(training: sw.Training) -> None:
    x = torch.from_numpy(np.array(training.points.x))
    for s in range(4):
        tr = training.trace(s)
        assert isinstance(tr, sw.Trace) and tr.experiment == training.experiment
        with torch.no_grad():
            out = training.model(s)(x).numpy()
        np.testing.assert_array_equal(tr.output, out)
    assert isinstance(training.curves, Curves) and training.curves.train_loss.shape == (4,)


def test_the_figure_draws_the_watched_stage_of_the_last_snapshot(
        training: sw.Training) -> None:
    fig = sw.training_figure(training)
    ax_w = fig.axes[2]
    want = training.trace(-1).stages[4].points  # 2-D: drawn as it is
    drawn = [c.get_offsets() for c in ax_w.collections]
    assert any(d.shape == want.shape and np.allclose(d, want, rtol=0, atol=0)
               for d in drawn)
    assert ax_w.get_title().startswith("stage 4: Tanh")
    probe = training.probe_trace(-1)  # the probe grid's heat map, carried to the stage
    assert probe is not None and training.probe is not None
    side = training.probe.shape[0]
    meshes = [c for c in ax_w.collections if hasattr(c, "get_coordinates")]
    assert len(meshes) == 1
    np.testing.assert_allclose(meshes[0].get_coordinates(),
                               probe.stages[4].points.reshape(side, side, 2), atol=1e-12)


def test_the_film_moves_continuously_between_snapshots(training: sw.Training) -> None:
    """Every frame's drawn data lie on the straight path between two consecutive
    snapshots' forward passes (the watched stage is 2-D: drawn as it is), the path runs
    from the first snapshot to the last, consecutive frames move the points by less than
    4% of the box (one frame per snapshot jumped further), and the epoch runs with them."""
    from spacewarp.render.training_frames import TrainingFrames
    from spacewarp.training.snapshots import trace_snapshots
    from spacewarp.view.training import training_view

    frames = TrainingFrames(training_view(trace_snapshots(training)), (320, 180))
    ref = np.stack([training.trace(s).stages[4].points for s in range(4)])  # (4, N, 2)
    ax = frames.panels.ax_w
    size = np.hypot(np.ptp(ax.get_xlim()), np.ptp(ax.get_ylim()))
    assert np.abs(ref[1:] - ref[:-1]).max() > 0.04 * size  # snapshots jump further
    where, drawn, epochs = [], [], []
    for i in range(len(frames)):
        frames.render(i)
        got = np.asarray(frames.panels.data_w.get_offsets())  # (N, 2)
        where.append(_on_path(got, ref))
        drawn.append(got)
        epochs.append(int(frames.title.get_text().split()[1]))
    assert where[0] == 0.0 and where[-1] == 3.0 and np.all(np.diff(where) >= -1e-9)
    steps = [np.abs(b - a).max() for a, b in zip(drawn, drawn[1:], strict=False)]
    assert max(steps) < 0.04 * size and len(frames) >= 3 * 24
    assert epochs[0] == 0 and epochs[-1] == 12 and np.all(np.diff(epochs) >= 0)
    assert len(set(epochs)) > 4  # the counter runs between snapshots (0, 1, 5, 12)
    assert "interpolated" in " ".join(t.get_text() for t in frames.fig.texts)


def _on_path(points: np.ndarray, ref: np.ndarray) -> float:
    """t such that ``points`` = (1 - u) ref[s] + u ref[s + 1], t = s + u (else fail)."""
    for s in range(len(ref) - 1):
        step = ref[s + 1] - ref[s]
        u = float(((points - ref[s]) * step).sum() / (step * step).sum())
        if -1e-9 <= u <= 1 + 1e-9 and np.allclose(points, ref[s] + u * step, atol=1e-9):
            return s + u
    raise AssertionError("a frame's points are not between two snapshots")


def test_the_callback_sees_every_snapshot_as_it_is_taken() -> None:
    seen: list[tuple[int, int]] = []
    exp = validated({"input": {"name": "xor", "points": 60}, "network": {"layers": [2, 3, 2]},
                     "train": {"epochs": 9, "snapshots": 4}, "device": "cpu"})
    result = train(exp, progress=False, callback=lambda e, c: seen.append((e, len(c.epoch))))
    assert seen == [(int(e), i + 2) for i, e in enumerate(result.snapshots[1:])]


def test_the_decision_is_carried_through_every_stage(training: sw.Training) -> None:
    fig = sw.training_stages(training)
    probe = training.probe_trace(-1)
    assert probe is not None
    predicted, _ = training.decision(-1)
    side = training.probe.shape[0]  # a side x side grid, rows along the input's y
    for k in (3, 4, 5):  # the 2-D stages: drawn as they are
        ax = fig.axes[k]
        mesh, data_pts = ax.collections  # the probe: a warped heat map of lattice cells
        np.testing.assert_array_equal(mesh.get_coordinates(),
                                      probe.stages[k].points.reshape(side, side, 2))
        np.testing.assert_array_equal(data_pts.get_offsets(), training.trace(-1).stages[k].points)
    # each cell is coloured by its lower-left corner's decision: one colour family per class
    colors = np.asarray(fig.axes[5].collections[0].get_array()).reshape(-1, 3)  # (cells, 3)
    corner = predicted.reshape(side, side)[:-1, :-1].ravel()
    assert {0, 1} <= set(corner.tolist())
    assert not np.allclose(colors[corner == 0].mean(axis=0), colors[corner == 1].mean(axis=0))
    assert np.allclose(fig.get_facecolor()[:3], 0.0)  # the dark theme: a black background
    palette = {0: (0xE6, 0x9F, 0x00), 1: (0x56, 0xB4, 0xE9)}  # Okabe & Ito: classes 0, 1
    for c, rgb in palette.items():  # class c's colour, faded toward black by how sure
        hue = np.array(rgb) / 255.0
        cells = colors[corner == c]
        t = cells @ hue / (hue @ hue)  # (cells,)
        np.testing.assert_allclose(cells, t[:, None] * hue, atol=1e-6)
        assert t.min() >= 0.1 - 1e-9 and t.max() <= 0.55 + 1e-9
