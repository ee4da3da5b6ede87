"""``spacewarp html``: one self-contained interactive page (the renderer inlined, works offline)."""

from __future__ import annotations

import argparse
from typing import Any

from .options import add_experiment_options


def add_parser(sub: Any) -> None:
    p = sub.add_parser("html", help="write a self-contained interactive page",
                       description="Write one interactive page that opens from disk and "
                                   "works offline: a stage slider, a play button that "
                                   "morphs through the network, 3-D views that turn.")
    add_experiment_options(p)
    p.add_argument("--layout", choices=["morph", "grid"], default="morph",
                   help="the morph view under the stages (morph) or the stages alone, larger")
    p.add_argument("--max-points", type=int, default=None, metavar="N",
                   help="draw a seeded subset above N points (default 1,000,000)")
    p.add_argument("--training", metavar="DIR/training.npz", default=None,
                   help="the page of a training run (spacewarp train's folder): two sliders, "
                        "training time and stage; of the experiment options only --theme "
                        "and --cmap are used")
    p.add_argument("--measures", action="store_true",
                   help="a Jacobian measure summary in every stage's title (area change, "
                        "folded and collapsed shares)")
    p.add_argument("--out", required=True, metavar="FILE.html", help="the page to write")
    p.set_defaults(run=main)


def main(args: argparse.Namespace) -> None:
    from ..api import browser_options
    from ..export.html import HtmlOptions, check_target, write_html
    from ..pipeline import measured, run
    from .options import experiment_from_args

    check_target(args.out)  # a wrong name fails before any work
    if args.training is not None:
        return training_page(args)
    trace = run(experiment_from_args(args), "html")
    if args.measures:
        trace = measured(trace)[0]
    extra = {} if args.max_points is None else {"max_points": args.max_points}
    path = write_html(trace, args.out, HtmlOptions(browser_options(args.layout, extra)))
    size = path.stat().st_size / 1e6
    print(f"wrote {path} ({size:.1f} MB, {len(trace.stages)} stages, {trace.n:,} points)")


def training_page(args: argparse.Namespace) -> None:
    from ..export.training_html import write_training_html
    from ..render.browser import BrowserOptions
    from ..training.file import load_training
    from ..training.snapshots import trace_snapshots
    from ..view.training_film import training_film

    training = load_training(args.training)
    style = BrowserOptions(theme=getattr(args, "theme", None), cmap=getattr(args, "cmap", None))
    path = write_training_html(training_film(trace_snapshots(training)), args.out, style)
    size = path.stat().st_size / 1e6
    print(f"wrote {path} ({size:.1f} MB, {len(training.snapshots)} snapshots, "
          f"{training.points.n:,} points)")
