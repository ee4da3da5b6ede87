"""The film spec: ``view.film`` plus colours, titles and theme, as one JSON object.

Binary arrays travel as descriptors (``render.blobs``: base64, inline or in text blocks). From
``QUANTISE_FROM`` points each key's coordinates are int16, quantised per axis within the
key's range (``blobs.put_int16``): the error is at most half a step, 7.6e-6 of the range
(said on the page).

Each stage carries its key, ``box`` (the equal-aspect cube it is drawn in), ``axes`` (the
names of its key's coordinates: ``axis_names``) and ``ranges`` ([lo, hi] of each), which
the page uses to name and tick a view showing that key.

The browser renderer (``js/``, entry ``film.js``'s ``mount``) decodes the spec and only
interpolates.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..config.experiment import Experiment, to_toml
from ..errors import SpacewarpError
from ..inputs.arrays import column_range
from ..tracing.trace import Trace
from ..view.colors import class_hex, class_names, hex_rgb, legend_rows
from ..view.coords import flat_axes
from ..view.film import EASING, Film, FilmOptions, film
from ..view.weight_text import heading_lines
from .blobs import LEVELS, Blobs, put_coords
from .browser_marks import marks_spec
from .browser_regions import region_spec
from .slice_spec import slice_spec
from .theme import THEMES, Theme
from .tour import tours

JS_DIR = Path(__file__).parent / "js"
QUANTISE_FROM = 100_000  # points from which coordinates are sent as int16
INPUT_NUMBERS = 1_000_000  # a wide input's numbers the page carries for hover and input(i)
# (4 MB as float32; the 1,797 digits are 115,008, sent as bytes); beyond, the first 6 a point


@dataclass(frozen=True)
class BrowserOptions:
    """How the browser film looks; ``None`` falls back to the trace's experiment style."""

    film: FilmOptions = field(default_factory=FilmOptions)
    theme: str | None = None  # "dark" | "light"
    cmap: str | None = None  # a matplotlib colour map
    layout: Literal["morph", "grid"] = "morph"  # morph view under the stages, or stages only
    quantise_from: int = QUANTISE_FROM
    regions: str | None = None  # "off" | "region" | "area"; None: the trace's style


def film_spec(trace: Trace, options: BrowserOptions | None = None,
              blobs: Blobs | None = None, serial: int = 0,
              planned: Film | None = None) -> dict[str, Any]:
    """The film spec of ``trace`` as a JSON-ready dict (binary arrays into ``blobs``);
    ``planned``: ``view.film.film(trace, options.film)`` when the caller has it already."""
    o = options or BrowserOptions()
    theme = spec_theme(o.theme or trace.style.theme)
    if o.layout not in ("morph", "grid"):
        raise SpacewarpError(f"unknown layout {o.layout!r}; choose 'morph' or 'grid'",
                             field="output")
    store = blobs or Blobs()
    fill = o.regions or trace.style.regions
    f = planned or planned_film(trace, o)
    quantised = f.n >= o.quantise_from
    extents = [column_range(k) for k in f.keys]  # (lo, hi) per key: once
    return {
        **spec_header(f, theme, store, serial=serial, layout=o.layout, quantised=quantised,
                      experiment=trace.experiment),
        "n_total": trace.n,
        "keys": [put_coords(k, quantised, store, e) for k, e in zip(f.keys, extents, strict=True)],
        "stages": [_stage(trace, k, f, extents) for k in range(len(trace.stages))],
        "tours": tours(trace, f, store),  # wide stages' points for turning by hand
        "inputs": _inputs(trace, f, store),
        "inputs_note": _inputs_note(trace, f),
        "input_image": _input_image(trace, f),  # off a slice: hover draws a row as an image
        "slice": slice_spec(trace, store),  # hover's input images and nearest data rows
        "color": _colors(trace, f, o.cmap or trace.style.cmap, store),
        "regions": None if f.outlines is None else region_spec(
            f.outlines, "area" if fill == "area" else "region", store),
        # a slice's anchors and data rows, and the anchors' images (marks.js)
        "marks": marks_spec(f.marks, store, trace.frame),
        "sample_note": f.sample_note,
        "title": summary(trace),
    }


def planned_film(trace: Trace, options: BrowserOptions) -> Film:
    """The film ``film_spec`` draws: ``options.film`` with the regions and SVD steps of the
    options or, unset, of the trace's style (its ``rows`` name the drawn points)."""
    fill = options.regions or trace.style.regions
    return film(trace, replace(options.film, regions=options.film.regions or fill != "off",
                               svd_steps=options.film.svd_steps or trace.style.svd_steps))


def spec_theme(name: str) -> Theme:
    """The theme a spec is drawn in, by name; a mistake names the choices."""
    if name not in THEMES:
        raise SpacewarpError(f"unknown theme {name!r}; choose {' or '.join(THEMES)}",
                             field="style.theme")
    return THEMES[name]


def spec_header(f: Film, theme: Theme, store: Blobs, *, serial: int, layout: str,
                quantised: bool, experiment: Experiment | None) -> dict[str, Any]:
    """What every film spec holds beside its keys, stages and colours (the explorer's, the
    page's and the training page's alike): the format's version, the film's sizes,
    segments, clock and lattice, how coordinates travel, the theme and the experiment."""
    return {
        "version": 1, "serial": serial, "n": f.n, "dim": f.dim,
        "layout": layout, "easing": EASING,
        "precision": (f"coordinates as int16 within each stage's range: error at most "
                      f"{0.5 / LEVELS:.1e} of it") if quantised else "",
        "segments": [segment_spec(s) for s in f.segments],
        "clock": [list(c) for c in f.clock],
        "lattice": None if f.lattice is None else store.put(f.lattice.astype(np.int32)),
        "theme": {"name": theme.name, "background": theme.background,
                  "foreground": theme.foreground, "muted": theme.muted},
        "note": f.note,
        "experiment": "" if experiment is None else to_toml(experiment),
    }


def box_lists(b: np.ndarray) -> list[list[float]]:
    """A (2, d) box [lo, hi] as JSON-ready lists of floats."""
    return [[float(v) for v in row] for row in b]


def segment_spec(s: Any) -> dict[str, Any]:
    """A film segment (``view.film``) as the spec's JSON object."""
    return {"p0": s.p0, "p1": s.p1, "start": s.start, "end": s.end,
            "from": s.from_stage, "to": s.to_stage, "kind": s.kind, "title": s.title,
            "boxes": [[u, box_lists(b)] for u, b in s.boxes],
            "cameras": [list(c) for c in s.cameras],
            "arrows": None if s.arrows is None else [a.tolist() for a in s.arrows],
            "rotation": None if s.rotation is None else s.rotation.tolist()}


def _stage(trace: Trace, k: int, f: Film,
           extents: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, Any]:
    stage, v = trace.stages[k], f.stages[k]
    measured = trace.stage_notes[k] if k < len(trace.stage_notes) else ""
    sliced = trace.frame.input_dim if trace.frame and trace.slice_fed(k) else None  # D
    return {"key": v.key, "dim": v.dim, "box": box_lists(v.box), "camera": list(v.camera),
            "axes": axis_names(trace, k, v.dim, flat_axes(*extents[v.key])),
            "ranges": _ranges(*extents[v.key]),
            "title": f"{k} \u00b7 {stage.title}", "name": stage.title, "module": stage.module,
            "kind": stage.kind, "weights": heading_lines(stage.weight, stage.bias, sliced),
            "note": v.note, "measures": measured}


def _ranges(lo: np.ndarray, hi: np.ndarray) -> list[list[float]]:
    """A key's (d,) lows and highs -> [lo, hi] per axis: the true ranges, where ``box`` is
    the equal-aspect cube around them."""
    return [[float(a), float(b)] for a, b in zip(lo, hi, strict=True)]


def axis_names(trace: Trace, k: int, dims: int, flat: Any = ()) -> list[str]:
    """The names of stage k's ``dims`` display axes, as its panel (its key) shows it: its
    own coordinates up to 3-D (``x[0]`` for the input, ``slice[0]`` for the input on a
    slice, whose stage 0 holds slice coordinates, as the stills' colour bar says,
    ``fc2[1]`` for a named module's outputs, ``h3[1]`` for stage 3 of a ``Sequential``,
    whose modules are numbered), its principal components beyond (``PC1``; ``PC3 (no
    spread)`` where ``flat[j]``, ``view.coords.flat_axes``: a stage of rank < 3). The page
    labels a view with them only where it shows that key (js/loop.js)."""
    stage = trace.stages[k]
    if stage.dim > 3:
        return [f"PC{j + 1}" + (" (no spread)" if j < len(flat) and flat[j] else "")
                for j in range(dims)]
    named = stage.module and not stage.module.isdigit()
    first = "x" if trace.frame is None else "slice"
    base = first if k == 0 else stage.module if named else f"h{k}"
    return [f"{base}[{j}]" for j in range(dims)]


def _inputs(trace: Trace, f: Film, store: Blobs) -> dict[str, Any] | None:
    """The input coordinates of the drawn points, for hover and ``input(i)``; None when
    stage 0's key holds them (inputs of at most 3-D). All D of them up to ``INPUT_NUMBERS``
    numbers in all (uint8 where every value is a whole number from 0 to 255, as the
    digits' are; float32 else), the first 6 beyond (``_inputs_note`` says so)."""
    if trace.stages[0].dim <= 3:
        return None
    x = trace.stages[0].points if f.rows is None else trace.stages[0].points[f.rows]
    if x.size > INPUT_NUMBERS:
        return store.put(x[:, :6].astype(np.float32))
    whole = bool(np.all((x >= 0) & (x <= 255) & (x == np.rint(x))))
    return store.put(np.ascontiguousarray(x, dtype=np.uint8 if whole else np.float32))


def _inputs_note(trace: Trace, f: Film) -> str:
    """What the page's hover and ``input(i)`` leave out of a wide input ("": nothing)."""
    n, d = (f.n, trace.stages[0].dim)
    if d <= 3 or n * d <= INPUT_NUMBERS:
        return ""
    return (f"input: its first 6 of {d} numbers (the page carries all of them up to "
            f"{INPUT_NUMBERS:,} numbers in all; these points have {n * d:,})")


def _input_image(trace: Trace, f: Film) -> dict[str, Any] | None:
    """Off a slice, where an input row is an image (``Trace.row_shape``) and the page
    carries every number of it: its shape and the data's value range (hover draws it)."""
    shape = trace.row_shape
    if trace.frame is not None or shape is None or f.n * trace.stages[0].dim > INPUT_NUMBERS:
        return None
    x = trace.stages[0].points
    return {"shape": list(shape), "range": [float(x.min()), float(x.max())]}


def _colors(trace: Trace, f: Film, cmap: str, store: Blobs) -> dict[str, Any]:
    """One uint8 index per drawn point into an RGB table, with a colour bar or a legend.

    Classes (``trace.categorical``) get the view step's class colours and a legend; any
    other colour value goes through the colour map (256 entries) with a colour bar.
    """
    from matplotlib import colormaps

    values = trace.color if f.rows is None else trace.color[f.rows]
    if trace.classes is not None:
        names = class_names(trace.classes)
        table = [[round(255 * c) for c in hex_rgb(h)] for h in class_hex(len(names))]
        index = np.rint(values).astype(np.uint8)  # colour values are the classes 0 .. k-1
        return {"index": store.put(index), "table": table, "bar": None,
                "legend": legend_rows(names, "predicted class" if trace.color_by == "predicted"
                                      else "class")}
    try:
        cm = colormaps[cmap]
    except KeyError:
        raise SpacewarpError(f"unknown colour map {cmap!r}; try viridis, plasma or coolwarm",
                             field="style.cmap") from None
    table = np.round(cm(np.linspace(0.0, 1.0, 256))[:, :3] * 255).astype(int).tolist()
    lo, hi = float(trace.color.min()), float(trace.color.max())
    u = (values - lo) / (hi - lo) if hi > lo else np.full(len(values), 0.5)
    index = np.clip(np.rint(u * 255), 0, 255).astype(np.uint8)
    return {"index": store.put(index), "table": table, "legend": None,
            "bar": {"label": f"colour: {trace.color_by}", "lo": lo, "hi": hi}}


def summary(trace: Trace) -> str:
    """``spacewarp: gaussian, 10,000 points through 2,3,3,2 tanh``; a network with
    convolutions or poolings by its stages: ``... through 64 → Conv2d 1->8, 3x3 kernel →
    ReLU → MaxPool2d 2 → ... → Linear 64->10``."""
    first = trace.stages[0].dim if trace.frame is None else trace.frame.input_dim
    e = trace.experiment
    source = f"{e.input.name}, " if e else ""
    if trace.frame is not None:  # the points lie on a slice of the data
        source = f"a {'plane' if trace.frame.k == 2 else 'line'} through {source}"
    return f"spacewarp: {source}{trace.n:,} points through {_network_text(trace, first)}"


def _network_text(trace: Trace, first: int) -> str:
    """Widths and activations (``2,3,3,2 tanh``); every stage's title, in order, where a
    stage is a convolution or a pooling, which widths alone would hide."""
    if any("conv" in s.kind or "pool" in s.kind for s in trace.stages):
        return " \u2192 ".join([str(first), *(s.title for s in trace.stages[1:])])
    widths = [first] + [s.dim for s in trace.stages if s.kind == "linear"]
    kinds = sorted({s.kind for s in trace.stages if s.kind not in ("input", "linear")})
    return f"{','.join(map(str, widths))} {'/'.join(kinds) or 'linear'}"


MODULES = ("spec.js", "draw.js", "gl.js", "live.js", "regions.js", "training.js", "hover.js",
           "marks.js", "tour.js", "page.js", "paint.js", "select.js", "camera.js", "loop.js",
           "controls.js", "decode.js", "film.js")  # in dependency order; film.js's mount: entry


def renderer_js() -> str:
    """The renderer as one ES module source: regl (vendored, MIT; its UMD wrapper given a
    ``module`` to fill) defining ``createREGL``, then the renderer's modules (``MODULES``:
    ``mount``, ``decodeSpec``) with their imports of one another dropped, as they share
    one scope once inlined."""
    regl = (JS_DIR / "vendor" / "regl.min.js").read_text(encoding="utf-8")
    parts = [(JS_DIR / name).read_text(encoding="utf-8") for name in MODULES]
    code = "\n".join(line for part in parts for line in part.splitlines()
                     if not (line.startswith("import ") and "from './" in line))
    return ("const createREGL = (function () { const module = {exports: {}}, "
            "exports = module.exports;\n" + regl + "\nreturn module.exports })();\n" + code)
