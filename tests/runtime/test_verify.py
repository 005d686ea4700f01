"""Validated loading of ``.intq`` files: a corpus of damaged and hostile files, each built from a
valid one and rejected with its own one-line ``IntqError``, and a fuzz test of the loader."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import intq
from intq.errors import IntqError, ModelFormatError
from intq.ir.graph import Graph
from intq.ir.serialize import (SCALES_TENSOR, VERSION, graph_from_bytes, graph_to_bytes,
                               graph_to_json)
from intq.ops import infer_shapes
from intq.ops.registry import normalize_attrs
from intq.quantize import QuantizedModel
from intq.quantize.model import FILE_KIND, FILE_KIND_KEY
from intq.runtime.overflow import OverflowProofError
from intq.runtime.verify import MAX_ELEMENTS, verify_graph

RNG = np.random.default_rng(0)
DATA = RNG.normal(size=(16, 2, 6, 6)).astype(np.float32)


def _op(g: Graph, op_type: str, inputs: list, **attrs) -> str:
    names = [i if isinstance(i, str) else g.add_constant("c", np.asarray(i)) for i in inputs]
    name = g.unique_name(op_type.lower())
    return g.add_node(op_type, names, 1, name=name,
                      attrs=normalize_attrs(op_type, attrs, name)).outputs[0]


def tiny_float() -> Graph:
    """Conv (per-channel), residual add, average pool, matmul, softmax: in ~15 integer nodes."""
    rng = np.random.default_rng(1)
    g = Graph("tiny")
    x = g.add_input("x", "float32", ("N", 2, 6, 6))
    a = _op(g, "Relu", [_op(g, "Conv", [x, (rng.normal(size=(4, 2, 3, 3)) * 0.3).astype(np.float32),
                                        rng.normal(size=4).astype(np.float32)],
                            kernel_shape=[3, 3], pads=[1, 1, 1, 1])])
    b = _op(g, "Conv", [a, (rng.normal(size=(4, 4, 1, 1)) * 0.3).astype(np.float32)],
            kernel_shape=[1, 1])
    y = _op(g, "Flatten", [_op(g, "GlobalAveragePool", [_op(g, "Add", [a, b])])], axis=1)
    y = _op(g, "MatMul", [y, rng.normal(size=(4, 3)).astype(np.float32)])
    g.outputs = [_op(g, "Softmax", [y], axis=-1)]
    infer_shapes(g)
    return g


@pytest.fixture(scope="module")
def model() -> QuantizedModel:
    return intq.quantize(tiny_float(), DATA, progress=False)


@pytest.fixture(scope="module")
def valid(model, tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("valid") / "tiny.intq"
    model.save(path)
    return path.read_bytes()


# ---- file surgery ------------------------------------------------------------------------------
def split(data: bytes) -> tuple[dict, bytes]:
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + n]), data[8 + n:]


def join(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return len(raw).to_bytes(8, "little") + raw + body


def edit_doc(data: bytes, edit) -> bytes:
    """The file with its JSON graph passed through ``edit(doc)`` (which mutates it)."""
    header, body = split(data)
    doc = json.loads(header["__metadata__"]["intq_graph"])
    edit(doc)
    header["__metadata__"]["intq_graph"] = json.dumps(doc)
    return join(header, body)


def edit_tensor(data: bytes, name: str, edit) -> bytes:
    """The file with tensor ``name``'s bytes replaced by ``edit(array)`` (same dtype/size)."""
    header, body = split(data)
    start, stop = header[name]["data_offsets"]
    dtype = {"I8": np.int8, "I32": np.int32, "I64": np.int64, "F64": np.float64}[
        header[name]["dtype"]]
    array = np.frombuffer(body[start:stop], dtype=dtype).copy()
    new = np.asarray(edit(array), dtype=dtype).tobytes()
    assert len(new) == stop - start
    return join(header, body[:start] + new + body[stop:])


def value(doc: dict, name: str) -> dict:
    return next(v for v in doc["values"] if v["name"] == name)


def node(doc: dict, op: str, index: int = 0) -> dict:
    return [n for n in doc["nodes"] if n["op"] == op][index]


def load_bytes(tmp_path, data: bytes, name: str = "bad.intq"):
    path = tmp_path / name
    path.write_bytes(data)
    return intq.load(path)


# ---- the valid file ----------------------------------------------------------------------------
def test_valid_file_round_trips_bit_identically(model, valid, tmp_path):
    loaded = load_bytes(tmp_path, valid, "ok.intq")
    loaded.save(tmp_path / "again.intq")
    assert (tmp_path / "again.intq").read_bytes() == valid  # deterministic, lossless
    assert loaded.run(DATA)[0].tobytes() == model.run(DATA)[0].tobytes()
    header, _ = split(valid)
    assert header[SCALES_TENSOR]["dtype"] == "F64"
    doc = json.loads(header["__metadata__"]["intq_graph"])
    assert doc["version"] == VERSION
    requant = node(doc, "Requantize")
    assert header[requant["inputs"][1]]["dtype"] == "I32"  # multipliers m < 2^31
    assert header[requant["inputs"][2]]["dtype"] == "I8"   # shifts k <= 62
    conv = node(doc, "IntConv")
    assert header[conv["inputs"][1]]["dtype"] == "I8"
    assert isinstance(value(doc, conv["outputs"][0])["quant"]["scale"], dict)


def test_version_1_files_still_load(model, tmp_path):
    """Version 1 kept per-channel scales inline as JSON lists, and m/k as int64."""
    from safetensors.numpy import save

    graph = model.graph.copy()
    for n in graph.nodes:
        if n.op == "Requantize":
            for name in n.inputs[1:]:
                graph.constants[name] = graph.constants[name].astype(np.int64)
                graph.values[name].dtype = "int64"
    doc = graph_to_json(graph)  # no scale table: lists stay inline
    doc["version"] = 1
    assert any(isinstance(v.get("quant", {}).get("scale"), list) for v in doc["values"])
    blob = save(dict(graph.constants), metadata={"intq_graph": json.dumps(doc),
                                                 FILE_KIND_KEY: FILE_KIND})
    loaded = load_bytes(tmp_path, blob, "v1.intq")
    assert loaded.run(DATA)[0].tobytes() == model.run(DATA)[0].tobytes()


# ---- the corpus --------------------------------------------------------------------------------
def _first_conv_weight(doc):
    return node(doc, "IntConv")["inputs"][1]


def _swap_first_requantize_producer(doc):
    """Move the first Requantize before the IntConv it reads (no cycle, just misordered)."""
    nodes = doc["nodes"]
    i = next(k for k, n in enumerate(nodes) if n["op"] == "Requantize")
    nodes[i - 1], nodes[i] = nodes[i], nodes[i - 1]


def _cycle(doc):
    """The first IntConv reads the output of a later node: a real cycle."""
    conv = node(doc, "IntConv")
    conv["inputs"][0] = node(doc, "IntAdd")["outputs"][0]


def _nan_scale(doc):
    value(doc, node(doc, "Quantize")["outputs"][0])["quant"]["scale"] = math.nan


def _narrow_accumulator(doc):
    quant = value(doc, node(doc, "IntConv")["outputs"][0])["quant"]
    quant["bits"] = 8
    del quant["bound"]


def _huge_activation(doc):
    value(doc, node(doc, "IntConv")["outputs"][0])["shape"] = ["N", 4, 2**20, 2**20]


def _activation_dtype_lie(doc):
    value(doc, node(doc, "Requantize")["outputs"][0])["dtype"] = "int16"


def _constant_dtype_lie(doc):
    value(doc, _first_conv_weight(doc))["dtype"] = "int32"


def _precision_lie(doc):
    quant = value(doc, _first_conv_weight(doc))["quant"]
    quant["bits"] = 4
    del quant["bound"]  # a consistent liar: the bound would give it away first


def _missing_constant(doc):
    old = _first_conv_weight(doc)
    value(doc, old)["name"] = "ghost_w"
    doc["constants"] = ["ghost_w" if c == old else c for c in doc["constants"]]
    node(doc, "IntConv")["inputs"][1] = "ghost_w"


def _scale_ref_out_of_table(doc):
    value(doc, node(doc, "IntConv")["outputs"][0])["quant"]["scale"] = {"offset": 10**6,
                                                                         "length": 4}


def _float_into_integer_op(doc):
    node(doc, "IntConv")["inputs"][0] = "x"


def _meta_bomb(doc):
    deep: list = []
    for _ in range(200):
        deep = [deep]
    doc["meta"]["bomb"] = deep


DOC_CASES = [
    ("wrong version", lambda d: d.update(version=3),
     ModelFormatError, (r"unsupported intq format version 3 \(this intq reads versions 1, 2\); "
                       "upgrade intq")),
    ("old version", lambda d: d.update(version=0),
     ModelFormatError, "unsupported intq format version 0"),
    ("version as text", lambda d: d.update(version="2"),
     ModelFormatError, "unsupported intq format version '2'"),
    ("wrong format", lambda d: d.update(format="onnx"),
     ModelFormatError, "format is 'onnx', not 'intq-graph'"),
    ("unknown top-level key", lambda d: d.update(code="import os"),
     ModelFormatError, r"unknown key\(s\) \['code'\]"),
    ("unknown op", lambda d: node(d, "Flatten").update(op="FancyOp"),
     ModelFormatError, "unknown op type 'FancyOp'"),
    ("node order cycle", _cycle, ModelFormatError, "nodes form a cycle: .*conv"),
    ("nodes out of order", _swap_first_requantize_producer,
     ModelFormatError, r"before node 'conv' produces it \(nodes are not in topological order\)"),
    ("dangling input", lambda d: d["values"].append({"name": "orphan", "dtype": "int8",
                                                    "shape": [1]})
     or node(d, "IntAdd")["inputs"].__setitem__(1, "orphan"),
     ModelFormatError, "reads 'orphan', which no graph input, constant or node produces"),
    ("undeclared input", lambda d: node(d, "IntAdd")["inputs"].__setitem__(1, "ghost"),
     ModelFormatError, "input of node 'add' 'ghost' is not a declared value"),
    ("value declared twice", lambda d: d["values"].append(dict(d["values"][0])),
     ModelFormatError, "value 'x' is declared twice"),
    ("output never produced", lambda d: d["values"].append({"name": "z", "dtype": "float32"})
     or d["outputs"].append("z"), ModelFormatError, "graph output 'z' is never produced"),
    ("constant outside its declared bits", _precision_lie,
     ModelFormatError, (r"constant 'c_q' holds values in \[-\d+, \d+\], outside its declared "
                       "4-bit signed precision")),
    ("NaN scale", _nan_scale, ModelFormatError, "'x_q' has an invalid scale"),
    ("negative scale", lambda d: value(d, "x_q")["quant"].update(scale=-0.5),
     ModelFormatError, "'x_q' has an invalid scale"),
    ("scale reference outside the table", _scale_ref_out_of_table,
     ModelFormatError, r"references scales \[1000000, 1000004\) outside the \d+-entry scale"),
    ("huge dimension", lambda d: value(d, "x")["shape"].__setitem__(1, 2**40),
     ModelFormatError, "value 'x' has an invalid shape"),
    ("shape claiming 2^40 elements", _huge_activation,
     ModelFormatError, f"tensor 'conv_out_acc' declares .*, more than {MAX_ELEMENTS} elements"),
    ("constant dtype lie", _constant_dtype_lie,
     ModelFormatError, r"constant 'c_q' data is int8\[4, 2, 3, 3\] but declared int32"),
    ("activation dtype lie", _activation_dtype_lie,
     ModelFormatError, (r"output 'relu_out_q' is declared int16\[N,4,6,6\].* but computes "
                       r"uint8\[N,4,6,6\]")),
    ("activation shape lie", lambda d: value(d, "relu_out_q")["shape"].__setitem__(2, 7),
     ModelFormatError, "output 'relu_out_q' is declared .* but computes uint8"),
    ("unknown dtype", lambda d: value(d, "x").update(dtype="complex64"),
     ModelFormatError, "value 'x' has unknown dtype 'complex64'"),
    ("missing constant", _missing_constant,
     ModelFormatError, "constant 'ghost_w' has no tensor data in the file"),
    ("undeclared tensor", lambda d: d["constants"].remove(_first_conv_weight(d)),
     ModelFormatError, "tensor 'c_q' in the file is not a declared constant"),
    ("accumulator too narrow for the proof", _narrow_accumulator,
     OverflowProofError, (r"node 'conv' \(IntConv\): output 'conv_out_acc' may reach .* beyond "
                         "its declared 8-bit signed precision")),
    ("unknown attribute", lambda d: node(d, "Requantize")["attrs"].update(exec="rm -rf /"),
     ModelFormatError, "node 'conv_requantize' \\(Requantize\\) has unknown attribute 'exec'"),
    ("missing attribute", lambda d: node(d, "Requantize")["attrs"].pop("lo"),
     ModelFormatError, r"lacks attribute\(s\) \['lo'\]"),
    ("attribute of the wrong kind", lambda d: node(d, "Requantize")["attrs"].update(bits="8"),
     ModelFormatError, "attribute 'bits' has an invalid value '8'"),
    ("bit width out of range", lambda d: node(d, "IntSoftmax")["attrs"].update(in_bits=10**9),
     ModelFormatError, "attribute 'in_bits' has an invalid value 1000000000"),
    ("integer beyond int64", lambda d: node(d, "IntAdd")["attrs"].update(
        multipliers=[2**70, 1]), ModelFormatError, "'multipliers' holds an integer beyond int64"),
    ("float into an integer op", _float_into_integer_op,
     ModelFormatError, "reads 'x' of dtype float32; integer ops read integers"),
    ("deeply nested meta", _meta_bomb, ModelFormatError, "graph meta nests deeper than 32"),
    ("nodes not a list", lambda d: d.update(nodes={}), ModelFormatError,
     "'nodes' is missing or not a list"),
    ("bound outside precision", lambda d: value(d, "x_q")["quant"].update(bound=1000),
     ModelFormatError, "'x_q' declares bound 1000 outside its 8-bit precision"),
]


@pytest.mark.parametrize("case, edit, kind, match", DOC_CASES, ids=[c[0] for c in DOC_CASES])
def test_malformed_graph_document_rejected(valid, tmp_path, case, edit, kind, match):
    with pytest.raises(kind, match=match) as info:
        load_bytes(tmp_path, edit_doc(valid, edit))
    _one_line(info.value, tmp_path)


def _header_length(data: bytes, n: int) -> bytes:
    return n.to_bytes(8, "little") + data[8:]


def _graph_json(data: bytes, text: str) -> bytes:
    header, body = split(data)
    header["__metadata__"]["intq_graph"] = text
    return join(header, body)


def _drop_metadata_key(data: bytes) -> bytes:
    header, body = split(data)
    del header["__metadata__"]["intq_graph"]
    return join(header, body)


def _tensor_dtype(data: bytes, name: str, dtype: str) -> bytes:
    header, body = split(data)
    header[name]["dtype"] = dtype
    return join(header, body)


def _first_requantize_m(data: bytes) -> str:
    header, _ = split(data)
    return node(json.loads(header["__metadata__"]["intq_graph"]), "Requantize")["inputs"][1]


def _scale_table_entry(data: bytes, entry: float) -> bytes:
    return edit_tensor(data, SCALES_TENSOR, lambda a: np.concatenate([[entry], a[1:]]))


BYTE_CASES = [
    ("empty file", lambda d: b"", "file is 0 bytes, too short"),
    ("truncated in the header", lambda d: d[:200], ("header length \\d+ exceeds the file size "
                                                   "\\(200 bytes\\): the file is truncated")),
    ("truncated in the data", lambda d: d[:-10], ("data offsets .* outside the file's .*-byte "
                                                 "data section \\(truncated\\?\\)")),
    ("header length too large", lambda d: _header_length(d, 2**40),
     "header length 1099511627776 exceeds the file size"),
    ("header length too small", lambda d: _header_length(d, 16),
     "safetensors header is not valid JSON"),
    ("trailing garbage", lambda d: d + b"\x00" * 16, "16 bytes that belong to no tensor"),
    ("not UTF-8", lambda d: d[:8] + b"\xff\xfe" + d[10:], "safetensors header is not valid JSON"),
    ("bad graph JSON", lambda d: _graph_json(d, '{"format": "intq-graph", "nodes": [}'),
     "graph JSON is corrupt"),
    ("graph JSON too deep", lambda d: _graph_json(d, "[" * 100_000), "nested too deeply"),
    ("huge integer in JSON", lambda d: _graph_json(d, "1" * 5000), "graph JSON is corrupt"),
    ("no intq graph", _drop_metadata_key, "no 'intq_graph' entry in its metadata"),
    ("tensor table dtype lie", lambda d: _tensor_dtype(d, _first_requantize_m(d), "I64"),
     "claims shape \\[4\\] of int64 \\(32 bytes\\) but spans 16 bytes"),
    ("unsupported tensor dtype", lambda d: _tensor_dtype(d, _first_requantize_m(d), "BF16"),
     "unsupported dtype 'BF16'"),
    ("NaN in the scale table", lambda d: _scale_table_entry(d, math.nan), "invalid scale"),
    ("negative scale in the table", lambda d: _scale_table_entry(d, -1.0), "invalid scale"),
    ("pickle instead of safetensors", lambda d: b"\x80\x04\x95" + b"\x00" * 40,
     "exceeds the file size"),
]


@pytest.mark.parametrize("case, mutate, match", BYTE_CASES, ids=[c[0] for c in BYTE_CASES])
def test_damaged_file_rejected(valid, tmp_path, case, mutate, match):
    with pytest.raises(ModelFormatError, match=match) as info:
        load_bytes(tmp_path, mutate(valid))
    _one_line(info.value, tmp_path)


# ---- graphs that are well-formed files but unsound -----------------------------------------------
def _save_and_load(graph: Graph, tmp_path):
    path = tmp_path / "bad.intq"
    path.write_bytes(graph_to_bytes(graph, {FILE_KIND_KEY: FILE_KIND}))
    return intq.load(path)


def test_multiplier_count_must_match_the_channels(model, tmp_path):
    graph = model.graph.copy()
    requant = next(n for n in graph.nodes if n.op == "Requantize")
    m = requant.inputs[1]
    graph.constants[m] = graph.constants[m][:3].copy()
    graph.values[m].shape = (3,)
    with pytest.raises(ModelFormatError, match=f"3 per-channel '{m}' entries but 'conv_out_acc' "
                                               "has 4 channels"):
        _save_and_load(graph, tmp_path)


def test_multiplier_must_be_a_constant(model, tmp_path):
    graph = model.graph.copy()
    requant = next(n for n in graph.nodes if n.op == "Requantize")
    graph.inputs.append(requant.inputs[1])
    del graph.constants[requant.inputs[1]]
    with pytest.raises(ModelFormatError, match="as m/k, which must be a constant"):
        _save_and_load(graph, tmp_path)


def test_shift_outside_its_range_fails_the_proof(model, tmp_path):
    graph = model.graph.copy()
    requant = next(n for n in graph.nodes if n.op == "Requantize")
    graph.constants[requant.inputs[2]] = np.full_like(graph.constants[requant.inputs[2]], 100)
    with pytest.raises(OverflowProofError, match="k in \\[0, 62\\]"):
        _save_and_load(graph, tmp_path)


def test_reserved_scale_table_name_is_refused_on_save(model):
    graph = model.graph.copy()
    graph.rename_value("x", SCALES_TENSOR)
    with pytest.raises(IntqError, match="reserved"):
        graph_to_bytes(graph)


def test_verify_graph_accepts_every_saved_zoo_like_graph(model):
    verify_graph(model.graph.copy(), "in memory")


def _one_line(exc: BaseException, tmp_path) -> None:
    text = str(exc)
    assert "\n" not in text and text.startswith(f"'{tmp_path / 'bad.intq'}': "), text


# ---- fuzzing -----------------------------------------------------------------------------------
def _json_paths(doc, path=()):
    """Every (container, key) in the document, to replace one entry."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield path + (k,)
            yield from _json_paths(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield path + (i,)
            yield from _json_paths(v, path + (i,))


JSON_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.sampled_from(
        [0, 1, -1, 8, 31, 32, 62, 63, 64, 2**31, 2**63, math.nan, -0.0, math.inf]),
    st.floats(allow_nan=True), st.text(max_size=8),
    st.sampled_from(["x", "x_q", "conv_out_acc", "relu_out_q", "Requantize", "IntConv",
                     "int64", "float32", "uint8", "N"]),
    st.lists(st.integers(-3, 2**20), max_size=5), st.just({}), st.just([]))


KINDS = ["flip", "body", "truncate", "json", "json", "splice"]


@st.composite
def mutations(draw, valid: bytes):
    """One damaged variant of ``valid``: bit flips anywhere or in the tensor data, a
    truncation, inserted junk, or one or two entries of the JSON graph replaced."""
    kind = draw(st.sampled_from(KINDS))
    data = bytearray(valid)
    if kind == "flip":
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= 1 << draw(st.integers(0, 7))
        return bytes(data)
    if kind == "body":
        start = 8 + int.from_bytes(valid[:8], "little")
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(start, len(data) - 1))
            data[i] ^= 1 << draw(st.integers(0, 7))
        return bytes(data)
    if kind == "truncate":
        return bytes(data[:draw(st.integers(0, len(data) - 1))])
    if kind == "splice":
        i = draw(st.integers(0, len(data)))
        return bytes(data[:i]) + draw(st.binary(max_size=16)) + bytes(data[i:])
    header, body = split(valid)
    doc = json.loads(header["__metadata__"]["intq_graph"])
    paths = list(_json_paths(doc))
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(paths))
        target = doc
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = draw(JSON_VALUES)
        except (KeyError, IndexError, TypeError):
            pass
    header["__metadata__"]["intq_graph"] = json.dumps(doc)
    return join(header, body)


@pytest.fixture(scope="module")
def fuzz_input(model):
    return np.clip(np.rint(DATA[:2] / model.input_quant[0].scale), -128, 127).astype(np.int8)


@settings(max_examples=300, deadline=timedelta(seconds=5), derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_fuzzed_files_load_soundly_or_fail_with_an_intq_error(valid, fuzz_input, data):
    """Any mutation either loads a graph that verifies (and then runs on in-range inputs), or
    raises an ``IntqError``: never another exception, never a hang."""
    blob = data.draw(mutations(valid))
    try:
        graph, _metadata = graph_from_bytes(blob, "fuzz.intq")
        verify_graph(graph, "fuzz.intq")
        loaded = QuantizedModel(graph)
    except IntqError as exc:
        assert "\n" not in str(exc)
        return
    try:
        if loaded.input_quant and loaded.input_quant[0] is not None:
            loaded.run_int(fuzz_input)
    except IntqError:
        pass


def _recurrent_and_resize_models():
    """Quantized graphs whose integer ops carry names, nested or required lists and float
    lists: IntLSTM and IntGRU (direction, per-direction rows), IntResize (mode, scales),
    IntZeroInsert (strides, pads), IntMean, IntSqrt."""
    from tests.quantize.graphs import normal, op, quantize
    from tests.quantize.rules.test_recurrent import gru_graph, lstm_graph
    from tests.quantize.rules.test_resize import resize_graph

    from intq.ir.graph import Graph
    from intq.ops.infer import infer_shapes

    yield "lstm", quantize(lstm_graph("bidirectional", steps="T"), normal(8, 6, 3, seed=1)), \
        (normal(2, 4, 3, seed=2),)
    yield "gru", quantize(gru_graph("reverse", linear_before_reset=1), normal(8, 6, 3, seed=1)), \
        (normal(2, 6, 3, seed=2),)
    yield "resize", quantize(resize_graph([1, 1, 2, 1.5], mode="linear",
                                          coordinate_transformation_mode="align_corners"),
                             normal(8, 3, 5, 6, seed=1)), (normal(2, 3, 5, 6, seed=2),)
    g = Graph()
    x = g.add_input("x", "float32", ("N", 2, 5, 5))
    w = np.random.default_rng(3).normal(size=(2, 3, 3, 3)).astype(np.float32)
    g.outputs = [op(g, "ConvTranspose", [x, w], kernel_shape=[3, 3], strides=[2, 2],
                    pads=[1, 1, 1, 1])]
    infer_shapes(g)
    yield "conv_transpose", quantize(g, normal(8, 2, 5, 5, seed=1)), (normal(2, 2, 5, 5, seed=2),)
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, "H", "W"))
    g.outputs = [op(g, "Sqrt", [op(g, "GlobalAveragePool", [op(g, "Mul", [x, x])])])]
    infer_shapes(g)
    yield "mean_sqrt", quantize(g, normal(8, 4, 5, 7, seed=1), act_bits=16), \
        (normal(2, 4, 3, 9, seed=2),)


def test_models_with_every_attribute_kind_round_trip(tmp_path):
    seen = set()
    for name, qmodel, batch in _recurrent_and_resize_models():
        seen |= {n.op for n in qmodel.graph.nodes}
        path = tmp_path / f"{name}.intq"
        qmodel.save(path)
        loaded = intq.load(path)
        for a, b in zip(qmodel.run(*batch), loaded.run(*batch)):
            assert a.tobytes() == b.tobytes()
    assert {"IntLSTM", "IntGRU", "IntResize", "IntZeroInsert", "IntMean", "IntSqrt"} <= seen


@pytest.mark.parametrize("value", ["sideways", 1, None])
def test_a_recurrence_direction_outside_its_names_is_refused(tmp_path, value):
    from tests.quantize.graphs import normal, quantize
    from tests.quantize.rules.test_recurrent import gru_graph

    path = tmp_path / "ok.intq"
    quantize(gru_graph(), normal(8, 6, 3, seed=1)).save(path)

    def edit(doc):
        next(n for n in doc["nodes"] if n["op"] == "IntGRU")["attrs"]["direction"] = value

    with pytest.raises(ModelFormatError, match="attribute 'direction' has an invalid value") \
            as info:
        load_bytes(tmp_path, edit_doc(path.read_bytes(), edit))
    _one_line(info.value, tmp_path)
