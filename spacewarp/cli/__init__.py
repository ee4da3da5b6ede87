"""The ``spacewarp`` command: parses flags, calls the library, prints. Never computes.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and
``main(args) -> None``. User mistakes (``SpacewarpError``) become one line on stderr
and exit status 2.
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any, NoReturn

from ..errors import SpacewarpError, SpacewarpNote
from . import animate, html, regions, render, serve, train

COMMANDS = (render, animate, html, train, regions, serve)
RESEND_AFTER_S = 0.05  # a signal that lands inside an import is sent again this much later


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


def on_signal(signum: int, frame: FrameType | None) -> None:
    """SIGTERM -> ``Terminated``, SIGINT -> ``KeyboardInterrupt``, raised in the main
    thread; but never inside an import. Raised there, the exception unwinds through a
    module's initialisation, and a native module's (matplotlib's ft2font) aborts the whole
    process (SIGABRT), leaving its output's staging folder behind; so the signal is sent
    again ``RESEND_AFTER_S`` later, until it lands outside every import."""
    if importing(frame):
        again = threading.Timer(RESEND_AFTER_S, os.kill, (os.getpid(), signum))
        again.daemon = True  # a process that ends first ends anyway
        again.start()
        return
    raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt


def importing(frame: FrameType | None) -> bool:
    """Whether ``frame`` or any frame that called it runs inside Python's import system."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


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
    previous = {sig: _handle(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
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
        for sig, handler in previous.items():
            _handle(sig, handler)
    return 0


def entry() -> NoReturn:
    """The ``spacewarp`` command and ``python -m spacewarp.cli``: ``main()``, then exit."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    if code == 130:  # interrupted: the cleanup is done and said; exit now, with 130. An
        # interrupt that landed while a worker thread was starting could otherwise end the
        # interpreter's shutdown by SIGINT itself (-2 instead of 130, seen once under load)
        os._exit(code)
    # The interpreter's shutdown runs garbage collections that walk every object torch and
    # matplotlib made, to free at once what exit frees anyway: 0.6 s of a 3 s `render`.
    # Frozen, they are only freed (atexit handlers and open files are closed as ever).
    gc.freeze()
    sys.exit(code)


def _handle(sig: int, handler: object) -> object:
    """Install ``handler`` for ``sig`` (main thread only); the previous one."""
    try:
        return signal.signal(sig, handler)  # type: ignore[arg-type]
    except (ValueError, TypeError):  # not the main thread, or no handler to restore
        return None


if __name__ == "__main__":
    sys.exit(main())
