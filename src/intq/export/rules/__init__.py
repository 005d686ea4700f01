"""Export rules, one module per op family; importing this package registers them all."""

from intq.export.rules import (boundary, elementwise, layernorm, linear, lut,  # noqa: F401
                               passthrough, pooling, recurrent, reduce, requantize,
                               softmax, zero_insert)
