"""Op definitions. Importing this package registers every op type intq knows."""

from intq.ops import (activations, conversion, elementwise, indexing, layout,  # noqa: F401
                      linear, logic, normalization, onnx_island, pooling, recurrent, reduce,
                      registry, resize, shape_ops)
from intq.ops import integer  # noqa: F401
from intq.ops.infer import infer_shapes
from intq.ops.registry import OpDef, get_op, register, registered_ops

__all__ = ["OpDef", "get_op", "infer_shapes", "register", "registered_ops", "registry"]
