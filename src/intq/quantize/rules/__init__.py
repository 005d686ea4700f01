"""Lowering rules, one file per op family; importing this package registers them all."""

from intq.quantize.rules import (add, cast, clamp, common_scale,  # noqa: F401
                                 conv, conv_transpose, cumsum, divide, einsum, gather,
                                 groupnorm, layernorm, logsoftmax, lut, matmul, movement, mul,
                                 pool, prelu, recurrent, reduce, resize, select, shape, softmax)
from intq.quantize.rules.registry import lowered_ops, lowers, rule_for

__all__ = ["lowered_ops", "lowers", "rule_for"]
