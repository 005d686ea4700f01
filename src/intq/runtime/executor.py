"""The graph executor: runs any IR graph op by op with the registry's NumPy code.

On a float graph it is the float reference: the ground truth that passes are checked against
(a pass must not change its outputs) and the engine calibration observes, through the
``on_value`` hook. On a quantized graph the same loop runs the integer ops, whose kernels are
integer-only, so it is also the integer runtime (reference or fast path).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from intq.errors import InputError
from intq.ir.graph import Graph
from intq.ops.registry import get_op

ValueHook = Callable[[str, np.ndarray], None]


def bind_inputs(graph: Graph, args: Sequence[np.ndarray] | Mapping[str, np.ndarray]
                ) -> dict[str, np.ndarray]:
    """Match user arrays to graph inputs, checking count, dtype kind and shape.

    Floating inputs are cast to the declared float dtype; symbolic dimensions must agree
    across inputs (two inputs with batch ``N`` must have the same batch size).
    """
    if isinstance(args, Mapping):
        missing = [n for n in graph.inputs if n not in args]
        extra = [n for n in args if n not in graph.inputs]
        if missing or extra:
            raise InputError(f"model inputs are {graph.inputs}; missing {missing}, unknown {extra}")
        items = [(n, args[n]) for n in graph.inputs]
    else:
        if len(args) != len(graph.inputs):
            raise InputError(f"model takes {len(graph.inputs)} input(s) {graph.inputs}, "
                             f"got {len(args)}")
        items = list(zip(graph.inputs, args))
    bound: dict[str, int] = {}
    feeds: dict[str, np.ndarray] = {}
    for name, array in items:
        value = graph.values[name]
        array = np.asarray(array)
        want = np.dtype(value.dtype)
        if array.dtype != want:
            same_kind = (array.dtype.kind == want.kind
                         or (array.dtype.kind in "iu" and want.kind in "iu"))
            if not same_kind and not (want.kind == "f" and array.dtype.kind in "iu"):
                raise InputError(f"input '{name}' has dtype {array.dtype}, the model expects "
                                 f"{value.dtype}")
            array = array.astype(want)
        if value.shape is not None:
            if array.ndim != len(value.shape):
                raise InputError(f"input '{name}' has shape {tuple(array.shape)}, the model "
                                 f"expects rank {len(value.shape)} {value.type_str()}")
            for axis, (got, dim) in enumerate(zip(array.shape, value.shape)):
                if isinstance(dim, int) and got != dim:
                    raise InputError(f"input '{name}' has shape {tuple(array.shape)}, the model "
                                     f"expects {value.type_str()} (axis {axis} must be {dim})")
                if isinstance(dim, str) and dim != "?":
                    if bound.setdefault(dim, got) != got:
                        raise InputError(f"input '{name}' axis {axis} is {got} but dimension "
                                         f"'{dim}' is {bound[dim]} in another input")
        feeds[name] = array
    return feeds


def execute(graph: Graph, feeds: Mapping[str, np.ndarray], outputs: Sequence[str] | None = None,
            on_value: ValueHook | None = None, fast: bool = False) -> dict[str, np.ndarray]:
    """Run ``graph`` on bound inputs; return the requested values (default: graph outputs).

    ``feeds`` may also hold intermediate values: nodes whose outputs are all fed are skipped
    (how a quantized model runs from its integer inputs). Intermediate arrays are released
    after their last use, so memory stays near the widest cut of the graph.
    ``on_value(name, array)`` sees every value a node produces. ``fast`` selects each op's
    ``evaluate_fast`` (bit-identical to ``evaluate`` by contract).
    """
    wanted = list(outputs) if outputs is not None else list(graph.outputs)
    last_use: dict[str, int] = {}
    for index, node in enumerate(graph.nodes):
        for inp in node.inputs:
            last_use[inp] = index
    env: dict[str, np.ndarray] = dict(graph.constants)
    env.update(feeds)
    keep = set(wanted)
    for index, node in enumerate(graph.nodes):
        if all(out in feeds for out in node.outputs):
            continue
        opdef = get_op(node.op, node.name)
        args = [env[i] if i else None for i in node.inputs]
        evaluate = opdef.evaluate_fast if fast else opdef.evaluate
        results = evaluate(node.attrs, *args)
        for name, array in zip(node.outputs, results):
            if name:
                env[name] = array
                if on_value is not None:
                    on_value(name, array)
        for inp in node.inputs:
            if inp and last_use.get(inp) == index and inp not in keep and inp not in graph.constants:
                env.pop(inp, None)
    return {name: env[name] for name in wanted}


def run(graph: Graph, *args: np.ndarray) -> list[np.ndarray]:
    """Positional convenience: arrays in, list of output arrays out."""
    feeds = bind_inputs(graph, args)
    results = execute(graph, feeds)
    return [results[name] for name in graph.outputs]
