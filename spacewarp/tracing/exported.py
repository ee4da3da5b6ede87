"""Programs that are not Python code: ``torch.export`` programs and TorchScript models.

- A ``torch.export`` program (``.pt2``, ``ExportedProgram.module()``) records the shape of
  the input it was exported with. By default every size is fixed, the batch too: the graph
  refuses any other batch ("Guard failed: x.size()[0] == 5") and may hold that size in its
  reshapes. ``in_batches`` runs such a program in chunks of its batch size, the last chunk
  padded by repeating its last row, and keeps the real rows.
- ``declared_width``: the input width a program was exported with, so that points of
  another width get one line naming both widths.
- ``from_torchscript``: a TorchScript model as an fx graph (torch's TorchScript-to-export
  converter), which ``capture`` then reads like any other graph.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import fx, nn

Program = Callable[[torch.Tensor], tuple[torch.Tensor, ...]]


def _input_shape(gm: fx.GraphModule) -> tuple[object, ...] | None:
    """The shape the graph's first input was exported with (ints where fixed, symbols where
    dynamic), or None for a graph that records none (fx.symbolic_trace, onnx2torch)."""
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            value = node.meta.get("val")
            return tuple(value.shape) if isinstance(value, torch.Tensor) else None
    return None


def fixed_batch(gm: fx.GraphModule) -> int | None:
    """The batch size a graph only runs at, or None when any batch goes."""
    shape = _input_shape(gm)
    return shape[0] if shape and type(shape[0]) is int else None


def declared_width(gm: nn.Module) -> int | None:
    """The input width an exported (n, d) program takes, when it records a fixed one."""
    if not isinstance(gm, fx.GraphModule):
        return None
    shape = _input_shape(gm)
    return shape[1] if shape and len(shape) == 2 and type(shape[1]) is int else None


def in_batches(program: Program, batch: int) -> Program:
    """``program`` (batch, d_0) -> stages, run on any (n, d_0): chunks of ``batch`` rows,
    the last padded with copies of its last row; every stage cut back to the n real rows."""
    def run(x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if x.shape[0] == batch:
            return program(x)
        parts = [program(padded(x[start:], batch)) for start in range(0, x.shape[0], batch)]
        return tuple(torch.cat(stage)[:x.shape[0]] for stage in zip(*parts, strict=True))

    return run


def padded(x: torch.Tensor, batch: int) -> torch.Tensor:
    """The first ``batch`` rows of ``x`` (n, d), padded with copies of its last row."""
    head = x[:batch]
    pad = batch - head.shape[0]
    return torch.cat([head, head[-1:].expand(pad, -1)]) if pad else head


def from_torchscript(net: torch.jit.ScriptModule, x: torch.Tensor) -> fx.GraphModule:
    """A TorchScript model as a graph of aten operations, converted on the points ``x``.

    Raises ``RuntimeError`` (the trace's one-line refusal) when torch cannot convert it."""
    try:
        from torch._export.converter import TS2EPConverter
    except ImportError as err:  # a torch without the converter (before 2.5)
        raise RuntimeError("this torch cannot convert TorchScript models; save the model "
                           "with torch.export instead (.pt2)") from err
    program = TS2EPConverter(net, (x,)).convert()
    module = program.module()
    assert isinstance(module, fx.GraphModule)
    return module
