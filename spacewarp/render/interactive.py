"""Interactive plotly figures of a trace: a morph view with a stage slider, and a stage grid.

The morph view is one scene for the whole film. When any stage is 3-D (or wider,
shown through PCA) the scene is 3-D and the 2-D stages lie in the plane z = 0, so
a plane visibly lifts into 3-D and flattens back; otherwise it is a 2-D WebGL scatter
with 1-D stages on the x-axis. Frames are precomputed from ``view.morphs`` (the
stages themselves plus ``steps`` points along each path between them) and play in the
browser without a server. Axis ranges and the camera follow the view step: ranges fixed
per transition (or for the whole film), eased between transitions while a stage is held,
never following the points; the camera looks straight down on 2-D stages and turns
oblique as points lift into 3-D. Nothing here runs the model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import plotly.graph_objects as go

from ..trace import Trace
from ..view import Morph, boxes, camera, display_coords, ease, film_dim, morphs, pad
from . import plotly_parts as pp
from .grid_figure import stages_grid_figure
from .notebook import NotebookFigure

__all__ = ["InteractiveOptions", "interactive_figure", "stages_grid_figure"]

InteractiveOptions = pp.InteractiveOptions
AXES = ("x", "y", "z")
EASE_FRAMES = 3  # frames that move the axis box between a stage's and a transition's


@dataclass(frozen=True)
class FilmFrame:
    """One frame of the film: ``morphs[morph].at(t)`` inside the axis box ``box``.

    ``stage`` is set on the frames that show a stage (the slider's steps). Easing frames
    (``has_data`` False) only move the axis box from one transition's to the next.
    """

    name: str
    morph: int
    t: float
    stage: int | None
    box: np.ndarray  # (dim, 2) low/high axis ranges
    has_data: bool = True


@dataclass(frozen=True)
class Film:
    """Everything the morph view draws, computed once from the trace."""

    trace: Trace
    morphs: tuple[Morph, ...]  # restricted to the drawn points
    lattice: tuple[Morph, ...]  # restricted to the lattice nodes drawn as lines
    line_index: np.ndarray | None  # positions into the lattice morphs, -1 between lines
    frames: tuple[FilmFrame, ...]
    dim: int  # 2 or 3: the scene's dimension
    rows: np.ndarray | None  # drawn subset of the points; None: all


def interactive_figure(trace: Trace, options: pp.InteractiveOptions | None = None) -> go.Figure:
    """A single view with a stage slider and a play button that morphs through the network."""
    o = pp.checked(options)
    film = make_film(trace, o)
    theme = pp.theme_of(trace, o)
    fig = NotebookFigure(data=_frame_traces(film, film.frames[0], o, initial=True),
                         frames=[_frame(film, f, o) for f in film.frames])
    fig.update_layout(pp.themed_layout(theme, o.height))
    fig.update_layout(_scene_layout(film, theme), coloraxis=pp.color_axis(trace, o),
                      margin={"t": _top_margin(trace), "l": 10, "r": 10, "b": 90},
                      title={"x": 0.01, "xanchor": "left", "y": 0.985, "yanchor": "top",
                             "yref": "container", "font": {"size": 15}},
                      sliders=[_slider(film)], updatemenus=[_buttons(film, o)],
                      uirevision="spacewarp", showlegend=False)
    fig.update_layout(_frame_layout(film, film.frames[0], o))
    if film.rows is not None:
        fig.add_annotation(_note(pp.sample_note(trace.n, len(film.rows), o.sample_seed)))
    return fig


def make_film(trace: Trace, o: pp.InteractiveOptions) -> Film:
    """The morphs (on the drawn subset), the frames and the axis ranges of the morph view."""
    full = morphs(trace) or (_still(trace),)
    dim = film_dim(full)
    bx = boxes(full, per=o.limits, dim=dim)
    rows = pp.sample_index(trace.n, pp.point_limit(dim, o), o.sample_seed)
    lattice: tuple[Morph, ...] = ()
    line_index = None
    if trace.grid_shape is not None:
        index = pp.lattice_index(trace.grid_shape, o.lattice_lines)
        nodes = np.unique(index[index >= 0])
        line_index = np.where(index < 0, -1, np.searchsorted(nodes, index))
        lattice = tuple(pp.restrict(m, nodes) for m in full)
    return Film(trace, tuple(pp.restrict(m, rows) for m in full), lattice, line_index,
                _frames(len(trace.stages), bx, _stage_boxes(full, dim, o.limits), o.steps),
                dim, rows)


def _still(trace: Trace) -> Morph:
    """A trace with no modules: one still stage."""
    shown = display_coords(trace.stages[0].points)
    return Morph(shown, shown, 0, 0, trace.stages[0].title)


def _stage_boxes(full: tuple[Morph, ...], dim: int, per: str) -> tuple[np.ndarray, ...]:
    """One box per stage around that stage alone (the view step's equal-aspect cube)."""
    stills = [replace(m, end=m.start) for m in full] + [replace(full[-1], start=full[-1].end)]
    return boxes(tuple(stills), per=per, dim=dim)  # type: ignore[arg-type]


def _frames(n_stages: int, bx: tuple[np.ndarray, ...], sb: tuple[np.ndarray, ...],
            steps: int) -> tuple[FilmFrame, ...]:
    """stage-0, then per transition k: the box eases from stage k's to the transition's,
    ``steps`` frames of the path in that fixed box (the last at t = 1), the box eases to
    stage k+1's own, stage-k+1.

    Each stage frame (a slider step) frames its stage legibly; while points move, the
    axes stand still, so a squash by tanh looks like a squash.
    """
    out = [FilmFrame("stage-0", 0, 0.0, 0, sb[0])]
    for k in range(n_stages - 1):
        out += _eases(f"leave-{k}", k, 0.0, sb[k], bx[k])
        out += [FilmFrame(f"morph-{k}-{j}", k, j / steps, None, bx[k])
                for j in range(1, steps + 1)]
        out += _eases(f"arrive-{k + 1}", k, 1.0, bx[k], sb[k + 1])
        out.append(FilmFrame(f"stage-{k + 1}", k, 1.0, k + 1, sb[k + 1]))
    return tuple(out)


def _eases(name: str, morph: int, t: float, a: np.ndarray, b: np.ndarray) -> list[FilmFrame]:
    """Layout-only frames moving the axis box from ``a`` to ``b`` (none when equal)."""
    if np.array_equal(a, b):
        return []
    return [FilmFrame(f"{name}-{i}", morph, t, None, a + ease(i / (EASE_FRAMES + 1)) * (b - a),
                      False) for i in range(1, EASE_FRAMES + 1)]


def frame_points(film: Film, f: FilmFrame) -> np.ndarray:
    """(n_shown, dim) float32 coordinates of the drawn points in frame ``f``."""
    return pp.f32(pad(film.morphs[f.morph].at(f.t), film.dim))


def _frame_traces(film: Film, f: FilmFrame, o: pp.InteractiveOptions,
                  initial: bool = False) -> list[Any]:
    """The lattice lines (when the input is a lattice) and the points, at frame ``f``."""
    out: list[Any] = []
    if film.line_index is not None:
        lines = pp.f32(pp.take_lines(pad(film.lattice[f.morph].at(f.t), film.dim),
                                     film.line_index))
        out.append(_trace(film.dim, lines, name="lattice", mode="lines",
                          **(_line_style(film, o) if initial else {})))
    hover = _hover(film, f)
    style = _point_style(film, o) if initial else {}
    out.append(_trace(film.dim, frame_points(film, f), name="points", mode="markers",
                      hovertemplate=hover, **style))
    return out


def _trace(dim: int, xyz: np.ndarray, **kw: Any) -> Any:
    coords = {a: xyz[:, i] for i, a in enumerate(AXES[:dim])}
    return go.Scatter3d(**coords, **kw) if dim == 3 else go.Scattergl(**coords, **kw)


def _point_style(film: Film, o: pp.InteractiveOptions) -> dict[str, Any]:
    t = film.trace
    color = t.color if film.rows is None else t.color[film.rows]
    n_shown = t.n if film.rows is None else len(film.rows)
    marker = {"color": pp.f32(color), "coloraxis": "coloraxis",
              "size": pp.point_size(n_shown, o, film.dim == 3)}
    if film.dim == 3:
        marker["line"] = {"width": 0}
    return {"marker": marker, "customdata": pp.input_coords(t, film.rows)}


def _line_style(film: Film, o: pp.InteractiveOptions) -> dict[str, Any]:
    theme = pp.theme_of(film.trace, o)
    return {"line": pp.lattice_line(theme), "hoverinfo": "skip", "connectgaps": False}


def _hover(film: Film, f: FilmFrame) -> str:
    d_in = min(film.trace.stages[0].dim, 6)
    if f.stage is not None:
        stage = film.trace.stages[f.stage]
        return pp.hover_template(stage, d_in, max(1, min(stage.dim, 3)))
    m = film.morphs[f.morph]
    return pp.morph_hover(m.title, f.t, d_in, film.dim)


def _frame(film: Film, f: FilmFrame, o: pp.InteractiveOptions) -> go.Frame:
    if not f.has_data:
        return go.Frame(name=f.name, layout=_frame_layout(film, f, o))
    data = _frame_traces(film, f, o)
    return go.Frame(name=f.name, data=data, traces=list(range(len(data))),
                    layout=_frame_layout(film, f, o))


def _frame_layout(film: Film, f: FilmFrame, o: pp.InteractiveOptions) -> dict[str, Any]:
    """Title (stage, module, weights) and the fixed axis ranges of this frame's transition."""
    t = film.trace
    if f.stage is not None:
        title = pp.stage_title(t, f.stage)
    else:
        to = film.morphs[f.morph].to_stage
        title = pp.stage_title(t, to, note=f"morphing from stage {to - 1}, t = {f.t:.2f}")
    lo, hi = f.box[:, 0], f.box[:, 1]
    ranges = {f"{a}axis": {"range": [float(lo[i]), float(hi[i])]}
              for i, a in enumerate(AXES[:film.dim])}
    if film.dim == 3:
        span = hi - lo
        ratio = {a: float(span[i] / span.max()) for i, a in enumerate(AXES)}
        return {"title": {"text": title},
                "scene": {**ranges, "aspectratio": ratio, "camera": scene_camera(film, f)}}
    return {"title": {"text": title}, **ranges}


def scene_camera(film: Film, f: FilmFrame) -> dict[str, Any]:
    """The view step's camera as a plotly camera: straight down on 2-D states, oblique on 3-D.

    (elevation, azimuth) in degrees -> an eye on a sphere around the scene's centre, with
    ``up`` kept in the vertical plane (so looking straight down stays well defined).
    """
    elev, azim = np.radians(camera(film.morphs[f.morph], f.t))
    r = 1.0 + 0.4 * (1.0 - elev / (np.pi / 2))  # orthographic: the distance sets the zoom
    direction = np.array([np.cos(elev) * np.cos(azim), np.cos(elev) * np.sin(azim),
                          np.sin(elev)])
    up = np.array([-np.sin(elev) * np.cos(azim), -np.sin(elev) * np.sin(azim), np.cos(elev)])
    return {"eye": dict(zip(AXES, (r * direction).tolist(), strict=True)),
            "projection": {"type": "orthographic"},
            "up": dict(zip(AXES, up.tolist(), strict=True)),
            "center": {"x": 0, "y": 0, "z": 0}}


def _scene_layout(film: Film, theme: Any) -> dict[str, Any]:
    """Axes styling: equal aspect, fixed ranges, the theme's colours."""
    axis = {**pp.axis_style(theme), "autorange": False}
    if film.dim == 3:
        scene_axis = {**axis, "backgroundcolor": theme.background, "showbackground": True,
                      "nticks": 5}  # 3-D tick labels are drawn as vector text: keep few
        return {"scene": {"xaxis": {**scene_axis, "title": {"text": "x"}},
                          "yaxis": {**scene_axis, "title": {"text": "y"}},
                          "zaxis": {**scene_axis, "title": {"text": "z"}},
                          "aspectmode": "manual", "bgcolor": theme.background,
                          "camera": {"projection": {"type": "orthographic"}},
                          "uirevision": "spacewarp"}}
    one_d = all(s.dim == 1 for s in film.trace.stages)
    return {"xaxis": {**axis, "title": {"text": "x"}, "constrain": "domain"},
            "yaxis": {**axis, "title": {"text": "" if one_d else "y"}, "scaleanchor": "x",
                      "scaleratio": 1, "constrain": "domain", "showticklabels": not one_d}}


def _top_margin(trace: Trace) -> int:
    """Room for the longest title: a heading line and the weight rows."""
    rows = max(len(pp.weights_text(s).split("<br>")) if s.weight is not None else 0
               for s in trace.stages)
    return 48 + 15 * rows


def _slider(film: Film) -> dict[str, Any]:
    steps = [{"label": f"{f.stage} {film.trace.stages[f.stage].title}", "method": "animate",
              "args": [[f.name], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                  "transition": {"duration": 0}}]}
             for f in film.frames if f.stage is not None]
    return {"active": 0, "steps": steps, "x": 0.16, "len": 0.84, "y": 0.0, "yanchor": "top",
            "pad": {"t": 30, "b": 0}, "currentvalue": {"prefix": "stage ", "visible": True},
            "font": {"size": 11}}


def _buttons(film: Film, o: pp.InteractiveOptions) -> dict[str, Any]:
    """Play runs every frame from the start, holding each stage; Pause stops."""
    names = [f.name for f in film.frames]
    frame_opts = [{"duration": _duration(f, o), "redraw": True} for f in film.frames]
    play = {"label": "▶ Play", "method": "animate",
            "args": [names, {"mode": "immediate", "frame": frame_opts,
                             "transition": {"duration": 0}, "fromcurrent": False}]}
    pause = {"label": "❚❚ Pause", "method": "animate",
             "args": [[None], {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                               "transition": {"duration": 0}}]}
    return {"type": "buttons", "buttons": [play, pause], "direction": "left",
            "x": 0.0, "xanchor": "left", "y": 0.0, "yanchor": "top", "pad": {"t": 42, "r": 8},
            "showactive": False}


def _duration(f: FilmFrame, o: pp.InteractiveOptions) -> int:
    """Each stage is held; the end of a path pauses briefly before the axes ease."""
    if f.stage is not None:
        return o.hold_ms
    return 3 * o.frame_ms if f.t >= 1.0 and f.has_data else o.frame_ms


def _note(text: str) -> dict[str, Any]:
    return {"text": text, "xref": "paper", "yref": "paper", "x": 1.0, "y": 1.0,
            "xanchor": "right", "yanchor": "bottom", "showarrow": False,
            "font": {"size": 11}}
