"""Models and checkpoints from files: every format loads, every refusal is one line."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from user_models import MODEL_PY

import spacewarp as sw
from spacewarp.cli import main
from spacewarp.errors import NetworkError, WeightsError
from spacewarp.model.files import load_checkpoint, load_model


@pytest.fixture()
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "mynet.py"
    path.write_text(MODEL_PY)
    return path


def _trained(model_file: Path) -> nn.Module:
    """The file's Net with seeded weights, as a user's trained model would be."""
    torch.manual_seed(7)
    return load_model(f"{model_file}:Net")


def _forward(state: dict[str, torch.Tensor], x: np.ndarray) -> np.ndarray:
    """The Net written out by hand: head(relu(fc1(x)))."""
    xt = torch.tensor(x)
    h = torch.relu(xt @ state["fc1.weight"].double().T + state["fc1.bias"].double())
    return (h @ state["head.weight"].double().T + state["head.bias"].double()).numpy()


def test_class_and_function_load(model_file: Path) -> None:
    assert isinstance(load_model(f"{model_file}:Net"), nn.Module)
    assert isinstance(load_model(f"{model_file}:make"), nn.Module)


@pytest.mark.parametrize("wrap", ["plain", "state_dict", "model", "model_state_dict",
                                  "lightning"])
def test_state_dict_checkpoints(model_file: Path, tmp_path: Path, wrap: str) -> None:
    state = _trained(model_file).state_dict()
    data: object = {
        "plain": state, "state_dict": {"state_dict": state, "epoch": 3},
        "model": {"model": state}, "model_state_dict": {"model_state_dict": state},
        "lightning": {"state_dict": {f"model.{k}": v for k, v in state.items()},
                      "global_step": 10},
    }[wrap]
    ckpt = tmp_path / "ckpt.pt"
    torch.save(data, ckpt)
    t = sw.run(model=f"{model_file}:Net", weights=str(ckpt), points=40)
    np.testing.assert_allclose(t.output, _forward(state, t.stages[0].points), rtol=1e-12)


def test_safetensors_torchscript_and_export(model_file: Path, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    model = _trained(model_file)
    state = model.state_dict()
    save_file({k: v.contiguous() for k, v in state.items()}, tmp_path / "w.safetensors")
    torch.jit.script(model).save(str(tmp_path / "w.ts"))
    example = torch.zeros(4, 2, dtype=torch.float64)
    torch.export.save(torch.export.export(model, (example,)), str(tmp_path / "w.pt2"))
    for name in ("w.safetensors", "w.ts", "w.pt2"):
        t = sw.run(model=f"{model_file}:Net", weights=str(tmp_path / name), points=40)
        np.testing.assert_allclose(t.output, _forward(state, t.stages[0].points), rtol=1e-12)
    # a torch.export program carries its own architecture: no --model needed
    t = sw.run(weights=str(tmp_path / "w.pt2"), points=4)
    np.testing.assert_allclose(t.output, _forward(state, t.stages[0].points), rtol=1e-12)
    assert "ReLU" in [s.title.split(": ")[-1] for s in t.stages]


def test_onnx_model(tmp_path: Path) -> None:
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    path = tmp_path / "m.onnx"
    with pytest.warns(DeprecationWarning):
        torch.onnx.export(model, (torch.zeros(5, 2),), str(path), dynamo=False,
                          input_names=["x"], dynamic_axes={"x": {0: "n"}})
    t = sw.run(model=str(path), points=30)
    assert [s.kind for s in t.stages] == ["input", "linear", "relu", "linear"]
    with torch.no_grad():
        want = model.double()(torch.tensor(t.stages[0].points)).numpy()
    np.testing.assert_allclose(t.output, want, rtol=1e-12)


def _refusal(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


@pytest.mark.parametrize("spec,message", [
    ("{f}:Missing", "defines no 'Missing'; its nn.Module classes: Net, NeedsArgs"),
    ("{f}:NeedsArgs", "constructor without arguments"),
    ("{f}:not_a_model", "returned a int, not an nn.Module"),
    ("{f}", "is not FILE.py:NAME"),
    ("nowhere.py:Net", "does not exist"),
])
def test_model_refusals(model_file: Path, tmp_path: Path, spec: str, message: str,
                        capsys: pytest.CaptureFixture[str]) -> None:
    err = _refusal(["render", "--model", spec.format(f=model_file), "--out",
                    str(tmp_path / "o")], capsys)
    assert message in err
    assert not (tmp_path / "o").exists()


def test_import_error_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\n\nraise ValueError('oops')\n")
    err = _refusal(["render", "--model", f"{bad}:Net", "--out", str(tmp_path / "o")], capsys)
    assert "raised ValueError: oops (line 3)" in err


def test_checkpoint_refusals(model_file: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    model = _trained(model_file)
    state = model.state_dict()
    cases = {
        "pickled.pt": (model, "holds a pickled model object"),
        "missing.pt": ({k: v for k, v in state.items() if k != "head.bias"},
                       "has no 'head.bias'"),
        "extra.pt": ({**state, "fc9.weight": torch.zeros(1)}, "has 'fc9.weight'"),
        "shape.pt": ({**state, "fc1.weight": torch.zeros(4, 2)},
                     "'fc1.weight' has shape (4, 2) but the model's is (5, 2)"),
        "nan.pt": ({**state, "fc1.bias": torch.full((5,), float("nan"))}, "NaN or inf"),
    }
    for name, (data, message) in cases.items():
        torch.save(data, tmp_path / name)
        err = _refusal(["render", "--model", f"{model_file}:Net", "--weights",
                        str(tmp_path / name), "--out", str(tmp_path / "o")], capsys)
        assert message in err, (name, err)
    torch.save(state, tmp_path / "w.pt")
    err = _refusal(["render", "--weights", str(tmp_path / "w.pt"), "--layers", "2,3,2",
                    "--out", str(tmp_path / "o")], capsys)
    assert "has no '0.weight'" in err


def test_input_width_mismatch_says_how_to_match(model_file: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    err = _refusal(["render", "--model", f"{model_file}:Net", "--input", "line", "--out",
                    str(tmp_path / "o")], capsys)
    assert "fails on 50 points of width 1" in err and "--data" in err


def test_checkpoint_sha256_is_recorded_and_checked(model_file: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = tmp_path / "w.pt"
    torch.save(_trained(model_file).state_dict(), ckpt)
    out = tmp_path / "first"
    assert main(["render", "--model", f"{model_file}:Net", "--weights", str(ckpt),
                 "--points", "30", "--out", str(out)]) == 0
    toml = (out / "experiment.toml").read_text()
    import hashlib

    assert hashlib.sha256(ckpt.read_bytes()).hexdigest() in toml
    network = tomllib.loads(toml)["network"]  # only what applies to the user's model
    assert set(network) == {"model", "checkpoint", "checkpoint_sha256"}
    assert main(["render", "--config", str(out / "experiment.toml"), "--out",
                 str(tmp_path / "again")]) == 0
    assert (np.load(out / "trace.npz")["stage_03"] == np.load(
        tmp_path / "again" / "trace.npz")["stage_03"]).all()
    torch.manual_seed(99)
    torch.save(load_model(f"{model_file}:Net").state_dict(), ckpt)  # the file changes
    err = _refusal(["render", "--config", str(out / "experiment.toml"), "--out",
                    str(tmp_path / "third")], capsys)
    assert "has changed since the experiment was recorded" in err


def test_weights_errors_carry_their_field(model_file: Path, tmp_path: Path) -> None:
    with pytest.raises(WeightsError) as err:
        load_checkpoint(str(tmp_path / "none.pt"), load_model(f"{model_file}:Net"))
    assert err.value.field == "network.checkpoint"
    with pytest.raises(NetworkError) as nerr:
        load_model("x.py:1bad")
    assert nerr.value.field == "network.model"


def test_api_takes_a_model_object_and_a_checkpoint(model_file: Path, tmp_path: Path) -> None:
    model = _trained(model_file)
    torch.save(model.state_dict(), tmp_path / "w.pt")
    fresh = load_model(f"{model_file}:Net")
    t = sw.run(model=fresh, weights=str(tmp_path / "w.pt"), input="spiral", points=60)
    np.testing.assert_allclose(t.output, _forward(model.state_dict(), t.stages[0].points),
                               rtol=1e-12)
    assert t.experiment is None and t.categorical  # spiral: classes by default


def test_a_model_without_a_checkpoint_is_the_same_on_every_run(model_file: Path) -> None:
    """Its initial weights come from torch's generator seeded by the experiment's seed (so
    a re-run of its experiment.toml draws the same picture), and the caller's generator is
    left as it was."""
    def weights(seed: int) -> np.ndarray:
        t = sw.run(model=f"{model_file}:Net", input="spiral", points=30, seed=seed)
        return next(s.weight for s in t.stages if s.kind == "linear")

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = weights(0)
    assert torch.equal(torch.rand(3), expected)  # the caller's generator is untouched...
    np.testing.assert_array_equal(weights(0), first)  # ...and its state does not matter
    torch.manual_seed(0)
    np.testing.assert_array_equal(first, load_model(f"{model_file}:Net").fc1.weight
                                  .detach().numpy())  # nn's default init, seeded by 0
    assert not np.array_equal(weights(1), first)


# --- the files users have (issue 17) ------------------------------------------------------

RESHAPING_PY = textwrap.dedent("""
    import torch
    from torch import nn

    class Reshaping(nn.Module):
        '''Net, with a reshape that torch.export writes down with the batch size it saw.'''
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(2, 5)
            self.head = nn.Linear(5, 3)

        def forward(self, x):
            h = torch.relu(self.fc1(x)).reshape(x.shape[0], 5, 1)
            return self.head(h.reshape(x.shape[0], 5))
""")


def _hand_jacobian(state: dict[str, torch.Tensor], x: np.ndarray) -> np.ndarray:
    """(n, 3, 2): head.W @ diag(relu'(fc1 x)) @ fc1.W at every point, by hand."""
    w1, b1 = state["fc1.weight"].double().numpy(), state["fc1.bias"].double().numpy()
    active = (x @ w1.T + b1 > 0).astype(np.float64)  # (n, 5)
    return np.einsum("ij,nj,jk->nik", state["head.weight"].double().numpy(), active, w1)


def test_a_pt2_exported_at_a_fixed_batch_runs_in_chunks(tmp_path: Path) -> None:
    """torch.export's default fixes the batch (here 5, and in the reshapes): 37 points run as
    8 chunks of 5, the last padded; the stages, the output and the Jacobians are exact."""
    (tmp_path / "reshaping.py").write_text(RESHAPING_PY)
    torch.manual_seed(7)
    model = load_model(f"{tmp_path / 'reshaping.py'}:Reshaping")
    state = model.state_dict()
    path = tmp_path / "fixed.pt2"
    torch.export.save(torch.export.export(model, (torch.zeros(5, 2, dtype=torch.float64),)),
                      str(path))
    t = sw.run(weights=str(path), input="spiral", points=37)
    x = t.stages[0].points
    assert t.n == 37
    np.testing.assert_allclose(t.output, _forward(state, x), rtol=1e-12)
    fc1 = x @ state["fc1.weight"].double().numpy().T + state["fc1.bias"].double().numpy()
    np.testing.assert_allclose(t.stages[1].points, fc1, rtol=1e-12)
    from spacewarp.measure.jacobian import jacobians

    np.testing.assert_allclose(jacobians(t, x)[-1], _hand_jacobian(state, x), atol=1e-12)


def test_cli_loads_the_files_users_have(model_file: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A fixed-batch .pt2 and a TorchScript file alone are the model; a torch.compile
    checkpoint loads into its architecture: exit 0, each stage as the model computes it."""
    model = _trained(model_file)
    state = model.state_dict()
    example = (torch.zeros(5, 2, dtype=torch.float64),)
    torch.export.save(torch.export.export(model, example), str(tmp_path / "m.pt2"))
    torch.jit.script(model).save(str(tmp_path / "m.ts"))
    compiled = torch.compile(model).state_dict()
    assert all(k.startswith("_orig_mod.") for k in compiled)
    torch.save(compiled, tmp_path / "compiled.pt")
    runs = {"pt2": ["--weights", str(tmp_path / "m.pt2")],
            "ts": ["--weights", str(tmp_path / "m.ts")],
            "compiled": ["--model", f"{model_file}:Net", "--weights",
                         str(tmp_path / "compiled.pt")]}
    for name, flags in runs.items():
        out = tmp_path / name
        assert main(["render", *flags, "--points", "23", "--out", str(out)]) == 0, name
        saved = np.load(out / "trace.npz")
        np.testing.assert_allclose(_last_stage(saved), _forward(state, saved["stage_00"]),
                                   rtol=1e-12, err_msg=name)
    network = tomllib.loads((tmp_path / "ts" / "experiment.toml").read_text())["network"]
    assert set(network) == {"checkpoint", "checkpoint_sha256"}  # no built network's widths
    capsys.readouterr()


def _last_stage(saved: np.lib.npyio.NpzFile) -> np.ndarray:
    return saved[max(k for k in saved.files if k[len("stage_"):].isdigit())]


def test_cli_refuses_misplaced_files_in_one_line(model_file: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    model = _trained(model_file)
    example = (torch.zeros(5, 2, dtype=torch.float64),)
    with pytest.warns(DeprecationWarning):  # the TorchScript-based exporter, as users run it
        torch.onnx.export(model, example, str(tmp_path / "m.onnx"), dynamo=False)
    torch.export.save(torch.export.export(model, example), str(tmp_path / "m.pt2"))
    (tmp_path / "empty.pt").write_bytes(b"")
    other = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3))
    torch.save(torch.compile(other).state_dict(), tmp_path / "other.pt")
    out = ["--out", str(tmp_path / "o")]
    cases = [
        (["--weights", str(tmp_path / "m.onnx")],
         [f"'{tmp_path / 'm.onnx'}' is an ONNX model", f"--model {tmp_path / 'm.onnx'}"]),
        (["--weights", str(tmp_path / "empty.pt"), "--layers", "2,3,2"],
         [f"checkpoint '{tmp_path / 'empty.pt'}' is empty (0 bytes)"]),
        (["--model", f"{model_file}:Net", "--weights", str(tmp_path / "other.pt")],
         ["has no 'fc1.weight'", "it has keys '0.weight', '0.bias', '2.weight', '2.bias'",
          "the model keys 'fc1.weight'"]),
        (["--weights", str(tmp_path / "m.pt2"), "--input", "line"],
         ["the model takes 2-D input", "the points are 1-D"]),
    ]
    for flags, messages in cases:
        err = _refusal(["render", *flags, *out], capsys)
        for message in messages:
            assert message in err, (flags, err)
    assert not (tmp_path / "o").exists()
