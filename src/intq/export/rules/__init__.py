"""Export rules, one module per op family; importing this package registers them all."""

from intq.export.rules import (boundary, divide, elementwise, layernorm, linear,  # noqa: F401
                               lut, passthrough, pooling, reduce, requantize, softmax,
                               zero_insert)
