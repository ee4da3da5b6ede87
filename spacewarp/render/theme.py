"""Colour themes shared by every matplotlib renderer (dark like the seed's, light for papers),
and the stills' fixed 3-D camera and box."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib as mpl
import matplotlib.style as mpl_style  # not pyplot: the figures need no pyplot state

ELEV, AZIM = 30.0, -60.0  # the fixed 3-D camera (matplotlib's default view, as the seed's)
MIN_SIDE = 0.2  # a 3-D box side is at least this fraction of the longest side


@dataclass(frozen=True)
class Theme:
    name: str
    styles: tuple[str, ...]  # matplotlib styles applied in order
    background: str
    foreground: str  # text, spines
    muted: str  # grid lines, lattice lines, secondary marks


THEMES: dict[str, Theme] = {
    # the seed: plt.style.use(['dark_background', 'bmh']) with black axes and figure
    "dark": Theme("dark", ("dark_background", "bmh"), "#000000", "#e8e8e8", "#555555"),
    "light": Theme("light", ("default", "bmh"), "#ffffff", "#1a1a1a", "#bbbbbb"),
}


def get_theme(name: str) -> Theme:
    return THEMES[name]


@contextmanager
def themed(name: str) -> Iterator[Theme]:
    """Apply a theme to figures made inside the block, leaving global rcParams untouched."""
    theme = THEMES[name]
    with mpl_style.context(list(theme.styles)), mpl.rc_context({
        "axes.facecolor": theme.background,
        "figure.facecolor": theme.background,
        "savefig.facecolor": theme.background,
        "axes.edgecolor": theme.muted,
        "text.color": theme.foreground,
        "axes.labelcolor": theme.foreground,
        "axes.titlecolor": theme.foreground,
        "xtick.color": theme.foreground,
        "ytick.color": theme.foreground,
        "grid.color": theme.muted,
        "grid.alpha": 0.35,
    }):
        yield theme
