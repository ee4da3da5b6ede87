"""The experiment flags shared by every subcommand, generated from ``settings.SETTINGS``.

Flags are kept as the text the user typed; the config parses them with the same parsers
as a TOML file (``settings.parse_value``), so a value means the same in both.
"""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, Any

from ..config.settings import SETTINGS

if TYPE_CHECKING:
    from ..config.experiment import Experiment


def add_experiment_options(parser: argparse.ArgumentParser) -> None:
    """Flags that describe the experiment; each overrides the same key of ``--config``."""
    g = parser.add_argument_group("experiment (each flag overrides --config)")
    g.add_argument("--config", metavar="FILE.toml", help="an experiment file (see README)")
    for s in SETTINGS:
        if s.option is None:
            continue
        text = f"{s.help} ({s.default})" if s.default else s.help
        if s.boolean:
            g.add_argument(s.option, dest=s.key, action=argparse.BooleanOptionalAction,
                           default=None, help=text)
            continue
        metavar = s.metavar or ("{" + ",".join(s.choices) + "}" if s.choices else None)
        if s.const:  # the bare flag means s.const
            g.add_argument(s.option, dest=s.key, metavar=metavar, help=text, nargs="?",
                           const=s.const)
            continue
        g.add_argument(s.option, dest=s.key, metavar=metavar, help=text)


def experiment_from_args(args: argparse.Namespace) -> Experiment:
    """The experiment described by ``--config`` with every given flag laid over it."""
    from ..config.experiment import load_toml, merged, nest, validated

    base: dict[str, Any] = load_toml(args.config) if args.config is not None else {}
    flat = {s.key: getattr(args, s.key) for s in SETTINGS if s.option is not None}
    return validated(merged(base, nest(flat)))


def max_regions_arg(text: str) -> int:
    """``--max-regions``: a whole number of regions, 1 or more (``1e6`` is read)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value >= 1 and value.is_integer()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of regions; give "
                                         "1 or more, e.g. 1e6")
    return int(value)
