"""Malformed inputs for every file the CLI reads: ``.intq`` models, ONNX models, TOML configs,
calibration and run data. Each case is ``(name, files, argv, fault)``: ``files`` writes the
case's files into a folder, ``argv`` is the command (``{dir}`` is that folder) and ``fault``
a fragment the one-line error must contain. Shared by the corpus test and the fuzz benchmark.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Case:
    name: str
    write: Callable[[Path], None]
    argv: tuple[str, ...]
    fault: str


def split_intq(data: bytes) -> tuple[dict, bytes]:
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + n]), data[8 + n:]


def frame(header: dict, body: bytes) -> bytes:
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + body


def _graph_edit(edit: Callable[[dict], None]) -> Callable[[bytes], bytes]:
    def mutate(data: bytes) -> bytes:
        header, body = split_intq(data)
        doc = json.loads(header["__metadata__"]["intq_graph"])
        edit(doc)
        header["__metadata__"]["intq_graph"] = json.dumps(doc)
        return frame(header, body)
    return mutate


def _table_edit(edit: Callable[[dict], None]) -> Callable[[bytes], bytes]:
    def mutate(data: bytes) -> bytes:
        header, body = split_intq(data)
        edit(header)
        return frame(header, body)
    return mutate


def _first_tensor(header: dict) -> dict:
    return next(v for k, v in header.items() if k != "__metadata__")


def _set(key: str, value) -> Callable[[dict], None]:
    return lambda d: d.__setitem__(key, value)


INTQ_MUTATIONS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "empty": (lambda d: b"", "empty"),
    "four_bytes": (lambda d: d[:4], "too short"),
    "length_only": (lambda d: d[:8], "exceeds the file size"),
    "truncated_header": (lambda d: d[:40], "exceeds the file size"),
    "truncated_half": (lambda d: d[:len(d) // 2], "truncated"),
    "truncated_last_byte": (lambda d: d[:-1], "truncated"),
    "length_huge": (lambda d: (2**62).to_bytes(8, "little") + d[8:], "exceeds the file size"),
    "length_zero": (lambda d: (0).to_bytes(8, "little") + d[8:], "not valid JSON"),
    "header_garbage": (lambda d: d[:8] + b"\xff" * (len(d) - 8), "not valid JSON"),
    "header_not_object": (lambda d: frame([], b""), "not a JSON object"),  # type: ignore[arg-type]
    "no_metadata": (_table_edit(lambda h: h.pop("__metadata__")), "no metadata"),
    "no_graph_key": (_table_edit(lambda h: h["__metadata__"].pop("intq_graph")), "intq_graph"),
    "graph_json_corrupt": (_table_edit(lambda h: h["__metadata__"].__setitem__(
        "intq_graph", "{not json")), "graph JSON is corrupt"),
    "version_future": (_graph_edit(_set("version", 99)), "upgrade intq"),
    "format_wrong": (_graph_edit(_set("format", "other")), "format"),
    "unknown_key": (_graph_edit(_set("extra", 1)), "unknown key"),
    "nodes_not_list": (_graph_edit(_set("nodes", {})), "'nodes'"),
    "dangling_input": (_graph_edit(lambda d: d["nodes"][-1].__setitem__(
        "inputs", ["nowhere"])), "nowhere"),
    "cycle": (_graph_edit(lambda d: d["nodes"].reverse()), "node"),
    "bad_dtype": (_graph_edit(lambda d: d["values"][0].__setitem__("dtype", "int3")),
                  "unknown dtype"),
    "huge_dim": (_graph_edit(lambda d: d["values"][0].__setitem__("shape", [2**40])),
                 "invalid shape"),
    "bad_scale": (_graph_edit(lambda d: next(v for v in d["values"] if v.get("quant"))[
        "quant"].__setitem__("scale", -1.0)), "invalid scale"),
    "tensor_claims_huge": (_table_edit(lambda h: _first_tensor(h).__setitem__(
        "shape", [2**30, 2**30])), "claims shape"),
    "tensor_bad_dtype": (_table_edit(lambda h: _first_tensor(h).__setitem__("dtype", "X9")),
                         "unsupported dtype"),
    "tensor_offsets_out": (_table_edit(lambda h: _first_tensor(h).__setitem__(
        "data_offsets", [0, 10**12])), "outside"),
    "extra_trailing_bytes": (lambda d: d + b"\x00" * 16, "belong to no tensor"),
}


def _npy(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _npy_claiming(shape: tuple[int, ...]) -> bytes:
    header = repr({"descr": "<f4", "fortran_order": False, "shape": shape}).encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\x00" * 64


def _nan(value: float) -> np.ndarray:
    x = np.zeros((3, 4), np.float32)
    x[1, 3] = value
    return x


def _npz(**arrays: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


DATA: dict[str, tuple[bytes, str]] = {
    "nan": (_npy(_nan(np.nan)), "nan at index (1, 3)"),
    "inf": (_npy(_nan(np.inf)), "inf at index (1, 3)"),
    "neg_inf": (_npy(_nan(-np.inf)), "-inf at index (1, 3)"),
    "pickled": (_npy(np.array([{"a": 1}, None], dtype=object)), "pickle"),
    "truncated": (_npy(np.zeros((3, 4), np.float32))[:-5], "truncated"),
    "header_only": (_npy(np.zeros((3, 4), np.float32))[:10], "corrupt .npy header"),
    "claims_huge": (_npy_claiming((10**6, 10**6)), "claims shape"),
    "bad_magic_version": (b"\x93NUMPY\x09\x00" + b"\x00" * 100, "corrupt .npy header"),
    "complex": (_npy(np.zeros((3, 4), np.complex64)), "dtype complex64"),
    "strings": (_npy(np.array([["a"] * 4] * 3)), "dtype <U1"),
    "structured": (_npy(np.zeros(3, [("a", "f4"), ("b", "f4")])), "dtype"),
    "text": (b"1 2 3 4\n", "text file"),
    "onnx_instead": (b"", "ONNX model"),  # filled with the model's bytes
    "npz_instead": (_npz(x=np.zeros((3, 4), np.float32)), ".npz archive"),
    "empty_file": (b"", "empty"),
}
RUN_ONLY: dict[str, tuple[bytes, str]] = {
    "wrong_width": (_npy(np.zeros((3, 5), np.float32)), "axis 1 must be 4"),
    "wrong_rank": (_npy(np.zeros((3, 4, 1), np.float32)), "rank"),
    "scalar": (_npy(np.float32(1.0)), "rank"),
    "saturating_ints": (_npy(np.full((3, 4), 10**6, np.int64)), "would saturate"),
}
RAW_ONLY: dict[str, tuple[bytes, str]] = {
    "raw_floats": (_npy(np.zeros((3, 4), np.float32)), "takes integers"),
    "raw_huge_ints": (_npy(np.full((3, 4), 10**12, np.int64)), "outside its 8-bit grid"),
    "raw_negative_ints": (_npy(np.full((3, 4), -129, np.int16)), "outside its 8-bit grid"),
    "raw_nan": (_npy(_nan(np.nan)), "nan at index"),
}
CALIB_ONLY: dict[str, tuple[bytes, str]] = {
    "calib_empty_array": (_npy(np.zeros((0, 4), np.float32)), "no samples"),
    "calib_scalar": (_npy(np.float32(1.0)), "no samples"),
    "calib_npz_nan": (_npz(x=_nan(np.nan)), "nan at index"),
}
TOML: dict[str, tuple[str, str]] = {
    "toml_syntax": ("[model\npath = 1", "not valid TOML"),
    "toml_unknown_section": ("[model]\npath='m.onnx'\n[bogus]\n", "unknown section"),
    "toml_missing_model": ("[data]\nsource='c.npy'\n[output]\ndir='o'\n", "missing section"),
    "toml_unknown_key": ("[model]\npath='{dir}/m.onnx'\ncolour=1\n[data]\nsource='c.npy'\n"
                         "[output]\ndir='o'\n", "unknown key 'model.colour'"),
    "toml_wrong_type": ("[model]\npath='{dir}/m.onnx'\n[data]\nsource='c.npy'\nnum_samples=-1\n"
                        "[output]\ndir='o'\n", "non-negative integer"),
    "toml_bad_metric": ("[model]\npath='m.onnx'\n[data]\nsource='c.npy'\n[evaluate]\n"
                        "metrics=['top9']\n[output]\ndir='o'\n", "unknown metric"),
    "toml_missing_model_file": ("[model]\npath='absent.onnx'\n[data]\nsource='c.npy'\n"
                                "[output]\ndir='o'\n", "does not exist"),
    "toml_bad_bits": ("[model]\npath='m.onnx'\n[data]\nsource='c.npy'\n[quantize]\n"
                      "weight_bits=99\n[output]\ndir='o'\n", "weight_bits"),
    "toml_binary": ("\x00\x01", "not valid TOML"),
}
ONNX_MUTATIONS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "onnx_truncated": (lambda d: d[:len(d) // 2], "onnx"),
    "onnx_garbage_tail": (lambda d: d[:20] + b"\xff" * 40, "onnx"),
    "onnx_empty": (lambda d: b"", "empty"),
    "onnx_text": (lambda d: b"not a model\n", "text file"),
}


def cases(intq_bytes: bytes, onnx_bytes: bytes, calib: bytes) -> list[Case]:
    """Every malformed-input case, built from a good model, its ONNX source and its data."""
    out = []
    for name, (mutate, fault) in INTQ_MUTATIONS.items():
        for command, argv in (("run", ("run", "{dir}/m.intq", "{dir}/x.npy", "-o",
                                        "{dir}/out.npy")),
                              ("inspect", ("inspect", "{dir}/m.intq"))):
            out.append(Case(f"intq_{name}_{command}",
                            lambda d, m=mutate: _files(d, {"m.intq": m(intq_bytes),
                                                              "x.npy": calib}),
                            argv, fault))
    out.append(Case("intq_export_truncated",
                    lambda d: _files(d, {"m.intq": intq_bytes[:100]}),
                    ("export", "{dir}/m.intq", "-o", "{dir}/out.onnx"), "exceeds"))
    for table, argv_tail in ((DATA, ()), (RUN_ONLY, ()), (RAW_ONLY, ("--raw",))):
        for name, (blob, fault) in table.items():
            blob = onnx_bytes if name == "onnx_instead" else blob
            out.append(Case(f"run_{name}", lambda d, b=blob: _files(
                d, {"m.intq": intq_bytes, "x.npy": b}),
                ("run", "{dir}/m.intq", "{dir}/x.npy", "-o", "{dir}/out.npy", *argv_tail),
                fault))
    for table in (DATA, CALIB_ONLY):
        for name, (blob, fault) in table.items():
            blob = onnx_bytes if name == "onnx_instead" else blob
            suffix = "npz" if name.endswith("npz_nan") else "npy"
            out.append(Case(f"calib_{name}", lambda d, b=blob, s=suffix: _files(
                d, {"m.onnx": onnx_bytes, f"c.{s}": b}),
                ("quantize", "{dir}/m.onnx", "--calib", f"{{dir}}/c.{suffix}", "-o",
                 "{dir}/out.intq"), fault))
    for name, (text, fault) in TOML.items():
        out.append(Case(name, lambda d, t=text: _files(d, {
            "m.onnx": onnx_bytes, "c.npy": calib,
            "run.toml": t.replace("{dir}", str(d)).encode("utf-8", "surrogateescape")}),
            ("quantize", "{dir}/run.toml"), fault))
    for name, (mutate, fault) in ONNX_MUTATIONS.items():
        out.append(Case(f"{name}_inspect", lambda d, m=mutate: _files(
            d, {"m.onnx": m(onnx_bytes)}),
                        ("inspect", "{dir}/m.onnx"), fault))
        out.append(Case(f"{name}_quantize", lambda d, m=mutate: _files(
            d, {"m.onnx": m(onnx_bytes), "c.npy": calib}),
            ("quantize", "{dir}/m.onnx", "--calib", "{dir}/c.npy", "-o", "{dir}/out.intq"),
            fault))
    return out


def _files(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (folder / name).write_bytes(data)

