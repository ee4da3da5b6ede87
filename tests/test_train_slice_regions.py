"""Regions through training on a slice (issues 18 and 19): every snapshot's numbers on
the plane through three digits, against references built here from training.npz alone:
the slice's map composed into a 2-D torch network by hand, or the model rebuilt and
traced on the slice, and forward hooks over the probe grid on the slice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import spacewarp as sw
from spacewarp.cli import main
from spacewarp.measure.training_regions import near_boundary, squares_met
from spacewarp.training.train import probe_points

SIDE = 12  # probe grid points per side of the slice's box
CNN = ("from torch import nn\n"
       "class Tiny(nn.Sequential):\n"
       "    def __init__(self):\n"
       "        super().__init__(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2),\n"
       "                         nn.Flatten(), nn.Linear(18, 10))\n")


def npz_of(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    training = sw.train(input="digits", slice="0,6,8", layers="64,16,10", activation="relu",
                        epochs=8, snapshots=4, probe=SIDE, lr=0.01, device="cpu",
                        regions=True, progress=False, live=False)
    out = tmp_path_factory.mktemp("slice_regions") / "run"
    sw.save_training(training, out, film=False)
    return out / "training.npz"


@pytest.fixture(scope="module")
def mlp(run: Path) -> dict[str, np.ndarray]:
    return npz_of(run)


def on_slice(z: dict[str, np.ndarray], s: int) -> nn.Sequential:
    """Snapshot s's 64 -> 16 -> 10 network taking slice coordinates u (2,): the first layer
    W x + b at x = origin + u @ axes is (W axes^T) u + (W origin + b)."""
    w, b = z["0.weight"][s], z["0.bias"][s]
    first, last = nn.Linear(2, 16).double(), nn.Linear(16, 10).double()
    with torch.no_grad():
        first.weight.copy_(torch.from_numpy(w @ z["slice_axes"].T))
        first.bias.copy_(torch.from_numpy(w @ z["slice_origin"] + b))
        last.weight.copy_(torch.from_numpy(z["2.weight"][s]))
        last.bias.copy_(torch.from_numpy(z["2.bias"][s]))
    return nn.Sequential(first, nn.ReLU(), last)


def probe_grid(z: dict[str, np.ndarray]) -> np.ndarray:
    """(P, 2) the probe grid over the slice's box, the first axis fastest."""
    box = z["slice_box"]
    first, second = np.meshgrid(np.linspace(box[0], box[1], SIDE),
                                np.linspace(box[2], box[3], SIDE), indexing="xy")
    return np.stack([first.ravel(), second.ravel()], axis=1)


def relu_inputs(model: nn.Sequential, x: np.ndarray) -> np.ndarray:
    """(n, 16) the ReLU's input, caught by a forward hook on the ReLU."""
    seen: list[np.ndarray] = []
    hook = model[1].register_forward_hook(lambda _m, i, _o: seen.append(i[0].numpy()))
    with torch.no_grad():
        model(torch.from_numpy(x))
    hook.remove()
    return seen[0]


def distinct(rows: np.ndarray) -> int:
    return len({r.tobytes() for r in np.ascontiguousarray(rows)})


def test_the_regions_are_counted_on_the_slices_box(mlp: dict[str, np.ndarray]) -> None:
    np.testing.assert_array_equal(mlp["regions_bounds"], mlp["slice_box"])
    box = mlp["slice_box"]
    assert float(mlp["lc_radius"]) == pytest.approx(0.01 * max(box[1] - box[0],
                                                               box[3] - box[2]))


def test_every_snapshot_total_equals_sw_regions_of_its_network_on_the_slice(
        mlp: dict[str, np.ndarray]) -> None:
    box = tuple(float(v) for v in mlp["slice_box"])
    want = [len(sw.regions(on_slice(mlp, s), box)) for s in range(4)]
    assert mlp["regions_total"].tolist() == want
    assert len(set(want)) > 1  # training moved the partition on the slice


def test_regions_with_data_are_the_probe_grids_patterns(mlp: dict[str, np.ndarray]) -> None:
    """On a slice the run's points are the probe grid on it: their patterns are each
    hidden ReLU's input > 0, by a forward hook, on the 64-D inputs origin + u @ axes."""
    x = mlp["slice_origin"] + probe_grid(mlp) @ mlp["slice_axes"]  # (P, 64)
    want = []
    for s in range(4):
        model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10)).double()
        model.load_state_dict({k: torch.from_numpy(np.array(mlp[k][s]))
                               for k in model.state_dict()})
        want.append(distinct(relu_inputs(model, x) > 0))
    assert mlp["regions_with_data"].tolist() == want


def test_local_complexity_and_boundary_are_each_snapshots_own(
        mlp: dict[str, np.ndarray]) -> None:
    box = tuple(float(v) for v in mlp["slice_box"])
    r, u = float(mlp["lc_radius"]), probe_grid(mlp)
    for s in range(4):
        found = sw.regions(on_slice(mlp, s), box)
        assert mlp["local_complexity"][s] == pytest.approx(squares_met(found, u, r).mean())
        assert mlp["regions_near_boundary"][s] == near_boundary(found, r)


def test_the_pictures_draw_each_snapshots_outlines_on_the_slice(
        run: Path, mlp: dict[str, np.ndarray]) -> None:
    """training.png's panels and the page: snapshot s's outlines are its polygons on the
    slice, and in the watched stage an affine image (the view's fixed projection) of the
    ReLU's output at the 64-D inputs origin + u @ axes of their vertices, by hooks."""
    from spacewarp.training.snapshots import trace_snapshots
    from spacewarp.view.training import training_view
    from spacewarp.view.training_film import training_film

    traced = trace_snapshots(sw.load_training(run))
    view = training_view(traced)
    box = tuple(float(v) for v in mlp["slice_box"])
    for s in range(4):
        o = view.outlines[s]
        assert o is not None
        assert len(o.count) == len(sw.regions(on_slice(mlp, s), box))
        x = mlp["slice_origin"] + o.input @ mlp["slice_axes"]  # (V, 64)
        model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10)).double()
        model.load_state_dict({k: torch.from_numpy(np.array(mlp[k][s]))
                               for k in model.state_dict()})
        watched = np.maximum(relu_inputs(model, x), 0.0)  # stage 2: the ReLU's output
        design = np.concatenate([watched, np.ones((len(watched), 1))], axis=1)
        fit, *_ = np.linalg.lstsq(design, o.watch, rcond=None)
        np.testing.assert_allclose(design @ fit, o.watch, atol=1e-8)
    assert all(o is not None for o in training_film(traced).outlines)


def test_a_cnn_on_the_slice_goes_snapshot_by_snapshot_through_the_graph(
        tmp_path: Path) -> None:
    """Conv2d, ReLU, MaxPool2d, Linear: every snapshot's total against sw.regions of the
    model rebuilt from its parameters and traced on the slice; its points' patterns
    against hooks (the ReLU's input > 0, the pooling's winners from torch itself)."""
    source = tmp_path / "cnn.py"
    source.write_text(CNN)
    training = sw.train(input="digits", input_shape="1,8,8", model=f"{source}:Tiny",
                        slice="0,6,8", epochs=3, snapshots=3, probe=SIDE, device="cpu",
                        regions=True, progress=False, live=False)
    assert training.probe is not None
    box = tuple(float(v) for v in training.regions["regions_bounds"])
    x = training.probe.frame.inputs(training.probe.x).reshape(-1, 1, 8, 8)  # type: ignore[union-attr]
    for s in range(3):
        namespace: dict[str, object] = {}
        exec(CNN, namespace)  # the model class, built here from the source
        model = namespace["Tiny"]().double()  # type: ignore[operator]
        model.load_state_dict({k: torch.from_numpy(np.array(v[s]))
                               for k, v in training.params.items()})
        traced = sw.trace(model, probe_points(training.probe, training.points))
        assert training.regions["regions_total"][s] == len(sw.regions(traced, box))
        with torch.no_grad():
            pre = model[0](torch.from_numpy(x))  # (P, 2, 6, 6) the ReLU's input
            _, won = nn.functional.max_pool2d(torch.relu(pre), 2, return_indices=True)
        rows = np.concatenate([(pre > 0).reshape(len(x), -1).numpy(),
                               won.reshape(len(x), -1).numpy()], axis=1)
        assert training.regions["regions_with_data"][s] == distinct(rows)


def test_a_slice_over_the_cap_is_refused_before_training(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x"
    code = main(["train", "--input", "digits", "--slice", "0,6,8", "--layers", "64,16,10",
                 "--activation", "relu", "--epochs", "2", "--regions", "--max-regions", "3",
                 "--no-film", "--device", "cpu", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "--max-regions" in err, err
    assert not out.exists()


def test_the_explorers_training_on_a_slice_draws_each_snapshots_outlines() -> None:
    """The explorer's paused training view with Regions on, on a plane through three
    digits: every snapshot sends its own outlines, and its note gives no reason for none."""
    from spacewarp.app import training_task
    from spacewarp.config.experiment import validated

    exp = validated({"input": {"name": "digits", "slice": "0,6,8"},
                     "network": {"layers": [64, 16, 10], "activation": "relu"},
                     "train": {"lr": 0.01, "epochs": 3, "probe": SIDE},
                     "style": {"regions": "region"}, "device": "cpu"})
    run = training_task.start(exp)
    training_task.frame(run, 0)
    for _ in range(2):
        training_task.advance(run, epochs=1)
    spec, _ = training_task.paused_frame(run, 1)
    entries = [e["regions"] for e in spec["training"]["snapshots"]]
    assert len(entries) == 3 and all(e is not None and "count" in e for e in entries)
    assert "no region outlines" not in spec["sample_note"]
