"""Safe on-disk form of a graph: one safetensors file whose header metadata holds the JSON graph.

Nothing in the file can execute code (no pickle). Loading validates the JSON structure, the
dtypes and shapes of every constant, and the topological order before returning a graph.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from intq.errors import GraphError, ModelFormatError
from intq.ir.graph import DTYPES, Graph, Node, QuantInfo, Value

FORMAT = "intq-graph"
VERSION = 1
_META_KEY = "intq_graph"


def graph_to_json(graph: Graph) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": graph.name,
        "inputs": list(graph.inputs),
        "outputs": list(graph.outputs),
        "values": [_value_to_json(v) for v in graph.values.values()],
        "constants": sorted(graph.constants),
        "nodes": [{"op": n.op, "name": n.name, "inputs": n.inputs, "outputs": n.outputs,
                   "attrs": n.attrs} for n in graph.nodes],
        "meta": graph.meta,
    }


def _value_to_json(v: Value) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": v.name, "dtype": v.dtype,
                           "shape": None if v.shape is None else list(v.shape)}
    if v.quant is not None:
        doc["quant"] = dataclasses.asdict(v.quant)
    return doc


def _quant_from_json(doc: Any, name: str) -> QuantInfo | None:
    if doc is None:
        return None
    _expect(isinstance(doc, dict) and set(doc) <= {f.name for f in dataclasses.fields(QuantInfo)},
            f"value '{name}' has a malformed quant entry")
    bits, signed = doc.get("bits"), doc.get("signed", True)
    _expect(isinstance(bits, int) and not isinstance(bits, bool) and 1 <= bits <= 64
            and isinstance(signed, bool), f"value '{name}' has invalid bits/signed")
    scale, axis, bound = doc.get("scale"), doc.get("axis"), doc.get("bound")
    scales = scale if isinstance(scale, list) else [scale] if scale is not None else []
    _expect(all(isinstance(s, (int, float)) and not isinstance(s, bool) and s > 0
                and s < float("inf") for s in scales), f"value '{name}' has an invalid scale")
    _expect(axis is None or (isinstance(axis, int) and not isinstance(axis, bool)),
            f"value '{name}' has an invalid quant axis")
    _expect(bound is None or (isinstance(bound, int) and not isinstance(bound, bool)
                              and 0 <= bound <= (2**(bits - 1) if signed else 2**bits - 1)),
            f"value '{name}' declares bound {bound!r} outside its {bits}-bit precision")
    if isinstance(scale, int):
        scale = float(scale)
    elif isinstance(scale, list):
        scale = [float(s) for s in scale]
    return QuantInfo(bits, signed, scale, axis, bound)


def save_graph(graph: Graph, path: str | os.PathLike, extra_meta: dict[str, str] | None = None
               ) -> None:
    """Write ``graph`` atomically: a crash never leaves a half-written file at ``path``."""
    from safetensors.numpy import save

    header = json.dumps(graph_to_json(graph), separators=(",", ":"))
    metadata = {_META_KEY: header, **(extra_meta or {})}
    tensors = {name: np.ascontiguousarray(a).reshape(a.shape)  # 0-d arrays stay 0-d
               for name, a in graph.constants.items()}
    blob = save(tensors, metadata=metadata)
    write_atomic(Path(path), blob)


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_graph(path: str | os.PathLike) -> tuple[Graph, dict[str, str]]:
    """Read a graph saved by ``save_graph``; return it and the file's other metadata."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFormatError(f"cannot read '{path}': {exc.strerror}") from None
    try:
        tensors = load(data)
        metadata = _read_metadata(data)
    except (SafetensorError, ValueError, OSError) as exc:
        raise ModelFormatError(f"'{path}' is not a valid intq file ({_first_line(exc)})") from None
    if _META_KEY not in metadata:
        raise ModelFormatError(f"'{path}' holds no intq graph (missing '{_META_KEY}' metadata)")
    try:
        doc = json.loads(metadata.pop(_META_KEY))
    except json.JSONDecodeError as exc:
        raise ModelFormatError(f"'{path}': graph JSON is corrupt ({exc.msg})") from None
    try:
        graph = graph_from_json(doc, tensors)
    except (GraphError, ModelFormatError) as exc:
        raise ModelFormatError(f"'{path}': {exc}") from None
    return graph, metadata


def _read_metadata(data: bytes) -> dict[str, str]:
    if len(data) < 8:
        raise ValueError("file too short")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8:
        raise ValueError("header length exceeds file size")
    header = json.loads(data[8:8 + n])
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise ValueError("metadata must map strings to strings")
    return meta


def graph_from_json(doc: Any, tensors: dict[str, np.ndarray]) -> Graph:
    """Build and validate a graph from its JSON document and constant arrays."""
    _expect(isinstance(doc, dict), "graph document is not an object")
    _expect(doc.get("format") == FORMAT, f"format is not '{FORMAT}'")
    _expect(doc.get("version") == VERSION,
            f"unsupported graph version {doc.get('version')!r} (this intq reads {VERSION})")
    graph = Graph(_str(doc.get("name"), "name"))
    graph.meta = doc.get("meta") or {}
    _expect(isinstance(graph.meta, dict), "meta is not an object")
    for entry in _list(doc.get("values"), "values"):
        _expect(isinstance(entry, dict), "a value entry is not an object")
        name = _str(entry.get("name"), "value name")
        dtype = _str(entry.get("dtype"), f"dtype of '{name}'")
        _expect(dtype in DTYPES, f"value '{name}' has unknown dtype '{dtype}'")
        shape = entry.get("shape")
        if shape is not None:
            _expect(isinstance(shape, list) and all(
                (isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**31)
                or (isinstance(d, str) and d) for d in shape),
                f"value '{name}' has an invalid shape {shape!r}")
            shape = tuple(shape)
        _expect(name not in graph.values, f"value '{name}' is declared twice")
        graph.values[name] = Value(name, dtype, shape, _quant_from_json(entry.get("quant"), name))
    for name in _list(doc.get("constants"), "constants"):
        _expect(isinstance(name, str) and name in graph.values,
                f"constant {name!r} is not a declared value")
        _expect(name in tensors, f"constant '{name}' has no tensor data")
        array = tensors[name]
        value = graph.values[name]
        _expect(array.dtype.name == value.dtype and tuple(array.shape) == value.shape,
                f"constant '{name}' data is {array.dtype.name}{list(array.shape)} but declared "
                f"{value.type_str()}")
        graph.constants[name] = array
    graph.inputs = [_declared(graph, n, "input") for n in _list(doc.get("inputs"), "inputs")]
    graph.outputs = [_declared(graph, n, "output") for n in _list(doc.get("outputs"), "outputs")]
    for entry in _list(doc.get("nodes"), "nodes"):
        _expect(isinstance(entry, dict), "a node entry is not an object")
        name = _str(entry.get("name"), "node name")
        op = _str(entry.get("op"), f"op of node '{name}'")
        inputs = [n if n == "" else _declared(graph, n, f"input of node '{name}'")
                  for n in _list(entry.get("inputs"), f"inputs of node '{name}'")]
        outputs = [_declared(graph, n, f"output of node '{name}'")
                   for n in _list(entry.get("outputs"), f"outputs of node '{name}'")]
        attrs = entry.get("attrs", {})
        _expect(isinstance(attrs, dict), f"attrs of node '{name}' is not an object")
        graph.nodes.append(Node(op, inputs, outputs, name, attrs))
    graph.validate()
    return graph


def _declared(graph: Graph, name: Any, what: str) -> str:
    _expect(isinstance(name, str) and name in graph.values, f"{what} {name!r} is not declared")
    return name


def _expect(cond: bool, message: str) -> None:
    if not cond:
        raise ModelFormatError(message)


def _str(x: Any, what: str) -> str:
    _expect(isinstance(x, str) and x != "", f"{what} is missing or not a string")
    return x


def _list(x: Any, what: str) -> list:
    _expect(isinstance(x, list), f"'{what}' is missing or not a list")
    return x


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]
