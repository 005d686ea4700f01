"""Calibration data: every supported source, normalised into batches of arrays, one per input.

Observers keep statistics of the multiset of values seen, so how the data is cut into batches
does not change the result: batching only bounds memory. Sources are therefore read lazily:
a ``.npy`` file is memory-mapped and sliced, a folder is read one file at a time, a generator
is consumed as it goes, and a ``shard`` skips other ranks' batches without loading them.

Supported sources (``names`` are the model's input names, in order):

- an array (single-input model) or a tuple of arrays (one per input) or a dict of arrays by
  input name, batched on axis 0: cut into batches of ``batch_size`` (default 32) samples;
  a list of arrays, one per input, is the same for a multi-input model;
- a ``.npy`` file (single-input model; memory-mapped) or a ``.npz`` file (arrays by input
  name, ``arr_0, arr_1, ...`` in input order, or one array for a single-input model): the same;
- a folder of ``.npy``/``.npz`` files: each file is one batch, in sorted file-name order
  (other files are ignored);
- any other iterable (list, generator, DataLoader, ``shard``): each item is one batch, an array
  (single-input model), a tuple or list of arrays, or a dict by input name. Torch CPU tensors
  and other array-likes work wherever an array does.

Every batch is checked: input count and names, a batch axis, the same number of samples in
every input (except an input given exactly its fixed declared shape, such as an LSTM state,
which is fed whole to every batch), real-number dtypes, no NaN or Inf. Errors are one-line ``CalibrationError`` s
naming the batch (its index, counting from 0 over the whole source, and its file) and input.
"""

from __future__ import annotations

import numbers
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from intq.calibration.errors import CalibrationError
from intq.runtime.batching import Shape, fed_whole

DEFAULT_BATCH_SIZE = 32

Batch = tuple[np.ndarray, ...]

_FILE_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error)


@dataclass(frozen=True)
class Shard:
    """Batches ``rank, rank + world_size, rank + 2 * world_size, ...`` of ``source``."""

    source: Any
    rank: int
    world_size: int


class LabelledBatch(NamedTuple):
    """A checked batch and the words that name it in error messages
    (``"calibration batch 3 (file 'calib/b3.npy')"``)."""

    label: str
    arrays: Batch


class _Inputs(NamedTuple):
    """The model's input names and declared shapes (``None`` each when not given)."""

    names: tuple[str, ...]
    shapes: tuple[Shape, ...]


def _shapes(shapes: Sequence[Shape] | None, names: tuple[str, ...]) -> tuple[Shape, ...]:
    return (None,) * len(names) if shapes is None else tuple(shapes)


class _Unit(NamedTuple):
    """One batch before it is read: sharding skips units without paying for ``load``."""

    index: int
    file: str
    load: Callable[[], Any]


def shard(source: Any, rank: int, world_size: int) -> Shard:
    """Every ``world_size``-th batch of ``source``, starting at batch ``rank``, for
    distributed calibration: the shards of all ranks together are exactly the source's
    batches (a rank may get none). ``batch_size`` given to ``iter_batches`` cuts the source
    before it is sharded."""
    for what, number in (("rank", rank), ("world_size", world_size)):
        if isinstance(number, bool) or not isinstance(number, numbers.Integral):
            raise CalibrationError(f"shard {what} must be an integer, got {number!r}")
    if not 0 <= rank < world_size:
        raise CalibrationError(f"shard rank {rank} must be in 0..{world_size - 1} "
                               f"(world_size {world_size})")
    return Shard(source, int(rank), int(world_size))


def iter_batches(source: Any, input_names: Sequence[str], *, batch_size: int | None = None,
                 shapes: Sequence[Shape] | None = None) -> Iterator[Batch]:
    """Batches of ``source`` as tuples of arrays in ``input_names`` order (see the module
    docstring for the sources); ``batch_size`` cuts array and single-file sources (default
    32), batches of iterables and folders are used as given. Batches with no samples are
    skipped. ``shapes``: the model's declared input shapes; an input given exactly its fully
    fixed shape (an LSTM state) is fed whole to every batch, never cut or counted
    (``runtime.batching.fed_whole``). Raises ``CalibrationError`` for an empty source (a
    ``shard`` may be empty), unreadable files and malformed batches."""
    for batch in iter_labelled_batches(source, input_names, batch_size=batch_size,
                                       shapes=shapes):
        yield batch.arrays


def iter_labelled_batches(source: Any, input_names: Sequence[str], *,
                          batch_size: int | None = None, shapes: Sequence[Shape] | None = None
                          ) -> Iterator[LabelledBatch]:
    """``iter_batches`` with each batch's label, for callers that report errors about it."""
    names = tuple(input_names)
    inputs = _Inputs(names, _shapes(shapes, names))
    empty = True
    for unit in _units(source, inputs, _batch_size(batch_size)):
        label = f"calibration batch {unit.index}" + (f" (file '{unit.file}')" if unit.file else "")
        arrays = _check_batch(_by_input(unit.load(), names, label), inputs, label)
        if _batch_samples(arrays, inputs) == 0:
            continue
        empty = False
        yield LabelledBatch(label, arrays)
    if empty and not isinstance(source, Shard):
        raise CalibrationError("the calibration set is empty: give at least one sample")


def count_samples(source: Any, input_names: Sequence[str], *, batch_size: int | None = None,
                  shapes: Sequence[Shape] | None = None) -> int | None:
    """Number of samples ``iter_batches`` will yield, when known without reading the data
    (arrays, lists of batches, file headers); ``None`` for generators and other iterables."""
    names = tuple(input_names)
    sizes = _batch_sizes(source, _Inputs(names, _shapes(shapes, names)), _batch_size(batch_size))
    return None if sizes is None else sum(sizes)


def _batch_size(batch_size: int | None) -> int:
    if batch_size is None:
        return DEFAULT_BATCH_SIZE
    if (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
            or batch_size < 1):
        raise CalibrationError(f"calibration batch_size must be a positive integer, got "
                               f"{batch_size!r}")
    return int(batch_size)


# ---- sources --------------------------------------------------------------------------------
def _units(source: Any, inputs: _Inputs, batch_size: int) -> Iterator[_Unit]:
    if isinstance(source, Shard):
        for i, unit in enumerate(_units(source.source, inputs, batch_size)):
            if i % source.world_size == source.rank:
                yield unit
    elif isinstance(source, (str, os.PathLike)):
        yield from _path_units(Path(source), inputs, batch_size)
    elif _is_input_set(source, inputs.names):
        yield from _split(source, inputs, batch_size, "")
    elif isinstance(source, (bytes, bytearray)) or not _iterable(source):
        raise CalibrationError(f"calibration data of type {type(source).__name__} is not "
                               "supported: give arrays, a .npy/.npz file or folder, or an "
                               "iterable of batches")
    else:
        for index, item in enumerate(source):
            yield _Unit(index, "", lambda item=item: item)


def _path_units(path: Path, inputs: _Inputs, batch_size: int) -> Iterator[_Unit]:
    if path.is_dir():
        for index, file in enumerate(_folder_files(path)):
            yield _Unit(index, str(file), lambda file=file: _load_file(file, mmap=False))
    elif path.is_file():
        yield from _split(_load_file(path, mmap=True), inputs, batch_size, str(path))
    else:
        raise CalibrationError(f"calibration data '{path}' does not exist: give a .npy/.npz "
                               "file or a folder of them")


def _folder_files(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.suffix in (".npy", ".npz") and p.is_file())


def _split(data: Any, inputs: _Inputs, batch_size: int, file: str) -> Iterator[_Unit]:
    """Cut one set of whole-dataset arrays into batches along axis 0 (inputs fed whole are
    given whole to every batch)."""
    where = f"calibration file '{file}'" if file else "calibration data"
    arrays = _check_batch(_by_input(data, inputs.names, where), inputs, where, finite=False)
    cut = [not fed_whole(shape, a) for shape, a in zip(inputs.shapes, arrays)]
    for index, start in enumerate(range(0, _batch_samples(arrays, inputs), batch_size)):
        yield _Unit(index, file, lambda start=start: tuple(
            a[start:start + batch_size] if c else a for a, c in zip(arrays, cut)))


def _load_file(path: Path, mmap: bool) -> Any:
    """The array of a ``.npy`` file or the arrays of a ``.npz`` file, never unpickling.

    ``.npz`` members are read eagerly so that a bad member is reported here, with the file."""
    try:
        loaded = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return loaded
        with loaded:
            members = {key: loaded[key] for key in loaded.files}
    except _FILE_ERRORS as exc:
        raise CalibrationError(f"calibration file '{path}' {_file_problem(exc)}; write "
                               "calibration data with numpy.save or numpy.savez") from None
    bad = [key for key, value in members.items() if not isinstance(value, np.ndarray)]
    if bad:
        raise CalibrationError(f"calibration file '{path}' member '{bad[0]}' is not a .npy "
                               "array; write calibration data with numpy.savez")
    return members


def _file_problem(exc: Exception) -> str:
    text = str(exc)
    if "pickled" in text:
        return "is not a NumPy .npy/.npz file (pickled or other data)"
    if "object" in text.lower():
        return "holds an object array (pickled Python objects), which intq never loads"
    first = (text.splitlines() or [type(exc).__name__])[0]
    return f"is truncated or corrupt ({first})"


# ---- batches --------------------------------------------------------------------------------
def _by_input(item: Any, names: tuple[str, ...], where: str) -> list[Any]:
    """The array-likes of one batch or input set, in input order."""
    if isinstance(item, Mapping):
        return _by_name(item, names, where)
    if isinstance(item, (tuple, list)):
        if len(item) != len(names):
            raise CalibrationError(f"{where} has {len(item)} arrays, the model takes "
                                   f"{len(names)} input(s) {list(names)}")
        return list(item)
    if _is_array(item):
        if len(names) != 1:
            raise CalibrationError(f"{where} is a single array, the model takes {len(names)} "
                                   f"inputs {list(names)}: give a tuple or a dict by input name")
        return [item]
    raise CalibrationError(f"{where} is a {type(item).__name__}: give an array, a tuple of "
                           "arrays or a dict of arrays by input name")


def _by_name(item: Mapping, names: tuple[str, ...], where: str) -> list[Any]:
    keys = list(item)
    if set(keys) == set(names):
        return [item[n] for n in names]
    positional = [f"arr_{i}" for i in range(len(names))]
    if sorted(keys) == sorted(positional):
        return [item[k] for k in positional]
    if len(keys) == 1 and len(names) == 1:
        return [item[keys[0]]]
    missing = [n for n in names if n not in item]
    unknown = [k for k in keys if k not in names]
    raise CalibrationError(f"{where} has arrays {keys}, the model's inputs are {list(names)} "
                           f"(missing {missing}, unknown {unknown})")


def _check_batch(items: list[Any], inputs: _Inputs, where: str, finite: bool = True
                 ) -> Batch:
    arrays = []
    for name, item in zip(inputs.names, items):
        try:
            array = np.asarray(item)
        except (TypeError, ValueError, RuntimeError) as exc:
            first = (str(exc).splitlines() or [""])[0]
            raise CalibrationError(f"{where}: input '{name}' is not an array ({first})") from None
        if array.dtype.kind not in "biuf":
            raise CalibrationError(f"{where}: input '{name}' has dtype {array.dtype}; "
                                   "calibration needs real numbers")
        if array.ndim == 0:
            raise CalibrationError(f"{where}: input '{name}' is a scalar; batch the samples "
                                   "on axis 0")
        if finite and array.dtype.kind == "f" and not np.isfinite(array).all():
            raise CalibrationError(f"{where}: input '{name}' contains NaN or Inf; clean the "
                                   "calibration data")
        arrays.append(array)
    batched = [(n, a) for n, shape, a in zip(inputs.names, inputs.shapes, arrays)
               if not fed_whole(shape, a)]
    if len({len(a) for _, a in batched}) > 1:
        detail = ", ".join(f"'{n}' {len(a)}" for n, a in batched)
        raise CalibrationError(f"{where}: inputs have different batch sizes ({detail}); every "
                               "input needs the same number of samples on axis 0, except "
                               "inputs given exactly their fixed declared shape (states)")
    return tuple(arrays)


def _batch_samples(arrays: Batch, inputs: _Inputs) -> int:
    """Samples of a checked batch: axis 0 of its first batched input (1 if all are whole)."""
    for shape, array in zip(inputs.shapes, arrays):
        if not fed_whole(shape, array):
            return len(array)
    return 1


def _is_input_set(source: Any, names: tuple[str, ...]) -> bool:
    """Whether ``source`` is one set of arrays (to cut into batches), not a batch iterable."""
    if _is_array(source) or isinstance(source, Mapping):
        return True
    if isinstance(source, tuple):
        return len(source) > 0 and all(_is_array(a) for a in source)
    if isinstance(source, list):
        return len(names) > 1 and len(source) == len(names) and all(_is_array(a) for a in source)
    return False


def _is_array(item: Any) -> bool:
    return isinstance(item, np.ndarray) or hasattr(item, "__array__")


def _iterable(item: Any) -> bool:
    try:
        iter(item)
    except TypeError:
        return False
    return True


# ---- counting -------------------------------------------------------------------------------
def _batch_sizes(source: Any, inputs: _Inputs, batch_size: int) -> list[int] | None:
    """Samples per batch, as ``_units`` will cut ``source``; ``None`` when unknowable cheaply."""
    if isinstance(source, Shard):
        sizes = _batch_sizes(source.source, inputs, batch_size)
        return None if sizes is None else sizes[source.rank::source.world_size]
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            sizes = [_file_samples(f) for f in _folder_files(path)]
            return None if None in sizes else sizes
        samples = _file_samples(path)
        return None if samples is None else _cut(samples, batch_size)
    if _is_input_set(source, inputs.names):
        return _cut(_samples(source, inputs), batch_size)
    if isinstance(source, (list, tuple)):
        sizes = [_samples(item, inputs) for item in source]
        return None if None in sizes else sizes
    return None


def _samples(item: Any, inputs: _Inputs) -> int | None:
    """Samples in one batch or input set (axis 0 of the first array not fed whole)."""
    if isinstance(item, Mapping):
        names = inputs.names
        item = [item[n] for n in names] if set(item) == set(names) else list(item.values())
    elif not isinstance(item, (tuple, list)):
        item = [item]
    for declared, array in zip(inputs.shapes, item):
        shape = getattr(array, "shape", None)
        if not shape:
            return None
        if not fed_whole(declared, array):
            return int(shape[0])
    return 1 if item else None


def _cut(samples: int | None, batch_size: int) -> list[int] | None:
    if samples is None:
        return None
    return [min(batch_size, samples - start) for start in range(0, samples, batch_size)]


def _file_samples(path: Path) -> int | None:
    """Samples in a ``.npy``/``.npz`` file, from array headers only; ``None`` if unreadable
    (reading the data will then report the problem)."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                member = next((n for n in archive.namelist() if n.endswith(".npy")), None)
                if member is None:
                    return None
                with archive.open(member) as stream:
                    return _header_samples(stream)
        with open(path, "rb") as stream:
            return _header_samples(stream)
    except _FILE_ERRORS:
        return None


def _header_samples(stream: Any) -> int | None:
    version = np.lib.format.read_magic(stream)
    read_header = _HEADER_READERS.get(version)
    if read_header is None:
        return None
    shape, _, _ = read_header(stream)
    return int(shape[0]) if shape else None


_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}
