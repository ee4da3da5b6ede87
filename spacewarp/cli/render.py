"""``spacewarp render``: every stage as pictures, plus trace.npz, experiment.toml, weights.txt."""

from __future__ import annotations

import argparse
from typing import Any

from .options import add_experiment_options


def add_parser(sub: Any) -> None:
    p = sub.add_parser("render", help="draw every stage as still pictures",
                       description="Draw every stage of the network as still pictures.")
    add_experiment_options(p)
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--measures", action="store_true",
                   help="add Jacobian measures to trace.npz (jac_sv_KK, log_area_KK, rank_KK, "
                        "folded_KK) and a summary under every stage's title")
    p.set_defaults(run=main)


def main(args: argparse.Namespace) -> None:
    from ..export.files import writable_target
    from ..export.stills import write_render
    from ..measure.colors import measure_arrays
    from ..pipeline import measured, run
    from .options import experiment_from_args

    writable_target(args.out, folder=True)  # a bad --out fails before any work
    trace = run(experiment_from_args(args), "render")
    extra = None
    if args.measures:
        trace, m = measured(trace)
        extra = measure_arrays(m)
    written = write_render(trace, args.out, extra=extra)
    print(f"wrote {len(written)} files to {args.out}/ ({len(trace.stages)} stages, "
          f"{trace.n} points)")
