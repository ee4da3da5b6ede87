"""Graph capture: every operation a stage, checked against forwards written by hand here."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import spacewarp as sw
from spacewarp.export.stills import trace_arrays
from spacewarp.render.static import stages_figure
from spacewarp.view import morphs

torch.manual_seed(0)
PTS = sw.make_points("gaussian", 64, seed=2)
X = torch.tensor(PTS.x)  # (64, 2) float64


class Functional(nn.Module):
    """``head(tanh(fc2(relu(fc1(x)))))``: the issue's example, activations as functions."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2, self.head = nn.Linear(2, 16), nn.Linear(16, 2), nn.Linear(2, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.tanh(self.fc2(torch.relu(self.fc1(x)))))


class Residual(nn.Module):
    """``h = inp(x); h = h + tanh(block(h)); out(0.5 * h).sigmoid()``."""

    def __init__(self) -> None:
        super().__init__()
        self.inp, self.block, self.out = nn.Linear(2, 3), nn.Linear(3, 3), nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        h = h + torch.tanh(self.block(h))
        return self.out(0.5 * h).sigmoid()


class Inner(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.fc(x))


class Nested(nn.Module):
    """A module inside a module, and a concatenation while the batch stays (n, d)."""

    def __init__(self) -> None:
        super().__init__()
        self.inner, self.last = Inner(), nn.Linear(5, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.last(torch.cat([self.inner(x), x], dim=1))


class DataDependent(nn.Module):
    """A branch on the data: neither torch.fx nor torch.export can capture it."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(2, 3), nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.a(x)
        if h.sum() > 0:
            h = torch.relu(h)
        return self.b(h)


class ShapeLoop(nn.Module):
    """A loop over a shape: torch.fx cannot trace it, torch.export can."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(2, 3), nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.a(x)
        for _ in range(x.shape[1] - 1):
            h = h * 2.0
        return self.b(torch.relu(h))


def _run(model: nn.Module) -> tuple[sw.Trace, nn.Module]:
    t = sw.trace(model, PTS, device="cpu")
    return t, model.double()


def _assert_stages(t: sw.Trace, expected: list[torch.Tensor]) -> None:
    assert len(t.stages) == len(expected)
    for stage, want in zip(t.stages, expected, strict=True):
        np.testing.assert_allclose(stage.points, want.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_functional_activations_are_stages() -> None:
    t, m = _run(Functional())
    h1 = X @ m.fc1.weight.T + m.fc1.bias
    r = h1.clamp(min=0)
    h2 = r @ m.fc2.weight.T + m.fc2.bias
    th = torch.tanh(h2)
    out = th @ m.head.weight.T + m.head.bias
    _assert_stages(t, [X, h1, r, h2, th, out])
    assert [s.title for s in t.stages] == [
        "Input", "fc1: Linear 2->16", "ReLU", "fc2: Linear 16->2", "Tanh", "head: Linear 2->3"]
    assert [s.kind for s in t.stages[1:]] == ["linear", "relu", "linear", "tanh", "linear"]
    assert [s.inputs for s in t.stages] == [(), (0,), (1,), (2,), (3,), (4,)]
    assert t.capture == "graph" and t.note == ""
    np.testing.assert_array_equal(t.stages[5].weight, m.head.weight.detach().numpy())


def test_residual_add_and_constant_scaling() -> None:
    t, m = _run(Residual())
    h = X @ m.inp.weight.T + m.inp.bias
    b = h @ m.block.weight.T + m.block.bias
    tb = torch.tanh(b)
    r = h + tb
    s = 0.5 * r
    o = s @ m.out.weight.T + m.out.bias
    _assert_stages(t, [X, h, b, tb, r, s, o, torch.sigmoid(o)])
    add, mul = t.stages[4], t.stages[5]
    assert (add.kind, add.inputs, add.title) == ("add", (1, 3), "inp(...) + tanh(...)")
    assert (mul.kind, mul.inputs, mul.title) == ("mul", (4,), "0.5 * sum(...)")
    # the add's morph starts from the main path's input, tanh(...), not from the shortcut
    path = [p for p in morphs(t) if p.kind != "projection"]
    assert [(p.from_stage, p.to_stage) for p in path] == [
        (0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7)]
    np.testing.assert_allclose(path[3].end - path[3].start, h.detach().numpy(), atol=1e-12)


def test_module_inside_a_module_and_cat() -> None:
    t, m = _run(Nested())
    f = X @ m.inner.fc.weight.T + m.inner.fc.bias
    g = F.gelu(f)
    c = torch.cat([g, X], dim=1)
    _assert_stages(t, [X, f, g, c, c @ m.last.weight.T + m.last.bias])
    assert t.stages[1].title == "inner.fc: Linear 2->3"
    assert (t.stages[3].kind, t.stages[3].inputs) == ("cat", (0, 2))


def test_export_captures_what_fx_cannot() -> None:
    t, m = _run(ShapeLoop())
    h = X @ m.a.weight.T + m.a.bias
    _assert_stages(t, [X, h, 2 * h, torch.relu(2 * h),
                       torch.relu(2 * h) @ m.b.weight.T + m.b.bias])
    assert t.capture == "graph" and [s.kind for s in t.stages[1:]] == [
        "linear", "mul", "relu", "linear"]


def test_hooks_fallback_says_so_everywhere() -> None:
    t, m = _run(DataDependent())
    assert t.capture == "hooks"
    assert t.note == "stages are module outputs; operations between them are not shown"
    with torch.no_grad():
        np.testing.assert_array_equal(t.output, m(X).numpy())
    arrays = trace_arrays(t)
    assert str(arrays["capture"]) == "hooks" and str(arrays["capture_note"]) == t.note
    notes = [x.get_text() for x in stages_figure(t).texts if x.get_gid() == "note"]
    assert notes == [f"Note: {t.note}."]


@pytest.mark.parametrize("model", [Functional, Residual, Nested, ShapeLoop, DataDependent])
def test_last_stage_is_model_x_and_program_recomputes_every_stage(model: type) -> None:
    t, m = _run(model())
    with torch.no_grad():
        np.testing.assert_allclose(t.output, m(X).numpy(), rtol=1e-12, atol=1e-12)
    assert t.program is not None
    again = t.program(X)
    for stage, out in zip(t.stages, again, strict=True):
        np.testing.assert_array_equal(stage.points, out.detach().numpy())


def test_sequential_keeps_its_stages_and_titles() -> None:
    model = sw.build_model([2, 3, 3, 2], "relu", init="random", seed=1)
    t = sw.trace(model, PTS, device="cpu")
    assert [s.title for s in t.stages] == [
        "Input", "Linear 2->3", "ReLU", "Linear 3->3", "ReLU", "Linear 3->2"]
    assert [s.module for s in t.stages] == ["", "0", "1", "2", "3", "4"]


def test_a_model_that_fails_on_the_points_is_one_line() -> None:
    model = nn.Sequential(nn.Linear(3, 2))
    with pytest.raises(sw.SpacewarpError, match="3-D input but the points are 2-D"):
        sw.trace(model, PTS, device="cpu")
    with pytest.raises(sw.SpacewarpError, match=r"fails on 64 points of width 2.*--data"):
        sw.trace(Functional().fc2, PTS, device="cpu")  # a bare Linear(16, 2): not a sequence


def test_captures_in_threads_do_not_cross() -> None:
    """torch.fx patches nn.Module.__call__ process-wide while it traces: captures running
    in a server's worker threads at once must still each get their own, right stages."""
    from concurrent.futures import ThreadPoolExecutor

    models = [Functional(), Residual(), Nested(), sw.build_model([2, 3, 2], "relu")]
    want = [sw.trace(m, PTS, device="cpu").output for m in models]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda i: sw.trace(models[i % 4], PTS, device="cpu").output,
                            range(48)))
    for i, out in enumerate(got):
        np.testing.assert_array_equal(out, want[i % 4])
