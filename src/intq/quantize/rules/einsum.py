"""Einsum that is a (batched) matrix product → the MatMul rule (IntMatMul + Requantize).

``<batch>ij,<batch>jk-><batch>ik`` (any letters, ``...`` allowed, one operand's batch a
suffix of the other's as MatMul broadcasts) computes exactly what MatMul computes, so the
node is lowered as that MatMul. Other equations (transposed operands, traces, outer products,
more than two operands) stay float, and the report says which equation.
"""

from __future__ import annotations

from intq.ir.graph import Node
from intq.quantize.context import Lowering
from intq.quantize.rules.matmul import lower_matmul
from intq.quantize.rules.registry import lowers

ELLIPSIS = "."


@lowers("Einsum")
def lower_einsum(ctx: Lowering, node: Node) -> bool:
    equation = node.attrs["equation"]
    if len(node.inputs) != 2 or not is_matmul(equation):
        ctx.keep_float(node, f"Einsum '{equation}' is not a (batched) matrix product")
        return True
    return lower_matmul(ctx, Node("MatMul", node.inputs, node.outputs, node.name, {}))


def is_matmul(equation: str) -> bool:
    """Whether ``equation`` is ``<batch>ij,<batch>jk-><batch>ik`` as MatMul broadcasts it."""
    text = equation.replace(" ", "").replace("...", ELLIPSIS)
    if text.count("->") != 1:
        return False
    operands, out = text.split("->")
    terms = operands.split(",")
    if len(terms) != 2 or any(len(t) < 2 for t in (*terms, out)):
        return False
    (a, b), o = terms, out
    i, j, k = a[-2], a[-1], b[-1]
    batch_a, batch_b, batch_o = a[:-2], b[:-2], o[:-2]
    letters = {i, j, k}
    if len(letters) != 3 or ELLIPSIS in letters or b[-2] != j or o[-2:] != i + k:
        return False
    if any(letters & set(t) for t in (batch_a, batch_b, batch_o)):
        return False
    longer, shorter = sorted((batch_a, batch_b), key=len, reverse=True)
    return (batch_o == longer and longer.endswith(shorter)
            and len(set(longer.replace(ELLIPSIS, ""))) == len(longer.replace(ELLIPSIS, "")))
