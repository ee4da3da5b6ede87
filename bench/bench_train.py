"""Training: the course's model trained the course's way, bare PyTorch against sw.train.

    .venv/bin/python bench/bench_train.py [--quick]

The course (NYU DL 04-spiral_classification): 3000 spiral points, 2-100-3 ReLU with
bias, Adam lr 1e-3, weight decay 1e-5, cross entropy, 1000 full-batch epochs.

Prints, measured in this run:
- in-process: a bare loop (the same float64 model, data and one CPU thread, as
  sw.train uses for a step this small) against sw.train keeping 100 snapshots
  (target ratio <= 1.15); best of two each, alternating;
- whole processes: ``python -c <bare loop>`` against ``python -c 'sw.train(...)'``,
  imports included (target ratio <= 1.5);
- the training film of 100 snapshots (training.mp4, 1280x720): seconds (the snapshots
  traced and viewed, then the frames drawn and encoded), the frames' part per drawn frame
  (the held last snapshot is drawn once), and peak memory (max RSS of a process that
  trains, then writes the film, minus that before the film);
- ``uptime`` (the machine is shared: read the figures with the load).

``--quick``: 300 epochs instead of 1000 (stated in the output).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

COURSE = {"input": "spiral", "points": 3000, "layers": "2,100,3", "activation": "relu",
          "bias": True, "init": "random", "optimizer": "adam", "lr": 1e-3,
          "weight_decay": 1e-5, "batch_size": "full", "test_split": 0.0, "device": "cpu"}

BARE = """
import time, numpy as np, torch
import torch.nn.functional as F
from torch import nn
torch.set_num_threads(1)
from spacewarp.inputs.points import make_points
pts = make_points("spiral", 3000)
x = torch.from_numpy(np.array(pts.x)); y = torch.from_numpy(np.array(pts.labels))
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 3)).double()
opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
start = time.perf_counter()
for epoch in range({epochs}):
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
SECONDS = time.perf_counter() - start
"""

SW = """
import spacewarp as sw
sw.train(**{course}, epochs={epochs}, snapshots=100, progress=False, live=False)
"""

FILM = """
import resource, sys, time
import spacewarp as sw
from spacewarp.export.training import write_training_film
from spacewarp.training.snapshots import trace_snapshots
from spacewarp.view.training import film_times, training_view
t = sw.train(**{course}, epochs={epochs}, snapshots=100, progress=False, live=False)
times = film_times(len(t.snapshots))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
view = training_view(trace_snapshots(t))
viewed = time.perf_counter()
write_training_film(view, sys.argv[1], progress=False)
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(seconds, before / 1024, after / 1024, len(t.snapshots), len(times), len(set(times)),
      viewed - start)
"""


def bare_seconds(epochs: int) -> float:
    scope: dict[str, object] = {}
    exec(BARE.format(epochs=epochs), scope)  # noqa: S102 - our own benchmark text
    return float(scope["SECONDS"])  # type: ignore[arg-type]


def sw_seconds(epochs: int) -> float:
    import spacewarp as sw

    start = time.perf_counter()
    sw.train(**COURSE, epochs=epochs, snapshots=100, progress=False, live=False)
    return time.perf_counter() - start


def process_seconds(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="300 epochs instead of 1000")
    epochs = 300 if ap.parse_args().quick else 1000
    print(f"the course's model, {epochs} full-batch epochs (float64, one CPU thread)")
    bare, ours = [], []
    for _ in range(2):
        bare.append(bare_seconds(epochs))
        ours.append(sw_seconds(epochs))
    b, o = min(bare), min(ours)
    print(f"in-process: bare loop {b:.2f} s, sw.train with 100 snapshots {o:.2f} s, "
          f"ratio {o / b:.3f} (target <= 1.15)")
    bare_p = min(process_seconds(BARE.format(epochs=epochs)) for _ in range(2))
    sw_p = min(process_seconds(SW.format(course=COURSE, epochs=epochs)) for _ in range(2))
    print(f"whole processes: bare {bare_p:.2f} s, sw.train {sw_p:.2f} s, "
          f"ratio {sw_p / bare_p:.3f} (target <= 1.5)")
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", FILM.format(course=COURSE, epochs=epochs),
                              str(Path(tmp) / "training.mp4")], check=True,
                             capture_output=True, text=True).stdout.split()
        size = (Path(tmp) / "training.mp4").stat().st_size / 1e6
    seconds, before, after, snaps = float(out[0]), float(out[1]), float(out[2]), out[3]
    frames, drawn, viewed = int(out[4]), int(out[5]), float(out[6])
    print(f"training film of {snaps} snapshots (+ 2 s held): {seconds:.1f} s, "
          f"{size:.1f} MB; peak RSS {after:.0f} MB ({after - before:+.0f} MB over training's "
          f"{before:.0f} MB)")
    print(f"  of which traced and viewed {viewed:.1f} s, then {frames} frames "
          f"({drawn} drawn: the held last snapshot once) {seconds - viewed:.1f} s, "
          f"{1000 * (seconds - viewed) / drawn:.1f} ms per drawn frame, encoding included")
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
