"""Building small graphs and checking that a pass keeps a graph's float outputs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from intq.ir.graph import Graph
from intq.ops import infer_shapes
from intq.ops.registry import normalize_attrs
from intq.runtime.executor import execute


def op(graph: Graph, op_type: str, inputs: Sequence[str | Any], outputs: int = 1,
       **attrs: Any) -> str | list[str]:
    """Append a node with normalized attributes; non-string inputs become constants."""
    names = [i if isinstance(i, str) else graph.add_constant("c", np.asarray(i)) for i in inputs]
    name = graph.unique_name(op_type.lower())
    node = graph.add_node(op_type, names, outputs, name=name,
                          attrs=normalize_attrs(op_type, attrs, name))
    return node.outputs[0] if outputs == 1 else node.outputs


def const(graph: Graph, array: Any, dtype: str = "float32") -> str:
    return graph.add_constant("w", np.asarray(array, dtype=dtype))


def finish(graph: Graph, *outputs: str) -> Graph:
    graph.outputs = list(outputs)
    infer_shapes(graph)
    graph.validate()
    return graph


def random_feeds(graph: Graph, batch: int = 3, seed: int = 0) -> dict[str, np.ndarray]:
    """Random inputs; the first symbolic dimension gets ``batch``, any other one 5."""
    rng = np.random.default_rng(seed)
    sizes: dict[str, int] = {}
    feeds = {}
    for name in graph.inputs:
        value = graph.values[name]
        shape = [d if isinstance(d, int) else sizes.setdefault(d, batch if not sizes else 5)
                 for d in value.shape]
        if np.dtype(value.dtype).kind == "f":
            feeds[name] = rng.standard_normal(shape).astype(value.dtype)
        else:
            feeds[name] = rng.integers(0, 5, shape).astype(value.dtype)
    return feeds


def assert_preserves(graph: Graph, run_pass: Callable[[Graph], bool], exact: bool = True,
                     batches: Sequence[int] = (1, 3), expect_change: bool = True) -> Graph:
    """Run ``run_pass`` on a copy of ``graph`` and compare outputs before/after on random
    inputs for each batch size: bit-equal if ``exact``, else within 1e-5 relative."""
    after = graph.copy()
    changed = run_pass(after)
    assert changed == expect_change
    after.validate()
    for batch in batches:
        feeds = random_feeds(graph, batch, seed=batch)
        want = execute(graph, feeds)
        got = execute(after, feeds)
        assert list(got) == list(want)
        for name in want:
            assert got[name].dtype == want[name].dtype, name
            assert got[name].shape == want[name].shape, name
            if exact:
                np.testing.assert_array_equal(got[name], want[name])
            else:
                scale = float(np.max(np.abs(want[name]))) if want[name].size else 0.0
                np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-5 * scale)
    return after


def ops_of(graph: Graph) -> list[str]:
    """The graph's op types, sorted (node order after a pass is any topological order)."""
    return sorted(n.op for n in graph.nodes)
