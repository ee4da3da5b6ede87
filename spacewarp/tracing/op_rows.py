"""One captured operation alone, on rows: ``(n, d_in) -> (n, d_out)`` float64 NumPy.

Exact regions carry every polygon's affine map through the network, and an affine
operation (a convolution, a pooling average, an eval-mode BatchNorm) acts on that map
directly: its offset and its direction columns are rows that the operation itself takes,
reshaped to the shape the operation was given in the forward pass ((C, H, W) for a
Conv2d). A max-pooling is read the same way (which inputs each output takes the largest
of). Only operations fed by one stage and by constants get one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import fx, nn

OnRows = Callable[[np.ndarray], np.ndarray]


def module_on_rows(module: nn.Module, in_shape: tuple[int, ...], device: torch.device) -> OnRows:
    """``module`` on rows, each reshaped to ``in_shape`` (its input's shape, batch left out)."""
    return _on_rows(module, in_shape, device)


def node_on_rows(interp: fx.Interpreter, node: fx.Node, feed: str, values: dict[str, Any],
                 in_shape: tuple[int, ...], device: torch.device) -> OnRows:
    """The graph node ``node`` on rows that stand for its one point-dependent argument
    ``feed``; its other arguments (weights, sizes) are kept as they were in the run."""
    marker = object()
    args = _fixed(node.args, feed, values, marker)
    kwargs = _fixed(node.kwargs, feed, values, marker)

    def op(x: torch.Tensor) -> Any:
        return getattr(interp, str(node.op))(node.target, _put(args, marker, x),
                                             _put(kwargs, marker, x))

    return _on_rows(op, in_shape, device)


def _on_rows(op: Callable[[torch.Tensor], Any], in_shape: tuple[int, ...],
             device: torch.device) -> OnRows:
    def on_rows(rows: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.array(rows, dtype=np.float64)).to(device)  # (a writable copy)
        with torch.no_grad():
            out = op(x.reshape(len(rows), *in_shape))  # (n, *in_shape) -> (n, ...)
        return out.reshape(len(rows), -1).cpu().numpy()  # (n, d_out)

    return on_rows


def _fixed(value: Any, feed: str, values: dict[str, Any], marker: object) -> Any:
    """The node's arguments with every node's value filled in, ``feed`` as ``marker``."""
    return fx.node.map_arg(value, lambda a: marker if a.name == feed  # type: ignore[arg-type,return-value]
                           else values[a.name])


def _put(value: Any, marker: object, x: torch.Tensor) -> Any:
    if value is marker:
        return x
    if isinstance(value, tuple | list):
        return type(value)(_put(v, marker, x) for v in value)
    if isinstance(value, dict):
        return {k: _put(v, marker, x) for k, v in value.items()}
    return value
