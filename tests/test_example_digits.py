"""examples/digits_cnn.py: the README's CNN trains, saves weights that `spacewarp render`
takes on a slice through three digits, and the slice is coloured by its predicted class."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch

from spacewarp.cli import main

EXAMPLE = Path(__file__).parent.parent / "examples" / "digits_cnn.py"


def test_the_example_cnn_renders_on_a_slice_through_a_0_a_6_and_an_8(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("digits_cnn_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    model, accuracy = example.train(epochs=2)
    assert accuracy > 0.8  # two epochs already learn most digits
    weights = tmp_path / "digits_cnn.pt"
    torch.save(model.state_dict(), weights)
    out = tmp_path / "out"
    assert main(["render", "--model", f"{EXAMPLE}:DigitsCNN", "--weights", str(weights),
                 "--input", "digits", "--input-shape", "1,8,8", "--slice", "0,6,8",
                 "--points", "400", "--device", "cpu", "--out", str(out)]) == 0
    with np.load(out / "trace.npz") as z:
        inputs = z["slice_origin"] + z["stage_00"] @ z["slice_axes"]  # (400, 64)
        with torch.no_grad():
            logits = model.double()(torch.from_numpy(inputs).reshape(-1, 1, 8, 8)).numpy()
        np.testing.assert_array_equal(z["color"], logits.argmax(axis=1))
        assert z["slice_rows"].tolist() == [0, 6, 8]
