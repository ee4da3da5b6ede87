"""The input shape inferred from a model's first operation when --input-shape is not given:
each case traced and compared with the model's own modules (forward hooks) on the rows
reshaped by hand; ambiguous rows refused in one line that asks for --input-shape."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from hooks import hooked_stages
from torch import nn

import spacewarp as sw
from spacewarp.cli import main
from spacewarp.errors import InputError, SpacewarpNote
from spacewarp.model.image_shape import inferred_shape


class Viewed(nn.Module):
    """Reshapes its rows itself, then convolves: (n, 48) -> (n, 3, 4, 4) -> (n, 2)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 3)  # (n, 2, 2, 2)
        self.head = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.conv(x.view(x.size(0), 3, -1, 4)).flatten(1))


def rows(n: int, d: int) -> sw.Points:
    x = np.random.default_rng(0).normal(size=(n, d))
    return sw.Points(x=x, color=x[:, 0].copy())


def traced_with_note(model: nn.Module, pts: sw.Points) -> tuple[sw.Trace, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = sw.trace(model, pts, device="cpu")
    return t, [str(w.message) for w in caught if issubclass(w.category, SpacewarpNote)]


@pytest.mark.parametrize(("model", "width", "shape"), [
    (nn.Sequential(nn.Unflatten(1, (2, 3, 5)), nn.Conv2d(2, 1, 2), nn.Flatten()), 30, (2, 3, 5)),
    (nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten()), 64, (1, 8, 8)),
    (nn.Sequential(nn.Conv2d(3, 2, 3), nn.Flatten()), 75, (3, 5, 5)),
    (nn.Sequential(nn.Conv1d(4, 2, 3), nn.Flatten()), 40, (4, 10)),
    (Viewed(), 48, (3, 4, 4)),
])
def test_the_shape_is_read_from_the_first_operation(model: nn.Module, width: int,
                                                    shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    model = model.double()
    pts = rows(7, width)
    t, notes = traced_with_note(model, pts)
    assert len(notes) == 1 and f"input shape {','.join(map(str, shape))} inferred" in notes[0]
    reshaped = isinstance(model, Viewed) or isinstance(model[0], nn.Unflatten)
    # reshaped by hand, where the model does not reshape its rows itself
    reference = hooked_stages(model, pts.x if reshaped else pts.x.reshape(7, *shape))
    np.testing.assert_allclose(t.output, reference[-1].reshape(7, -1), atol=1e-12)


def test_a_model_that_starts_otherwise_takes_rows_as_they_are() -> None:
    model = nn.Sequential(nn.Linear(64, 3), nn.Tanh()).double()
    assert inferred_shape(model, 64) is None
    t, notes = traced_with_note(model, rows(5, 64))
    assert notes == [] and t.stages[1].dim == 3


@pytest.mark.parametrize(("conv", "width", "need"), [
    (nn.Conv2d(1, 2, 3), 32, "C,H,W"),  # 4x8 or 8x4 or 2x16: not a square
    (nn.Conv2d(3, 2, 3), 64, "C,H,W"),  # 64 pixels do not split into 3 channels
    (nn.Conv1d(3, 2, 3), 64, "C,L"),
])
def test_ambiguous_rows_are_refused_asking_for_the_shape(conv: nn.Module, width: int,
                                                         need: str) -> None:
    with pytest.raises(InputError, match=f"give --input-shape {need}") as err:
        inferred_shape(nn.Sequential(conv), width)
    assert err.value.field == "input.shape" and "\n" not in str(err.value)


def test_the_cli_names_the_shape_inferred_and_refuses_an_ambiguous_one(tmp_path: Path,
                                                                       capsys) -> None:
    model = tmp_path / "nets.py"
    model.write_text("from torch import nn\n"
                     "def square(): return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), "
                     "nn.LazyLinear(3))\n"
                     "def three(): return nn.Sequential(nn.Conv2d(3, 2, 3), nn.Flatten())\n")
    flags = ["--input", "digits", "--slice", "0,6,8", "--points", "100"]
    assert main(["render", "--model", f"{model}:square", *flags, "--out",
                 str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "note: input shape 1,8,8 inferred from the model's first operation, Conv2d" in err
    out = tmp_path / "b"
    assert main(["render", "--model", f"{model}:three", *flags, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("spacewarp: error: --input-shape:") \
        and "3 in-channels" in err, err
    assert not out.exists()


def test_the_inferred_shape_is_recorded_and_a_rerun_from_the_file_infers_nothing(
        tmp_path: Path, capsys) -> None:
    """experiment.toml holds the inferred shape as input.shape, so the file makes the same
    trace (the same stages, the anchors drawn as 8x8 images) without inferring again."""
    import tomllib

    model = tmp_path / "nets.py"
    model.write_text("from torch import nn\nimport torch\n"
                     "def square():\n    torch.manual_seed(0)\n"
                     "    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), "
                     "nn.Linear(72, 3))\n")
    first, again = tmp_path / "first", tmp_path / "again"
    assert main(["render", "--model", f"{model}:square", "--input", "digits", "--slice",
                 "0,6,8", "--points", "100", "--out", str(first)]) == 0
    assert "input shape 1,8,8 inferred" in capsys.readouterr().err
    written = tomllib.loads((first / "experiment.toml").read_text())
    assert written["input"]["shape"] == [1, 8, 8]
    assert main(["render", "--config", str(first / "experiment.toml"), "--out",
                 str(again)]) == 0
    assert "inferred" not in capsys.readouterr().err
    a, b = np.load(first / "trace.npz"), np.load(again / "trace.npz")
    assert sorted(a.files) == sorted(b.files)
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key])
    assert (first / "experiment.toml").read_text() == (again / "experiment.toml").read_text()
    with pytest.warns(SpacewarpNote, match="inferred"):
        t = sw.run(model=f"{model}:square", input="digits", slice="0,6,8", points=100)
    assert t.experiment.input.shape == [1, 8, 8] and t.frame.image_shape == (1, 8, 8)
