"""Written films read back: frame counts and durations from the MP4 (ffmpeg) and the GIF
(Pillow), streaming, and no file left behind on any mistake or failure."""

from __future__ import annotations

from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

import spacewarp as sw
from spacewarp.config.experiment import Experiment
from spacewarp.errors import SpacewarpError
from spacewarp.export import video
from spacewarp.export.video import gif_delays, write_video
from spacewarp.render.animation_options import AnimationOptions
from spacewarp.render.frames import FrameRenderer


@pytest.fixture(scope="module")
def trace() -> sw.Trace:
    return sw.run(Experiment.model_validate({"input": {"points": 300}}))


def _probe(path: Path) -> dict:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    reader.close()
    return meta


def test_mp4_frames_and_duration(trace: sw.Trace, tmp_path: Path) -> None:
    out = write_video(trace, tmp_path / "film.mp4",
                      AnimationOptions(fps=12, frames_per_stage=4, hold=0.25, size=(161, 121)))
    frames, secs = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames == 5 * 4 + 6 * 3  # 5 morphs of 4 frames, 6 holds of round(0.25 * 12)
    assert secs == pytest.approx(frames / 12, abs=0.01)
    meta = _probe(out)
    assert meta["size"] == (160, 120)  # even sides for yuv420p
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p")
    assert meta["fps"] == pytest.approx(12)
    assert [p.name for p in tmp_path.iterdir()] == ["film.mp4"]  # no temporary left


def test_mp4_length_in_seconds(trace: sw.Trace, tmp_path: Path) -> None:
    out = write_video(trace, tmp_path / "s.MP4", AnimationOptions(fps=10, seconds=4.0,
                                                                  size=(96, 64)))
    assert imageio_ffmpeg.count_frames_and_secs(str(out)) == (40, 4.0)


def test_gif_frames_and_durations(trace: sw.Trace, tmp_path: Path) -> None:
    opts = AnimationOptions(fps=15, frames_per_stage=3, hold=0.2, size=(120, 90))
    out = write_video(trace, tmp_path / "film.gif", opts)
    n = 5 * 3 + 6 * 3
    with Image.open(out) as im:
        assert im.n_frames == n and im.size == (120, 90)
        delays = []
        for i in range(n):
            im.seek(i)
            delays.append(im.info["duration"])
        assert im.info.get("loop") == 0
        last = np.asarray(im.convert("RGB"))
    assert delays == gif_delays(n, 15)
    assert sum(delays) == round(100 * n / 15) * 10  # the film's length, to 1/100 s
    # the GIF shows the same picture as the renderer (up to the fixed palette)
    frame = FrameRenderer(trace, opts).render(n - 1).astype(int)
    assert np.abs(last.astype(int) - frame).mean() < 6.0


def test_gif_delays_add_up() -> None:
    assert gif_delays(3, 30) == [30, 40, 30]
    assert sum(gif_delays(75, 30)) == 2500
    assert gif_delays(4, 25) == [40] * 4


def test_default_sizes(trace: sw.Trace) -> None:
    assert video.options_for("a.gif", None, trace).size == (480, 360)
    assert video.options_for("a.mp4", None, trace).size == (800, 600)
    line = sw.run(Experiment.model_validate({"input": {"name": "line"}}))
    assert video.options_for("a.gif", None, line).size == (640, 320)


@pytest.mark.parametrize("name,opts,match", [
    ("film.avi", AnimationOptions(), "use a name ending in .mp4 or .gif"),
    ("film", AnimationOptions(), "unknown video type"),
    ("missing/film.mp4", AnimationOptions(), "does not exist"),
    ("film.gif", AnimationOptions(fps=60), "GIF cannot play 60 fps"),
])
def test_bad_paths_leave_nothing(trace: sw.Trace, tmp_path: Path, name: str,
                                 opts: AnimationOptions, match: str) -> None:
    with pytest.raises(SpacewarpError, match=match):
        write_video(trace, tmp_path / name, opts)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_is_not_a_file(trace: sw.Trace, tmp_path: Path) -> None:
    (tmp_path / "x.mp4").mkdir()
    with pytest.raises(SpacewarpError, match="folder"):
        write_video(trace, tmp_path / "x.mp4")


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_failure_midway_leaves_nothing(trace: sw.Trace, tmp_path: Path, suffix: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real = FrameRenderer.render_rgba  # under render: what either encoder asks for

    def failing(self: FrameRenderer, i: int) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] > 6:
            raise RuntimeError("boom")
        return real(self, i)

    monkeypatch.setattr(FrameRenderer, "render_rgba", failing)
    target = tmp_path / f"film{suffix}"
    target.write_bytes(b"old")  # an earlier film stays as it was
    with pytest.raises(RuntimeError, match="boom"):
        write_video(trace, target, AnimationOptions(frames_per_stage=3, size=(64, 48)))
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    assert target.read_bytes() == b"old"


def test_frames_are_streamed_not_kept(trace: sw.Trace, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Each frame is in the (temporary) file before the next one is drawn."""
    sizes: list[int] = []
    real = FrameRenderer.render_rgba  # (render, for the palette's frames, calls it too)

    def noting(self: FrameRenderer, i: int) -> np.ndarray:
        sizes.append(sum(p.stat().st_size for p in tmp_path.glob(".f.gif.*")))
        return real(self, i)

    monkeypatch.setattr(FrameRenderer, "render_rgba", noting)
    write_video(trace, tmp_path / "f.gif", AnimationOptions(frames_per_stage=2, hold=0.0,
                                                           size=(64, 48)),
                progress=True)
    written = sizes[4:]  # after the 4 palette samples, one render per frame
    assert len(written) == 10
    assert all(b > a for a, b in zip(written[1:], written[2:], strict=False))


def test_a_gif_quantizes_a_holds_still_frames_once(trace: sw.Trace, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A still frame of a hold (the same picture as the frame before, by the view step's
    own timeline) is not quantized again, and the GIF shows every frame as the renderer
    draws it, through the one palette."""
    opts = AnimationOptions(fps=10, frames_per_stage=3, hold=0.4, size=(120, 90))
    r = FrameRenderer(trace, video.options_for(tmp_path / "f.gif", opts, trace))
    m = r.motion

    def looks(i: int) -> tuple[object, ...]:  # what frame i shows, title and notes included
        f = m.timeline[i]
        return (f.morph, f.t, m.box(f).tobytes(), m.camera(f), r._title(f))

    still = sum(looks(i) == looks(i - 1) for i in range(1, len(r)))
    assert still
    made = []
    real = video._indexed
    monkeypatch.setattr(video, "_indexed", lambda *a: (made.append(1), real(*a))[1])
    out = write_video(trace, tmp_path / "f.gif", opts)
    assert len(made) == len(r) - still
    palette = video.gif_palette(FrameRenderer(trace, r.options))
    with Image.open(out) as im:
        for i in range(len(r)):
            im.seek(i)
            want = Image.fromarray(r.render(i)).quantize(palette=palette,
                                                         dither=Image.Dither.NONE)
            np.testing.assert_array_equal(np.asarray(im.convert("RGB")),
                                          np.asarray(want.convert("RGB")))


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_films_are_drawn_with_the_collector_paused(trace: sw.Trace, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   suffix: str) -> None:
    """No cyclic collection runs while a film's frames are drawn (a full one walks every
    live object, ~0.1 s: a tenth of a film), and the collector is on again after it."""
    import gc

    collector_on: list[bool] = []
    real = FrameRenderer.render_rgba

    def watched(self: FrameRenderer, i: int) -> np.ndarray:
        collector_on.append(gc.isenabled())
        return real(self, i)

    monkeypatch.setattr(FrameRenderer, "render_rgba", watched)
    gc.enable()
    write_video(trace, tmp_path / f"f{suffix}", AnimationOptions(frames_per_stage=2,
                                                                hold=0.0, size=(64, 48)))
    assert gc.isenabled()
    assert collector_on and not any(collector_on)
