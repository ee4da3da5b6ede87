"""Reading a user's points from .csv, .npy and .npz files, with clear errors."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path
from typing import IO

import numpy as np

from ..config.numbers import MAX_POINTS, MAX_WIDTH
from ..errors import InputError, LimitError, SpacewarpError

SUFFIXES = (".csv", ".npy", ".npz")
MAX_VALUES = 100_000_000  # 800 MB of float64: a data file's whole table
MAX_CSV_BYTES = 500_000_000  # a CSV this size is ~1e7 rows: numpy files read far faster
FIELD = "input.path"


def read_points_file(path: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(n, d) float64 points and optional (n,) int labels from ``path``."""
    file = _existing(path)
    declared_shape(path)  # sizes and dtypes from the headers, before any data is read
    try:
        x, labels = _READERS[file.suffix.lower()](file)
    except SpacewarpError:
        raise
    except (ValueError, OSError, KeyError, zipfile.BadZipFile, EOFError) as err:
        if "allow_pickle" in str(err):  # numpy's advice to unpickle is wrong for data files
            raise InputError(f"cannot read {path!r}: it holds Python objects, not a "
                             "numeric array; save numbers with numpy.save", field=FIELD) from None
        raise InputError(" ".join(f"cannot read {path!r}: {err}".split())[:300],
                         field=FIELD) from None
    return _checked(x, labels, path)


def _existing(path: str) -> Path:
    if not path:
        raise InputError("input 'file' needs a path: --data FILE.csv|.npy|.npz", field=FIELD)
    file = Path(path)
    if file.suffix.lower() not in SUFFIXES:
        raise InputError(f"cannot read {path!r}: data files must end in {', '.join(SUFFIXES)}",
                         field=FIELD)
    if not file.is_file():
        raise InputError(f"data file {path!r} does not exist", field=FIELD)
    if file.stat().st_size == 0:
        raise InputError(f"data file {path!r} is empty; it must hold an (n, d) table",
                         field=FIELD)
    return file


def declared_shape(path: str) -> tuple[int, int]:
    """(rows, columns) a data file declares, read from its headers only (no data).

    ``.npy``: the array header; ``.npz``: each member's header (every member must be a
    ``.npy``); ``.csv``: its line count and first row. Refuses non-numeric dtypes and
    anything over the caps before a byte of data is read.
    """
    file = _existing(path)
    suffix = file.suffix.lower()
    try:
        if suffix == ".csv":
            return _csv_shape(file)
        if suffix == ".npy":
            with file.open("rb") as f:
                return _npy_shape(f, path)
        return _npz_shape(file, path)
    except SpacewarpError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, SyntaxError) as err:
        raise InputError(" ".join(f"cannot read {path!r}: {err}".split())[:300],
                         field=FIELD) from None


def _npy_shape(f: IO[bytes], name: str) -> tuple[int, int]:
    fmt = np.lib.format
    version = fmt.read_magic(f)
    header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, _fortran, dtype = header(f)
    if dtype.hasobject:  # never unpickled: numpy's allow_pickle advice is wrong for data
        raise InputError(f"cannot read {name!r}: it holds Python objects, not a numeric "
                         "array; save numbers with numpy.save", field=FIELD)
    if dtype.kind not in "iuf":
        raise InputError(f"{name!r} must hold numbers, found dtype {dtype}; save numbers "
                         "with numpy.save", field=FIELD)
    if len(shape) not in (1, 2):
        raise InputError(f"{name!r} must hold an (n, d) table of points, got shape {shape}",
                         field=FIELD)
    rows, dim = shape[0], (shape[1] if len(shape) == 2 else 1)
    _check_declared(rows, dim, name)
    return int(rows), int(dim)


def _npz_shape(file: Path, path: str) -> tuple[int, int]:
    with zipfile.ZipFile(file) as zf:
        members = zf.infolist()
        if not members:
            raise InputError(f"{path!r} holds no arrays; save the points as array 'x'",
                             field=FIELD)
        shapes = {}
        for info in members:
            if not info.filename.endswith(".npy"):
                raise InputError(f"{path!r} holds {info.filename!r}, which is not a .npy "
                                 "array; save the points with numpy.savez", field=FIELD)
            with zf.open(info) as member:
                shapes[info.filename[:-4]] = _npy_shape(member, f"{path}:{info.filename}")
    key = "x" if "x" in shapes else next(iter(shapes))
    return shapes[key]


def _check_declared(rows: int, dim: int, name: str) -> None:
    if rows > MAX_POINTS or dim > MAX_WIDTH or rows * dim > MAX_VALUES:
        raise LimitError(f"{name!r} declares {rows:,} x {dim:,} values; at most "
                         f"{MAX_POINTS:,} rows of at most {MAX_WIDTH} columns, "
                         f"{MAX_VALUES:.0e} values in all", field=FIELD)


def _csv_shape(file: Path) -> tuple[int, int]:
    size = file.stat().st_size
    if size > MAX_CSV_BYTES:
        raise LimitError(f"{str(file)!r} is {size / 1e6:.0f} MB; CSV files are read up to "
                         f"{MAX_CSV_BYTES // 1_000_000} MB: save large sets with numpy.save",
                         field=FIELD)
    rows = 0
    with file.open("rb") as f:
        first = f.readline()
        rows = 1 + sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    cells = [c.decode("utf-8", "replace").strip().lower() for c in first.split(b",")]
    has_header = _is_header(cells)
    rows -= int(has_header)
    dim = len(cells) - int(has_header and "label" in cells)  # the label column is no axis
    _check_declared(rows, dim, str(file))
    return rows, dim


def _read_csv(file: Path) -> tuple[np.ndarray, np.ndarray | None]:
    with file.open() as f:
        first = f.readline()
    header = [c.strip().lower() for c in first.split(",")]
    has_header = _is_header(header)
    with warnings.catch_warnings():  # "input contained no data": said below, in our words
        warnings.simplefilter("ignore", UserWarning)
        table = np.loadtxt(file, delimiter=",", skiprows=int(has_header), ndmin=2,
                           dtype=np.float64)
    if table.size == 0:
        raise InputError(f"{str(file)!r} has a header but no rows of points", field=FIELD)
    if has_header and "label" in header:
        col = header.index("label")
        return np.delete(table, col, axis=1), table[:, col]
    return table, None


def _is_header(cells: list[str]) -> bool:
    """A header names its columns: every cell starts with a letter, ``_`` or a quote.

    ``0x10,2`` is data (a number that does not parse), never a header to drop.
    """
    return all(c[:1].isalpha() or c[:1] in "_\"'" for c in cells if c) and any(cells)


def _read_npy(file: Path) -> tuple[np.ndarray, np.ndarray | None]:
    return np.load(file, allow_pickle=False), None


def _read_npz(file: Path) -> tuple[np.ndarray, np.ndarray | None]:
    with np.load(file, allow_pickle=False) as data:
        if not data.files:
            raise InputError(f"{file} holds no arrays; save the points as array 'x'",
                             field=FIELD)
        key = "x" if "x" in data.files else data.files[0]
        labels = data["labels"] if "labels" in data.files and key != "labels" else None
        return data[key], labels


_READERS = {".csv": _read_csv, ".npy": _read_npy, ".npz": _read_npz}


def _checked(x: np.ndarray, labels: np.ndarray | None, path: str
             ) -> tuple[np.ndarray, np.ndarray | None]:
    if x.dtype.kind not in "iuf":
        raise InputError(f"{path!r} must hold numbers, found dtype {x.dtype}", field=FIELD)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]  # (n,) -> (n, 1)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise InputError(f"{path!r} must hold an (n, d) table of points, got shape {x.shape}",
                         field=FIELD)
    if not np.isfinite(x).all():
        raise InputError(f"{path!r} contains NaN or inf; every coordinate must be finite",
                         field=FIELD)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (len(x),) or not np.isfinite(labels.astype(np.float64)).all():
            raise InputError(f"labels in {path!r} must be one finite number per point",
                             field=FIELD)
        labels = labels.astype(np.int64)
    return x, labels
