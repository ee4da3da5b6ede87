"""Atomic output: nothing half-written is ever left where the user looks.

Every writer writes to a temporary name in the target folder and renames it into place
once complete, so an existing output survives until its replacement is whole: each file
is flushed to disk (fsync) once before its rename, by ``atomic_dir`` for the files of its
staging folder (an ``atomic_file`` there too), else by ``atomic_file``. Errors of the
operating system become one ``OutputError`` line naming the path and the reason.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import OutputError

FIELD = "output"

# the staging folders of the atomic_dir calls under way (absolute): each syncs its files
_STAGING: set[Path] = set()
_STAGING_LOCK = threading.Lock()

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EFBIG: "the file is larger than this disk allows (the disk or quota is full)",
    errno.EDQUOT: "the disk quota is full",
    errno.EROFS: "the disk is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "it is a symlink loop",
    errno.EISDIR: "it is a folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENOENT: "its folder does not exist",
    errno.EEXIST: "it already exists",
}


def os_error(err: OSError, path: str | Path) -> OutputError:
    """One line for an OS error while writing ``path``."""
    reason = _REASONS.get(err.errno or 0, err.strerror or str(err))
    return OutputError(f"cannot write {_short(path)}: {reason}", field=FIELD)


def _short(path: str | Path) -> str:
    text = str(path)
    return repr(text if len(text) <= 120 else text[:60] + "..." + text[-40:])


def check_out(path: str | Path) -> Path:
    """The output path as given, refused when empty (``--out ''`` is no place to write)."""
    text = str(path)
    if not text.strip() or "\0" in text:
        raise OutputError(f"--out {text!r} is not a path; give a file or folder name",
                          field=FIELD)
    return Path(path)


def writable_target(path: str | Path, *, folder: bool = False) -> Path:
    """The real path to write, with every reason it cannot be written said up front."""
    target = check_out(path)
    try:
        if target.is_symlink():
            if not target.exists():  # also a symlink loop: exists() follows the link
                os.stat(target)  # ELOOP or ENOENT, said below
            target = Path(os.path.realpath(target))
        if not folder and target.is_dir():
            raise OutputError(f"cannot write {_short(path)}: it is a folder; give a file name",
                              field=FIELD)
        if folder and target.exists() and not target.is_dir():
            raise OutputError(f"cannot write into {_short(path)}: it is a file; give a folder",
                              field=FIELD)
        parent = target.absolute().parent
        if not parent.is_dir():
            if parent.exists():
                raise OSError(errno.ENOTDIR, "not a folder")
            os.stat(parent)  # ELOOP, ENOTDIR or ENAMETOOLONG say more than "does not exist"
            raise OutputError(f"cannot write {_short(path)}: folder {_short(parent)} does "
                              "not exist", field=FIELD)
        if len(target.name.encode()) > 255:  # said now, not at the rename after the work
            raise OSError(errno.ENAMETOOLONG, "name too long")
    except OSError as err:
        if err.errno == errno.ENOENT and target.is_symlink():
            raise OutputError(f"cannot write {_short(path)}: it is a dangling symlink",
                              field=FIELD) from None
        raise os_error(err, path) from None
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix); on success rename it into place.

    On any error the temporary file is removed and ``path`` is left as it was; an OS
    error (full disk, read-only, ...) becomes ``OutputError``.
    """
    target = writable_target(path, folder=False)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name[:40]}.", suffix=target.suffix,
                                        dir=target.parent)
    except OSError as err:
        raise os_error(err, path) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if target.absolute().parent not in _staging():  # (atomic_dir syncs it before it lands)
            _sync(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give a normal file's mode
        os.replace(tmp, target)
    except OSError as err:
        raise os_error(err, path) from None
    finally:
        tmp.unlink(missing_ok=True)


def _staging() -> set[Path]:
    with _STAGING_LOCK:
        return set(_STAGING)


def _sync(file: Path) -> None:
    """Flush ``file`` to disk: a full disk shows here, not after the rename."""
    fd = os.open(file, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_dir(out: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder; on success move each file in it into ``out``.

    ``out`` is created when missing; files already in it that are not rewritten stay.
    Each file lands by rename, so none is ever half-written; every destination is
    checked before the first rename, so on error nothing lands.
    """
    target = writable_target(out, folder=True)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name[:40]}.", dir=target.parent))
    except OSError as err:
        raise os_error(err, out) from None
    with _STAGING_LOCK:
        _STAGING.add(tmp.absolute())
    try:
        yield tmp
        files = sorted(tmp.iterdir())
        for file in files:
            _sync(file)
            if (target / file.name).is_dir():
                raise OutputError(f"cannot write {_short(target / file.name)}: it is a "
                                  "folder; move it away or give another --out", field=FIELD)
        target.mkdir(exist_ok=True)
        for file in files:
            os.replace(file, target / file.name)
    except OSError as err:
        raise os_error(err, out) from None
    finally:
        with _STAGING_LOCK:
            _STAGING.discard(tmp.absolute())
        shutil.rmtree(tmp, ignore_errors=True)
