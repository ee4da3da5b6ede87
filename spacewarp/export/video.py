"""Films as files: MP4 (H.264 via imageio-ffmpeg) and GIF (one fixed palette).

Frames are streamed to the encoder one at a time, so memory stays flat in the
number of frames; the file is written under a temporary name and renamed into place
(``atomic_file``), so a failed or interrupted render leaves nothing behind.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import GifImagePlugin, Image
from tqdm import tqdm

from ..budget import check_film
from ..errors import OutputError, SpacewarpError
from ..render.animation_options import AnimationOptions
from ..render.frames import FrameRenderer, has_function_view
from ..tracing.trace import Trace
from .files import atomic_file, writable_target
from .stills import collector_paused

FORMATS = (".mp4", ".gif")
GIF_SIZE = (480, 360)  # default GIF frame size: small files, still readable
GIF_FUNCTION_VIEW_SIZE = (640, 320)
# x264's fastest preset: a fifth less encoder CPU than superfast at the same CRF, with
# the same fidelity (PSNR 44.4 dB against 43.7 on the 1e5-point film), for files about
# half as large again (1.0 MB against 0.7 MB for 120 frames of 800 x 600)
PRESET = "ultrafast"
GIF_MAX_FPS = 50  # GIF delays are in 1/100 s and browsers slow down anything under 2/100


def video_format(path: str | Path) -> str:
    """``".mp4"`` or ``".gif"`` from the file name; a SpacewarpError for anything else, or
    when the file cannot be written there."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise OutputError(f"cannot write {str(path)!r}: unknown video type "
                          f"{suffix or '(none)'!r}; use a name ending in .mp4 or .gif",
                          field="output")
    writable_target(path)
    return suffix


def options_for(path: str | Path, options: AnimationOptions | None, trace: Trace
                ) -> AnimationOptions:
    """The options with the frame size settled for this format: even sides for H.264,
    a smaller default for GIF."""
    opts = options or AnimationOptions()
    fmt = video_format(path)
    if fmt == ".gif":
        if opts.fps > GIF_MAX_FPS:
            raise SpacewarpError(f"a GIF cannot play {opts.fps} fps; use --fps {GIF_MAX_FPS} "
                                 "or less, or write an .mp4", field="film.fps")
        side = has_function_view(trace, opts)
        size = opts.size or (GIF_FUNCTION_VIEW_SIZE if side else GIF_SIZE)
    else:
        w, h = opts.frame_size(has_function_view(trace, opts))
        size = (w - w % 2, h - h % 2)  # yuv420p needs even sides
    return _replace(opts, size=size)


def _replace(opts: AnimationOptions, **changes: object) -> AnimationOptions:
    from dataclasses import replace

    return replace(opts, **changes)  # type: ignore[arg-type]


def write_video(trace: Trace, path: str | Path, options: AnimationOptions | None = None, *,
                progress: bool | None = None) -> Path:
    """Write the film of ``trace`` to ``path`` (.mp4 or .gif) and return the path.

    ``progress``: a tqdm bar on stderr; None shows it when stderr is a terminal and the
    render takes over a second.
    """
    opts = options_for(path, options, trace)
    check_film(trace.n, len(trace.stages), film_frames(trace, opts), opts.frame_size(),
               "film.seconds" if opts.seconds is not None else "film.frames_per_stage")
    with collector_paused():  # drawing makes many short-lived objects (see stills)
        renderer = FrameRenderer(trace, opts)
        show = sys.stderr.isatty() if progress is None else progress
        bar = tqdm(total=len(renderer), unit="frame", desc=f"writing {Path(path).name}",
                   file=sys.stderr, disable=not show,
                   delay=1.0 if progress is None else 0.0, leave=False)
        write = _write_gif if Path(path).suffix.lower() == ".gif" else _write_mp4
        try:
            with atomic_file(path) as tmp:
                write(renderer, tmp, bar.update)
        finally:
            bar.close()
    return Path(path)


def film_frames(trace: Trace, opts: AnimationOptions) -> int:
    """How many frames the film will have, from its options alone (before any is made)."""
    if opts.seconds is not None:
        return max(1, round(opts.seconds * opts.fps))
    morphs = (len(trace.stages) - 1) * (2 if opts.split_bias else 1)
    holds = len(trace.stages) * max(1, round(opts.hold * opts.fps))
    return morphs * (opts.frames_per_stage or opts.fps) + holds


def _write_mp4(renderer: FrameRenderer, tmp: Path, tick: Callable[[int], object]) -> None:
    _write_mp4_frames(renderer.render_rgba, len(renderer), (renderer.width, renderer.height),
                      renderer.options.fps, tmp, tick)


def _write_mp4_frames(frame: Callable[[int], np.ndarray], count: int, size: tuple[int, int],
                      fps: int, tmp: Path, tick: Callable[[int], object]) -> None:
    """``frame(0)`` .. ``frame(count - 1)``, each (H, W, 4) uint8 RGBA of ``size`` (W, H),
    into an H.264 MP4: RGBA straight from a canvas (ffmpeg drops the alpha, Python copies
    nothing)."""
    import imageio_ffmpeg

    writer = imageio_ffmpeg.write_frames(
        str(tmp), size, fps=fps, codec="libx264",
        pix_fmt_in="rgba", pix_fmt_out="yuv420p", quality=None, macro_block_size=2,
        ffmpeg_log_level="error",
        output_params=["-preset", PRESET, "-crf", "20", "-movflags", "+faststart",
                       "-g", str(2 * fps)])
    writer.send(None)  # start ffmpeg
    try:
        for i in range(count):
            writer.send(frame(i))  # (H, W, 4) uint8, streamed: nothing kept
            tick(1)
    except OSError as err:  # ffmpeg died: most often the disk is full
        raise _ffmpeg_failed(tmp, err) from None
    finally:
        writer.close()
    if not mp4_complete(tmp):  # ffmpeg's exit status is not reported: check the file
        raise _ffmpeg_failed(tmp, None)


def _ffmpeg_failed(tmp: Path, err: OSError | None) -> OutputError:
    free = shutil.disk_usage(tmp.parent).free
    why = ("the disk is full" if free < 1_000_000 else
           " ".join(str(err or "ffmpeg stopped before the film was complete").split())[:200])
    return OutputError(f"cannot write the film in {str(tmp.parent)!r}: {why}", field="output")


def mp4_complete(path: Path) -> bool:
    """True when ``path``'s top-level MP4 boxes run exactly to its end, with moov and mdat
    (a film cut short by a full disk or a killed ffmpeg fails this)."""
    seen, size, offset = set(), path.stat().st_size, 0
    with open(path, "rb") as f:
        while offset < size:
            f.seek(offset)
            head = f.read(16)
            if len(head) < 8:
                return False
            length, kind = int.from_bytes(head[:4], "big"), head[4:8]
            if length == 1 and len(head) == 16:
                length = int.from_bytes(head[8:16], "big")
            if length < 8:
                return False
            seen.add(kind)
            offset += length
    return offset == size and {b"moov", b"mdat"} <= seen


def gif_delays(frames: int, fps: int) -> list[int]:
    """Per-frame delays in ms (multiples of 10) whose sum is the film's length to 1/100 s."""
    ends = [round(100 * (i + 1) / fps) for i in range(frames)]  # centiseconds
    return [10 * (b - a) for a, b in zip([0] + ends[:-1], ends, strict=True)]


def gif_palette(renderer: FrameRenderer) -> Image.Image:
    """One palette for the whole film, from its first, middle and last frames."""
    n = len(renderer)
    picks = sorted({0, n // 3, (2 * n) // 3, n - 1})
    # drawn last to first: frame 0's axes stay on the canvas for the film's first frame
    drawn = {i: renderer.render(i) for i in reversed(picks)}
    sheet = np.concatenate([drawn[i] for i in picks], axis=0)  # (k*H, W, 3)
    return Image.fromarray(sheet).quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                           dither=Image.Dither.NONE)


def _write_gif(renderer: FrameRenderer, tmp: Path, tick: Callable[[int], object]) -> None:
    palette = gif_palette(renderer)
    delays = gif_delays(len(renderer), renderer.options.fps)
    shown: np.ndarray | None = None  # the canvas array the last frame was quantized from
    frame = palette
    with open(tmp, "wb") as fp:
        for i in range(len(renderer)):
            rgba = renderer.render_rgba(i)  # (H, W, 4): a hold's still frame is the same array
            if rgba is not shown:
                frame, shown = _indexed(rgba, palette), rgba
            if i == 0:
                header, _ = GifImagePlugin.getheader(frame, None, {"loop": 0})
                fp.write(b"".join(header))
            for chunk in GifImagePlugin.getdata(frame, (0, 0), duration=delays[i], disposal=1):
                fp.write(chunk)
            fp.flush()  # the frame is on disk before the next is drawn
            tick(1)
        fp.write(b";")  # GIF trailer


def _indexed(rgba: np.ndarray, palette: Image.Image) -> Image.Image:
    """(H, W, 4) uint8 RGBA -> (H, W) palette indices: read in place by PIL (no RGB copy
    in NumPy), the alpha dropped, no dithering."""
    h, w = rgba.shape[:2]
    image = Image.frombuffer("RGBA", (w, h), np.ascontiguousarray(rgba), "raw", "RGBA", 0, 1)
    return image.convert("RGB").quantize(palette=palette, dither=Image.Dither.NONE)


class _Frames(Protocol):
    """Anything with numbered (H, W, 4) uint8 RGBA frames: ``len`` and ``render_rgba(i)``
    (a view of a canvas is enough: each is sent before the next is asked for)."""

    def __len__(self) -> int: ...

    def render_rgba(self, i: int) -> np.ndarray: ...


def write_frames_mp4(frames: _Frames, path: str | Path, size: tuple[int, int], fps: int,
                     *, progress: bool | None = None) -> Path:
    """An H.264 MP4 of ``frames`` (each (H, W, 4) uint8 RGBA, ``size`` = (W, H), even
    sides), streamed to the encoder as they are (no RGB copy: 4 ms a 1280 x 720 frame)
    and renamed into place (atomic)."""
    if Path(path).suffix.lower() != ".mp4":
        raise SpacewarpError(f"cannot write {str(path)!r}: give a name ending in .mp4",
                             field="output")
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=len(frames), unit="frame", desc=f"writing {Path(path).name}",
               file=sys.stderr, disable=not show, leave=False)
    try:
        with atomic_file(path) as tmp:
            _write_mp4_frames(frames.render_rgba, len(frames), size, fps, tmp, bar.update)
    finally:
        bar.close()
    return Path(path)
