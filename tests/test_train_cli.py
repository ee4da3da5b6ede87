"""``spacewarp train``: the files, their contents, re-runs and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from spacewarp.cli import main
from spacewarp.training.file import load_training

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


def probe_grid_by_hand(x: np.ndarray, side: int) -> np.ndarray:
    """(side * side, 2): the box of ``x`` padded 10%, rows along the second axis."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    lo, hi = lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo)
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], side), np.linspace(lo[1], hi[1], side))
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def npz_of(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def check_every_snapshot(data: dict[str, np.ndarray], x: np.ndarray, probe: np.ndarray,
                         rtol: float) -> None:
    """Every stage of every snapshot (the data's, the probe's where kept) against the
    network written out with the file's float64 parameters, within ``rtol`` of each
    stage's largest value."""
    for s in range(5):
        for k, want in enumerate(forward(data, s, x)):
            got = data[f"stage_{k:02d}"][s]
            assert np.abs(got - want).max() <= rtol * max(1.0, np.abs(want).max())
        out = forward(data, s, probe)
        for k, want in enumerate(out):
            if f"probe_stage_{k:02d}" in data:
                np.testing.assert_allclose(data[f"probe_stage_{k:02d}"][s], want,
                                           rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(data["probe_predicted"][s], out[-1].argmax(axis=1))


def test_training_npz_keeps_the_data_stages_in_float32(run_dir: Path) -> None:
    data = npz_of(run_dir / "training.npz")
    s_count = 5
    assert data["epoch"].tolist() == [0, 1, 3, 7, 15]
    for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        assert data[key].shape == (s_count,)
    assert data["0.weight"].shape == (s_count, 4, 2) and data["4.bias"].shape == (s_count, 2)
    assert data["0.weight"].dtype == np.float64 and data["stage_03"].dtype == np.float32
    assert not [k for k in data if k.startswith("probe_stage_")]  # recomputed on load
    x = load_training(run_dir / "training.npz").points.x  # (120, 2) float64, re-made
    assert data["labels"].tolist() == (x[:, 0] * x[:, 1] > 0).astype(int).tolist()
    assert data["test"].dtype == bool and data["test"].sum() == 24
    assert data["probe_shape"].tolist() == [6, 6]
    check_every_snapshot(data, x, probe_grid_by_hand(x, 6), rtol=1e-6)
    assert data["stage_names"].tolist() == ["Input", "Linear 2->4", "ReLU", "Linear 4->3",
                                            "ReLU", "Linear 3->2"]


def test_stages_after_load_are_within_1e6_of_float64(run_dir: Path) -> None:
    """The float32 stages of the file against the float64 ones sw.load_training traces
    again from the parameters; the probe grid's stages, not kept, are recomputed there."""
    data = npz_of(run_dir / "training.npz")
    training = load_training(run_dir / "training.npz")
    x = training.points.x
    probe = probe_grid_by_hand(x, 6)
    for s in range(5):
        for k, stage in enumerate(training.trace(s).stages):
            scale = max(1.0, float(np.abs(stage.points).max()))
            assert np.abs(data[f"stage_{k:02d}"][s] - stage.points).max() <= 1e-6 * scale
        probe_trace = training.probe_trace(s)
        assert probe_trace is not None
        for got, want in zip(probe_trace.stages, forward(data, s, probe), strict=True):
            np.testing.assert_allclose(got.points, want, rtol=1e-12, atol=1e-12)


def test_flags_keep_the_probe_stages_and_float64(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "full"
    assert main(["train", *SMALL, "--device", "cpu", "--no-film", "--probe-stages",
                 "--float64", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "training.npz will take about" in said and "probe grid stages in float64" in said
    data = npz_of(out / "training.npz")
    assert data["stage_03"].dtype == np.float64 and data["probe_stage_03"].shape == (5, 36, 3)
    x = data["stage_00"][0]
    np.testing.assert_array_equal(data["probe_stage_00"][0], probe_grid_by_hand(x, 6))
    check_every_snapshot(data, x, data["probe_stage_00"][0], rtol=1e-12)


def test_the_size_is_stated_before_training_and_matches(
        run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The estimate printed before training is the file's size, up to its small members;
    for the course's run (2-100-3 on the default spiral, 50 snapshots, a 100 x 100 probe
    grid) it is under 150 MB (it was about 1 GB: every stage of data and probe in float64)."""
    from spacewarp.config.experiment import validated
    from spacewarp.export.training import NpzLayout, npz_bytes
    from spacewarp.training.setup import prepare

    out = tmp_path / "sized"
    assert main(["train", *SMALL, "--points", "400", "--device", "cpu", "--no-film",
                 "--out", str(out)]) == 0
    said = capsys.readouterr().out.split("training.npz will take about ")[1].split(" MB")[0]
    size = (out / "training.npz").stat().st_size
    resolved, data = prepare(validated({"input": {"name": "xor", "points": 400},
                                        "network": {"layers": [2, 4, 3, 2]},
                                        "train": {"epochs": 15, "snapshots": 5, "probe": 6}}))
    estimate = npz_bytes(resolved, data.points.n)
    stages = 5 * 400 * (2 + 4 + 4 + 3 + 3 + 2) * 4  # float32 stage_KK bytes, by hand
    assert estimate >= stages and size >= stages and abs(size - estimate) < 0.3 * size
    assert float(said) == round(estimate / 1e6, 1)
    course, points = prepare(validated({"network": {"layers": [2, 100, 3]}}))
    assert course.train is not None and course.train.snapshots == 50
    assert npz_bytes(course, points.points.n) < 150e6
    assert npz_bytes(course, points.points.n, NpzLayout(probe_stages=True, float64=True)) > 8e8


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


def test_the_film_moves_at_24_fps_for_3_s_then_holds(run_dir: Path) -> None:
    """5 snapshots: at least 3 s of motion at 24 fps or more (it was 5 frames at 10 fps),
    then the last snapshot held."""
    import imageio.v2 as imageio

    reader = imageio.get_reader(run_dir / "training.mp4")
    fps = float(reader.get_meta_data()["fps"])
    frames = [f.astype(int) for f in reader]

    def same(a: np.ndarray, b: np.ndarray) -> bool:
        return float(np.abs(a - b).mean()) < 1.0

    moving = next(i for i in range(1, len(frames)) if same(frames[i], frames[-1]))
    assert fps >= 24 and moving >= 3 * fps and frames[0].shape == (720, 1280, 3)
    assert len(frames) - moving >= fps  # a second or more of the last snapshot
    assert not same(frames[0], frames[moving // 2])


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


class SmallNet(torch.nn.Sequential):
    """The nn.Module source of the compiled files below (xor: 2-D points, 2 classes)."""

    def __init__(self) -> None:
        super().__init__(torch.nn.Linear(2, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))


def compiled_files(folder: Path) -> dict[str, Path]:
    """The same seeded SmallNet saved as a torch.export program and as TorchScript."""
    torch.manual_seed(7)
    net = SmallNet().double()
    files = {"pt2": folder / "net.pt2", "torchscript": folder / "net.ts.pt"}
    program = torch.export.export(net, (torch.zeros(5, 2, dtype=torch.float64),))
    torch.export.save(program, str(files["pt2"]))
    torch.jit.save(torch.jit.script(net), str(files["torchscript"]))
    (folder / "smallnet.py").write_text(
        "from torch import nn\n\nclass Net(nn.Sequential):\n    def __init__(self):\n"
        "        super().__init__(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 2))\n")
    return files


@pytest.mark.parametrize(("kind", "words"), [
    ("pt2", "is a torch.export program (.pt2), a compiled graph that cannot be trained"),
    ("torchscript", "is a TorchScript model, a compiled graph that cannot be trained")])
def test_a_compiled_model_alone_is_refused_and_its_source_trains_from_its_weights(
        kind: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = compiled_files(tmp_path)
    small = ["--input", "xor", "--points", "60", "--epochs", "2", "--snapshots", "2",
             "--probe", "6", "--no-film"]
    never = tmp_path / "never"
    assert main(["train", *small, "--weights", str(files[kind]), "--out", str(never)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spacewarp: error: --weights: ") and err.count("\n") == 1
    assert words in err and "--model FILE.py:NAME" in err and not never.exists()
    out = tmp_path / "run"  # the suggestion: the source, starting from the file's weights
    assert main(["train", *small, "--model", f"{tmp_path / 'smallnet.py'}:Net",
                 "--weights", str(files[kind]), "--out", str(out)]) == 0
    torch.manual_seed(7)
    start = SmallNet().double().state_dict()
    with np.load(out / "training.npz") as z:
        for key, value in start.items():
            np.testing.assert_array_equal(z[key][0], value.numpy())
