"""``Pow(x, 2)`` → ``Mul(x, x)``: a square is a product, which has an exact integer form.

Exports spell squares both ways (``x ** 2`` in PyTorch becomes Pow; a spectrum's power
``re² + im²`` in an STFT front end); only the product is lowered to integers. Runs after the
fusions that read either spelling (GELU, layer norm, L2 norm). The float result is the same
(``x * x`` is what ``pow`` computes for the exponent 2, correctly rounded).
"""

from __future__ import annotations

from intq.ir.graph import Graph, Node
from intq.passes.editing import new_node, remove_nodes, rewrite_each
from intq.passes.matching import Uses, is_scalar
from intq.passes.registry import register_pass


@register_pass
def pow_to_mul(graph: Graph) -> bool:
    return rewrite_each(graph, {"Pow"}, _rewrite)


def _rewrite(graph: Graph, uses: Uses, node: Node) -> bool:
    x, exponent = node.inputs
    if not is_scalar(graph, exponent, 2.0) or x in graph.constants:
        return False
    remove_nodes(graph, [node])
    new_node(graph, "Mul", [x, x], [node.outputs[0]], name=node.name)
    return True
