"""``spacewarp animate``: placeholder until its issue lands."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import SpacewarpError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("animate", help="(not yet available)")
    p.set_defaults(run=main)


def main(args: argparse.Namespace) -> None:
    raise SpacewarpError("'spacewarp animate' is not available yet")
