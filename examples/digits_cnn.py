"""A small CNN for the bundled 8x8 digits, and a script that trains it (in seconds on a CPU).

    python examples/digits_cnn.py digits_cnn.pt     # trains, writes the weights
    spacewarp render --model examples/digits_cnn.py:DigitsCNN --weights digits_cnn.pt \
        --input digits --input-shape 1,8,8 --slice 0,6,8 --out out-digits

The rows of ``--input digits`` are the 1,797 images of 64 pixels (0-16) that scikit-learn
bundles; ``--input-shape 1,8,8`` makes each row the (1, 8, 8) image the first Conv2d takes.
``--slice 0,6,8``: the plane through rows 0, 6 and 8, which show a 0, a 6 and an 8. The
points on the slice are coloured by the class the network predicts there.

Or watch the same CNN learn, on the same plane (it trains on all 1,797 digits; the plane
is fixed, so what moves is the learning; about 35 CPU seconds):

    spacewarp train --model examples/digits_cnn.py:DigitsCNN --input digits \
        --input-shape 1,8,8 --slice 0,6,8 --epochs 40 --lr 0.01 --batch-size 128 \
        --snapshots 20 --probe 60 --html --out train-digits
"""

from __future__ import annotations

import sys
import time

import torch
from torch import nn

EPOCHS = 12
BATCH = 128


class DigitsCNN(nn.Sequential):
    """(n, 1, 8, 8) pixels 0-16 -> (n, 10) class logits. Every step is piecewise linear
    (convolution, ReLU, max-pooling, flatten, linear), so regions on a slice are exact."""

    def __init__(self) -> None:
        super().__init__(
            nn.Conv2d(1, 8, 3, padding=1),  # (n, 8, 8, 8)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (n, 8, 4, 4)
            nn.Conv2d(8, 16, 3, padding=1),  # (n, 16, 4, 4)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (n, 16, 2, 2)
            nn.Flatten(),  # (n, 64)
            nn.Linear(64, 10),  # (n, 10) logits
        )


def train(epochs: int = EPOCHS, seed: int = 0) -> tuple[DigitsCNN, float]:
    """DigitsCNN trained on every digit with Adam and cross entropy; its accuracy on them."""
    import spacewarp as sw

    pts = sw.make_points("digits")
    x = torch.tensor(pts.x, dtype=torch.float32).reshape(-1, 1, 8, 8)  # (1797, 1, 8, 8)
    y = torch.tensor(pts.labels, dtype=torch.int64)  # (1797,) digits 0-9
    torch.manual_seed(seed)
    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(epochs):
        for rows in torch.randperm(len(x)).split(BATCH):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[rows]), y[rows]).backward()
            opt.step()
    with torch.no_grad():
        accuracy = float((model(x).argmax(1) == y).double().mean())
    return model, accuracy


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "digits_cnn.pt"
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    trained, acc = train()
    torch.save(trained.state_dict(), out)
    print(f"wrote {out}: {acc:.1%} of the 1,797 digits right, trained in "
          f"{time.perf_counter() - t0:.0f} s")
