"""What a file given to a command is, by its first bytes: so that ``intq run model.onnx``
says "this is an ONNX model; quantize it first" instead of a parse error deep in a loader.

``sniff`` recognizes the files users confuse with a ``.intq`` model: ONNX, safetensors,
NumPy ``.npy``/``.npz``, PyTorch checkpoints, pickles, TOML configs, other text, empty files,
Keras/HDF5 and TFLite. A file framed like safetensors is left to the ``.intq`` loader, whose
errors name the exact damage.
"""

from __future__ import annotations

import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from intq.errors import ModelFormatError

PEEK_BYTES = 1 << 16
"""How much of a file is read to recognize it (an ONNX file is parsed only if this small)."""


@dataclass(frozen=True)
class FileKind:
    """``name`` is a short key (``"onnx"``, ``"npy"``...); ``text`` reads "an ONNX model"."""

    name: str
    text: str


INTQ = FileKind("intq", "an intq model")
ONNX = FileKind("onnx", "an ONNX model")
SAFETENSORS = FileKind("safetensors", "a safetensors file of tensors (weights, not a model)")
NPY = FileKind("npy", "a NumPy .npy array")
NPZ = FileKind("npz", "a NumPy .npz archive of arrays")
TORCH = FileKind("torch", "a PyTorch checkpoint (.pt/.pth)")
PICKLE = FileKind("pickle", "a Python pickle (intq never loads pickles: they can run code)")
ZIP = FileKind("zip", "a zip archive")
TOML = FileKind("toml", "a TOML file (an intq quantize config?)")
TEXT = FileKind("text", "a text file")
EMPTY = FileKind("empty", "empty (0 bytes)")
HDF5 = FileKind("hdf5", "an HDF5 file (a Keras model?)")
TFLITE = FileKind("tflite", "a TensorFlow Lite model")
UNKNOWN = FileKind("unknown", "a file of unknown format")

_MAGIC = ((b"\x93NUMPY", NPY), (b"\x89HDF\r\n\x1a\n", HDF5))


def sniff(path: Path) -> FileKind:
    """The kind of the file at ``path`` (which must exist)."""
    with open(path, "rb") as f:
        head = f.read(PEEK_BYTES)
    size = path.stat().st_size
    if not head:
        return EMPTY
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[4:8] == b"TFL3":
        return TFLITE
    if head.startswith(b"PK"):
        return _zip_kind(path)
    if head[0] == 0x80 and len(head) > 1 and 2 <= head[1] <= 5:
        return PICKLE
    if _safetensors_framed(head, size):
        return INTQ if b"intq" in head[8:200] else SAFETENSORS
    if _is_onnx(path, head, size):
        return ONNX
    return _text_kind(head)


def require(path: Path, accepted: tuple[FileKind, ...], what_to_do: str) -> FileKind:
    """``sniff(path)`` if it is one of ``accepted`` (an unrecognized file counts as a damaged
    ``.intq`` when that is accepted: the loader names the damage); else a one-line error
    saying what the file is and ``what_to_do`` about it."""
    kind = sniff(path)
    if kind in accepted or (INTQ in accepted and kind is UNKNOWN):
        return kind
    raise ModelFormatError(f"'{path}' is {kind.text}, not {_names(accepted)}; "
                           + advice(kind, path, what_to_do))


def advice(kind: FileKind, path: Path, fallback: str) -> str:
    """What to do with a file of ``kind`` given where a ``.intq`` model was expected."""
    if kind is ONNX:
        return f"quantize it first: intq quantize {path} --calib data.npy"
    if kind is TOML:
        return f"run the pipeline it describes: intq quantize {path}"
    if kind in (TORCH, SAFETENSORS):
        return ("load the model in PyTorch, import it with intq.from_torch(module, example) "
                "and quantize it, or export it to ONNX and run intq quantize model.onnx "
                "--calib data.npy")
    if kind in (HDF5, TFLITE):
        return "convert it to ONNX (e.g. with tf2onnx), then intq quantize model.onnx " \
               "--calib data.npy"
    return fallback


def _names(kinds: tuple[FileKind, ...]) -> str:
    return " or ".join(kind.text for kind in kinds)


def _safetensors_framed(head: bytes, size: int) -> bool:
    """An 8-byte little-endian header length that fits the file, then a JSON object."""
    if len(head) < 9:
        return False
    length = int.from_bytes(head[:8], "little")
    return 2 <= length <= size - 8 and head[8:9] == b"{"


def _is_onnx(path: Path, head: bytes, size: int) -> bool:
    """A ModelProto starts with field 1 (ir_version, a varint: byte 0x08) and parses, with a
    graph or an opset; a large file is judged by its suffix and first byte."""
    if head[0] != 0x08:
        return False
    if size > PEEK_BYTES:
        return path.suffix == ".onnx"
    try:
        import onnx
        from google.protobuf.message import DecodeError
    except ImportError:
        return path.suffix == ".onnx"
    model = onnx.ModelProto()
    try:
        model.ParseFromString(head)
    except (DecodeError, ValueError, RuntimeError):
        return False
    return 1 <= model.ir_version <= 64 and (bool(model.opset_import) or model.HasField("graph"))


def _zip_kind(path: Path) -> FileKind:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return ZIP
    if any(name.endswith("data.pkl") for name in names):
        return TORCH
    if names and all(name.endswith(".npy") for name in names):
        return NPZ
    return ZIP


def _text_kind(head: bytes) -> FileKind:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return UNKNOWN
    if "\x00" in text:
        return UNKNOWN
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return TEXT
    return TOML if text.strip() else TEXT
