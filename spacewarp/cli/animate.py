"""``spacewarp animate``: a smooth morph through every stage, as an MP4 or a GIF."""

from __future__ import annotations

import argparse
from typing import Any

from .options import add_experiment_options


def add_parser(sub: Any) -> None:
    p = sub.add_parser("animate", help="morph through every stage into an MP4 or GIF",
                       description="Morph the points smoothly through every stage of the "
                                   "network and write the film as an MP4 or a GIF.")
    add_experiment_options(p)
    g = p.add_argument_group("film")
    g.add_argument("--out", required=True, metavar="FILE.mp4|FILE.gif", help="output file")
    g.add_argument("--fps", type=int, metavar="N", default=25, help="frames per second (25)")
    length = g.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=float, metavar="S",
                        help="length of the whole film, holds included")
    length.add_argument("--frames-per-stage", type=int, metavar="K",
                        help="frames per stage transition (default: one second's worth)")
    g.add_argument("--size", metavar="WxH",
                   help="frame size in pixels (800x600 MP4, 480x360 GIF)")
    g.add_argument("--hold", type=float, metavar="SECONDS", default=0.5,
                   help="how long each stage is held with its title (0.5)")
    g.add_argument("--split-bias", action="store_true",
                   help="show a linear layer with bias as two moves: W x, then + b")
    g.add_argument("--svd-steps", action="store_true",
                   help="show each linear layer W = U S V^T (+ b) as four labelled moves: "
                        "rotate by V^T, scale by S, rotate by U, shift by b")
    g.add_argument("--limits", choices=["transition", "film"], default="transition",
                   help="axes fixed per stage transition, or over the whole film (transition)")
    p.set_defaults(run=main)


def main(args: argparse.Namespace) -> None:
    from ..export.video import video_format, write_video
    from ..pipeline import run
    from ..render.animation_options import AnimationOptions, parse_size
    from .options import experiment_from_args

    options = AnimationOptions(
        fps=args.fps, seconds=args.seconds, frames_per_stage=args.frames_per_stage,
        size=parse_size(args.size) if args.size else None, hold=args.hold,
        split_bias=args.split_bias, svd_steps=args.svd_steps, limits=args.limits)
    video_format(args.out)  # a wrong name or folder fails before any work
    trace = run(experiment_from_args(args))
    path = write_video(trace, args.out, options)
    print(f"wrote {path} ({len(trace.stages)} stages, {trace.n} points)")
