"""``intq export MODEL.intq -o OUT.onnx``: a quantized model as ONNX for other runtimes."""

from __future__ import annotations

import argparse
from pathlib import Path

from intq.errors import IntqError

NOTES = {
    "int": "integer ONNX; ONNX Runtime reproduces `intq run{raw}` bit for bit",
    "qdq": "QuantizeLinear/DequantizeLinear ONNX for engines such as TensorRT or OpenVINO; "
           "not bit-exact (they requantize with float scales)",
}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a quantized model to ONNX",
                       description="Write a saved .intq model as ONNX: 'int' is bit-exact with "
                                   "intq's runtime in ONNX Runtime, 'qdq' is for other engines.")
    p.add_argument("model", help="a quantized model (.intq, from intq quantize)")
    p.add_argument("-o", "--output", required=True, help="the ONNX file to write")
    p.add_argument("--format", choices=("int", "qdq"), default="int",
                   help="int (bit-exact, default) or qdq (QuantizeLinear/DequantizeLinear)")
    p.add_argument("--raw", action="store_true",
                   help="int format: output the integers `intq run --raw` writes")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from intq.export import export_onnx
    from intq.quantize.model import load

    path = Path(args.model)
    if not path.is_file():
        raise IntqError(f"model file '{path}' does not exist")
    if not Path(args.output).parent.is_dir():
        raise IntqError(f"folder '{Path(args.output).parent}' of the output does not exist")
    model = load(path)
    written = export_onnx(model.graph, args.output, format=args.format, raw=args.raw)
    note = NOTES[args.format].format(raw=" --raw" if args.raw else "")
    print(f"wrote {written} ({note})")
    return 0
