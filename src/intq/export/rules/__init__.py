"""Export rules, one module per op family; importing this package registers them all."""

from intq.export.rules import (boundary, elementwise, groupnorm, layernorm,  # noqa: F401
                               linear, lut, passthrough, pooling, reduce, requantize,
                               resize, softmax, zero_insert)
