"""Networks on images: convolution, pooling, normalisation, dropout, flatten and softmax are
stages with their module names, each equal to the model's own modules (forward hooks)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hooks import hooked_stages
from torch import nn

import spacewarp as sw
from spacewarp.inputs.points import Points, make_points
from spacewarp.inputs.sliced import on_slice


def small_cnn() -> nn.Sequential:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4),
        nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Dropout(0.5), nn.LayerNorm(6), nn.Linear(6, 10), nn.Softmax(dim=1))
    with torch.no_grad():  # running statistics that are not the identity
        model[2].running_mean.uniform_(-1, 1)
        model[2].running_var.uniform_(0.5, 2)
    return model.eval()


class FunctionalCNN(nn.Module):
    """The same kind of network written with functions (captured as a torch.fx graph)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.conv = nn.Conv2d(1, 3, 3)
        self.kernel = nn.Parameter(torch.randn(5, 3, 2, 2))
        self.line = nn.Conv1d(5, 2, 2)
        self.norm = nn.LayerNorm(4)
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x.view(-1, 1, 8, 8))  # (n, 3, 6, 6)
        x = F.conv2d(x, self.kernel)  # (n, 5, 5, 5)
        x = F.max_pool2d(F.relu(x), 2)  # (n, 5, 2, 2)
        x = F.avg_pool1d(self.line(x.flatten(2)), 1)  # (n, 2, 3) -> (n, 2, 3)
        x = F.adaptive_max_pool1d(x, 2)  # (n, 2, 2)
        x = F.dropout(torch.flatten(x, 1), 0.3, self.training)  # (n, 4)
        return F.softmax(self.fc(self.norm(x)), dim=1)


DIGITS = make_points("digits", 200, seed=0)


def test_every_layer_of_a_cnn_is_a_stage_equal_to_its_module() -> None:
    model = small_cnn()
    trace = sw.trace(model, DIGITS, device="cpu")
    want = hooked_stages(model.double(), DIGITS.x)
    assert len(trace.stages) == 1 + len(want)
    for stage, ref in zip(trace.stages[1:], want, strict=True):
        np.testing.assert_allclose(stage.points, ref, rtol=1e-12, atol=1e-12)
    assert trace.stages[2].points.shape == (200, 4 * 8 * 8)  # (n, C, H, W) as C*H*W
    assert [s.title for s in trace.stages[1:]] == [
        "Unflatten to 1x8x8", "Conv2d 1->4, 3x3 kernel, pad 1x1",
        "BatchNorm2d 4 (eval: affine)", "ReLU", "MaxPool2d 2",
        "Conv2d 4->6, 3x3 kernel", "AdaptiveAvgPool2d to 1", "Flatten",
        "Dropout (identity in eval)", "LayerNorm over 6", "Linear 6->10",
        "Softmax over dim 1"]
    np.testing.assert_allclose(trace.output.sum(axis=1), 1.0)


def test_functional_operations_are_stages_with_their_names() -> None:
    model = FunctionalCNN().eval()
    trace = sw.trace(model, DIGITS, device="cpu")
    m = model.double()
    with torch.no_grad():  # the same computation, step by step, in plain torch
        x = torch.from_numpy(DIGITS.x.copy())
        steps = [x.view(-1, 1, 8, 8)]
        steps.append(m.conv(steps[-1]))
        steps.append(F.conv2d(steps[-1], m.kernel))
        steps.append(F.relu(steps[-1]))
        steps.append(F.max_pool2d(steps[-1], 2))
        steps.append(steps[-1].flatten(2))
        steps.append(m.line(steps[-1]))
        steps.append(F.avg_pool1d(steps[-1], 1))
        steps.append(F.adaptive_max_pool1d(steps[-1], 2))
        steps.append(torch.flatten(steps[-1], 1))
        steps.append(steps[-1])  # dropout in eval mode
        steps.append(m.norm(steps[-1]))
        steps.append(m.fc(steps[-1]))
        steps.append(F.softmax(steps[-1], dim=1))
    titles = [s.title for s in trace.stages[1:]]
    assert titles == [
        "reshape", "conv: Conv2d 1->3, 3x3 kernel", "conv2d 3->5, 2x2 kernel", "ReLU",
        "MaxPool2d", "Flatten", "line: Conv1d 5->2, 2 kernel", "AvgPool1d",
        "AdaptiveMaxPool1d", "Flatten", "Dropout (identity in eval)",
        "norm: LayerNorm over 4", "fc: Linear 4->3", "Softmax"]
    for stage, ref in zip(trace.stages[1:], steps, strict=True):
        np.testing.assert_allclose(stage.points, ref.reshape(200, -1).numpy(), rtol=1e-12,
                                   atol=1e-12)


def test_a_slice_through_a_cnn_is_the_cnn_of_origin_plus_u_axes() -> None:
    model = small_cnn()
    every = make_points("digits")
    pts: Points = on_slice(every, "0,10,20", n=100)
    trace = sw.trace(model, pts, device="cpu")
    frame = trace.frame
    inputs = frame.origin + trace.stages[0].points @ frame.axes
    for stage, ref in zip(trace.stages[1:], hooked_stages(model.double(), inputs), strict=True):
        np.testing.assert_allclose(stage.points, ref, rtol=1e-12, atol=1e-12)
    for got, ref in zip(trace.anchors[1:], hooked_stages(model, every.x[[0, 10, 20]]), strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kind", ["dropout", "flatten"])
def test_stills_say_that_dropout_and_flatten_leave_points_unchanged(kind: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from spacewarp.render.static import weights_text

    trace = sw.trace(small_cnn(), DIGITS, device="cpu")
    (k,) = [k for k, s in enumerate(trace.stages) if s.kind == kind]
    text = weights_text(trace, k)
    assert "unchanged" in text and "on each coordinate" not in text


def conv_first() -> nn.Sequential:
    torch.manual_seed(2)
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
                         nn.Linear(27, 4)).eval()


def test_input_shape_makes_rows_images_for_a_model_that_starts_with_a_convolution() -> None:
    model = conv_first()
    trace = sw.run(model=model, input="digits", points=50, input_shape="1,8,8", device="cpu")
    rows = make_points("digits", 50).x
    want = hooked_stages(model.double(), rows.reshape(50, 1, 8, 8))
    assert trace.stages[0].points.shape == (50, 64)
    for stage, ref in zip(trace.stages[1:], want, strict=True):
        np.testing.assert_allclose(stage.points, ref, rtol=1e-12, atol=1e-12)
    assert trace.stages[1].title == "Conv2d 1->3, 3x3 kernel"
    u = torch.from_numpy(rows[:3].copy())  # the program (measures) takes rows too
    np.testing.assert_allclose(trace.program(u)[-1].detach().numpy(), trace.output[:3])


def test_input_shape_on_a_slice() -> None:
    model = conv_first()
    trace = sw.run(model=model, input="digits", slice="0,6,8", points=64, input_shape="1,8,8",
                   device="cpu")
    frame = trace.frame
    inputs = (frame.origin + trace.stages[0].points @ frame.axes).reshape(64, 1, 8, 8)
    for stage, ref in zip(trace.stages[1:], hooked_stages(model.double(), inputs), strict=True):
        np.testing.assert_allclose(stage.points, ref, rtol=1e-12, atol=1e-12)


def test_an_input_shape_that_does_not_hold_a_row_is_one_line(tmp_path, capsys) -> None:
    from spacewarp.cli import main

    out = tmp_path / "out"
    assert main(["render", "--input", "digits", "--input-shape", "1,7,8", "--out",
                 str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("spacewarp: error: --input-shape:")
    assert "56" in err and "64" in err
    assert not out.exists()
