"""One self-contained interactive page: plotly.js inlined, the resolved config embedded.

The page opens from disk and fetches nothing. Point data travels as float32 binary
arrays (plotly's typed-array encoding); the number of morph frames per transition is
lowered, when needed, so that the page stays under ``max_bytes``. Above the measured
point limit (``render.plotly_parts.MAX_POINTS_2D / _3D``) a seeded subset is drawn and
the page says so.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from ..config import to_toml
from ..errors import OutputError, SpacewarpError
from ..render import plotly_parts as pp
from ..render.interactive import InteractiveOptions, interactive_figure, make_film
from ..render.interactive import stages_grid_figure as grid_figure
from ..render.notebook import CONFIG
from ..trace import Trace
from .files import atomic_file, writable_target
from .plotlyjs import plotlyjs_for

PAGE_OVERHEAD = 80_000  # bytes of page around the plot: title, styles, config, layout


@dataclass(frozen=True)
class HtmlOptions:
    figure: InteractiveOptions = field(default_factory=InteractiveOptions)
    layout: Literal["morph", "grid"] = "morph"  # the morph view with a slider, or all stages
    max_bytes: int = 9_500_000  # the page's size budget (frames per transition adapt)


def write_html(trace: Trace, path: str | Path, options: HtmlOptions | None = None) -> Path:
    """Write the interactive page of ``trace`` to ``path`` (``.html``), atomically."""
    o = options or HtmlOptions()
    target = check_target(path)
    if o.layout not in ("morph", "grid"):
        raise SpacewarpError(f"unknown layout {o.layout!r}; choose 'morph' or 'grid'",
                             field="html.layout")
    page = page_html(trace, o)
    with atomic_file(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return target


def check_target(path: str | Path) -> Path:
    """``path`` when it names a page that can be written; else ``OutputError``."""
    if Path(path).suffix.lower() not in (".html", ".htm"):
        raise OutputError(f"cannot write {str(path)!r} as a page; give a name ending in .html",
                          field="output")
    target = writable_target(path)
    return target


def page_html(trace: Trace, o: HtmlOptions) -> str:
    """The whole page as text."""
    fo = pp.checked(o.figure)
    if o.layout == "grid":
        fig = grid_figure(trace, fo)
        rows = pp.sample_index(trace.n, pp.point_limit(3, fo), fo.sample_seed)
    else:
        fo = replace(fo, steps=fitting_steps(trace, fo, o.max_bytes))
        fig = interactive_figure(trace, fo)
        rows = make_film(trace, fo).rows
    theme = pp.theme_of(trace, fo)
    plot = plot_html(fig, "spacewarp-plot")
    note = "" if rows is None else pp.sample_note(trace.n, len(rows), fo.sample_seed)
    return _PAGE.format(
        title=html.escape(_summary(trace)), bg=theme.background, fg=theme.foreground,
        muted=theme.muted, plot=plot, note=_note_html(note), config=_config_html(trace),
        frames=_frames_text(trace, fo, o.layout))


def plot_html(fig: go.Figure, div_id: str) -> str:
    """plotly.js inlined, then a div and the script that draws ``fig`` in it and adds frames.

    The figure's JSON keeps ``<`` escaped (so no ``</script>`` can end the block) but not
    ``/``, which plotly's own ``to_html`` escapes as six characters inside every base64 array.
    """
    fig_json = pio.to_json(fig, validate=False).replace("\\u002f", "/")
    height = int(fig.layout.height or 600)
    return (f"<script>{plotlyjs_for(fig)}</script>\n"
            f'<div id="{div_id}" class="plotly-graph-div" '
            f'style="height:{height}px; width:100%;"></div>\n'
            f'<script type="application/json" id="{div_id}-figure">{fig_json}</script>\n'
            f"<script>{_DRAW.format(div_id=div_id, config=json.dumps(CONFIG))}</script>")


# JSON.parse of a data block is much faster than a 5 MB object literal; the frames are
# added after the first drawing, so the plot appears before they are decoded.
_DRAW = """(function () {{
  var gd = document.getElementById("{div_id}");
  var fig = JSON.parse(document.getElementById("{div_id}-figure").textContent);
  window.spacewarpTiming = {{parsed: performance.now()}};
  Plotly.newPlot(gd, fig.data, fig.layout, {config}).then(function () {{
    window.spacewarpTiming.drawn = performance.now();
    return fig.frames ? Plotly.addFrames(gd, fig.frames) : null;
  }}).then(function () {{
    window.spacewarpTiming.ready = performance.now();
    gd.setAttribute("data-spacewarp-ready", "true");
  }});
}})();"""


def fitting_steps(trace: Trace, fo: InteractiveOptions, max_bytes: int) -> int:
    """Frames per transition (at most ``fo.steps``, at least 1) that keep the page in budget.

    Each float32 coordinate costs 4 bytes, 16/3 once base64-encoded.
    """
    film = make_film(trace, replace(fo, steps=0))
    shown = trace.n if film.rows is None else len(film.rows)
    lines = 0 if film.line_index is None else len(film.line_index)
    per_frame = (shown + lines) * film.dim * 16 / 3
    n_morphs = len(film.morphs)
    fixed = per_frame * (n_morphs + 2) + shown * (min(trace.stages[0].dim, 6) + 1) * 16 / 3
    budget = max_bytes - len(get_plotlyjs()) - PAGE_OVERHEAD - fixed
    return int(max(1, min(fo.steps, budget // max(per_frame * n_morphs, 1))))


def _summary(trace: Trace) -> str:
    widths = [trace.stages[0].dim] + [s.dim for s in trace.stages if s.kind == "linear"]
    kinds = sorted({s.kind for s in trace.stages if s.kind not in ("input", "linear")})
    e = trace.experiment
    source = f"{e.input.name}, " if e else ""
    return (f"spacewarp: {source}{trace.n:,} points through "
            f"{','.join(map(str, widths))} {'/'.join(kinds) or 'linear'}")


def _note_html(note: str) -> str:
    return f'<p class="note" id="spacewarp-sample-note">{html.escape(note)}</p>' if note else ""


def _config_html(trace: Trace) -> str:
    """The resolved experiment: visible in <details>, and machine-readable in a script tag."""
    if trace.experiment is None:
        return ("<details><summary>Experiment</summary><p>Made from a model given in Python; "
                "there is no experiment config to embed.</p></details>")
    toml = to_toml(trace.experiment)
    raw = toml.replace("</", "<\\/")  # a data block ends at the first "</script"
    return (f'<details><summary>Experiment (experiment.toml: run it again with '
            f'<code>spacewarp html --config experiment.toml</code>)</summary>'
            f'<pre>{html.escape(toml)}</pre></details>\n'
            f'<script type="application/toml" id="spacewarp-experiment">\n{raw}</script>')


def _frames_text(trace: Trace, fo: InteractiveOptions, layout: str) -> str:
    if layout == "grid":
        return "All stages side by side; drag a 3-D panel to turn it."
    return (f"Drag the slider through the {len(trace.stages)} stages or press Play; "
            f"{fo.steps} frames between stages; drag the view to turn it, hover a point "
            "to see where it came from.")


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ background: {bg}; color: {fg}; font-family: system-ui, sans-serif; margin: 0 1em; }}
h1 {{ font-size: 1.1em; font-weight: 600; margin: 0.6em 0 0.2em; }}
p.help {{ color: {fg}; opacity: 0.75; font-size: 0.85em; margin: 0 0 0.4em; }}
p.note {{ border-left: 3px solid #e0a030; padding: 0.2em 0.6em; font-size: 0.9em; }}
details {{ margin: 0.8em 0 1.5em; font-size: 0.85em; }}
pre {{ border: 1px solid {muted}; padding: 0.6em; overflow-x: auto; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="help">{frames}</p>
{note}
{plot}
{config}
</body>
</html>
"""
