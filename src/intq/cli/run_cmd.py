"""``intq run MODEL.intq INPUT.npy ... -o OUTPUT``: integer inference from the command line.

Three ways in and out, one integer graph (each matches one ONNX export, docs/EXPORT.md):

- default: float inputs, dequantized float outputs (``intq export``);
- ``--raw``: integers on each input's grid in, the integers before the output
  dequantization out (``QuantizedModel.run_int``);
- ``--raw-outputs``: float inputs, integer outputs (``QuantizedModel.run_raw_outputs``,
  ``intq export --raw``).

Inputs are checked before anything runs: NaN/Inf floats are refused (naming the input and
the first bad index), ``--raw`` integers must fit the input grid, and an integer ``.npy``
given as floats is refused when its values would saturate the input grid (the user most
likely meant ``--raw``). One output is written as ``.npy``; several, or a ``.npz`` path, as
``.npz`` keyed by output name; nothing is written unless the run succeeds.
"""

from __future__ import annotations

import argparse
import io
import zipfile
from pathlib import Path

import numpy as np

from intq.cli.arrays import first_nonfinite, read_npy
from intq.cli.file_kind import INTQ, require
from intq.cli.help_format import ExamplesFormatter
from intq.errors import InputError, IntqError
from intq.ir.graph import QuantInfo
from intq.ir.serialize import write_atomic
from intq.quant.fixedpoint import int_range
from intq.quantize.model import load

EXAMPLES = """examples:
  intq run model.intq x.npy -o y.npy                 floats in, floats out
  intq run model.intq q.npy -o y_int.npy --raw       integers in, integers out
  intq run model.intq x.npy -o y_int.npy --raw-outputs   floats in, integers out
  intq run model.intq ids.npy mask.npy -o out.npz    several inputs and outputs"""


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
               ) -> None:
    p = sub.add_parser("run", help="run a quantized model on .npy inputs", parents=parents,
                       description="Integer inference with a saved .intq model. Default: "
                                   "floats in and out (what `intq export` gives ONNX Runtime).",
                       epilog=EXAMPLES, formatter_class=ExamplesFormatter)
    p.add_argument("model", help="a quantized model (.intq, from intq quantize)")
    p.add_argument("inputs", nargs="+", metavar="INPUT.npy", help="one .npy per model input")
    p.add_argument("-o", "--output", required=True,
                   help="where to write the outputs: .npy (one output) or .npz")
    raw = p.add_mutually_exclusive_group()
    raw.add_argument("--raw", action="store_true",
                     help="integers in and out: inputs on each input's integer grid (see intq "
                          "inspect), outputs before the output dequantization")
    raw.add_argument("--raw-outputs", action="store_true",
                     help="float inputs, integer outputs (what `intq export --raw` returns)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = Path(args.model)
    if not path.is_file():
        raise IntqError(f"model file '{path}' does not exist")
    output = Path(args.output)
    if output.suffix not in (".npy", ".npz"):
        raise InputError(f"output '{output}' needs a .npy or .npz suffix")
    require(path, (INTQ,), "give a .intq model from intq quantize")
    model = load(path)
    if len(model.output_names) > 1 and output.suffix != ".npz":
        raise InputError(f"the model has {len(model.output_names)} outputs "
                         f"{model.output_names}; give -o a .npz path, not '{output}'")
    if len(args.inputs) != len(model.input_names):
        raise InputError(f"the model takes {len(model.input_names)} input(s) "
                         f"{model.input_names}; got {len(args.inputs)} file(s)")
    inputs = [read_npy(Path(name), "input") for name in args.inputs]
    for name, file, array, grid in zip(model.input_names, args.inputs, inputs,
                                       model.input_quant):
        check_input(name, file, array, grid, raw=args.raw)
    if args.raw:
        outputs = model.run_int(*inputs)
    elif args.raw_outputs:
        outputs = model.run_raw_outputs(*inputs)
    else:
        outputs = model.run(*inputs)
    _write(output, model.output_names, outputs)
    return 0


def check_input(name: str, file: str, array: np.ndarray, grid: QuantInfo | None,
                raw: bool) -> None:
    """Refuse what would otherwise run silently wrong: NaN/Inf, integers off the grid with
    ``--raw``, floats with ``--raw``, integers that would saturate as floats without it."""
    where = f"input '{name}' ({file})"
    bad = first_nonfinite(array)
    if bad is not None:
        raise InputError(f"{where} has {bad[1]} at index {bad[0]}; give finite values")
    if grid is None:
        return
    lo, hi = int_range(grid.bits, grid.signed)
    grid_text = f"its {grid.bits}-bit grid [{lo}, {hi}]"
    if raw:
        if array.dtype.kind not in "iu":
            raise InputError(f"{where} is {array.dtype}; --raw takes integers on {grid_text} "
                             "(without --raw, floats)")
        if array.size and (int(array.min()) < lo or int(array.max()) > hi):
            raise InputError(f"{where} has values in [{array.min()}, {array.max()}], outside "
                             f"{grid_text} that --raw takes")
        return
    if array.dtype.kind in "iub" and array.size:
        top = float(np.max(grid.scale)) * max(-lo, hi)
        biggest = float(np.max(np.abs(array.astype(np.float64))))
        if biggest > top:
            raise InputError(
                f"{where} holds integers ({array.dtype}) up to {biggest:g}, beyond the float "
                f"range ±{top:g} the model quantizes to {grid_text}: as floats they would "
                f"saturate; give floats (array.astype('float32') if meant), or --raw for "
                "integers on the grid")


def _write(path: Path, names: list[str], outputs: list[np.ndarray]) -> None:
    buffer = io.BytesIO()
    if path.suffix == ".npz":
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, array in zip(names, outputs):
                with archive.open(f"{name}.npy", "w") as member:
                    np.lib.format.write_array(member, np.ascontiguousarray(array),
                                              allow_pickle=False)
    else:
        np.save(buffer, outputs[0], allow_pickle=False)
    write_atomic(path, buffer.getvalue())
