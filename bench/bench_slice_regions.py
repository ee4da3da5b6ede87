"""Exact regions on a digits slice through a CNN, against a plain NumPy enumerator.

1. A small CNN (conv, ReLU, 2x2 max-pool, linear) on a box of the plane through rows
   0, 10, 20 of the 8x8 digits: spacewarp's regions against ``plain_cnn_regions`` below
   (one polygon, one neuron, one pooling window at a time; the network's values at the
   vertices from a forward pass written in NumPy). Equal counts; the ratio of times.
2. The cost per region against D, the slice and the widths, on planes through three random
   rows: (a) D alone: an MLP D-128-128-10 and a CNN whose conv1 is strided to 32 x 8 x 8
   (then 64 channels, 128 hidden), the same widths at D = 64, 784 and 3,072, boxes of the
   same size in anchor spacings; the 64-D MLP's smallest box against tests/plain_regions.py;
   (b) a random CNN of MNIST's usual shape (32 and 64 channels, 128 hidden) on 8x8 and
   28x28 inputs as the box grows: ms per region, per 1,000 ReLU neurons (its widths grow
   with the image), and the total against the regions.
3. The trained digits CNN of examples/digits_cnn.py (trained here, seed 0) on the slice
   through a 0, a 6 and an 8 (rows 0, 6, 8), its whole box: regions per second.

    PYTHONPATH=. python bench/bench_slice_regions.py [--only 1|2|3] [--skip-trained]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

import spacewarp as sw

TOL = 1e-10  # a vertex value within this fraction of the polygon's largest is on the line


def cnn(side: int, channels: tuple[int, int], hidden: int, classes: int) -> nn.Sequential:
    c1, c2 = channels
    flat = c2 * (side // 4) ** 2
    body: list[nn.Module] = [nn.Unflatten(1, (1, side, side)), nn.Conv2d(1, c1, 3, padding=1),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(c1, c2, 3, padding=1),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()]
    head: list[nn.Module] = ([nn.Linear(flat, hidden), nn.ReLU(), nn.Linear(hidden, classes)]
                             if hidden else [nn.Linear(flat, classes)])
    return nn.Sequential(*body, *head).double().eval()


# --- the plain reference ------------------------------------------------------------------

def np_forward(net: nn.Sequential, x: np.ndarray, upto: int) -> np.ndarray:
    """The first ``upto`` modules of ``net`` on rows x (n, D), in NumPy: (n, d)."""
    for m in list(net)[:upto]:
        if isinstance(m, nn.Unflatten):
            x = x.reshape(len(x), *m.unflattened_size)
        elif isinstance(m, nn.Conv2d):  # 3x3, padding 1: a sum of 9 shifted products
            assert m.bias is not None  # cnn() builds every conv with a bias
            w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
            pad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
            h, wd = x.shape[2], x.shape[3]
            x = sum(np.einsum("nchw,oc->nohw", pad[:, :, i:i + h, j:j + wd], w[:, :, i, j])
                    for i in range(3) for j in range(3)) + b[None, :, None, None]
        elif isinstance(m, nn.ReLU):
            x = np.maximum(x, 0)
        elif isinstance(m, nn.MaxPool2d):  # 2x2 windows: (n, C, H/2, W/2, 4) -> max
            x = windows(x).max(axis=-1)
        elif isinstance(m, nn.Flatten):
            x = x.reshape(len(x), -1)
        elif isinstance(m, nn.Linear):
            x = x @ m.weight.detach().numpy().T + m.bias.detach().numpy()
    return x.reshape(len(x), -1)


def windows(x: np.ndarray) -> np.ndarray:
    """(n, C, H, W) -> (n, C, H/2, W/2, 4): each 2x2 window's entries, row-major."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(
        n, c, h // 2, w // 2, 4)


def clip(poly: list, s: np.ndarray, strict: bool, scale: float = 0.0) -> list:
    """The part of a polygon where s >= 0 (s > 0 when strict), Sutherland-Hodgman. Values
    within TOL of ``scale`` (the layer's largest value on the polygon; by default s's own)
    are zero: a vertex on a ReLU's line reads +-4e-16 after it, not 0."""
    scale = max(float(np.abs(s).max()), scale, 1e-300)
    s = np.where(np.abs(s) <= TOL * scale, 0.0, s)
    if strict and not (s > 0).any():
        return []
    out = []
    for i in range(len(poly)):
        k = (i + 1) % len(poly)
        if s[i] >= 0:
            out.append(poly[i])
        if s[i] * s[k] < 0:
            t = s[i] / (s[i] - s[k])
            out.append(poly[i] + t * (poly[k] - poly[i]))
    return out if len(out) >= 3 and area(out) > 1e-18 else []


def area(poly: list) -> float:
    p = np.array(poly)
    return 0.5 * abs(float(np.dot(p[:, 0], np.roll(p[:, 1], -1))
                           - np.dot(p[:, 1], np.roll(p[:, 0], -1))))


def plain_cnn_regions(net: nn.Sequential, frame, box: tuple[float, ...]) -> list:
    """Every region of ``net`` on the slice's box: polygons cut one at a time."""
    x0, x1, y0, y1 = box
    pieces = [[np.array(p, float) for p in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]]
    for k, m in enumerate(net):
        if isinstance(m, nn.ReLU):  # cut by the sign of each input of the ReLU
            pieces = [q for poly in pieces for q in by_sign(net, frame, poly, k)]
        if isinstance(m, nn.MaxPool2d):  # cut by which entry of each window wins
            pieces = [q for poly in pieces for q in by_winner(net, frame, poly, k)]
    return pieces


def values_at(net: nn.Sequential, frame, poly: list, upto: int, pool: bool) -> np.ndarray:
    """The input of module ``upto`` at the polygon's vertices: (m, d), or for a max-pool
    its 2x2 windows (m, units, 4)."""
    rows = np_forward(net, frame.origin + np.array(poly) @ frame.axes, upto)
    if not pool:
        return rows
    with torch.no_grad():  # (C, H, W): only the shape, from torch
        shape = net[:upto](torch.zeros(1, frame.axes.shape[1], dtype=torch.float64)).shape
    return windows(rows.reshape(len(poly), *shape[1:])).reshape(len(poly), -1, 4)


def by_sign(net, frame, poly, k) -> list:
    parts = [poly]
    for j in range(np_forward(net, frame.origin[None], k).shape[1]):
        nxt = []
        for p in parts:
            s = values_at(net, frame, p, k, False)[:, j]
            nxt += [q for q in (clip(p, s, False), clip(p, -s, True)) if q]
        parts = nxt
    return parts


def by_winner(net, frame, poly, k) -> list:
    parts = [poly]
    for j in range(values_at(net, frame, poly, k, True).shape[1]):
        nxt = []
        for p in parts:
            for i in range(4):  # entry i wins: ties go to the first
                q = p
                for other in range(4):
                    if other != i and q:
                        diff, scale = v_at(net, frame, q, k, j, i, other)
                        q = clip(q, diff, other < i, scale)
                if q:
                    nxt.append(q)
        parts = nxt
    return parts


def v_at(net, frame, q, k, j, i, other) -> tuple[np.ndarray, float]:
    """Entry i less entry ``other`` of window j at q's vertices, and the layer's scale
    there (the largest value of any window), which says what is zero."""
    v = values_at(net, frame, q, k, True)
    return v[:, j, i] - v[:, j, other], float(np.abs(v).max())


# --- the runs -----------------------------------------------------------------------------

def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def digits_case() -> None:
    torch.manual_seed(0)
    net = cnn(8, (2, 2), 0, 3)
    trace = sw.run(model=net, input="digits", slice="0,10,20", points=100, device="cpu")
    box = (6.0, 20.0, 4.0, 18.0)  # a patch of the slice: the plain reference is slow
    t0 = time.perf_counter()
    sw.regions(trace, box)  # a process's first call also imports numba and loads the loops
    first = time.perf_counter() - t0
    trace = sw.run(model=net, input="digits", slice="0,10,20", points=100, device="cpu")
    t0 = time.perf_counter()  # a fresh trace: its steps are read off its operations again
    found = sw.regions(trace, box)
    fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    plain = plain_cnn_regions(net, trace.frame, box)
    slow = time.perf_counter() - t0
    box_area = (box[1] - box[0]) * (box[3] - box[2])
    print(f"digits slice, CNN 1->2->2 (2x2 max-pools) -> 3, box {box}: spacewarp "
          f"{len(found)} regions in {fast:.3f} s (the process's first call {first:.2f} s), "
          f"plain NumPy {len(plain)} in {slow:.2f} s "
          f"({slow / fast:.0f}x faster); equal counts: {len(found) == len(plain)}; areas / box: "
          f"spacewarp {found.areas.sum() / box_area:.6f}, plain "
          f"{sum(area(q) for q in plain) / box_area:.6f} ({load()})")


# --- part 2: the cost per region against D, the slice's box and the widths ----------------

SHAPES = ((1, 8, 8), (1, 28, 28), (3, 32, 32))  # the D-alone inputs: 64, 784 and 3,072-D
FRONTS = {8: (3, 1, 1), 28: (7, 3, 0), 32: (4, 4, 0)}  # side -> conv1's kernel, stride,
# padding: 32 channels at 8 x 8 from every side, so every later width is the same
MLP_BOXES = (0.5, 1.0, 2.0)  # box sides in units of the plane's anchor spacing |x_1 - x_0|
CNN_BOXES = (0.05, 0.1, 0.2)
REPEATS = 3  # best of, interleaved across D


def mnist_sized_case() -> None:
    """Part 2: D alone (same widths, D = 64, 784, 3,072), then the slice's box and the
    CNN's widths (the random CNN of MNIST's shape at 8x8 and 28x28)."""
    d_alone_reference()
    d_alone_case("MLP D-128-128-10", mlp, MLP_BOXES)
    d_alone_case("CNN conv1 to 32x8x8 -64-128-10", fixed_front_cnn, CNN_BOXES)
    slice_box_case()


def mlp(shape: tuple[int, int, int]) -> nn.Sequential:
    width = int(np.prod(shape))
    return nn.Sequential(nn.Linear(width, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                         nn.Linear(128, 10)).double().eval()


def fixed_front_cnn(shape: tuple[int, int, int]) -> nn.Sequential:
    """conv1 strided to 32 x 8 x 8 whatever the side; then the 8x8 CNN's layers (at 8x8
    this is ``cnn(8, (32, 64), 128, 10)``, the same weights from the same seed)."""
    channels, side = shape[0], shape[1]
    kernel, stride, padding = FRONTS[side]
    return nn.Sequential(nn.Unflatten(1, shape),
                         nn.Conv2d(channels, 32, kernel, stride=stride, padding=padding),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 2 * 2, 128), nn.ReLU(),
                         nn.Linear(128, 10)).double().eval()


def plane_trace(net: nn.Sequential, width: int) -> sw.Trace:
    """The trace of ``net`` on the plane through three random rows in [0, 1)^width."""
    rows = np.random.default_rng(0).random((3, width))
    path = f"/tmp/bench_slice_regions_{width}.npy"
    np.save(path, rows)
    return sw.run(model=net, data=path, slice="0,1,2", points=100, device="cpu")


def spacing_box(trace: sw.Trace, side: float) -> tuple[float, float, float, float]:
    """A square of ``side`` anchor spacings near the origin row: a random network's lines
    cross a plane through random rows about 1/sqrt(D) as densely, as their spacing grows."""
    s = anchor_spacing(trace)
    cx, cy, half = 0.15 * s, 0.09 * s, side * s / 2
    return (cx - half, cx + half, cy - half, cy + half)


def anchor_spacing(trace: sw.Trace) -> float:
    """|x_1 - x_0|, row 1's distance from the origin row: 3.3 at 64-D, 11.3 at 784-D."""
    assert trace.frame is not None
    return float(trace.frame.anchors[1][0])


def relu_neurons(net: nn.Sequential, width: int) -> int:
    """The inputs of every ReLU, counted by forward hooks on one row."""
    sizes: list[int] = []
    hooks = [m.register_forward_hook(lambda _m, x, _y: sizes.append(x[0][0].numel()))
             for m in net if isinstance(m, nn.ReLU)]
    with torch.no_grad():
        net(torch.zeros(1, width, dtype=torch.float64))
    for h in hooks:
        h.remove()
    return sum(sizes)


def cpu_regions(trace: sw.Trace, box: tuple[float, ...]) -> tuple[int, float]:
    c0 = time.process_time()
    found = sw.regions(trace, box)
    return len(found), time.process_time() - c0


def d_alone_reference() -> None:
    """The 64-D MLP's smallest box against tests/plain_regions.py, the slice written as a
    Linear(2, 64) in front (x = origin + u @ axes): equal counts and activation patterns."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from plain_regions import plain_regions  # tests/plain_regions.py

    torch.manual_seed(0)
    net = mlp(SHAPES[0])
    trace = plane_trace(net, 64)
    box = spacing_box(trace, MLP_BOXES[0])
    frame = trace.frame
    assert frame is not None
    front = nn.Linear(2, 64).double()
    with torch.no_grad():
        front.weight.copy_(torch.from_numpy(frame.axes.T.copy()))
        front.bias.copy_(torch.from_numpy(frame.origin.copy()))
    plain = plain_regions(nn.Sequential(front, *net), box)
    found = sw.regions(trace, box)
    same = sorted(p for _, p in plain) == sorted(tuple(map(bool, p)) for p in found.patterns)
    print(f"64-D MLP, box {MLP_BOXES[0]} spacings: spacewarp {len(found)} regions, plain "
          f"(tests/plain_regions.py) {len(plain)}; equal patterns: {same}")


def d_alone_case(name: str, build: Callable[[tuple[int, int, int]], nn.Sequential],
                 sides: tuple[float, ...]) -> None:
    """The same widths at D = 64, 784, 3,072: CPU ms per region, best of REPEATS."""
    traces = []
    for shape in SHAPES:
        torch.manual_seed(0)
        net = build(shape)
        traces.append((shape, plane_trace(net, int(np.prod(shape))), net))
    cpu_regions(traces[0][1], spacing_box(traces[0][1], sides[0]))  # loads the compiled loops
    best: dict[tuple[int, float], tuple[int, float]] = {}
    for _ in range(REPEATS):
        for k, (_shape, trace, _net) in enumerate(traces):
            for side in sides:
                n, cpu = cpu_regions(trace, spacing_box(trace, side))
                best[k, side] = (n, min(cpu, best.get((k, side), (n, np.inf))[1]))
    for k, (shape, trace, net) in enumerate(traces):
        width = int(np.prod(shape))
        for side in sides:
            n, cpu = best[k, side]
            print(f"{name}, {width}-D ({relu_neurons(net, width):,} ReLU neurons), box "
                  f"{side} spacings ({side * anchor_spacing(trace):.2f}): {n:,} regions, "
                  f"{cpu:.3f} CPU s, {1e6 * cpu / n:.1f} CPU us per region")
    per_region = {k: sum(best[k, s][1] for s in sides) / sum(best[k, s][0] for s in sides)
                  for k in range(len(SHAPES))}
    print(f"{name}: CPU per region (all boxes), 784-D against 64-D "
          f"{per_region[1] / per_region[0]:.2f}, 3,072-D against 64-D "
          f"{per_region[2] / per_region[0]:.2f} ({load()})")


def slice_box_case() -> None:
    """The random CNN of MNIST's shape at 8x8 and 28x28 as the box grows: ms per region,
    per 1,000 ReLU neurons, and the total against the regions (a line through them)."""
    for side in (8, 28):
        torch.manual_seed(0)
        net = cnn(side, (32, 64), 128, 10)
        trace = plane_trace(net, side * side)
        neurons = relu_neurons(net, side * side)
        counts, cpus = [], []
        # the 8x8 network's three small boxes cost mostly the call's fixed part (about
        # 0.1-0.2 CPU s), so two larger ones give the line a slope to measure
        for half in (0.01, 0.02, 0.04) + ((0.08, 0.16) if side == 8 else ()):
            box = (0.5 - half, 0.5 + half, 0.3 - half, 0.3 + half)
            n, cpu = min((cpu_regions(trace, box) for _ in range(REPEATS)),
                         key=lambda r: r[1])
            counts.append(n)
            cpus.append(cpu)
            print(f"{side}x{side} ({side * side}-D) random CNN 32-64-128 ({neurons:,} ReLU "
                  f"neurons), box side {2 * half}: {n:,} regions, {cpu:.2f} CPU s, "
                  f"{1e3 * cpu / n:.2f} CPU ms per region, "
                  f"{1e6 * cpu / n / (neurons / 1e3):.0f} CPU us per region per 1,000 "
                  f"neurons ({load()})")
        slope, fixed = np.polyfit(counts, cpus, 1)
        print(f"{side}x{side}: total CPU s ~ {fixed:.2f} + {1e3 * slope:.2f} ms x regions "
              f"(least squares over the {len(counts)} boxes)")


def trained_digits_case() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
    from digits_cnn import train

    net, accuracy = train(seed=0)
    net = net.double().eval()
    trace = sw.run(model=net, input="digits", input_shape="1,8,8", slice="0,6,8", points=100,
                   device="cpu")
    t0, c0 = time.perf_counter(), time.process_time()
    found = sw.regions(trace)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"trained digits CNN ({accuracy:.1%} right), slice 0,6,8, its box: {len(found):,} "
          f"regions in {took:.2f} s ({cpu:.2f} CPU s): {len(found) / took:,.0f} regions per "
          f"second, {len(found) / cpu:,.0f} per CPU s ({load()}; numba's and BLAS's threads "
          "on every core, torch's one)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", type=int, choices=(1, 2, 3),
                        help="run only this part (3: the trained digits CNN)")
    parser.add_argument("--skip-trained", action="store_true",
                        help="leave out part 3 (it trains the digits CNN first)")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    torch.set_num_threads(1)
    # spacewarp's notes (an inferred input shape, the region loops' first compile) as one
    # line each among the figures, not Python's default two with a file and line
    warnings.formatwarning = lambda message, category, *where, **kw: \
        f"{category.__name__}: {message}\n"
    parts = {1: digits_case, 2: mnist_sized_case, 3: trained_digits_case}
    for part, run in parts.items():
        if (args.only in (None, part)) and not (part == 3 and args.skip_trained):
            run()
