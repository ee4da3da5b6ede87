"""Classes look like classes: a categorical palette with a legend wherever points are drawn."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import spacewarp as sw  # noqa: E402
from spacewarp.render.animation_options import AnimationOptions  # noqa: E402
from spacewarp.render.browser import film_spec  # noqa: E402
from spacewarp.render.frames import FrameRenderer  # noqa: E402
from spacewarp.render.static import stages_figure  # noqa: E402

# Okabe & Ito's colour-blind-safe palette, written out here as the reference
OKABE_ITO = {"#E69F00": (230, 159, 0), "#56B4E9": (86, 180, 233), "#009E73": (0, 158, 115)}


@pytest.fixture(scope="module")
def spiral() -> sw.Trace:
    return sw.run(input="spiral", points=300, layers="2,3,3", device="cpu")


def test_labelled_points_are_coloured_by_class_by_default(spiral: sw.Trace) -> None:
    assert spiral.color_by == "label" and spiral.categorical
    assert spiral.labels is not None
    np.testing.assert_array_equal(spiral.color, spiral.labels)  # classes 0, 1, 2 already
    assert sw.run(input="gaussian", points=10).color_by == "x"


def test_stills_draw_each_class_in_its_palette_colour_with_a_legend(spiral: sw.Trace) -> None:
    fig = stages_figure(spiral)
    (ax,) = [a for a in fig.axes if a.get_gid() == "stage-0"]
    coll = ax.collections[0]  # colours are mapped at draw time: the artist's own mapping
    drawn = (coll.to_rgba(coll.get_array())[:, :3] * 255).round()
    want = np.array(list(OKABE_ITO.values()))[spiral.labels]
    np.testing.assert_array_equal(drawn, want)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["class 0", "class 1", "class 2"]
    assert not [a for a in fig.axes if a.get_gid() == "colorbar"]


def test_film_frames_use_the_palette(spiral: sw.Trace) -> None:
    r = FrameRenderer(spiral, AnimationOptions(size=(320, 240), fps=4))
    colours = r.table[np.rint(r.values * 255).astype(int)]  # (n, 3) as splatted
    np.testing.assert_array_equal(colours, np.array(list(OKABE_ITO.values()))[spiral.labels])


def test_page_colours_each_class_in_its_palette_colour_with_a_legend(spiral: sw.Trace) -> None:
    import base64

    colour = film_spec(spiral)["color"]
    index = np.frombuffer(base64.b64decode(colour["index"]["b64"]), np.uint8)
    drawn = np.array(colour["table"])[index]  # (n, 3) RGB per point, as the browser gets it
    np.testing.assert_array_equal(drawn, np.array(list(OKABE_ITO.values()))[spiral.labels])
    assert colour["bar"] is None
    assert [name for name, _ in colour["legend"]] == ["class 0", "class 1", "class 2"]


def test_one_dimensional_default_bends() -> None:
    """The 1-D default is manual: S * [1 ; -1] with S = 3, so tanh bends visibly."""
    t = sw.run(input="line", device="cpu")
    np.testing.assert_array_equal(t.stages[1].weight, [[3.0], [-3.0]])
    x = t.stages[0].points
    np.testing.assert_allclose(t.stages[2].points, np.tanh(np.hstack([3 * x, -3 * x])))
    w2 = torch.tensor(t.stages[3].weight)
    np.testing.assert_allclose(t.output, np.tanh(np.hstack([3 * x, -3 * x])) @ w2.numpy().T)
    assert np.ptp(t.stages[2].points[:, 0]) > 1.5  # tanh(3x) over [-1, 1] spans most of (-1, 1)
