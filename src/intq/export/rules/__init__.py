"""Export rules, one module per op family; importing this package registers them all."""

from intq.export.rules import (boundary, elementwise, layernorm, linear, lut,  # noqa: F401
                               onnx_island, passthrough, pooling, reduce, requantize,
                               softmax, zero_insert)
