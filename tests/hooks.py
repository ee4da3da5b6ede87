"""The independent reference for stages: every leaf module's output, by forward hooks."""

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
