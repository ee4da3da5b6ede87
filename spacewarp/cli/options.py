"""The experiment flags shared by every subcommand, and turning them into an Experiment."""

from __future__ import annotations

import argparse
from typing import Any

from ..config import Experiment, load_toml, merged, nest, validated
from ..network import ACTIVATIONS, RECIPES
from ..points import COLORINGS, GENERATORS


def add_experiment_options(parser: argparse.ArgumentParser) -> None:
    """Flags that describe the experiment; each overrides the same key of ``--config``."""
    g = parser.add_argument_group("experiment (each flag overrides --config)")
    g.add_argument("--config", metavar="FILE.toml", help="an experiment file (see README)")
    g.add_argument("--input", choices=GENERATORS.names(), help="input point set (gaussian)")
    g.add_argument("--points", type=_count, metavar="N", help="number of points")
    g.add_argument("--data", metavar="PATH", help="points from .csv/.npy/.npz (input 'file')")
    g.add_argument("--color-by", choices=COLORINGS.names(), help="colour values (x)")
    g.add_argument("--layers", metavar="W0,W1,...", help="widths, e.g. 2,3,3,2")
    g.add_argument("--activation", choices=ACTIVATIONS.names(), help="non-linearity (tanh)")
    g.add_argument("--bias", action=argparse.BooleanOptionalAction, default=None,
                   help="linear layers with bias (no)")
    g.add_argument("--init", choices=RECIPES.names(), help="weight recipe (manual for 2-D)")
    g.add_argument("--scale", type=float, metavar="S", help="S of the manual first layer (3)")
    g.add_argument("--model", metavar="FILE.py:NAME", help="your own model: an nn.Module class "
                   "(no-argument constructor) or a function returning one; or FILE.onnx")
    g.add_argument("--weights", metavar="CKPT", help="a checkpoint: state_dict .pt/.pth, "
                   ".safetensors, TorchScript or torch.export .pt2")
    g.add_argument("--seed", type=int, metavar="N", help="seed for points and weights (0)")
    g.add_argument("--device", choices=["auto", "cpu", "cuda"], help="where to compute (auto)")
    g.add_argument("--theme", choices=["dark", "light"], help="colour theme (dark)")


def _count(text: str) -> int:
    """Point counts as integers; ``1e5`` is accepted when it is a whole number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(value)


def experiment_from_args(args: argparse.Namespace) -> Experiment:
    """The experiment described by ``--config`` with every given flag laid over it."""
    base: dict[str, Any] = load_toml(args.config) if args.config else {}
    flat = {key: getattr(args, key) for key in
            ("input", "points", "data", "color_by", "layers", "activation", "bias", "init",
             "scale", "model", "weights", "seed", "device", "theme")}
    return validated(merged(base, nest(flat)))
