"""The quantizer's user-facing errors."""

from intq.errors import IntqError


class QuantConfigError(IntqError):
    """A quantization config that is malformed: unknown key, wrong type, bit width out of range,
    or a node / tensor / op name that the model does not have."""


class QuantizeError(IntqError):
    """A model that cannot be quantized as configured (e.g. an op whose integer form would not be
    exact); the message names the node and says what to restore or change."""


class UnboundedError(QuantizeError):
    """An integer op whose value range cannot be bounded statically (say, a matmul over a
    dynamic length): the overflow proof could not accept it, so the node stays float."""
