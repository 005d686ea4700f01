"""``intq demo``: train a small CNN on data shipped with scikit-learn, quantize it, compare.

LeNet on the 8×8 digits (no download) is trained with the zoo's training loop, imported
through ONNX, quantized to int8 and to 4-bit weights with 8-bit activations, and evaluated on
the held-out split with the same integer graph ``intq run`` executes. It also shows the
exactness contract: every held-out output is the same bytes run alone and in one batch.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from intq.cli.help_format import ExamplesFormatter
from intq.errors import IntqError

VARIANTS = (("int8", None), ("W4A8", {"weight_bits": 4}))
CALIBRATION_SAMPLES = 256


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
               ) -> None:
    p = sub.add_parser("demo", help="train, quantize and compare a digits CNN (< 1 minute)",
                       parents=parents,
                       description="Train LeNet on scikit-learn's digits, quantize it to int8 "
                                   "and W4A8, and print float vs integer accuracy and size.",
                       epilog="example:\n  pip install 'intq[demo]' && intq demo --quiet",
                       formatter_class=ExamplesFormatter)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    began = time.perf_counter()
    rows, data, exact = _train_and_quantize(progress=not args.quiet)
    print(f"intq demo: LeNet on scikit-learn digits ({len(data.x_train)} training, "
          f"{len(data.x_test)} held-out 8×8 images)\n")
    print(_table(rows))
    print()
    if exact:
        print(f"int8 is exact: integer-only, and all {len(data.x_test)} held-out outputs are "
              "bit-identical run one by one and as one batch.")
    else:
        print("int8 outputs changed with the batch: please report this as a bug.")
    print(f"done in {time.perf_counter() - began:.1f} s; next: intq quantize "
          "configs/lenet_digits.toml")
    return 0 if exact else 1


def _train_and_quantize(progress: bool) -> tuple[list[dict[str, Any]], Any, bool]:
    try:
        import torch
    except ImportError:
        raise IntqError("intq demo needs PyTorch: pip install 'intq[torch]' scikit-learn"
                        ) from None
    import intq
    from intq.pipeline.evaluate import batch_invariant
    from intq.pipeline.metrics import top_k
    from intq.pipeline.precision import accumulator_bits, model_sizes, precision_table
    from intq.zoo import build
    from intq.zoo.datasets import digits
    from intq.zoo.train import train_classifier

    data = digits()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small trains fastest, and reproducibly, on one
    try:
        module = train_classifier(build("lenet", image_size=8), data, epochs=20, batch_size=32,
                                  lr=5e-3, seed=0, progress=progress)
    finally:
        torch.set_num_threads(threads)
    model = intq.from_torch(module, (torch.from_numpy(data.x_train[:2]),))
    rows = [{"name": "float32", "top1": top_k(model.run(data.x_test), data.y_test, 1)}]
    exact = True
    for name, config in VARIANTS:
        if progress:
            print(f"quantizing to {name}", file=sys.stderr)
        quantized = intq.quantize(model, data.x_train[:CALIBRATION_SAMPLES], config,
                                  progress=progress)
        sizes = model_sizes(quantized.graph)
        rows[0]["bytes"] = sizes["float"]
        rows.append({"name": name, "top1": top_k(quantized.run(data.x_test), data.y_test, 1),
                     "bytes": sizes["integer"],
                     "acc_bits": accumulator_bits(precision_table(quantized.graph))})
        if name == "int8":
            exact = quantized.exact and batch_invariant(quantized, (data.x_test,))
    return rows, data, exact


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'model':<10}{'top-1':>9}{'size':>12}   proven accumulator width"]
    for row in rows:
        width = f"{row['acc_bits']} bits" if "acc_bits" in row else "-"
        lines.append(f"{row['name']:<10}{row['top1']:>7.2f} %{row['bytes'] / 1024:>8.1f} KiB"
                     f"   {width}")
    return "\n".join(lines)
