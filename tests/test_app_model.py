"""The explorer serving the user's own model: weight grids, Randomise, checkpoint uploads, links.

In-process, as tests/test_app_actions.py: an ``Explorer`` driven through the callbacks its
widgets call; traces checked against the model's forward written out by hand.
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import panel as pn
import pytest
import torch
from user_models import MODEL_PY

from spacewarp.app import state
from spacewarp.app.session import Explorer, explorer_for
from spacewarp.config.experiment import validated
from spacewarp.model.files import load_model


@pytest.fixture()
def served(tmp_path: Path) -> tuple[Path, dict[str, torch.Tensor]]:
    """A model file and a trained-looking checkpoint of it."""
    (tmp_path / "net.py").write_text(MODEL_PY)
    torch.manual_seed(5)
    state_dict = load_model(f"{tmp_path / 'net.py'}:Net").state_dict()
    torch.save(state_dict, tmp_path / "net.pt")
    return tmp_path, state_dict


def _forward(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """head(relu(fc1(x))), by hand."""
    h = np.maximum(x @ params["fc1.weight"].T + params["fc1.bias"], 0.0)
    return h @ params["head.weight"].T + params["head.bias"]


def _explorer(folder: Path) -> Explorer:
    return Explorer(validated({"input": {"name": "spiral", "points": 90},
                               "network": {"model": f"{folder / 'net.py'}:Net",
                                           "checkpoint": str(folder / "net.pt")}}))


def test_serves_the_model_with_its_checkpoint(served: tuple[Path, dict]) -> None:
    folder, state_dict = served
    session = _explorer(folder)
    params = {k: v.double().numpy() for k, v in state_dict.items()}
    t = session.trace
    np.testing.assert_allclose(t.output, _forward(params, t.stages[0].points), rtol=1e-12)
    assert [s.title for s in t.stages] == [
        "Input", "fc1: Linear 2->5", "ReLU", "head: Linear 5->3"]
    sidebar = session.sidebar()
    assert sidebar.select(lambda o: "sw-served-model" in getattr(o, "css_classes", []))
    assert "widths" not in {w.name for w in sidebar.select(pn.widgets.TextInput)}


def test_weight_grids_and_randomise_edit_its_layers(served: tuple[Path, dict]) -> None:
    folder, state_dict = served
    session = _explorer(folder)
    session._weight_edited("fc1.weight", 0, 1, "2.5")  # what typing into the grid does
    params = {k: v.double().numpy() for k, v in state_dict.items()}
    params["fc1.weight"][0, 1] = 2.5
    t = session.trace
    np.testing.assert_allclose(t.output, _forward(params, t.stages[0].points), rtol=1e-12)
    buttons = [b for b in session.weights.box.select(pn.widgets.Button)
               if "sw-randomise-head" in b.css_classes]
    assert len(buttons) == 1
    buttons[0].clicks += 1
    after = session.trace.params
    assert not np.array_equal(after["head.weight"], params["head.weight"])
    np.testing.assert_array_equal(after["fc1.weight"], params["fc1.weight"])
    np.testing.assert_array_equal(after["head.weight"], np.array(
        session.experiment.network.weights["head.weight"]))


def _upload(session: Explorer, data: bytes, name: str) -> None:
    session._upload(SimpleNamespace(value=data, filename=name))


def test_a_checkpoint_upload_sets_every_parameter(served: tuple[Path, dict]) -> None:
    folder, _ = served
    session = Explorer(validated({"input": {"points": 60},
                                  "network": {"layers": [2, 3, 2], "bias": True}}))
    torch.manual_seed(11)
    uploaded = {"0.weight": torch.randn(3, 2), "0.bias": torch.randn(3),
                "2.weight": torch.randn(2, 3), "2.bias": torch.randn(2)}
    buffer = io.BytesIO()
    torch.save({"state_dict": uploaded}, buffer)
    _upload(session, buffer.getvalue(), "mine.pt")
    assert session.controls.error_text("upload") == ""
    p = {k: v.double().numpy() for k, v in uploaded.items()}
    x = session.trace.stages[0].points
    want = np.tanh(x @ p["0.weight"].T + p["0.bias"]) @ p["2.weight"].T + p["2.bias"]
    np.testing.assert_allclose(session.trace.output, want, rtol=1e-6)
    assert not list((session.upload_folder()).glob("upload-*.pt"))  # used, then removed


@pytest.mark.parametrize("data,message", [
    (lambda: torch.nn.Linear(2, 2), "pickled model object"),
    (lambda: {"0.weight": torch.zeros(5, 5), "2.weight": torch.zeros(2, 3)},
     "has shape (5, 5) but the model's is (3, 2)"),
    (lambda: {"nothing": torch.zeros(1)}, "has no '0.weight'"),
])
def test_bad_checkpoint_uploads_are_refused_beside_the_upload(data, message: str) -> None:  # type: ignore[no-untyped-def]
    session = Explorer(validated({"input": {"points": 60}, "network": {"layers": [2, 3, 2]}}))
    before = session.trace
    buffer = io.BytesIO()
    torch.save(data(), buffer)
    _upload(session, buffer.getvalue(), "mine.pt")
    error = html.unescape(session.controls.error_text("upload"))
    assert message in error and "mine.pt" in error and "/tmp" not in error
    assert session.trace is before  # the last good views stay


def test_a_python_file_is_never_taken() -> None:
    session = Explorer(validated({"input": {"points": 60}}))
    _upload(session, b"import os\n", "evil.py")
    assert "upload points" in session.controls.error_text("upload")


def test_links_never_name_server_models_and_keep_the_served_one(served: tuple[Path, dict]
                                                                ) -> None:
    folder, _ = served
    session = _explorer(folder)
    link = state.query(session.experiment)
    assert "net.py" not in state.from_query({"s": [link.split("=", 1)[1]]}).model_dump_json()
    opened = explorer_for({"s": [link.split("=", 1)[1].encode()]}, session.experiment)
    assert opened.experiment.network.model == session.experiment.network.model
    np.testing.assert_array_equal(opened.trace.output, session.trace.output)
    bad = validated({"network": {"model": "/etc/evil.py:X"}})
    with pytest.raises(state.LinkError, match="cannot name a model"):
        state.decode(state.encode(bad))
