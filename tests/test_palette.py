"""Ten (and twenty) classes get distinct colours; beyond twenty every view says colours repeat."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import spacewarp as sw  # noqa: E402
from spacewarp.render.browser import film_spec  # noqa: E402
from spacewarp.render.static import stages_figure  # noqa: E402
from spacewarp.view.colors import CLASS_COLORS, class_hex  # noqa: E402


def cielab(hex_colour: str) -> np.ndarray:
    """sRGB (D65) -> CIELAB, from the standards' formulas (IEC 61966-2-1, CIE 15)."""
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124564, 0.3575761, 0.1804375],
                    [0.2126729, 0.7151522, 0.0721750],
                    [0.0193339, 0.1191920, 0.9503041]]) @ linear
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    eps = (6 / 29) ** 3
    f = np.where(t > eps, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def smallest_difference(colours: list[str]) -> float:
    return min(float(np.linalg.norm(cielab(a) - cielab(b)))
               for a, b in itertools.combinations(colours, 2))


def test_ten_classes_have_ten_clearly_different_colours() -> None:
    colours = class_hex(10)
    assert len(set(colours)) == 10
    assert smallest_difference(colours) > 25  # Delta E 1976; ~2.3 is just noticeable


def test_twenty_classes_have_twenty_clearly_different_colours() -> None:
    colours = class_hex(20)
    assert len(set(colours)) == 20 == len(CLASS_COLORS)
    assert smallest_difference(colours) > 25


def test_every_colour_stands_out_from_both_backgrounds() -> None:
    for colour in CLASS_COLORS:
        for background in ("#000000", "#ffffff"):
            assert np.linalg.norm(cielab(colour) - cielab(background)) > 35, colour


def test_the_digits_zero_and_eight_and_one_and_nine_differ() -> None:
    colours = class_hex(10)
    assert colours[0] != colours[8] and colours[1] != colours[9]


def blobs(classes: int) -> sw.Trace:
    return sw.run({"input": {"name": "blobs", "points": 20 * classes,
                             "params": {"classes": classes}},
                   "network": {"layers": [2, 3]}, "device": "cpu"})


def test_views_of_more_than_twenty_classes_say_colours_repeat() -> None:
    trace = blobs(25)
    fig = stages_figure(trace)
    (legend,) = fig.legends
    assert "colours repeat: 25 classes, 20 colours" in legend.get_title().get_text()
    assert len(legend.get_texts()) == 20
    rows = film_spec(trace)["color"]["legend"]
    assert rows[-1] == ["colours repeat: 25 classes, 20 colours", None]
    assert [r[1] for r in rows[:-1]] == list(range(20))
    few = film_spec(blobs(10))["color"]["legend"]
    assert [r[0] for r in few] == [f"class {k}" for k in range(10)]
