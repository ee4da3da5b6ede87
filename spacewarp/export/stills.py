"""``spacewarp render``'s files: pictures of every stage, the trace's numbers, the config.

``write_render(trace, out)`` writes, all or nothing (``atomic_dir``):

- ``stage-00-input.png``, ``stage-01-linear.png``, ..., each stage alone, all one size, and
  ``stages.png``: those pictures side by side in rows, over the shared colour key;
- ``trace.npz``: ``stage_00`` ... ``stage_K`` float64 (n, d_k), ``stage_names``,
  ``color``, ``labels`` and ``grid_shape`` when the input has them, and every parameter
  under its ``state_dict`` name (``0.weight``); byte-identical for the same trace;
- ``experiment.toml``: the resolved experiment that makes the same trace again;
- ``weights.txt``: each linear layer's matrix and its singular values.

One function per file kind, so other exporters can reuse them.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..config.experiment import to_toml
from ..errors import SpacewarpError
from ..inputs.slice import SliceFrame
from ..measure import singular_values
from ..tracing.trace import Trace
from ..view.weight_text import file_matrix
from .files import atomic_dir, atomic_file
from .npz import write_npz
from .png import Deflated, deflated_rows, png_of_bands, write_png

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..render.static import Palette

KEY_MARGIN = 15  # pixels of background above the colour key, under the stage pictures
WORKERS = 3  # write_render's threads


def write_render(trace: Trace, out: str | Path, theme: str | None = None,
                 extra: dict[str, np.ndarray] | None = None) -> list[Path]:
    """Write every file of a render into folder ``out``; return their final paths.

    ``theme``: ``dark`` or ``light`` (default: the experiment's). ``extra``: more arrays
    for trace.npz (the measures). On any error nothing is written and ``out`` is left as
    it was.
    """
    target = Path(out)
    # matplotlib imported before the staging folder exists: a SIGTERM raised inside a
    # native module's import (its ft2font) aborts the process, leaving the folder behind
    with collector_paused():  # (the import starts full collections)
        from ..render import static  # noqa: F401
    # Three threads (NumPy, I/O and zlib let go of the GIL): one writes trace.npz from the
    # start, two make the raster images and then encode the PNGs, while the main thread
    # draws the figures. Queued behind the rasters instead, trace.npz was the last thing
    # to finish, after the drawing (0.03-0.06 s later: medians of interleaved runs).
    with atomic_dir(target) as tmp, ThreadPoolExecutor(max_workers=WORKERS) as pool, \
            collector_paused():
        npz = pool.submit(write_trace_npz, trace, tmp / "trace.npz", extra)
        names = stage_pictures(trace, theme, pool).write(tmp)
        # The figures, drawn and dropped, are reference cycles made while the collector
        # was off: all young. Collected here (the young generations: 6-8 ms), they are
        # freed now, where the first automatic collection would have moved them to the
        # old generation, kept until a full one (at exit: 0.04-0.08 s more than without).
        gc.collect(1)
        npz.result()
        names.append("trace.npz")
        if trace.experiment is not None:
            write_experiment_toml(trace, tmp / "experiment.toml")
            names.append("experiment.toml")
        write_weights_txt(trace, tmp / "weights.txt")
        names.append("weights.txt")
    return [target / name for name in names]


def write_pictures(trace: Trace, folder: Path, theme: str | None = None,
                   pool: Executor | None = None) -> list[str]:
    """``stages.png`` and one ``stage-KK-kind.png`` per stage into ``folder``; their names.

    Each figure is drawn once, here, for its own file and as a tile of ``stages.png``;
    with a ``pool``, its raster images are made and the PNGs encoded there.
    """
    return stage_pictures(trace, theme, pool).write(folder)


def stage_pictures(trace: Trace, theme: str | None = None, pool: Executor | None = None
                   ) -> StagePictures:
    """Every stage's figure made, their raster images started on ``pool``; all one size
    (the tiles of ``stages.png``)."""
    with collector_paused():  # matplotlib's import, too: it starts full collections
        from ..render.static import palette, stage_figure

        pal = palette(trace, pool=pool)  # one colour norm and one splat per stage
        count = len(trace.stages)
        figures = [stage_figure(trace, k, theme, pal=pal, room_for=range(count))
                   for k in range(count)]
    return StagePictures(trace, theme, pool, pal, figures)


@dataclass(frozen=True)
class StagePictures:
    """A trace's stage figures, made (``stage_pictures``), to draw and write."""

    trace: Trace
    theme: str | None
    pool: Executor | None
    pal: Palette
    figures: list[Figure]

    def write(self, folder: Path) -> list[str]:
        """Each figure drawn as its images arrive, its PNG encoded by the pool, and the
        sheet of them all (``render.sheet``) encoded by rows as they are drawn, in
        strips side by side, then the key under them: ``stages.png``. Returns the
        names."""
        from ..render.raster import started
        from ..render.sheet import below_blank, strips
        from ..render.static import grid_columns, key_figure, note_pixels

        count = len(self.figures)
        names = [f"{self.trace.file_stem(k)}.png" for k in range(count)]
        cols = grid_columns(count)
        files, bands, row = [], [], []
        with collector_paused():
            width = cols * float(self.figures[0].get_size_inches()[0])  # all one size
            key = key_figure(self.trace, width, self.theme, pal=self.pal)
            fill = background(key)
            key_rgba = below_blank(drawn_rgba(key), fill, KEY_MARGIN)
            for k, (fig, name) in enumerate(zip(self.figures, names, strict=True)):
                self.pal.rasters.finish(fig)
                rgba = drawn_rgba(fig)
                files.append(started(self.pool, write_png, rgba, folder / name))
                row.append(without(rgba, note_pixels(fig), fill))  # the key says it
                if len(row) == cols or k == count - 1:  # a row of the sheet, encoded there
                    height = max(tile.shape[0] for tile in row)  # in strips, side by side
                    bands += [started(self.pool, sheet_band, row, cols, fill[:3], part)
                              for part in strips(height, WORKERS)]
                    row = []
        bands.append(started(self.pool, sheet_band, [key_rgba], 1, fill[:3], None, True))
        (folder / "stages.png").write_bytes(png_of_bands([band.result() for band in bands]))
        for job in files:
            job.result()
        return ["stages.png", *names]


def sheet_band(tiles: list[np.ndarray], cols: int, fill: np.ndarray,
               rows: slice | None = None, last: bool = False) -> Deflated:
    """A row of ``stages.png``, or ``rows`` of it (``render.sheet.sheet_row``), made and
    deflated."""
    from ..render.sheet import sheet_row

    return deflated_rows(sheet_row(tiles, cols, fill, rows), last)


def background(fig: Figure) -> np.ndarray:
    """(4,) uint8: the figure's background colour, as Agg draws it."""
    return np.round(np.asarray(fig.get_facecolor()) * 255).astype(np.uint8)


def without(rgba: np.ndarray, box: tuple[slice, slice] | None, fill: np.ndarray) -> np.ndarray:
    """``rgba`` with ``box`` (rows, columns) painted ``fill``: a copy; itself when no box."""
    if box is None:
        return rgba
    out = rgba.copy()
    out[box] = fill
    return out


# Pauses may overlap (the explorer's exports run in threads): the first one in turns the
# collector off, the last one out restores what the first one found.
PAUSE_LOCK = threading.Lock()
pause_state = {"depth": 0, "was_on": True}


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off inside the block, as it was after it.

    Drawing makes many short-lived matplotlib objects, which start full collections; each
    walks every live object (torch's and matplotlib's: ~250,000, ~0.1 s of CPU at 1e6
    points) and finds little to free until the figures are done. They are freed later.
    """
    with PAUSE_LOCK:
        if pause_state["depth"] == 0:
            pause_state["was_on"] = gc.isenabled()
            gc.disable()
        pause_state["depth"] += 1
    try:
        yield
    finally:
        with PAUSE_LOCK:
            pause_state["depth"] -= 1
            if pause_state["depth"] == 0 and pause_state["was_on"]:
                gc.enable()


def drawn_rgba(fig: Figure) -> np.ndarray:
    """(H, W, 4) uint8: the figure drawn by Agg, exactly what ``savefig`` would encode.

    A view of the buffer of the figure's new canvas, which it keeps alive; nothing draws
    there again (a copy was 5 MB of fresh memory a figure)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())


def trace_arrays(trace: Trace) -> dict[str, np.ndarray]:
    """Everything ``trace.npz`` holds, by name, in a fixed order."""
    arrays: dict[str, np.ndarray] = {
        f"stage_{k:02d}": np.asarray(s.points, dtype=np.float64)
        for k, s in enumerate(trace.stages)
    }
    arrays["stage_names"] = np.array([s.title for s in trace.stages], dtype=np.str_)
    arrays["stage_kinds"] = np.array([s.kind for s in trace.stages], dtype=np.str_)
    width = max([1] + [len(s.inputs) for s in trace.stages])
    arrays["stage_inputs"] = np.array(  # (K + 1, m): the stages feeding each, -1 padded
        [list(s.inputs) + [-1] * (width - len(s.inputs)) for s in trace.stages], dtype=np.int64)
    arrays["capture"] = np.array(trace.capture, dtype=np.str_)  # "graph" or "hooks"
    arrays["capture_note"] = np.array(trace.note, dtype=np.str_)  # "" when nothing to say
    arrays["color"] = np.asarray(trace.color, dtype=np.float64)
    if trace.labels is not None:
        arrays["labels"] = np.asarray(trace.labels, dtype=np.int64)
    if trace.grid_shape is not None:
        arrays["grid_shape"] = np.array(trace.grid_shape, dtype=np.int64)
    for name, value in trace.params.items():
        arrays[name] = np.asarray(value, dtype=np.float64)
    return arrays | slice_arrays(trace)


def slice_arrays(trace: Trace) -> dict[str, np.ndarray]:
    """A slice's record: ``slice_origin`` (D,), ``slice_axes`` (k, D), ``slice_box``
    (2k,), ``slice_rows`` (m,) where anchors were given, and ``anchor_stage_KK`` (m, d_k),
    the anchors' images in every stage; with --show-data ``data_distance`` (N,), each data
    row's distance from the slice, and ``data_stage_KK`` (N, d_k), the rows' projections
    onto the slice (stage 0) and their images ({} for points that are no slice)."""
    frame = trace.frame
    if frame is None:
        return {}
    arrays = frame_arrays(frame)
    if frame.rows:
        arrays |= {f"anchor_stage_{k:02d}": np.asarray(a, dtype=np.float64)
                   for k, a in enumerate(trace.anchors)}
    if frame.data is not None and trace.data:  # --show-data: the rows' distances and images
        arrays["data_distance"] = frame.distance(frame.data)
        arrays |= {f"data_stage_{k:02d}": np.asarray(a, dtype=np.float64)
                   for k, a in enumerate(trace.data)}
    return arrays


def frame_arrays(frame: SliceFrame) -> dict[str, np.ndarray]:
    """Where a slice lies: ``slice_origin`` (D,), ``slice_axes`` (k, D), ``slice_box``
    (2k,) and ``slice_rows`` (m,) where anchors were given (trace.npz, training.npz)."""
    arrays = {"slice_origin": np.asarray(frame.origin, dtype=np.float64),
              "slice_axes": np.asarray(frame.axes, dtype=np.float64),
              "slice_box": np.array(frame.box, dtype=np.float64)}
    if frame.rows:
        arrays["slice_rows"] = np.array(frame.rows, dtype=np.int64)
    return arrays


def write_trace_npz(trace: Trace, path: str | Path,
                    extra: dict[str, np.ndarray] | None = None) -> Path:
    """``trace.npz`` at ``path`` (atomic), loadable with ``numpy.load(allow_pickle=False)``.

    Written like ``numpy.savez`` (``write_npz``), so the same trace always gives the
    same bytes.
    """
    arrays = trace_arrays(trace) | (extra or {})
    return write_npz(path, arrays.items())


def write_experiment_toml(trace: Trace, path: str | Path) -> Path:
    """``experiment.toml``: the resolved config of the trace (atomic)."""
    if trace.experiment is None:
        raise SpacewarpError("this trace has no experiment to write; make it with "
                             "spacewarp.run(experiment) or pass experiment= to trace()",
                             field="config")
    with atomic_file(path) as tmp:
        tmp.write_text(to_toml(trace.experiment), encoding="utf-8")
    return Path(path)


def weights_report(trace: Trace) -> str:
    """Each linear layer's matrix W (d_out x d_in), its bias and its singular values."""
    lines = ["# spacewarp weights: every linear layer y = W x (+ b)",
             "# singular values: how much W stretches space along its principal directions",
             ""]
    for k, stage in enumerate(trace.stages):
        if stage.weight is None:
            continue
        own = trace.params.get(f"{stage.module}.weight")  # a slice's first layer: its own
        w = own if own is not None and own.shape != stage.weight.shape else stage.weight
        bias = trace.params.get(f"{stage.module}.bias") if w is own else stage.bias
        sv = singular_values(w)
        lines += [f"[{stage.module}.weight] stage {k}: {stage.title}",
                  "W = " + file_matrix(w, "W = ")]
        if bias is not None:  # (its wrapped lines not indented, as weights.txt has been)
            lines.append("b = " + file_matrix(bias, suppress_small=False))
        lines += ["singular values: " + " ".join(f"{v:.6g}" for v in sv), ""]
    if len(lines) == 3:
        lines.append("(no linear layers)")
    return "\n".join(lines).rstrip("\n") + "\n"


def write_weights_txt(trace: Trace, path: str | Path) -> Path:
    """``weights.txt``: ``weights_report(trace)`` (atomic)."""
    with atomic_file(path) as tmp:
        tmp.write_text(weights_report(trace), encoding="utf-8")
    return Path(path)
