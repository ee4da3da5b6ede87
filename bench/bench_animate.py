"""Films: spacewarp's streamed frames against the plain matplotlib way, in one run.

    .venv/bin/python bench/bench_animate.py [--quick]

Prints: 120 frames of 1e5 points through the default network to MP4 (target < 6 s);
120 frames of 1e4 points to GIF (target < 4 s); peak memory for 60 and 240 frames
(must be flat: frames are streamed); and the plain way (FuncAnimation redrawing a scatter
per frame, saved with matplotlib's FFMpegWriter / PillowWriter) for 60 frames of 1e5
points (MP4) and 1e4 points (GIF), with per-frame ratios. ``--quick`` makes the plain
way 15 frames instead of 60 (stated in the output). Then issue 20's figures: each film
made by a whole process (trace and film) less the import floor (the same process stopped
after its imports), both measured here: the MP4 (target <= 2.5 s; 3.9 s quiet when the
issue was filed) and the GIF (target <= 1.5 s; 4.5 s), with peak memory. ``--floor-only``:
only these.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# 5 morphs x 18 frames + 6 holds x 5 frames (0.2 s at 25 fps) = 120 frames
FILM = {"fps": 25, "frames_per_stage": 18, "hold": 0.2}


def _trace(points: int) -> object:
    import spacewarp as sw
    from spacewarp.config.experiment import Experiment

    return sw.run(Experiment.model_validate({"input": {"points": points}, "device": "cpu"}))


def ours(points: int, path: Path, **film: object) -> tuple[float, int]:
    """Seconds to write the film (trace made beforehand), and its frame count."""
    from spacewarp.export.video import write_video
    from spacewarp.render.animation_options import AnimationOptions

    trace = _trace(points)
    opts = AnimationOptions(**{**FILM, **film})  # type: ignore[arg-type]
    start = time.perf_counter()
    write_video(trace, path, opts, progress=False)
    return time.perf_counter() - start, _frames(path)


def _frames(path: Path) -> int:
    if path.suffix == ".gif":
        from PIL import Image

        with Image.open(path) as im:
            return int(im.n_frames)
    import imageio_ffmpeg

    return int(imageio_ffmpeg.count_frames_and_secs(str(path))[0])


def plain(points: int, path: Path, frames: int) -> float:
    """The plain way: FuncAnimation clearing and re-scattering every frame, saved with
    matplotlib's own writers. Seconds for ``frames`` frames of the same morph."""
    import imageio_ffmpeg
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter

    from spacewarp.view import motion

    trace = _trace(points)
    film = motion(trace, **FILM)  # type: ignore[arg-type]
    picks = [round(i * (len(film.timeline) - 1) / max(frames - 1, 1)) for i in range(frames)]
    mpl.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    plt.style.use(["dark_background", "bmh"])
    size = (8, 6) if path.suffix == ".mp4" else (4.8, 3.6)
    fig = plt.figure(figsize=size, dpi=100)
    color = trace.color  # type: ignore[attr-defined]

    def draw(i: int) -> list:
        frame = film.timeline[picks[i]]
        x = film.points(frame)
        box = film.box(frame)
        fig.clf()
        ax = fig.add_subplot(projection="3d")
        ax.scatter(x[:, 0], x[:, 1], x[:, 2] if x.shape[1] > 2 else 0 * x[:, 0], c=color, s=2)
        ax.set_xlim(*box[0]), ax.set_ylim(*box[1]), ax.set_zlim(*box[2])
        ax.set_title(frame.title)
        return []

    anim = FuncAnimation(fig, draw, frames=frames)
    writer = FFMpegWriter(fps=25) if path.suffix == ".mp4" else PillowWriter(fps=25)
    start = time.perf_counter()
    anim.save(str(path), writer=writer)
    seconds = time.perf_counter() - start
    plt.close(fig)
    return seconds


def memory(frames: int, folder: Path) -> dict:
    """Peak memory (MB) of a fresh process writing ``frames`` frames of 1e5 points to MP4."""
    code = (
        "import json, resource, sys; sys.path.insert(0, 'bench');"
        "from pathlib import Path; import bench_animate as b;"
        f"b.ours(100_000, Path({str(folder / f'mem{frames}.mp4')!r}), "
        f"frames_per_stage={frames // 5}, hold=0.0);"
        "print(json.dumps({'self': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,"
        " 'ffmpeg': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


FILM_IMPORTS = """
import tempfile
import spacewarp as sw
from spacewarp.config.experiment import Experiment
from spacewarp.export.video import write_video
from spacewarp.render.animation_options import AnimationOptions
"""


def beyond_import_floor(folder: Path) -> None:
    """Issue 20's film figures: a fresh process per film, less its import floor."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from floor import beyond_floor, report

    for points, suffix, target, before in ((100_000, ".mp4", 2.5, 3.9),
                                           (10_000, ".gif", 1.5, 4.5)):
        work = (f"trace = sw.run(Experiment.model_validate({{'input': {{'points': {points}}},"
                f" 'device': 'cpu'}}))\n"
                f"write_video(trace, tempfile.mkdtemp(dir={str(folder)!r}) + '/f{suffix}', "
                f"AnimationOptions(**{FILM!r}), progress=False)")
        got = beyond_floor(FILM_IMPORTS, work)
        print(report(f"{suffix[1:].upper()}, 120 frames of {points:,} points (trace + film)",
                     got, target, before))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="plain way: 15 frames, not 60")
    parser.add_argument("--floor-only", action="store_true",
                        help="only issue 20's figures beyond the import floor")
    args = parser.parse_args()
    if args.floor_only:
        with tempfile.TemporaryDirectory() as tmp:
            beyond_import_floor(Path(tmp))
        return
    plain_frames = 15 if args.quick else 60
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mp4_s, mp4_n = ours(100_000, folder / "ours.mp4")
        print(f"spacewarp MP4: {mp4_n} frames, 1e5 points: {mp4_s:6.2f} s "
              f"({1000 * mp4_s / mp4_n:5.1f} ms/frame)  target < 6 s: "
              f"{'ok' if mp4_s < 6 else 'MISSED'}")
        gif_s, gif_n = ours(10_000, folder / "ours.gif")
        print(f"spacewarp GIF: {gif_n} frames, 1e4 points: {gif_s:6.2f} s "
              f"({1000 * gif_s / gif_n:5.1f} ms/frame)  target < 4 s: "
              f"{'ok' if gif_s < 4 else 'MISSED'}")
        small, big = memory(60, folder), memory(240, folder)
        print(f"peak memory, 1e5 points to MP4: 60 frames {small['self']:.0f} MB "
              f"(+ffmpeg {small['ffmpeg']:.0f} MB), 240 frames {big['self']:.0f} MB "
              f"(+ffmpeg {big['ffmpeg']:.0f} MB): x{big['self'] / small['self']:.2f}")
        note = " (--quick: 15 frames)" if args.quick else ""
        pm = plain(100_000, folder / "plain.mp4", plain_frames)
        print(f"plain way MP4{note}: {plain_frames} frames, 1e5 points: {pm:6.2f} s "
              f"({1000 * pm / plain_frames:6.1f} ms/frame): spacewarp is "
              f"x{(pm / plain_frames) / (mp4_s / mp4_n):.1f} faster per frame")
        pg = plain(10_000, folder / "plain.gif", plain_frames)
        print(f"plain way GIF{note}: {plain_frames} frames, 1e4 points: {pg:6.2f} s "
              f"({1000 * pg / plain_frames:6.1f} ms/frame): spacewarp is "
              f"x{(pg / plain_frames) / (gif_s / gif_n):.1f} faster per frame")
        beyond_import_floor(folder)


if __name__ == "__main__":
    main()
