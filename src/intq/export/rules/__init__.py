"""Export rules, one module per op family; importing this package registers them all."""

from intq.export.rules import (boundary, cumsum, divide, elementwise, groupnorm,  # noqa: F401
                               layernorm, linear, logsoftmax, lut, mean, onnx_island,
                               passthrough, pooling, recurrent, reduce, requantize, resize,
                               softmax, sqrt, zero_insert)
