"""The graph executor: runs any IR graph op by op with the registry's NumPy code.

On a float graph it is the float reference: the ground truth that passes are checked against
(a pass must not change its outputs) and the engine calibration observes, through the
``on_value`` hook. On a quantized graph the same loop runs the integer ops, whose kernels are
integer-only, so it is also the integer runtime (reference or fast path).
"""

from __future__ import annotations

import copy
import functools
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from intq.errors import InputError
from intq.ir.graph import Graph, Node
from intq.ops.registry import get_op
from intq.runtime.batching import run_batched

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
    ``evaluate_fast`` (bit-identical to ``evaluate`` by contract); without a hook it runs a
    plan prepared once per graph (see ``FastPlan``), which may fuse an accumulating op with
    its Requantize since nobody sees the accumulator.
    """
    wanted = list(outputs) if outputs is not None else list(graph.outputs)
    if fast and on_value is None:
        return _fast_plan(graph, feeds, wanted).run(graph, feeds)
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
        if opdef.evaluate_first is not None and not any(node.outputs[1:]):
            evaluate = opdef.evaluate_first  # omitted trailing outputs are not computed
        try:
            results = evaluate(node.attrs, *args)
        except InputError as exc:
            raise _at(node.name, node.op, exc) from None
        for name, array in zip(node.outputs, results):
            if name:
                env[name] = array
                if on_value is not None:
                    on_value(name, array)
        for inp in node.inputs:
            if inp and last_use.get(inp) == index and inp not in keep and inp not in graph.constants:
                env.pop(inp, None)
    return {name: env[name] for name in wanted}


def _at(name: str, op: str, exc: InputError) -> InputError:
    """An op's refusal of the data it was given, naming the node (one line)."""
    return type(exc)(f"node '{name}' ({op}): {exc}")


Step = tuple[Callable[..., list[np.ndarray]], tuple[str, ...], tuple[str, ...], tuple[str, ...]]
"""A plan step: kernel, input names ("" = omitted), output names, names released after it."""


class FastPlan:
    """The fast path of one graph for one set of fed names and wanted outputs, prepared once.

    Each node becomes a step calling the kernel its op prepared for its attributes and
    constant inputs (``IntegerOp.prepare_fast``), or its ``evaluate_fast``. An accumulating
    node whose output is read only by a following node, and by nobody else (not wanted, not
    fed, not a graph output), may be fused with it (``IntegerOp.prepare_fused``). Inputs are
    released after their last use as in ``execute``.

    A plan stays valid while the graph keeps the same nodes with equal inputs, outputs and
    attributes and the same constant objects (constants are immutable by the IR's contract);
    ``matches`` checks that on every run and a stale plan is rebuilt.
    """

    def __init__(self, graph: Graph, fed: frozenset[str], wanted: list[str]) -> None:
        self.nodes = list(graph.nodes)
        self.signature = [(tuple(n.inputs), tuple(n.outputs), copy.deepcopy(n.attrs))
                          for n in self.nodes]
        names = {i for n in self.nodes for i in n.inputs if i}
        self.constants = {name: graph.constants.get(name) for name in names}
        self.constants_present = {name for name, a in self.constants.items() if a is not None}
        self.wanted = wanted
        self.step_nodes: list[Node] = []
        """The node each step runs (the first of a fused pair), for errors naming it."""
        self.steps = self._steps(graph, fed, wanted)

    def matches(self, graph: Graph) -> bool:
        if len(graph.nodes) != len(self.nodes):
            return False
        for node, mine, (inputs, outputs, attrs) in zip(graph.nodes, self.nodes,
                                                        self.signature):
            if (node is not mine or tuple(node.inputs) != inputs
                    or tuple(node.outputs) != outputs or node.attrs != attrs):
                return False
        constants = graph.constants
        return all(constants.get(name) is array for name, array in self.constants.items())

    def run(self, graph: Graph, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        env: dict[str, np.ndarray] = dict(graph.constants)
        env.update(feeds)
        for (kernel, inputs, outputs, release), node in zip(self.steps, self.step_nodes):
            try:
                results = kernel(*[env[i] if i else None for i in inputs])
            except InputError as exc:
                raise _at(node.name, node.op, exc) from None
            for name, array in zip(outputs, results):
                if name:
                    env[name] = array
            for name in release:
                env.pop(name, None)
        return {name: env[name] for name in self.wanted}

    def _steps(self, graph: Graph, fed: frozenset[str], wanted: list[str]) -> list[Step]:
        nodes = self.nodes
        readers: dict[str, int] = {}
        for node in nodes:
            for inp in node.inputs:
                if inp:
                    readers[inp] = readers.get(inp, 0) + 1
        producer_of = {out: index for index, node in enumerate(nodes) for out in node.outputs}
        last_use: dict[str, int] = {}
        for index, node in enumerate(nodes):
            for inp in node.inputs:
                last_use[inp] = index
        keep = set(wanted) | set(graph.outputs)
        runs = [not all(out in fed for out in node.outputs) for node in nodes]
        attrs = [attrs for _, _, attrs in self.signature]
        fused_into: dict[int, int] = {}
        kernels: dict[int, Callable[..., list[np.ndarray]]] = {}
        for index, node in enumerate(nodes):
            if not runs[index] or index in fused_into.values():
                continue
            fused = self._fuse(index, nodes, attrs, readers, producer_of, keep, fed, runs)
            if fused is not None:
                later, kernel = fused
                fused_into[index] = later
                kernels[index] = kernel
        steps: list[Step] = []
        covered = set(fused_into.values())
        for index, node in enumerate(nodes):
            if not runs[index] or index in covered:
                continue
            group = [index] + ([fused_into[index]] if index in fused_into else [])
            inputs = tuple(node.inputs)
            outputs = tuple(nodes[group[-1]].outputs)
            kernel = kernels.get(index)
            if kernel is None:
                kernel, inputs = self._kernel(node, attrs[index], graph)
            release = tuple(
                name for i in group for name in nodes[i].inputs
                if name and last_use.get(name) in group and name not in keep
                and name not in graph.constants)
            steps.append((kernel, inputs, outputs, tuple(dict.fromkeys(release))))
            self.step_nodes.append(node)
        return steps

    def _consts(self, node: Node, graph: Graph) -> list[np.ndarray | None]:
        return [graph.constants.get(name) if name else None for name in node.inputs]

    def _kernel(self, node: Node, attrs: dict[str, Any], graph: Graph
                ) -> tuple[Callable[..., list[np.ndarray]], tuple[str, ...]]:
        opdef = get_op(node.op, node.name)
        if opdef.evaluate_first is not None and not any(node.outputs[1:]):
            return functools.partial(opdef.evaluate_first, attrs), tuple(node.inputs)
        prepare = getattr(opdef, "prepare_fast", None)
        if prepare is not None:
            inputs = list(node.inputs)
            while inputs and not inputs[-1]:
                inputs.pop()
            try:
                kernel = prepare(attrs, [graph.constants.get(n) if n else None for n in inputs])
            except Exception:  # noqa: BLE001 - no kernel: evaluate_fast reports the problem
                kernel = None
            if kernel is not None:
                return kernel, tuple(inputs)
        return functools.partial(opdef.evaluate_fast, attrs), tuple(node.inputs)

    def _fuse(self, index: int, nodes: list[Node], attrs: list[dict[str, Any]],
              readers: dict[str, int], producer_of: dict[str, int], keep: set[str],
              fed: frozenset[str], runs: list[bool]
              ) -> tuple[int, Callable[..., list[np.ndarray]]] | None:
        node = nodes[index]
        opdef = get_op(node.op, node.name)
        prepare = getattr(opdef, "prepare_fused", None)
        if prepare is None or len(node.outputs) != 1:
            return None
        out = node.outputs[0]
        if not out or readers.get(out) != 1 or out in keep or out in fed:
            return None
        later = next((j for j in range(index + 1, len(nodes)) if out in nodes[j].inputs), None)
        if later is None or not runs[later] or nodes[later].inputs[0] != out:
            return None
        then = nodes[later]
        if any(n and n not in self.constants_present for n in then.inputs[1:]):
            return None
        inputs = list(node.inputs)
        while inputs and not inputs[-1]:
            inputs.pop()
        if len(inputs) != len(node.inputs):
            return None
        graph_constants = self.constants
        consts = [graph_constants.get(n) if n else None for n in inputs]
        then_consts = [graph_constants.get(n) if n else None for n in then.inputs]
        try:
            kernel = prepare(attrs[index], consts, then.op, attrs[later], then_consts)
        except Exception:  # noqa: BLE001 - no fusion: the two nodes run one after the other
            kernel = None
        return None if kernel is None else (later, kernel)


_PLANS: weakref.WeakKeyDictionary[Graph, dict[tuple, FastPlan]] = weakref.WeakKeyDictionary()


def _fast_plan(graph: Graph, feeds: Mapping[str, np.ndarray], wanted: list[str]) -> FastPlan:
    plans = _PLANS.get(graph)
    if plans is None:
        plans = _PLANS[graph] = {}
    key = (frozenset(feeds), tuple(wanted))
    plan = plans.get(key)
    if plan is None or not plan.matches(graph):
        if len(plans) >= 8:
            plans.clear()
        plan = plans[key] = FastPlan(graph, key[0], wanted)
    return plan


def run(graph: Graph, *args: np.ndarray) -> list[np.ndarray]:
    """Positional convenience: arrays in, list of output arrays out, in runs of the batch the
    graph accepts (``batching``: a fixed batch of 1 runs sample by sample)."""
    def run_once(chunk: list[np.ndarray]) -> list[np.ndarray]:
        results = execute(graph, bind_inputs(graph, chunk))
        return [results[name] for name in graph.outputs]

    return run_batched(graph, args, run_once)
