"""``spacewarp train``: the files, their contents, re-runs and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from spacewarp.cli import main

SMALL = ["--input", "xor", "--points", "120", "--layers", "2,4,3,2", "--epochs", "15",
         "--snapshots", "5", "--probe", "6", "--lr", "0.05"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("train") / "run"
    assert main(["train", *SMALL, "--device", "cpu", "--out", str(out)]) == 0
    return out


def forward(z: dict[str, np.ndarray], s: int, x: np.ndarray) -> list[np.ndarray]:
    """Linear, tanh... written out with snapshot s's arrays from the file (relu default)."""
    out = [x]
    for k in (0, 2, 4):
        out.append(out[-1] @ z[f"{k}.weight"][s].T + z[f"{k}.bias"][s])
        if k < 4:
            out.append(np.maximum(out[-1], 0.0))
    return out


def test_the_folder_holds_every_file(run_dir: Path) -> None:
    names = sorted(p.name for p in run_dir.iterdir())
    assert names == ["experiment.toml", "model.pt", "training-stages.png", "training.mp4",
                     "training.npz", "training.png", "weights.txt"]


def test_training_npz_is_every_snapshots_stages(run_dir: Path) -> None:
    with np.load(run_dir / "training.npz", allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    s_count = 5
    assert data["epoch"].tolist() == [0, 1, 3, 7, 15]
    for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        assert data[key].shape == (s_count,)
    assert data["0.weight"].shape == (s_count, 4, 2) and data["4.bias"].shape == (s_count, 2)
    x = data["stage_00"][0]
    assert data["labels"].tolist() == (x[:, 0] * x[:, 1] > 0).astype(int).tolist()
    assert data["test"].dtype == bool and data["test"].sum() == 24
    probe = data["probe_stage_00"][0]  # (36, 2) a 6 x 6 grid over the data's box
    assert data["probe_shape"].tolist() == [6, 6]
    for s in range(s_count):
        for k, want in enumerate(forward(data, s, x)):
            np.testing.assert_allclose(data[f"stage_{k:02d}"][s], want, rtol=1e-12,
                                       atol=1e-12)
        out = forward(data, s, probe)
        for k, want in enumerate(out):
            np.testing.assert_allclose(data[f"probe_stage_{k:02d}"][s], want, rtol=1e-12,
                                       atol=1e-12)
        np.testing.assert_array_equal(data["probe_predicted"][s], out[-1].argmax(axis=1))
    assert data["stage_names"].tolist() == ["Input", "Linear 2->4", "ReLU", "Linear 4->3",
                                            "ReLU", "Linear 3->2"]


def test_model_pt_is_the_last_snapshot(run_dir: Path) -> None:
    state = torch.load(run_dir / "model.pt", weights_only=True)
    with np.load(run_dir / "training.npz") as z:
        for name, value in state.items():
            np.testing.assert_array_equal(value.numpy(), z[name][-1])
    assert "[0.weight]" in (run_dir / "weights.txt").read_text()


def test_experiment_toml_reruns_to_identical_bytes(run_dir: Path, tmp_path: Path) -> None:
    toml = (run_dir / "experiment.toml").read_text()
    assert "[train]" in toml and "watch = 4" in toml and 'loss = "cross_entropy"' in toml
    again = tmp_path / "again"
    assert main(["train", "--config", str(run_dir / "experiment.toml"), "--no-film",
                 "--out", str(again)]) == 0
    assert (again / "training.npz").read_bytes() == (run_dir / "training.npz").read_bytes()
    assert not (again / "training.mp4").exists()


def test_the_film_has_a_frame_per_snapshot_and_a_held_end(run_dir: Path) -> None:
    import imageio.v2 as imageio

    reader = imageio.get_reader(run_dir / "training.mp4")
    frames = [f for f in reader]
    assert len(frames) == 5 + 20 and frames[0].shape == (720, 1280, 3)
    assert not np.array_equal(frames[0], frames[4])
    assert np.abs(frames[4].astype(int) - frames[-1].astype(int)).mean() < 1.0


@pytest.mark.parametrize(("flags", "words"), [
    (["--epochs", "0"], "train.epochs must be at least 1"),
    (["--lr", "0"], "train.lr must be more than 0"),
    (["--lr", "nan"], "train.lr must be a finite number"),
    (["--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
    (["--test-split", "0.95"], "train.test_split must be at most 0.9"),
    (["--test-split", "-0.1"], "train.test_split must be at least 0"),
    (["--batch-size", "none"], "batch_size must be a whole number >= 1 or 'full'"),
    (["--input", "gaussian", "--loss", "cross_entropy"], "no labels; inputs with labels"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(
        flags: list[str], words: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "never"
    assert main(["train", *SMALL, *flags, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and err.startswith("spacewarp: error:")
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_nan_loss_writes_the_snapshots_then_says_the_epoch(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "nan"
    code = main(["train", *SMALL, "--activation", "identity", "--lr", "1e3", "--optimizer",
                 "sgd", "--momentum", "0", "--loss", "mse", "--epochs", "100", "--snapshots",
                 "100", "--no-film", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "NaN at epoch" in err and "smaller lr than 1000" in err
    epoch = int(err.split("epoch ")[1].split(";")[0])
    with np.load(out / "training.npz") as z:
        assert z["epoch"].tolist() == list(range(epoch))
        assert np.isfinite(z["stage_03"]).all() and len(z["epoch"]) >= 2


def test_a_training_npz_over_budget_is_refused_before_training(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "big"
    assert main(["train", "--input", "spiral", "--layers", "2,1000,3", "--snapshots", "1000",
                 "--epochs", "1000", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "training.npz would hold" in err and "fewer --snapshots" in err
    assert not out.exists()


@pytest.mark.parametrize(("flags", "flag"), [
    (["--lr", "nan"], "--lr"), (["--epochs", "0"], "--epochs"),
    (["--test-split", "0.95"], "--test-split")])
def test_a_training_mistake_names_its_flag(
        flags: list[str], flag: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", *SMALL, *flags, "--out", str(tmp_path / "never")]) == 2
    assert capsys.readouterr().err.startswith(f"spacewarp: error: {flag}: ")
