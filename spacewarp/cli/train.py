"""``spacewarp train``: train the experiment's network on its points and write the run.

The training flags come from ``settings.TRAIN_SETTINGS`` (flag, help, default; no pydantic,
so ``--help`` stays quick); ``config.TrainSpec`` parses and bounds the values.
"""

from __future__ import annotations

import argparse
import warnings
from dataclasses import replace
from typing import Any

from ..config.settings import TRAIN_SETTINGS
from .options import add_experiment_options, max_regions_arg


def training_flags() -> list[tuple[str, str, dict[str, Any]]]:
    """(field, flag, argparse keywords) for every training setting (``settings.py``)."""
    flags = []
    for s in TRAIN_SETTINGS:
        kwargs: dict[str, Any] = {"dest": f"train_{s.key}", "default": None,
                                  "help": f"{s.help} ({s.default})"}
        if s.choices:
            kwargs["choices"] = list(s.choices)
        else:
            kwargs["metavar"] = s.metavar
        flags.append((s.key, s.option or "", kwargs))
    return flags


def add_parser(sub: Any) -> None:
    p = sub.add_parser("train", help="train the network and watch it learn, stage by stage",
                       description="Train the experiment's network on its points (labelled "
                                   "sets: cross entropy; 1-D sin/abs/step: regression) and "
                                   "write training.npz, training.png, training.mp4, "
                                   "experiment.toml, model.pt and weights.txt.")
    add_experiment_options(p)
    g = p.add_argument_group("training (each flag overrides [train] of --config)")
    for _, flag, kwargs in training_flags():
        g.add_argument(flag, **kwargs)
    g.add_argument("--film", action=argparse.BooleanOptionalAction, default=True,
                   help="write training.mp4 (yes)")
    g.add_argument("--html", action=argparse.BooleanOptionalAction, default=False,
                   help="write training.html: one offline page, sliders for training time "
                        "and stage (no)")
    g.add_argument("--probe-stages", action=argparse.BooleanOptionalAction, default=False,
                   help="keep the probe grid's stages in training.npz (no: sw.load_training "
                        "recomputes them from the parameters)")
    g.add_argument("--float64", action=argparse.BooleanOptionalAction, default=False,
                   help="stages in training.npz in float64 (no: float32, relative error "
                        "about 1e-7)")
    r = p.add_argument_group("linear regions through training (with --regions: 2-D input, "
                             "piecewise-linear activations)")
    r.add_argument("--lc-radius", metavar="R", type=float, default=None,
                   help="half-side of the square around each training point for the local "
                        "complexity, and the distance to the boundary (1%% of the box's "
                        "larger side)")
    r.add_argument("--max-regions", metavar="N", type=max_regions_arg, default=None,
                   help="refuse more regions than this at any snapshot, by estimate (1e6)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.set_defaults(run=main)


def main(args: argparse.Namespace) -> None:
    from ..config.experiment import merged, validated
    from ..errors import SpacewarpError
    from ..export.training import NpzLayout, check_npz_budget, write_training
    from ..export.training_html import write_training_html
    from ..measure.training_regions import check_training_regions, training_regions
    from ..training.setup import prepare
    from ..training.snapshots import MAX_PROBE, trace_snapshots
    from ..training.train import train
    from ..view.training import training_views
    from ..view.training_film import training_film
    from .options import experiment_from_args

    base = experiment_from_args(args).model_dump(exclude_unset=True)
    flags = {name: getattr(args, f"train_{name}") for name, _, _ in training_flags()}
    given = {k: v for k, v in flags.items() if v is not None}
    experiment = validated(merged(base, {"train": given}))
    resolved, data = prepare(experiment)  # every mistake found before training
    counting = resolved.style.regions != "off"  # --regions: the regions at every snapshot
    if counting:
        check_training_regions(resolved, data, args.lc_radius, args.max_regions)
    elif args.lc_radius is not None or args.max_regions is not None:
        raise SpacewarpError("--lc-radius and --max-regions measure the regions; add "
                             "--regions, or leave them out", field="style.regions")
    layout = NpzLayout(args.probe_stages, args.float64)
    size = check_npz_budget(resolved, data.points.n, layout)
    print(f"training.npz will take about {size / 1e6:,.1f} MB ({layout.describe()})",
          flush=True)
    with warnings.catch_warnings():  # a NaN loss is said once, below, after the files
        warnings.simplefilter("ignore", RuntimeWarning)
        training = train(experiment)
        if counting:
            found = training_regions(training, args.lc_radius, args.max_regions)
            training = replace(training, regions=found.named())
        traced = trace_snapshots(training, None if args.probe_stages else MAX_PROBE)
        written = write_training(traced, args.out, training_views(traced, args.film),
                                 film=args.film, layout=layout)
        if args.html and training.probe is not None:  # after the others: over its budget,
            # the page alone is refused
            written.append(write_training_html(training_film(traced),
                                               f"{args.out}/training.html"))
    print(f"wrote {len(written)} files to {args.out}/ ({len(training.snapshots)} snapshots, "
          f"epoch {int(training.snapshots[-1])}, {training.points.n} points)")
    if training.probe is None:
        print(f"no training.png, .mp4 or .html: pictures of training need 1-D or 2-D input, "
              f"and these points are {training.points.dim}-D")
    if training.stopped:
        raise SpacewarpError(training.stopped, field="train.lr")
