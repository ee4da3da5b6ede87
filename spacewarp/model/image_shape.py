"""The image shape a model's rows take, read from its first operation when not given.

A row of D numbers goes into a model that starts by reshaping it or by convolving it:
- ``nn.Unflatten`` or ``x.view`` / ``x.reshape`` to (C, H, W): that shape;
- ``nn.Conv2d`` with C in-channels: (C, H, W) with H = W, where D / C is a square;
- ``nn.Conv1d`` with C in-channels: (C, D / C).

A model that reshapes its rows itself takes them as they are (``Inferred.reshaped``: the
shape is what its rows are, said in the note); a convolution takes them reshaped.
Anything else is not inferred (None: rows go in as they are). A convolution whose rows
make no such shape is refused in one line that asks for ``--input-shape``.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from torch import fx, nn

from ..errors import InputError

FIELD = "input.shape"


class Inferred(NamedTuple):
    shape: tuple[int, ...]  # one row as an image: (C, H, W) or (C, L)
    where: str  # "Conv2d", "Unflatten", "a reshape": the first operation it was read from
    reshaped: bool  # the model reshapes its rows itself (they go in as rows)


def inferred_shape(model: nn.Module, width: int) -> Inferred | None:
    """The image shape of rows of ``width`` numbers going into ``model``; None when its
    first operation neither reshapes nor convolves. Refuses (``InputError``, field
    ``input.shape``) a convolution that rows of ``width`` numbers cannot feed unambiguously."""
    first = _first_operation(model)
    if isinstance(first, tuple):  # a view or reshape to these sizes
        sizes = _row_sizes(first, width)
        return None if sizes is None else Inferred(sizes, "a reshape", True)
    if isinstance(first, nn.Unflatten) and first.dim in (1, -1):
        sizes = tuple(int(s) for s in first.unflattened_size)
        return Inferred(sizes, "Unflatten", True) if math.prod(sizes) == width else None
    if isinstance(first, nn.Conv2d | nn.Conv1d):
        return Inferred(_convolved(first, width), type(first).__name__, False)
    return None


def _convolved(conv: nn.Conv1d | nn.Conv2d, width: int) -> tuple[int, ...]:
    channels = int(conv.in_channels)
    pixels, rest = divmod(width, channels)
    side = math.isqrt(pixels)
    if isinstance(conv, nn.Conv1d) and not rest:
        return (channels, pixels)
    if isinstance(conv, nn.Conv2d) and not rest and side * side == pixels:
        return (channels, side, side)
    need = "C,L" if isinstance(conv, nn.Conv1d) else "C,H,W"
    raise InputError(f"the model starts with a {type(conv).__name__} of {channels} in-channels, "
                     f"but rows of {width:,} numbers make no {'square ' * (need == 'C,H,W')}"
                     f"image of {channels} channels; give --input-shape {need} (its product "
                     f"{width:,})", field=FIELD)


def _first_operation(model: nn.Module) -> nn.Module | tuple[Any, ...] | None:
    """The module that first takes the input, or the sizes of a view / reshape of it;
    None where that cannot be read (a model torch.fx cannot trace)."""
    if isinstance(model, nn.Sequential):
        return next((m for m in model.modules() if not list(m.children())), None)
    try:
        graph = fx.symbolic_trace(model).graph
    except Exception:  # noqa: BLE001 (any model fx cannot follow: nothing is inferred)
        return None
    inputs = [n for n in graph.nodes if n.op == "placeholder"]
    if len(inputs) != 1:
        return None
    for node in graph.nodes:
        if inputs[0] not in node.args or _reads_size(node):
            continue  # (x.size(0), x.shape: the batch's size, read for a view)
        if node.op == "call_module":
            return model.get_submodule(str(node.target))
        if node.op == "call_method" and node.target in ("view", "reshape"):
            return tuple(node.args[1:])
        return None
    return None


def _reads_size(node: fx.Node) -> bool:
    return (node.op == "call_method" and node.target in ("size", "dim")) or (
        node.op == "call_function" and getattr(node.target, "__name__", "") == "getattr")


def _row_sizes(args: tuple[Any, ...], width: int) -> tuple[int, ...] | None:
    """The sizes of one row in a view / reshape's arguments: the batch's size (-1, or read
    from the input) dropped, a -1 among the rest solved; None where they are not that."""
    sizes = list(args[0]) if len(args) == 1 and isinstance(args[0], tuple | list) else list(args)
    if not sizes or (isinstance(sizes[0], int) and sizes[0] != -1):
        return None
    rest = sizes[1:]
    if not rest or not all(isinstance(s, int) for s in rest):
        return None
    known = math.prod(s for s in rest if s != -1)
    if rest.count(-1) == 1 and known and width % known == 0:
        rest = [width // known if s == -1 else s for s in rest]
    if rest.count(-1) or math.prod(rest) != width:
        return None
    return tuple(rest)
