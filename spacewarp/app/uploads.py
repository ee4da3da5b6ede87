"""Uploaded data files: a session's folder, names checked, sizes read from headers first.

An upload arrives over HTTP (``upload_http``, streamed to disk with a byte cap) or, in a
notebook or test, as bytes (``save_bytes``). Before any data is read, ``check_header``
refuses what would cost too much: a CSV with too many lines, an ``.npy``/``.npz`` whose
header declares too many rows or Python objects, a zip member that unpacks too far.
Messages name the user's file, never the server's path. Every folder made here is
removed when its session closes, and any left at shutdown by ``remove_all``.
"""

from __future__ import annotations

import atexit
import secrets
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..errors import InputError
from ..inputs.datafile import SUFFIXES
from .limits import MAX_POINTS, MAX_UPLOAD_BYTES

FIELD = "input.path"  # the config field an upload sets: its messages go beside the upload
MAX_NAME = 200  # characters in an uploaded file's name
MAX_COLUMNS = 64  # columns of points (plus labels)
MAX_UNPACKED = MAX_POINTS * (MAX_COLUMNS + 1) * 8  # bytes one .npz member may unpack to

_folders: set[Path] = set()
_lock = threading.Lock()


def refused(message: str) -> InputError:
    return InputError(message, field=FIELD)


def new_folder() -> Path:
    """A fresh private folder for one session's uploads (removed by ``remove``)."""
    folder = Path(tempfile.mkdtemp(prefix="spacewarp-upload-"))
    with _lock:
        _folders.add(folder)
    return folder


def remove(folder: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        with _lock:
            _folders.discard(folder)


@atexit.register
def remove_all() -> None:
    """Remove every upload folder still there (the server is shutting down)."""
    with _lock:
        folders = list(_folders)
    for folder in folders:
        remove(folder)


def shown_name(filename: str) -> str:
    """The user's file name as messages show it (no folders, at most 60 characters)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return name if len(name) <= 60 else name[:28] + "..." + name[-28:]


def check_name(filename: str) -> str:
    """The file's suffix (``.csv``), or ``InputError`` for a name the app does not take."""
    if not filename or len(filename) > MAX_NAME or any(c in filename for c in "\x00/\\") \
            or not filename.isprintable():
        raise refused(f"cannot take a file named {shown_name(filename)!r}: use a plain name "
                      f"of at most {MAX_NAME} characters ending in {', '.join(SUFFIXES)}")
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES + CHECKPOINTS:
        raise refused(f"cannot read {shown_name(filename)!r}: upload points "
                      f"({', '.join(SUFFIXES)}) or a checkpoint ({', '.join(CHECKPOINTS)})")
    return suffix


CHECKPOINTS = (".pt", ".pth", ".safetensors")  # state_dicts of the current network
MAX_UNPACKED = 4 * MAX_UPLOAD_BYTES  # what a checkpoint's zip may declare, all members


def check_checkpoint(path: Path, filename: str) -> None:
    """Refuse a checkpoint whose zip declares more than ``MAX_UNPACKED`` bytes (a bomb),
    from its directory alone. Never a Python file: only weights, read weights-only."""
    if path.suffix == ".safetensors" or not zipfile.is_zipfile(path):
        return  # safetensors and legacy files are read as they are: no larger than sent
    with zipfile.ZipFile(path) as z:
        declared = sum(info.file_size for info in z.infolist())
    if declared > MAX_UNPACKED:
        raise refused(f"{shown_name(filename)} unpacks to {declared / 1e6:,.0f} MB; a "
                      f"checkpoint may hold at most {MAX_UNPACKED // 1_000_000} MB")


def check_size(size: int, filename: str) -> None:
    if size > MAX_UPLOAD_BYTES:
        raise refused(f"{shown_name(filename)} is {size / 1e6:.1f} MB; uploads are at most "
                      f"{MAX_UPLOAD_BYTES // 1_000_000} MB")


def target(folder: Path, suffix: str) -> Path:
    """A fresh path in ``folder`` for an upload (never the user's name)."""
    return folder / f"upload-{secrets.token_hex(8)}{suffix}"


def save_bytes(folder: Path, data: bytes, filename: str) -> Path:
    """Bytes of an upload (notebook, tests) written to the session's folder, checked."""
    suffix = check_name(filename)
    check_size(len(data), filename)
    path = target(folder, suffix)
    path.write_bytes(data)
    return path


# --- headers, read before any data -----------------------------------------------------------
def check_header(path: Path, filename: str) -> None:
    """Refuse an upload whose declared size is over the caps, reading only its header."""
    name = shown_name(filename)
    try:
        if path.suffix == ".csv":
            _check_csv(path, name)
        elif path.suffix == ".npy":
            with path.open("rb") as f:
                _check_npy(f, name)
        else:
            _check_npz(path, name)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        if isinstance(err, InputError):
            raise
        raise refused(f"cannot read {name!r}: {type(err).__name__}; save it with numpy.save, "
                      "numpy.savez or as comma-separated numbers") from None


def _check_csv(path: Path, name: str) -> None:
    lines = 0
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            lines += block.count(b"\n")
    if lines > MAX_POINTS + 1:  # one header line allowed
        raise refused(f"{name} has {lines:,} lines; the explorer takes at most "
                      f"{MAX_POINTS:,} points")


def _check_npy(f: IO[bytes], name: str) -> None:
    version = np.lib.format.read_magic(f)
    read: Any = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                 else np.lib.format.read_array_header_2_0)
    shape, _fortran, dtype = read(f)
    if dtype.hasobject:
        raise refused(f"{name} holds Python objects (a pickle), not numbers; save numbers "
                      "with numpy.save")
    rows = shape[0] if shape else 1
    if rows > MAX_POINTS:
        raise refused(f"{name} declares {rows:,} rows; the explorer takes at most "
                      f"{MAX_POINTS:,} points")
    if len(shape) > 2 or (len(shape) == 2 and shape[1] > MAX_COLUMNS):
        raise refused(f"{name} declares an array of shape {tuple(shape)}; the explorer takes "
                      f"(n, d) with d <= {MAX_COLUMNS}")


def _check_npz(path: Path, name: str) -> None:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                raise refused(f"{name} holds {shown_name(info.filename)!r}, which is not an "
                              ".npy array; save the points with numpy.savez")
            if info.file_size > MAX_UNPACKED:
                raise refused(f"{name}: {shown_name(info.filename)} unpacks to "
                              f"{info.file_size / 1e6:,.0f} MB; at most "
                              f"{MAX_UNPACKED / 1e6:,.0f} MB")
            with archive.open(info) as member:
                _check_npy(member, name)
