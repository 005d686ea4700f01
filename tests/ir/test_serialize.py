import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.errors import ModelFormatError
from intq.ir.graph import Graph, QuantInfo
from intq.ir.serialize import graph_to_json, load_graph, save_graph


def sample_graph() -> Graph:
    g = Graph("sample")
    g.add_input("x", "float32", ("N", 3))
    g.add_constant("w", np.arange(6, dtype=np.float32).reshape(3, 2))
    g.add_constant("shape", np.array([0, -1], np.int64))
    g.add_constant("q", np.array([-128, 127], np.int8))
    g.add_node("MatMul", ["x", "w"], ["h"], attrs={"note": "a", "axes": [1, 2], "eps": 1e-5})
    g.add_node("Reshape", ["h", "shape"], ["y"])
    g.values["h"].shape = ("N", 2)
    g.values["y"].shape = ("N", 2)
    g.values["q"].quant = QuantInfo(8, True, [0.5, 0.25], axis=0, bound=128)
    g.values["y"].quant = QuantInfo(8, False, 0.1)
    g.outputs = ["y"]
    g.meta = {"producer": "test"}
    return g


def test_round_trip_is_exact(tmp_path):
    g = sample_graph()
    save_graph(g, tmp_path / "m.intq", extra_meta={"k": "v"})
    back, meta = load_graph(tmp_path / "m.intq")
    assert meta == {"k": "v"}
    assert graph_to_json(back) == graph_to_json(g)
    for name, array in g.constants.items():
        assert back.constants[name].dtype == array.dtype
        np.testing.assert_array_equal(back.constants[name], array)


def test_save_is_atomic_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "m.intq"
    target.write_bytes(b"old")
    import intq.ir.serialize

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(intq.ir.serialize.os, "replace", boom)
    with pytest.raises(RuntimeError):
        save_graph(sample_graph(), target)
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def _saved(tmp_path) -> bytes:
    save_graph(sample_graph(), tmp_path / "m.intq")
    return (tmp_path / "m.intq").read_bytes()


def _rewrite_header(data: bytes, edit) -> bytes:
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    doc = json.loads(header["__metadata__"]["intq_graph"])
    edit(doc, header)
    header["__metadata__"]["intq_graph"] = json.dumps(doc)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return len(raw).to_bytes(8, "little") + raw + data[8 + n:]


@pytest.mark.parametrize("case, edit, match", [
    ("bad version", lambda d, h: d.update(version=99), "unsupported intq format version 99"),
    ("cycle", lambda d, h: d["nodes"][0]["inputs"].__setitem__(0, "y"), "nodes form a cycle"),
    ("unknown dtype", lambda d, h: d["values"][0].update(dtype="complex64"), "unknown dtype"),
    ("dtype lie", lambda d, h: [v.update(dtype="float64") for v in d["values"] if v["name"] == "w"],
     "declared"),
    ("huge shape", lambda d, h: d["values"][0].update(shape=[2**40]), "invalid shape"),
    ("undeclared input", lambda d, h: d["nodes"][1]["inputs"].__setitem__(0, "ghost"),
     "not a declared value"),
    ("missing data", lambda d, h: d["constants"].append("h"), "no tensor data"),
    ("not a list", lambda d, h: d.update(nodes={}), "not a list"),
    ("bound lies", lambda d, h: [v["quant"].update(bound=129) for v in d["values"]
                                 if v["name"] == "q"], "outside its 8-bit precision"),
    ("bad scale", lambda d, h: [v["quant"].update(scale=-1.0) for v in d["values"]
                                if v["name"] == "y"], "invalid scale"),
])
def test_corrupt_documents_rejected(tmp_path, case, edit, match):
    path = tmp_path / "bad.intq"
    path.write_bytes(_rewrite_header(_saved(tmp_path), edit))
    with pytest.raises(ModelFormatError, match=match) as info:
        load_graph(path)
    assert "\n" not in str(info.value)


def test_truncated_and_garbage_files_rejected(tmp_path):
    data = _saved(tmp_path)
    for i, blob in enumerate([data[: len(data) // 2], data[:5], b"", b"\x00" * 64, b"not a model"]):
        path = tmp_path / f"bad{i}.intq"
        path.write_bytes(blob)
        with pytest.raises(ModelFormatError, match=f"bad{i}.intq"):
            load_graph(path)


def test_missing_file(tmp_path):
    with pytest.raises(ModelFormatError, match="cannot read"):
        load_graph(tmp_path / "nope.intq")


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=0, max_size=300), st.integers(0, 2000))
def test_fuzzed_bytes_never_crash_the_loader(tmp_path_factory, junk, cut):
    base = tmp_path_factory.mktemp("fz")
    data = _saved(base)
    blob = data[:cut] + junk
    path = base / "fuzz.intq"
    path.write_bytes(blob)
    try:
        load_graph(path)
    except ModelFormatError as exc:
        assert "\n" not in str(exc)
