"""Reading the user's ``.npy``/``.npz`` files safely: the header is checked against the file
before any data is read, so a file claiming a huge tensor is refused instead of exhausting
memory, and pickled (object) arrays are refused rather than run (``allow_pickle=False``)."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from intq.cli.file_kind import NPY, NPZ, sniff
from intq.errors import InputError

NUMERIC_KINDS = "biuf"
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}


def read_npy(path: Path, what: str) -> np.ndarray:
    """The array of a ``.npy`` file; ``what`` ("input", "calibration data") names it in
    errors."""
    npy_header(path, what)
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise InputError(f"cannot read {what} '{path}' ({_first_line(exc)}); give a .npy "
                         "array saved with numpy.save") from None


def npy_header(path: Path, what: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of a ``.npy`` file whose header fits its size and holds numbers."""
    _exists(path, what)
    kind = sniff(path)
    if kind is not NPY:
        raise InputError(f"{what} '{path}' is {kind.text}, not a .npy array; save it with "
                         "numpy.save")
    with open(path, "rb") as f:
        try:
            version = np.lib.format.read_magic(f)
            reader = _HEADER_READERS.get(version)
            if reader is None:
                raise ValueError(f"unknown .npy format version {version}")
            shape, _, dtype = reader(f, max_header_size=10_000)
        except (ValueError, OSError, EOFError, SyntaxError) as exc:
            raise InputError(f"{what} '{path}' has a corrupt .npy header "
                             f"({_first_line(exc)})") from None
        offset = f.tell()
    check_numeric(dtype, path, what)
    size = path.stat().st_size - offset
    need = math.prod(shape) * dtype.itemsize
    if need != size:
        raise InputError(f"{what} '{path}' claims shape {tuple(shape)} of {dtype} ({need:,} "
                         f"bytes) but holds {size:,} bytes of data: truncated or corrupt")
    return tuple(shape), dtype


def read_npz(path: Path, what: str) -> dict[str, np.ndarray]:
    """The arrays of a ``.npz`` file by name, each checked like a ``.npy``."""
    _exists(path, what)
    kind = sniff(path)
    if kind is not NPZ:
        raise InputError(f"{what} '{path}' is {kind.text}, not a .npz archive; save it with "
                         "numpy.savez")
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.file_size > 4 * max(path.stat().st_size, 1) + (1 << 30):
                    raise InputError(f"{what} '{path}': member '{info.filename}' claims "
                                     f"{info.file_size:,} bytes; the archive is corrupt")
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise InputError(f"cannot read {what} '{path}' ({_first_line(exc)}); give a .npz "
                         "saved with numpy.savez") from None
    for name, array in arrays.items():
        check_numeric(array.dtype, path, f"{what} '{name}' in")
    return arrays


def check_numeric(dtype: np.dtype, path: Path, what: str) -> None:
    if dtype.hasobject:
        raise InputError(f"{what} '{path}' holds Python objects (a pickled array); intq never "
                         "unpickles: save numbers with numpy.save")
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype:
        raise InputError(f"{what} '{path}' has dtype {dtype}; give numbers (float or integer)")


def first_nonfinite(array: np.ndarray) -> tuple[tuple[int, ...], float] | None:
    """The index and value of the first NaN or infinity of a float array, or None."""
    if array.dtype.kind != "f":
        return None
    bad = ~np.isfinite(array)
    if not bad.any():
        return None
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    return index, float(array[index])


def _exists(path: Path, what: str) -> None:
    if not path.is_file():
        raise InputError(f"{what} file '{path}' does not exist")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
