"""Train the example models on the course's spiral, as its notebook does, and save them.

    python examples/train_models.py            # writes spiral.pt and residual.pt here
    spacewarp render --model examples/models.py:SpiralClassifier --weights spiral.pt \
        --input spiral --points 3000 --out out-spiral

The course: 3000 spiral points (3 arms of 1000), Adam with lr 1e-3 and weight decay 1e-5,
cross entropy, 1000 full-batch epochs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from models import ResidualNet, SpiralClassifier  # noqa: E402

import spacewarp as sw  # noqa: E402


def train(model: nn.Module, epochs: int = 1000) -> float:
    """Train ``model`` the course's way; its accuracy on the training points."""
    pts = sw.make_points("spiral", 3000, seed=0)
    x = torch.tensor(pts.x, dtype=torch.float32)  # (3000, 2)
    y = torch.tensor(pts.labels)  # (3000,) classes 0, 1, 2
    torch.manual_seed(0)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        optimiser.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
    for name, make in (("spiral", SpiralClassifier), ("residual", ResidualNet)):
        torch.manual_seed(0)  # PyTorch's default initialisation, seeded
        model = make()
        accuracy = train(model)
        torch.save(model.state_dict(), out / f"{name}.pt")
        print(f"{name}.pt: accuracy {accuracy:.3f}")
