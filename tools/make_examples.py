"""Regenerate the example models bundled in ``src/intq/examples`` (needs torch, scikit-learn).

    python tools/make_examples.py
"""

from __future__ import annotations

from pathlib import Path

from intq.frontends.torch_import import export_onnx_bytes
from intq.zoo import build
from intq.zoo.datasets import digits
from intq.zoo.train import train_classifier

OUT = Path(__file__).resolve().parents[1] / "src" / "intq" / "examples"


def main() -> None:
    data = digits()
    model = train_classifier(build("lenet", image_size=8), data, epochs=20, lr=1e-2)
    onnx_bytes = export_onnx_bytes(model, model.example_inputs(1),
                                   input_names=["input"], output_names=["output"],
                                   dynamic_axes=model.dynamic_axes())
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "digits_cnn.onnx").write_bytes(onnx_bytes)
    print(f"wrote {OUT / 'digits_cnn.onnx'} ({len(onnx_bytes)} bytes)")


if __name__ == "__main__":
    main()
