"""The ``spacewarp`` command: parses flags, calls the library, prints. Never computes.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and
``main(args) -> None``. User mistakes (``SpacewarpError``) become one line on stderr
and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import SpacewarpError
from . import animate, html, render, serve, train

COMMANDS = (render, animate, html, train, serve)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line and exit status 2, like every other."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise SpacewarpError(f"{self.prog}: {message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="spacewarp", description="See what a neural network does to space.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        args.run(args)
    except SpacewarpError as err:
        print(f"spacewarp: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spacewarp: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
