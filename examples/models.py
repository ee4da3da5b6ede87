"""Two models of one's own, for ``spacewarp render --model examples/models.py:NAME``.

- ``SpiralClassifier``: the NYU course's spiral classifier, Linear(2, 100) -> ReLU ->
  Linear(100, 3), as its notebook builds it.
- ``ResidualNet``: a small residual network whose forward uses functional activations,
  residual adds and a constant scaling, so every operation becomes a stage.

``python examples/train_models.py`` trains both on the course's spiral and writes their
``state_dict`` checkpoints for ``--weights``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SpiralClassifier(nn.Sequential):
    """The course's model: D = 2 inputs, H = 100 hidden units, C = 3 classes."""

    def __init__(self) -> None:
        super().__init__(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 3))


class ResidualNet(nn.Module):
    """x -> 3-D embedding -> two residual blocks h + f(h) -> 3 class scores."""

    def __init__(self, width: int = 3) -> None:
        super().__init__()
        self.embed = nn.Linear(2, width)
        self.block1 = nn.Linear(width, width)
        self.block2 = nn.Linear(width, width)
        self.head = nn.Linear(width, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        h = h + torch.tanh(self.block1(h))
        h = h + F.gelu(self.block2(h))
        return self.head(0.5 * h)
