"""The ``spacewarp`` command: parses flags, calls the library, prints. Never computes.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and
``main(args) -> None``. User mistakes (``SpacewarpError``) become one line on stderr
and exit status 2.
"""

from __future__ import annotations

import argparse
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import SpacewarpError, SpacewarpNote
from . import animate, html, regions, render, serve, train

COMMANDS = (render, animate, html, train, regions, serve)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line and exit status 2, like every other."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise SpacewarpError(f"{self.prog}: {message} (see {self.prog} --help)", field=None)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="spacewarp", description="See what a neural network does to space.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def one_line(err: SpacewarpError) -> str:
    """The error as one line, led by the flag (or config field) it concerns."""
    from ..config.settings import flag_for

    text = " ".join(str(err).split())  # one line, whatever the message held
    where = flag_for(err.field) or err.field
    if where and where != "config" and not text.startswith(where):
        text = f"{where}: {text}"
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)[:2000]


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that every ``finally`` cleans up."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def _noting(default: Callable[..., None]) -> Callable[..., None]:
    """``warnings.showwarning`` that prints a ``SpacewarpNote`` as one line on stderr, once
    (a command may prepare its experiment twice: for the estimate, then for the work), and
    hands other warnings to ``default``."""
    said: set[str] = set()

    def show(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
        if issubclass(category, SpacewarpNote):
            line = f"spacewarp: note: {' '.join(str(message).split())}"
            if line not in said:
                said.add(line)
                print(line, file=sys.stderr)
        else:
            default(message, category, *args, **kw)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    previous = _on_sigterm(_terminate)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _noting(warnings.showwarning)
            args = build_parser().parse_args(argv)
            args.run(args)
    except SpacewarpError as err:
        print(f"spacewarp: error: {one_line(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spacewarp: interrupted; nothing half-written was left", file=sys.stderr)
        return 130
    except Terminated:
        print("spacewarp: terminated; nothing half-written was left", file=sys.stderr)
        return 143
    finally:
        _on_sigterm(previous)
    return 0


def _on_sigterm(handler: object) -> object:
    """Install ``handler`` for SIGTERM (main thread only); the previous one."""
    try:
        return signal.signal(signal.SIGTERM, handler)  # type: ignore[arg-type]
    except (ValueError, TypeError):  # not the main thread, or no handler to restore
        return None


if __name__ == "__main__":
    sys.exit(main())
