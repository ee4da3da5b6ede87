"""Reading a user's points from .csv, .npy and .npz files, with clear errors."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import numpy as np

from .errors import SpacewarpError

SUFFIXES = (".csv", ".npy", ".npz")


def read_points_file(path: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(n, d) float64 points and optional (n,) int labels from ``path``."""
    if not path:
        raise SpacewarpError("input 'file' needs a path: --data FILE.csv|.npy|.npz")
    file = Path(path)
    if file.suffix.lower() not in SUFFIXES:
        raise SpacewarpError(f"cannot read {path!r}: data files must end in {', '.join(SUFFIXES)}")
    if not file.is_file():
        raise SpacewarpError(f"data file {path!r} does not exist")
    if file.stat().st_size == 0:
        raise SpacewarpError(f"data file {path!r} is empty; it must hold an (n, d) table")
    try:
        x, labels = _READERS[file.suffix.lower()](file)
    except SpacewarpError:
        raise
    except (ValueError, OSError, KeyError, zipfile.BadZipFile, EOFError) as err:
        if "allow_pickle" in str(err):  # numpy's advice to unpickle is wrong for data files
            raise SpacewarpError(f"cannot read {path!r}: it holds Python objects, not a "
                                 "numeric array; save numbers with numpy.save") from None
        raise SpacewarpError(f"cannot read {path!r}: {err}".splitlines()[0]) from None
    return _checked(x, labels, path)


def _read_csv(file: Path) -> tuple[np.ndarray, np.ndarray | None]:
    with file.open() as f:
        first = f.readline()
    header = [c.strip().lower() for c in first.split(",")]
    has_header = not _is_numeric_row(header)
    with warnings.catch_warnings():  # "input contained no data": said below, in our words
        warnings.simplefilter("ignore", UserWarning)
        table = np.loadtxt(file, delimiter=",", skiprows=int(has_header), ndmin=2,
                           dtype=np.float64)
    if table.size == 0:
        raise SpacewarpError(f"{str(file)!r} has a header but no rows of points")
    if has_header and "label" in header:
        col = header.index("label")
        return np.delete(table, col, axis=1), table[:, col]
    return table, None


def _is_numeric_row(cells: list[str]) -> bool:
    try:
        [float(c) for c in cells]
    except ValueError:
        return False
    return True


def _read_npy(file: Path) -> tuple[np.ndarray, np.ndarray | None]:
    return np.load(file, allow_pickle=False), None


def _read_npz(file: Path) -> tuple[np.ndarray, np.ndarray | None]:
    with np.load(file, allow_pickle=False) as data:
        if not data.files:
            raise SpacewarpError(f"{file} holds no arrays; save the points as array 'x'")
        key = "x" if "x" in data.files else data.files[0]
        labels = data["labels"] if "labels" in data.files and key != "labels" else None
        return data[key], labels


_READERS = {".csv": _read_csv, ".npy": _read_npy, ".npz": _read_npz}


def _checked(x: np.ndarray, labels: np.ndarray | None, path: str
             ) -> tuple[np.ndarray, np.ndarray | None]:
    if x.dtype.kind not in "iuf":
        raise SpacewarpError(f"{path!r} must hold numbers, found dtype {x.dtype}")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]  # (n,) -> (n, 1)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise SpacewarpError(f"{path!r} must hold an (n, d) table of points, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise SpacewarpError(f"{path!r} contains NaN or inf; every coordinate must be finite")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (len(x),) or not np.isfinite(labels.astype(np.float64)).all():
            raise SpacewarpError(f"labels in {path!r} must be one finite number per point")
        labels = labels.astype(np.int64)
    return x, labels
