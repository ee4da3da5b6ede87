"""``spacewarp train``: train the experiment's network on its points and write the run.

The training flags are made from ``config.TrainSpec``'s fields (name, type, choices,
description, default): a new training setting there is a new flag here.
"""

from __future__ import annotations

import argparse
import types
import typing
import warnings
from typing import Any

from .options import add_experiment_options


def training_flags() -> list[tuple[str, str, dict[str, Any]]]:
    """(field, flag, argparse keywords) for every ``TrainSpec`` field."""
    from ..config import TrainSpec

    flags = []
    for name, info in TrainSpec.model_fields.items():
        kwargs: dict[str, Any] = {"dest": f"train_{name}", "default": None}
        ann = info.annotation
        args = typing.get_args(ann)
        if typing.get_origin(ann) is typing.Literal:
            kwargs["choices"] = list(args)
        elif ann in (int, float):
            kwargs["type"] = ann
            kwargs["metavar"] = "N" if ann is int else "F"
        else:  # a union (int or "full", int or None): pydantic parses the text
            kwargs["metavar"] = "|".join(_union_names(args))
        default = "the last hidden stage" if info.default is None else info.default
        kwargs["help"] = f"{info.description} ({default})"
        flags.append((name, "--" + name.replace("_", "-"), kwargs))
    return flags


def _union_names(args: tuple[Any, ...]) -> list[str]:
    names = []
    for a in args:
        if typing.get_origin(a) is typing.Literal:
            names += [str(v) for v in typing.get_args(a)]
        elif a is not type(None) and not isinstance(a, types.NoneType):
            names.append("N")
    return names


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
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.set_defaults(run=main)


def main(args: argparse.Namespace) -> None:
    from ..config import merged, validated
    from ..errors import SpacewarpError
    from ..export.training import check_npz_budget, write_training
    from ..training import train
    from ..training_setup import prepare
    from .options import experiment_from_args

    base = experiment_from_args(args).model_dump(exclude_unset=True)
    flags = {name: getattr(args, f"train_{name}") for name, _, _ in training_flags()}
    given = {k: v for k, v in flags.items() if v is not None}
    experiment = validated(merged(base, {"train": given}))
    resolved, data = prepare(experiment)  # every mistake found before training
    check_npz_budget(resolved, data.points.n)
    with warnings.catch_warnings():  # a NaN loss is said once, below, after the files
        warnings.simplefilter("ignore", RuntimeWarning)
        training = train(experiment)
        written = write_training(training, args.out, film=args.film)
    print(f"wrote {len(written)} files to {args.out}/ ({len(training.snapshots)} snapshots, "
          f"epoch {int(training.snapshots[-1])}, {training.points.n} points)")
    if training.probe is None:
        print(f"no training.png or training.mp4: pictures of training need 1-D or 2-D input, "
              f"and these points are {training.points.dim}-D")
    if training.stopped:
        raise SpacewarpError(training.stopped, field="train.lr")
