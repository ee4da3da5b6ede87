"""``spacewarp serve``: the explorer in the browser, on loopback unless told otherwise."""

from __future__ import annotations

import argparse
import os
from typing import Any

from .options import add_experiment_options


def add_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="start the explorer: a local web app",
                       description="Start the explorer, a local web app where every control "
                                   "re-warps space. Binds 127.0.0.1 unless --host says "
                                   "otherwise; prints the URL.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (127.0.0.1; 0.0.0.0 opens it to the network)")
    p.add_argument("--port", type=int, default=5006, help="port (5006)")
    p.add_argument("--allow-origin", action="append", default=[], metavar="HOST[:PORT]",
                   help="also accept pages served from this origin (repeatable); with "
                        "--host 0.0.0.0 only this machine's own names are accepted otherwise")
    add_experiment_options(p)  # --config, --model, --weights, ...: the experiment to start from
    p.add_argument("--no-browser", dest="open_browser", action="store_false",
                   help="do not open a browser tab")
    p.set_defaults(run=main)


# NumPy's BLAS (OpenBLAS) runs one thread per core inside every matrix product. The
# explorer works in parallel across sessions (a pool) instead, as torch does there
# (server.start_server); a product of 1e4 x 100 points spread over every core of a busy
# machine spins and wakes threads: planning a 100-wide film took 2.8 s of CPU, 0.3 s on
# one thread. OpenBLAS reads this once, when NumPy is first imported: before anything here.
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def main(args: argparse.Namespace) -> None:
    for name, value in ONE_BLAS_THREAD.items():
        os.environ.setdefault(name, value)  # the user's own setting wins
    from ..errors import SpacewarpError
    from .options import experiment_from_args

    if not 0 < args.port < 65536:
        raise SpacewarpError(f"--port must be between 1 and 65535, got {args.port}",
                             field="port")
    experiment = experiment_from_args(args)
    if experiment is not None:
        from ..app.limits import check_limits

        check_limits(experiment)
    try:
        from ..app.server import serve
    except ImportError as err:
        raise SpacewarpError(f"the explorer needs the app extra ({err.name} is missing): "
                             "pip install 'spacewarp[app]'", field="app") from None
    serve(host=args.host, port=args.port, config=experiment, open_browser=args.open_browser,
          allow_origin=args.allow_origin)
