"""Graph capture: every operation that the point batch goes through, in execution order.

The model is captured as a graph with ``torch.fx.symbolic_trace`` (or ``torch.export``
where fx cannot trace it), then run once by an interpreter that keeps the output of every
node that depends on the points and keeps the batch as its first axis: modules, functional
and method activations, adds (residual ones too), constant scalings, cat and reshape.
Each such output is a stage, and knows the stages that feed it.

Where neither can capture the model (data-dependent control flow), the stages are the
outputs of its leaf modules, taken by forward hooks, and ``Capture.note`` says so: the
views then show that operations between stages are not shown.
"""

from __future__ import annotations

import builtins
import io
import logging
import operator
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, redirect_stderr
from dataclasses import dataclass, field, replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from .exported import fixed_batch, from_torchscript, in_batches, padded
from .op_rows import BatchSizes, OnRows, batch_sizes, in_row_batches, module_on_rows, node_on_rows

HOOKS_NOTE = "stages are module outputs; operations between them are not shown"


@dataclass(frozen=True)
class Op:
    """One captured operation: what it was and which earlier stages feed it."""

    kind: str  # "linear", "relu", "tanh", "add", "mul", "cat", "reshape", a module's name
    title: str  # "fc1: Linear 2->16", "ReLU", "x + tanh(...)"
    inputs: tuple[int, ...]  # the stages that feed it (0: the input), in argument order
    module: str = ""  # the module's path ("fc1", "0"); "" for functions
    weight: torch.Tensor | None = None  # (d_out, d_in) for linear operations
    bias: torch.Tensor | None = None  # (d_out,)
    # the operation alone on rows of its one feeding stage (op_rows), where it has one
    on_rows: OnRows | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Capture:
    """The operations of a model and a program that computes every stage from the input."""

    ops: tuple[Op, ...]  # one per stage after the input
    # x (n, d_0) -> (x, stage 1, ..., stage K), each (n, d_k); differentiable, no side effects
    program: Callable[[torch.Tensor], tuple[torch.Tensor, ...]]
    mode: str  # "graph" (torch.fx or torch.export) or "hooks" (module outputs only)
    note: str = ""  # what every view must say about the stages


# --- naming ---------------------------------------------------------------------------------

# functions and methods -> kind; the kinds of activations match their modules' (nn.ReLU: relu)
_KINDS: dict[Any, str] = {
    torch.relu: "relu", F.relu: "relu", "relu": "relu", torch.tanh: "tanh", F.tanh: "tanh",
    "tanh": "tanh", torch.sigmoid: "sigmoid", F.sigmoid: "sigmoid", "sigmoid": "sigmoid",
    F.gelu: "gelu", F.silu: "silu", F.softplus: "softplus", F.elu: "elu",
    F.leaky_relu: "leakyrelu", F.hardtanh: "hardtanh", F.relu6: "relu6",
    operator.add: "add", torch.add: "add", "add": "add", operator.iadd: "add",
    operator.sub: "sub", torch.sub: "sub", "sub": "sub", operator.neg: "neg",
    operator.mul: "mul", torch.mul: "mul", "mul": "mul", operator.imul: "mul",
    operator.truediv: "div", torch.div: "div", "div": "div",
    torch.cat: "cat", torch.concat: "cat", torch.hstack: "cat",
    "reshape": "reshape", "view": "reshape", "flatten": "flatten", torch.flatten: "flatten",
    torch.reshape: "reshape", F.linear: "linear", operator.matmul: "matmul",
    torch.matmul: "matmul", "matmul": "matmul",
    F.conv1d: "conv1d", F.conv2d: "conv2d", F.max_pool1d: "maxpool1d",
    F.max_pool2d: "maxpool2d", F.avg_pool1d: "avgpool1d", F.avg_pool2d: "avgpool2d",
    F.adaptive_max_pool1d: "adaptivemaxpool1d", F.adaptive_max_pool2d: "adaptivemaxpool2d",
    F.adaptive_avg_pool1d: "adaptiveavgpool1d", F.adaptive_avg_pool2d: "adaptiveavgpool2d",
    F.dropout: "dropout", F.batch_norm: "batchnorm", F.layer_norm: "layernorm",
    F.softmax: "softmax", torch.softmax: "softmax", "softmax": "softmax",
}
_ACTIVATION_TITLES = {
    "relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "gelu": "GELU", "silu": "SiLU",
    "softplus": "Softplus", "elu": "ELU", "leakyrelu": "LeakyReLU", "hardtanh": "Hardtanh",
    "relu6": "ReLU6",
}
_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@"}
# functions whose title is their name (conv: with its kernel, see _conv_title)
_FUNCTION_TITLES = {
    "flatten": "Flatten", "unflatten": "Unflatten", "softmax": "Softmax",
    "layernorm": "LayerNorm",
    "batchnorm": "BatchNorm (eval: affine)", "dropout": "Dropout (identity in eval)",
    "maxpool1d": "MaxPool1d",
    "maxpool2d": "MaxPool2d", "avgpool1d": "AvgPool1d", "avgpool2d": "AvgPool2d",
    "adaptivemaxpool1d": "AdaptiveMaxPool1d", "adaptivemaxpool2d": "AdaptiveMaxPool2d",
    "adaptiveavgpool1d": "AdaptiveAvgPool1d", "adaptiveavgpool2d": "AdaptiveAvgPool2d",
}


# aten operation names whose kind is spelled otherwise (the kind of the module or function)
_ATEN_ALIASES = {
    "leaky_relu": "leakyrelu", "view": "reshape", "_unsafe_view": "reshape", "concat": "cat",
    "mm": "matmul", "max_pool1d": "maxpool1d", "max_pool2d": "maxpool2d",
    "avg_pool1d": "avgpool1d", "avg_pool2d": "avgpool2d",
    "adaptive_avg_pool1d": "adaptiveavgpool1d", "adaptive_avg_pool2d": "adaptiveavgpool2d",
}
# the kinds an aten operation may take (a max-pooling that returns its indices too is a
# tuple, read by getitem: it keeps its aten name, and exact regions refuse it by that name)
_ATEN_KINDS = frozenset({"linear", "cat", "reshape", "neg", "conv1d", "conv2d", "flatten",
                         "unflatten", "dropout", "maxpool1d", "maxpool2d", "avgpool1d",
                         "avgpool2d", "adaptiveavgpool1d", "adaptiveavgpool2d"})


def _aten_kind(target: Any) -> str | None:
    """``aten.relu.default`` -> "relu", ``aten.max_pool2d.default`` -> "maxpool2d", for
    graphs from torch.export."""
    name = getattr(target, "__name__", "")  # "relu.default"
    base = name.split(".")[0].rstrip("_")
    base = _ATEN_ALIASES.get(base, base)
    return base if base in _ACTIVATION_TITLES or base in _SYMBOLS or base in _ATEN_KINDS \
        else None


def _kind_of(node: fx.Node) -> str:
    if node.op == "call_method":
        return str(_KINDS.get(node.target, node.target))
    kind: str | None = _KINDS.get(node.target) if _hashable(node.target) else None
    if kind is None and isinstance(node.target, torch._ops.OpOverload):
        kind = _aten_kind(node.target)
    return kind or str(getattr(node.target, "__name__", str(node.target)))


def _hashable(x: Any) -> bool:
    try:
        hash(x)
    except TypeError:
        return False
    return True


def _is_path_of_indices(path: str) -> bool:
    return all(part.isdigit() for part in path.split("."))


def _module_op(path: str, module: nn.Module, inputs: tuple[int, ...]) -> Op:
    """The operation of a module stage; a linear layer carries its weight and bias."""
    kind, title = _module_title(path, module)
    if not isinstance(module, nn.Linear):
        return Op(kind, title, inputs, path)
    bias = None if module.bias is None else module.bias.detach()
    return Op(kind, title, inputs, path, module.weight.detach(), bias)


def _module_title(path: str, module: nn.Module) -> tuple[str, str]:
    """(kind, title) of a module stage; Sequential indices ("0", "1.2") are not named."""
    kind, title = type(module).__name__.lower(), _describe(module)
    return kind, title if _is_path_of_indices(path) else f"{path}: {title}"


def _sizes(value: Any) -> str:
    """3 or (3, 3) -> "3x3" style text ("3" for one number)."""
    return "x".join(map(str, value)) if isinstance(value, tuple | list) else str(value)


def _describe(module: nn.Module) -> str:
    """What a module does, in its title: "Linear 64->10", "Conv2d 1->4, 3x3 kernel, pad 1",
    "MaxPool2d 2", "Dropout (identity in eval)"."""
    name = type(module).__name__
    if isinstance(module, nn.Linear):
        return f"Linear {module.in_features}->{module.out_features}"
    if isinstance(module, nn.modules.conv._ConvNd):  # short: panels sit side by side
        moves = [f"{what} {_sizes(v)}" for what, v, plain in (
            ("stride", module.stride, 1), ("pad", module.padding, 0)) if
            (v if isinstance(v, str) else any(x != plain for x in v))]
        return ", ".join([f"{name} {module.in_channels}->{module.out_channels}, "
                          f"{_sizes(module.kernel_size)} kernel", *moves])
    if isinstance(module, nn.modules.pooling._MaxPoolNd | nn.modules.pooling._AvgPoolNd):
        stride = module.stride if module.stride not in (None, module.kernel_size) else None
        return f"{name} {_sizes(module.kernel_size)}" + (
            f", stride {_sizes(stride)}" if stride else "")
    if isinstance(module, nn.modules.pooling._AdaptiveMaxPoolNd
                  | nn.modules.pooling._AdaptiveAvgPoolNd):
        return f"{name} to {_sizes(module.output_size)}"
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return f"{name} {module.num_features} (eval: affine)"
    if isinstance(module, nn.modules.dropout._DropoutNd):
        return f"{name} (identity in eval)"
    if isinstance(module, nn.LayerNorm):
        return f"{name} over {_sizes(tuple(module.normalized_shape))}"
    if isinstance(module, nn.Softmax | nn.LogSoftmax):
        return f"{name} over dim {module.dim}"
    if isinstance(module, nn.Unflatten):
        return f"{name} to {_sizes(tuple(module.unflattened_size))}"
    return name


# --- capture --------------------------------------------------------------------------------

class _ReadersWriter:
    """Many readers at once (modules used as usual) or one writer (a symbolic trace).

    torch.fx's tracing patches ``nn.Module.__call__`` and ``__getattr__`` for the whole
    process while it traces, so a module used in another thread meanwhile goes through the
    tracer (seen in the explorer's worker pool): a trace waits for every use to end, and
    uses wait for the trace."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writer)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writer and not self._readers)
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


_MODULES = _ReadersWriter()


def modules_in_use(model: nn.Module) -> AbstractContextManager[None]:
    """Hold while copying, moving or running ``model`` and capturing it: alone when it
    must be traced, beside other users otherwise (sequences of torch's own modules)."""
    return _MODULES.shared() if _plain_sequence(model) is not None else _MODULES.exclusive()


def capture(net: nn.Module, x: torch.Tensor) -> tuple[Capture, tuple[torch.Tensor, ...]]:
    """Capture ``net``'s operations and run it once on ``x`` (n, d_0): (capture, stages).

    ``net`` must already be the float64 copy that will be kept, used inside
    ``modules_in_use(net)``; ``stages`` are detached.
    """
    modules = _plain_sequence(net)
    if modules is not None:
        return _sequential(modules, x)
    graph = _graph(net, x)
    if graph is None:
        return _hooked(net, x)
    batch = fixed_batch(graph)  # an exported program runs at its own batch size only
    ops, stage_nodes, outputs = _run_graph(graph, x if batch is None else padded(x, batch))
    if batch is not None:  # its reshapes may hold the batch size: every op runs at it
        ops = [replace(op, on_rows=in_row_batches(op.on_rows, batch)) if op.on_rows else op
               for op in ops]

    def recorded(inp: torch.Tensor) -> tuple[torch.Tensor, ...]:
        env = _Recorder(graph, set(stage_nodes)).record(inp)
        return (inp, *(env[name] for name in stage_nodes))

    run = recorded if batch is None else in_batches(recorded, batch)

    def program(inp: torch.Tensor) -> tuple[torch.Tensor, ...]:
        with _MODULES.shared():
            return run(inp)

    if batch is not None and batch != x.shape[0]:  # (the caller holds the modules here)
        with torch.no_grad():
            outputs = tuple(o.detach() for o in run(x))
    return Capture(tuple(ops), program, "graph"), outputs


def _plain_sequence(net: nn.Module) -> list[tuple[str, nn.Module]] | None:
    """(path, module) of an ``nn.Sequential`` (nested ones flattened) whose modules are all
    torch's own leaf modules: each is one operation, so the sequence is its own graph."""
    if not isinstance(net, nn.Sequential):
        return None
    flat: list[tuple[str, nn.Module]] = []
    # every use of a module, a shared one (the same ReLU twice) included
    for path, module in net.named_modules(remove_duplicate=False):
        if isinstance(module, nn.Sequential):
            continue
        if list(module.children()) or not type(module).__module__.startswith("torch.nn"):
            return None
        flat.append((path, module))
    return flat


def _sequential(modules: list[tuple[str, nn.Module]], x: torch.Tensor
                ) -> tuple[Capture, tuple[torch.Tensor, ...]]:
    """Stage k is the prefix of k modules: the seed's case, exactly as it runs them."""
    def program(inp: torch.Tensor) -> tuple[torch.Tensor, ...]:
        outs, current = [inp], inp
        for _, module in modules:  # each module gets its predecessor's own shape
            current = module(current)  # (n, ...): (n, C, H, W) after a Conv2d
            outs.append(_as_rows(current))  # the stage: (n, d) rows
        return tuple(outs)

    outs, current, shapes = [x], x, []  # the run itself, noting each module's input shape
    with torch.no_grad():
        for _, module in modules:
            shapes.append(tuple(current.shape[1:]))  # (C, H, W) for a Conv2d
            current = module(current)
            outs.append(_as_rows(current))
    outputs = tuple(o.detach() for o in outs)
    ops = tuple(replace(_module_op(path, module, (k - 1,)),
                        on_rows=module_on_rows(module, shape, x.device))
                for k, ((path, module), shape) in enumerate(zip(modules, shapes, strict=True),
                                                          start=1))
    return Capture(ops, program, "graph"), outputs


def _graph(net: nn.Module, x: torch.Tensor) -> fx.GraphModule | None:
    """The model as an fx graph: symbolic tracing first, then torch.export; None if neither."""
    if isinstance(net, fx.GraphModule):
        return net
    if isinstance(net, torch.jit.ScriptModule):
        return from_torchscript(net, x)
    try:
        with _len_recorded():
            return fx.symbolic_trace(net)
    except Exception:  # noqa: BLE001 - user code: any failure means "not traceable"
        pass
    try:
        with _quiet_torch():
            exported = torch.export.export(net, (x,), strict=False)
        return exported.module()
    except Exception:  # noqa: BLE001 - e.g. data-dependent control flow
        return None


@contextmanager
def _len_recorded() -> Iterator[None]:
    """``len(x)`` of a traced tensor recorded as a graph node, as ``x.size(0)`` is: fx
    refuses it, and ``x.view(len(x), -1)`` is a common forward. ``builtins.len`` is
    swapped while fx traces (fx itself patches ``nn.Module`` process-wide then, under
    ``_MODULES.exclusive``); every other argument goes to the real ``len``."""
    real = builtins.len

    def recorded_len(obj: Any) -> Any:
        if isinstance(obj, fx.Proxy):
            return obj.tracer.create_proxy("call_function", real, (obj,), {})
        return real(obj)

    builtins.len = recorded_len
    try:
        yield
    finally:
        builtins.len = real


@contextmanager
def _quiet_torch() -> Iterator[None]:
    """torch.export logs and prints the graph it gave up on; a failed attempt is not news."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with redirect_stderr(io.StringIO()):
            yield
    finally:
        logging.disable(previous)


class _Recorder(fx.Interpreter):
    """Runs a graph, keeping the outputs of the named nodes."""

    def __init__(self, gm: fx.GraphModule, keep: set[str]) -> None:
        super().__init__(gm)
        self.keep = keep
        self.kept: dict[str, torch.Tensor] = {}

    def run_node(self, n: fx.Node) -> Any:
        out = super().run_node(n)
        if n.name in self.keep:
            self.kept[n.name] = _as_rows(out)
        return out

    def record(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        self.run(x)
        return self.kept


def _as_rows(t: torch.Tensor) -> torch.Tensor:
    """(n, ...) -> (n, d): a stage is a batch of row vectors."""
    return t.reshape(t.shape[0], -1) if t.ndim != 2 else t


def _run_graph(gm: fx.GraphModule, x: torch.Tensor
               ) -> tuple[list[Op], list[str], tuple[torch.Tensor, ...]]:
    """Run the graph once; every point-dependent (n, ...) output becomes a stage."""
    values: dict[str, Any] = {}
    depends: set[str] = set()  # nodes whose value depends on the points
    stage_of: dict[str, int] = {}  # node -> stage index (0: the input)
    nearest: dict[str, tuple[int, ...]] = {}  # node -> the stages that feed it
    ops: list[Op] = []
    stage_nodes: list[str] = []
    outputs: list[torch.Tensor] = [x]
    interp = fx.Interpreter(gm)
    n = x.shape[0]
    with torch.no_grad():
        for node in gm.graph.nodes:
            if node.op == "placeholder":  # the points first; later arguments take defaults
                if depends:
                    values[node.name] = node.args[0] if node.args else None
                    continue
                values[node.name] = x
                depends.add(node.name)
                stage_of[node.name] = 0
                nearest[node.name] = (0,)
                continue
            args, kwargs = _fetch(node, values)
            out = getattr(interp, node.op)(node.target, args, kwargs)
            values[node.name] = out
            feeds = [a for a in node.all_input_nodes if a.name in depends]
            if not feeds or node.op == "output":
                continue
            depends.add(node.name)
            # the stages whose points reach it; not those it only reads a size off
            points = [a for a in feeds if _holds_tensor(values[a.name])] or feeds
            fed_by = tuple(sorted({k for a in points for k in nearest[a.name]}))
            if isinstance(out, torch.Tensor) and out.ndim >= 1 and out.shape[0] == n:
                op = replace(_op(gm, node, fed_by, stage_of, values), on_rows=_rows_of(
                    interp, node, points, _State(values, depends, stage_of), x.device))
                ops.append(op)
                stage_nodes.append(node.name)
                stage_of[node.name] = len(ops)
                nearest[node.name] = (len(ops),)
                outputs.append(_as_rows(out).detach())
            else:
                nearest[node.name] = fed_by
    return ops, stage_nodes, tuple(outputs)


@dataclass(frozen=True)
class _State:
    """What a graph's run knows after each node."""

    values: dict[str, Any]  # node -> its value
    depends: set[str]  # the nodes whose value depends on the points
    stage_of: dict[str, int]  # node -> its stage (0: the input)


def _holds_tensor(value: Any) -> bool:
    """Whether a value carries points (a tensor, a tuple of them), not only sizes."""
    if isinstance(value, torch.Tensor):
        return True
    return isinstance(value, tuple | list) and any(_holds_tensor(v) for v in value)


def _rows_of(interp: fx.Interpreter, node: fx.Node, points: list[fx.Node], run: _State,
             device: torch.device) -> OnRows | None:
    """The node alone on rows, where one stage's points feed it and its other
    point-dependent arguments are sizes read off stages (``x.view(x.size(0), -1)``)."""
    if len(points) != 1 or points[0].name not in run.stage_of:
        return None
    feed = points[0].name
    sizes = None
    if len([a for a in node.all_input_nodes if a.name in run.depends]) > 1:
        sizes = _size_reads(interp, node, run)
        if sizes is None:
            return None
    in_shape = tuple(run.values[feed].shape[1:])
    return node_on_rows(interp, node, feed, run.values, in_shape, device, sizes)


def _size_reads(interp: fx.Interpreter, node: fx.Node, run: _State) -> BatchSizes | None:
    """The sizes among ``node``'s point-dependent arguments, as functions of the batch:
    every read back to the stages it reads (None where one reads a tensor that is not a
    stage, ``x.sum().item()``)."""
    reads: set[str] = set()
    batches: dict[str, torch.Tensor] = {}
    todo = [a for a in node.all_input_nodes
            if a.name in run.depends and not _holds_tensor(run.values[a.name])]
    while todo:
        read = todo.pop()
        reads.add(read.name)
        for a in read.all_input_nodes:
            if a.name not in run.depends or a.name in reads:
                continue
            if not _holds_tensor(run.values[a.name]):
                todo.append(a)
            elif a.name in run.stage_of:
                batches[a.name] = run.values[a.name]
            else:
                return None
    in_order = [n for n in node.graph.nodes if n.name in reads]
    return batch_sizes(interp, in_order, batches, run.values) if batches else None


def _fetch(node: fx.Node, values: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    args = fx.node.map_arg(node.args, lambda a: values[a.name])
    kwargs = fx.node.map_arg(node.kwargs, lambda a: values[a.name])
    return tuple(args), dict(kwargs)


def _op(gm: fx.GraphModule, node: fx.Node, inputs: tuple[int, ...], stage_of: dict[str, int],
        values: dict[str, Any]) -> Op:
    if node.op == "call_module":
        return _module_op(str(node.target), gm.get_submodule(str(node.target)), inputs)
    kind = _kind_of(node)
    path = _module_path(node)
    if kind == "linear":
        return _linear_op(node, inputs, values, path)
    title = (_conv_title(kind, node, values) if kind in ("conv1d", "conv2d")
             else _function_title(kind, node, stage_of))
    return Op(kind, f"{path}: {title}" if path else title, inputs, path)


def _module_path(node: fx.Node) -> str:
    """The module an exported aten operation came from ("fc1"), if known."""
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return ""
    path = str(list(stack.values())[-1][0])
    return "" if _is_path_of_indices(path) else path


def _linear_op(node: fx.Node, inputs: tuple[int, ...], values: dict[str, Any], path: str) -> Op:
    weight, bias = (values.get(a.name) if isinstance(a, fx.Node) else a
                    for a in (list(node.args) + [None, None])[1:3])
    weight = weight if isinstance(weight, torch.Tensor) else None
    bias = bias if isinstance(bias, torch.Tensor) else None
    title = "Linear" if weight is None else f"Linear {weight.shape[1]}->{weight.shape[0]}"
    return Op("linear", f"{path}: {title}" if path else title, inputs, path,
              None if weight is None else weight.detach(),
              None if bias is None else bias.detach())


def _conv_title(kind: str, node: fx.Node, values: dict[str, Any]) -> str:
    """"conv2d 1->4, 3x3 kernel": the weight (out, in / groups, *kernel) says the shape."""
    weight = node.args[1] if len(node.args) > 1 else node.kwargs.get("weight")
    w = values.get(weight.name) if isinstance(weight, fx.Node) else weight
    if not isinstance(w, torch.Tensor):
        return kind
    return f"{kind} {w.shape[1]}->{w.shape[0]}, {_sizes(tuple(w.shape[2:]))} kernel"


def _function_title(kind: str, node: fx.Node, stage_of: dict[str, int]) -> str:
    """"ReLU", "x + tanh(...)", "fc2(...) * 0.5", "cat(x, relu(...))"."""
    if kind in _ACTIVATION_TITLES:
        return _ACTIVATION_TITLES[kind]
    if kind in _FUNCTION_TITLES:
        return _FUNCTION_TITLES[kind]
    names = [_operand(a, stage_of) for a in _operands(node)]
    if kind in _SYMBOLS and len(names) == 2:
        return f"{names[0]} {_SYMBOLS[kind]} {names[1]}"
    if kind == "neg" and names:
        return f"-{names[0]}"
    if kind == "reshape":
        return "reshape"
    return f"{kind}({', '.join(names)})"


def _operands(node: fx.Node) -> list[Any]:
    if node.target in (torch.cat, torch.concat, torch.hstack) and node.args:
        return list(node.args[0]) if isinstance(node.args[0], list | tuple) else [node.args[0]]
    if node.op == "call_function" and isinstance(node.target, torch._ops.OpOverload) \
            and _aten_kind(node.target) == "cat":
        return list(node.args[0])  # type: ignore[arg-type]
    return list(node.args)


def _operand(a: Any, stage_of: dict[str, int]) -> str:
    """How an operand reads in a title: "x" for the input, "relu(...)" for an operation."""
    if isinstance(a, fx.Node):
        if stage_of.get(a.name) == 0:
            return "x"
        if a.op == "call_module":
            return f"{a.target}(...)"
        if _module_path(a):
            return f"{_module_path(a)}(...)"
        if a.op == "get_attr":
            return str(a.target)
        return f"{_short(a)}(...)"
    if isinstance(a, float | int):
        return f"{a:g}"
    return type(a).__name__


def _short(node: fx.Node) -> str:
    kind = _kind_of(node)
    return kind if kind not in _SYMBOLS else {"add": "sum", "sub": "difference",
                                              "mul": "product", "div": "quotient",
                                              "matmul": "matmul"}[kind]


# --- hooks (the fallback) -------------------------------------------------------------------

def _hooked(net: nn.Module, x: torch.Tensor) -> tuple[Capture, tuple[torch.Tensor, ...]]:
    """Leaf modules' outputs in call order; operations between them are not seen."""
    names = {m: name for name, m in net.named_modules()}
    seen: list[tuple[str, nn.Module]] = []

    def program(inp: torch.Tensor) -> tuple[torch.Tensor, ...]:
        with _MODULES.shared():
            return _run_hooked(inp)

    def _run_hooked(inp: torch.Tensor) -> tuple[torch.Tensor, ...]:
        outs: list[torch.Tensor] = []
        record = not seen

        def keep(module: nn.Module, _inp: object, result: object) -> None:
            if isinstance(result, torch.Tensor) and result.ndim >= 1 \
                    and result.shape[0] == inp.shape[0]:
                outs.append(_as_rows(result))
                if record:
                    seen.append((names[module], module))

        leaves = [m for m in net.modules() if not list(m.children())]
        handles = [m.register_forward_hook(keep) for m in leaves]
        try:
            final = _as_rows(net(inp))
        finally:
            for h in handles:
                h.remove()
        if not outs or outs[-1] is not final and not torch.equal(outs[-1], final):
            outs.append(final)
            if record:
                seen.append(("", nn.Identity()))
        return (inp, *outs)

    with torch.no_grad():
        outputs = _run_hooked(x)  # (the caller holds modules_in_use)
    ops = tuple(_module_op(name, module, (k - 1,)) if name else Op("output", "Output", (k - 1,))
                for k, (name, module) in enumerate(seen, start=1))
    return Capture(ops, program, "hooks", HOOKS_NOTE), tuple(o.detach() for o in outputs)
