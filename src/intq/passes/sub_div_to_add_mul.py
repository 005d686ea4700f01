"""``Sub(x, c)`` → ``Add(x, -c)`` and ``Div(x, c)`` → ``Mul(x, 1/c)`` for float constants ``c``.

Quantization then sees only Add and Mul by constants, which fold into scales and biases.
The Sub rewrite is exact (IEEE defines a - b as a + (-b)). The Div rewrite rounds twice
(1/c, then the product) so it may move a result by one ulp, ≈6e-8 relative in float32, far
inside the 1e-5 budget; it is skipped where 1/c is not a finite normal number.
"""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Graph, Node
from intq.passes.editing import new_node, remove_nodes, rewrite_each
from intq.passes.matching import Uses, const
from intq.passes.registry import register_pass


@register_pass
def sub_div_to_add_mul(graph: Graph) -> bool:
    return rewrite_each(graph, {"Sub", "Div"}, _rewrite)


def _rewrite(graph: Graph, uses: Uses, node: Node) -> bool:
    x, name = node.inputs
    c = const(graph, name)
    if c is None or x in graph.constants or c.dtype.kind != "f":
        return False
    if node.op == "Sub":
        op, operand = "Add", -c
    else:
        with np.errstate(all="ignore"):
            operand = np.divide(c.dtype.type(1), c)
        if not np.all(np.isfinite(operand) & (np.abs(operand) >= np.finfo(c.dtype).tiny)):
            return False
        op = "Mul"
    remove_nodes(graph, [node])
    hint = f"{name}_neg" if op == "Add" else f"{name}_inv"
    new_node(graph, op, [x, graph.add_constant(hint, operand)], [node.outputs[0]], name=node.name)
    return True
