"""``spacewarp html``: placeholder until its issue lands."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import SpacewarpError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("html", help="(not yet available)")
    p.set_defaults(run=main)


def main(args: argparse.Namespace) -> None:
    raise SpacewarpError("'spacewarp html' is not available yet")
