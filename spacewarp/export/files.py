"""Atomic output: nothing half-written is ever left where the user looks."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import SpacewarpError


def _writable_parent(path: Path) -> Path:
    parent = path.resolve().parent
    if not parent.is_dir():
        raise SpacewarpError(f"cannot write {str(path)!r}: folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise SpacewarpError(f"cannot write {str(path)!r}: folder {str(parent)!r} is not writable")
    return parent


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix); on success rename it into place.

    On any error the temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    if target.is_dir():
        raise SpacewarpError(f"cannot write {str(target)!r}: it is a folder; give a file name")
    parent = _writable_parent(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give a normal file's mode
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_dir(out: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder; on success move each file in it into ``out``.

    ``out`` is created when missing; files already in it that are not rewritten stay.
    Each file lands by rename, so none is ever half-written; on error nothing lands.
    """
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise SpacewarpError(f"cannot write into {str(target)!r}: it is a file; give a folder")
    parent = _writable_parent(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        yield tmp
        target.mkdir(exist_ok=True)
        for file in sorted(tmp.iterdir()):
            os.replace(file, target / file.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
