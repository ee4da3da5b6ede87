"""Numbers parse one way everywhere: CLI flags, TOML files, state links and app controls.

Every parser takes what a user can give (a flag's text, a TOML value) and returns the
clean value or raises ``SpacewarpError`` naming the config ``field``. Counts accept
``1e5`` when it is a whole number; they refuse ``3_0``, digits other than ASCII 0-9,
fractions, NaN, inf, overflow and booleans. Torch-, numpy- and pydantic-free.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from ..errors import InputError, NetworkError, SpacewarpError

MAX_POINTS = 10_000_000  # 1e7 points x 2-D float64 = 160 MB per stage: beyond that is a typo
MAX_WIDTH = 4096  # neurons in one layer
MAX_DEPTH = 64  # linear layers
SEED_LIMIT = 2**32  # seeds are integers in [0, 2**32), as NumPy's and torch's generators take

# Plain ASCII decimal numbers only: no "3_0", no "٣٠٠", no "0x10", no "inf".
_FRACTION = re.compile(r"([+-]?[0-9]{1,9})/([0-9]{1,9})")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,6})?")


def _decimal(value: Any, field: str, what: str, error: type[SpacewarpError]) -> Decimal:
    """``value`` (text, int or float; never a bool) as an exact, finite Decimal."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise error(f"{what} must be a number, got {_show(value)}", field=field)
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER.fullmatch(text):
            raise error(f"{what} must be a plain number such as 1000 or 1e5, got {value!r}",
                        field=field)
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid text
            raise error(f"{what} {value!r} is not a number", field=field) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise error(f"{what} must be a finite number (not NaN or inf), got {value}",
                    field=field)
    return Decimal(value)


def _show(value: Any) -> str:
    text = f"{value:g}" if isinstance(value, float) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_int(value: Any, *, field: str, what: str, low: int, high: int,
              error: type[SpacewarpError] = InputError, hint: str = "") -> int:
    """A whole number in [low, high]; ``1e5`` and ``2.0`` are whole, ``2.5`` is not."""
    number = _decimal(value, field, what, error)
    more = f"; {hint}" if hint else ""
    if number != number.to_integral_value():
        raise error(f"{what} must be a whole number, got {_show(value)}{more}", field=field)
    if not low <= number <= high:  # compared as Decimal: 1e999999 never becomes an int
        raise error(f"{what} must be between {low:,} and {high:,}, got {_show(value)}{more}",
                    field=field)
    return int(number)


def parse_float(value: Any, *, field: str, what: str, low: float | None = None,
                high: float | None = None, positive: bool = False,
                error: type[SpacewarpError] = InputError) -> float:
    """A finite float, optionally above 0 and within [low, high]."""
    number = float(_decimal(value, field, what, error))
    if not math.isfinite(number):
        raise error(f"{what} must be a finite number, got {_show(value)}", field=field)
    if positive and not number > 0:
        raise error(f"{what} must be more than 0, got {_show(value)}", field=field)
    if (low is not None and number < low) or (high is not None and number > high):
        raise error(f"{what} must be between {low:g} and {high:g}, got {_show(value)}",
                    field=field)
    return number


def parse_count(value: Any, *, field: str = "input.points", what: str = "points",
                low: int = 1, high: int = MAX_POINTS) -> int:
    """A count of things (points, frames, classes): whole, at least ``low``."""
    return parse_int(value, field=field, what=what, low=low, high=high)


def parse_seed(value: Any, *, field: str = "seed") -> int:
    """A seed: a whole number in [0, 2**32)."""
    return parse_int(value, field=field, what="seed", low=0, high=SEED_LIMIT - 1,
                     hint="use e.g. --seed 0")


def number_text(value: float) -> str:
    """The shortest text that reads back as exactly ``value``: ``3`` for 3.0, ``0.1``; a
    value that needs more than 8 digits and is a fraction p/q with q <= 100 as ``2/3``
    (the explorer's number boxes read ``p/q`` back, see ``parse_fraction``)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = next(t for d in range(1, 18) if float(t := f"{value:.{d}g}") == value)
    if len(text.lstrip("-")) > 10:
        q = Fraction(value).limit_denominator(100)
        if float(q) == value:
            return f"{q.numerator}/{q.denominator}"
    return text


def parse_fraction(text: str) -> float | None:
    """``"2/3"`` -> 2/3 (the nearest float); None when ``text`` is not p/q in ASCII digits
    with q > 0."""
    m = _FRACTION.fullmatch(text.strip())
    if m is None or int(m.group(2)) == 0:
        return None
    return float(Fraction(int(m.group(1)), int(m.group(2))))


def parse_size(value: Any, *, field: str = "size", low: int = 16, high: int = 4096
               ) -> tuple[int, int]:
    """``"800x600"`` (or a [W, H] pair) -> (800, 600), each side in [low, high]."""
    if isinstance(value, str):
        parts: Sequence[Any] = value.lower().replace("\u00d7", "x").split("x")
    elif isinstance(value, list | tuple):
        parts = value
    else:
        parts = []
    if len(parts) != 2 or any(isinstance(p, str) and not p.strip() for p in parts):
        raise InputError(f"size {_show(value)} is not WIDTHxHEIGHT; e.g. --size 800x600",
                         field=field)
    w, h = (parse_int(p, field=field, what="each side of the size", low=low, high=high,
                      hint="e.g. --size 800x600") for p in parts)
    return w, h


def parse_widths(value: Any, *, field: str = "network.layers") -> list[int]:
    """``"2,3,3,2"`` or ``[2, 3, 3, 2]`` -> [2, 3, 3, 2]; every width whole, 1 to MAX_WIDTH."""
    example = "give comma-separated widths such as 2,3,3,2 (in TOML: layers = [2, 3, 3, 2])"
    if isinstance(value, str):
        items: list[Any] = value.replace(" ", "").split(",")
        if any(not _NUMBER.fullmatch(item) for item in items):
            raise NetworkError(f"layers {value!r} do not parse; {example}", field=field)
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise NetworkError(f"layers must be a list of widths, got {_show(value)}; {example}",
                           field=field)
    if len(items) < 2:
        raise NetworkError(f"layers need at least an input and an output width, got "
                           f"{_show(value)}; {example}", field=field)
    if len(items) - 1 > MAX_DEPTH:
        raise NetworkError(f"at most {MAX_DEPTH} linear layers, got {len(items) - 1}",
                           field=field)
    return [parse_int(w, field=field, what="every width", low=1, high=MAX_WIDTH,
                      error=NetworkError, hint=example) for w in items]


def parse_bool(value: Any, *, field: str, what: str) -> bool:
    """A real boolean (TOML true/false); ``1`` or ``"yes"`` are refused."""
    if not isinstance(value, bool):
        raise InputError(f"{what} must be true or false, got {_show(value)}", field=field)
    return value


def parse_slice(value: Any, *, field: str = "input.slice") -> str:
    """``"3,7,9"`` (a plane through three rows), ``"3,7"`` (a line), ``"pca"``, ``"3"`` (a
    plane through a row along the principal directions) -> the same text, normalised."""
    example = "give --slice I,J,K (a plane through rows I, J, K), I,J (a line), pca or I"
    if isinstance(value, str) and value.strip().lower() == "pca":
        return "pca"
    items = value.replace(" ", "").split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not 1 <= len(items) <= 3 or any(
            isinstance(r, str) and not (r.isascii() and r.isdigit()) for r in items):
        raise InputError(f"slice {_show(value)} does not parse; {example}", field=field)
    rows = [parse_int(r, field=field, what="every slice row", low=0, high=MAX_POINTS - 1,
                      hint=example) for r in items]
    if len(set(rows)) < len(rows):
        raise InputError(f"slice rows {','.join(map(str, rows))} repeat a row; a slice "
                         "needs different rows (each anchor is one data row)", field=field)
    return ",".join(map(str, rows))


def parse_bounds(value: Any, *, field: str = "input.bounds") -> list[float]:
    """``"x0,x1,y0,y1"`` (or ``"x0,x1"`` for a line) -> finite floats with x0 < x1, y0 < y1."""
    example = "give x0,x1,y0,y1 (x0,x1 for a line), e.g. --bounds=-2,2,-2,2"
    items = value.replace(" ", "").split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or len(items) not in (2, 4):
        raise InputError(f"bounds {_show(value)} do not parse; {example}", field=field)
    box = [parse_float(v, field=field, what="every bound", low=-1e12, high=1e12)
           for v in items]
    if any(lo >= hi for lo, hi in zip(box[::2], box[1::2], strict=True)):
        raise InputError(f"bounds {_show(value)} need x0 < x1 and y0 < y1; {example}",
                         field=field)
    return box


def parse_shape(value: Any, *, field: str = "input.shape") -> list[int]:
    """``"1,8,8"`` (C,H,W), ``"8,8"`` (H,W) or ``[1, 8, 8]`` -> [1, 8, 8]: how a row is an
    image; every size whole, 1 to MAX_WIDTH."""
    example = "give C,H,W or H,W, e.g. --input-shape 1,8,8"
    items = value.replace(" ", "").split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not 1 <= len(items) <= 3:
        raise InputError(f"input shape {_show(value)} does not parse; {example}", field=field)
    return [parse_int(v, field=field, what="every size of the input shape", low=1,
                      high=MAX_WIDTH, hint=example) for v in items]
