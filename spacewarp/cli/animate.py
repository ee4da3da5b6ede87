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
    g.add_argument("--fps", metavar="N", default="25", help="frames per second (25)")
    length = g.add_mutually_exclusive_group()
    length.add_argument("--seconds", metavar="S",
                        help="length of the whole film, holds included")
    length.add_argument("--frames-per-stage", metavar="K",
                        help="frames per stage transition (default: one second's worth)")
    g.add_argument("--size", metavar="WxH",
                   help="frame size in pixels (800x600 MP4, 480x360 GIF)")
    g.add_argument("--hold", metavar="SECONDS", default="0.5",
                   help="how long each stage is held with its title (0.5)")
    g.add_argument("--split-bias", action="store_true",
                   help="show a linear layer with bias as two moves: W x, then + b")
    g.add_argument("--measures", action="store_true",
                   help="a Jacobian measure summary under each stage's title while it is held")
    g.add_argument("--limits", choices=["transition", "film"], default="transition",
                   help="axes fixed per stage transition, or over the whole film (transition)")
    p.set_defaults(run=main)


def main(args: argparse.Namespace) -> None:
    from ..config.numbers import parse_count, parse_float, parse_size
    from ..export.files import check_out
    from ..export.video import video_format, write_video
    from ..pipeline import measured, run
    from ..render.animation_options import MAX_FPS, AnimationOptions
    from .options import experiment_from_args

    def opt(parse: Any, text: str | None, field: str, **kw: Any) -> Any:
        return None if text is None else parse(text, field=f"film.{field}", **kw)

    options = AnimationOptions(
        fps=opt(parse_count, args.fps, "fps", what="fps", high=MAX_FPS),
        seconds=opt(parse_float, args.seconds, "seconds", what="seconds", low=0.01,
                    high=3600),
        frames_per_stage=opt(parse_count, args.frames_per_stage, "frames_per_stage",
                             what="frames per stage", high=10_000),
        size=opt(parse_size, args.size, "size"),
        hold=opt(parse_float, args.hold, "hold", what="hold", low=0, high=60),
        split_bias=args.split_bias, limits=args.limits)
    check_out(args.out)
    video_format(args.out)  # a wrong name or folder fails before any work
    trace = run(experiment_from_args(args), "animate")
    if args.measures:
        trace = measured(trace)[0]
    path = write_video(trace, args.out, options)
    print(f"wrote {path} ({len(trace.stages)} stages, {trace.n} points)")
