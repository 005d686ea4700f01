"""``intq run MODEL.intq INPUT.npy ... -o OUTPUT``: integer inference from the command line.

Inputs are the model's float (or integer token) inputs as ``.npy`` files, in input order. The
outputs are dequantized floats, or with ``--raw`` the integers before the output
dequantization (what ``intq export --raw`` makes ONNX Runtime return). One output is written
as ``.npy``; several, or a ``.npz`` path, as ``.npz`` keyed by output name.
"""

from __future__ import annotations

import argparse
import io
import zipfile
from pathlib import Path

import numpy as np

from intq.errors import InputError, IntqError
from intq.ir.serialize import write_atomic
from intq.quantize.model import QuantizedModel, load
from intq.runtime.executor import bind_inputs, execute


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a quantized model on .npy inputs",
                       description="Integer inference with a saved .intq model.")
    p.add_argument("model", help="a quantized model (.intq, from intq quantize)")
    p.add_argument("inputs", nargs="+", metavar="INPUT.npy", help="one .npy per model input")
    p.add_argument("-o", "--output", required=True,
                   help="where to write the outputs: .npy (one output) or .npz")
    p.add_argument("--raw", action="store_true",
                   help="write the integer outputs instead of dequantized floats")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = Path(args.model)
    if not path.is_file():
        raise IntqError(f"model file '{path}' does not exist")
    output = Path(args.output)
    if output.suffix not in (".npy", ".npz"):
        raise InputError(f"output '{output}' needs a .npy or .npz suffix")
    model = load(path)
    if len(model.output_names) > 1 and output.suffix != ".npz":
        raise InputError(f"the model has {len(model.output_names)} outputs "
                         f"{model.output_names}; give -o a .npz path, not '{output}'")
    inputs = [_read(Path(name)) for name in args.inputs]
    outputs = raw_outputs(model, inputs) if args.raw else model.run(*inputs)
    _write(output, model.output_names, outputs)
    return 0


def raw_outputs(model: QuantizedModel, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Float inputs through the graph's own Quantize nodes; the integers its Dequantize nodes
    would read (outputs that are not dequantized come out as they are)."""
    graph = model.graph
    producers = graph.producers()
    exits = []
    for name in graph.outputs:
        node = producers.get(name)
        exits.append(node.inputs[0] if node is not None and node.op == "Dequantize" else name)
    results = execute(graph, bind_inputs(graph, inputs), outputs=exits, fast=True)
    return [results[name] for name in exits]


def _read(path: Path) -> np.ndarray:
    if path.suffix != ".npy":
        raise InputError(f"input '{path}' is not a .npy file; save each input with numpy.save")
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise InputError(f"input file '{path}' does not exist") from None
    except (OSError, ValueError, EOFError) as exc:
        raise InputError(f"cannot read input '{path}' ({str(exc).splitlines()[0]}); give a "
                         ".npy array saved with numpy.save") from None


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
