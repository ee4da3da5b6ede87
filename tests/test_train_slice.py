"""Training on a slice (issue 18): the network trains on the whole data set in its own
dimension, and the slice (fixed before training) is shown at every snapshot. Checked
against references made here: NumPy's QR for the axes, a model rebuilt from
training.npz's parameters and run with forward hooks on ``origin + u @ axes``, torch's
own cross entropy on the 64-D digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hooks import hooked_stages
from torch import nn

import spacewarp as sw
from spacewarp.cli import main
from spacewarp.inputs.points import make_points

DIGITS = make_points("digits")  # (1797, 64), labels 0-9
ROWS = [0, 6, 8]  # a 0, a 6 and an 8
SIDE = 9  # probe grid points per side


def qr_axes(x: np.ndarray, rows: list[int]) -> np.ndarray:
    """(2, D): NumPy's QR of the offsets from the first row, signed so R's diagonal > 0."""
    q, r = np.linalg.qr((x[rows[1:]] - x[rows[0]]).T)  # (D, 2), (2, 2)
    return (q * np.sign(np.diag(r))).T


def rebuilt(z: np.lib.npyio.NpzFile, s: int) -> nn.Sequential:
    """64 -> 16 -> ReLU -> 10, float64, holding snapshot ``s``'s parameters from the npz."""
    model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10)).double()
    state = {k: torch.from_numpy(np.array(z[k][s])) for k in model.state_dict()}
    model.load_state_dict(state)
    return model


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    training = sw.train(input="digits", slice="0,6,8", layers="64,16,10", activation="relu",
                        epochs=6, snapshots=4, probe=SIDE, lr=0.01, device="cpu",
                        progress=False, live=False)
    out = tmp_path_factory.mktemp("slice") / "run"
    sw.save_training(training, out, film=False, probe_stages=True, float64=True)
    return out


def test_the_slice_is_gram_schmidt_through_the_rows_and_recorded(run: Path) -> None:
    with np.load(run / "training.npz") as z:
        np.testing.assert_array_equal(z["slice_origin"], DIGITS.x[0])
        np.testing.assert_allclose(z["slice_axes"], qr_axes(DIGITS.x, ROWS), atol=1e-12)
        np.testing.assert_array_equal(z["slice_rows"], ROWS)
        assert tuple(z["probe_shape"]) == (SIDE, SIDE)


def test_every_snapshots_stages_are_its_network_on_origin_plus_u_axes(run: Path) -> None:
    with np.load(run / "training.npz") as z:
        origin, axes, box = z["slice_origin"], z["slice_axes"], z["slice_box"]
        # the probe: a grid over the slice's box, the first slice axis fastest
        first, second = np.meshgrid(np.linspace(box[0], box[1], SIDE),
                                    np.linspace(box[2], box[3], SIDE), indexing="xy")
        u = np.stack([first.ravel(), second.ravel()], axis=1)  # (P, 2)
        count = len(z["epoch"])
        assert count == 4
        for s in range(count):
            np.testing.assert_allclose(z["probe_stage_00"][s], u, atol=1e-12)
            want = hooked_stages(rebuilt(z, s), origin + u @ axes)
            got = [z[f"probe_stage_{k:02d}"][s] for k in range(1, 4)]
            for g, w in zip(got, want, strict=True):
                np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-9)
            anchors = hooked_stages(rebuilt(z, s), DIGITS.x[ROWS])
            for k, w in enumerate(anchors, start=1):
                np.testing.assert_allclose(z[f"anchor_stage_{k:02d}"][s], w, atol=1e-9)
        # the learning moved the slice's images: the first and last snapshots differ
        assert not np.allclose(z["probe_stage_03"][0], z["probe_stage_03"][-1])


def test_the_slice_is_the_same_at_every_snapshot(run: Path) -> None:
    axes = qr_axes(DIGITS.x, ROWS)
    anchors = (DIGITS.x[ROWS] - DIGITS.x[0]) @ axes.T  # (3, 2): (0, 0), (|x6 - x0|, 0), ...
    with np.load(run / "training.npz") as z:
        for s in range(len(z["epoch"])):
            np.testing.assert_array_equal(z["probe_stage_00"][s], z["probe_stage_00"][0])
            np.testing.assert_allclose(z["anchor_stage_00"][s], anchors, atol=1e-9)


def test_training_used_the_64_d_data_and_its_loss(run: Path) -> None:
    with np.load(run / "training.npz") as z:
        assert z["stage_00"].shape == (4, 1797, 64)
        np.testing.assert_array_equal(z["stage_00"][-1], DIGITS.x)
        train = ~z["test"]
        x = torch.from_numpy(DIGITS.x[train])
        y = torch.from_numpy(DIGITS.labels[train])
        with torch.no_grad():
            loss = float(nn.functional.cross_entropy(rebuilt(z, -1)(x), y))
        np.testing.assert_allclose(z["train_loss"][-1], loss, rtol=1e-9)
        np.testing.assert_array_equal(z["labels"], DIGITS.labels)


def test_load_training_gives_the_same_slice_and_decision(run: Path) -> None:
    loaded = sw.load_training(run / "training.npz")
    assert loaded.probe is not None and loaded.probe.frame is not None
    with np.load(run / "training.npz") as z:
        np.testing.assert_array_equal(loaded.probe.frame.axes, z["slice_axes"])
        predicted, _ = loaded.decision(-1)
        np.testing.assert_array_equal(predicted, z["probe_predicted"][-1])


def test_the_views_show_the_anchors_titled(run: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from spacewarp.render.training import decision_stages_figure, training_figure
    from spacewarp.training.snapshots import trace_snapshots
    from spacewarp.view.training import training_views

    views = training_views(trace_snapshots(sw.load_training(run / "training.npz")))
    assert views.still is not None and views.stages is not None
    axes = qr_axes(DIGITS.x, ROWS)
    np.testing.assert_allclose(views.still.data_in, (DIGITS.x[ROWS] - DIGITS.x[0]) @ axes.T,
                               atol=1e-9)
    names = ["row 0 (0)", "row 6 (6)", "row 8 (8)"]
    for fig in (training_figure(views.still), decision_stages_figure(views.stages)):
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert all(name in texts for name in names), texts


def test_the_training_stills_ring_the_anchors_as_the_stills_do(run: Path) -> None:
    """Every panel showing the anchors rings them (at the anchors' own points) with the
    stills' ring: its size and line read off a slice's still (it was the dots' thin edge)."""
    import matplotlib

    matplotlib.use("Agg")
    from spacewarp.render.static import stage_figure
    from spacewarp.render.training import decision_stages_figure, training_figure
    from spacewarp.training.snapshots import trace_snapshots
    from spacewarp.view.training import training_views

    views = training_views(trace_snapshots(sw.load_training(run / "training.npz")))
    assert views.still is not None and views.stages is not None
    still = sw.run(input="digits", slice="0,6,8", points=100, layers="64,16,10")
    (ring,) = [c for ax in stage_figure(still, 0).axes for c in ax.collections
               if c.get_gid() == "anchors-0"]
    plain = [views.still.data_in, views.still.data_watch[-1]]  # shown at the last snapshot
    panels = [(training_figure(views.still), plain),
              (decision_stages_figure(views.stages), [p.data for p in views.stages.planes])]
    for fig, points in panels:
        rings = [c for ax in fig.axes for c in ax.collections if c.get_gid() == "anchor-rings"]
        assert len(rings) == len(points)
        for drawn, at in zip(rings, points, strict=True):
            np.testing.assert_allclose(drawn.get_offsets(), at)
            np.testing.assert_array_equal(drawn.get_sizes(), ring.get_sizes())
            np.testing.assert_array_equal(drawn.get_linewidths(), ring.get_linewidths())
            assert len(drawn.get_facecolors()) == 0 or drawn.get_facecolors()[:, 3].max() == 0


def test_the_training_pages_input_axes_are_the_slices_coordinates(run: Path) -> None:
    from spacewarp.render.training_browser import training_spec
    from spacewarp.training.snapshots import trace_snapshots
    from spacewarp.view.training_film import training_film

    tf = training_film(trace_snapshots(sw.load_training(run / "training.npz")))
    assert training_spec(tf)["stages"][0]["axes"] == ["slice[0]", "slice[1]"]


def test_a_rerun_of_experiment_toml_is_bit_identical(tmp_path: Path) -> None:
    flags = ["--input", "digits", "--slice", "5,50,500", "--layers", "64,8,10",
             "--activation", "relu", "--epochs", "3", "--snapshots", "3", "--probe", "6",
             "--no-film"]
    assert main(["train", *flags, "--out", str(tmp_path / "a")]) == 0
    toml = tmp_path / "a" / "experiment.toml"
    assert 'slice = "5,50,500"' in toml.read_text()
    assert main(["train", "--config", str(toml), "--no-film", "--out",
                 str(tmp_path / "b")]) == 0
    assert (tmp_path / "a" / "training.npz").read_bytes() == \
        (tmp_path / "b" / "training.npz").read_bytes()


TINY_CNN = ("from torch import nn\n"
            "class Tiny(nn.Sequential):\n"
            "    def __init__(self):\n"
            "        super().__init__(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(),\n"
            "                         nn.Linear(72, 10))\n")  # a CNN on 8x8 rows


def test_an_image_shaped_model_trains_on_the_slice(tmp_path: Path) -> None:
    """A CNN takes (n, 1, 8, 8): training reshapes the rows, the slice's stages follow."""
    source = tmp_path / "cnn.py"
    source.write_text(TINY_CNN)
    training = sw.train(input="digits", input_shape="1,8,8", model=f"{source}:Tiny",
                        slice="pca", epochs=2, snapshots=2, probe=5, device="cpu",
                        progress=False, live=False)
    assert training.probe is not None and training.probe.x.shape == (25, 2)
    model = training.model(-1).double()
    frame = training.probe.frame
    assert frame is not None
    x = frame.inputs(training.probe.x).reshape(-1, 1, 8, 8)
    want = hooked_stages(model, x)[-1]
    got = training.probe_trace(-1)
    assert got is not None
    np.testing.assert_allclose(got.output, want, atol=1e-9)



def test_a_cnn_trains_from_the_cli_with_its_input_shape_inferred(tmp_path: Path,
                                                                  capsys) -> None:
    """No --input-shape: the shape is inferred from the first Conv2d as tracing infers it,
    said in one note (not once per preparation), recorded in experiment.toml, and the
    training's last snapshot is the model's own forward on the 8x8 images."""
    import tomllib

    from spacewarp.cli import main
    from spacewarp.training.file import load_training

    source = tmp_path / "cnn.py"
    source.write_text(TINY_CNN)
    out = tmp_path / "run"
    assert main(["train", "--model", f"{source}:Tiny", "--input", "digits", "--slice",
                 "0,6,8", "--epochs", "2", "--snapshots", "2", "--probe", "5",
                 "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count("input shape 1,8,8 inferred") == 1, err
    written = tomllib.loads((out / "experiment.toml").read_text())
    assert written["input"]["shape"] == [1, 8, 8]
    training = load_training(out / "training.npz")
    frame = training.probe.frame if training.probe is not None else None
    assert frame is not None
    x = frame.inputs(training.probe.x).reshape(-1, 1, 8, 8)
    want = hooked_stages(training.model(-1).double(), x)[-1]
    got = training.probe_trace(-1)
    assert got is not None
    np.testing.assert_allclose(got.output, want, atol=1e-9)


def data_file(tmp_path: Path, rows: np.ndarray) -> str:
    path = tmp_path / "rows.npz"
    np.savez(path, x=rows, y=np.array([0, 1, 0, 1]))
    return str(path)


@pytest.mark.parametrize("flags, words", [
    (["--input", "digits", "--slice", "0,10,5000"], "row 5000 is out of range"),
    (["--input", "digits", "--slice", "0,10"], "is a line"),
    (["--data", "COLLINEAR", "--slice", "0,1,2"], "lie on one line"),
])
def test_bad_slices_for_training_are_one_line(tmp_path: Path, capsys, flags: list[str],
                                              words: str) -> None:
    collinear = np.array([[0.0, 1.0, 2.0], [1.0, 2.5, 4.0], [2.0, 4.0, 6.0],
                          [5.0, 0.0, 1.0]])
    flags = [data_file(tmp_path, collinear) if f == "COLLINEAR" else f for f in flags]
    out = tmp_path / "out"
    assert main(["train", *flags, "--epochs", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("spacewarp: error: --slice:") \
        and words in err, err
    assert not out.exists()


@pytest.mark.parametrize("rows, width", [(300, 40), (20, 40)])
def test_the_watched_plane_is_the_leading_principal_plane(rows: int, width: int) -> None:
    """The fixed plane of a wide stage spans NumPy's two leading right singular vectors."""
    from spacewarp.view.training import leading_directions

    rng = np.random.default_rng(3)
    x = rng.standard_normal((rows, width)) * np.linspace(5, 0.1, width)  # distinct spreads
    centred = x - x.mean(axis=0)
    got = leading_directions(centred)  # (width, 2)
    want = np.linalg.svd(centred, full_matrices=False)[2][:2].T
    np.testing.assert_allclose(np.abs(got.T @ want), np.eye(2), atol=1e-9)


@pytest.mark.parametrize("text, anchors", [("5", 1), ("pca", 0)])
def test_principal_slices_train_and_draw_with_their_anchors(text: str, anchors: int) -> None:
    """``I``: one anchor at (0, 0); ``pca``: none, and every box still holds the grid."""
    import matplotlib

    matplotlib.use("Agg")
    from spacewarp.render.training import decision_stages_figure, training_figure
    from spacewarp.training.snapshots import trace_snapshots
    from spacewarp.view.training import training_views
    from spacewarp.view.training_film import training_film

    training = sw.train(input="digits", slice=text, layers="64,4,10", activation="relu",
                        epochs=2, snapshots=2, probe=6, device="cpu", progress=False,
                        live=False)
    traced = trace_snapshots(training)
    views = training_views(traced)
    assert views.still is not None and views.stages is not None
    assert views.still.data_in.shape == (anchors, 2)
    if anchors:
        np.testing.assert_allclose(views.still.data_in, [[0.0, 0.0]], atol=1e-12)
        want = hooked_stages(training.model(-1).double(), DIGITS.x[[5]])[-1]
        np.testing.assert_allclose(traced.shown(3)[-1], want, atol=1e-9)
    x0, x1, y0, y1 = views.still.watch_box  # holds the probe's rows in the watched stage
    probe = views.still.probe_watch[-1]
    assert (probe[:, 0] >= x0).all() and (probe[:, 0] <= x1).all()
    assert (probe[:, 1] >= y0).all() and (probe[:, 1] <= y1).all()
    training_figure(views.still)
    decision_stages_figure(views.stages)
    assert training_film(traced).probe.count == 36
