"""The film spec: ``view.film`` plus colours, titles and theme, as one JSON object.

Binary arrays travel as descriptors ``{"dtype", "shape", ...}`` with either ``"b64"``
(base64 of the little-endian bytes; the explorer's and notebook's messages) or
``"blob": i``, an index into separately stored text blocks in the ``b7`` encoding (7 bits
per character, for pages: 8/7 of the bytes instead of base64's 4/3). From
``QUANTISE_FROM`` points each key's coordinates are int16, quantised per axis within
the key's range: ``x = lo + (q + 32767) * step`` with ``step = (hi - lo) / 65534``, so
the error is at most half a step, 7.6e-6 of the range (said on the page).

The browser renderer (``js/film.js``) decodes the spec and only interpolates.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..config.experiment import to_toml
from ..errors import SpacewarpError
from ..tracing.trace import Trace
from ..view.colors import class_hex, class_names, hex_rgb, legend_rows
from ..view.film import EASING, Film, FilmOptions, film
from .browser_regions import region_spec
from .theme import THEMES
from .tour import tours

JS_DIR = Path(__file__).parent / "js"
QUANTISE_FROM = 100_000  # points from which coordinates are sent as int16
LEVELS = 65534  # int16 steps across a key's range per axis
Encoding = Literal["b64", "b7"]


@dataclass(frozen=True)
class BrowserOptions:
    """How the browser film looks; ``None`` falls back to the trace's experiment style."""

    film: FilmOptions = field(default_factory=FilmOptions)
    theme: str | None = None  # "dark" | "light"
    cmap: str | None = None  # a matplotlib colour map
    layout: Literal["morph", "grid"] = "morph"  # morph view under the stages, or stages only
    quantise_from: int = QUANTISE_FROM
    regions: str | None = None  # "off" | "region" | "area"; None: the trace's style


@dataclass
class Blobs:
    """Where binary arrays go: inline base64, or ``b7`` text blocks stored aside."""

    encoding: Encoding = "b64"
    texts: list[str] = field(default_factory=list)

    def put(self, a: np.ndarray, **extra: Any) -> dict[str, Any]:
        a = np.ascontiguousarray(a)
        dtype = {"float32": "f4", "int16": "i2", "int32": "i4", "uint8": "u1"}[a.dtype.name]
        out: dict[str, Any] = {"dtype": dtype, "shape": list(a.shape), **extra}
        data = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        if self.encoding == "b64":
            out["b64"] = base64.b64encode(data).decode("ascii")
        else:
            out["blob"] = len(self.texts)
            self.texts.append(b7(data))
        return out


def b7(data: bytes) -> str:
    """Bytes as text, 7 bits per character, safe inside an HTML ``<script>`` block.

    Big-endian bit stream cut in 7-bit groups (the last padded with zeros); the groups
    0 (NUL), 13 (CR) and 60 (``<``), which the HTML parser would change or end the block
    on, are sent as U+0100 + group. Decoded by ``unb7`` in ``js/film.js``.
    """
    a = np.frombuffer(data, dtype=np.uint8)
    a = np.concatenate([a, np.zeros(-len(a) % 7, dtype=np.uint8)]).reshape(-1, 7)
    word = np.zeros(len(a), dtype=np.uint64)  # (m,) 56 bits each
    for i in range(7):
        word = (word << np.uint64(8)) | a[:, i].astype(np.uint64)
    groups = np.stack([(word >> np.uint64(7 * (7 - j))) & np.uint64(0x7F) for j in range(8)],
                      axis=1).astype(np.uint8).ravel()  # (m, 8) -> (8 m,)
    bad = (groups == 0) | (groups == 13) | (groups == 60)
    at = np.arange(len(groups)) + np.cumsum(bad) - bad
    out = np.empty(len(groups) + int(bad.sum()), dtype=np.uint8)
    out[at] = np.where(bad, 0xC4, groups)  # U+0100 + g in UTF-8: C4, 80 + g (g < 64)
    out[at[bad] + 1] = 0x80 | groups[bad]
    return out.tobytes().decode("utf-8")


def film_spec(trace: Trace, options: BrowserOptions | None = None,
              blobs: Blobs | None = None, serial: int = 0,
              planned: Film | None = None) -> dict[str, Any]:
    """The film spec of ``trace`` as a JSON-ready dict (binary arrays into ``blobs``);
    ``planned``: ``view.film.film(trace, options.film)`` when the caller has it already."""
    o = options or BrowserOptions()
    theme_name = o.theme or trace.style.theme
    if theme_name not in THEMES:
        raise SpacewarpError(f"unknown theme {theme_name!r}; choose {' or '.join(THEMES)}",
                             field="style.theme")
    if o.layout not in ("morph", "grid"):
        raise SpacewarpError(f"unknown layout {o.layout!r}; choose 'morph' or 'grid'",
                             field="output")
    store = blobs or Blobs()
    fill = o.regions or trace.style.regions
    f = planned or film(trace, replace(o.film, regions=o.film.regions or fill != "off",
                                       svd_steps=o.film.svd_steps or trace.style.svd_steps))
    theme = THEMES[theme_name]
    quantised = f.n >= o.quantise_from
    return {
        "version": 1, "serial": serial, "n": f.n, "n_total": trace.n, "dim": f.dim,
        "layout": o.layout, "easing": EASING,
        "keys": [_coords(k, quantised, store) for k in f.keys],
        "precision": (f"coordinates as int16 within each stage's range: error at most "
                      f"{0.5 / LEVELS:.1e} of it") if quantised else "",
        "stages": [_stage(trace, k, f) for k in range(len(trace.stages))],
        "tours": tours(trace, f, store),  # wide stages' points for turning by hand
        "segments": [_segment(s) for s in f.segments],
        "clock": [list(c) for c in f.clock],
        "lattice": None if f.lattice is None else store.put(f.lattice.astype(np.int32)),
        "inputs": _inputs(trace, f, store),
        "color": _colors(trace, f, o.cmap or trace.style.cmap, store),
        "regions": None if f.outlines is None else region_spec(
            f.outlines, "area" if fill == "area" else "region", store),
        "theme": {"name": theme.name, "background": theme.background,
                  "foreground": theme.foreground, "muted": theme.muted},
        "note": f.note, "sample_note": f.sample_note,
        "title": summary(trace),
        "experiment": "" if trace.experiment is None else to_toml(trace.experiment),
    }


def _coords(a: np.ndarray, quantised: bool, store: Blobs) -> dict[str, Any]:
    """(n, d) float64 -> a descriptor: float32, or int16 with per-axis ``lo`` and ``step``."""
    if not quantised:
        return store.put(a.astype(np.float32))
    lo, hi = a.min(axis=0), a.max(axis=0)  # (d,)
    step = np.where(hi > lo, (hi - lo) / LEVELS, 1.0)
    q = np.rint((a - lo) / step) - 32767  # (n, d) in [-32767, 32767]
    return store.put(q.astype(np.int16), lo=lo.tolist(), step=step.tolist())


def _box(b: np.ndarray) -> list[list[float]]:
    return [[float(v) for v in row] for row in b]


def _segment(s: Any) -> dict[str, Any]:
    return {"p0": s.p0, "p1": s.p1, "start": s.start, "end": s.end,
            "from": s.from_stage, "to": s.to_stage, "kind": s.kind, "title": s.title,
            "boxes": [[u, _box(b)] for u, b in s.boxes],
            "cameras": [list(c) for c in s.cameras],
            "arrows": None if s.arrows is None else [a.tolist() for a in s.arrows],
            "rotation": None if s.rotation is None else s.rotation.tolist()}


def _stage(trace: Trace, k: int, f: Film) -> dict[str, Any]:
    stage, v = trace.stages[k], f.stages[k]
    measured = trace.stage_notes[k] if k < len(trace.stage_notes) else ""
    weights = matrix_lines("W", stage.weight) if stage.weight is not None else []
    weights += matrix_lines("b", stage.bias[None, :]) if stage.bias is not None else []
    return {"key": v.key, "dim": v.dim, "box": _box(v.box), "camera": list(v.camera),
            "title": f"{k} \u00b7 {stage.title}", "name": stage.title, "module": stage.module,
            "kind": stage.kind, "weights": weights, "note": v.note, "measures": measured}


def _inputs(trace: Trace, f: Film, store: Blobs) -> dict[str, Any] | None:
    """The input coordinates of the drawn points (up to 6 columns), for hover; None when
    stage 0's key holds them (inputs of at most 3-D)."""
    if trace.stages[0].dim <= 3:
        return None
    x = trace.stages[0].points if f.rows is None else trace.stages[0].points[f.rows]
    return store.put(x[:, :6].astype(np.float32))


def _colors(trace: Trace, f: Film, cmap: str, store: Blobs) -> dict[str, Any]:
    """One uint8 index per drawn point into an RGB table, with a colour bar or a legend.

    Classes (``trace.categorical``) get the view step's class colours and a legend; any
    other colour value goes through the colour map (256 entries) with a colour bar.
    """
    from matplotlib import colormaps

    values = trace.color if f.rows is None else trace.color[f.rows]
    if trace.categorical and trace.labels is not None:
        names = class_names(trace.labels)
        table = [[round(255 * c) for c in hex_rgb(h)] for h in class_hex(len(names))]
        index = np.rint(values).astype(np.uint8)  # colour values are the classes 0 .. k-1
        return {"index": store.put(index), "table": table, "bar": None,
                "legend": legend_rows(names)}
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


def _number(v: float) -> str:
    return f"{v:.2f}" if abs(v) < 1e4 else f"{v:.1e}"


def matrix_lines(name: str, a: np.ndarray, max_rows: int = 5, max_cols: int = 6) -> list[str]:
    """``W = [ 3.00  0.00 ]`` ... one line per row, cut with an ellipsis beyond the caps."""
    a = np.atleast_2d(a)
    cells = [[_number(v).rjust(6) for v in row[:max_cols]] for row in a[:max_rows]]
    more_cols = " \u2026" if a.shape[1] > max_cols else ""
    lead = f"{name} ="
    pad = " " * len(lead)
    out = [f"{lead if i == 0 else pad} [{''.join(r)}{more_cols} ]" for i, r in enumerate(cells)]
    if a.shape[0] > max_rows:
        out.append(f"{pad}  \u2026 {a.shape[0] - max_rows} more rows")
    return out


def summary(trace: Trace) -> str:
    """``spacewarp: gaussian, 10,000 points through 2,3,3,2 tanh``."""
    first = trace.stages[0].dim if trace.frame is None else trace.frame.input_dim
    widths = [first] + [s.dim for s in trace.stages if s.kind == "linear"]
    kinds = sorted({s.kind for s in trace.stages if s.kind not in ("input", "linear")})
    e = trace.experiment
    source = f"{e.input.name}, " if e else ""
    if trace.frame is not None:  # the points lie on a slice of the data
        source = f"a {'plane' if trace.frame.k == 2 else 'line'} through {source}"
    return (f"spacewarp: {source}{trace.n:,} points through "
            f"{','.join(map(str, widths))} {'/'.join(kinds) or 'linear'}")


MODULES = ("spec.js", "draw.js", "gl.js", "live.js", "training.js", "regions.js", "tour.js",
           "film.js")  # in dependency order


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
