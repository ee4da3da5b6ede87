"""Graph capture plus trace against a plain forward of the same model, in one run.

    .venv/bin/python bench/bench_capture.py            # 20 residual blocks, width 64, 1e5 points
    .venv/bin/python bench/bench_capture.py --quick    # 1e4 points

A residual MLP (``h = h + relu(fc2(relu(fc1(h))))`` per block, so 5 operations a block)
is traced by ``spacewarp.tracing.trace`` (torch.fx capture, every operation's output kept as a
float64 stage) and run plainly (``model(x)`` under no_grad, float64). Target: ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
from torch import nn

import spacewarp as sw


class ResidualMLP(nn.Module):
    def __init__(self, blocks: int = 20, width: int = 64) -> None:
        super().__init__()
        self.embed = nn.Linear(2, width)
        self.fc1 = nn.ModuleList(nn.Linear(width, width) for _ in range(blocks))
        self.fc2 = nn.ModuleList(nn.Linear(width, width) for _ in range(blocks))
        self.head = nn.Linear(width, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        for a, b in zip(self.fc1, self.fc2, strict=True):
            h = h + torch.relu(b(torch.relu(a(h))))
        return self.head(h)


def best_of(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 10_000 if args.quick else 100_000
    torch.manual_seed(0)
    model = ResidualMLP().double().eval()
    pts = sw.make_points("gaussian", n, seed=0)
    x = torch.tensor(pts.x)

    def plain() -> None:
        with torch.no_grad():
            model(x)

    def traced() -> None:
        sw.trace(model, pts, device="cpu")

    plain(), traced()  # warm up
    t_plain, t_trace = best_of(plain, 5), best_of(traced, 5)
    stages = len(sw.trace(model, pts, device="cpu").stages)
    print(f"load (1-min average): {os.getloadavg()[0]:.2f}")
    print(f"residual MLP, 20 blocks, width 64, {n:,} points, {stages} stages")
    print(f"plain forward (float64, no_grad)  {t_plain * 1e3:8.1f} ms")
    print(f"spacewarp.tracing.trace (capture + trace)  {t_trace * 1e3:8.1f} ms")
    print(f"ratio trace / forward: {t_trace / t_plain:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
