"""The user's own model and checkpoint, from files: the network step's other source.

- ``load_model("net.py:Name")``: ``Name`` is an ``nn.Module`` class with a no-argument
  constructor or a function returning a module. The file is the user's code: it is imported
  once (its folder first on ``sys.path``, as ``python net.py`` would have it; its
  ``if __name__ == "__main__":`` block does not run).
- ``load_checkpoint(path, model)``: a ``state_dict`` (``torch.load(weights_only=True)``;
  plain or wrapped in ``{"state_dict"|"model"|"model_state_dict": ...}``, with Lightning's
  ``model.``, DataParallel's ``module.`` or ``torch.compile``'s ``_orig_mod.`` prefix),
  ``.safetensors``, TorchScript or a ``torch.export`` program (``.pt2``). A ``.pt2`` or
  TorchScript file given alone is the model itself. Pickled whole models are refused, never
  unpickled; an ONNX file is a model (``--model``), not weights.
- ``sha256(path)``: recorded in ``experiment.toml``, so a re-run notices a changed file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import pickle
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

from ..config.experiment import holds_torchscript
from ..errors import NetworkError, WeightsError

MODEL_FIELD = "network.model"
CHECKPOINT_FIELD = "network.checkpoint"
WRAPPERS = ("state_dict", "model_state_dict", "model")  # common checkpoint dictionaries
PREFIXES = ("model.", "module.", "_orig_mod.")  # Lightning, DataParallel, torch.compile
SHOWN_KEYS = 6  # a mismatched checkpoint's keys shown in its message

_imported: dict[tuple[str, int], ModuleType] = {}  # (resolved path, mtime) -> module


# --- the model --------------------------------------------------------------------------------

def load_model(spec: str) -> nn.Module:
    """``FILE.py:NAME`` (or ``FILE.onnx``) -> a fresh module, in float64."""
    if spec.lower().endswith(".onnx"):
        return _onnx_model(spec).double()
    path, sep, name = spec.rpartition(":")
    if not sep or not path.endswith(".py") or not name.isidentifier():
        raise NetworkError(f"model {spec!r} is not FILE.py:NAME (or FILE.onnx); e.g. "
                           "--model mynet.py:Net", field=MODEL_FIELD)
    module = _import(Path(path))
    factory = getattr(module, name, None)
    if factory is None:
        found = [k for k, v in vars(module).items() if _is_module_class(v)]
        raise NetworkError(f"{path} defines no {name!r}; its nn.Module classes: "
                           f"{', '.join(found) or 'none'}", field=MODEL_FIELD)
    try:
        model = factory()
    except Exception as err:  # noqa: BLE001 - the user's constructor
        raise NetworkError(f"{spec}() raised {type(err).__name__}: {err}; the class needs a "
                           "constructor without arguments (or give a function returning the "
                           "model)", field=MODEL_FIELD) from None
    if not isinstance(model, nn.Module):
        raise NetworkError(f"{spec}() returned a {type(model).__name__}, not an nn.Module",
                           field=MODEL_FIELD)
    return model.double()


def _is_module_class(v: Any) -> bool:
    return isinstance(v, type) and issubclass(v, nn.Module)


def _import(path: Path) -> ModuleType:
    if not path.is_file():
        raise NetworkError(f"model file {str(path)!r} does not exist", field=MODEL_FIELD)
    resolved = path.resolve()
    key = (str(resolved), resolved.stat().st_mtime_ns)
    if key in _imported:
        return _imported[key]
    name = f"spacewarp_user_{resolved.stem}_{abs(hash(key)):x}"
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise NetworkError(f"cannot import {str(path)!r} as Python", field=MODEL_FIELD)
    module = importlib.util.module_from_spec(spec)
    folder = str(resolved.parent)
    sys.path.insert(0, folder)
    sys.modules[name] = module  # as any import: its classes can be pickled, inspected
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # noqa: BLE001 - the user's code
        del sys.modules[name]
        line = _user_line(err, resolved)
        raise NetworkError(f"importing {str(path)!r} raised {type(err).__name__}: {err}{line}",
                           field=MODEL_FIELD) from None
    finally:
        sys.path.remove(folder)
    _imported[key] = module
    return module


def _user_line(err: BaseException, file: Path) -> str:
    tb, line = err.__traceback__, None
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == file:
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" (line {line})" if line else ""


def _onnx_model(spec: str) -> nn.Module:
    path = Path(spec)
    if not path.is_file():
        raise NetworkError(f"model file {spec!r} does not exist", field=MODEL_FIELD)
    try:
        with _torchvision_optional():
            from onnx2torch import convert
    except ImportError:
        raise NetworkError("ONNX models need the onnx extra: pip install 'spacewarp[onnx]'",
                           field=MODEL_FIELD) from None
    try:
        return convert(str(path))
    except Exception as err:  # noqa: BLE001 - a malformed or unsupported file
        raise NetworkError(f"cannot convert {spec!r} from ONNX: {err}".splitlines()[0],
                           field=MODEL_FIELD) from None


@contextmanager
def _torchvision_optional() -> Iterator[None]:
    """onnx2torch imports torchvision for its NMS and RoIAlign converters only, which an MLP
    never uses. Where torchvision is missing or broken (a CPU torch beside PyPI's CUDA
    torchvision), a stand-in that refuses those two operators serves the import alone."""
    try:
        import torchvision  # noqa: F401
        yield
        return
    except Exception:  # noqa: BLE001 - ImportError, or RuntimeError from a mismatched build
        pass

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise NetworkError("this ONNX model uses NMS or RoIAlign, which need torchvision",
                           field=MODEL_FIELD)

    stub, ops = ModuleType("torchvision"), ModuleType("torchvision.ops")
    ops.nms = ops.box_convert = ops.roi_align = refuse  # type: ignore[attr-defined]
    stub.ops = ops  # type: ignore[attr-defined]
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k.startswith("torchvision")}
    sys.modules.update({"torchvision": stub, "torchvision.ops": ops})
    try:
        yield
    finally:  # the stand-in serves this import only
        for k in ("torchvision", "torchvision.ops"):
            sys.modules.pop(k, None)
        sys.modules.update(saved)


# --- the checkpoint ---------------------------------------------------------------------------

def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_checkpoint(path: str, model: nn.Module | None) -> nn.Module:
    """``model`` with the checkpoint's weights (or, for a ``.pt2`` or TorchScript file
    alone, the model it holds)."""
    file = _readable(path)
    if file.suffix == ".pt2":
        program = _exported(file)
        if model is None:
            return program.module()
        return _loaded(model, dict(program.state_dict), path)
    if model is None and holds_torchscript(path):
        return torch.jit.load(str(file), map_location="cpu")
    if model is None:
        raise WeightsError(f"checkpoint {path!r} holds weights only; give the architecture "
                           "too: --model FILE.py:NAME, or --layers for a built network",
                           field=MODEL_FIELD)
    return _loaded(model, _state_dict(file), path)


def _readable(path: str) -> Path:
    """The checkpoint file, refused in one line when it is missing, empty or an ONNX model."""
    file = Path(path)
    if not file.is_file():
        raise WeightsError(f"checkpoint {path!r} does not exist", field=CHECKPOINT_FIELD)
    if file.stat().st_size == 0:
        raise WeightsError(f"checkpoint {path!r} is empty (0 bytes); was it written "
                           "completely? save weights with torch.save(model.state_dict(), "
                           "PATH)", field=CHECKPOINT_FIELD)
    if file.suffix.lower() == ".onnx":
        raise WeightsError(f"{path!r} is an ONNX model (architecture and weights), not a "
                           f"checkpoint of weights; give it as the model: --model {path}",
                           field=CHECKPOINT_FIELD)
    return file


def _exported(file: Path) -> Any:
    try:
        return torch.export.load(str(file))
    except Exception as err:  # noqa: BLE001 - not a torch.export archive
        raise WeightsError(f"cannot read {str(file)!r} as a torch.export program: "
                           f"{err}".splitlines()[0], field=CHECKPOINT_FIELD) from None


def _state_dict(file: Path) -> dict[str, Any]:
    if file.suffix == ".safetensors":
        return _safetensors(file)
    if holds_torchscript(str(file)):
        return dict(torch.jit.load(str(file), map_location="cpu").state_dict())
    try:
        data = torch.load(str(file), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise WeightsError(
            f"checkpoint {str(file)!r} holds a pickled model object, which spacewarp does not "
            "unpickle (that could run any code); save its weights instead: "
            "torch.save(model.state_dict(), 'model.pt')", field=CHECKPOINT_FIELD) from None
    except Exception as err:  # noqa: BLE001 - not a torch file at all
        raise WeightsError(f"cannot read checkpoint {str(file)!r}: {err}".splitlines()[0],
                           field=CHECKPOINT_FIELD) from None
    return _unwrapped(data, file)


def _safetensors(file: Path) -> dict[str, Any]:
    try:
        from safetensors.torch import load_file
    except ImportError:
        raise WeightsError(".safetensors weights need the safetensors package: "
                           "pip install safetensors", field=CHECKPOINT_FIELD) from None
    try:
        return dict(load_file(str(file)))
    except Exception as err:  # noqa: BLE001 - a malformed file
        raise WeightsError(f"cannot read {str(file)!r} as safetensors: {err}".splitlines()[0],
                           field=CHECKPOINT_FIELD) from None


def _unwrapped(data: Any, file: Path) -> dict[str, Any]:
    """The state_dict inside the common wrappers ({"state_dict": ...} and friends)."""
    if isinstance(data, dict):
        for key in WRAPPERS:
            inner = data.get(key)
            if isinstance(inner, dict) and inner and all(
                    isinstance(v, torch.Tensor) for v in inner.values()):
                return inner
        if data and all(isinstance(v, torch.Tensor) for v in data.values()):
            return data
    raise WeightsError(f"checkpoint {str(file)!r} holds no state_dict (a dict of tensors, "
                       f"alone or under {', '.join(repr(w) for w in WRAPPERS)})",
                       field=CHECKPOINT_FIELD)


def _loaded(model: nn.Module, state: dict[str, Any], path: str) -> nn.Module:
    own = model.state_dict()
    state = _without_prefix(state, own)
    missing = [k for k in own if k not in state]
    if missing:
        raise WeightsError(f"checkpoint {path!r} has no {missing[0]!r} ({len(missing)} of the "
                           f"model's {len(own)} keys missing); it has {_keys(state)}, the "
                           f"model {_keys(own)}; was it saved from this model?",
                           field=CHECKPOINT_FIELD)
    unexpected = [k for k in state if k not in own]
    if unexpected:
        raise WeightsError(f"checkpoint {path!r} has {unexpected[0]!r}, which the model does "
                           f"not ({len(unexpected)} unexpected keys); it has {_keys(state)}, "
                           f"the model {_keys(own)}; was it saved from this model?",
                           field=CHECKPOINT_FIELD)
    for key, value in own.items():
        if tuple(state[key].shape) != tuple(value.shape):
            raise WeightsError(f"checkpoint {path!r}: {key!r} has shape "
                               f"{tuple(state[key].shape)} but the model's is "
                               f"{tuple(value.shape)}", field=CHECKPOINT_FIELD)
        if state[key].is_floating_point() and not bool(torch.isfinite(state[key]).all()):
            raise WeightsError(f"checkpoint {path!r}: {key!r} holds NaN or inf",
                               field=CHECKPOINT_FIELD)
    with torch.no_grad():
        model.load_state_dict(state)
    return model


def _keys(state: dict[str, Any]) -> str:
    """"keys 'a', 'b', ... (12 in all)": a few of a state_dict's keys, for a message."""
    shown = ", ".join(repr(k) for k in list(state)[:SHOWN_KEYS])
    more = f", ... ({len(state)} in all)" if len(state) > SHOWN_KEYS else ""
    return f"keys {shown}{more}" if state else "no keys"


def _without_prefix(state: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """Drop the ``model.`` / ``module.`` / ``_orig_mod.`` prefixes that every key has and
    the model's keys lack, one after another (a compiled DataParallel model has two)."""
    for _ in range(len(PREFIXES) + 1):
        prefix = next((p for p in PREFIXES if state and all(k.startswith(p) for k in state)
                       and not any(k.startswith(p) for k in own)), None)
        if prefix is None:
            return state
        state = {k.removeprefix(prefix): v for k, v in state.items()}
    return state
