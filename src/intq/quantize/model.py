"""``QuantizedModel``: an integer graph with float and integer entry points, saved as ``.intq``.

``run`` takes floats through the graph's own Quantize and Dequantize nodes; ``run_int`` feeds
integers where the Quantize nodes would have put them and returns the integers the Dequantize
nodes would have read, so both run the one integer graph (no separate simulation).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from intq.errors import InputError, IntqError, ModelFormatError
from intq.ir.graph import Graph, Node, QuantInfo
from intq.ir.serialize import save_graph
from intq.ops.registry import get_op
from intq.quant.fixedpoint import int_range
from intq.quant.qparams import dequantize
from intq.quantize.lower import META_KEY
from intq.runtime.batching import batch_plan, run_batched
from intq.runtime.cost import ModelCost, graph_cost
from intq.runtime.executor import bind_inputs, execute
from intq.runtime.overflow import prove_no_overflow
from intq.runtime.verify import load_verified

FILE_KIND_KEY = "intq_model"
FILE_KIND = "quantized"


class QuantizedModel:
    """A quantized graph: float inputs → Quantize → integer ops → Dequantize → float outputs."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        consumers = graph.consumers()
        producers = graph.producers()
        self._entries = [_entry(name, consumers.get(name, [])) for name in graph.inputs]
        self._exits = [_exit(name, producers.get(name)) for name in graph.outputs]

    # ---- running -----------------------------------------------------------------------------
    def run(self, *inputs: np.ndarray, fast: bool = True) -> list[np.ndarray]:
        """Float inputs in, dequantized float outputs out, in runs of the batch the graph
        accepts (``runtime.batching``: a fixed batch of 1 runs sample by sample)."""
        def run_once(chunk: list[np.ndarray]) -> list[np.ndarray]:
            results = execute(self.graph, bind_inputs(self.graph, chunk), fast=fast)
            return [self._as_float(name, results[name]) for name in self.graph.outputs]

        return run_batched(self.graph, inputs, run_once)

    def run_raw_outputs(self, *inputs: np.ndarray, fast: bool = True) -> list[np.ndarray]:
        """Float inputs in, the integers the Dequantize nodes would read out (outputs that
        are not dequantized come out as they are)."""
        def run_once(chunk: list[np.ndarray]) -> list[np.ndarray]:
            results = execute(self.graph, bind_inputs(self.graph, chunk), outputs=self._exits,
                              fast=fast)
            return [results[name] for name in self._exits]

        return run_batched(self.graph, inputs, run_once)

    def run_int(self, *inputs: np.ndarray, fast: bool = True) -> list[np.ndarray]:
        """Integer inputs (on ``input_quant``'s grids) in, raw integer outputs out (in runs
        of the batch the graph accepts, as ``run``)."""
        if len(inputs) != len(self._entries):
            raise InputError(f"model takes {len(self._entries)} integer input(s) "
                             f"{self.graph.inputs}, got {len(inputs)}")
        def run_once(chunk: list[np.ndarray]) -> list[np.ndarray]:
            feeds = {entry: self._checked(entry, array)
                     for entry, array in zip(self._entries, chunk)}
            results = execute(self.graph, feeds, outputs=self._exits, fast=fast)
            return [results[name] for name in self._exits]

        return run_batched(self.graph, inputs, run_once)

    def quantize_inputs(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """Float inputs as the integers ``run_int`` takes, through each input's own Quantize
        node (its dtype, float32 division, tie rule), so ``run_int(*quantize_inputs(*x))`` is
        exactly what ``run(*x)`` dequantizes. Inputs without a Quantize pass through. A fixed
        batch is checked run by run (``runtime.batching``), so any number of samples fits."""
        arrays = [np.asarray(a) for a in inputs]
        plan = batch_plan(self.graph, arrays)
        runs = [(self._quantized(chunk), real) for chunk, real in plan.chunks(arrays)]
        return [np.concatenate([q[i][:real] for q, real in runs]) if cut else runs[0][0][i]
                for i, cut in enumerate(plan.batched)]

    def _quantized(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        feeds = bind_inputs(self.graph, inputs)
        users = self.graph.consumers()
        out = []
        for name, entry in zip(self.graph.inputs, self._entries):
            if entry == name:
                out.append(feeds[name])
                continue
            node = users[name][0]
            out.append(get_op(node.op, node.name).evaluate(node.attrs, feeds[name])[0])
        return out

    @property
    def input_quant(self) -> list[QuantInfo | None]:
        """The integer grid of each input (None for inputs that are integers already)."""
        return [self.graph.values[e].quant for e in self._entries]

    @property
    def output_quant(self) -> list[QuantInfo | None]:
        """The integer grid of each output before dequantization (None for float outputs)."""
        return [self.graph.values[e].quant for e in self._exits]

    @property
    def input_names(self) -> list[str]:
        return list(self.graph.inputs)

    @property
    def output_names(self) -> list[str]:
        return list(self.graph.outputs)

    @property
    def exact(self) -> bool:
        """Whether every node between Quantize and Dequantize is integer."""
        return bool(self.graph.meta.get(META_KEY, {}).get("exact", False))

    @property
    def float_nodes(self) -> dict[str, str]:
        """Node name → why it stays in float (empty when the model is exact)."""
        return dict(self.graph.meta.get(META_KEY, {}).get("float_nodes", {}))

    def cost(self) -> ModelCost:
        """Per-sample gas, MACs, BOPS and memory (``runtime.cost``, docs/COST.md)."""
        return graph_cost(self.graph)

    # ---- files -------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the model (safetensors + JSON graph, no pickle; docs/FORMAT.md) atomically,
        with each integer tensor's proven bound re-derived on a copy."""
        graph = self.graph.copy()
        try:
            prove_no_overflow(graph)
        except IntqError:
            pass  # saved as it is; loading re-runs the proof and rejects it
        save_graph(graph, path, extra_meta={FILE_KIND_KEY: FILE_KIND})

    @classmethod
    def load(cls, path: str | os.PathLike) -> QuantizedModel:
        return load(path)

    # ---- helpers -----------------------------------------------------------------------------
    def _as_float(self, name: str, array: np.ndarray) -> np.ndarray:
        quant = self.graph.values[name].quant
        if quant is None or array.dtype.kind == "f":
            return array
        return dequantize(array, quant.scale)

    def _checked(self, name: str, array: np.ndarray) -> np.ndarray:
        value = self.graph.values[name]
        array = np.asarray(array)
        if array.dtype.kind not in "iu":
            raise InputError(f"integer input for '{name}' has dtype {array.dtype}; run_int takes "
                             f"integers ({value.dtype}), run takes floats")
        if value.shape is not None and (array.ndim != len(value.shape) or any(
                isinstance(d, int) and d != got for d, got in zip(value.shape, array.shape))):
            raise InputError(f"integer input for '{name}' has shape {tuple(array.shape)}, the "
                             f"model expects {value.type_str()}")
        if value.quant is not None and array.size:
            lo, hi = int_range(value.quant.bits, value.quant.signed)
            if int(array.min()) < lo or int(array.max()) > hi:
                raise InputError(f"integer input for '{name}' has values outside its "
                                 f"{value.quant.bits}-bit range [{lo}, {hi}]")
        return array.astype(value.dtype, copy=False)

    def __repr__(self) -> str:
        ins = ", ".join(f"{n}: {self.graph.values[e].type_str()}"
                        for n, e in zip(self.graph.inputs, self._entries))
        outs = ", ".join(f"{n}: {self.graph.values[e].type_str()}"
                         for n, e in zip(self.graph.outputs, self._exits))
        kind = "exact" if self.exact else _partly_float(self.float_nodes)
        return (f"QuantizedModel({self.graph.name!r}, {len(self.graph.nodes)} nodes, {kind}, "
                f"({ins}) -> ({outs}))")


def load(path: str | os.PathLike) -> QuantizedModel:
    """Read a model written by ``QuantizedModel.save``. Before anything executes, the file's
    structure, version, dtypes, shapes, order, attributes, the precision of every constant and
    the overflow proof are checked (``runtime.verify.load_verified``, docs/FORMAT.md); any
    failure is a one-line ``IntqError`` naming the file and the culprit."""
    graph, metadata = load_verified(path)
    if metadata.get(FILE_KIND_KEY) != FILE_KIND or META_KEY not in graph.meta:
        raise ModelFormatError(f"'{path}' is an intq graph but not a quantized model; save one "
                               "with QuantizedModel.save or load it with FloatModel.load")
    return QuantizedModel(graph)


def _partly_float(reasons: dict[str, str], shown: int = 3) -> str:
    names = ", ".join(list(reasons)[:shown]) + (", ..." if len(reasons) > shown else "")
    return f"partly float ({len(reasons)} node{'s' * (len(reasons) != 1)}: {names})"


def _entry(name: str, users: Sequence[Node]) -> str:
    """Where integers enter for input ``name``: its Quantize node's output, if it has one."""
    if len(users) == 1 and users[0].op == "Quantize":
        return users[0].outputs[0]
    return name


def _exit(name: str, producer: Node | None) -> str:
    """Where raw integers leave for output ``name``: its Dequantize node's input, if any."""
    if producer is not None and producer.op == "Dequantize":
        return producer.inputs[0]
    return name
