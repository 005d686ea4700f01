"""The integer op types of quantized graphs (see docs/INTEGER_SEMANTICS.md).

Each op has an int64 NumPy reference (``evaluate``), a bit-identical fast path where one pays
(``evaluate_fast``), a shape rule with the output's storage dtype, and the range rule the
overflow proof uses (``value_range``).
"""

from intq.ops.integer import (add, conv, conversion, cumsum, divide, groupnorm,  # noqa: F401
                              layernorm, logsoftmax, lut, matmul, mean, mul, recurrent,
                              reduce_sum, requantize, resize, softmax, sqrt, sum_pool,
                              zero_insert)
from intq.ops.integer.base import IntegerOp
from intq.ops.integer.layernorm import layernorm_attrs, layernorm_plan
from intq.ops.integer.ranges import IntRange
from intq.ops.integer.softmax import softmax_attrs, softmax_plan

__all__ = ["IntRange", "IntegerOp", "layernorm_attrs", "layernorm_plan", "softmax_attrs",
           "softmax_plan"]
