"""The independent references for stages: every leaf module's output, by forward hooks;
a ReLU chain built with torch alone (``relu_net``) and its first k modules run (``prefix``)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def hooked_stages(model: nn.Module, x: np.ndarray) -> list[np.ndarray]:
    """The output of every leaf module, in call order, by forward hooks, as (n, -1) rows."""
    outs: list[np.ndarray] = []
    handles = [m.register_forward_hook(lambda m, i, o: outs.append(o.detach().numpy()))
               for m in model.modules() if not list(m.children())]
    with torch.no_grad():
        model(torch.from_numpy(np.array(x)))  # (a writable copy)
    for h in handles:
        h.remove()
    return [o.reshape(len(x), -1) for o in outs]


def relu_net(widths: list[int], seed: int = 0, act: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers of ``widths`` (torch's default init, seeded) with ``act`` between them,
    float64."""
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(a, b), act()]
    return nn.Sequential(*layers[:-1]).double()


def prefix(model: nn.Sequential, k: int, x: np.ndarray) -> np.ndarray:
    """(n, d) -> the output of ``model``'s first ``k`` modules (x itself for k = 0)."""
    with torch.no_grad():
        return model[:k](torch.from_numpy(x)).numpy() if k else x
