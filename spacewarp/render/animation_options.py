"""Options of a film (frames, timing, size, look), validated when made."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ..errors import SpacewarpError
from .theme import THEMES

DEFAULT_SIZE = (800, 600)  # (width, height) pixels of a film
FUNCTION_VIEW_SIZE = (1000, 500)  # wider: the points and the graph of f side by side
MAX_SIDE = 4096
MAX_FPS = 120


@dataclass(frozen=True)
class AnimationOptions:
    """How a film is timed and drawn. Every default gives a good film of the seed's network.

    Length: ``frames_per_stage`` frames per transition (default ``fps``: one second
    each), or ``seconds`` for the whole film, holds included; not both.
    """

    fps: int = 25  # frames per second
    seconds: float | None = None  # whole film length (exclusive with frames_per_stage)
    frames_per_stage: int | None = None  # frames per transition (default: fps)
    size: tuple[int, int] | None = None  # (width, height) pixels; None: 800x600 (1000x500)
    hold: float = 0.5  # seconds each stage is held, with its title
    split_bias: bool = False  # a biased linear stage as two morphs: W x, then + b
    svd_steps: bool = False  # a linear stage as V^T, S, U, + b (view/svd.py); over split_bias
    limits: Literal["transition", "film"] = "transition"  # axes fixed per transition or film
    theme: str | None = None  # dark or light; None: the experiment's theme
    smooth: bool = True  # ease each morph in and out (smoothstep) instead of constant speed
    arrows: bool = True  # the input basis vectors e1, e2 as arrows
    grid_lines: bool = True  # warped lattice lines when the input is a grid
    function_view: bool = True  # graph of x -> f(x) beside 1-D -> 1-D networks

    def __post_init__(self) -> None:
        _positive_int("fps", self.fps, "--fps 25")
        if self.fps > MAX_FPS:
            raise SpacewarpError(f"fps {self.fps} is more than {MAX_FPS}; use e.g. --fps 25",
                                 field="film.fps")
        if self.seconds is not None and self.frames_per_stage is not None:
            raise SpacewarpError("give either seconds or frames per stage, not both",
                                 field="film.seconds")
        if self.seconds is not None and not (math.isfinite(self.seconds)
                                             and 0 < self.seconds <= 3600):
            raise SpacewarpError(f"seconds must be positive (at most 3600), not {self.seconds}",
                                 field="film.seconds")
        if self.frames_per_stage is not None:
            _positive_int("frames per stage", self.frames_per_stage, "--frames-per-stage 25")
        if not (math.isfinite(self.hold) and 0 <= self.hold <= 60):
            raise SpacewarpError(f"hold must be 0 to 60 seconds, not {self.hold}",
                                 field="film.hold")
        if self.size is not None:
            _check_size(self.size)
        if self.limits not in ("transition", "film"):
            raise SpacewarpError(f"unknown limits {self.limits!r}; choose transition or film",
                                 field="film.limits")
        if self.theme is not None and self.theme not in THEMES:
            raise SpacewarpError(f"unknown theme {self.theme!r}; choose {' or '.join(THEMES)}",
                                 field="style.theme")

    def frame_size(self, function_view: bool = False) -> tuple[int, int]:
        """(width, height) of the frames: ``size``, or the default for the layout."""
        return self.size or (FUNCTION_VIEW_SIZE if function_view else DEFAULT_SIZE)


def _positive_int(name: str, value: object, example: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SpacewarpError(f"{name} must be a whole number above 0, not {value!r}; "
                             f"e.g. {example}", field="film." + name.replace(" ", "_"))


def _check_size(size: tuple[int, int]) -> None:
    ok = (len(size) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in size)
          and all(16 <= v <= MAX_SIDE for v in size))
    if not ok:
        raise SpacewarpError(f"size must be WIDTHxHEIGHT pixels, each 16 to {MAX_SIDE}, "
                             f"not {size!r}; e.g. --size 800x600", field="film.size")


def parse_size(text: str) -> tuple[int, int]:
    """``"800x600"`` -> (800, 600); a SpacewarpError for anything else."""
    parts = text.lower().replace("\u00d7", "x").split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise SpacewarpError(f"size {text!r} is not WIDTHxHEIGHT; e.g. --size 800x600",
                             field="film.size")
    size = (int(parts[0]), int(parts[1]))
    _check_size(size)
    return size
