"""Colours of the points, computed once for every renderer. Arrays only.

Continuous colourings (x, y, angle, ...) go through the experiment's colour map. Labels are
classes, not a quantity: a labelled colouring uses a categorical, colour-blind-safe palette
(Okabe and Ito's) with a legend. Both are given as one (256, 3) table indexed by the colour
value scaled to [0, 1]: for classes (colour values 0 .. k-1, see ``points.recolor``) the
table is stepped so that every class gets exactly its own colour.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Okabe & Ito (2008), reordered so the first classes differ most, black left out (the dark
# theme's background); then two of Kelly's (1965) colours for ten classes (digits), then
# ten more of Kelly's and Paul Tol's, each picked to differ most from those before it and
# from both themes' backgrounds. Every pair of the first ten is at least 26 apart in CIELAB
# (Delta E 1976), of all twenty at least 25 (tests/test_palette.py).
CLASS_COLORS = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00",
                "#F0E442", "#999999", "#BE0032", "#F99379",
                "#332288", "#654522", "#999933", "#882255", "#8DB600", "#882D17",
                "#EEDD88", "#EE3377", "#604E97", "#AA4499")


def class_names(labels: np.ndarray) -> list[str]:
    """The classes in colour order (sorted label values), as legend text."""
    return [str(int(v)) for v in np.unique(labels)]


def class_hex(k: int) -> list[str]:
    """The colours of k classes (the palette repeats beyond twenty: see ``repeat_note``)."""
    return [CLASS_COLORS[j % len(CLASS_COLORS)] for j in range(k)]


def repeat_note(k: int) -> str:
    """What a view of k classes must say when classes share colours ("" when none do)."""
    if k <= len(CLASS_COLORS):
        return ""
    return f"colours repeat: {k} classes, {len(CLASS_COLORS)} colours"


def legend_rows(names: Sequence[str], what: str = "class") -> list[list[object]]:
    """The browser's legend: ["class NAME", colour index] for the classes that have their own
    colour (``what``: "predicted class" where colours are the network's prediction), then
    [note, None] when colours repeat (the rest would only repeat them)."""
    rows: list[list[object]] = [[f"{what} {name}", i]
                                for i, name in enumerate(names[:len(CLASS_COLORS)])]
    note = repeat_note(len(names))
    return rows + ([[note, None]] if note else [])


def legend(classes: np.ndarray | None) -> list[tuple[str, str]]:
    """(class name, hex colour) per class of a colouring by class (``Trace.classes``);
    [] for a colouring by a quantity (None)."""
    if classes is None:
        return []
    names = class_names(classes)
    return list(zip(names, class_hex(len(names)), strict=True))


def hex_rgb(color: str) -> tuple[float, float, float]:
    """"#E69F00" -> (0.90, 0.62, 0.0)."""
    h = color.lstrip("#")
    return (int(h[0:2], 16) / 255.0, int(h[2:4], 16) / 255.0, int(h[4:6], 16) / 255.0)


def class_rgb(k: int) -> np.ndarray:
    """(k, 3) float64 RGB in [0, 1]: the colours of k classes."""
    return np.array([hex_rgb(c) for c in class_hex(k)])


def stepped_table(k: int) -> np.ndarray:
    """(256, 3) float32 RGB in [0, 255]: index round(255 j / (k - 1)) falls in class j's step."""
    rgb = class_rgb(max(k, 1)).astype(np.float32) * 255.0
    cls = np.rint(np.linspace(0.0, 1.0, 256) * max(k - 1, 0)).astype(np.intp)  # (256,)
    return rgb[cls]


# --- a classifier's decision: the class colour, faded to the background where unsure -------
DECISION_FADE = (0.10, 0.45)  # mix toward the class colour: at chance, and added when sure


def decision_strength(confidence: np.ndarray, classes: int) -> np.ndarray:
    """(P,) confidence of the predicted class -> (P,) in [0, 1]: 0 at chance (1 / classes),
    1 when certain."""
    chance = 1.0 / max(classes, 1)
    return np.clip((confidence - chance) / max(1.0 - chance, 1e-12), 0.0, 1.0)


def decision_rgb(predicted: np.ndarray, strength: np.ndarray, classes: int,
                 background: str) -> np.ndarray:
    """(P,) class and strength -> (P, 3) RGB in [0, 1]: the decision colours of every
    training view (stills, film, page, explorer)."""
    bg = np.array(hex_rgb(background))
    col = class_rgb(classes)[predicted]  # (P, 3)
    low, gain = DECISION_FADE
    return bg + (col - bg) * (low + gain * strength)[:, None]


def decision_table(classes: int, levels: int, background: str) -> np.ndarray:
    """(classes * levels, 3) RGB in [0, 1]: row ``c * levels + l`` is class c at strength
    l / (levels - 1) (see ``decision_row``)."""
    klass = np.repeat(np.arange(classes), levels)
    strength = np.tile(np.linspace(0.0, 1.0, levels), classes)
    return decision_rgb(klass, strength, classes, background)


def decision_row(predicted: np.ndarray, strength: np.ndarray, levels: int) -> np.ndarray:
    """(P,) class and strength -> (P,) int64 row of ``decision_table``."""
    level = np.rint(strength * (levels - 1)).astype(np.int64)
    return predicted.astype(np.int64) * levels + level
