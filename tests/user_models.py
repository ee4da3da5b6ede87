"""Model files as a user writes them (``--model path.py:Net``), for the tests that load them.

``MODEL_PY``: ``Net`` (2 -> 5 -> 3, ReLU, named submodules ``fc1`` and ``head``), a factory
``make``, a class that needs arguments, a function that returns no model, and a main block
that must not run on import. ``COURSE_PY``: ``Course``, the course's wide classifier
(2 -> 100 -> 3, ReLU) as an ``nn.Sequential``."""

from __future__ import annotations

import textwrap

MODEL_PY = textwrap.dedent("""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(2, 5)
            self.head = nn.Linear(5, 3)

        def forward(self, x):
            return self.head(torch.relu(self.fc1(x)))

    def make():
        return Net()

    class NeedsArgs(nn.Module):
        def __init__(self, width):
            super().__init__()

    def not_a_model():
        return 42

    if __name__ == "__main__":
        raise SystemExit("the main block must not run on import")
""")

COURSE_PY = textwrap.dedent("""
    from torch import nn

    class Course(nn.Sequential):
        def __init__(self):
            super().__init__(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 3))
""")
