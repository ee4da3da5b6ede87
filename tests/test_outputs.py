"""Output paths that cannot be written: one OutputError line naming path and reason, exit 2,
nothing left behind, and an existing output intact. A full disk is a small tmpfs mount (the
tests run as root), or a patched write where mounting is not allowed."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from spacewarp.cli import Terminated, main, on_signal
from spacewarp.export import files


def _mount(where: Path, options: str) -> bool:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A 96 kB folder: a real tmpfs when mounting works, else writes that fail ENOSPC."""
    disk = tmp_path / "disk"
    mounted = _mount(disk, "size=96k")
    if not mounted:
        def full(file: Path) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr(files, "_sync", full)
    yield disk
    if mounted:
        subprocess.run(["umount", str(disk)], check=True)


@pytest.fixture
def read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A read-only folder (root ignores chmod, so a read-only mount, else patched mkstemp)."""
    folder = tmp_path / "ro"
    mounted = _mount(folder, "ro,size=64k")
    if not mounted:
        def refuse(*args: object, **kwargs: object) -> object:
            raise OSError(errno.EROFS, "Read-only file system")
        monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
        monkeypatch.setattr(files.tempfile, "mkdtemp", refuse)
    yield folder
    if mounted:
        subprocess.run(["umount", str(folder)], check=True)


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("spacewarp: error: --out: cannot write"), err
    return err[0]


@pytest.mark.parametrize("command,name", [("render", "out"), ("animate", "film.mp4"),
                                          ("animate", "film.gif"), ("html", "page.html")])
def test_full_disk_is_an_error_and_leaves_the_old_output(
        small_disk: Path, command: str, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    target = small_disk / name
    old = target / "stages.png" if command == "render" else target
    old.parent.mkdir(exist_ok=True)
    old.write_bytes(b"old output")
    argv = [command, "--points", "3000", "--out", str(target)]
    if command == "animate":
        argv += ["--seconds", "4", "--size", "320x240"]
    assert main(argv) == 2
    said = _one_error(capsys)
    assert "full" in said
    assert old.read_bytes() == b"old output"
    leftovers = [p for p in small_disk.rglob("*") if p.name.startswith(".")]
    assert leftovers == []


def test_read_only_folder(read_only: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--points", "10", "--out", str(read_only / "out")]) == 2
    assert "read-only" in _one_error(capsys)
    assert main(["animate", "--points", "10", "--out", str(read_only / "f.mp4")]) == 2
    assert "read-only" in _one_error(capsys)


def test_a_file_in_place_of_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "taken").write_text("mine")
    assert main(["render", "--points", "10", "--out", str(tmp_path / "taken")]) == 2
    assert "is a file" in _one_error(capsys)
    assert main(["render", "--points", "10", "--out", str(tmp_path / "taken" / "out")]) == 2
    assert "a part of the path is a file, not a folder" in _one_error(capsys)
    assert (tmp_path / "taken").read_text() == "mine"


def test_a_folder_in_place_of_an_output_file(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    (out / "stages.png").mkdir(parents=True)
    assert main(["render", "--points", "10", "--out", str(out)]) == 2
    assert "it is a folder" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["stages.png"]  # nothing half-landed
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    (tmp_path / "film.mp4").mkdir()
    assert main(["animate", "--points", "10", "--out", str(tmp_path / "film.mp4")]) == 2
    assert "is a folder" in _one_error(capsys)


def test_name_too_long_loop_and_dangling_link(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    long_name = "x" * 300
    assert main(["render", "--points", "10", "--out", str(tmp_path / long_name)]) == 2
    assert "name is too long" in _one_error(capsys)
    assert main(["html", "--points", "10", "--out", str(tmp_path / (long_name + ".html"))]) == 2
    assert "name is too long" in _one_error(capsys)
    os.symlink(tmp_path / "b.mp4", tmp_path / "a.mp4")
    os.symlink(tmp_path / "a.mp4", tmp_path / "b.mp4")
    assert main(["animate", "--points", "10", "--out", str(tmp_path / "a.mp4")]) == 2
    assert "symlink loop" in _one_error(capsys)
    os.symlink(tmp_path / "loopdir", tmp_path / "loopdir")
    assert main(["render", "--points", "10", "--out", str(tmp_path / "loopdir")]) == 2
    assert "symlink loop" in _one_error(capsys)
    os.symlink(tmp_path / "nowhere" / "x.html", tmp_path / "dangling.html")
    assert main(["html", "--points", "10", "--out", str(tmp_path / "dangling.html")]) == 2
    assert "dangling symlink" in _one_error(capsys)


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_kill_leaves_nothing(tmp_path: Path, sig: int, code: int) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "spacewarp.cli", "render", "--points",
                             "300000", "--layers", "2,16,16,16,2", "--out", str(out)],
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while not any(p.name.startswith(".out.") for p in tmp_path.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, "the render never began"
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("code,reason", [
    (errno.ENOSPC, "the disk is full"), (errno.EFBIG, "larger than this disk allows"),
    (errno.EROFS, "read-only"), (errno.EACCES, "permission denied"),
    (errno.ENAMETOOLONG, "too long"), (errno.ELOOP, "symlink loop"),
    (errno.EISDIR, "it is a folder")])
def test_each_os_error_is_one_line_naming_path_and_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        code: int, reason: str) -> None:
    def fail(file: Path) -> None:  # the write fails as the OS would say it
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(files, "_sync", fail)
    target = tmp_path / "page.html"
    assert main(["html", "--points", "10", "--out", str(target)]) == 2
    said = _one_error(capsys)
    assert str(target) in said and reason in said
    assert list(tmp_path.iterdir()) == []


def test_a_cut_short_mp4_is_never_taken_for_a_film(tmp_path: Path) -> None:
    from spacewarp.export.video import mp4_complete

    film = tmp_path / "f.mp4"
    assert main(["animate", "--points", "20", "--frames-per-stage", "2", "--size", "64x48",
                 "--out", str(film)]) == 0
    assert mp4_complete(film)
    whole = film.read_bytes()
    for cut in (len(whole) // 3, len(whole) - 1, 7):
        film.write_bytes(whole[:cut])  # what a full disk or a killed ffmpeg leaves
        assert not mp4_complete(film)


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every file flushed to disk (os.fsync), as the kernel names its fd."""
    names: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        names.append(Path(os.readlink(f"/proc/self/fd/{fd}")).name)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return names


def test_each_file_is_flushed_to_disk_once_before_it_lands(tmp_path: Path,
                                                           synced: list[str]) -> None:
    """``render``'s folder (its trace.npz, experiment.toml, weights.txt are each an
    atomic_file inside the atomic_dir) and an atomic_file alone: one fsync per file."""
    assert main(["render", "--points", "64", "--layers", "2,3,2",
                 "--out", str(tmp_path / "out")]) == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert {"trace.npz", "experiment.toml", "weights.txt", "stages.png"} <= set(written)
    assert sorted(synced) == written
    synced.clear()
    with files.atomic_file(tmp_path / "alone.txt") as tmp:
        tmp.write_text("whole", encoding="utf-8")
    assert len(synced) == 1 and synced[0].endswith(".txt")  # its temporary name, not renamed yet
    assert (tmp_path / "alone.txt").read_text(encoding="utf-8") == "whole"


@pytest.mark.parametrize("sig,raised", [(signal.SIGTERM, Terminated),
                                        (signal.SIGINT, KeyboardInterrupt)])
def test_a_signal_inside_an_import_lands_after_it(tmp_path: Path, sig: int,
                                                  raised: type[BaseException]) -> None:
    # raised inside a native module's initialisation (matplotlib's ft2font) the exception
    # aborted the whole process, leaving a staging folder behind: the module must finish
    (tmp_path / "slow_to_import.py").write_text(
        "import os, time\n"
        f"os.kill(os.getpid(), {int(sig)})\n"
        "time.sleep(0.3)  # the signal is sent again while this module still imports\n"
        "FINISHED = True\n")
    sys.path.insert(0, str(tmp_path))
    previous = signal.signal(sig, on_signal)
    try:
        with pytest.raises(raised):
            import slow_to_import  # noqa: F401
            time.sleep(5)  # the signal, sent again, lands here
        assert sys.modules["slow_to_import"].FINISHED
    finally:
        signal.signal(sig, previous)
        sys.path.remove(str(tmp_path))
        sys.modules.pop("slow_to_import", None)
