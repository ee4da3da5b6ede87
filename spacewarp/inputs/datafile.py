"""Reading a user's points, and their class labels, from .csv, .npy and .npz files.

Labels are found under the names people use (``LABEL_NAMES``: ``label``, ``target``,
``class``, ``y``, ...): a CSV column so named, an ``.npz`` array so named (scikit-learn's
``X=..., y=...`` or ``data``/``target``). A CSV without a header whose last column holds
only a few whole numbers (class labels, as ``numpy.savetxt`` of ``[X, y]`` writes them)
has that column read as labels, and a note (``SpacewarpNote``) says so. A file whose points
cannot be told apart is refused with the arrays it holds and the names that are read.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path
from typing import IO

import numpy as np

from ..config.numbers import MAX_POINTS, MAX_WIDTH
from ..errors import InputError, LimitError, SpacewarpError, SpacewarpNote

SUFFIXES = (".csv", ".npy", ".npz")
MAX_VALUES = 100_000_000  # 800 MB of float64: a data file's whole table
MAX_CSV_BYTES = 500_000_000  # a CSV this size is ~1e7 rows: numpy files read far faster
FIELD = "input.path"
POINT_NAMES = ("x", "X", "data", "points", "inputs", "features")  # .npz arrays of points
LABEL_NAMES = ("label", "labels", "target", "targets", "class", "classes", "y", "Y")
MAX_CLASSES = 100  # a header-less CSV's last column with more values is no label column


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
    return shapes[_npz_keys(list(shapes), path)[0]]


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
    cells = _cells(first.decode("utf-8", "replace"))
    has_header = _is_header(cells)
    rows -= int(has_header)
    labelled = has_header and _label_column(cells, str(file)) is not None
    dim = len(cells) - int(labelled)  # the label column is no axis
    _check_declared(rows, dim, str(file))
    return rows, dim


def _read_csv(file: Path) -> tuple[np.ndarray, np.ndarray | None]:
    with file.open() as f:
        header = _cells(f.readline())
    has_header = _is_header(header)
    with warnings.catch_warnings():  # "input contained no data": said below, in our words
        warnings.simplefilter("ignore", UserWarning)
        table = np.loadtxt(file, delimiter=",", skiprows=int(has_header), ndmin=2,
                           dtype=np.float64)
    if table.size == 0:
        raise InputError(f"{str(file)!r} has a header but no rows of points", field=FIELD)
    col = _label_column(header, str(file)) if has_header else _unnamed_labels(table, file)
    if col is None:
        return table, None
    name = repr(header[col]) if has_header else "the last column"
    return np.delete(table, col, axis=1), _labels(table[:, col], name, str(file))


def _cells(line: str) -> list[str]:
    """A CSV line's cells, trimmed, unquoted and lower-cased (header names)."""
    return [c.strip().strip("\"'").strip().lower() for c in line.split(",")]


def _label_column(header: list[str], path: str) -> int | None:
    """The column of a header named as labels are (``y`` only beside no ``x``: ``x,y`` are
    coordinates); several such columns are refused, naming them."""
    named = [i for i, c in enumerate(header)
             if c in LABEL_NAMES and not (c == "y" and "x" in header)]
    if len(named) > 1:
        raise InputError(f"{path!r} has several label columns "
                         f"({', '.join(repr(header[i]) for i in named)}); keep one (named "
                         "label, target, class or y) and rename or drop the others",
                         field=FIELD)
    return named[0] if named else None


def _unnamed_labels(table: np.ndarray, file: Path) -> int | None:
    """A header-less table's last column when it holds class labels (a few whole numbers
    from 0, each on two points or more) beside finite coordinates that are not all whole:
    its index, said in a note."""
    if table.shape[1] < 2 or not np.isfinite(table).all():
        return None
    last, rest = table[:, -1], table[:, :-1]
    classes, counts = np.unique(last, return_counts=True)
    if not (_whole(last) and classes[0] >= 0 and 2 <= len(classes) <= MAX_CLASSES
            and counts.min() >= 2 and not _whole(rest)):
        return None
    names = ",".join(f"x{j}" for j in range(rest.shape[1]))
    first = "column is" if rest.shape[1] == 1 else f"{rest.shape[1]} columns are"
    warnings.warn(f"{str(file)!r} has no header: its first {first} read "
                  f"as points and its last column as class labels (whole numbers "
                  f"{classes[0]:.0f} to {classes[-1]:.0f}); give it a header to say "
                  f"otherwise ({names},label reads the same; {names},x{rest.shape[1]} reads "
                  "every column as points)", SpacewarpNote, stacklevel=2)
    return table.shape[1] - 1


def _whole(a: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(a)) and np.all(a == np.round(a)))


def _labels(values: np.ndarray, name: str, path: str) -> np.ndarray | None:
    """A column or array named as labels: class labels when whole numbers; fractions are
    regression targets, which a data file does not give (a note says they are not read)."""
    if values.ndim == 1 and _whole(values):
        return values
    if values.ndim == 1:
        warnings.warn(f"{name} in {path!r} holds fractions, so it is read neither as class "
                      "labels (whole numbers) nor as points", SpacewarpNote, stacklevel=3)
        return None
    raise InputError(f"{name} in {path!r} is read as labels (by its name: "
                     f"{', '.join(LABEL_NAMES[:-1])}) but has shape {values.shape}; labels "
                     "are one whole number per point", field=FIELD)


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
        points, labels = _npz_keys(data.files, str(file))
        if labels is None:
            return data[points], None
        return data[points], _labels(data[labels], f"array {labels!r}", str(file))


def _npz_keys(names: list[str], path: str) -> tuple[str, str | None]:
    """(points array, labels array or None) of an .npz by the arrays' names: points under
    ``POINT_NAMES`` (or the one array that is not labels), labels under ``LABEL_NAMES``."""
    labels = next((n for n in LABEL_NAMES if n in names), None)
    points = next((n for n in POINT_NAMES if n in names and n != labels), None)
    rest = [n for n in names if n != labels]
    if points is None and len(rest) == 1:
        points = rest[0]
    if points is None:
        raise InputError(f"{path!r} holds arrays {', '.join(map(repr, names))}: points are "
                         f"read from an array named {' or '.join(POINT_NAMES)}, labels from "
                         f"one named {' or '.join(LABEL_NAMES[:-1])}; save them as "
                         "numpy.savez(path, x=points, y=labels)", field=FIELD)
    return points, labels


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
