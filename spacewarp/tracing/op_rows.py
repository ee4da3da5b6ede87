"""One captured operation alone, on rows: ``(n, d_in) -> (n, d_out)`` float64 NumPy.

Exact regions carry every polygon's affine map through the network, and an affine
operation (a convolution, a pooling average, an eval-mode BatchNorm) acts on that map
directly: its offset and its direction columns are rows that the operation itself takes,
reshaped to the shape the operation was given in the forward pass ((C, H, W) for a
Conv2d). A max-pooling is read the same way (which inputs each output takes the largest
of). Only operations fed by one stage, by constants and by sizes read off the batch
get one: ``x.view(x.size(0), -1)`` takes the size of each call's own rows (``batch_sizes``),
and a graph exported at one batch size runs its rows in batches of that size
(``in_row_batches``).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torch import fx, nn

OnRows = Callable[[np.ndarray], np.ndarray]
# a batch of m rows -> the values of the graph's size nodes (x.size(0), x.shape) for it
BatchSizes = Callable[[int], Mapping[str, Any]]


def module_on_rows(module: nn.Module, in_shape: tuple[int, ...], device: torch.device) -> OnRows:
    """``module`` on rows, each reshaped to ``in_shape`` (its input's shape, batch left out)."""
    return _on_rows(module, in_shape, device)


def node_on_rows(interp: fx.Interpreter, node: fx.Node, feed: str, values: dict[str, Any],
                 in_shape: tuple[int, ...], device: torch.device,
                 sizes: BatchSizes | None = None) -> OnRows:
    """The graph node ``node`` on rows that stand for its one point-dependent argument
    ``feed``; its other arguments (weights, constants) are kept as they were in the run,
    except the sizes read off the batch (``sizes``, from ``batch_sizes``): those are read
    off each call's own rows."""
    marker = object()

    def op(x: torch.Tensor) -> Any:  # x (m, *in_shape)
        now = values if sizes is None else ChainMap(dict(sizes(len(x))), values)
        args, kwargs = _fixed(node.args, feed, now, marker), _fixed(node.kwargs, feed, now, marker)
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


def batch_sizes(interp: fx.Interpreter, reads: list[fx.Node], batches: dict[str, torch.Tensor],
                values: dict[str, Any]) -> BatchSizes | None:
    """The values of ``reads`` (graph nodes that read sizes off ``batches``, the (n, ...)
    stages they read, in graph order: ``x.size(0)``, ``x.shape[0]``, ``aten.sym_size``) for
    a batch of m rows, each read off an empty (m, ...) tensor on the meta device; None
    where they are not sizes (``x.tolist()``): at the run's own n they must give its values."""
    def at(m: int) -> dict[str, Any]:
        env: dict[str, Any] = {name: torch.empty((m, *t.shape[1:]), dtype=t.dtype,
                                                 device="meta") for name, t in batches.items()}
        now = ChainMap(env, values)
        for node in reads:
            args = fx.node.map_arg(node.args, lambda a: now[a.name])
            kwargs = fx.node.map_arg(node.kwargs, lambda a: now[a.name])
            env[node.name] = getattr(interp, str(node.op))(node.target, args, kwargs)
        return {node.name: env[node.name] for node in reads}

    n = len(next(iter(batches.values())))
    try:
        same = all(v == values[name] for name, v in at(n).items())
    except Exception:  # noqa: BLE001 - user code: a read that needs the values themselves
        return None
    return at if same else None


def in_row_batches(on_rows: OnRows, batch: int) -> OnRows:
    """``on_rows`` of a graph that runs at one batch size only (its reshapes hold that
    size): any (m, d) rows in chunks of ``batch``, the last padded with its last row."""
    def run(rows: np.ndarray) -> np.ndarray:
        if len(rows) == batch:
            return on_rows(rows)
        if len(rows) == 0:
            return on_rows(np.zeros((batch, rows.shape[1])))[:0]
        parts = []
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]  # (<= batch, d)
            pad = np.repeat(chunk[-1:], batch - len(chunk), axis=0)
            parts.append(on_rows(np.concatenate([chunk, pad]))[:len(chunk)])
        return np.concatenate(parts)

    return run


def _fixed(value: Any, feed: str, values: Mapping[str, Any], marker: object) -> Any:
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
