"""``intq export MODEL.intq -o OUT.onnx``: a quantized model as ONNX for other runtimes."""

from __future__ import annotations

import argparse
from pathlib import Path

from intq.cli.file_kind import INTQ, require
from intq.cli.help_format import ExamplesFormatter
from intq.errors import IntqError

NOTES = {
    "int": "integer ONNX; ONNX Runtime reproduces `intq run{raw}` bit for bit",
    "qdq": "QuantizeLinear/DequantizeLinear ONNX for engines such as TensorRT or OpenVINO; "
           "not bit-exact (they requantize with float scales)",
}


EXAMPLES = """which export matches which intq run (docs/EXPORT.md):
  --format int          floats in, floats out:   same bytes as  intq run
  --format int --raw    floats in, integers out: same bytes as  intq run --raw-outputs
  --format qdq          QuantizeLinear/DequantizeLinear for other engines: not bit-exact
  (intq run --raw, integers in and out, has no ONNX form: feed the integers to
   QuantizedModel.run_int)

examples:
  intq export model.intq -o model.onnx
  intq export model.intq -o model_raw.onnx --raw
  intq export model.intq -o model_qdq.onnx --format qdq"""


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
               ) -> None:
    p = sub.add_parser("export", help="export a quantized model to ONNX", parents=parents,
                       description="Write a saved .intq model as ONNX: 'int' is bit-exact with "
                                   "intq's runtime in ONNX Runtime, 'qdq' is for other engines.",
                       epilog=EXAMPLES, formatter_class=ExamplesFormatter)
    p.add_argument("model", help="a quantized model (.intq, from intq quantize)")
    p.add_argument("-o", "--output", required=True, help="the ONNX file to write")
    p.add_argument("--format", choices=("int", "qdq"), default="int",
                   help="int (bit-exact, default) or qdq (QuantizeLinear/DequantizeLinear)")
    p.add_argument("--raw", action="store_true",
                   help="int format: float inputs, integer outputs (what `intq run --raw-outputs` "
                        "writes)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from intq.export import export_onnx
    from intq.quantize.model import load

    path = Path(args.model)
    if not path.is_file():
        raise IntqError(f"model file '{path}' does not exist")
    if not Path(args.output).parent.is_dir():
        raise IntqError(f"folder '{Path(args.output).parent}' of the output does not exist")
    require(path, (INTQ,), "give a .intq model from intq quantize")
    model = load(path)
    written = export_onnx(model.graph, args.output, format=args.format, raw=args.raw)
    note = NOTES[args.format].format(raw=" --raw-outputs" if args.raw else "")
    print(f"wrote {written} ({note})")
    return 0
