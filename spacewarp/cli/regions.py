"""``spacewarp regions``: exact linear regions of a ReLU network, in the input and every stage."""

from __future__ import annotations

import argparse
from typing import Any

from .options import add_experiment_options, max_regions_arg


def add_parser(sub: Any) -> None:
    p = sub.add_parser("regions", help="exact linear regions of a piecewise-linear network",
                       description="Find the exact linear regions of a piecewise-linear "
                                   "network on a box of the 2-D input and draw them, and "
                                   "their images, in every stage.")
    add_experiment_options(p)  # with --bounds, the input box (default: the points' box)
    p.add_argument("--fill", choices=["region", "area"], default="region",
                   help="fill each region by its own colour or by its area change (region)")
    p.add_argument("--max-regions", metavar="N", type=max_regions_arg, default=None,
                   help="refuse more regions than this, by estimate before each layer's "
                        "cuts and by count while cutting (default 1e6)")
    p.add_argument("--cut-output", action="store_true",
                   help="also cut along each output's zero set (as tools that count the "
                        "output's level set do); the title says what was counted")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.set_defaults(run=main)


def main(args: argparse.Namespace) -> None:
    from ..config.numbers import parse_bounds
    from ..export.regions import write_regions
    from ..measure import regions
    from ..pipeline import run
    from .options import experiment_from_args

    box, args.bounds = args.bounds, None  # --bounds: here the regions' box, not the points'
    bounds = None if box is None else tuple(parse_bounds(box))
    trace = run(experiment_from_args(args))
    found = regions(trace, bounds, max_regions=args.max_regions, cut_output=args.cut_output)
    write_regions(found, args.out, fill=args.fill, theme=trace.style.theme)
    print(f"wrote regions.png and regions.npz to {args.out}/ ({len(found)} regions: "
          f"{found.counted}; after each layer: {', '.join(map(str, found.per_layer))})")
