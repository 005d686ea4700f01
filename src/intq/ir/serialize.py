"""Safe on-disk form of a graph: one safetensors file whose header metadata holds the JSON graph.

Nothing in the file can execute code (no pickle). The layout (format version 2, described in
docs/FORMAT.md):

- a safetensors file: 8-byte little-endian header length, the JSON header, the tensor data;
- the header's ``__metadata__`` maps ``"intq_graph"`` to the JSON graph (a string) and may hold
  other string entries (``"intq_model": "quantized"`` for a ``QuantizedModel``);
- every constant is a tensor named after its value, in the dtype the graph declares for it
  (integer parameters in their narrowest dtype: int8 weights, int32 biases/multipliers, int8
  shifts);
- per-channel scales (lists in ``QuantInfo.scale``) are float64 entries of one 1-D tensor,
  ``SCALES_TENSOR``, referenced from the JSON as ``{"offset": o, "length": n}``; identical
  scale lists share one entry. Per-tensor scales stay JSON floats (``repr`` round-trips
  exactly).

Loading checks the framing (header length, JSON, tensor table) and the document (schema,
version, names, dtypes, shapes, scales, that every tensor is declared, topological order,
cycles) before returning a graph; every failure is a one-line ``ModelFormatError`` naming the
file and the culprit. Checks that need the op registry (attributes, types, precision of
constants, the overflow proof) are in ``intq.runtime.verify``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from intq.errors import GraphError, ModelFormatError
from intq.ir.graph import DTYPES, Graph, Node, QuantInfo, Value

FORMAT = "intq-graph"
VERSION = 2
"""Version written. 2: per-channel scales in ``SCALES_TENSOR``; 1: scales as JSON lists."""
READ_VERSIONS = (1, 2)
"""Versions this intq reads."""
_META_KEY = "intq_graph"
SCALES_TENSOR = "__intq_scales__"
"""Name of the float64 tensor holding every per-channel scale (reserved: no value may use it)."""
MAX_HEADER_BYTES = 100_000_000
"""Largest header accepted (the safetensors limit)."""
MAX_DIM = 2**31
"""Every static dimension is below this; ``runtime.verify`` also bounds the element count."""
MAX_NESTING = 32
"""Deepest nesting of lists/objects allowed in attributes and graph metadata."""

_GRAPH_KEYS = {"format", "version", "name", "inputs", "outputs", "values", "constants", "nodes",
               "meta"}
_VALUE_KEYS = {"name", "dtype", "shape", "quant"}
_NODE_KEYS = {"op", "name", "inputs", "outputs", "attrs"}
_ST_DTYPES = {"BOOL": "bool", "U8": "uint8", "I8": "int8", "U16": "uint16", "I16": "int16",
              "F16": "float16", "U32": "uint32", "I32": "int32", "F32": "float32",
              "U64": "uint64", "I64": "int64", "F64": "float64"}


# ---- writing ---------------------------------------------------------------------------------
def graph_to_json(graph: Graph, scales: _ScaleTable | None = None) -> dict[str, Any]:
    """The JSON document of ``graph``. With a ``scales`` table (as ``save_graph`` passes),
    per-channel scale lists are moved into it and referenced; without, they stay inline."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": graph.name,
        "inputs": list(graph.inputs),
        "outputs": list(graph.outputs),
        "values": [_value_to_json(v, scales) for v in graph.values.values()],
        "constants": sorted(graph.constants),
        "nodes": [{"op": n.op, "name": n.name, "inputs": n.inputs, "outputs": n.outputs,
                   "attrs": n.attrs} for n in graph.nodes],
        "meta": graph.meta,
    }


class _ScaleTable:
    """Per-channel scale lists packed into one float64 array; equal lists are stored once."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.size = 0
        self._seen: dict[bytes, int] = {}

    def add(self, scale: list[float]) -> dict[str, int]:
        array = np.asarray(scale, dtype=np.float64).reshape(-1)
        key = array.tobytes()
        offset = self._seen.get(key)
        if offset is None:
            offset = self._seen[key] = self.size
            self.parts.append(array)
            self.size += array.size
        return {"offset": offset, "length": int(array.size)}

    def array(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.zeros(0, np.float64)


def _value_to_json(v: Value, scales: _ScaleTable | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": v.name, "dtype": v.dtype,
                           "shape": None if v.shape is None else list(v.shape)}
    if v.quant is not None:
        quant = {k: x for k, x in dataclasses.asdict(v.quant).items()
                 if x is not None or k == "scale"}
        if isinstance(v.quant.scale, (list, tuple, np.ndarray)) and scales is not None:
            quant["scale"] = scales.add(list(v.quant.scale))
        doc["quant"] = quant
    return doc


def save_graph(graph: Graph, path: str | os.PathLike, extra_meta: dict[str, str] | None = None
               ) -> None:
    """Write ``graph`` atomically: a crash never leaves a half-written file at ``path``."""
    write_atomic(Path(path), graph_to_bytes(graph, extra_meta))


def graph_to_bytes(graph: Graph, extra_meta: dict[str, str] | None = None) -> bytes:
    """The file contents ``save_graph`` writes: the same graph always gives the same bytes."""
    if SCALES_TENSOR in graph.values:
        raise GraphError(f"value name '{SCALES_TENSOR}' is reserved by the intq file format; "
                         "rename the value")
    scales = _ScaleTable()
    header = json.dumps(graph_to_json(graph, scales), separators=(",", ":"))
    metadata = {**(extra_meta or {}), _META_KEY: header}
    tensors = dict(graph.constants)
    if scales.size:
        tensors[SCALES_TENSOR] = scales.array()
    return safetensors_bytes(tensors, metadata)


def safetensors_bytes(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    """A safetensors file, written deterministically: metadata keys sorted, tensors ordered by
    decreasing item size then name (so each starts aligned to its item size), little-endian,
    header padded with spaces to a multiple of 8 bytes."""
    codes = {v: k for k, v in _ST_DTYPES.items()}
    order = sorted(tensors, key=lambda n: (-tensors[n].dtype.itemsize, n))
    header: dict[str, Any] = {"__metadata__": dict(sorted(metadata.items()))}
    chunks, offset = [], 0
    for name in order:
        array = np.asarray(tensors[name])
        if array.dtype.name not in codes:
            raise GraphError(f"constant '{name}' has dtype {array.dtype.name}, which an intq "
                             "file cannot store")
        raw = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": codes[array.dtype.name], "shape": [int(d) for d in array.shape],
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + b"".join(chunks)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``. The
    file gets the mode a plain ``open`` would give (0666 less the umask), not mkstemp's 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    """The process umask (reading it means setting it; it is restored at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# ---- reading ---------------------------------------------------------------------------------
def load_graph(path: str | os.PathLike) -> tuple[Graph, dict[str, str]]:
    """Read a graph saved by ``save_graph``; return it and the file's other metadata."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFormatError(f"cannot read '{path}': {exc.strerror or exc}") from None
    return graph_from_bytes(data, str(path))


def graph_from_bytes(data: bytes, label: str = "<bytes>") -> tuple[Graph, dict[str, str]]:
    """``load_graph`` on the file's contents; errors name ``label``."""
    try:
        return _from_bytes(data)
    except (ModelFormatError, GraphError) as exc:
        raise ModelFormatError(f"'{label}': {_first_line(exc)}") from None
    except RecursionError:
        raise ModelFormatError(f"'{label}': nesting too deep") from None


def _from_bytes(data: bytes) -> tuple[Graph, dict[str, str]]:
    header, body = _split(data)
    metadata = header.pop("__metadata__", None)
    _expect(metadata is not None, "not an intq file: the safetensors header has no metadata")
    _expect(isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values()),
            "safetensors metadata must map strings to strings")
    _expect(_META_KEY in metadata, f"not an intq file: no '{_META_KEY}' entry in its metadata")
    tensors = _tensors(header, body)
    try:
        doc = json.loads(metadata.pop(_META_KEY))
    except RecursionError:
        raise ModelFormatError("graph JSON is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and integers of more than 4300 digits
        raise ModelFormatError(f"graph JSON is corrupt ({_first_line(exc)})") from None
    return graph_from_json(doc, tensors), metadata


def _split(data: bytes) -> tuple[dict[str, Any], memoryview]:
    """The safetensors header (parsed) and the data section."""
    _expect(len(data) >= 8, f"file is {len(data)} bytes, too short for an intq file")
    n = int.from_bytes(data[:8], "little")
    _expect(n <= len(data) - 8, f"header length {n} exceeds the file size ({len(data)} bytes): "
                                "the file is truncated or not an intq file")
    _expect(n <= MAX_HEADER_BYTES, f"header length {n} exceeds the {MAX_HEADER_BYTES}-byte limit")
    try:
        header = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    except RecursionError:
        raise ModelFormatError("safetensors header is nested too deeply") from None
    except ValueError as exc:  # UnicodeDecodeError, JSONDecodeError
        raise ModelFormatError(f"safetensors header is not valid JSON "
                               f"({_first_line(exc)}); the file is corrupt or not an intq file"
                               ) from None
    _expect(isinstance(header, dict), "safetensors header is not a JSON object")
    return header, memoryview(data)[8 + n:]


def _tensors(header: dict[str, Any], body: memoryview) -> dict[str, np.ndarray]:
    """Every tensor of the data section, after checking the tensor table: known dtypes, shapes
    and offsets that agree, tensors that tile the data section exactly."""
    spans = []
    entries = []
    for name, entry in header.items():
        _expect(isinstance(entry, dict) and set(entry) == {"dtype", "shape", "data_offsets"},
                f"tensor '{name}' has a malformed entry in the tensor table")
        dtype = _ST_DTYPES.get(entry["dtype"]) if isinstance(entry["dtype"], str) else None
        _expect(dtype is not None, f"tensor '{name}' has unsupported dtype {entry['dtype']!r}")
        shape, offsets = entry["shape"], entry["data_offsets"]
        _expect(isinstance(shape, list) and all(_is_int(d) and 0 <= d < MAX_DIM for d in shape),
                f"tensor '{name}' has an invalid shape {shape!r}")
        _expect(isinstance(offsets, list) and len(offsets) == 2 and all(
            _is_int(o) and 0 <= o <= len(body) for o in offsets) and offsets[0] <= offsets[1],
            f"tensor '{name}' has data offsets {offsets!r} outside the file's "
            f"{len(body)}-byte data section (truncated?)")
        size = math.prod(shape) * np.dtype(dtype).itemsize
        _expect(offsets[1] - offsets[0] == size,
                f"tensor '{name}' claims shape {shape} of {dtype} ({size} bytes) but spans "
                f"{offsets[1] - offsets[0]} bytes")
        spans.append((offsets[0], offsets[1], name))
        entries.append((name, dtype, shape, offsets[0], offsets[1]))
    end = 0
    for start, stop, name in sorted(spans):
        _expect(start == end, f"tensor '{name}' overlaps another or leaves a gap in the data "
                              "section")
        end = stop
    _expect(end == len(body), f"the data section has {len(body) - end} bytes that belong to no "
                              "tensor")
    tensors = {}
    for name, dtype, shape, start, stop in entries:
        array = np.frombuffer(body[start:stop], dtype=np.dtype(dtype).newbyteorder("<"))
        array = array.astype(dtype).reshape(shape)  # native byte order, own writable memory
        if dtype == "bool":
            _expect(bool(np.all(np.frombuffer(body[start:stop], dtype=np.uint8) <= 1)),
                    f"tensor '{name}' holds bool bytes other than 0 and 1")
        array.flags.writeable = False
        tensors[name] = array
    return tensors


def graph_from_json(doc: Any, tensors: dict[str, np.ndarray]) -> Graph:
    """Build and validate a graph from its JSON document and the file's tensors."""
    _expect(isinstance(doc, dict), "graph document is not a JSON object")
    _expect(doc.get("format") == FORMAT, f"graph document format is {doc.get('format')!r}, "
                                         f"not '{FORMAT}'")
    version = doc.get("version")
    if not (_is_int(version) and version in READ_VERSIONS):
        newer = _is_int(version) and version > VERSION
        raise ModelFormatError(
            f"unsupported intq format version {version!r} (this intq reads versions "
            f"{', '.join(map(str, READ_VERSIONS))})"
            + ("; upgrade intq to read it" if newer else "; re-save the model with intq"))
    unknown = set(doc) - _GRAPH_KEYS
    _expect(not unknown, f"graph document has unknown key(s) {sorted(unknown)}")
    tensors = dict(tensors)
    scales = tensors.pop(SCALES_TENSOR, None)
    if scales is not None:
        _expect(version >= 2, f"a version-1 file has no '{SCALES_TENSOR}' tensor")
        _expect(scales.dtype == np.float64 and scales.ndim == 1,
                f"scale table '{SCALES_TENSOR}' must be 1-D float64, not "
                f"{scales.dtype.name}{list(scales.shape)}")
    graph = Graph(_str(doc.get("name"), "graph name"))
    graph.meta = doc.get("meta") or {}
    _expect(isinstance(graph.meta, dict), "graph meta is not a JSON object")
    _expect(_nesting(graph.meta) <= MAX_NESTING, f"graph meta nests deeper than {MAX_NESTING}")
    for entry in _list(doc.get("values"), "values"):
        _expect(isinstance(entry, dict), "a value entry is not an object")
        name = _str(entry.get("name"), "value name")
        _expect(set(entry) <= _VALUE_KEYS,
                f"value '{name}' has unknown key(s) {sorted(set(entry) - _VALUE_KEYS)}")
        _expect(name != SCALES_TENSOR, f"value name '{SCALES_TENSOR}' is reserved")
        dtype = _str(entry.get("dtype"), f"dtype of value '{name}'")
        _expect(dtype in DTYPES, f"value '{name}' has unknown dtype '{dtype}'")
        shape = entry.get("shape")
        if shape is not None:
            _expect(isinstance(shape, list) and all(
                (_is_int(d) and 0 <= d < MAX_DIM) or (isinstance(d, str) and d) for d in shape),
                f"value '{name}' has an invalid shape {_short(shape)}")
            shape = tuple(shape)
        _expect(name not in graph.values, f"value '{name}' is declared twice")
        graph.values[name] = Value(name, dtype, shape,
                                   _quant_from_json(entry.get("quant"), name, scales))
    for name in _list(doc.get("constants"), "constants"):
        _expect(isinstance(name, str) and name in graph.values,
                f"constant {_short(name)} is not a declared value")
        _expect(name not in graph.constants, f"constant '{name}' is listed twice")
        _expect(name in tensors, f"constant '{name}' has no tensor data in the file")
        array = tensors[name]
        value = graph.values[name]
        _expect(array.dtype.name == value.dtype and tuple(array.shape) == value.shape,
                f"constant '{name}' data is {array.dtype.name}{list(array.shape)} but declared "
                f"{value.type_str()}")
        graph.constants[name] = array
    extra = sorted(set(tensors) - set(graph.constants))
    _expect(not extra, f"tensor {_short(extra[0]) if extra else ''} in the file is not a declared "
                       "constant")
    graph.inputs = _names(graph, doc.get("inputs"), "input")
    graph.outputs = _names(graph, doc.get("outputs"), "output")
    for name in graph.inputs:
        _expect(name not in graph.constants, f"graph input '{name}' is also a constant")
    for entry in _list(doc.get("nodes"), "nodes"):
        _expect(isinstance(entry, dict), "a node entry is not an object")
        name = _str(entry.get("name"), "node name")
        _expect(set(entry) <= _NODE_KEYS,
                f"node '{name}' has unknown key(s) {sorted(set(entry) - _NODE_KEYS)}")
        op = _str(entry.get("op"), f"op of node '{name}'")
        inputs = [n if n == "" else _declared(graph, n, f"input of node '{name}'")
                  for n in _list(entry.get("inputs"), f"inputs of node '{name}'")]
        outputs = [_declared(graph, n, f"output of node '{name}'")
                   for n in _list(entry.get("outputs"), f"outputs of node '{name}'")]
        attrs = entry.get("attrs", {})
        _expect(isinstance(attrs, dict), f"attrs of node '{name}' is not an object")
        _expect(_nesting(attrs) <= MAX_NESTING,
                f"attrs of node '{name}' nest deeper than {MAX_NESTING}")
        graph.nodes.append(Node(op, inputs, outputs, name, attrs))
    _check_order(graph)
    graph.validate()
    return graph


def _quant_from_json(doc: Any, name: str, scales: np.ndarray | None) -> QuantInfo | None:
    if doc is None:
        return None
    _expect(isinstance(doc, dict) and set(doc) <= {f.name for f in dataclasses.fields(QuantInfo)},
            f"value '{name}' has a malformed quant entry")
    bits, signed = doc.get("bits"), doc.get("signed", True)
    _expect(_is_int(bits) and 1 <= bits <= 64 and isinstance(signed, bool),
            f"value '{name}' has invalid bits/signed")
    scale, axis, bound = doc.get("scale"), doc.get("axis"), doc.get("bound")
    if isinstance(scale, dict):
        scale = _scale_ref(scale, name, scales)
    scale_list = scale if isinstance(scale, list) else [scale] if scale is not None else []
    _expect(not isinstance(scale, list) or scale,
            f"value '{name}' has an empty per-channel scale")
    _expect(all(isinstance(s, (int, float)) and not isinstance(s, bool) and 0 < s < math.inf
                for s in scale_list),
            f"value '{name}' has an invalid scale (each must be a finite number > 0)")
    _expect(axis is None or _is_int(axis), f"value '{name}' has an invalid quant axis")
    _expect(bound is None or (_is_int(bound)
                              and 0 <= bound <= (2**(bits - 1) if signed else 2**bits - 1)),
            f"value '{name}' declares bound {_short(bound)} outside its {bits}-bit precision")
    if isinstance(scale, int):
        scale = float(scale)
    elif isinstance(scale, list):
        scale = [float(s) for s in scale]
    return QuantInfo(bits, signed, scale, axis, bound)


def _scale_ref(ref: dict[str, Any], name: str, scales: np.ndarray | None) -> list[float]:
    _expect(set(ref) == {"offset", "length"} and _is_int(ref["offset"])
            and _is_int(ref["length"]), f"value '{name}' has a malformed scale reference")
    _expect(scales is not None, f"value '{name}' references the scale table '{SCALES_TENSOR}', "
                                "which the file lacks")
    start, length = ref["offset"], ref["length"]
    _expect(0 <= start and 1 <= length and start + length <= scales.size,
            f"value '{name}' references scales [{start}, {start + length}) outside the "
            f"{scales.size}-entry scale table")
    return scales[start:start + length].tolist()


def _check_order(graph: Graph) -> None:
    """Nodes must be topologically ordered; name a cycle or dangling input precisely."""
    available = set(graph.inputs) | set(graph.constants) | {""}
    producers: dict[str, int] = {}
    for index, node in enumerate(graph.nodes):
        for out in node.outputs:
            _expect(out not in producers and out not in available,
                    f"value '{out}' is produced twice (node '{node.name}')")
            producers[out] = index
    for index, node in enumerate(graph.nodes):
        for inp in node.inputs:
            if inp in available:
                continue
            if inp not in producers:
                raise ModelFormatError(f"node '{node.name}' ({node.op}) reads '{inp}', which no "
                                       "graph input, constant or node produces")
            if producers[inp] >= index:
                cycle = _find_cycle(graph, producers)
                if cycle:
                    raise ModelFormatError(f"nodes form a cycle: {' -> '.join(cycle)}")
                raise ModelFormatError(
                    f"node '{node.name}' ({node.op}) reads '{inp}' before node "
                    f"'{graph.nodes[producers[inp]].name}' produces it (nodes are not in "
                    "topological order)")
        available.update(node.outputs)


def _find_cycle(graph: Graph, producers: dict[str, int]) -> list[str]:
    """Node names along one cycle (first repeated at the end), or ``[]``; iterative DFS."""
    deps = [[producers[i] for i in node.inputs if i in producers] for node in graph.nodes]
    state = [0] * len(graph.nodes)  # 0 new, 1 on the stack, 2 done
    for root in range(len(graph.nodes)):
        if state[root]:
            continue
        stack = [(root, 0)]
        path = [root]
        state[root] = 1
        while stack:
            node, i = stack[-1]
            if i < len(deps[node]):
                stack[-1] = (node, i + 1)
                nxt = deps[node][i]
                if state[nxt] == 1:
                    loop = path[path.index(nxt):] + [nxt]
                    return [graph.nodes[k].name for k in reversed(loop)]
                if state[nxt] == 0:
                    state[nxt] = 1
                    stack.append((nxt, 0))
                    path.append(nxt)
            else:
                state[node] = 2
                stack.pop()
                path.pop()
    return []


def _names(graph: Graph, names: Any, what: str) -> list[str]:
    out = [_declared(graph, n, f"graph {what}") for n in _list(names, f"{what}s")]
    seen: set[str] = set()
    for name in out:
        _expect(name not in seen, f"graph {what} '{name}' is listed twice")
        seen.add(name)
    return out


def _declared(graph: Graph, name: Any, what: str) -> str:
    _expect(isinstance(name, str) and name in graph.values,
            f"{what} {_short(name)} is not a declared value")
    return name


def _nesting(x: Any) -> int:
    """Depth of nested lists/objects in a JSON value (iterative: never recurses)."""
    deepest, stack = 0, [(x, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            depth += 1
            deepest = max(deepest, depth)
            if depth > MAX_NESTING:
                return depth
            stack.extend((v, depth) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _expect(cond: bool, message: str) -> None:
    if not cond:
        raise ModelFormatError(message)


def _str(x: Any, what: str) -> str:
    _expect(isinstance(x, str) and x != "", f"{what} is missing or not a string")
    return x


def _list(x: Any, what: str) -> list:
    _expect(isinstance(x, list), f"'{what}' is missing or not a list")
    return x


def _short(x: Any, limit: int = 60) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]
