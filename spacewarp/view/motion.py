"""A film of a trace: morphs, fixed axes limits, a camera schedule and a timeline. Arrays only.

Renderers (matplotlib frames; ``view.film`` for the browser) sample a ``Motion``: for frame i,
``motion.timeline[i]`` says which morph and t; ``motion.points(frame)``,
``motion.box(frame)`` and ``motion.camera(frame)`` give what to draw and how.

- Limits are fixed per transition (the union of both ends and the arrows, as an
  equal-aspect square/cube with a margin) or over the whole film; never while points move.
  In the second half of each hold the limits ease to the next transition's box; the film
  opens on the input alone and closes on the output alone (per-transition limits). Where
  no hold separates two morphs (a view turn beside a narrow stage: ``flows_on``), the
  limits move during the turn, linearly with its points, so none leaves them.
- The camera looks straight down on 2-D states and obliquely at 3-D ones; a morph that
  lifts 2-D into 3-D turns the camera as the points lift, and back when they flatten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import SpacewarpError
from ..inputs.arrays import kept_range
from ..tracing.trace import Trace
from .morph import Morph
from .paths import OWN_AXES, basis_arrows, morphs, plan

TOP_DOWN = (90.0, -90.0)  # (elevation, azimuth) in degrees: looking down on the x-y plane
OBLIQUE = (24.0, -60.0)  # the 3-D view
MARGIN = 0.06  # fraction of the half-width added around the points


def ease(u: float) -> float:
    """Smoothstep: 0 -> 0 and 1 -> 1 exactly, with zero speed at both ends."""
    u = min(max(u, 0.0), 1.0)
    return u * u * (3.0 - 2.0 * u)


# --- limits -----------------------------------------------------------------------------------

def equal_aspect_box(points: list[np.ndarray], dim: int, margin: float) -> np.ndarray:
    """(dim, 2) low/high of an equal-aspect box around every point of ``points`` (m_i, <=dim)."""
    lo = np.zeros(dim)
    hi = np.zeros(dim)
    for i, p in enumerate(points):
        plo = np.zeros(dim)
        phi = np.zeros(dim)
        plo[: p.shape[1]], phi[: p.shape[1]] = kept_range(p)
        lo, hi = (plo, phi) if i == 0 else (np.minimum(lo, plo), np.maximum(hi, phi))
    centre = (lo + hi) / 2.0
    half = float((hi - lo).max()) / 2.0 * (1.0 + margin)
    half = half if half > 1e-12 else 1.0
    return np.stack([centre - half, centre + half], axis=1)


def boxes(path: tuple[Morph, ...], arrows: tuple[Morph | None, ...] = (), *,
          per: Literal["transition", "film"] = "transition", dim: int | None = None,
          margin: float = MARGIN) -> tuple[np.ndarray, ...]:
    """Axes limits per morph, each (dim, 2): an equal-aspect box holding the whole path.

    A morph is a straight line per point, so the box around its two ends holds every
    frame of it. ``per="film"`` gives every morph the same box, around the whole film.
    ``dim`` defaults to the film's display dimension (at least 2).
    """
    dim = dim or film_dim(path)
    parts = [[m.start, m.end] + ([a.start, a.end] if a is not None else [])
             for m, a in zip(path, _arrows_for(path, arrows), strict=True)]
    if per == "film":
        whole = equal_aspect_box([p for part in parts for p in part], dim, margin)
        return tuple(whole for _ in path)
    if per != "transition":
        raise SpacewarpError(f"unknown limits {per!r}; choose 'transition' or 'film'")
    return tuple(equal_aspect_box(part, dim, margin) for part in parts)


def _arrows_for(path: tuple[Morph, ...], arrows: tuple[Morph | None, ...]
                ) -> tuple[Morph | None, ...]:
    return arrows if arrows else tuple(None for _ in path)


def flows_on(path: tuple[Morph, ...], k: int) -> bool:
    """The film goes from morph k straight into morph k + 1, without holding its end: a
    narrow state is never held in a wide projection (``Morph.rests``)."""
    return k + 1 < len(path) and not path[k].rests


def film_dim(path: tuple[Morph, ...]) -> int:
    """The display dimension of a film: 3 if any morph is 3-D, else 2 (1-D drawn on a line)."""
    return max([2] + [m.dim for m in path])


# --- camera -----------------------------------------------------------------------------------

def camera(morph: Morph, t: float) -> tuple[float, float]:
    """(elevation, azimuth) at time t of a morph: top-down for 2-D ends, oblique for 3-D."""
    a, b = (TOP_DOWN if d <= 2 else OBLIQUE for d in morph.dims)
    return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))


# --- timeline ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Frame:
    """One frame of the film: where the points are and how the view is set."""

    morph: int  # the morph whose path the points are on
    t: float  # eased position along it; 0 (first hold) or 1 (later holds) while holding
    hold: bool  # True while a stage is held
    title: str  # the title shown: the morph's, held with the stage it reaches
    box: tuple[int, int, float]  # limits: Motion.stops[a] eased into stops[b] by this fraction
    glide: bool = False  # the box moves linearly with the points (a turn with no hold
    # beside it): a point on its straight path from one box into the other stays inside


@dataclass(frozen=True)
class Timeline:
    """Frame index -> Frame, built once from fps, length and holds."""

    frames: tuple[Frame, ...]
    fps: int
    hold_frames: int  # frames per hold
    morph_frames: tuple[int, ...]  # frames per morph

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, i: int) -> Frame:
        return self.frames[i]

    @property
    def seconds(self) -> float:
        return len(self.frames) / self.fps


def timeline(path: tuple[Morph, ...], *, fps: int = 25, seconds: float | None = None,
             frames_per_stage: int | None = None, hold: float = 0.5,
             smooth: bool = True, first_title: str = "Input") -> Timeline:
    """Hold the input, then for each morph its frames and a hold of the stage it reaches
    (none where the film flows on into the next morph, ``flows_on``: a narrow stage is
    held after the turn to its own axes, titled with that morph's ``rest_title``). With no
    hold between two morphs, the limits ease from one's box to the other's while the view
    turns (``_turn_box``), as a hold's would.

    ``frames_per_stage`` frames per morph (default: ``fps``, one second each), or the
    whole film in ``seconds`` (exactly ``round(seconds * fps)`` frames, the morph frames
    shared out after the holds). Morph frames sample t = (j + 1) / K, eased, so the last
    frame of a morph is exactly the next stage.
    """
    if not path:
        raise SpacewarpError("the trace has a single stage: nothing to animate; add layers")
    holds = round(hold * fps)
    rests = 1 + sum(not flows_on(path, k) for k in range(len(path)))  # held states
    counts = _morph_counts(len(path), fps, seconds, frames_per_stage, holds, rests)
    shape = ease if smooth else (lambda u: min(max(u, 0.0), 1.0))
    # limits stops: 0 the input alone, k + 1 morph k, len(path) + 1 the output alone
    frames = [Frame(0, 0.0, True, first_title, (0, 1, _zoom(j, holds))) for j in range(holds)]
    for k, (m, count) in enumerate(zip(path, counts, strict=True)):
        for j in range(count):
            box = _turn_box(path, k, shape((j + 1) / count))
            frames.append(Frame(k, shape((j + 1) / count), False, m.title, box, box[0] != box[1]))
        if flows_on(path, k):
            continue
        frames += [Frame(k, 1.0, True, m.rest_title or m.title,
                         (k + 1, k + 2, _zoom(j, holds))) for j in range(holds)]
    return Timeline(tuple(frames), fps, holds, counts)


def _turn_box(path: tuple[Morph, ...], k: int, t: float) -> tuple[int, int, float]:
    """Frame.box for morph k at t: its own box (stop k + 1), or between its box and its
    neighbour's where the film does not hold between them: a turn to own axes moves from
    the box of the morph before it, a turn that flows on into a morph to that morph's."""
    if k > 0 and flows_on(path, k - 1) and path[k].kind == OWN_AXES:
        return (k, k + 1, t)
    if flows_on(path, k) and path[k].kind == "projection":
        return (k + 1, k + 2, t)
    return (k + 1, k + 1, 1.0)


def _zoom(j: int, holds: int) -> float:
    """Limits change in the second half of a hold: the stage is first shown still."""
    half = holds / 2.0
    return ease((j + 1 - half) / half) if holds > 1 else 1.0


def _morph_counts(n_morphs: int, fps: int, seconds: float | None,
                  frames_per_stage: int | None, holds: int, rests: int) -> tuple[int, ...]:
    if seconds is None:
        return (frames_per_stage or fps,) * n_morphs
    moving = round(seconds * fps) - rests * holds
    if moving < n_morphs:
        raise SpacewarpError(
            f"{seconds:g} s at {fps} fps is too short for {n_morphs} transitions and "
            f"{rests} holds of {holds} frames; give more seconds or a shorter hold")
    base, extra = divmod(moving, n_morphs)
    return tuple(base + (1 if k < extra else 0) for k in range(n_morphs))


def zoomed_box(a: np.ndarray, b: np.ndarray, s: float) -> np.ndarray:
    """(dim, 2) the box at ``s`` in [0, 1] from box ``a`` to box ``b`` (dim, 2 each): its
    size geometric in s (a zoom reads as steady), its centre moving in step with the size,
    so that the box is ``(1 - w) a + w b`` with w in [0, 1] and holds whatever both hold.
    (A centre linear in s beside a geometric size made boxes smaller than that: points
    held while a large box eased to a small one off its centre fell out of view.)"""
    half_a, half_b = np.ptp(a, axis=1) / 2, np.ptp(b, axis=1) / 2  # (dim,)
    half = half_a ** (1 - s) * half_b ** s
    change = half_b - half_a
    same = np.abs(change) <= 1e-12 * np.maximum(half_a, half_b)  # no zoom: the centre glides
    w = np.where(same, s, (half - half_a) / np.where(same, 1.0, change))  # (dim,)
    return (1 - w)[:, None] * a + w[:, None] * b


# --- the film ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Motion:
    """Everything a renderer needs to draw a film of a trace; computed once."""

    morphs: tuple[Morph, ...]
    arrows: tuple[Morph | None, ...]  # basis arrows per morph (None: not shown)
    stops: tuple[np.ndarray, ...]  # (dim, 2) limits: the input alone, each morph, the output
    timeline: Timeline
    dim: int  # display dimension of the film: 2 or 3
    grid_shape: tuple[int, int] | None  # lattice shape of the input, if any

    @property
    def boxes(self) -> tuple[np.ndarray, ...]:
        """(dim, 2) limits per morph, fixed while it plays."""
        return self.stops[1:-1]

    def points(self, frame: Frame) -> np.ndarray:
        """(n, D) display coordinates at this frame (D: the morph's dimension)."""
        return self.morphs[frame.morph].at(frame.t)

    def arrow_ends(self, frame: Frame) -> np.ndarray | None:
        """(1 + m, D) tail then tips of the basis arrows at this frame, or None."""
        a = self.arrows[frame.morph]
        return None if a is None else a.at(frame.t)

    def box(self, frame: Frame) -> np.ndarray:
        """(dim, 2) limits: fixed during a morph, eased (``zoomed_box``) in a hold,
        moved with the points (linearly) during a turn with no hold beside it."""
        a, b, s = frame.box
        if a == b or s >= 1.0:
            return self.stops[b]
        if s <= 0.0:
            return self.stops[a]
        lo, hi = self.stops[a], self.stops[b]
        if frame.glide:
            return (1 - s) * lo + s * hi
        return zoomed_box(lo, hi, s)

    def camera(self, frame: Frame) -> tuple[float, float]:
        """(elevation, azimuth) in degrees at this frame (for 3-D films)."""
        return camera(self.morphs[frame.morph], frame.t)


def motion(trace: Trace, *, fps: int = 25, seconds: float | None = None,
           frames_per_stage: int | None = None, hold: float = 0.5,
           split_bias: bool | str = False,
           limits: Literal["transition", "film"] = "transition", smooth: bool = True,
           fit_rows: int | None = None) -> Motion:
    """The film of a trace: morphs, arrows, limits per transition (or film), and timeline.

    ``fit_rows``: display projections are fitted on the first rows only (see ``morphs``)."""
    steps = plan(trace, split_bias=split_bias, fit_rows=fit_rows)  # the PCAs, made once
    path = morphs(trace, split_bias=split_bias, steps=steps)
    arrows = basis_arrows(trace, split_bias=split_bias, steps=steps)
    dim = film_dim(path)
    tl = timeline(path, fps=fps, seconds=seconds, frames_per_stage=frames_per_stage,
                  hold=hold, smooth=smooth, first_title=trace.stages[0].title)
    per_morph = boxes(path, arrows, per=limits, dim=dim)
    first, last = per_morph[0], per_morph[-1]
    if limits != "film":  # the input and the output alone: the film opens and closes on them
        first = equal_aspect_box([path[0].start] + _given(_start(arrows[0])), dim, MARGIN)
        last = equal_aspect_box([path[-1].end] + _given(_end(arrows[-1])), dim, MARGIN)
    return Motion(path, arrows, (first, *per_morph, last), tl, dim, trace.grid_shape)


def _given(a: np.ndarray | None) -> list[np.ndarray]:
    return [] if a is None else [a]


def _start(m: Morph | None) -> np.ndarray | None:
    return None if m is None else m.start


def _end(m: Morph | None) -> np.ndarray | None:
    return None if m is None else m.end
