"""``spacewarp animate`` end to end: the film read back; every mistake is one line on
stderr, exit status 2, no traceback and no file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import pytest
from PIL import Image

from spacewarp.cli import main

FAST = ["--points", "120", "--size", "96x72", "--device", "cpu"]


def test_animate_gif_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "line.gif"
    assert main(["animate", "--input", "line", "--out", str(out), "--fps", "10",
                 "--frames-per-stage", "3", "--hold", "0", *FAST]) == 0
    assert "wrote" in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.n_frames == 3 * 3 and im.size == (96, 72)  # 1,2,1: three transitions


def test_animate_mp4_as_a_process(tmp_path: Path) -> None:
    out = tmp_path / "film.mp4"
    done = subprocess.run(
        [sys.executable, "-m", "spacewarp.cli", "animate", "--input", "grid", "--activation",
         "relu", "--bias", "--split-bias", "--limits", "film", "--seconds", "2", "--fps", "12",
         "--hold", "0.1", "--theme", "light", "--out", str(out), *FAST],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    assert imageio_ffmpeg.count_frames_and_secs(str(out)) == (24, 2.0)


@pytest.mark.parametrize("args,said", [
    (["--out", "{d}/film.avi"], "use a name ending in .mp4 or .gif"),
    (["--out", "{d}/film"], "unknown video type"),
    (["--out", "{d}/film.mp4", "--fps", "0"], "--fps: fps must be between 1 and 120"),
    (["--out", "{d}/film.mp4", "--fps", "-3"], "fps must be"),
    (["--out", "{d}/film.mp4", "--fps", "2.5"], "--fps: fps must be a whole number"),
    (["--out", "{d}/film.mp4", "--frames-per-stage", "0"], "frames per stage must be"),
    (["--out", "{d}/film.mp4", "--seconds", "-1"], "--seconds: seconds must be between"),
    (["--out", "{d}/film.mp4", "--size", "0x100"], "--size: each side of the size"),
    (["--out", "{d}/film.mp4", "--size", ""], "--size: size '' is not WIDTHxHEIGHT"),
    (["--out", "", "--points", "5"], "error: --out '' is not a path"),
    (["--out", "{d}/film.mp4", "--frames-per-stage", "1e9"],
     "--frames-per-stage: frames per stage must be between 1 and 10,000"),
    (["--out", "{d}/film.mp4", "--size", "big"], "is not WIDTHxHEIGHT"),
    (["--out", "{d}/film.mp4", "--seconds", "2", "--frames-per-stage", "3"], "not allowed"),
    (["--out", "{d}/no/such/film.mp4"], "does not exist"),
    (["--out", "{d}/film.gif", "--fps", "100"], "GIF cannot play"),
    (["--out", "{d}/film.mp4", "--activation", "nope"], "unknown activation"),
])
def test_bad_input_is_one_line_and_no_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           args: list[str], said: str) -> None:
    argv = ["animate", "--points", "50", *[a.format(d=tmp_path) for a in args]]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("spacewarp: error: ") and said in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
