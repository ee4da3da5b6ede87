"""Forwards that reshape with the batch size read off their input (``x.view(len(x), ...)``,
``x.view(x.size(0), -1)``, ``x.reshape(x.shape[0], ...)``, ``n = x.size(0)`` read once):
captured on one batch, they must run on any other (a polygon's map has 3 rows). Checked
against the same network written with nn.Unflatten / nn.Flatten (same weights) and
against its modules' forward hooks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hooks import hooked_stages
from torch import nn

import spacewarp as sw
from spacewarp.inputs.points import make_points

WAYS = ["len", "size", "shape", "size_once"]


class BatchSized(nn.Module):
    """8x8 digits -> 3 classes: unflatten, conv, ReLU, max-pool, flatten, linear, the two
    reshapes written ``how``."""

    def __init__(self, how: str) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.how = how
        self.conv, self.pool, self.fc = nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), \
            nn.Linear(64, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.size(0)  # read once, at the top: the flatten below uses it ("size_once")
        h = self.pool(F.relu(self.conv(self.sized(x, (1, 8, 8)))))
        return self.fc(h.view(n, -1) if self.how == "size_once" else self.sized(h, (-1,)))

    def sized(self, x: torch.Tensor, rest: tuple[int, ...]) -> torch.Tensor:
        if self.how == "len":
            return x.view(len(x), *rest)
        if self.how == "shape":
            return x.reshape(x.shape[0], *rest)
        return x.view(x.size(0), *rest)


def written_with_modules(net: BatchSized) -> nn.Sequential:
    """The same network (the same modules) with nn.Unflatten and nn.Flatten."""
    return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), net.conv, nn.ReLU(), net.pool,
                         nn.Flatten(), net.fc).double().eval()


def on_slice(model: nn.Module) -> sw.Trace:
    return sw.run(model=model, input="digits", slice="0,10,20", points=300, device="cpu")


def by_pattern(regions: sw.Regions) -> dict[bytes, float]:
    """Each region's area by its activation pattern (the patterns are distinct)."""
    found = {p.tobytes(): float(a) for p, a in zip(regions.patterns, regions.areas,
                                                     strict=True)}
    assert len(found) == len(regions)
    return found


@pytest.fixture(scope="module")
def reference() -> sw.Regions:
    return sw.regions(on_slice(written_with_modules(BatchSized("len").double().eval())))


def assert_same_regions(got: sw.Regions, want: sw.Regions, least: int = 50) -> None:
    assert len(got) == len(want) >= least
    assert got.per_layer == want.per_layer
    mine, theirs = by_pattern(got), by_pattern(want)
    assert mine.keys() == theirs.keys()
    np.testing.assert_allclose([mine[k] for k in theirs], list(theirs.values()), rtol=1e-9)


@pytest.mark.parametrize("how", WAYS)
def test_regions_equal_those_of_the_network_written_with_flatten(how, reference) -> None:
    assert_same_regions(sw.regions(on_slice(BatchSized(how).double().eval())), reference)


@pytest.mark.parametrize("how", WAYS)
def test_stages_equal_forward_hooks_and_the_program_runs_any_batch(how) -> None:
    net = BatchSized(how).double().eval()
    x = make_points("digits", 40, seed=0).x  # (40, 64)
    trace = sw.trace(net, make_points("digits", 40, seed=0), device="cpu")
    assert trace.capture == "graph"
    assert [s.kind for s in trace.stages[1:]] == [
        "reshape", "conv2d", "relu", "maxpool2d", "reshape", "linear"]
    conv, pool, fc = hooked_stages(net, x)  # the modules' outputs (F.relu is no module)
    for k, want in zip((2, 4, 6), (conv, pool, fc), strict=True):
        np.testing.assert_allclose(trace.stages[k].points, want, rtol=1e-12, atol=1e-12)
    assert trace.stages[5].inputs == (4,)  # fed by the pooling, not by the size read
    for stage in trace.stages[1:]:  # each operation alone, on 3 rows of its feeding stage
        if stage.on_rows is not None:
            rows = trace.stages[stage.inputs[0]].points[5:8]
            np.testing.assert_allclose(stage.on_rows(rows), stage.points[5:8], atol=1e-12)
    assert trace.stages[1].on_rows is not None and trace.stages[5].on_rows is not None


def test_a_program_exported_at_one_batch_size_runs_its_rows_in_that_size(reference) -> None:
    """torch.export with a fixed batch holds the size in its reshapes ([50, 4, 4])."""

    class Mlp(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(1)
            self.a, self.b = nn.Linear(64, 16), nn.Linear(16, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = torch.relu(self.a(x).view(x.size(0), 4, 4))
            return self.b(h.reshape(x.shape[0], -1))

    net = Mlp().double().eval()
    exported = torch.export.export(net, (torch.zeros(50, 64, dtype=torch.float64),))
    plain = nn.Sequential(net.a, nn.Unflatten(1, (4, 4)), nn.ReLU(), nn.Flatten(), net.b)
    assert_same_regions(sw.regions(on_slice(exported.module())),
                        sw.regions(on_slice(plain.double().eval())), least=3)
